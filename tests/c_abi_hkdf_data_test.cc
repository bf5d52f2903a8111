// CKM_HKDF_DATA through the C ABI: CK_HKDF_PARAMS in, a CKO_DATA object out
// (RFC 5869 A.1), listed for C_DeriveKey only, and a key class refused; a
// data object as the input key (PKCS #11 3.0 §2.43, HKDF derive).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/digest.h>
#include <openssl/hkdf.h>

#include <cstring>
#include <vector>

#include "tests/c_abi_test_util.h"

namespace cryptoki::testing {
namespace {

class CAbiHkdfDataTest : public CAbiTest {
 protected:
  void SetUp() override {
    CAbiTest::SetUp();
    h_ = Open();
    ASSERT_THAT(LoginUser(h_), CkrIs(CKR_OK));
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
    CK_BBOOL yes = CK_TRUE;
    std::vector<CK_BYTE> ikm(22, 0x0b);
    CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof cls},
                           {CKA_KEY_TYPE, &kt, sizeof kt},
                           {CKA_DERIVE, &yes, sizeof yes},
                           {CKA_VALUE, ikm.data(), ikm.size()}};
    ASSERT_THAT(F()->C_CreateObject(h_, tmpl, 4, &base_), CkrIs(CKR_OK));
  }

  // Derive runs C_DeriveKey with a template of |cls| and CKA_VALUE_LEN |len|.
  CK_RV Derive(CK_MECHANISM* m, CK_OBJECT_CLASS cls, CK_ULONG len, CK_OBJECT_HANDLE* out) {
    CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_VALUE_LEN, &len, sizeof len}};
    return F()->C_DeriveKey(h_, m, base_, tmpl, 2, out);
  }

  CK_SESSION_HANDLE h_ = CK_INVALID_HANDLE;
  CK_OBJECT_HANDLE base_ = CK_INVALID_HANDLE;
  CK_BYTE salt_[13] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  CK_BYTE info_[10] = {0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9};
  CK_HKDF_PARAMS params_{CK_TRUE,      CK_TRUE, CKM_SHA256, CKF_HKDF_SALT_DATA, salt_,
                         sizeof salt_, 0,       info_,      sizeof info_};
  CK_MECHANISM mech_{CKM_HKDF_DATA, &params_, sizeof params_};
};

TEST_F(CAbiHkdfDataTest, DerivesADataObject) {
  CK_OBJECT_HANDLE d = CK_INVALID_HANDLE;
  ASSERT_THAT(Derive(&mech_, CKO_DATA, 42, &d), CkrIs(CKR_OK));
  CK_OBJECT_CLASS cls = 0;
  CK_BYTE value[64];
  CK_ATTRIBUTE get[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_VALUE, value, sizeof value}};
  ASSERT_THAT(F()->C_GetAttributeValue(h_, d, get, 2), CkrIs(CKR_OK));
  EXPECT_EQ(cls, CKO_DATA);
  ASSERT_EQ(get[1].ulValueLen, 42u);
  static constexpr CK_BYTE kOkm[42] = {
      0x3c, 0xb2, 0x5f, 0x25, 0xfa, 0xac, 0xd5, 0x7a, 0x90, 0x43, 0x4f, 0x64, 0xd0, 0x36,
      0x2f, 0x2a, 0x2d, 0x2d, 0x0a, 0x90, 0xcf, 0x1a, 0x5a, 0x4c, 0x5d, 0xb0, 0x2d, 0x56,
      0xec, 0xc4, 0xc5, 0xbf, 0x34, 0x00, 0x72, 0x08, 0xd5, 0xb8, 0x87, 0x18, 0x58, 0x65};
  EXPECT_EQ(memcmp(value, kOkm, sizeof kOkm), 0);
  // CKA_VALUE_LEN was the mechanism's input, not an attribute of the object.
  CK_ULONG stored = 0;
  CK_ATTRIBUTE vl{CKA_VALUE_LEN, &stored, sizeof stored};
  EXPECT_THAT(F()->C_GetAttributeValue(h_, d, &vl, 1), CkrIs(CKR_ATTRIBUTE_TYPE_INVALID));
}

// A data object one hash long is an input key when extracting with a salt,
// for CKM_HKDF_DATA and CKM_HKDF_DERIVE alike; expand only, it is no key.
TEST_F(CAbiHkdfDataTest, TakesADataObjectOfOneHashAsTheInputKey) {
  CK_OBJECT_CLASS data_class = CKO_DATA;
  std::vector<CK_BYTE> ikm(32);
  for (size_t i = 0; i < ikm.size(); ++i) ikm[i] = static_cast<CK_BYTE>(7 * i + 1);
  CK_ATTRIBUTE dt[] = {{CKA_CLASS, &data_class, sizeof data_class},
                       {CKA_VALUE, ikm.data(), ikm.size()}};
  CK_OBJECT_HANDLE data = CK_INVALID_HANDLE;
  ASSERT_THAT(F()->C_CreateObject(h_, dt, 2, &data), CkrIs(CKR_OK));
  CK_BYTE want[42];
  ASSERT_TRUE(HKDF(want, sizeof want, EVP_sha256(), ikm.data(), ikm.size(), salt_, sizeof salt_,
                   info_, sizeof info_));

  CK_ULONG len = sizeof want;
  CK_ATTRIBUTE out_tmpl[] = {{CKA_VALUE_LEN, &len, sizeof len}};
  CK_BYTE value[64];
  CK_ATTRIBUTE get{CKA_VALUE, value, sizeof value};
  CK_OBJECT_HANDLE d = CK_INVALID_HANDLE;
  ASSERT_THAT(F()->C_DeriveKey(h_, &mech_, data, out_tmpl, 1, &d), CkrIs(CKR_OK));
  ASSERT_THAT(F()->C_GetAttributeValue(h_, d, &get, 1), CkrIs(CKR_OK));
  ASSERT_EQ(get.ulValueLen, sizeof want);
  EXPECT_EQ(memcmp(value, want, sizeof want), 0);

  CK_BBOOL no = CK_FALSE;
  CK_ATTRIBUTE key_tmpl[] = {{CKA_VALUE_LEN, &len, sizeof len}, {CKA_SENSITIVE, &no, sizeof no}};
  CK_MECHANISM derive{CKM_HKDF_DERIVE, &params_, sizeof params_};
  CK_OBJECT_HANDLE k = CK_INVALID_HANDLE;
  ASSERT_THAT(F()->C_DeriveKey(h_, &derive, data, key_tmpl, 2, &k), CkrIs(CKR_OK));
  get.ulValueLen = sizeof value;
  ASSERT_THAT(F()->C_GetAttributeValue(h_, k, &get, 1), CkrIs(CKR_OK));
  ASSERT_EQ(get.ulValueLen, sizeof want);
  EXPECT_EQ(memcmp(value, want, sizeof want), 0);

  CK_HKDF_PARAMS expand_only = params_;
  expand_only.bExtract = CK_FALSE;
  CK_MECHANISM m{CKM_HKDF_DATA, &expand_only, sizeof expand_only};
  EXPECT_THAT(F()->C_DeriveKey(h_, &m, data, out_tmpl, 1, &d), CkrIs(CKR_KEY_HANDLE_INVALID));
  // Not one hash long for SHA-384.
  CK_HKDF_PARAMS sha384 = params_;
  sha384.prfHashMechanism = CKM_SHA384;
  CK_MECHANISM m384{CKM_HKDF_DATA, &sha384, sizeof sha384};
  EXPECT_THAT(F()->C_DeriveKey(h_, &m384, data, out_tmpl, 1, &d), CkrIs(CKR_KEY_SIZE_RANGE));
}

TEST_F(CAbiHkdfDataTest, RefusesAKeyTemplateAndIsListedForDeriveOnly) {
  CK_OBJECT_CLASS secret = CKO_SECRET_KEY;
  CK_ULONG len = 16;
  CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &secret, sizeof secret}, {CKA_VALUE_LEN, &len, sizeof len}};
  CK_OBJECT_HANDLE d = CK_INVALID_HANDLE;
  EXPECT_THAT(F()->C_DeriveKey(h_, &mech_, base_, tmpl, 2, &d), CkrIs(CKR_TEMPLATE_INCONSISTENT));
  CK_MECHANISM no_params{CKM_HKDF_DATA, nullptr, 0};
  EXPECT_THAT(F()->C_DeriveKey(h_, &no_params, base_, tmpl + 1, 1, &d),
              CkrIs(CKR_MECHANISM_PARAM_INVALID));

  CK_ULONG n = 0;
  ASSERT_THAT(F()->C_GetMechanismList(slot_, nullptr, &n), CkrIs(CKR_OK));
  std::vector<CK_MECHANISM_TYPE> list(n);
  ASSERT_THAT(F()->C_GetMechanismList(slot_, list.data(), &n), CkrIs(CKR_OK));
  EXPECT_THAT(list, ::testing::Contains(CKM_HKDF_DATA));
  CK_MECHANISM_INFO info{};
  ASSERT_THAT(F()->C_GetMechanismInfo(slot_, CKM_HKDF_DATA, &info), CkrIs(CKR_OK));
  EXPECT_EQ(info.flags, CKF_DERIVE);
}

}  // namespace
}  // namespace cryptoki::testing
