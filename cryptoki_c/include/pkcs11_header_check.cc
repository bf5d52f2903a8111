// Compile-time checks of pkcs11.h from C++. Nothing to run: it passes if
//   g++ -std=c++20 -Wall -Wextra -Werror -c pkcs11_header_check.cc
// compiles.
#include "pkcs11.h"

#include <cstddef>
#include <type_traits>

namespace {

// Scalar widths and linkage-relevant types.
static_assert(sizeof(CK_ULONG) == sizeof(unsigned long));
static_assert(std::is_same_v<CK_ULONG, unsigned long>);
static_assert(std::is_same_v<CK_LONG, long>);
static_assert(std::is_same_v<CK_BYTE, unsigned char>);
static_assert(std::is_same_v<CK_RV, CK_ULONG>);
static_assert(CRYPTOKI_VERSION_MAJOR == 3 && CRYPTOKI_VERSION_MINOR == 0);

// Key constant values.
static_assert(CKR_VENDOR_DEFINED == 0x80000000UL);
static_assert(CKM_AES_GCM == 0x1087UL);
static_assert(CKM_CHACHA20_POLY1305 == 0x4021UL);
static_assert(CKM_AES_KEY_WRAP_KWP == 0x210BUL);
static_assert(CKM_SHA3_256 == 0x2B0UL);
static_assert(CKM_BLAKE2B_512 == 0x401BUL);
static_assert(CKA_WRAP_TEMPLATE == (CKF_ARRAY_ATTRIBUTE | 0x211UL));
static_assert(CKA_UNWRAP_TEMPLATE == 0x40000212UL);
static_assert(CKA_DERIVE_TEMPLATE == 0x40000213UL);
static_assert(CKR_ACTION_PROHIBITED == 0x1BUL);
static_assert(CKR_TOKEN_RESOURCE_EXCEEDED == 0x201UL);
static_assert(CKG_GENERATE_COUNTER_XOR == 4UL);
static_assert(CKF_END_OF_MESSAGE == 1UL && CKF_INTERFACE_FORK_SAFE == 1UL);
static_assert(CKM_ECDSA_KEY_PAIR_GEN == CKM_EC_KEY_PAIR_GEN);
static_assert(CKA_ECDSA_PARAMS == CKA_EC_PARAMS);

// Struct layouts (natural alignment on Unix).
#ifndef _WIN32
static_assert(sizeof(CK_VERSION) == 2);
static_assert(sizeof(CK_ULONG) != 8 || sizeof(CK_INFO) == 88);
static_assert(offsetof(CK_SLOT_INFO, flags) == 96);
static_assert(offsetof(CK_TOKEN_INFO, flags) == 96);
static_assert(offsetof(CK_GCM_PARAMS, ulIvBits) == 2 * sizeof(CK_ULONG));
static_assert(sizeof(CK_GCM_MESSAGE_PARAMS) == 6 * sizeof(CK_ULONG));
static_assert(sizeof(CK_CCM_MESSAGE_PARAMS) == 7 * sizeof(CK_ULONG));
// bExtract and bExpand share the first word.
static_assert(sizeof(CK_HKDF_PARAMS) == 8 * sizeof(CK_ULONG));
static_assert(sizeof(CK_SP800_108_FEEDBACK_KDF_PARAMS) == 7 * sizeof(CK_ULONG));
static_assert(sizeof(CK_C_INITIALIZE_ARGS) == 6 * sizeof(void*));
#endif

// Function tables: the 3.0 table extends the 2.40 table.
constexpr std::size_t kSlot = sizeof(CK_C_Initialize);
static_assert(offsetof(CK_FUNCTION_LIST, C_WaitForSlotEvent) ==
              offsetof(CK_FUNCTION_LIST_3_0, C_WaitForSlotEvent));
static_assert(offsetof(CK_FUNCTION_LIST, C_Initialize) ==
              offsetof(CK_FUNCTION_LIST_3_0, C_Initialize));
static_assert((sizeof(CK_FUNCTION_LIST) - offsetof(CK_FUNCTION_LIST, C_Initialize)) / kSlot == 68);
static_assert((sizeof(CK_FUNCTION_LIST_3_0) - offsetof(CK_FUNCTION_LIST_3_0, C_Initialize)) /
                  kSlot ==
              92);
static_assert(offsetof(CK_FUNCTION_LIST_3_0, C_GetInterfaceList) ==
              offsetof(CK_FUNCTION_LIST_3_0, C_WaitForSlotEvent) + kSlot);
static_assert(offsetof(CK_FUNCTION_LIST_3_0, C_MessageVerifyFinal) ==
              offsetof(CK_FUNCTION_LIST_3_0, C_Initialize) + 91 * kSlot);

// Each prototype has exactly the type of its table entry, checked from the
// X-macro list itself; the same pass counts the entries.
#define CRYPTOKI_FN(name, params, args, version)             \
  static_assert(std::is_same_v<decltype(&name), CK_##name>); \
  static_assert(std::is_same_v<decltype(CK_FUNCTION_LIST_3_0::name), CK_##name>);
#include "pkcs11_functions.inc"
#undef CRYPTOKI_FN

#define CRYPTOKI_FN(name, params, args, version) +((version) == 240 ? 1 : 0)
constexpr int kCount240 = 0
#include "pkcs11_functions.inc"
    ;
#undef CRYPTOKI_FN
#define CRYPTOKI_FN(name, params, args, version) +1
constexpr int kCountAll = 0
#include "pkcs11_functions.inc"
    ;
#undef CRYPTOKI_FN
static_assert(kCount240 == 68);
static_assert(kCountAll == 92);

}  // namespace
