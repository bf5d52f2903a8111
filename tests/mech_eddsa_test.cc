// Ed25519 (CKM_EC_EDWARDS_KEY_PAIR_GEN, CKM_EDDSA) and X25519
// (CKM_EC_MONTGOMERY_KEY_PAIR_GEN, CKM_ECDH1_DERIVE) through the C++ API,
// with the RFC 8032 and RFC 7748 known answers.
#include <openssl/bytestring.h>
#include <openssl/curve25519.h>
#include <openssl/evp.h>

#include "cryptoki/mech/ec.h"
#include "tests/asym_test_util.h"
#include "tests/wycheproof.h"

namespace cryptoki {
namespace {

using ::cryptoki::testing::Hex;
using ::cryptoki::testing::IsOk;
using ::cryptoki::testing::RvIs;

const Bytes kEd25519Oid = Hex("06032b6570");
const Bytes kX25519Oid = Hex("06032b656e");

Bytes Printable(std::string_view name) {
  Bytes b{0x13, static_cast<uint8_t>(name.size())};
  b.insert(b.end(), name.begin(), name.end());
  return b;
}

using EddsaTest = testing::AsymTest;

TEST_F(EddsaTest, Rfc8032TestOneThroughImportedKeys) {
  const testing::Rfc8032Test1 rfc;
  const Bytes& seed = rfc.seed;
  const Bytes& pub = rfc.pub;
  const Bytes& want = rfc.signature;
  ASSERT_OK_AND_ASSIGN(
      ObjectHandle priv,
      s().CreateObject({attr::Class{CKO_PRIVATE_KEY}, attr::KeyType{CKK_EC_EDWARDS},
                        attr::EcParams{Printable("edwards25519")}, attr::Value{seed}}));
  ASSERT_OK_AND_ASSIGN(
      ObjectHandle pub_h,
      s().CreateObject({attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_EC_EDWARDS},
                        attr::EcParams{kEd25519Oid}, attr::EcPoint{mech::DerOctetString(pub)}}));
  EXPECT_THAT(Sign(priv, Mechanism{CKM_EDDSA}, {}), ::testing::Optional(want));
  EXPECT_THAT(Verify(pub_h, Mechanism{CKM_EDDSA}, {}, want), IsOk());
  // CK_EDDSA_PARAMS for pure Ed25519 is accepted; prehash or context is not.
  EXPECT_THAT(Sign(priv, Mechanism{CKM_EDDSA, mech::EddsaParams{false, {}}}, {}),
              ::testing::Optional(want));
  EXPECT_THAT(SignInit(s(), Mechanism{CKM_EDDSA, mech::EddsaParams{true, {}}}, priv),
              RvIs(Rv::kMechanismParamInvalid));
  EXPECT_THAT(SignInit(s(), Mechanism{CKM_EDDSA, mech::EddsaParams{false, Bytes{1}}}, priv),
              RvIs(Rv::kMechanismParamInvalid));
  // A raw CKA_EC_POINT works too.
  ASSERT_OK_AND_ASSIGN(ObjectHandle raw_pub,
                       s().CreateObject({attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_EC_EDWARDS},
                                         attr::EcParams{kEd25519Oid}, attr::EcPoint{pub}}));
  EXPECT_THAT(Verify(raw_pub, Mechanism{CKM_EDDSA}, {}, want), IsOk());
  Bytes bad = want;
  bad[0] ^= 1;
  EXPECT_THAT(Verify(raw_pub, Mechanism{CKM_EDDSA}, {}, bad), RvIs(Rv::kSignatureInvalid));
  EXPECT_THAT(Verify(raw_pub, Mechanism{CKM_EDDSA}, {}, ByteView(want).first(63)),
              RvIs(Rv::kSignatureLenRange));
}

TEST_F(EddsaTest, GeneratedPairSignsSingleAndMultiPart) {
  for (const Bytes& params : {kEd25519Oid, Printable("edwards25519")}) {
    ASSERT_OK_AND_ASSIGN(auto pair, GenerateKeyPair(s(), Mechanism{CKM_EC_EDWARDS_KEY_PAIR_GEN},
                                                    {attr::EcParams{params}}, {}));
    ASSERT_OK_AND_ASSIGN(Bytes point, s().Get<attr::EcPoint>(pair.first));
    EXPECT_EQ(point.size(), 34u);  // DER OCTET STRING of 32 bytes
    EXPECT_EQ(s().Get<attr::EcParams>(pair.second).value_or(Bytes{}), kEd25519Oid);
    ASSERT_OK_AND_ASSIGN(Bytes spki, s().Get<attr::PublicKeyInfo>(pair.first));
    CBS cbs;
    CBS_init(&cbs, spki.data(), spki.size());
    bssl::UniquePtr<EVP_PKEY> pkey(EVP_parse_public_key(&cbs));
    ASSERT_NE(pkey, nullptr);
    EXPECT_EQ(EVP_PKEY_id(pkey.get()), EVP_PKEY_ED25519);

    const Bytes msg{'e', 'd', '2', '5', '5', '1', '9'};
    ASSERT_OK_AND_ASSIGN(Bytes sig, Sign(pair.second, Mechanism{CKM_EDDSA}, msg));
    EXPECT_EQ(ED25519_verify(msg.data(), msg.size(), sig.data(), point.data() + 2), 1);
    ASSERT_THAT(VerifyInit(s(), Mechanism{CKM_EDDSA}, pair.first), IsOk());
    Output none = Output::Query();
    ASSERT_THAT(s().Update(OpKind::kVerify, ByteView(msg).first(3), none), IsOk());
    ASSERT_THAT(s().Update(OpKind::kVerify, ByteView(msg).subspan(3), none), IsOk());
    EXPECT_THAT(s().VerifyFinal(OpKind::kVerify, sig), IsOk());
  }
  EXPECT_THAT(GenerateKeyPair(s(), Mechanism{CKM_EC_EDWARDS_KEY_PAIR_GEN},
                              {attr::EcParams{Printable("edwards448")}}, {}),
              RvIs(Rv::kCurveNotSupported));
  EXPECT_THAT(GenerateKeyPair(s(), Mechanism{CKM_EC_EDWARDS_KEY_PAIR_GEN},
                              {attr::EcParams{kX25519Oid}}, {}),
              RvIs(Rv::kCurveNotSupported));
}

TEST_F(EddsaTest, X25519Rfc7748KnownAnswer) {
  const Bytes alice = Hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  const Bytes bob_pub = Hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  const Bytes shared = Hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  ASSERT_OK_AND_ASSIGN(
      ObjectHandle priv,
      s().CreateObject({attr::Class{CKO_PRIVATE_KEY}, attr::KeyType{CKK_EC_MONTGOMERY},
                        attr::EcParams{Printable("curve25519")}, attr::Value{alice},
                        attr::Derive{true}}));
  const Template secret{attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_GENERIC_SECRET},
                        attr::Sensitive{false}};
  for (const Bytes& peer : {bob_pub, mech::DerOctetString(bob_pub)}) {
    ASSERT_OK_AND_ASSIGN(
        ObjectHandle k,
        DeriveKey(s(), Mechanism{CKM_ECDH1_DERIVE, mech::Ecdh1DeriveParams{CKD_NULL, {}, peer}},
                  priv, secret));
    EXPECT_EQ(s().Get<attr::Value>(k).value_or(Bytes{}), shared);
  }
  // A small-order peer (all-zero output) and a bad length are refused.
  EXPECT_THAT(
      DeriveKey(s(), Mechanism{CKM_ECDH1_DERIVE, mech::Ecdh1DeriveParams{CKD_NULL, {}, Bytes(32)}},
                priv, secret),
      RvIs(Rv::kMechanismParamInvalid));
  EXPECT_THAT(
      DeriveKey(s(),
                Mechanism{CKM_ECDH1_DERIVE, mech::Ecdh1DeriveParams{CKD_NULL, {}, Bytes(31, 9)}},
                priv, secret),
      RvIs(Rv::kMechanismParamInvalid));
  // The cofactor variant is for Weierstrass curves only.
  EXPECT_THAT(
      DeriveKey(
          s(), Mechanism{CKM_ECDH1_COFACTOR_DERIVE, mech::Ecdh1DeriveParams{CKD_NULL, {}, bob_pub}},
          priv, secret),
      RvIs(Rv::kKeyTypeInconsistent));
}

TEST_F(EddsaTest, X25519GeneratedPairsAgree) {
  const Mechanism gen{CKM_EC_MONTGOMERY_KEY_PAIR_GEN};
  ASSERT_OK_AND_ASSIGN(
      auto a, GenerateKeyPair(s(), gen, {attr::EcParams{kX25519Oid}}, {attr::Derive{true}}));
  ASSERT_OK_AND_ASSIGN(auto b, GenerateKeyPair(s(), gen, {attr::EcParams{Printable("curve25519")}},
                                               {attr::Derive{true}}));
  ASSERT_OK_AND_ASSIGN(Bytes a_pub, s().Get<attr::EcPoint>(a.first));
  ASSERT_OK_AND_ASSIGN(Bytes b_pub, s().Get<attr::EcPoint>(b.first));
  const Template aes{attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_AES}, attr::ValueLen{16},
                     attr::Sensitive{false}};
  ASSERT_OK_AND_ASSIGN(
      ObjectHandle ka,
      DeriveKey(s(),
                Mechanism{CKM_ECDH1_DERIVE, mech::Ecdh1DeriveParams{CKD_SHA256_KDF, {}, b_pub}},
                a.second, aes));
  ASSERT_OK_AND_ASSIGN(
      ObjectHandle kb,
      DeriveKey(s(),
                Mechanism{CKM_ECDH1_DERIVE, mech::Ecdh1DeriveParams{CKD_SHA256_KDF, {}, a_pub}},
                b.second, aes));
  ASSERT_OK_AND_ASSIGN(Bytes va, s().Get<attr::Value>(ka));
  EXPECT_EQ(va.size(), 16u);
  EXPECT_EQ(s().Get<attr::Value>(kb).value_or(Bytes{}), va);
  ASSERT_OK_AND_ASSIGN(Bytes spki, s().Get<attr::PublicKeyInfo>(a.second));
  CBS cbs;
  CBS_init(&cbs, spki.data(), spki.size());
  bssl::UniquePtr<EVP_PKEY> pkey(EVP_parse_public_key(&cbs));
  ASSERT_NE(pkey, nullptr);
  EXPECT_EQ(EVP_PKEY_id(pkey.get()), EVP_PKEY_X25519);
}

TEST_F(EddsaTest, WycheproofEd25519SignAndVerify) {
  size_t ran = 0;
  std::string last;
  ObjectHandle pub, priv;
  for (const testing::WycheproofCase& c : testing::LoadWycheproof("eddsa_test.txt")) {
    if (c.Get("key.pk") != last) {
      last = c.Get("key.pk");
      auto p = s().CreateObject({attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_EC_EDWARDS},
                                 attr::EcParams{kEd25519Oid}, attr::EcPoint{c.GetBytes("key.pk")}});
      auto q = s().CreateObject({attr::Class{CKO_PRIVATE_KEY}, attr::KeyType{CKK_EC_EDWARDS},
                                 attr::EcParams{kEd25519Oid}, attr::Value{c.GetBytes("key.sk")}});
      ASSERT_THAT(p, IsOk());
      ASSERT_THAT(q, IsOk());
      pub = *p;
      priv = *q;
    }
    ++ran;
    auto r = Verify(pub, Mechanism{CKM_EDDSA}, c.GetBytes("msg"), c.GetBytes("sig"));
    if (c.Get("result") == "valid") {
      EXPECT_THAT(r, IsOk()) << "tcId " << c.tc_id;
      // Ed25519 is deterministic: the token makes the same signature.
      EXPECT_THAT(Sign(priv, Mechanism{CKM_EDDSA}, c.GetBytes("msg")),
                  ::testing::Optional(c.GetBytes("sig")))
          << "tcId " << c.tc_id;
    } else if (c.Invalid()) {
      ASSERT_FALSE(r.has_value()) << "tcId " << c.tc_id;
      EXPECT_TRUE(r.error() == Rv::kSignatureInvalid || r.error() == Rv::kSignatureLenRange)
          << "tcId " << c.tc_id;
    }
  }
  EXPECT_GT(ran, 100u);
}

TEST_F(EddsaTest, WycheproofX25519) {
  size_t ran = 0;
  const Template secret{attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_GENERIC_SECRET},
                        attr::Sensitive{false}};
  for (const testing::WycheproofCase& c : testing::LoadWycheproof("x25519_test.txt")) {
    auto priv = s().CreateObject({attr::Class{CKO_PRIVATE_KEY}, attr::KeyType{CKK_EC_MONTGOMERY},
                                  attr::EcParams{kX25519Oid}, attr::Value{c.GetBytes("private")},
                                  attr::Derive{true}});
    ASSERT_THAT(priv, IsOk());
    ++ran;
    auto k = DeriveKey(
        s(),
        Mechanism{CKM_ECDH1_DERIVE, mech::Ecdh1DeriveParams{CKD_NULL, {}, c.GetBytes("public")}},
        *priv, secret);
    const bool zero = c.GetBytes("shared") == Bytes(32, 0);
    if (c.Get("result") == "valid" || (c.Get("result") == "acceptable" && !zero)) {
      ASSERT_THAT(k, IsOk()) << "tcId " << c.tc_id;
      EXPECT_EQ(s().Get<attr::Value>(*k).value_or(Bytes{}), c.GetBytes("shared"))
          << "tcId " << c.tc_id;
    } else {
      // Low-order peers (an all-zero secret) are refused.
      EXPECT_THAT(k, RvIs(Rv::kMechanismParamInvalid)) << "tcId " << c.tc_id;
    }
    (void)s().DestroyObject(*priv);
    if (k) (void)s().DestroyObject(*k);
  }
  EXPECT_GT(ran, 100u);
}

}  // namespace
}  // namespace cryptoki
