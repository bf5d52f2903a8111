// DH (PKCS #3) through the C++ API: key pairs on the RFC 7919 group or
// caller-given parameters, and derivation that agrees on both sides.
#include <openssl/bn.h>
#include <openssl/bytestring.h>
#include <openssl/dh.h>

#include <string>

#include "cryptoki/mech/asym.h"
#include "tests/mech_test_util.h"
#include "tests/module_util.h"

namespace cryptoki {
namespace {

using ::cryptoki::testing::IsOk;
using ::cryptoki::testing::RunCommand;
using ::cryptoki::testing::RvIs;

// OpensslGroupPrime returns the prime of the group |name| (ffdhe3072,
// modp_2048, dh_1024_160...) as the openssl command makes it, or nothing:
// the first INTEGER of its DER parameters (PKCS #3 or X9.42, p first).
Bytes OpensslGroupPrime(const std::string& name) {
  const std::string der =
      RunCommand("openssl genpkey -genparam -algorithm DH -pkeyopt group:" + name +
                 " 2>/dev/null | openssl dhparam -outform DER");
  CBS cbs, params;
  CBS_init(&cbs, reinterpret_cast<const uint8_t*>(der.data()), der.size());
  bssl::UniquePtr<BIGNUM> p(BN_new());
  if (!CBS_get_asn1(&cbs, &params, CBS_ASN1_SEQUENCE) ||
      !BN_parse_asn1_unsigned(&params, p.get())) {
    return {};
  }
  return mech::BnBytes(p.get());
}

class DhTest : public testing::MechTest {
 protected:
  Template Secret() {
    return Template{attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_GENERIC_SECRET},
                    attr::Sensitive{false}};
  }
  // ExpectAgreement derives from each pair's private key with the other's
  // public value and expects the same secret.
  void ExpectAgreement(std::pair<ObjectHandle, ObjectHandle> a,
                       std::pair<ObjectHandle, ObjectHandle> b) {
    ASSERT_OK_AND_ASSIGN(Bytes a_pub, s().Get<attr::Value>(a.first));
    ASSERT_OK_AND_ASSIGN(Bytes b_pub, s().Get<attr::Value>(b.first));
    ASSERT_OK_AND_ASSIGN(
        ObjectHandle ka,
        DeriveKey(s(), Mechanism{CKM_DH_PKCS_DERIVE, mech::RawParams{b_pub}}, a.second, Secret()));
    ASSERT_OK_AND_ASSIGN(
        ObjectHandle kb,
        DeriveKey(s(), Mechanism{CKM_DH_PKCS_DERIVE, mech::RawParams{a_pub}}, b.second, Secret()));
    EXPECT_EQ(s().Get<attr::Value>(ka).value_or(Bytes{1}),
              s().Get<attr::Value>(kb).value_or(Bytes{2}));
  }
};

TEST_F(DhTest, Rfc7919PairsDeriveTheSameSecretAsBoringSsl) {
  const Mechanism gen{CKM_DH_PKCS_KEY_PAIR_GEN};
  ASSERT_OK_AND_ASSIGN(auto a, GenerateKeyPair(s(), gen, {}, {attr::Derive{true}}));
  bssl::UniquePtr<DH> group(DH_get_rfc7919_2048());
  EXPECT_EQ(s().Get<attr::Value>(a.first).value_or(Bytes{}).size() <= 256, true);
  ASSERT_OK_AND_ASSIGN(Attribute prime, s().GetAttribute(a.first, CKA_PRIME));
  EXPECT_EQ(Bytes(prime.value().begin(), prime.value().end()),
            mech::BnBytes(DH_get0_p(group.get())));
  EXPECT_THAT(s().GetAttribute(a.second, CKA_VALUE), RvIs(Rv::kAttributeSensitive));
  // No CKA_VALUE_BITS: ffdhe2048's short exponent (RFC 7919 Appendix A.1).
  ASSERT_OK_AND_ASSIGN(Attribute bits, s().GetAttribute(a.second, CKA_VALUE_BITS));
  EXPECT_EQ(bits.AsUlong(), 225u);

  // The peer: BoringSSL on the same group.
  ASSERT_TRUE(DH_generate_key(group.get()));
  const Bytes peer_pub = mech::BnBytes(DH_get0_pub_key(group.get()));
  ASSERT_OK_AND_ASSIGN(Bytes our_pub, s().Get<attr::Value>(a.first));
  bssl::UniquePtr<BIGNUM> ours = mech::NewBn(our_pub);
  Bytes z(DH_size(group.get()));
  ASSERT_EQ(DH_compute_key_padded(z.data(), ours.get(), group.get()), 256);
  ASSERT_OK_AND_ASSIGN(
      ObjectHandle k,
      DeriveKey(s(), Mechanism{CKM_DH_PKCS_DERIVE, mech::RawParams{peer_pub}}, a.second, Secret()));
  EXPECT_EQ(s().Get<attr::Value>(k).value_or(Bytes{}), z);
  // Truncated to CKA_VALUE_LEN.
  Template t = Secret();
  t.Add(attr::ValueLen{32});
  ASSERT_OK_AND_ASSIGN(
      ObjectHandle k32,
      DeriveKey(s(), Mechanism{CKM_DH_PKCS_DERIVE, mech::RawParams{peer_pub}}, a.second, t));
  EXPECT_EQ(s().Get<attr::Value>(k32).value_or(Bytes{}), Bytes(z.begin(), z.begin() + 32));
}

TEST_F(DhTest, CallerGivenParametersAndBadPublicValues) {
  bssl::UniquePtr<DH> group(DH_get_rfc7919_2048());
  const Bytes p = mech::BnBytes(DH_get0_p(group.get()));
  const Mechanism gen{CKM_DH_PKCS_KEY_PAIR_GEN};
  Template pub{Attribute(CKA_PRIME, ByteView(p)), Attribute(CKA_BASE, ByteView(Bytes{2}))};
  ASSERT_OK_AND_ASSIGN(auto a, GenerateKeyPair(s(), gen, pub, {attr::Derive{true}}));
  ASSERT_OK_AND_ASSIGN(auto b, GenerateKeyPair(s(), gen, pub, {attr::Derive{true}}));
  ExpectAgreement(a, b);
  // 1, p - 1 and p are not public values.
  Bytes p_minus_1 = p;
  p_minus_1.back() -= 1;
  for (const Bytes& bad : {Bytes{1}, p_minus_1, p, Bytes{0}}) {
    EXPECT_THAT(
        DeriveKey(s(), Mechanism{CKM_DH_PKCS_DERIVE, mech::RawParams{bad}}, a.second, Secret()),
        RvIs(Rv::kMechanismParamInvalid));
  }
  EXPECT_THAT(DeriveKey(s(), Mechanism{CKM_DH_PKCS_DERIVE}, a.second, Secret()),
              RvIs(Rv::kMechanismParamInvalid));
  // Only the prime: incomplete. A tiny prime: out of range.
  EXPECT_THAT(GenerateKeyPair(s(), gen, {Attribute(CKA_PRIME, ByteView(p))}, {}),
              RvIs(Rv::kTemplateIncomplete));
  EXPECT_THAT(GenerateKeyPair(s(), gen,
                              {Attribute(CKA_PRIME, ByteView(Bytes{0xfb})),
                               Attribute(CKA_BASE, ByteView(Bytes{2}))},
                              {}),
              RvIs(Rv::kKeySizeRange));
}

// Without CKA_VALUE_BITS the private value is as long as the group needs:
// RFC 7919's secret key size for each ffdhe group (however the prime is
// given), else twice the SP 800-57 strength of |p|; CKA_VALUE_BITS and the
// value agree, and short values still agree with the peer.
TEST_F(DhTest, DefaultPrivateValueLengthFollowsTheGroup) {
  const Mechanism gen{CKM_DH_PKCS_KEY_PAIR_GEN};
  const Template priv{attr::Derive{true}, attr::Sensitive{false}, attr::Extractable{true}};
  struct Case {
    std::string name;
    Bytes p;
    CK_ULONG want;
  };
  std::vector<Case> cases = {
      {"ffdhe2048", OpensslGroupPrime("ffdhe2048"), 225},
      {"ffdhe3072", OpensslGroupPrime("ffdhe3072"), 275},
      {"ffdhe4096", OpensslGroupPrime("ffdhe4096"), 325},
      {"ffdhe6144", OpensslGroupPrime("ffdhe6144"), 375},
      {"ffdhe8192", OpensslGroupPrime("ffdhe8192"), 400},
      // Not RFC 7919 primes: SP 800-57 Part 1 Table 2, a size between rows
      // taking the larger strength.
      {"dh_1024_160", OpensslGroupPrime("dh_1024_160"), 160},
      {"modp_1536", OpensslGroupPrime("modp_1536"), 224},
      {"modp_2048", OpensslGroupPrime("modp_2048"), 224},
      {"modp_3072", OpensslGroupPrime("modp_3072"), 256},
      {"modp_4096", OpensslGroupPrime("modp_4096"), 384},
      {"modp_6144", OpensslGroupPrime("modp_6144"), 384},
      {"modp_8192", OpensslGroupPrime("modp_8192"), 512},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_FALSE(c.p.empty());
    const Template pub{Attribute(CKA_PRIME, ByteView(c.p)),
                       Attribute(CKA_BASE, ByteView(Bytes{2}))};
    ASSERT_OK_AND_ASSIGN(auto a, GenerateKeyPair(s(), gen, pub, priv));
    ASSERT_OK_AND_ASSIGN(Attribute bits, s().GetAttribute(a.second, CKA_VALUE_BITS));
    EXPECT_EQ(bits.AsUlong(), c.want);
    ASSERT_OK_AND_ASSIGN(Bytes x, s().Get<attr::Value>(a.second));
    EXPECT_EQ(static_cast<CK_ULONG>(BN_num_bits(mech::NewBn(x).get())), c.want);
    if (c.p.size() <= 384) {
      ASSERT_OK_AND_ASSIGN(auto b, GenerateKeyPair(s(), gen, pub, priv));
      ExpectAgreement(a, b);
    }
  }
  // The prime of the default group, given by the caller: the same length.
  bssl::UniquePtr<DH> group(DH_get_rfc7919_2048());
  EXPECT_EQ(cases[0].p, mech::BnBytes(DH_get0_p(group.get())));
}

TEST_F(DhTest, PrivateTemplateValueBitsSetsThePrivateValueLength) {
  const Mechanism gen{CKM_DH_PKCS_KEY_PAIR_GEN};
  for (CK_ULONG want : {256ul, 512ul, 2047ul}) {
    ASSERT_OK_AND_ASSIGN(
        auto a, GenerateKeyPair(s(), gen, {},
                                {attr::Derive{true}, Attribute::Ulong(CKA_VALUE_BITS, want),
                                 attr::Sensitive{false}, attr::Extractable{true}}));
    ASSERT_OK_AND_ASSIGN(Attribute bits, s().GetAttribute(a.second, CKA_VALUE_BITS));
    EXPECT_EQ(bits.AsUlong(), want);
    ASSERT_OK_AND_ASSIGN(Bytes x, s().Get<attr::Value>(a.second));
    EXPECT_EQ(BN_num_bits(mech::NewBn(x).get()), want);
    // The short private value still agrees with a full-length one.
    ASSERT_OK_AND_ASSIGN(auto b, GenerateKeyPair(s(), gen, {}, {attr::Derive{true}}));
    ExpectAgreement(a, b);
  }
  // Too short to be safe; not shorter than the 2048-bit prime.
  EXPECT_THAT(GenerateKeyPair(s(), gen, {}, {Attribute::Ulong(CKA_VALUE_BITS, 100)}),
              RvIs(Rv::kAttributeValueInvalid));
  EXPECT_THAT(GenerateKeyPair(s(), gen, {}, {Attribute::Ulong(CKA_VALUE_BITS, 2048)}),
              RvIs(Rv::kTemplateInconsistent));
  // It belongs to the private template only, and C_CreateObject may not set it.
  EXPECT_THAT(GenerateKeyPair(s(), gen, {Attribute::Ulong(CKA_VALUE_BITS, 256)}, {}),
              RvIs(Rv::kAttributeTypeInvalid));
  ASSERT_OK_AND_ASSIGN(
      auto c, GenerateKeyPair(s(), gen, {}, {attr::Sensitive{false}, attr::Extractable{true}}));
  ASSERT_OK_AND_ASSIGN(Attribute prime, s().GetAttribute(c.second, CKA_PRIME));
  ASSERT_OK_AND_ASSIGN(Bytes x, s().Get<attr::Value>(c.second));
  EXPECT_THAT(s().CreateObject({attr::Class{CKO_PRIVATE_KEY}, attr::KeyType{CKK_DH}, prime,
                                Attribute(CKA_BASE, ByteView(Bytes{2})), attr::Value{x},
                                Attribute::Ulong(CKA_VALUE_BITS, 256)}),
              RvIs(Rv::kAttributeReadOnly));
}

}  // namespace
}  // namespace cryptoki
