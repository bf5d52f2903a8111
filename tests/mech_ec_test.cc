// EC through the C++ API: key pairs on P-224..P-521 with every
// CKA_EC_PARAMS form, CKA_EC_POINT as DER, ECDSA raw and hashed (r || s),
// single and multi-part, and ECDH1 derivation with CKD_NULL and SHA KDFs.
#include <openssl/bn.h>
#include <openssl/bytestring.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/ecdh.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/obj.h>
#include <openssl/sha.h>

#include <optional>

#include "cryptoki/mech/asym.h"
#include "cryptoki/mech/ec.h"
#include "tests/mech_test_util.h"
#include "tests/wycheproof.h"

namespace cryptoki {
namespace {

using ::cryptoki::testing::Hex;
using ::cryptoki::testing::IsOk;
using ::cryptoki::testing::RvIs;

// DER OBJECT IDENTIFIERs of the curves.
const Bytes kP256Oid = Hex("06082a8648ce3d030107");
const Bytes kP384Oid = Hex("06052b81040022");
const Bytes kP521Oid = Hex("06052b81040023");
const Bytes kP224Oid = Hex("06052b81040021");

Bytes Printable(std::string_view name) {
  Bytes b{0x13, static_cast<uint8_t>(name.size())};
  b.insert(b.end(), name.begin(), name.end());
  return b;
}

class EcTest : public testing::MechTest {
 protected:
  void Generate(ByteView params) {
    auto pair = GenerateKeyPair(s(), Mechanism{CKM_EC_KEY_PAIR_GEN},
                                {attr::EcParams{Bytes(params.begin(), params.end())}},
                                {attr::Derive{true}});
    ASSERT_THAT(pair, IsOk());
    pub_ = pair->first;
    priv_ = pair->second;
  }
  Result<Bytes> Sign(const Mechanism& m, ByteView data) {
    CRYPTOKI_TRY(SignInit(s(), m, priv_));
    return RunOneShot(OpKind::kSign, data);
  }
  Result<> Verify(const Mechanism& m, ByteView data, ByteView sig) {
    CRYPTOKI_TRY(VerifyInit(s(), m, pub_));
    return s().VerifyOneShot(OpKind::kVerify, data, sig);
  }
  // PublicKey returns the BoringSSL key of the public object's SPKI.
  bssl::UniquePtr<EVP_PKEY> PublicKey(ObjectHandle h) {
    auto spki = s().Get<attr::PublicKeyInfo>(h);
    if (!spki) return nullptr;
    CBS cbs;
    CBS_init(&cbs, spki->data(), spki->size());
    return bssl::UniquePtr<EVP_PKEY>(EVP_parse_public_key(&cbs));
  }

  ObjectHandle pub_, priv_;
  const Bytes msg_{'h', 'e', 'l', 'l', 'o', ' ', 'e', 'c'};
};

// CurveOid writes the supported curves' OIDs out; each must be exactly
// BoringSSL's DER encoding of the curve's object.
TEST(CurveOidTest, WrittenOutOidsAreBoringSslsEncoding) {
  for (int nid : {NID_secp224r1, NID_X9_62_prime256v1, NID_secp384r1, NID_secp521r1, NID_ED25519,
                  NID_X25519}) {
    bssl::ScopedCBB cbb;
    uint8_t* der = nullptr;
    size_t len = 0;
    ASSERT_TRUE(CBB_init(cbb.get(), 16) && OBJ_nid2cbb(cbb.get(), nid) &&
                CBB_finish(cbb.get(), &der, &len));
    bssl::UniquePtr<uint8_t> owned(der);
    EXPECT_EQ(mech::CurveOid(nid), Bytes(der, der + len)) << nid;
  }
  EXPECT_EQ(mech::CurveOid(NID_secp256k1).size(), 7u);  // any other curve: looked up
}

TEST_F(EcTest, GenerateKeyPairOnEveryCurveAndParamsForm) {
  struct Case {
    Bytes params;
    int nid;
    size_t point_len;
  } cases[] = {
      {kP256Oid, NID_X9_62_prime256v1, 65},
      {kP384Oid, NID_secp384r1, 97},
      {kP521Oid, NID_secp521r1, 133},
      {kP224Oid, NID_secp224r1, 57},
      {Printable("prime256v1"), NID_X9_62_prime256v1, 65},
      {Printable("secp384r1"), NID_secp384r1, 97},
      {Printable("P-521"), NID_secp521r1, 133},
  };
  for (const Case& c : cases) {
    Generate(c.params);
    // CKA_EC_POINT is a DER OCTET STRING holding the uncompressed point.
    ASSERT_OK_AND_ASSIGN(Bytes point, s().Get<attr::EcPoint>(pub_));
    auto raw = mech::ParseDerOctetString(point);
    ASSERT_THAT(raw, IsOk());
    EXPECT_EQ(raw->size(), c.point_len);
    EXPECT_EQ((*raw)[0], 0x04);
    // CKA_EC_PARAMS is normalised to the OID on both halves.
    EXPECT_EQ(s().Get<attr::EcParams>(pub_).value_or(Bytes{}), mech::CurveOid(c.nid));
    EXPECT_EQ(s().Get<attr::EcParams>(priv_).value_or(Bytes{}), mech::CurveOid(c.nid));
    EXPECT_THAT(s().GetAttribute(priv_, CKA_VALUE), RvIs(Rv::kAttributeSensitive));
    EXPECT_EQ(s().Get<attr::KeyGenMechanism>(pub_).value_or(0), CKM_EC_KEY_PAIR_GEN);
    EXPECT_EQ(s().Get<attr::Id>(pub_).value_or(Bytes{}),
              s().Get<attr::Id>(priv_).value_or(Bytes{1}));
    auto pkey = PublicKey(priv_);
    ASSERT_NE(pkey, nullptr);
    EXPECT_EQ(EC_GROUP_get_curve_name(EC_KEY_get0_group(EVP_PKEY_get0_EC_KEY(pkey.get()))), c.nid);
    // The pair signs and verifies.
    ASSERT_OK_AND_ASSIGN(Bytes sig, Sign(Mechanism{CKM_ECDSA_SHA256}, msg_));
    EXPECT_THAT(Verify(Mechanism{CKM_ECDSA_SHA256}, msg_, sig), IsOk());
  }
}

TEST_F(EcTest, GenerateKeyPairRefusesUnknownCurves) {
  const Mechanism gen{CKM_EC_KEY_PAIR_GEN};
  EXPECT_THAT(GenerateKeyPair(s(), gen, {}, {}), RvIs(Rv::kTemplateIncomplete));
  // secp256k1 and brainpoolP256r1: well-formed, not supported.
  EXPECT_THAT(GenerateKeyPair(s(), gen, {attr::EcParams{Hex("06052b8104000a")}}, {}),
              RvIs(Rv::kCurveNotSupported));
  EXPECT_THAT(GenerateKeyPair(s(), gen, {attr::EcParams{Hex("06092b2403030208010107")}}, {}),
              RvIs(Rv::kCurveNotSupported));
  EXPECT_THAT(GenerateKeyPair(s(), gen, {attr::EcParams{Printable("edwards25519")}}, {}),
              RvIs(Rv::kCurveNotSupported));
  EXPECT_THAT(GenerateKeyPair(s(), gen, {attr::EcParams{Hex("0608ffff")}}, {}),
              RvIs(Rv::kDomainParamsInvalid));
}

TEST_F(EcTest, EcdsaSignaturesAreRawRsAndVerifyWithBoringSsl) {
  Generate(kP256Oid);
  auto pkey = PublicKey(pub_);
  ASSERT_NE(pkey, nullptr);
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(msg_.data(), msg_.size(), digest);
  for (CK_MECHANISM_TYPE t : {CKM_ECDSA, CKM_ECDSA_SHA256}) {
    ASSERT_OK_AND_ASSIGN(
        Bytes sig,
        Sign(Mechanism{t}, t == CKM_ECDSA ? ByteView(digest, sizeof digest) : ByteView(msg_)));
    ASSERT_EQ(sig.size(), 64u);
    bssl::UniquePtr<ECDSA_SIG> es(ECDSA_SIG_new());
    BN_bin2bn(sig.data(), 32, es->r);
    BN_bin2bn(sig.data() + 32, 32, es->s);
    EXPECT_EQ(ECDSA_do_verify(digest, sizeof digest, es.get(), EVP_PKEY_get0_EC_KEY(pkey.get())),
              1);
  }
}

TEST_F(EcTest, HashedEcdsaWorksMultiPartWithEveryHash) {
  Generate(kP384Oid);
  for (CK_MECHANISM_TYPE t :
       {CKM_ECDSA_SHA1, CKM_ECDSA_SHA224, CKM_ECDSA_SHA256, CKM_ECDSA_SHA384, CKM_ECDSA_SHA512}) {
    ASSERT_THAT(SignInit(s(), Mechanism{t}, priv_), IsOk());
    Output none = Output::Query();
    ASSERT_THAT(s().Update(OpKind::kSign, ByteView(msg_).first(2), none), IsOk());
    ASSERT_THAT(s().Update(OpKind::kSign, ByteView(msg_).subspan(2), none), IsOk());
    Output q = Output::Query();
    ASSERT_THAT(s().Final(OpKind::kSign, q), IsOk());
    EXPECT_EQ(q.length, 96u);
    Bytes sig(q.length);
    Output o = Output::Into(sig);
    ASSERT_THAT(s().Final(OpKind::kSign, o), IsOk());
    EXPECT_THAT(Verify(Mechanism{t}, msg_, sig), IsOk()) << t;
    ASSERT_THAT(VerifyInit(s(), Mechanism{t}, pub_), IsOk());
    ASSERT_THAT(s().Update(OpKind::kVerify, msg_, none), IsOk());
    EXPECT_THAT(s().VerifyFinal(OpKind::kVerify, sig), IsOk());
  }
}

TEST_F(EcTest, VerifyTellsInvalidFromWrongLength) {
  Generate(kP521Oid);
  const Mechanism m{CKM_ECDSA_SHA512};
  ASSERT_OK_AND_ASSIGN(Bytes sig, Sign(m, msg_));
  EXPECT_EQ(sig.size(), 132u);
  Bytes bad = sig;
  bad[40] ^= 1;
  EXPECT_THAT(Verify(m, msg_, bad), RvIs(Rv::kSignatureInvalid));
  EXPECT_THAT(Verify(m, msg_, ByteView(sig).first(131)), RvIs(Rv::kSignatureLenRange));
  EXPECT_THAT(Verify(m, msg_, Bytes(132, 0)), RvIs(Rv::kSignatureInvalid));
}

TEST_F(EcTest, ImportedKeysAcceptRawOrDerPoints) {
  bssl::UniquePtr<EC_KEY> ec(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
  ASSERT_TRUE(EC_KEY_generate_key(ec.get()));
  Bytes point(65);
  EC_POINT_point2oct(EC_KEY_get0_group(ec.get()), EC_KEY_get0_public_key(ec.get()),
                     POINT_CONVERSION_UNCOMPRESSED, point.data(), point.size(), nullptr);
  Bytes d = mech::BnBytes(EC_KEY_get0_private_key(ec.get()), 32);
  auto priv = s().CreateObject({attr::Class{CKO_PRIVATE_KEY}, attr::KeyType{CKK_EC},
                                attr::EcParams{kP256Oid}, attr::Value{d}});
  ASSERT_THAT(priv, IsOk());
  priv_ = *priv;
  for (const Bytes& p : {point, mech::DerOctetString(point)}) {
    auto pub = s().CreateObject({attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_EC},
                                 attr::EcParams{kP256Oid}, attr::EcPoint{p}});
    ASSERT_THAT(pub, IsOk());
    pub_ = *pub;
    ASSERT_OK_AND_ASSIGN(Bytes sig, Sign(Mechanism{CKM_ECDSA_SHA256}, msg_));
    EXPECT_THAT(Verify(Mechanism{CKM_ECDSA_SHA256}, msg_, sig), IsOk());
  }
  // A point off the curve is refused when the object is created.
  Bytes off = point;
  off[64] ^= 1;
  EXPECT_THAT(s().CreateObject({attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_EC},
                                attr::EcParams{kP256Oid}, attr::EcPoint{off}}),
              RvIs(Rv::kAttributeValueInvalid));
}

class EcdhTest : public EcTest {
 protected:
  Template Derived(CK_ULONG len) {
    return Template{attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_GENERIC_SECRET},
                    attr::ValueLen{len}, attr::Sensitive{false}, attr::Extractable{true}};
  }
  Result<Bytes> DeriveValue(ObjectHandle base, mech::Ecdh1DeriveParams p, const Template& t,
                            CK_MECHANISM_TYPE type = CKM_ECDH1_DERIVE) {
    auto h = DeriveKey(s(), Mechanism{type, std::move(p)}, base, t);
    if (!h) return Fail(h.error());
    return s().Get<attr::Value>(*h);
  }
};

TEST_F(EcdhTest, BothSidesDeriveTheSameSecretAsBoringSsl) {
  Generate(kP256Oid);
  bssl::UniquePtr<EC_KEY> peer(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
  ASSERT_TRUE(EC_KEY_generate_key(peer.get()));
  Bytes peer_point(65);
  EC_POINT_point2oct(EC_KEY_get0_group(peer.get()), EC_KEY_get0_public_key(peer.get()),
                     POINT_CONVERSION_UNCOMPRESSED, peer_point.data(), 65, nullptr);
  // Expected Z from BoringSSL, with the token's public point.
  ASSERT_OK_AND_ASSIGN(Bytes der_point, s().Get<attr::EcPoint>(pub_));
  Bytes our_point = *mech::ParseDerOctetString(der_point);
  bssl::UniquePtr<EC_POINT> ours(EC_POINT_new(EC_KEY_get0_group(peer.get())));
  ASSERT_TRUE(EC_POINT_oct2point(EC_KEY_get0_group(peer.get()), ours.get(), our_point.data(),
                                 our_point.size(), nullptr));
  Bytes z(32);
  ASSERT_EQ(ECDH_compute_key(z.data(), 32, ours.get(), peer.get(), nullptr), 32);

  // CKD_NULL, raw and DER public value, full length and truncated.
  EXPECT_THAT(DeriveValue(priv_, {CKD_NULL, {}, peer_point}, Derived(32)), ::testing::Optional(z));
  EXPECT_THAT(DeriveValue(priv_, {CKD_NULL, {}, mech::DerOctetString(peer_point)}, Derived(32)),
              ::testing::Optional(z));
  EXPECT_THAT(DeriveValue(priv_, {CKD_NULL, {}, peer_point}, Derived(16)),
              ::testing::Optional(Bytes(z.begin(), z.begin() + 16)));
  EXPECT_THAT(
      DeriveValue(priv_, {CKD_NULL, {}, peer_point}, Derived(32), CKM_ECDH1_COFACTOR_DERIVE),
      ::testing::Optional(z));
  // An AES key without CKA_VALUE_LEN takes the whole secret.
  auto aes =
      DeriveKey(s(), Mechanism{CKM_ECDH1_DERIVE, mech::Ecdh1DeriveParams{CKD_NULL, {}, peer_point}},
                priv_, {attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_AES}});
  ASSERT_THAT(aes, IsOk());
  EXPECT_EQ(s().Get<attr::ValueLen>(*aes).value_or(0), 32u);
  EXPECT_EQ(s().Get<attr::Local>(*aes).value_or(true), false);

  // ANSI X9.63 KDF with SHA-256: SHA256(Z || 00000001 || shared).
  const Bytes shared{'i', 'n', 'f', 'o'};
  Bytes block = z;
  block.insert(block.end(), {0, 0, 0, 1});
  block.insert(block.end(), shared.begin(), shared.end());
  uint8_t k1[32];
  SHA256(block.data(), block.size(), k1);
  EXPECT_THAT(DeriveValue(priv_, {CKD_SHA256_KDF, shared, peer_point}, Derived(20)),
              ::testing::Optional(Bytes(k1, k1 + 20)));
  // SP 800-56A concatenation: SHA256(00000001 || Z || shared).
  Bytes block2{0, 0, 0, 1};
  block2.insert(block2.end(), z.begin(), z.end());
  block2.insert(block2.end(), shared.begin(), shared.end());
  uint8_t k2[32];
  SHA256(block2.data(), block2.size(), k2);
  EXPECT_THAT(DeriveValue(priv_, {CKD_SHA256_KDF_SP800, shared, peer_point}, Derived(32)),
              ::testing::Optional(Bytes(k2, k2 + 32)));
}

TEST_F(EcdhTest, InvalidPublicValuesAndParamsAreRefused) {
  Generate(kP256Oid);
  bssl::UniquePtr<EC_KEY> peer(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
  ASSERT_TRUE(EC_KEY_generate_key(peer.get()));
  Bytes point(65);
  EC_POINT_point2oct(EC_KEY_get0_group(peer.get()), EC_KEY_get0_public_key(peer.get()),
                     POINT_CONVERSION_UNCOMPRESSED, point.data(), 65, nullptr);
  Bytes off = point;
  off[64] ^= 1;
  EXPECT_THAT(DeriveValue(priv_, {CKD_NULL, {}, off}, Derived(32)),
              RvIs(Rv::kMechanismParamInvalid));
  EXPECT_THAT(DeriveValue(priv_, {CKD_NULL, {}, Bytes{0}}, Derived(32)),
              RvIs(Rv::kMechanismParamInvalid));
  EXPECT_THAT(
      DeriveValue(priv_, {CKD_NULL, {}, Bytes(point.begin(), point.end() - 1)}, Derived(32)),
      RvIs(Rv::kMechanismParamInvalid));
  // CKD_NULL takes no shared data; unknown KDFs are refused.
  EXPECT_THAT(DeriveValue(priv_, {CKD_NULL, Bytes{1}, point}, Derived(32)),
              RvIs(Rv::kMechanismParamInvalid));
  EXPECT_THAT(DeriveValue(priv_, {0x777, {}, point}, Derived(32)),
              RvIs(Rv::kMechanismParamInvalid));
  // More than the secret with CKD_NULL.
  EXPECT_THAT(DeriveValue(priv_, {CKD_NULL, {}, point}, Derived(33)),
              RvIs(Rv::kTemplateInconsistent));
  // CKA_DERIVE false; a public key is not a base key; the parameter is required.
  auto no_derive =
      GenerateKeyPair(s(), Mechanism{CKM_EC_KEY_PAIR_GEN}, {attr::EcParams{kP256Oid}}, {});
  ASSERT_THAT(no_derive, IsOk());
  EXPECT_THAT(DeriveValue(no_derive->second, {CKD_NULL, {}, point}, Derived(32)),
              RvIs(Rv::kKeyFunctionNotPermitted));
  EXPECT_THAT(
      DeriveKey(s(), Mechanism{CKM_ECDH1_DERIVE, mech::Ecdh1DeriveParams{CKD_NULL, {}, point}},
                pub_, Derived(32)),
      RvIs(Rv::kKeyTypeInconsistent));
  EXPECT_THAT(DeriveKey(s(), Mechanism{CKM_ECDH1_DERIVE}, priv_, Derived(32)),
              RvIs(Rv::kMechanismParamInvalid));
}

// --- Wycheproof ----------------------------------------------------------

using testing::LoadWycheproof;
using testing::WycheproofCase;

struct WycheproofCurve {
  const char* name;
  int nid;
  size_t order_bytes;
};
constexpr WycheproofCurve kWycheproofCurves[] = {
    {"secp224r1", NID_secp224r1, 28},
    {"secp256r1", NID_X9_62_prime256v1, 32},
    {"secp384r1", NID_secp384r1, 48},
    {"secp521r1", NID_secp521r1, 66},
};
const WycheproofCurve* CurveNamed(const std::string& name) {
  for (const auto& c : kWycheproofCurves)
    if (name == c.name) return &c;
  return nullptr;
}

CK_MECHANISM_TYPE EcdsaMechanism(const std::string& sha) {
  if (sha == "SHA-1") return CKM_ECDSA_SHA1;
  if (sha == "SHA-224") return CKM_ECDSA_SHA224;
  if (sha == "SHA-256") return CKM_ECDSA_SHA256;
  if (sha == "SHA-384") return CKM_ECDSA_SHA384;
  if (sha == "SHA-512") return CKM_ECDSA_SHA512;
  return CKM_VENDOR_DEFINED;
}

// RawSignature converts a DER ECDSA signature to r || s, or nothing when the
// DER is not the canonical encoding of an (r, s) that fits (then only its
// encoding was wrong, which the PKCS #11 form cannot express).
std::optional<Bytes> RawSignature(ByteView der, size_t n) {
  bssl::UniquePtr<ECDSA_SIG> sig(ECDSA_SIG_from_bytes(der.data(), der.size()));
  if (!sig) return std::nullopt;
  uint8_t* re = nullptr;
  size_t re_len = 0;
  if (!ECDSA_SIG_to_bytes(&re, &re_len, sig.get())) return std::nullopt;
  const bool canonical = Equal(ByteView(re, re_len), der);
  OPENSSL_free(re);
  if (!canonical) return std::nullopt;
  if (BN_num_bytes(sig->r) > n || BN_num_bytes(sig->s) > n) return std::nullopt;
  Bytes out(2 * n);
  BN_bn2bin_padded(out.data(), n, sig->r);
  BN_bn2bin_padded(out.data() + n, n, sig->s);
  return out;
}

class EcWycheproofTest : public EcTest {};

TEST_F(EcWycheproofTest, EcdsaVerification) {
  size_t ran = 0;
  for (const char* file : {"ecdsa_secp224r1_sha224_test.txt", "ecdsa_secp224r1_sha256_test.txt",
                           "ecdsa_secp224r1_sha512_test.txt", "ecdsa_secp256r1_sha256_test.txt",
                           "ecdsa_secp256r1_sha512_test.txt", "ecdsa_secp384r1_sha384_test.txt",
                           "ecdsa_secp384r1_sha512_test.txt", "ecdsa_secp521r1_sha512_test.txt"}) {
    std::string last_point;
    for (const WycheproofCase& c : LoadWycheproof(file)) {
      const WycheproofCurve* curve = CurveNamed(c.Get("key.curve"));
      const CK_MECHANISM_TYPE m = EcdsaMechanism(c.Get("sha"));
      ASSERT_NE(curve, nullptr) << file;
      ASSERT_NE(m, CKM_VENDOR_DEFINED) << file;
      auto sig = RawSignature(c.GetBytes("sig"), curve->order_bytes);
      if (!sig) {
        EXPECT_FALSE(c.Get("result") == "valid") << file << " tcId " << c.tc_id;
        continue;
      }
      if (c.Get("key.uncompressed") != last_point) {
        last_point = c.Get("key.uncompressed");
        auto h =
            s().CreateObject({attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_EC},
                              attr::EcParams{mech::CurveOid(curve->nid)},
                              attr::EcPoint{mech::DerOctetString(c.GetBytes("key.uncompressed"))}});
        ASSERT_THAT(h, IsOk());
        pub_ = *h;
      }
      ++ran;
      auto r = Verify(Mechanism{m}, c.GetBytes("msg"), *sig);
      if (c.Get("result") == "valid") {
        EXPECT_THAT(r, IsOk()) << file << " tcId " << c.tc_id;
      } else if (c.Invalid()) {
        EXPECT_THAT(r, RvIs(Rv::kSignatureInvalid)) << file << " tcId " << c.tc_id;
      }
    }
  }
  EXPECT_GT(ran, 1000u);
}

// SpkiPoint returns the curve OID and the public point bytes of an SPKI,
// without validating the point.
std::optional<std::pair<Bytes, Bytes>> SpkiPoint(ByteView spki) {
  CBS cbs, seq, alg, oid, params, bits;
  CBS_init(&cbs, spki.data(), spki.size());
  uint8_t unused = 0;
  if (!CBS_get_asn1(&cbs, &seq, CBS_ASN1_SEQUENCE) ||
      !CBS_get_asn1(&seq, &alg, CBS_ASN1_SEQUENCE) || !CBS_get_asn1(&alg, &oid, CBS_ASN1_OBJECT) ||
      !CBS_get_asn1_element(&alg, &params, CBS_ASN1_OBJECT) ||
      !CBS_get_asn1(&seq, &bits, CBS_ASN1_BITSTRING) || !CBS_get_u8(&bits, &unused) ||
      unused != 0) {
    return std::nullopt;
  }
  return std::make_pair(Bytes(CBS_data(&params), CBS_data(&params) + CBS_len(&params)),
                        Bytes(CBS_data(&bits), CBS_data(&bits) + CBS_len(&bits)));
}

TEST_F(EcWycheproofTest, EcdhRefusesInvalidPublicPointsAndAgreesOnValidOnes) {
  size_t ran = 0, refused = 0;
  for (const char* file : {"ecdh_secp224r1_test.txt", "ecdh_secp256r1_test.txt",
                           "ecdh_secp384r1_test.txt", "ecdh_secp521r1_test.txt"}) {
    for (const WycheproofCase& c : LoadWycheproof(file)) {
      const WycheproofCurve* curve = CurveNamed(c.Get("curve"));
      ASSERT_NE(curve, nullptr) << file;
      auto spki = SpkiPoint(c.GetBytes("public"));
      const Bytes oid = mech::CurveOid(curve->nid);
      if (!spki || spki->first != oid) {
        // A malformed SPKI or another curve: nothing PKCS #11 could pass.
        EXPECT_NE(c.Get("result"), "valid") << file << " tcId " << c.tc_id;
        continue;
      }
      auto priv = s().CreateObject({attr::Class{CKO_PRIVATE_KEY}, attr::KeyType{CKK_EC},
                                    attr::EcParams{oid}, attr::Value{c.GetBytes("private")},
                                    attr::Derive{true}});
      ASSERT_THAT(priv, IsOk());
      ++ran;
      auto k = DeriveKey(
          s(), Mechanism{CKM_ECDH1_DERIVE, mech::Ecdh1DeriveParams{CKD_NULL, {}, spki->second}},
          *priv,
          {attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_GENERIC_SECRET}, attr::Sensitive{false}});
      if (c.Get("result") == "valid") {
        ASSERT_THAT(k, IsOk()) << file << " tcId " << c.tc_id;
        EXPECT_EQ(s().Get<attr::Value>(*k).value_or(Bytes{}), c.GetBytes("shared"))
            << file << " tcId " << c.tc_id;
      } else if (c.Invalid()) {
        EXPECT_THAT(k, RvIs(Rv::kMechanismParamInvalid)) << file << " tcId " << c.tc_id;
        ++refused;
      } else if (k) {
        EXPECT_EQ(s().Get<attr::Value>(*k).value_or(Bytes{}), c.GetBytes("shared"))
            << file << " tcId " << c.tc_id;
      }
      (void)s().DestroyObject(*priv);
      if (k) (void)s().DestroyObject(*k);
    }
  }
  EXPECT_GT(ran, 800u);
  EXPECT_GT(refused, 50u);
}

}  // namespace
}  // namespace cryptoki
