/* Compile-time checks of pkcs11.h from C. Nothing to run: it passes if
 *   gcc -std=c99 -Wall -Wextra -Werror -pedantic -c pkcs11_header_check.c
 * compiles. _Static_assert is C11; __extension__ lets GCC and Clang accept
 * it in C99 pedantic mode. */
#include <stddef.h>

#include "pkcs11.h"

#if defined(__GNUC__) || defined(__clang__)
#define CHECK(cond, msg) __extension__ _Static_assert(cond, msg)
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define CHECK(cond, msg) _Static_assert(cond, msg)
#else
#define CHECK_JOIN2(a, b) a##b
#define CHECK_JOIN(a, b) CHECK_JOIN2(a, b)
#define CHECK(cond, msg) typedef char CHECK_JOIN(check_at_line_, __LINE__)[(cond) ? 1 : -1]
#endif

/* Scalar widths. */
CHECK(sizeof(CK_ULONG) == sizeof(unsigned long), "CK_ULONG is unsigned long");
CHECK(sizeof(CK_LONG) == sizeof(long), "CK_LONG is long");
CHECK(sizeof(CK_BYTE) == 1 && sizeof(CK_BBOOL) == 1, "byte types");
CHECK(sizeof(CK_FLAGS) == sizeof(CK_ULONG), "CK_FLAGS is a CK_ULONG");
CHECK(CRYPTOKI_VERSION_MAJOR == 3 && CRYPTOKI_VERSION_MINOR == 0, "3.0");

/* Key constant values. */
CHECK(CKR_VENDOR_DEFINED == 0x80000000UL, "CKR_VENDOR_DEFINED");
CHECK(CKM_VENDOR_DEFINED == 0x80000000UL, "CKM_VENDOR_DEFINED");
CHECK(CKM_AES_GCM == 0x1087UL, "CKM_AES_GCM");
CHECK(CKM_HKDF_DERIVE == 0x402AUL, "CKM_HKDF_DERIVE");
CHECK(CKM_EDDSA == 0x1057UL, "CKM_EDDSA");
CHECK(CKM_SP800_108_COUNTER_KDF == 0x3ACUL, "CKM_SP800_108_COUNTER_KDF");
CHECK(CKA_WRAP_TEMPLATE == (CKF_ARRAY_ATTRIBUTE | 0x211UL), "wrap template");
CHECK(CKA_ALLOWED_MECHANISMS == 0x40000600UL, "CKA_ALLOWED_MECHANISMS");
CHECK(CKR_PIN_TOO_WEAK == 0x1B8UL, "CKR_PIN_TOO_WEAK");
CHECK(CKR_OPERATION_CANCEL_FAILED == 0x202UL, "CKR_OPERATION_CANCEL_FAILED");
CHECK(CKK_EC_EDWARDS == 0x40UL, "CKK_EC_EDWARDS");
CHECK(CKK_ECDSA == CKK_EC, "deprecated alias");
CHECK(CK_UNAVAILABLE_INFORMATION == (CK_ULONG)-1, "unavailable");

/* Struct layouts (LP64 / ILP32 natural alignment on Unix). */
#ifndef _WIN32
CHECK(sizeof(CK_VERSION) == 2, "CK_VERSION");
CHECK(sizeof(CK_ATTRIBUTE) == 3 * sizeof(CK_ULONG), "CK_ATTRIBUTE");
CHECK(sizeof(CK_MECHANISM) == 3 * sizeof(CK_ULONG), "CK_MECHANISM");
CHECK(sizeof(CK_DATE) == 8, "CK_DATE");
CHECK(offsetof(CK_TOKEN_INFO, flags) == 96, "CK_TOKEN_INFO.flags");
CHECK(sizeof(CK_GCM_PARAMS) == 6 * sizeof(CK_ULONG), "CK_GCM_PARAMS");
CHECK(offsetof(CK_GCM_PARAMS, ulIvBits) == 2 * sizeof(CK_ULONG), "ulIvBits");
CHECK(sizeof(CK_SP800_108_KDF_PARAMS) == 5 * sizeof(CK_ULONG),
      "pAdditionalDerivedKeys is a pointer");
CHECK(sizeof(CK_INTERFACE) == 3 * sizeof(CK_ULONG), "CK_INTERFACE");
#endif

/* Function tables: the 3.0 table starts with the 2.40 table. */
#define FN_SLOT sizeof(CK_C_Initialize)
CHECK(offsetof(CK_FUNCTION_LIST, C_Initialize) == offsetof(CK_FUNCTION_LIST_3_0, C_Initialize),
      "first entry");
CHECK(offsetof(CK_FUNCTION_LIST, C_WaitForSlotEvent) ==
          offsetof(CK_FUNCTION_LIST_3_0, C_WaitForSlotEvent),
      "2.40 prefix");
CHECK(offsetof(CK_FUNCTION_LIST_3_0, C_GetInterfaceList) ==
          offsetof(CK_FUNCTION_LIST_3_0, C_WaitForSlotEvent) + FN_SLOT,
      "3.0 additions follow C_WaitForSlotEvent");
CHECK((sizeof(CK_FUNCTION_LIST) - offsetof(CK_FUNCTION_LIST, C_Initialize)) / FN_SLOT == 68,
      "68 functions in 2.40");
CHECK((sizeof(CK_FUNCTION_LIST_3_0) - offsetof(CK_FUNCTION_LIST_3_0, C_Initialize)) / FN_SLOT == 92,
      "92 functions in 3.0");
CHECK(offsetof(CK_FUNCTION_LIST_3_0, C_MessageVerifyFinal) ==
          offsetof(CK_FUNCTION_LIST_3_0, C_Initialize) + 91 * FN_SLOT,
      "C_MessageVerifyFinal is last");

/* The same counts from the X-macro list itself. */
#define CRYPTOKI_FN(name, params, args, version) +((version) == 240)
enum {
  kCount240 = 0
#include "pkcs11_functions.inc"
};
#undef CRYPTOKI_FN
#define CRYPTOKI_FN(name, params, args, version) +1
enum {
  kCountAll = 0
#include "pkcs11_functions.inc"
};
#undef CRYPTOKI_FN
CHECK(kCount240 == 68, "list: 68 functions at 240");
CHECK(kCountAll == 92, "list: 92 functions in all");

/* The prototypes and the pointer types agree. */
static CK_C_GetFunctionList const get_function_list = C_GetFunctionList;
static CK_C_GetInterface const get_interface = C_GetInterface;
static CK_C_DecryptMessageNext const decrypt_message_next = C_DecryptMessageNext;

/* Referenced so that -Wunused does not fire. */
int pkcs11_header_check_c(void);
int pkcs11_header_check_c(void) {
  return get_function_list != 0 && get_interface != 0 && decrypt_message_next != 0;
}
