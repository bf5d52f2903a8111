// A host program linked with Debian's OpenSSL 3 uses OpenSSL first, then
// dlopens libcryptoki.so: the module's BoringSSL must not bind to OpenSSL's
// symbols (or the reverse). C_GenerateRandom and a SHA-256 C_Digest run
// BoringSSL code; the digest must equal OpenSSL's.
#include <dlfcn.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstring>

#define CRYPTOKI_NO_PROTOTYPES
#include "pkcs11.h"
#include "tests/module_util.h"

namespace cryptoki::testing {
namespace {

TEST(ModuleOpensslHostTest, DigestInsideAnOpensslProcessMatchesOpenssl) {
  // OpenSSL first, so its symbols are bound in the process.
  const unsigned char data[] = "the quick brown fox";
  const size_t data_len = sizeof data - 1;
  unsigned char want[SHA256_DIGEST_LENGTH];
  ASSERT_NE(SHA256(data, data_len, want), nullptr);
  ASSERT_NE(EVP_get_digestbyname("SHA256"), nullptr);

  // RTLD_NODELETE keeps the module mapped after dlclose, so what its
  // libraries cache for the life of the process (BoringSSL's and Abseil's
  // static tables) stays reachable for LeakSanitizer.
  void* lib = dlopen(ModulePath().c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  ASSERT_NE(lib, nullptr) << dlerror();
  auto get_list = reinterpret_cast<CK_C_GetFunctionList>(dlsym(lib, "C_GetFunctionList"));
  ASSERT_NE(get_list, nullptr);
  // BoringSSL's own names are not visible.
  EXPECT_EQ(dlsym(lib, "SHA256_Init"), nullptr);
  CK_FUNCTION_LIST_PTR f = nullptr;
  ASSERT_EQ(get_list(&f), CKR_OK);

  CK_C_INITIALIZE_ARGS args{};
  args.flags = CKF_OS_LOCKING_OK;
  args.pReserved = const_cast<char*>("objectstore.backend = memory\npin.kdf_log2n = 4\n");
  ASSERT_EQ(f->C_Initialize(&args), CKR_OK);
  CK_UTF8CHAR label[32];
  memset(label, ' ', sizeof label);
  CK_UTF8CHAR so_pin[] = "so-pin-1234";
  ASSERT_EQ(f->C_InitToken(0, so_pin, strlen(reinterpret_cast<char*>(so_pin)), label), CKR_OK);
  CK_SESSION_HANDLE h;
  ASSERT_EQ(f->C_OpenSession(0, CKF_SERIAL_SESSION, nullptr, nullptr, &h), CKR_OK);

  CK_BYTE random[64] = {};
  ASSERT_EQ(f->C_GenerateRandom(h, random, sizeof random), CKR_OK);
  CK_BYTE zero[64] = {};
  EXPECT_NE(memcmp(random, zero, sizeof random), 0);

  CK_MECHANISM m{CKM_SHA256, nullptr, 0};
  ASSERT_EQ(f->C_DigestInit(h, &m), CKR_OK);
  CK_BYTE got[32];
  CK_ULONG got_len = sizeof got;
  ASSERT_EQ(f->C_Digest(h, const_cast<CK_BYTE*>(data), data_len, got, &got_len), CKR_OK);
  ASSERT_EQ(got_len, 32u);
  EXPECT_EQ(memcmp(got, want, 32), 0);

  // OpenSSL still works after the module ran.
  unsigned char again[SHA256_DIGEST_LENGTH];
  SHA256(data, data_len, again);
  EXPECT_EQ(memcmp(again, want, 32), 0);

  EXPECT_EQ(f->C_Finalize(nullptr), CKR_OK);
  EXPECT_EQ(dlclose(lib), 0);
}

}  // namespace
}  // namespace cryptoki::testing
