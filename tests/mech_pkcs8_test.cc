// Wrapping and unwrapping of private keys (PKCS #8) and of secret keys with
// RSA: CKM_RSA_AES_KEY_WRAP, CKM_RSA_PKCS_OAEP, and the AES wraps when the
// symmetric family offers them.
#include <openssl/bn.h>
#include <openssl/rsa.h>

#include "cryptoki/mech/asym.h"
#include "cryptoki/mech/ec.h"
#include "tests/mech_test_util.h"

namespace cryptoki {
namespace {

using ::cryptoki::testing::Hex;
using ::cryptoki::testing::IsOk;
using ::cryptoki::testing::RvIs;

const Bytes kP256Oid = Hex("06082a8648ce3d030107");

class Pkcs8Test : public testing::MechTest {
 protected:
  void SetUp() override {
    MechTest::SetUp();
    auto rsa =
        GenerateKeyPair(s(), Mechanism{CKM_RSA_PKCS_KEY_PAIR_GEN}, {attr::ModulusBits{2048}}, {});
    ASSERT_THAT(rsa, IsOk());
    rsa_pub_ = rsa->first;
    rsa_priv_ = rsa->second;
  }

  std::pair<ObjectHandle, ObjectHandle> Pair(CK_MECHANISM_TYPE gen, Template pub) {
    auto p = GenerateKeyPair(s(), Mechanism{gen}, pub,
                             {attr::Extractable{true}, attr::Sensitive{true}, attr::Derive{true}});
    EXPECT_THAT(p, IsOk());
    return p.value_or(std::pair<ObjectHandle, ObjectHandle>{});
  }

  Result<Bytes> Wrap(const Mechanism& m, ObjectHandle wrapping, ObjectHandle key) {
    Output q = Output::Query();
    CRYPTOKI_TRY(WrapKey(s(), m, wrapping, key, q));
    Bytes out(q.length);
    Output o = Output::Into(out);
    CRYPTOKI_TRY(WrapKey(s(), m, wrapping, key, o));
    out.resize(o.length);
    return out;
  }

  // SignsLike checks that |priv| makes signatures |pub| accepts.
  void SignsLike(const Mechanism& m, ObjectHandle priv, ObjectHandle pub) {
    const Bytes msg{'w', 'r', 'a', 'p'};
    ASSERT_THAT(SignInit(s(), m, priv), IsOk());
    auto sig = RunOneShot(OpKind::kSign, msg);
    ASSERT_THAT(sig, IsOk());
    ASSERT_THAT(VerifyInit(s(), m, pub), IsOk());
    EXPECT_THAT(s().VerifyOneShot(OpKind::kVerify, msg, *sig), IsOk());
  }

  Template PrivateTemplate(CK_KEY_TYPE kt) {
    return Template{attr::Class{CKO_PRIVATE_KEY}, attr::KeyType{kt}, attr::Sign{true},
                    attr::Derive{true}, attr::Sensitive{true}};
  }

  ObjectHandle rsa_pub_, rsa_priv_;
  const Mechanism rsa_aes_{
      CKM_RSA_AES_KEY_WRAP,
      mech::RsaAesKeyWrapParams{256, mech::RsaOaepParams{CKM_SHA256, CKG_MGF1_SHA256, {}}}};
};

TEST_F(Pkcs8Test, RsaAesKeyWrapMovesEveryPrivateKeyType) {
  struct Case {
    CK_MECHANISM_TYPE gen;
    Template pub;
    CK_KEY_TYPE kt;
    Mechanism sign;
  } cases[] = {
      {CKM_EC_KEY_PAIR_GEN, {attr::EcParams{kP256Oid}}, CKK_EC, Mechanism{CKM_ECDSA_SHA256}},
      {CKM_EC_EDWARDS_KEY_PAIR_GEN,
       {attr::EcParams{Hex("06032b6570")}},
       CKK_EC_EDWARDS,
       Mechanism{CKM_EDDSA}},
      {CKM_RSA_PKCS_KEY_PAIR_GEN,
       {attr::ModulusBits{2048}},
       CKK_RSA,
       Mechanism{CKM_SHA256_RSA_PKCS}},
  };
  for (const Case& c : cases) {
    auto [pub, priv] = Pair(c.gen, c.pub);
    ASSERT_OK_AND_ASSIGN(Bytes wrapped, Wrap(rsa_aes_, rsa_pub_, priv));
    ASSERT_OK_AND_ASSIGN(ObjectHandle back,
                         UnwrapKey(s(), rsa_aes_, rsa_priv_, wrapped, PrivateTemplate(c.kt)));
    SignsLike(c.sign, back, pub);
    EXPECT_FALSE(s().Get<attr::Local>(back).value_or(true));
    EXPECT_FALSE(s().Get<attr::AlwaysSensitive>(back).value_or(true));
    EXPECT_FALSE(s().Get<attr::NeverExtractable>(back).value_or(true));
    EXPECT_EQ(s().Get<attr::KeyType>(back).value_or(0), c.kt);
    EXPECT_EQ(s().Get<attr::PublicKeyInfo>(back).value_or(Bytes{}),
              s().Get<attr::PublicKeyInfo>(pub).value_or(Bytes{1}));
  }
}

TEST_F(Pkcs8Test, UnwrappedX25519KeyDerivesTheSameSecret) {
  auto [a_pub, a_priv] = Pair(CKM_EC_MONTGOMERY_KEY_PAIR_GEN, {attr::EcParams{Hex("06032b656e")}});
  auto [b_pub, b_priv] = Pair(CKM_EC_MONTGOMERY_KEY_PAIR_GEN, {attr::EcParams{Hex("06032b656e")}});
  ASSERT_OK_AND_ASSIGN(Bytes wrapped, Wrap(rsa_aes_, rsa_pub_, a_priv));
  ASSERT_OK_AND_ASSIGN(ObjectHandle back, UnwrapKey(s(), rsa_aes_, rsa_priv_, wrapped,
                                                    PrivateTemplate(CKK_EC_MONTGOMERY)));
  ASSERT_OK_AND_ASSIGN(Bytes b_point, s().Get<attr::EcPoint>(b_pub));
  const Template secret{attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_GENERIC_SECRET},
                        attr::Sensitive{false}};
  const Mechanism ecdh{CKM_ECDH1_DERIVE, mech::Ecdh1DeriveParams{CKD_NULL, {}, b_point}};
  ASSERT_OK_AND_ASSIGN(ObjectHandle k1, DeriveKey(s(), ecdh, a_priv, secret));
  ASSERT_OK_AND_ASSIGN(ObjectHandle k2, DeriveKey(s(), ecdh, back, secret));
  EXPECT_EQ(s().Get<attr::Value>(k1).value_or(Bytes{1}),
            s().Get<attr::Value>(k2).value_or(Bytes{2}));
}

TEST_F(Pkcs8Test, SecretKeysWrapWithOaepAndRsaAes) {
  const Bytes value = Hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  ObjectHandle aes = SecretKey(CKK_AES, value, {attr::Extractable{true}});
  const Template tmpl{attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_AES}, attr::Sensitive{false}};
  for (const Mechanism& m :
       {rsa_aes_,
        Mechanism{CKM_RSA_PKCS_OAEP, mech::RsaOaepParams{CKM_SHA256, CKG_MGF1_SHA256, {}}},
        Mechanism{CKM_RSA_PKCS}}) {
    ASSERT_OK_AND_ASSIGN(Bytes wrapped, Wrap(m, rsa_pub_, aes));
    ASSERT_OK_AND_ASSIGN(ObjectHandle back, UnwrapKey(s(), m, rsa_priv_, wrapped, tmpl));
    EXPECT_EQ(s().Get<attr::Value>(back).value_or(Bytes{}), value) << m.type;
    Bytes bad = wrapped;
    bad[bad.size() / 2] ^= 1;
    EXPECT_THAT(UnwrapKey(s(), m, rsa_priv_, bad, tmpl), RvIs(Rv::kWrappedKeyInvalid)) << m.type;
    EXPECT_THAT(UnwrapKey(s(), m, rsa_priv_, ByteView(wrapped).first(100), tmpl),
                RvIs(Rv::kWrappedKeyLenRange))
        << m.type;
  }
}

TEST_F(Pkcs8Test, UnwrapChecksTemplateAndKeyRules) {
  auto [pub, priv] = Pair(CKM_EC_KEY_PAIR_GEN, {attr::EcParams{kP256Oid}});
  ASSERT_OK_AND_ASSIGN(Bytes wrapped, Wrap(rsa_aes_, rsa_pub_, priv));
  EXPECT_THAT(UnwrapKey(s(), rsa_aes_, rsa_priv_, wrapped, PrivateTemplate(CKK_RSA)),
              RvIs(Rv::kTemplateInconsistent));
  // An unextractable private key cannot be wrapped.
  auto fixed = GenerateKeyPair(s(), Mechanism{CKM_EC_KEY_PAIR_GEN}, {attr::EcParams{kP256Oid}},
                               {attr::Extractable{false}});
  ASSERT_THAT(fixed, IsOk());
  EXPECT_THAT(Wrap(rsa_aes_, rsa_pub_, fixed->second), RvIs(Rv::kKeyUnextractable));
  // Wrapping needs the public half, unwrapping the private one.
  EXPECT_THAT(Wrap(rsa_aes_, rsa_priv_, priv), RvIs(Rv::kWrappingKeyTypeInconsistent));
  EXPECT_THAT(UnwrapKey(s(), rsa_aes_, rsa_pub_, wrapped, PrivateTemplate(CKK_EC)),
              RvIs(Rv::kUnwrappingKeyTypeInconsistent));
  // Bad parameters.
  const Mechanism bad_bits{CKM_RSA_AES_KEY_WRAP,
                           mech::RsaAesKeyWrapParams{100, mech::RsaOaepParams{}}};
  EXPECT_THAT(Wrap(bad_bits, rsa_pub_, priv), RvIs(Rv::kMechanismParamInvalid));
  EXPECT_THAT(Wrap(Mechanism{CKM_RSA_AES_KEY_WRAP}, rsa_pub_, priv),
              RvIs(Rv::kMechanismParamInvalid));
}

// The AES wraps belong to the symmetric family; they wrap PKCS #8 too.
TEST_F(Pkcs8Test, AesWrapsCarryPrivateKeys) {
  const Bytes kek = Hex("000102030405060708090a0b0c0d0e0f");
  ObjectHandle aes = SecretKey(CKK_AES, kek);
  auto [pub, priv] = Pair(CKM_EC_KEY_PAIR_GEN, {attr::EcParams{kP256Oid}});
  size_t ran = 0;
  for (const Mechanism& m : {Mechanism{CKM_AES_KEY_WRAP_KWP}, Mechanism{CKM_AES_KEY_WRAP_PAD},
                             Mechanism{CKM_AES_CBC_PAD, mech::RawParams{Bytes(16, 7)}}}) {
    auto info = GetMechanismInfo(lib_->config(), m.type);
    if (!info || !(info->flags & CKF_WRAP)) continue;
    ++ran;
    ASSERT_OK_AND_ASSIGN(Bytes wrapped, Wrap(m, aes, priv));
    ASSERT_OK_AND_ASSIGN(ObjectHandle back,
                         UnwrapKey(s(), m, aes, wrapped, PrivateTemplate(CKK_EC)));
    SignsLike(Mechanism{CKM_ECDSA_SHA256}, back, pub);
  }
  if (ran == 0) GTEST_SKIP() << "no AES wrap mechanism registered yet";
}

}  // namespace
}  // namespace cryptoki
