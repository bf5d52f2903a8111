// c_abi_test_util.h: helpers for the tests that drive the C adapter through
// its function table (in-process, //cryptoki_c:cryptoki_c).
//
//   class MyTest : public CAbiTest {};   // C_Initialize in SetUp, C_Finalize in TearDown
//   EXPECT_THAT(f()->C_Login(h, CKU_USER, Pin(kUserPin), Len(kUserPin)), CkrIs(CKR_OK));
#ifndef CRYPTOKI_TESTS_C_ABI_TEST_UTIL_H_
#define CRYPTOKI_TESTS_C_ABI_TEST_UTIL_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "cryptoki/rv.h"
#include "pkcs11.h"

namespace cryptoki::testing {

// CkrName names a CK_RV for failure messages.
inline std::string CkrName(CK_RV rv) { return to_string(static_cast<Rv>(rv)); }

// CkrIs matches a CK_RV equal to |want|, printing both names.
MATCHER_P(CkrIs, want, "returns " + CkrName(want)) {
  if (arg != want) *result_listener << "got " << CkrName(arg);
  return arg == want;
}

inline constexpr char kCSoPin[] = "so-pin-1234";
inline constexpr char kCUserPin[] = "user-pin-1234";

// kMemoryConfig is inline config text for pReserved: an in-memory store,
// a cheap PIN KDF and three tries before a PIN locks.
inline constexpr char kMemoryConfig[] =
    "objectstore.backend = memory\npin.kdf_log2n = 4\npin.max_failures = 3\n";

inline CK_UTF8CHAR_PTR Pin(const char* s) {
  return reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(s));
}
inline CK_ULONG Len(const char* s) { return strlen(s); }

// F returns the 3.0 function table.
inline CK_FUNCTION_LIST_3_0* F() {
  CK_INTERFACE* i = nullptr;
  CK_VERSION v{3, 0};
  if (C_GetInterface(Pin("PKCS 11"), &v, &i, 0) != CKR_OK) std::abort();
  return static_cast<CK_FUNCTION_LIST_3_0*>(i->pFunctionList);
}

// InitArgs returns C_Initialize arguments carrying |config| in pReserved.
inline CK_C_INITIALIZE_ARGS InitArgs(const char* config = kMemoryConfig) {
  CK_C_INITIALIZE_ARGS a{};
  a.flags = CKF_OS_LOCKING_OK;
  a.pReserved = const_cast<char*>(config);
  return a;
}

// Label32 returns |s| blank-padded to 32 bytes.
inline std::string Label32(const std::string& s) {
  std::string l = s;
  l.resize(32, ' ');
  return l;
}

// CAbiTest initialises the library with kMemoryConfig and, in slot 0, a
// token with the SO PIN kCSoPin and the user PIN kCUserPin.
class CAbiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CK_C_INITIALIZE_ARGS a = InitArgs();
    ASSERT_THAT(F()->C_Initialize(&a), CkrIs(CKR_OK));
    std::string label = Label32("c-abi");
    ASSERT_THAT(F()->C_InitToken(slot_, Pin(kCSoPin), Len(kCSoPin), Pin(label.c_str())),
                CkrIs(CKR_OK));
    if (with_user_pin_) {
      CK_SESSION_HANDLE h = Open(CKF_SERIAL_SESSION | CKF_RW_SESSION);
      ASSERT_THAT(F()->C_Login(h, CKU_SO, Pin(kCSoPin), Len(kCSoPin)), CkrIs(CKR_OK));
      ASSERT_THAT(F()->C_InitPIN(h, Pin(kCUserPin), Len(kCUserPin)), CkrIs(CKR_OK));
      ASSERT_THAT(F()->C_Logout(h), CkrIs(CKR_OK));
      ASSERT_THAT(F()->C_CloseSession(h), CkrIs(CKR_OK));
    }
  }
  void TearDown() override { EXPECT_THAT(F()->C_Finalize(nullptr), CkrIs(CKR_OK)); }

  // Open opens a session on slot 0 (0 on failure, with a test failure).
  CK_SESSION_HANDLE Open(CK_FLAGS flags = CKF_SERIAL_SESSION | CKF_RW_SESSION) {
    CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
    EXPECT_THAT(F()->C_OpenSession(slot_, flags, nullptr, nullptr, &h), CkrIs(CKR_OK));
    return h;
  }
  CK_RV LoginUser(CK_SESSION_HANDLE h) {
    return F()->C_Login(h, CKU_USER, Pin(kCUserPin), Len(kCUserPin));
  }
  CK_RV LoginSo(CK_SESSION_HANDLE h) { return F()->C_Login(h, CKU_SO, Pin(kCSoPin), Len(kCSoPin)); }
  CK_STATE State(CK_SESSION_HANDLE h) {
    CK_SESSION_INFO info{};
    EXPECT_THAT(F()->C_GetSessionInfo(h, &info), CkrIs(CKR_OK));
    return info.state;
  }

  // CreateData makes a data object; |token| and |priv| set CKA_TOKEN and
  // CKA_PRIVATE.
  CK_OBJECT_HANDLE CreateData(CK_SESSION_HANDLE h, bool token, bool priv,
                              const std::string& label = "data") {
    CK_OBJECT_CLASS cls = CKO_DATA;
    CK_BBOOL t = token ? CK_TRUE : CK_FALSE;
    CK_BBOOL p = priv ? CK_TRUE : CK_FALSE;
    CK_BYTE value[] = {1, 2, 3};
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof cls},
        {CKA_TOKEN, &t, sizeof t},
        {CKA_PRIVATE, &p, sizeof p},
        {CKA_LABEL, const_cast<char*>(label.data()), label.size()},
        {CKA_VALUE, value, sizeof value},
    };
    CK_OBJECT_HANDLE o = CK_INVALID_HANDLE;
    EXPECT_THAT(F()->C_CreateObject(h, tmpl, 5, &o), CkrIs(CKR_OK));
    return o;
  }

  // FindAll returns every object the session can see.
  std::vector<CK_OBJECT_HANDLE> FindAll(CK_SESSION_HANDLE h) {
    std::vector<CK_OBJECT_HANDLE> out(256);
    CK_ULONG n = 0;
    EXPECT_THAT(F()->C_FindObjectsInit(h, nullptr, 0), CkrIs(CKR_OK));
    EXPECT_THAT(F()->C_FindObjects(h, out.data(), out.size(), &n), CkrIs(CKR_OK));
    EXPECT_THAT(F()->C_FindObjectsFinal(h), CkrIs(CKR_OK));
    out.resize(n);
    return out;
  }

  CK_SLOT_ID slot_ = 0;
  bool with_user_pin_ = true;
};

}  // namespace cryptoki::testing

#endif  // CRYPTOKI_TESTS_C_ABI_TEST_UTIL_H_
