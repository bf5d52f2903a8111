// DH (PKCS #3) through the C++ API: key pairs on the RFC 7919 group or
// caller-given parameters, and derivation that agrees on both sides.
#include <openssl/bn.h>
#include <openssl/bytestring.h>
#include <openssl/dh.h>

#include "cryptoki/mech/asym.h"
#include "tests/mech_test_util.h"

namespace cryptoki {
namespace {

using ::cryptoki::testing::IsOk;
using ::cryptoki::testing::RvIs;

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
  ASSERT_OK_AND_ASSIGN(Attribute bits, s().GetAttribute(a.second, CKA_VALUE_BITS));
  EXPECT_GT(*bits.AsUlong(), 0u);

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
