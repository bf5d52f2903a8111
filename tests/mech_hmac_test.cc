#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cryptoki/mechanism.h"
#include "tests/mech_test_util.h"
#include "tests/wycheproof.h"

namespace cryptoki::testing {
namespace {

struct HmacFile {
  const char* file;
  CK_MECHANISM_TYPE mech;
  CK_MECHANISM_TYPE general;
  size_t size;
};
constexpr HmacFile kFiles[] = {
    {"hmac_sha1_test.txt", CKM_SHA_1_HMAC, CKM_SHA_1_HMAC_GENERAL, 20},
    {"hmac_sha224_test.txt", CKM_SHA224_HMAC, CKM_SHA224_HMAC_GENERAL, 28},
    {"hmac_sha256_test.txt", CKM_SHA256_HMAC, CKM_SHA256_HMAC_GENERAL, 32},
    {"hmac_sha384_test.txt", CKM_SHA384_HMAC, CKM_SHA384_HMAC_GENERAL, 48},
    {"hmac_sha512_test.txt", CKM_SHA512_HMAC, CKM_SHA512_HMAC_GENERAL, 64},
};

class HmacWycheproofTest : public MechTest, public ::testing::WithParamInterface<HmacFile> {};

TEST_P(HmacWycheproofTest, SignsAndVerifiesEveryVector) {
  const HmacFile f = GetParam();
  auto cases = LoadWycheproof(f.file);
  ASSERT_FALSE(cases.empty());
  int run = 0;
  for (const WycheproofCase& c : cases) {
    SCOPED_TRACE(::testing::Message() << f.file << " tcId " << c.tc_id);
    const Bytes key = c.GetBytes("key");
    if (key.empty()) continue;
    const Bytes msg = c.GetBytes("msg");
    const Bytes tag = c.GetBytes("tag");
    const ObjectHandle k = SecretKey(CKK_GENERIC_SECRET, key);
    const Mechanism m = tag.size() == f.size ? Mechanism{f.mech}
                                             : Mechanism{f.general, mech::UlongParams{tag.size()}};
    ASSERT_THAT(SignInit(s(), m, k), IsOk());
    ASSERT_OK_AND_ASSIGN(Bytes got, RunOneShot(OpKind::kSign, msg));
    EXPECT_EQ(ToHex(got) == ToHex(tag), c.Valid());
    ASSERT_THAT(VerifyInit(s(), m, k), IsOk());
    EXPECT_THAT(s().VerifyOneShot(OpKind::kVerify, msg, tag),
                RvIs(c.Valid() ? Rv::kOk : Rv::kSignatureInvalid));
    // Multi-part, split in the middle.
    ASSERT_THAT(VerifyInit(s(), m, k), IsOk());
    Output none = Output::Query();
    const size_t half = msg.size() / 2;
    ASSERT_THAT(s().Update(OpKind::kVerify, ByteView(msg).first(half), none), IsOk());
    ASSERT_THAT(s().Update(OpKind::kVerify, ByteView(msg).subspan(half), none), IsOk());
    EXPECT_THAT(s().VerifyFinal(OpKind::kVerify, tag),
                RvIs(c.Valid() ? Rv::kOk : Rv::kSignatureInvalid));
    ASSERT_THAT(s().DestroyObject(k), IsOk());
    ++run;
  }
  EXPECT_GT(run, 100);
}

INSTANTIATE_TEST_SUITE_P(All, HmacWycheproofTest, ::testing::ValuesIn(kFiles));

using HmacTest = MechTest;

// RFC 4231 test case 2, and RFC 2202 for MD5.
TEST_F(HmacTest, Rfc4231KnownAnswers) {
  const ObjectHandle k = SecretKey(CKK_GENERIC_SECRET, AsBytes("Jefe"));
  const auto data = AsBytes("what do ya want for nothing?");
  struct {
    CK_MECHANISM_TYPE m;
    const char* want;
  } kCases[] = {
      {CKM_MD5_HMAC, "750c783e6ab0b503eaa86e310a5db738"},
      {CKM_SHA224_HMAC, "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44"},
      {CKM_SHA256_HMAC, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {CKM_SHA512_HMAC,
       "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f"
       "0e"
       "6fdcaeab1a34d4a6b4b636e070a38bce737"},
  };
  for (const auto& c : kCases) {
    ASSERT_THAT(SignInit(s(), Mechanism{c.m}, k), IsOk());
    ASSERT_OK_AND_ASSIGN(Bytes mac, RunOneShot(OpKind::kSign, data));
    EXPECT_EQ(ToHex(mac), c.want);
    ASSERT_THAT(SignInit(s(), Mechanism{c.m}, k), IsOk());
    ASSERT_OK_AND_ASSIGN(Bytes mac2, RunMultiPart(OpKind::kSign, data, 5));
    EXPECT_EQ(ToHex(mac2), c.want);
  }
}

TEST_F(HmacTest, GeneralTruncates) {
  const ObjectHandle k = SecretKey(CKK_GENERIC_SECRET, AsBytes("Jefe"));
  ASSERT_THAT(SignInit(s(), Mechanism{CKM_SHA256_HMAC_GENERAL, mech::UlongParams{10}}, k), IsOk());
  ASSERT_OK_AND_ASSIGN(Bytes mac,
                       RunOneShot(OpKind::kSign, AsBytes("what do ya want for nothing?")));
  EXPECT_EQ(ToHex(mac), "5bdcc146bf60754e6a04");
}

TEST_F(HmacTest, GeneralLengthBeyondDigestIsParamInvalid) {
  const ObjectHandle k = SecretKey(CKK_GENERIC_SECRET, AsBytes("Jefe"));
  EXPECT_THAT(SignInit(s(), Mechanism{CKM_SHA256_HMAC_GENERAL, mech::UlongParams{33}}, k),
              RvIs(Rv::kMechanismParamInvalid));
  EXPECT_THAT(SignInit(s(), Mechanism{CKM_SHA256_HMAC_GENERAL, mech::UlongParams{0}}, k),
              RvIs(Rv::kMechanismParamInvalid));
  EXPECT_THAT(SignInit(s(), Mechanism{CKM_SHA256_HMAC_GENERAL}, k),
              RvIs(Rv::kMechanismParamInvalid));
  EXPECT_THAT(SignInit(s(), Mechanism{CKM_SHA256_HMAC, mech::UlongParams{16}}, k),
              RvIs(Rv::kMechanismParamInvalid));
}

TEST_F(HmacTest, WrongLengthSignatureIsSignatureLenRange) {
  const ObjectHandle k = SecretKey(CKK_GENERIC_SECRET, AsBytes("Jefe"));
  ASSERT_THAT(VerifyInit(s(), Mechanism{CKM_SHA256_HMAC}, k), IsOk());
  EXPECT_THAT(s().VerifyOneShot(OpKind::kVerify, AsBytes("x"), Bytes(31)),
              RvIs(Rv::kSignatureLenRange));
  ASSERT_THAT(VerifyInit(s(), Mechanism{CKM_SHA256_HMAC}, k), IsOk());
  EXPECT_THAT(s().VerifyOneShot(OpKind::kVerify, AsBytes("x"), Bytes(32)),
              RvIs(Rv::kSignatureInvalid));
}

TEST_F(HmacTest, KeyWithoutSignIsKeyFunctionNotPermitted) {
  const ObjectHandle k = SecretKey(CKK_GENERIC_SECRET, AsBytes("Jefe"), {attr::Sign{false}});
  EXPECT_THAT(SignInit(s(), Mechanism{CKM_SHA256_HMAC}, k), RvIs(Rv::kKeyFunctionNotPermitted));
  EXPECT_THAT(VerifyInit(s(), Mechanism{CKM_SHA256_HMAC}, k), IsOk());
}

TEST_F(HmacTest, AllowedMechanismsRestrictsKey) {
  const ObjectHandle k =
      SecretKey(CKK_GENERIC_SECRET, AsBytes("Jefe"), {attr::AllowedMechanisms{{CKM_SHA384_HMAC}}});
  EXPECT_THAT(SignInit(s(), Mechanism{CKM_SHA256_HMAC}, k), RvIs(Rv::kMechanismInvalid));
  EXPECT_THAT(SignInit(s(), Mechanism{CKM_SHA384_HMAC}, k), IsOk());
}

TEST_F(HmacTest, AesKeyIsKeyTypeInconsistent) {
  const ObjectHandle k = SecretKey(CKK_AES, Bytes(16, 1));
  EXPECT_THAT(SignInit(s(), Mechanism{CKM_SHA256_HMAC}, k), RvIs(Rv::kKeyTypeInconsistent));
}

TEST_F(HmacTest, MatchingHmacKeyTypeIsAcceptedOtherIsNot) {
  const ObjectHandle k = SecretKey(CKK_SHA256_HMAC, Bytes(32, 1));
  EXPECT_THAT(SignInit(s(), Mechanism{CKM_SHA256_HMAC}, k), IsOk());
  s().Cancel(OpKind::kSign);
  EXPECT_THAT(SignInit(s(), Mechanism{CKM_SHA512_HMAC}, k), RvIs(Rv::kKeyTypeInconsistent));
}

TEST_F(HmacTest, BadKeyHandleIsKeyHandleInvalid) {
  EXPECT_THAT(SignInit(s(), Mechanism{CKM_SHA256_HMAC}, ObjectHandle(123456)),
              RvIs(Rv::kKeyHandleInvalid));
}

TEST_F(HmacTest, GenerateKeyMakesUsableHmacKey) {
  ASSERT_OK_AND_ASSIGN(ObjectHandle k, GenerateKey(s(), Mechanism{CKM_SHA256_KEY_GEN},
                                                   {attr::ValueLen{32}, attr::Sign{true}}));
  EXPECT_THAT(s().Get<attr::KeyType>(k), ::testing::Optional(CKK_SHA256_HMAC));
  EXPECT_THAT(s().Get<attr::Local>(k), ::testing::Optional(true));
  EXPECT_THAT(s().Get<attr::KeyGenMechanism>(k), ::testing::Optional(CKM_SHA256_KEY_GEN));
  EXPECT_THAT(s().Get<attr::ValueLen>(k), ::testing::Optional(32u));
  ASSERT_THAT(SignInit(s(), Mechanism{CKM_SHA256_HMAC}, k), IsOk());
  ASSERT_OK_AND_ASSIGN(Bytes mac, RunOneShot(OpKind::kSign, AsBytes("x")));
  ASSERT_THAT(VerifyInit(s(), Mechanism{CKM_SHA256_HMAC}, k), IsOk());
  EXPECT_THAT(s().VerifyOneShot(OpKind::kVerify, AsBytes("x"), mac), IsOk());
}

TEST_F(HmacTest, GenericSecretKeyGenRules) {
  EXPECT_THAT(GenerateKey(s(), Mechanism{CKM_GENERIC_SECRET_KEY_GEN}, {}),
              RvIs(Rv::kTemplateIncomplete));
  EXPECT_THAT(GenerateKey(s(), Mechanism{CKM_GENERIC_SECRET_KEY_GEN},
                          {attr::ValueLen{16}, attr::KeyType{CKK_AES}}),
              RvIs(Rv::kTemplateInconsistent));
  EXPECT_THAT(GenerateKey(s(), Mechanism{CKM_GENERIC_SECRET_KEY_GEN}, {attr::ValueLen{0}}),
              RvIs(Rv::kKeySizeRange));
  EXPECT_THAT(GenerateKey(s(), Mechanism{CKM_GENERIC_SECRET_KEY_GEN}, {attr::ValueLen{20}}),
              IsOk());
  EXPECT_THAT(GenerateKey(s(), Mechanism{CKM_GENERIC_SECRET_KEY_GEN, mech::RawParams{{1}}},
                          {attr::ValueLen{20}}),
              RvIs(Rv::kMechanismParamInvalid));
  EXPECT_THAT(GenerateKey(s(), Mechanism{CKM_SHA256_HMAC}, {attr::ValueLen{20}}),
              RvIs(Rv::kMechanismInvalid));
}

TEST_F(HmacTest, GenerateSensitiveKeyIsAlwaysSensitive) {
  ASSERT_OK_AND_ASSIGN(ObjectHandle k, GenerateKey(s(), Mechanism{CKM_GENERIC_SECRET_KEY_GEN},
                                                   {attr::ValueLen{16}, attr::Sensitive{true},
                                                    attr::Extractable{false}}));
  EXPECT_THAT(s().Get<attr::AlwaysSensitive>(k), ::testing::Optional(true));
  EXPECT_THAT(s().Get<attr::NeverExtractable>(k), ::testing::Optional(true));
  EXPECT_THAT(s().GetAttribute(k, CKA_VALUE), RvIs(Rv::kAttributeSensitive));
}

TEST(HmacInfoTest, InfoReportsSignVerifyAndByteSizes) {
  auto info = GetMechanismInfo(TestConfig(), CKM_SHA256_HMAC);
  ASSERT_TRUE(info.has_value());
  // The message API signs with every signature mechanism (mech/message.h).
  EXPECT_EQ(info->flags,
            CKF_SIGN | CKF_VERIFY | CKF_MESSAGE_SIGN | CKF_MESSAGE_VERIFY | CKF_MULTI_MESSAGE);
  EXPECT_EQ(info->min_key_size, 1u);
  auto gen = GetMechanismInfo(TestConfig(), CKM_GENERIC_SECRET_KEY_GEN);
  ASSERT_TRUE(gen.has_value());
  EXPECT_EQ(gen->flags, CKF_GENERATE);
}

}  // namespace
}  // namespace cryptoki::testing
