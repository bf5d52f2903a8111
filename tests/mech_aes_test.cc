#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cryptoki/mechanism.h"
#include "tests/cipher_state_util.h"
#include "tests/mech_test_util.h"
#include "tests/wycheproof.h"

namespace cryptoki::testing {
namespace {

// NIST SP 800-38A F.1.1, F.2.1, F.5.1.
constexpr char kKey[] = "2b7e151628aed2a6abf7158809cf4f3c";
constexpr char kPlain[] =
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52"
    "e"
    "ff69f2445df4f9b17ad2b417be66c3710";
constexpr char kEcb[] =
    "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf43b1cd7f598ece23881b00e3ed0306"
    "8"
    "87b0c785e27e8ad3f8223207104725dd4";
constexpr char kCbcIv[] = "000102030405060708090a0b0c0d0e0f";
constexpr char kCbc[] =
    "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b273bed6b8e3c1743b7116e69e222295"
    "1"
    "63ff1caa1681fac09120eca307586e1a7";
constexpr char kCtrBlock[] = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
constexpr char kCtr[] =
    "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff5ae4df3edbd5d35e5b4f09020db03e"
    "a"
    "b1e031dda2fbe03d1792170a0f3009cee";

mech::AesCtrParams Ctr(std::string_view block, CK_ULONG bits = 128) {
  mech::AesCtrParams p;
  p.counter_bits = bits;
  Bytes b = Hex(block);
  std::copy(b.begin(), b.end(), p.cb.begin());
  return p;
}

struct ModeCase {
  const char* name;
  Mechanism m;
  const char* plain;
  const char* cipher;
};

std::vector<ModeCase> ModeCases() {
  return {
      {"ecb", Mechanism{CKM_AES_ECB}, kPlain, kEcb},
      {"cbc", Mechanism{CKM_AES_CBC, mech::RawParams{Hex(kCbcIv)}}, kPlain, kCbc},
      {"ctr", Mechanism{CKM_AES_CTR, Ctr(kCtrBlock)}, kPlain, kCtr},
      // RFC 3962 appendix B (AES-128 CTS, IV zero).
      {"cts17", Mechanism{CKM_AES_CTS, mech::RawParams{Bytes(16)}},
       "4920776f756c64206c696b652074686520", "c6353568f2bf8cb4d8a580362da7ff7f97"},
      {"cts31", Mechanism{CKM_AES_CTS, mech::RawParams{Bytes(16)}},
       "4920776f756c64206c696b65207468652047656e6572616c20476175277320",
       "fc00783e0efdb2c1d445d4c8eff7ed2297687268d6ecccc0c07b25e25ecfe5"},
      {"cts32", Mechanism{CKM_AES_CTS, mech::RawParams{Bytes(16)}},
       "4920776f756c64206c696b65207468652047656e6572616c2047617527732043",
       "39312523a78662d5be7fcbcc98ebf5a897687268d6ecccc0c07b25e25ecfe584"},
  };
}

class AesModeTest : public MechTest, public ::testing::WithParamInterface<size_t> {};

TEST_P(AesModeTest, KnownAnswersOneShotAndMultiPart) {
  const size_t chunk = GetParam();
  const Bytes key = Hex(chunk == 0 ? kKey : kKey);
  for (const ModeCase& c : ModeCases()) {
    SCOPED_TRACE(c.name);
    const ObjectHandle k =
        SecretKey(CKK_AES, c.name[0] == 'c' && c.name[1] == 't' && c.name[2] == 's'
                               ? Hex("636869636b656e207465726979616b69")
                               : key);
    const Bytes plain = Hex(c.plain), cipher = Hex(c.cipher);
    ASSERT_THAT(EncryptInit(s(), c.m, k), IsOk());
    auto got = chunk == 0 ? RunOneShot(OpKind::kEncrypt, plain)
                          : RunMultiPart(OpKind::kEncrypt, plain, chunk);
    ASSERT_TRUE(got.has_value()) << to_string(got.error());
    EXPECT_EQ(ToHex(*got), c.cipher);
    ASSERT_THAT(DecryptInit(s(), c.m, k), IsOk());
    auto back = chunk == 0 ? RunOneShot(OpKind::kDecrypt, cipher)
                           : RunMultiPart(OpKind::kDecrypt, cipher, chunk);
    ASSERT_TRUE(back.has_value()) << to_string(back.error());
    EXPECT_EQ(ToHex(*back), c.plain);
  }
}

INSTANTIATE_TEST_SUITE_P(Chunks, AesModeTest, ::testing::Values(0, 1, 7, 16, 17, 33));

using AesTest = MechTest;

// A session keeps the key of its last operation of each kind for the next
// init (Session::TakeKey). Whatever changes in between must show: another
// handle, the key destroyed (also mid-operation), its use attributes
// changed, a private key after logout, the token's objects changed by
// another session.
TEST_F(AesTest, KeptKeysNeverOutliveAChange) {
  const Bytes plain = Hex(kPlain);
  const Mechanism ecb{CKM_AES_ECB};
  auto encrypt = [&](ObjectHandle k) -> Result<Bytes> {
    CRYPTOKI_TRY(EncryptInit(s(), ecb, k));
    return RunOneShot(OpKind::kEncrypt, plain);
  };
  const ObjectHandle k = SecretKey(CKK_AES, Hex(kKey));
  const ObjectHandle other = SecretKey(CKK_AES, Bytes(16, 0x42));
  ASSERT_OK_AND_ASSIGN(Bytes first, encrypt(k));
  EXPECT_EQ(first, Hex(kEcb));
  ASSERT_OK_AND_ASSIGN(Bytes again, encrypt(k));  // from the slot
  EXPECT_EQ(again, Hex(kEcb));
  ASSERT_OK_AND_ASSIGN(Bytes with_other, encrypt(other));
  EXPECT_NE(with_other, Hex(kEcb));
  ASSERT_OK_AND_ASSIGN(again, encrypt(k));
  EXPECT_EQ(again, Hex(kEcb));

  // Use attributes changed: the replaced object is checked.
  ASSERT_THAT(s().SetAttributes(k, {attr::Encrypt{false}}), IsOk());
  EXPECT_THAT(EncryptInit(s(), ecb, k), RvIs(Rv::kKeyFunctionNotPermitted));
  ASSERT_THAT(s().SetAttributes(k, {attr::Encrypt{true}}), IsOk());
  ASSERT_OK_AND_ASSIGN(again, encrypt(k));
  EXPECT_EQ(again, Hex(kEcb));

  // Destroyed by another session, between operations and during one.
  ASSERT_OK_AND_ASSIGN(Session other_session, token_->OpenSession(SessionKind::kReadWrite));
  ASSERT_THAT(other_session.DestroyObject(k), IsOk());
  EXPECT_THAT(EncryptInit(s(), ecb, k), RvIs(Rv::kKeyHandleInvalid));
  ASSERT_OK_AND_ASSIGN(with_other, encrypt(other));
  ASSERT_THAT(EncryptInit(s(), ecb, other), IsOk());
  ASSERT_THAT(other_session.DestroyObject(other), IsOk());
  ASSERT_OK_AND_ASSIGN(Bytes during, RunOneShot(OpKind::kEncrypt, plain));
  EXPECT_EQ(during, with_other);  // the running operation keeps its key
  EXPECT_THAT(EncryptInit(s(), ecb, other), RvIs(Rv::kKeyHandleInvalid));

  // A private token key after logout (its handle stays invalid after the
  // next login too: the object is loaded again under a new handle).
  ASSERT_OK_AND_ASSIGN(
      ObjectHandle priv,
      s().CreateObject({attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_AES}, attr::Value{Hex(kKey)},
                        attr::Token{true}, attr::Private{true}, attr::Encrypt{true}}));
  ASSERT_OK_AND_ASSIGN(again, encrypt(priv));
  ASSERT_THAT(s().Logout(), IsOk());
  EXPECT_THAT(EncryptInit(s(), ecb, priv), RvIs(Rv::kKeyHandleInvalid));
}

TEST_F(AesTest, CbcPadWycheproof) {
  auto cases = LoadWycheproof("aes_cbc_pkcs5_test.txt");
  ASSERT_FALSE(cases.empty());
  for (const WycheproofCase& c : cases) {
    SCOPED_TRACE(::testing::Message() << "tcId " << c.tc_id);
    const ObjectHandle k = SecretKey(CKK_AES, c.GetBytes("key"));
    const Mechanism m{CKM_AES_CBC_PAD, mech::RawParams{c.GetBytes("iv")}};
    const Bytes ct = c.GetBytes("ct"), msg = c.GetBytes("msg");
    if (c.Valid()) {
      ASSERT_THAT(EncryptInit(s(), m, k), IsOk());
      ASSERT_OK_AND_ASSIGN(Bytes got, RunOneShot(OpKind::kEncrypt, msg));
      EXPECT_EQ(ToHex(got), ToHex(ct));
      ASSERT_THAT(DecryptInit(s(), m, k), IsOk());
      ASSERT_OK_AND_ASSIGN(Bytes back, RunMultiPart(OpKind::kDecrypt, ct, 5));
      EXPECT_EQ(ToHex(back), ToHex(msg));
    } else {
      ASSERT_THAT(DecryptInit(s(), m, k), IsOk());
      auto r = RunOneShot(OpKind::kDecrypt, ct);
      ASSERT_FALSE(r.has_value());
      EXPECT_THAT(r.error(),
                  ::testing::AnyOf(Rv::kEncryptedDataInvalid, Rv::kEncryptedDataLenRange));
      ASSERT_THAT(DecryptInit(s(), m, k), IsOk());
      auto r2 = RunMultiPart(OpKind::kDecrypt, ct, 16);
      ASSERT_FALSE(r2.has_value());
      EXPECT_EQ(r.error(), r2.error());
    }
    ASSERT_THAT(s().DestroyObject(k), IsOk());
  }
}

TEST_F(AesTest, CbcPadAddsFullBlockForAlignedInput) {
  const ObjectHandle k = SecretKey(CKK_AES, Hex(kKey));
  const Mechanism m{CKM_AES_CBC_PAD, mech::RawParams{Hex(kCbcIv)}};
  ASSERT_THAT(EncryptInit(s(), m, k), IsOk());
  ASSERT_OK_AND_ASSIGN(Bytes ct, RunOneShot(OpKind::kEncrypt, Hex(kPlain)));
  EXPECT_EQ(ct.size(), 80u);
  EXPECT_EQ(ToHex(ByteView(ct).first(64)), kCbc);
}

TEST_F(AesTest, LengthErrors) {
  const ObjectHandle k = SecretKey(CKK_AES, Hex(kKey));
  Bytes out(64);
  Output o = Output::Into(out);
  ASSERT_THAT(EncryptInit(s(), Mechanism{CKM_AES_ECB}, k), IsOk());
  EXPECT_THAT(s().OneShot(OpKind::kEncrypt, Bytes(15), o), RvIs(Rv::kDataLenRange));
  EXPECT_FALSE(s().IsActive(OpKind::kEncrypt));
  ASSERT_THAT(DecryptInit(s(), Mechanism{CKM_AES_CBC, mech::RawParams{Bytes(16)}}, k), IsOk());
  EXPECT_THAT(s().OneShot(OpKind::kDecrypt, Bytes(17), o), RvIs(Rv::kEncryptedDataLenRange));
  ASSERT_THAT(DecryptInit(s(), Mechanism{CKM_AES_CBC_PAD, mech::RawParams{Bytes(16)}}, k), IsOk());
  EXPECT_THAT(s().OneShot(OpKind::kDecrypt, Bytes(0), o), RvIs(Rv::kEncryptedDataLenRange));
  ASSERT_THAT(EncryptInit(s(), Mechanism{CKM_AES_CTS, mech::RawParams{Bytes(16)}}, k), IsOk());
  EXPECT_THAT(s().OneShot(OpKind::kEncrypt, Bytes(15), o), RvIs(Rv::kDataLenRange));
  // Multi-part: the leftover shows at Final.
  ASSERT_THAT(EncryptInit(s(), Mechanism{CKM_AES_CBC, mech::RawParams{Bytes(16)}}, k), IsOk());
  Output u = Output::Into(out);
  ASSERT_THAT(s().Update(OpKind::kEncrypt, Bytes(20), u), IsOk());
  EXPECT_EQ(u.length, 16u);
  Output f = Output::Into(out);
  EXPECT_THAT(s().Final(OpKind::kEncrypt, f), RvIs(Rv::kDataLenRange));
}

// Every mode resumes from a saved state in another session, at block
// boundaries and inside blocks (CTR inside a keystream block; CTS while it
// holds back its last two blocks).
TEST_F(AesTest, SavedStatesResumeInAnotherSession) {
  const ObjectHandle k = SecretKey(CKK_AES, Hex(kKey));
  const Bytes plain = Hex(kPlain);
  const Mechanism iv16{CKM_AES_CBC, mech::RawParams{Hex(kCbcIv)}};
  ExpectStatesResume(*this, Mechanism{CKM_AES_ECB}, k, plain, {0, 16, 32, 64});
  ExpectStatesResume(*this, iv16, k, plain, {0, 16, 48, 64});
  ExpectStatesResume(*this, Mechanism{CKM_AES_CBC_PAD, mech::RawParams{Hex(kCbcIv)}}, k,
                     ByteView(plain).first(45), {0, 5, 16, 20, 33, 45});
  ExpectStatesResume(*this, Mechanism{CKM_AES_CTR, Ctr(kCtrBlock)}, k, ByteView(plain).first(45),
                     {0, 5, 16, 20, 33, 45});
  ExpectStatesResume(*this, Mechanism{CKM_AES_CTS, mech::RawParams{Hex(kCbcIv)}}, k,
                     ByteView(plain).first(45), {0, 5, 16, 20, 33, 45});
}

TEST_F(AesTest, CtrCounterWrapIsDataLenRange) {
  const ObjectHandle k = SecretKey(CKK_AES, Hex(kKey));
  // 8 counter bits at 0xfe: two blocks left.
  const Mechanism m{CKM_AES_CTR, Ctr("000000000000000000000000000000fe", 8)};
  ASSERT_THAT(EncryptInit(s(), m, k), IsOk());
  Bytes out(64);
  Output o = Output::Into(out);
  EXPECT_THAT(s().OneShot(OpKind::kEncrypt, Bytes(33), o), RvIs(Rv::kDataLenRange));
  ASSERT_THAT(EncryptInit(s(), m, k), IsOk());
  Output o2 = Output::Into(out);
  EXPECT_THAT(s().OneShot(OpKind::kEncrypt, Bytes(32), o2), IsOk());
}

TEST_F(AesTest, ParameterErrors) {
  const ObjectHandle k = SecretKey(CKK_AES, Hex(kKey));
  EXPECT_THAT(EncryptInit(s(), Mechanism{CKM_AES_CBC}, k), RvIs(Rv::kMechanismParamInvalid));
  EXPECT_THAT(EncryptInit(s(), Mechanism{CKM_AES_CBC, mech::RawParams{Bytes(8)}}, k),
              RvIs(Rv::kMechanismParamInvalid));
  EXPECT_THAT(EncryptInit(s(), Mechanism{CKM_AES_ECB, mech::RawParams{Bytes(16)}}, k),
              RvIs(Rv::kMechanismParamInvalid));
  EXPECT_THAT(EncryptInit(s(), Mechanism{CKM_AES_CTR, Ctr(kCtrBlock, 0)}, k),
              RvIs(Rv::kMechanismParamInvalid));
  EXPECT_THAT(EncryptInit(s(), Mechanism{CKM_AES_CTR, Ctr(kCtrBlock, 129)}, k),
              RvIs(Rv::kMechanismParamInvalid));
}

TEST_F(AesTest, KeyRules) {
  const ObjectHandle no_enc = SecretKey(CKK_AES, Hex(kKey), {attr::Encrypt{false}});
  EXPECT_THAT(EncryptInit(s(), Mechanism{CKM_AES_ECB}, no_enc), RvIs(Rv::kKeyFunctionNotPermitted));
  EXPECT_THAT(DecryptInit(s(), Mechanism{CKM_AES_ECB}, no_enc), IsOk());
  const ObjectHandle generic = SecretKey(CKK_GENERIC_SECRET, Hex(kKey));
  EXPECT_THAT(EncryptInit(s(), Mechanism{CKM_AES_ECB}, generic), RvIs(Rv::kKeyTypeInconsistent));
  const ObjectHandle only_cbc =
      SecretKey(CKK_AES, Hex(kKey), {attr::AllowedMechanisms{{CKM_AES_CBC}}});
  EXPECT_THAT(EncryptInit(s(), Mechanism{CKM_AES_ECB}, only_cbc), RvIs(Rv::kMechanismInvalid));
  EXPECT_THAT(EncryptInit(s(), Mechanism{CKM_AES_CBC, mech::RawParams{Bytes(16)}}, only_cbc),
              IsOk());
}

TEST_F(AesTest, KeyGen) {
  ASSERT_OK_AND_ASSIGN(ObjectHandle k,
                       GenerateKey(s(), Mechanism{CKM_AES_KEY_GEN}, {attr::ValueLen{32}}));
  EXPECT_THAT(s().Get<attr::KeyType>(k), ::testing::Optional(CKK_AES));
  EXPECT_THAT(s().Get<attr::ValueLen>(k), ::testing::Optional(32u));
  EXPECT_THAT(GenerateKey(s(), Mechanism{CKM_AES_KEY_GEN}, {attr::ValueLen{20}}),
              RvIs(Rv::kAttributeValueInvalid));
  EXPECT_THAT(GenerateKey(s(), Mechanism{CKM_AES_KEY_GEN}, {}), RvIs(Rv::kTemplateIncomplete));
  EXPECT_THAT(
      GenerateKey(s(), Mechanism{CKM_AES_KEY_GEN}, {attr::ValueLen{16}, attr::Class{CKO_DATA}}),
      RvIs(Rv::kTemplateInconsistent));
  auto info = GetMechanismInfo(TestConfig(), CKM_AES_KEY_GEN);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->min_key_size, 16u);
  EXPECT_EQ(info->max_key_size, 32u);
  EXPECT_EQ(info->flags, CKF_GENERATE);
  auto cbc = GetMechanismInfo(TestConfig(), CKM_AES_CBC);
  ASSERT_TRUE(cbc.has_value());
  EXPECT_EQ(cbc->flags, CKF_ENCRYPT | CKF_DECRYPT);
}

TEST_F(AesTest, EncryptDataDerivation) {
  const ObjectHandle base =
      SecretKey(CKK_AES, Hex(kKey), {attr::Sensitive{true}, attr::Derive{true}});
  const Bytes data = Hex(kPlain);
  ASSERT_OK_AND_ASSIGN(
      ObjectHandle d,
      DeriveKey(s(),
                Mechanism{CKM_AES_ECB_ENCRYPT_DATA,
                          mech::RawParams{Bytes(data.begin(), data.begin() + 32)}},
                base, {attr::KeyType{CKK_AES}, attr::Extractable{true}, attr::Sensitive{false}}));
  EXPECT_THAT(s().Get<attr::Value>(d), ::testing::Optional(Hex(std::string(kEcb).substr(0, 64))));
  EXPECT_THAT(s().Get<attr::Local>(d), ::testing::Optional(false));
  mech::CbcEncryptDataParams p;
  Bytes iv = Hex(kCbcIv);
  std::copy(iv.begin(), iv.end(), p.iv.begin());
  p.data = Bytes(data.begin(), data.begin() + 16);
  ASSERT_OK_AND_ASSIGN(ObjectHandle d2,
                       DeriveKey(s(), Mechanism{CKM_AES_CBC_ENCRYPT_DATA, p}, base,
                                 {attr::KeyType{CKK_GENERIC_SECRET}, attr::Sensitive{false}}));
  EXPECT_THAT(s().Get<attr::Value>(d2), ::testing::Optional(Hex(std::string(kCbc).substr(0, 32))));
  EXPECT_THAT(
      DeriveKey(s(), Mechanism{CKM_AES_ECB_ENCRYPT_DATA, mech::RawParams{Bytes(15)}}, base, {}),
      RvIs(Rv::kMechanismParamInvalid));
  const ObjectHandle no_derive = SecretKey(CKK_AES, Hex(kKey), {attr::Derive{false}});
  EXPECT_THAT(DeriveKey(s(), Mechanism{CKM_AES_ECB_ENCRYPT_DATA, mech::RawParams{Bytes(16)}},
                        no_derive, {}),
              RvIs(Rv::kKeyFunctionNotPermitted));
}

}  // namespace
}  // namespace cryptoki::testing

namespace cryptoki::testing {
namespace {

using DualFunctionTest = MechTest;

TEST_F(DualFunctionTest, DigestEncryptThenDecryptDigestAgree) {
  const ObjectHandle k = SecretKey(CKK_AES, Bytes(16, 4));
  const Mechanism cbc{CKM_AES_CBC_PAD, mech::RawParams{Bytes(16, 2)}};
  const Bytes msg(40, 0x61);
  Output none = Output::Query();
  EXPECT_THAT(DigestEncryptUpdate(s(), msg, none), RvIs(Rv::kOperationNotInitialized));
  ASSERT_THAT(EncryptInit(s(), cbc, k), IsOk());
  ASSERT_THAT(DigestInit(s(), Mechanism{CKM_SHA256}), IsOk());
  Bytes ct(64);
  Output q = Output::Query();
  ASSERT_THAT(DigestEncryptUpdate(s(), msg, q), IsOk());
  EXPECT_EQ(q.length, 32u);
  Output o = Output::Into(ct);
  ASSERT_THAT(DigestEncryptUpdate(s(), msg, o), IsOk());
  size_t n = o.length;
  Output f = Output::Into(std::span<uint8_t>(ct).subspan(n));
  ASSERT_THAT(s().Final(OpKind::kEncrypt, f), IsOk());
  ct.resize(n + f.length);
  Bytes d1(32);
  Output od1 = Output::Into(d1);
  ASSERT_THAT(s().Final(OpKind::kDigest, od1), IsOk());

  ASSERT_THAT(DecryptInit(s(), cbc, k), IsOk());
  ASSERT_THAT(DigestInit(s(), Mechanism{CKM_SHA256}), IsOk());
  Bytes pt(64);
  Output p = Output::Into(pt);
  ASSERT_THAT(DecryptDigestUpdate(s(), ct, p), IsOk());
  const size_t got = p.length;
  Output pf = Output::Into(std::span<uint8_t>(pt).subspan(got));
  ASSERT_THAT(s().Final(OpKind::kDecrypt, pf), IsOk());
  // The held-back last block is digested by hand, as a client would.
  ASSERT_THAT(s().Update(OpKind::kDigest, ByteView(pt).subspan(got, pf.length), none), IsOk());
  Bytes d2(32);
  Output od2 = Output::Into(d2);
  ASSERT_THAT(s().Final(OpKind::kDigest, od2), IsOk());
  EXPECT_EQ(d1, d2);
  pt.resize(got + pf.length);
  EXPECT_EQ(pt, msg);
}

}  // namespace
}  // namespace cryptoki::testing
