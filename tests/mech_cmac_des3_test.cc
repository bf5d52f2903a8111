#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cryptoki/mechanism.h"
#include "tests/cipher_state_util.h"
#include "tests/mech_test_util.h"
#include "tests/wycheproof.h"

namespace cryptoki::testing {
namespace {

using CmacTest = MechTest;

TEST_F(CmacTest, Wycheproof) {
  auto cases = LoadWycheproof("aes_cmac_test.txt");
  ASSERT_FALSE(cases.empty());
  int run = 0;
  for (const WycheproofCase& c : cases) {
    SCOPED_TRACE(::testing::Message() << "tcId " << c.tc_id);
    const Bytes key = c.GetBytes("key");
    if (key.size() != 16 && key.size() != 24 && key.size() != 32) {
      EXPECT_FALSE(c.Valid());
      continue;
    }
    const Bytes msg = c.GetBytes("msg"), tag = c.GetBytes("tag");
    const ObjectHandle k = SecretKey(CKK_AES, key);
    const Mechanism m = tag.size() == 16
                            ? Mechanism{CKM_AES_CMAC}
                            : Mechanism{CKM_AES_CMAC_GENERAL, mech::UlongParams{tag.size()}};
    ASSERT_THAT(SignInit(s(), m, k), IsOk());
    ASSERT_OK_AND_ASSIGN(Bytes got, RunMultiPart(OpKind::kSign, msg, 5));
    EXPECT_EQ(got == tag, c.Valid());
    ASSERT_THAT(VerifyInit(s(), m, k), IsOk());
    EXPECT_THAT(s().VerifyOneShot(OpKind::kVerify, msg, tag),
                RvIs(c.Valid() ? Rv::kOk : Rv::kSignatureInvalid));
    ASSERT_THAT(s().DestroyObject(k), IsOk());
    ++run;
  }
  EXPECT_GT(run, 100);
}

TEST_F(CmacTest, Sp800_38bExamples) {
  const ObjectHandle k = SecretKey(CKK_AES, Hex("2b7e151628aed2a6abf7158809cf4f3c"));
  struct {
    const char* msg;
    const char* mac;
  } kCases[] = {
      {"", "bb1d6929e95937287fa37d129b756746"},
      {"6bc1bee22e409f96e93d7e117393172a", "070a16b46b4d4144f79bdd9dd04a287c"},
      {"6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411",
       "dfa66747de9ae63030ca32611497c827"},
  };
  for (const auto& c : kCases) {
    ASSERT_THAT(SignInit(s(), Mechanism{CKM_AES_CMAC}, k), IsOk());
    ASSERT_OK_AND_ASSIGN(Bytes mac, RunOneShot(OpKind::kSign, Hex(c.msg)));
    EXPECT_EQ(ToHex(mac), c.mac);
  }
}

TEST_F(CmacTest, Errors) {
  const ObjectHandle k = SecretKey(CKK_AES, Bytes(16, 3));
  EXPECT_THAT(SignInit(s(), Mechanism{CKM_AES_CMAC_GENERAL, mech::UlongParams{17}}, k),
              RvIs(Rv::kMechanismParamInvalid));
  EXPECT_THAT(EncryptInit(s(), Mechanism{CKM_AES_CMAC}, k), RvIs(Rv::kMechanismInvalid));
  ASSERT_THAT(VerifyInit(s(), Mechanism{CKM_AES_CMAC}, k), IsOk());
  EXPECT_THAT(s().VerifyOneShot(OpKind::kVerify, Bytes(3), Bytes(15)),
              RvIs(Rv::kSignatureLenRange));
  const ObjectHandle g = SecretKey(CKK_GENERIC_SECRET, Bytes(16, 3));
  EXPECT_THAT(SignInit(s(), Mechanism{CKM_AES_CMAC}, g), RvIs(Rv::kKeyTypeInconsistent));
}

using Des3Test = MechTest;

// FIPS 81 examples with K1 = K2 = K3 (so 3DES is single DES).
TEST_F(Des3Test, KnownAnswers) {
  const Bytes k1 = Hex("0123456789abcdef");
  Bytes key;
  for (int i = 0; i < 3; ++i) key.insert(key.end(), k1.begin(), k1.end());
  const ObjectHandle k = SecretKey(CKK_DES3, key);
  ASSERT_THAT(EncryptInit(s(), Mechanism{CKM_DES3_ECB}, k), IsOk());
  ASSERT_OK_AND_ASSIGN(Bytes ecb, RunOneShot(OpKind::kEncrypt, AsBytes("Now is t")));
  EXPECT_EQ(ToHex(ecb), "3fa40e8a984d4815");
  const Mechanism cbc{CKM_DES3_CBC, mech::RawParams{Hex("1234567890abcdef")}};
  ASSERT_THAT(EncryptInit(s(), cbc, k), IsOk());
  ASSERT_OK_AND_ASSIGN(Bytes ct,
                       RunMultiPart(OpKind::kEncrypt, AsBytes("Now is the time for all "), 5));
  EXPECT_EQ(ToHex(ct), "e5c7cdde872bf27c43e934008c389c0f683788499a7c05f6");
  ASSERT_THAT(DecryptInit(s(), cbc, k), IsOk());
  ASSERT_OK_AND_ASSIGN(Bytes pt, RunOneShot(OpKind::kDecrypt, ct));
  EXPECT_EQ(AsStringView(pt), "Now is the time for all ");
}

TEST_F(Des3Test, CbcPadRoundTripAndErrors) {
  ASSERT_OK_AND_ASSIGN(ObjectHandle k, GenerateKey(s(), Mechanism{CKM_DES3_KEY_GEN}, {}));
  const Mechanism m{CKM_DES3_CBC_PAD, mech::RawParams{Bytes(8, 1)}};
  for (size_t n : {0, 1, 7, 8, 9, 31}) {
    const Bytes msg(n, 0x5a);
    ASSERT_THAT(EncryptInit(s(), m, k), IsOk());
    ASSERT_OK_AND_ASSIGN(Bytes ct, RunOneShot(OpKind::kEncrypt, msg));
    EXPECT_EQ(ct.size(), (n / 8 + 1) * 8);
    ASSERT_THAT(DecryptInit(s(), m, k), IsOk());
    ASSERT_OK_AND_ASSIGN(Bytes pt, RunMultiPart(OpKind::kDecrypt, ct, 3));
    EXPECT_EQ(pt, msg);
  }
  ASSERT_THAT(DecryptInit(s(), m, k), IsOk());
  EXPECT_THAT(RunOneShot(OpKind::kDecrypt, Bytes(12)), RvIs(Rv::kEncryptedDataLenRange));
  EXPECT_THAT(EncryptInit(s(), Mechanism{CKM_DES3_CBC, mech::RawParams{Bytes(16)}}, k),
              RvIs(Rv::kMechanismParamInvalid));
  EXPECT_THAT(GenerateKey(s(), Mechanism{CKM_DES3_KEY_GEN}, {attr::ValueLen{24}}),
              RvIs(Rv::kAttributeTypeInvalid));
  auto info = GetMechanismInfo(TestConfig(), CKM_DES3_CBC);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->min_key_size, 192u);
}

TEST_F(Des3Test, SavedStatesResumeInAnotherSession) {
  ASSERT_OK_AND_ASSIGN(ObjectHandle k, GenerateKey(s(), Mechanism{CKM_DES3_KEY_GEN}, {}));
  const ByteView plain = AsBytes("Now is the time for all good men");
  ExpectStatesResume(*this, Mechanism{CKM_DES3_ECB}, k, plain, {0, 8, 24, 32});
  ExpectStatesResume(*this, Mechanism{CKM_DES3_CBC, mech::RawParams{Bytes(8, 3)}}, k, plain,
                     {0, 8, 16, 32});
  ExpectStatesResume(*this, Mechanism{CKM_DES3_CBC_PAD, mech::RawParams{Bytes(8, 3)}}, k,
                     plain.first(21), {0, 3, 8, 13, 21});
}

}  // namespace
}  // namespace cryptoki::testing
