// Key objects made by C_CreateObject (and so by the admin tool's import):
// the mechanism layer parses RSA, EC (P-224..P-521), Ed25519, X25519 and DH
// key material with BoringSSL, refuses bad values with the standard's codes,
// fills CKA_PUBLIC_KEY_INFO (and a public key's parts from it), and primes
// the object's key cache.
#include <openssl/bn.h>
#include <openssl/bytestring.h>
#include <openssl/curve25519.h>
#include <openssl/dh.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/evp.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "cryptoki/mech/asym.h"
#include "cryptoki/mech/ec.h"
#include "cryptoki/mech/rsa.h"
#include "tests/asym_test_util.h"

namespace cryptoki {
namespace {

using ::cryptoki::testing::Hex;
using ::cryptoki::testing::IsOk;
using ::cryptoki::testing::RvIs;
using ::cryptoki::testing::SharedRsa;
using ::testing::Optional;

// SpkiDer is BoringSSL's own DER of |pkey|'s public key (i2d_PUBKEY).
Bytes SpkiDer(EVP_PKEY* pkey) {
  uint8_t* der = nullptr;
  const int len = i2d_PUBKEY(pkey, &der);
  if (len <= 0) return {};
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

Bytes Bn(const BIGNUM* bn) { return mech::BnBytes(bn); }

Bytes RsaSpki(const RSA* rsa) {
  bssl::UniquePtr<RSA> pub(RSA_new());
  RSA_set0_key(pub.get(), BN_dup(RSA_get0_n(rsa)), BN_dup(RSA_get0_e(rsa)), nullptr);
  bssl::UniquePtr<EVP_PKEY> pkey(EVP_PKEY_new());
  EVP_PKEY_set1_RSA(pkey.get(), pub.get());
  return SpkiDer(pkey.get());
}

Bytes EcSpki(const EC_KEY* ec) {
  bssl::UniquePtr<EC_KEY> pub(EC_KEY_new());
  EC_KEY_set_group(pub.get(), EC_KEY_get0_group(ec));
  EC_KEY_set_public_key(pub.get(), EC_KEY_get0_public_key(ec));
  bssl::UniquePtr<EVP_PKEY> pkey(EVP_PKEY_new());
  EVP_PKEY_set1_EC_KEY(pkey.get(), pub.get());
  return SpkiDer(pkey.get());
}

Bytes Point(const EC_KEY* ec, point_conversion_form_t form) {
  const EC_GROUP* g = EC_KEY_get0_group(ec);
  Bytes out(EC_POINT_point2oct(g, EC_KEY_get0_public_key(ec), form, nullptr, 0, nullptr));
  EC_POINT_point2oct(g, EC_KEY_get0_public_key(ec), form, out.data(), out.size(), nullptr);
  return out;
}

// EcInfo builds an EC SubjectPublicKeyInfo for the curve |oid| (DER) and
// the uncompressed |point|.
Bytes EcInfo(ByteView oid, ByteView point) {
  static const uint8_t kEcPublicKey[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
  bssl::ScopedCBB cbb;
  CBB spki, alg, id, bits;
  uint8_t* der = nullptr;
  size_t len = 0;
  if (!CBB_init(cbb.get(), 0) || !CBB_add_asn1(cbb.get(), &spki, CBS_ASN1_SEQUENCE) ||
      !CBB_add_asn1(&spki, &alg, CBS_ASN1_SEQUENCE) || !CBB_add_asn1(&alg, &id, CBS_ASN1_OBJECT) ||
      !CBB_add_bytes(&id, kEcPublicKey, sizeof kEcPublicKey) ||
      !CBB_add_bytes(&alg, oid.data(), oid.size()) ||
      !CBB_add_asn1(&spki, &bits, CBS_ASN1_BITSTRING) || !CBB_add_u8(&bits, 0) ||
      !CBB_add_bytes(&bits, point.data(), point.size()) || !CBB_finish(cbb.get(), &der, &len)) {
    return {};
  }
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

const Bytes kP256Oid = Hex("06082a8648ce3d030107");
const Bytes kSecp256k1Oid = Hex("06052b8104000a");
const Bytes kEd25519Oid = Hex("06032b6570");
const Bytes kX25519Oid = Hex("06032b656e");

class KeyObjectTest : public testing::AsymTest {
 protected:
  // Spki returns the object's CKA_PUBLIC_KEY_INFO (empty if unreadable).
  Bytes Spki(ObjectHandle h) { return s().Get<attr::PublicKeyInfo>(h).value_or(Bytes()); }

  // Cached says whether the object's key cache was primed at creation.
  bool Cached(ObjectHandle h) {
    auto o = s().GetObject(h);
    return o && (*o)->Cache() != nullptr;
  }

  Template RsaPublic(const RSA* rsa) {
    return {attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_RSA}, attr::Modulus{Bn(RSA_get0_n(rsa))},
            attr::PublicExponent{Bn(RSA_get0_e(rsa))}};
  }
  // RsaPrivate is n, e, d (no CRT parts); |with_e| false leaves out e.
  Template RsaPrivate(const RSA* rsa, bool with_e = true) {
    Template t{attr::Class{CKO_PRIVATE_KEY}, attr::KeyType{CKK_RSA},
               attr::Modulus{Bn(RSA_get0_n(rsa))},
               Attribute(CKA_PRIVATE_EXPONENT, ByteView(Bn(RSA_get0_d(rsa))))};
    if (with_e) t.Add(attr::PublicExponent{Bn(RSA_get0_e(rsa))});
    return t;
  }

  // SignsForEachOther signs with |priv| and verifies with |pub|.
  void SignsForEachOther(ObjectHandle priv, ObjectHandle pub, const Mechanism& m) {
    const Bytes msg{'m', 's', 'g'};
    auto sig = Sign(priv, m, msg);
    ASSERT_THAT(sig, IsOk());
    EXPECT_THAT(Verify(pub, m, msg, *sig), IsOk());
  }
};

// --- RSA --------------------------------------------------------------------

TEST_F(KeyObjectTest, RsaKeysGetTheirSubjectPublicKeyInfoAndAPrimedCache) {
  const RSA* rsa = SharedRsa();
  ASSERT_OK_AND_ASSIGN(ObjectHandle pub, s().CreateObject(RsaPublic(rsa)));
  Template priv_t = RsaPrivate(rsa);
  priv_t.Add(Attribute(CKA_PRIME_1, ByteView(Bn(RSA_get0_p(rsa)))));
  priv_t.Add(Attribute(CKA_PRIME_2, ByteView(Bn(RSA_get0_q(rsa)))));
  ASSERT_OK_AND_ASSIGN(ObjectHandle priv, s().CreateObject(priv_t));
  const Bytes want = RsaSpki(rsa);
  ASSERT_FALSE(want.empty());
  EXPECT_EQ(Spki(pub), want);
  EXPECT_EQ(Spki(priv), want);
  // Parsed once, at creation: the objects already hold the BoringSSL key.
  auto o = s().GetObject(priv);
  ASSERT_THAT(o, IsOk());
  auto cached = std::dynamic_pointer_cast<const mech::RsaKey>((*o)->Cache());
  ASSERT_NE(cached, nullptr);
  EXPECT_EQ(BN_cmp(RSA_get0_n(cached->rsa.get()), RSA_get0_n(rsa)), 0);
  EXPECT_NE(RSA_get0_dmp1(cached->rsa.get()), nullptr);  // CRT values computed
  EXPECT_TRUE(Cached(pub));
  SignsForEachOther(priv, pub, Mechanism{CKM_SHA256_RSA_PKCS});
}

TEST_F(KeyObjectTest, RsaPrivateKeyWithoutCrtPartsOrExponentStillWorks) {
  const RSA* rsa = SharedRsa();
  ASSERT_OK_AND_ASSIGN(ObjectHandle pub, s().CreateObject(RsaPublic(rsa)));
  ASSERT_OK_AND_ASSIGN(ObjectHandle no_crt, s().CreateObject(RsaPrivate(rsa)));
  EXPECT_EQ(Spki(no_crt), RsaSpki(rsa));
  SignsForEachOther(no_crt, pub, Mechanism{CKM_SHA256_RSA_PKCS});
  // Without CKA_PUBLIC_EXPONENT the token finds it, and stores it.
  ASSERT_OK_AND_ASSIGN(ObjectHandle no_e, s().CreateObject(RsaPrivate(rsa, false)));
  EXPECT_THAT(s().Get<attr::PublicExponent>(no_e), Optional(Bytes{1, 0, 1}));
  EXPECT_EQ(Spki(no_e), RsaSpki(rsa));
  SignsForEachOther(
      no_e, pub,
      Mechanism{CKM_SHA256_RSA_PKCS_PSS, mech::RsaPssParams{CKM_SHA256, CKG_MGF1_SHA256, 32}});
}

TEST_F(KeyObjectTest, RsaKeysWhosePartsDisagreeAreRefused) {
  const RSA* rsa = SharedRsa();
  // d that does not undo e (no primes to check against).
  Bytes d = Bn(RSA_get0_d(rsa));
  d.back() ^= 2;
  Template wrong_d{attr::Class{CKO_PRIVATE_KEY}, attr::KeyType{CKK_RSA},
                   attr::Modulus{Bn(RSA_get0_n(rsa))}, attr::PublicExponent{Bn(RSA_get0_e(rsa))},
                   Attribute(CKA_PRIVATE_EXPONENT, ByteView(d))};
  EXPECT_THAT(s().CreateObject(wrong_d), RvIs(Rv::kAttributeValueInvalid));
  // A CRT exponent that is not d mod (p - 1).
  Template wrong_dp = RsaPrivate(rsa);
  Bytes dp = Bn(RSA_get0_dmp1(rsa));
  dp.back() ^= 1;
  wrong_dp.Add(Attribute(CKA_PRIME_1, ByteView(Bn(RSA_get0_p(rsa)))));
  wrong_dp.Add(Attribute(CKA_PRIME_2, ByteView(Bn(RSA_get0_q(rsa)))));
  wrong_dp.Add(Attribute(CKA_EXPONENT_1, ByteView(dp)));
  EXPECT_THAT(s().CreateObject(wrong_dp), RvIs(Rv::kAttributeValueInvalid));
  // An even modulus or exponent is no RSA key.
  Bytes even = Bn(RSA_get0_n(rsa));
  even.back() &= 0xfe;
  EXPECT_THAT(s().CreateObject({attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_RSA},
                                attr::Modulus{even}, attr::PublicExponent{Bytes{1, 0, 1}}}),
              RvIs(Rv::kAttributeValueInvalid));
  EXPECT_THAT(
      s().CreateObject({attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_RSA},
                        attr::Modulus{Bn(RSA_get0_n(rsa))}, attr::PublicExponent{Bytes{1, 0, 0}}}),
      RvIs(Rv::kAttributeValueInvalid));
}

TEST_F(KeyObjectTest, RsaKeysMissingPartsAreIncomplete) {
  const RSA* rsa = SharedRsa();
  EXPECT_THAT(s().CreateObject({attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_RSA},
                                attr::Modulus{Bn(RSA_get0_n(rsa))}}),
              RvIs(Rv::kTemplateIncomplete));
  EXPECT_THAT(s().CreateObject({attr::Class{CKO_PRIVATE_KEY}, attr::KeyType{CKK_RSA},
                                attr::Modulus{Bn(RSA_get0_n(rsa))},
                                attr::PublicExponent{Bn(RSA_get0_e(rsa))}}),
              RvIs(Rv::kTemplateIncomplete));
  // One prime without the other.
  Template one_prime = RsaPrivate(rsa);
  one_prime.Add(Attribute(CKA_PRIME_1, ByteView(Bn(RSA_get0_p(rsa)))));
  EXPECT_THAT(s().CreateObject(one_prime), RvIs(Rv::kTemplateIncomplete));
}

TEST_F(KeyObjectTest, RsaPublicKeyFromItsSubjectPublicKeyInfoAlone) {
  const RSA* rsa = SharedRsa();
  ASSERT_OK_AND_ASSIGN(ObjectHandle priv, s().CreateObject(RsaPrivate(rsa)));
  // The public key of a private key object: read its CKA_PUBLIC_KEY_INFO,
  // create a public key object from it.
  const Bytes spki = Spki(priv);
  ASSERT_FALSE(spki.empty());
  ASSERT_OK_AND_ASSIGN(ObjectHandle pub,
                       s().CreateObject({attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_RSA},
                                         attr::PublicKeyInfo{spki}}));
  EXPECT_THAT(s().Get<attr::Modulus>(pub), Optional(Bn(RSA_get0_n(rsa))));
  EXPECT_THAT(s().Get<attr::PublicExponent>(pub), Optional(Bytes{1, 0, 1}));
  EXPECT_THAT(s().Get<attr::ModulusBits>(pub), Optional(2048ul));
  EXPECT_EQ(Spki(pub), spki);
  SignsForEachOther(priv, pub, Mechanism{CKM_SHA384_RSA_PKCS});
  // Given with the same parts: fine (the modulus with a leading zero is the
  // same number).
  Bytes padded = Bn(RSA_get0_n(rsa));
  padded.insert(padded.begin(), 0);
  EXPECT_THAT(s().CreateObject({attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_RSA},
                                attr::PublicKeyInfo{spki}, attr::Modulus{padded}}),
              IsOk());
}

TEST_F(KeyObjectTest, RsaSubjectPublicKeyInfoMustAgreeWithTheKey) {
  const RSA* rsa = SharedRsa();
  const Bytes spki = RsaSpki(rsa);
  Bytes other_n = Bn(RSA_get0_n(rsa));
  other_n[10] ^= 1;
  // A public key given twice, differently: inconsistent.
  EXPECT_THAT(s().CreateObject({attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_RSA},
                                attr::PublicKeyInfo{spki}, attr::Modulus{other_n},
                                attr::PublicExponent{Bytes{1, 0, 1}}}),
              RvIs(Rv::kTemplateInconsistent));
  // A private key's CKA_PUBLIC_KEY_INFO must be its own public key.
  bssl::UniquePtr<EC_KEY> ec(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
  ASSERT_TRUE(EC_KEY_generate_key(ec.get()));
  Template priv = RsaPrivate(rsa);
  priv.Add(attr::PublicKeyInfo{spki});
  EXPECT_THAT(s().CreateObject(priv), IsOk());
  bssl::UniquePtr<RSA> other(RSA_new());
  bssl::UniquePtr<BIGNUM> e(BN_new());
  BN_set_word(e.get(), RSA_F4);
  ASSERT_TRUE(RSA_generate_key_ex(other.get(), 2048, e.get(), nullptr));
  Template mismatch = RsaPrivate(rsa);
  mismatch.Add(attr::PublicKeyInfo{RsaSpki(other.get())});
  EXPECT_THAT(s().CreateObject(mismatch), RvIs(Rv::kAttributeValueInvalid));
  // Another algorithm's key info: inconsistent with CKK_RSA; junk: invalid.
  EXPECT_THAT(s().CreateObject({attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_RSA},
                                attr::PublicKeyInfo{EcSpki(ec.get())}}),
              RvIs(Rv::kTemplateInconsistent));
  Bytes junk = spki;
  junk.resize(junk.size() - 3);
  EXPECT_THAT(s().CreateObject(
                  {attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_RSA}, attr::PublicKeyInfo{junk}}),
              RvIs(Rv::kAttributeValueInvalid));
}

TEST_F(KeyObjectTest, PublicKeyFromAGeneratedPrivateKeysInfo) {
  ASSERT_OK_AND_ASSIGN(auto pair, GenerateKeyPair(s(), Mechanism{CKM_RSA_PKCS_KEY_PAIR_GEN},
                                                  {attr::ModulusBits{2048}}, {}));
  ASSERT_OK_AND_ASSIGN(Bytes info, s().Get<attr::PublicKeyInfo>(pair.second));
  ASSERT_OK_AND_ASSIGN(ObjectHandle pub,
                       s().CreateObject({attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_RSA},
                                         attr::PublicKeyInfo{info}}));
  EXPECT_EQ(s().Get<attr::Modulus>(pub).value_or(Bytes{1}),
            s().Get<attr::Modulus>(pair.first).value_or(Bytes{2}));
  SignsForEachOther(pair.second, pub, Mechanism{CKM_SHA256_RSA_PKCS});
}

// --- EC ---------------------------------------------------------------------

TEST_F(KeyObjectTest, EcKeysOnEveryCurve) {
  for (int nid : {NID_secp224r1, NID_X9_62_prime256v1, NID_secp384r1, NID_secp521r1}) {
    SCOPED_TRACE(nid);
    bssl::UniquePtr<EC_KEY> ec(EC_KEY_new_by_curve_name(nid));
    ASSERT_TRUE(EC_KEY_generate_key(ec.get()));
    const Bytes params = mech::CurveOid(nid);
    const Bytes raw = Point(ec.get(), POINT_CONVERSION_UNCOMPRESSED);
    const Bytes der = mech::DerOctetString(raw);
    const Bytes want = EcSpki(ec.get());
    // Raw, DER-wrapped or compressed: stored as the DER of the uncompressed point.
    for (const Bytes& given : {raw, der, Point(ec.get(), POINT_CONVERSION_COMPRESSED)}) {
      ASSERT_OK_AND_ASSIGN(ObjectHandle pub,
                           s().CreateObject({attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_EC},
                                             attr::EcParams{params}, attr::EcPoint{given}}));
      EXPECT_THAT(s().Get<attr::EcPoint>(pub), Optional(der));
      EXPECT_EQ(Spki(pub), want);
      EXPECT_TRUE(Cached(pub));
    }
    const size_t order_bytes = BN_num_bytes(EC_GROUP_get0_order(EC_KEY_get0_group(ec.get())));
    ASSERT_OK_AND_ASSIGN(ObjectHandle priv,
                         s().CreateObject({attr::Class{CKO_PRIVATE_KEY}, attr::KeyType{CKK_EC},
                                           attr::EcParams{params},
                                           attr::Value{Bn(EC_KEY_get0_private_key(ec.get()))}}));
    EXPECT_EQ(Spki(priv), want);
    EXPECT_TRUE(Cached(priv));
    // The public key from the private key's info alone.
    ASSERT_OK_AND_ASSIGN(ObjectHandle from_info,
                         s().CreateObject({attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_EC},
                                           attr::PublicKeyInfo{Spki(priv)}}));
    EXPECT_THAT(s().Get<attr::EcParams>(from_info), Optional(params));
    EXPECT_THAT(s().Get<attr::EcPoint>(from_info), Optional(der));
    SignsForEachOther(priv, from_info, Mechanism{CKM_ECDSA_SHA256});
    (void)order_bytes;
  }
}

TEST_F(KeyObjectTest, BadEcKeysAreRefused) {
  bssl::UniquePtr<EC_KEY> ec(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
  ASSERT_TRUE(EC_KEY_generate_key(ec.get()));
  const Bytes point = Point(ec.get(), POINT_CONVERSION_UNCOMPRESSED);
  auto pub = [&](Bytes params, Bytes p) {
    return s().CreateObject({attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_EC},
                             attr::EcParams{std::move(params)}, attr::EcPoint{std::move(p)}});
  };
  Bytes off = point;
  off[40] ^= 1;
  EXPECT_THAT(pub(kP256Oid, off), RvIs(Rv::kAttributeValueInvalid));
  EXPECT_THAT(pub(kP256Oid, Bytes{0}), RvIs(Rv::kAttributeValueInvalid));  // infinity
  EXPECT_THAT(pub(kP256Oid, Bytes(point.begin(), point.end() - 1)),
              RvIs(Rv::kAttributeValueInvalid));
  // A point of P-256 is not one of P-384.
  EXPECT_THAT(pub(mech::CurveOid(NID_secp384r1), point), RvIs(Rv::kAttributeValueInvalid));
  // Curves the token does not have; Edwards parameters on CKK_EC.
  EXPECT_THAT(pub(kSecp256k1Oid, point), RvIs(Rv::kCurveNotSupported));
  EXPECT_THAT(pub(kEd25519Oid, point), RvIs(Rv::kCurveNotSupported));
  EXPECT_THAT(pub(Bytes{0x06, 0x01}, point), RvIs(Rv::kDomainParamsInvalid));
  // Private values 0 and n are not private keys.
  const BIGNUM* order = EC_GROUP_get0_order(EC_KEY_get0_group(ec.get()));
  for (const Bytes& d : {Bytes(32, 0), Bn(order)}) {
    EXPECT_THAT(s().CreateObject({attr::Class{CKO_PRIVATE_KEY}, attr::KeyType{CKK_EC},
                                  attr::EcParams{kP256Oid}, attr::Value{d}}),
                RvIs(Rv::kAttributeValueInvalid));
  }
  // Missing parts.
  EXPECT_THAT(s().CreateObject(
                  {attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_EC}, attr::EcParams{kP256Oid}}),
              RvIs(Rv::kTemplateIncomplete));
  // Info and point of different keys.
  bssl::UniquePtr<EC_KEY> other(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
  ASSERT_TRUE(EC_KEY_generate_key(other.get()));
  EXPECT_THAT(s().CreateObject({attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_EC},
                                attr::PublicKeyInfo{EcSpki(other.get())}, attr::EcPoint{point}}),
              RvIs(Rv::kTemplateInconsistent));
  EXPECT_THAT(s().CreateObject({attr::Class{CKO_PRIVATE_KEY}, attr::KeyType{CKK_EC},
                                attr::EcParams{kP256Oid},
                                attr::Value{Bn(EC_KEY_get0_private_key(ec.get()))},
                                attr::PublicKeyInfo{EcSpki(other.get())}}),
              RvIs(Rv::kAttributeValueInvalid));
  // Key info on a curve the token lacks.
  EXPECT_THAT(s().CreateObject({attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_EC},
                                attr::PublicKeyInfo{EcInfo(kSecp256k1Oid, point)}}),
              RvIs(Rv::kCurveNotSupported));
  // ... which is the P-256 one with P-256's OID.
  EXPECT_EQ(EcInfo(kP256Oid, point), EcSpki(ec.get()));
}

// --- Ed25519 and X25519 -----------------------------------------------------

TEST_F(KeyObjectTest, Ed25519Keys) {
  const testing::Rfc8032Test1 rfc;
  const Bytes& seed = rfc.seed;
  const Bytes& pub = rfc.pub;
  const Bytes& sig = rfc.signature;
  Bytes want = Hex("302a300506032b6570032100");  // RFC 8410 SubjectPublicKeyInfo
  want.insert(want.end(), pub.begin(), pub.end());
  ASSERT_OK_AND_ASSIGN(
      ObjectHandle priv,
      s().CreateObject({attr::Class{CKO_PRIVATE_KEY}, attr::KeyType{CKK_EC_EDWARDS},
                        attr::EcParams{kEd25519Oid}, attr::Value{seed}}));
  EXPECT_EQ(Spki(priv), want);
  EXPECT_TRUE(Cached(priv));
  ASSERT_OK_AND_ASSIGN(ObjectHandle raw_pub,
                       s().CreateObject({attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_EC_EDWARDS},
                                         attr::EcParams{kEd25519Oid}, attr::EcPoint{pub}}));
  EXPECT_THAT(s().Get<attr::EcPoint>(raw_pub), Optional(mech::DerOctetString(pub)));
  EXPECT_EQ(Spki(raw_pub), want);
  ASSERT_OK_AND_ASSIGN(ObjectHandle from_info,
                       s().CreateObject({attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_EC_EDWARDS},
                                         attr::PublicKeyInfo{want}}));
  EXPECT_THAT(s().Get<attr::EcParams>(from_info), Optional(kEd25519Oid));
  EXPECT_THAT(Verify(from_info, Mechanism{CKM_EDDSA}, {}, sig), IsOk());
  // Wrong lengths, another curve, another algorithm's info.
  EXPECT_THAT(s().CreateObject({attr::Class{CKO_PRIVATE_KEY}, attr::KeyType{CKK_EC_EDWARDS},
                                attr::EcParams{kEd25519Oid},
                                attr::Value{Bytes(seed.begin(), seed.end() - 1)}}),
              RvIs(Rv::kAttributeValueInvalid));
  Bytes longer = pub;
  longer.push_back(0);
  EXPECT_THAT(s().CreateObject({attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_EC_EDWARDS},
                                attr::EcParams{kEd25519Oid}, attr::EcPoint{longer}}),
              RvIs(Rv::kAttributeValueInvalid));
  EXPECT_THAT(s().CreateObject({attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_EC_EDWARDS},
                                attr::EcParams{kX25519Oid}, attr::EcPoint{pub}}),
              RvIs(Rv::kCurveNotSupported));
  Bytes x_info = Hex("302a300506032b656e032100");
  x_info.insert(x_info.end(), pub.begin(), pub.end());
  EXPECT_THAT(s().CreateObject({attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_EC_EDWARDS},
                                attr::PublicKeyInfo{x_info}}),
              RvIs(Rv::kTemplateInconsistent));
  EXPECT_THAT(s().CreateObject({attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_EC_EDWARDS},
                                attr::EcParams{kEd25519Oid}}),
              RvIs(Rv::kTemplateIncomplete));
}

TEST_F(KeyObjectTest, X25519Keys) {
  // RFC 7748 section 6.1: Alice's key pair, Bob's public value, the secret.
  const Bytes alice = Hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  const Bytes alice_pub = Hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  const Bytes bob_pub = Hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  const Bytes shared = Hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  Bytes want = Hex("302a300506032b656e032100");
  want.insert(want.end(), alice_pub.begin(), alice_pub.end());
  ASSERT_OK_AND_ASSIGN(
      ObjectHandle priv,
      s().CreateObject({attr::Class{CKO_PRIVATE_KEY}, attr::KeyType{CKK_EC_MONTGOMERY},
                        attr::EcParams{kX25519Oid}, attr::Value{alice}, attr::Derive{true}}));
  EXPECT_EQ(Spki(priv), want);
  EXPECT_TRUE(Cached(priv));
  ASSERT_OK_AND_ASSIGN(
      ObjectHandle k,
      DeriveKey(s(), Mechanism{CKM_ECDH1_DERIVE, mech::Ecdh1DeriveParams{CKD_NULL, {}, bob_pub}},
                priv,
                {attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_GENERIC_SECRET},
                 attr::Sensitive{false}, attr::Extractable{true}}));
  EXPECT_THAT(s().Get<attr::Value>(k), Optional(shared));
  ASSERT_OK_AND_ASSIGN(ObjectHandle from_info, s().CreateObject({attr::Class{CKO_PUBLIC_KEY},
                                                                 attr::KeyType{CKK_EC_MONTGOMERY},
                                                                 attr::PublicKeyInfo{want}}));
  EXPECT_THAT(s().Get<attr::EcPoint>(from_info), Optional(mech::DerOctetString(alice_pub)));
  EXPECT_THAT(s().CreateObject({attr::Class{CKO_PRIVATE_KEY}, attr::KeyType{CKK_EC_MONTGOMERY},
                                attr::EcParams{kX25519Oid}, attr::Value{Bytes(16, 1)}}),
              RvIs(Rv::kAttributeValueInvalid));
  EXPECT_THAT(s().CreateObject({attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_EC_MONTGOMERY},
                                attr::EcParams{kX25519Oid}, attr::PublicKeyInfo{want},
                                attr::EcPoint{bob_pub}}),
              RvIs(Rv::kTemplateInconsistent));
}

// --- DH ---------------------------------------------------------------------

class DhKeyObjectTest : public KeyObjectTest {
 protected:
  void SetUp() override {
    KeyObjectTest::SetUp();
    bssl::UniquePtr<DH> group(DH_get_rfc7919_2048());
    p_ = Bn(DH_get0_p(group.get()));
  }
  Result<ObjectHandle> Create(CK_OBJECT_CLASS cls, Bytes p, Bytes g, Bytes value) {
    return s().CreateObject({attr::Class{cls}, attr::KeyType{CKK_DH},
                             Attribute(CKA_PRIME, ByteView(p)), Attribute(CKA_BASE, ByteView(g)),
                             attr::Value{std::move(value)}, attr::Derive{true}});
  }
  Bytes p_;
};

TEST_F(DhKeyObjectTest, DhKeysGetTheirInfoAndThePublicKeyComesBackFromIt) {
  ASSERT_OK_AND_ASSIGN(auto pair, GenerateKeyPair(s(), Mechanism{CKM_DH_PKCS_KEY_PAIR_GEN}, {},
                                                  {attr::Derive{true}, attr::Extractable{true},
                                                   attr::Sensitive{false}}));
  ASSERT_OK_AND_ASSIGN(Bytes y, s().Get<attr::Value>(pair.first));
  ASSERT_OK_AND_ASSIGN(Bytes x, s().Get<attr::Value>(pair.second));
  const Bytes info = Spki(pair.first);
  ASSERT_FALSE(info.empty());
  EXPECT_EQ(Spki(pair.second), info);
  // The private key made again from its value has the same info.
  ASSERT_OK_AND_ASSIGN(ObjectHandle priv, Create(CKO_PRIVATE_KEY, p_, Bytes{2}, x));
  EXPECT_EQ(Spki(priv), info);
  EXPECT_TRUE(Cached(priv));
  // The public key from the info alone: p, g and y.
  ASSERT_OK_AND_ASSIGN(ObjectHandle pub,
                       s().CreateObject({attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_DH},
                                         attr::PublicKeyInfo{info}}));
  EXPECT_THAT(s().GetAttribute(pub, CKA_PRIME), IsOk());
  EXPECT_EQ(s().GetAttribute(pub, CKA_PRIME)->value().size(), 256u);
  EXPECT_THAT(s().Get<attr::Value>(pub), Optional(y));
  // ... and it is well-formed DER: SEQUENCE { AlgorithmIdentifier, BIT STRING }.
  CBS cbs, seq, alg, bits;
  CBS_init(&cbs, info.data(), info.size());
  EXPECT_TRUE(CBS_get_asn1(&cbs, &seq, CBS_ASN1_SEQUENCE) && CBS_len(&cbs) == 0 &&
              CBS_get_asn1(&seq, &alg, CBS_ASN1_SEQUENCE) &&
              CBS_get_asn1(&seq, &bits, CBS_ASN1_BITSTRING) && CBS_len(&seq) == 0);
  // A private key made from the public key's value: not its info.
  Bytes other_x = x;
  other_x.back() ^= 1;
  EXPECT_THAT(
      s().CreateObject({attr::Class{CKO_PRIVATE_KEY}, attr::KeyType{CKK_DH},
                        Attribute(CKA_PRIME, ByteView(p_)), Attribute(CKA_BASE, ByteView(Bytes{2})),
                        attr::Value{other_x}, attr::PublicKeyInfo{info}}),
      RvIs(Rv::kAttributeValueInvalid));
}

TEST_F(DhKeyObjectTest, BadDhKeysAreRefused) {
  Bytes p_minus_1 = p_;
  p_minus_1.back() -= 1;
  // Public values outside 2..p-2.
  for (const Bytes& y : {Bytes{1}, Bytes{0}, p_minus_1, p_}) {
    EXPECT_THAT(Create(CKO_PUBLIC_KEY, p_, Bytes{2}, y), RvIs(Rv::kAttributeValueInvalid));
  }
  // Private values 0 and p.
  EXPECT_THAT(Create(CKO_PRIVATE_KEY, p_, Bytes{2}, Bytes{0}), RvIs(Rv::kAttributeValueInvalid));
  EXPECT_THAT(Create(CKO_PRIVATE_KEY, p_, Bytes{2}, p_), RvIs(Rv::kAttributeValueInvalid));
  // Group parameters: an even prime, a base of 1 or p.
  Bytes even = p_;
  even.back() &= 0xfe;
  EXPECT_THAT(Create(CKO_PUBLIC_KEY, even, Bytes{2}, Bytes{5}), RvIs(Rv::kDomainParamsInvalid));
  EXPECT_THAT(Create(CKO_PUBLIC_KEY, p_, Bytes{1}, Bytes{5}), RvIs(Rv::kDomainParamsInvalid));
  EXPECT_THAT(Create(CKO_PUBLIC_KEY, p_, p_, Bytes{5}), RvIs(Rv::kDomainParamsInvalid));
  // No base.
  EXPECT_THAT(s().CreateObject({attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_DH},
                                Attribute(CKA_PRIME, ByteView(p_)), attr::Value{Bytes{5}}}),
              RvIs(Rv::kTemplateIncomplete));
}

// --- Copies -------------------------------------------------------------------

TEST_F(KeyObjectTest, CopiesShareTheParsedKeyAndGetTheirOwnUniqueId) {
  ASSERT_OK_AND_ASSIGN(ObjectHandle priv, s().CreateObject(RsaPrivate(SharedRsa())));
  ASSERT_OK_AND_ASSIGN(ObjectHandle copy, s().CopyObject(priv, {attr::Label{"copy"}}));
  auto a = s().GetObject(priv);
  auto b = s().GetObject(copy);
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ((*a)->Cache(), (*b)->Cache());
  ASSERT_OK_AND_ASSIGN(std::string id_a, s().Get<attr::UniqueId>(priv));
  ASSERT_OK_AND_ASSIGN(std::string id_b, s().Get<attr::UniqueId>(copy));
  EXPECT_EQ(id_b.size(), 32u);
  EXPECT_EQ(id_b.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(id_a, id_b);
  EXPECT_EQ(Spki(copy), Spki(priv));
}

}  // namespace
}  // namespace cryptoki
