// RSA through the C++ API: key-pair generation and its attributes, PKCS #1
// v1.5, raw, OAEP and PSS, hashed multi-part signatures, sign/verify
// recover, imported keys with and without CRT values, key use rules.
#include <openssl/bn.h>
#include <openssl/bytestring.h>
#include <openssl/evp.h>
#include <openssl/nid.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include <map>
#include <string>

#include "cryptoki/mech/asym.h"
#include "tests/asym_test_util.h"
#include "tests/wycheproof.h"

namespace cryptoki {
namespace {

using ::cryptoki::testing::IsOk;
using ::cryptoki::testing::RvIs;
using mech::BnBytes;

using ::cryptoki::testing::SharedRsa;

class RsaTest : public testing::MechTest {
 protected:
  // Import makes a public and a private key object from |rsa|; |crt| false
  // leaves out the primes and CRT values.
  void Import(const RSA* rsa, bool crt = true, std::vector<Attribute> priv_extra = {}) {
    Template pub{attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_RSA},
                 attr::Modulus{BnBytes(RSA_get0_n(rsa))},
                 attr::PublicExponent{BnBytes(RSA_get0_e(rsa))}};
    Template priv{attr::Class{CKO_PRIVATE_KEY}, attr::KeyType{CKK_RSA},
                  attr::Modulus{BnBytes(RSA_get0_n(rsa))},
                  attr::PublicExponent{BnBytes(RSA_get0_e(rsa))},
                  Attribute(CKA_PRIVATE_EXPONENT, ByteView(BnBytes(RSA_get0_d(rsa))))};
    if (crt) {
      priv.Add(Attribute(CKA_PRIME_1, ByteView(BnBytes(RSA_get0_p(rsa)))));
      priv.Add(Attribute(CKA_PRIME_2, ByteView(BnBytes(RSA_get0_q(rsa)))));
      priv.Add(Attribute(CKA_EXPONENT_1, ByteView(BnBytes(RSA_get0_dmp1(rsa)))));
      priv.Add(Attribute(CKA_EXPONENT_2, ByteView(BnBytes(RSA_get0_dmq1(rsa)))));
      priv.Add(Attribute(CKA_COEFFICIENT, ByteView(BnBytes(RSA_get0_iqmp(rsa)))));
    }
    for (auto& a : priv_extra) priv.Add(std::move(a));
    auto p = s().CreateObject(pub);
    ASSERT_THAT(p, IsOk());
    auto q = s().CreateObject(priv);
    ASSERT_THAT(q, IsOk());
    pub_ = *p;
    priv_ = *q;
  }

  Result<Bytes> Sign(const Mechanism& m, ByteView data, ObjectHandle key = {}) {
    CRYPTOKI_TRY(SignInit(s(), m, key.valid() ? key : priv_));
    return RunOneShot(OpKind::kSign, data);
  }
  Result<> Verify(const Mechanism& m, ByteView data, ByteView sig, ObjectHandle key = {}) {
    CRYPTOKI_TRY(VerifyInit(s(), m, key.valid() ? key : pub_));
    return s().VerifyOneShot(OpKind::kVerify, data, sig);
  }
  Result<Bytes> Encrypt(const Mechanism& m, ByteView data) {
    CRYPTOKI_TRY(EncryptInit(s(), m, pub_));
    return RunOneShot(OpKind::kEncrypt, data);
  }
  Result<Bytes> Decrypt(const Mechanism& m, ByteView data) {
    CRYPTOKI_TRY(DecryptInit(s(), m, priv_));
    return RunOneShot(OpKind::kDecrypt, data);
  }

  ObjectHandle pub_, priv_;
  const Bytes msg_{'h', 'e', 'l', 'l', 'o', ' ', 'r', 's', 'a'};
};

TEST_F(RsaTest, GenerateKeyPairFillsEveryAttributeClientsRead) {
  Template pub{attr::ModulusBits{2048}, attr::Token{false}, attr::Label{"k"}};
  Template priv{attr::Label{"k"}, attr::Sensitive{true}};
  ASSERT_OK_AND_ASSIGN(auto pair,
                       GenerateKeyPair(s(), Mechanism{CKM_RSA_PKCS_KEY_PAIR_GEN}, pub, priv));
  auto [pub_h, priv_h] = pair;
  ASSERT_OK_AND_ASSIGN(Bytes n, s().Get<attr::Modulus>(pub_h));
  EXPECT_EQ(n.size(), 256u);
  EXPECT_EQ(s().Get<attr::ModulusBits>(pub_h).value_or(0), 2048u);
  EXPECT_EQ(s().Get<attr::PublicExponent>(pub_h).value_or(Bytes{}), (Bytes{1, 0, 1}));
  EXPECT_EQ(s().Get<attr::Modulus>(priv_h).value_or(Bytes{}), n);
  EXPECT_EQ(s().Get<attr::PublicExponent>(priv_h).value_or(Bytes{}), (Bytes{1, 0, 1}));
  EXPECT_TRUE(s().Get<attr::Local>(pub_h).value_or(false));
  EXPECT_TRUE(s().Get<attr::Local>(priv_h).value_or(false));
  EXPECT_EQ(s().Get<attr::KeyGenMechanism>(priv_h).value_or(0), CKM_RSA_PKCS_KEY_PAIR_GEN);
  EXPECT_TRUE(s().Get<attr::AlwaysSensitive>(priv_h).value_or(false));
  // CKA_ID pairs the two halves (SHA-1 of the modulus when none is given).
  ASSERT_OK_AND_ASSIGN(Bytes id, s().Get<attr::Id>(pub_h));
  EXPECT_EQ(id.size(), 20u);
  EXPECT_EQ(s().Get<attr::Id>(priv_h).value_or(Bytes{}), id);
  // The CRT values exist and are sensitive.
  for (AttributeType t : {CKA_PRIVATE_EXPONENT, CKA_PRIME_1, CKA_PRIME_2, CKA_EXPONENT_1,
                          CKA_EXPONENT_2, CKA_COEFFICIENT}) {
    EXPECT_THAT(s().GetAttribute(priv_h, t), RvIs(Rv::kAttributeSensitive)) << t;
  }
  // CKA_PUBLIC_KEY_INFO on both halves is the SubjectPublicKeyInfo.
  for (ObjectHandle h : {pub_h, priv_h}) {
    ASSERT_OK_AND_ASSIGN(Bytes spki, s().Get<attr::PublicKeyInfo>(h));
    CBS cbs;
    CBS_init(&cbs, spki.data(), spki.size());
    bssl::UniquePtr<EVP_PKEY> pkey(EVP_parse_public_key(&cbs));
    ASSERT_NE(pkey, nullptr);
    EXPECT_EQ(BnBytes(RSA_get0_n(EVP_PKEY_get0_RSA(pkey.get()))), n);
  }
  // And the pair works.
  pub_ = pub_h;
  priv_ = priv_h;
  ASSERT_OK_AND_ASSIGN(Bytes sig, Sign(Mechanism{CKM_SHA256_RSA_PKCS}, msg_));
  EXPECT_THAT(Verify(Mechanism{CKM_SHA256_RSA_PKCS}, msg_, sig), IsOk());
}

TEST_F(RsaTest, GenerateKeyPairKeepsGivenIdAndExponent) {
  Template pub{attr::ModulusBits{2048}, attr::PublicExponent{Bytes{3}}, attr::Id{Bytes{7, 7}}};
  ASSERT_OK_AND_ASSIGN(auto pair,
                       GenerateKeyPair(s(), Mechanism{CKM_RSA_PKCS_KEY_PAIR_GEN}, pub, {}));
  EXPECT_EQ(s().Get<attr::PublicExponent>(pair.first).value_or(Bytes{}), Bytes{3});
  EXPECT_EQ(s().Get<attr::Id>(pair.second).value_or(Bytes{}), (Bytes{7, 7}));
}

TEST_F(RsaTest, GenerateKeyPairRefusesBadSizesAndExponents) {
  const Mechanism gen{CKM_RSA_PKCS_KEY_PAIR_GEN};
  EXPECT_THAT(GenerateKeyPair(s(), gen, {}, {}), RvIs(Rv::kTemplateIncomplete));
  EXPECT_THAT(GenerateKeyPair(s(), gen, {attr::ModulusBits{1024}}, {}), RvIs(Rv::kKeySizeRange));
  EXPECT_THAT(GenerateKeyPair(s(), gen, {attr::ModulusBits{16384}}, {}), RvIs(Rv::kKeySizeRange));
  EXPECT_THAT(
      GenerateKeyPair(s(), gen, {attr::ModulusBits{2048}, attr::PublicExponent{Bytes{4}}}, {}),
      RvIs(Rv::kAttributeValueInvalid));
  EXPECT_THAT(
      GenerateKeyPair(s(), gen, {attr::ModulusBits{2048}, attr::Class{CKO_PRIVATE_KEY}}, {}),
      RvIs(Rv::kTemplateInconsistent));
  EXPECT_THAT(GenerateKeyPair(s(), gen, {attr::ModulusBits{2048}}, {attr::KeyType{CKK_EC}}),
              RvIs(Rv::kTemplateInconsistent));
  // Nothing was left behind.
  EXPECT_THAT(s().Find({attr::Class{CKO_PUBLIC_KEY}}), IsOk());
  EXPECT_TRUE(s().Find({attr::Class{CKO_PUBLIC_KEY}})->empty());
}

TEST_F(RsaTest, Pkcs1SignaturesMatchBoringSsl) {
  Import(SharedRsa());
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(msg_.data(), msg_.size(), digest);
  ASSERT_OK_AND_ASSIGN(Bytes sig, Sign(Mechanism{CKM_SHA256_RSA_PKCS}, msg_));
  EXPECT_EQ(sig.size(), 256u);
  EXPECT_EQ(RSA_verify(NID_sha256, digest, sizeof digest, sig.data(), sig.size(), SharedRsa()), 1);
  // PKCS #1 v1.5 is deterministic: the raw mechanism over a DigestInfo gives
  // the same signature.
  uint8_t* prefixed = nullptr;
  size_t prefixed_len = 0;
  int is_alloced = 0;
  ASSERT_TRUE(RSA_add_pkcs1_prefix(&prefixed, &prefixed_len, &is_alloced, NID_sha256, digest,
                                   sizeof digest));
  Bytes digest_info(prefixed, prefixed + prefixed_len);
  if (is_alloced) OPENSSL_free(prefixed);
  EXPECT_THAT(Sign(Mechanism{CKM_RSA_PKCS}, digest_info), ::testing::Optional(sig));
  EXPECT_THAT(Verify(Mechanism{CKM_RSA_PKCS}, digest_info, sig), IsOk());
  EXPECT_THAT(Verify(Mechanism{CKM_SHA256_RSA_PKCS}, msg_, sig), IsOk());
}

TEST_F(RsaTest, HashedSignaturesWorkMultiPart) {
  Import(SharedRsa());
  for (CK_MECHANISM_TYPE t : {CKM_SHA1_RSA_PKCS, CKM_SHA224_RSA_PKCS, CKM_SHA256_RSA_PKCS,
                              CKM_SHA384_RSA_PKCS, CKM_SHA512_RSA_PKCS}) {
    ASSERT_THAT(SignInit(s(), Mechanism{t}, priv_), IsOk());
    Output none = Output::Query();
    ASSERT_THAT(s().Update(OpKind::kSign, ByteView(msg_).first(3), none), IsOk());
    ASSERT_THAT(s().Update(OpKind::kSign, ByteView(msg_).subspan(3), none), IsOk());
    Bytes sig(256);
    Output out = Output::Into(sig);
    ASSERT_THAT(s().Final(OpKind::kSign, out), IsOk());
    // One-shot verification of the multi-part signature.
    EXPECT_THAT(Verify(Mechanism{t}, msg_, sig), IsOk()) << t;
    // Multi-part verification.
    ASSERT_THAT(VerifyInit(s(), Mechanism{t}, pub_), IsOk());
    ASSERT_THAT(s().Update(OpKind::kVerify, msg_, none), IsOk());
    EXPECT_THAT(s().VerifyFinal(OpKind::kVerify, sig), IsOk());
  }
}

TEST_F(RsaTest, VerifyTellsInvalidFromWrongLength) {
  Import(SharedRsa());
  const Mechanism m{CKM_SHA256_RSA_PKCS};
  ASSERT_OK_AND_ASSIGN(Bytes sig, Sign(m, msg_));
  Bytes bad = sig;
  bad[10] ^= 1;
  EXPECT_THAT(Verify(m, msg_, bad), RvIs(Rv::kSignatureInvalid));
  EXPECT_THAT(Verify(m, msg_, ByteView(sig).first(255)), RvIs(Rv::kSignatureLenRange));
  Bytes other = msg_;
  other.push_back('!');
  EXPECT_THAT(Verify(m, other, sig), RvIs(Rv::kSignatureInvalid));
  // The operation ended either way.
  EXPECT_THAT(s().VerifyOneShot(OpKind::kVerify, msg_, sig), RvIs(Rv::kOperationNotInitialized));
}

TEST_F(RsaTest, SignLengthQueryAndShortBufferKeepTheOperation) {
  Import(SharedRsa());
  ASSERT_THAT(SignInit(s(), Mechanism{CKM_SHA256_RSA_PKCS}, priv_), IsOk());
  Output q = Output::Query();
  ASSERT_THAT(s().OneShot(OpKind::kSign, msg_, q), IsOk());
  EXPECT_EQ(q.length, 256u);
  Bytes small(100);
  Output o = Output::Into(small);
  EXPECT_THAT(s().OneShot(OpKind::kSign, msg_, o), RvIs(Rv::kBufferTooSmall));
  EXPECT_EQ(o.length, 256u);
  Bytes sig(256);
  Output ok = Output::Into(sig);
  EXPECT_THAT(s().OneShot(OpKind::kSign, msg_, ok), IsOk());
  EXPECT_THAT(Verify(Mechanism{CKM_SHA256_RSA_PKCS}, msg_, sig), IsOk());
}

TEST_F(RsaTest, RawPkcs1RefusesDataTooLong) {
  Import(SharedRsa());
  Bytes data(256 - 11, 0x55);
  EXPECT_THAT(Sign(Mechanism{CKM_RSA_PKCS}, data), IsOk());
  data.push_back(1);
  EXPECT_THAT(Sign(Mechanism{CKM_RSA_PKCS}, data), RvIs(Rv::kDataLenRange));
  EXPECT_THAT(Encrypt(Mechanism{CKM_RSA_PKCS}, data), RvIs(Rv::kDataLenRange));
}

TEST_F(RsaTest, PssSignsVerifiesAndChecksParameters) {
  Import(SharedRsa());
  const Mechanism pss{CKM_SHA256_RSA_PKCS_PSS, mech::RsaPssParams{CKM_SHA256, CKG_MGF1_SHA256, 32}};
  ASSERT_OK_AND_ASSIGN(Bytes sig, Sign(pss, msg_));
  EXPECT_THAT(Verify(pss, msg_, sig), IsOk());
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(msg_.data(), msg_.size(), digest);
  EXPECT_EQ(RSA_verify_pss_mgf1(SharedRsa(), digest, sizeof digest, EVP_sha256(), EVP_sha256(), 32,
                                sig.data(), sig.size()),
            1);
  // The raw mechanism signs a digest of the parameters' hash.
  const Mechanism raw{CKM_RSA_PKCS_PSS, mech::RsaPssParams{CKM_SHA256, CKG_MGF1_SHA1, 0}};
  ASSERT_OK_AND_ASSIGN(Bytes raw_sig, Sign(raw, ByteView(digest, sizeof digest)));
  EXPECT_THAT(Verify(raw, ByteView(digest, sizeof digest), raw_sig), IsOk());
  EXPECT_THAT(Sign(raw, msg_), RvIs(Rv::kDataLenRange));
  // A different salt length does not verify.
  const Mechanism salt20{CKM_SHA256_RSA_PKCS_PSS,
                         mech::RsaPssParams{CKM_SHA256, CKG_MGF1_SHA256, 20}};
  EXPECT_THAT(Verify(salt20, msg_, sig), RvIs(Rv::kSignatureInvalid));
  // Parameters.
  EXPECT_THAT(SignInit(s(), Mechanism{CKM_SHA256_RSA_PKCS_PSS}, priv_),
              RvIs(Rv::kMechanismParamInvalid));
  EXPECT_THAT(SignInit(s(),
                       Mechanism{CKM_SHA256_RSA_PKCS_PSS,
                                 mech::RsaPssParams{CKM_SHA384, CKG_MGF1_SHA256, 32}},
                       priv_),
              RvIs(Rv::kMechanismParamInvalid));
  EXPECT_THAT(
      SignInit(s(), Mechanism{CKM_RSA_PKCS_PSS, mech::RsaPssParams{CKM_SHA256, 77, 32}}, priv_),
      RvIs(Rv::kMechanismParamInvalid));
  EXPECT_THAT(SignInit(s(),
                       Mechanism{CKM_SHA512_RSA_PKCS_PSS,
                                 mech::RsaPssParams{CKM_SHA512, CKG_MGF1_SHA512, 256 - 64 - 1}},
                       priv_),
              RvIs(Rv::kMechanismParamInvalid));
}

TEST_F(RsaTest, OaepRoundTripsWithEveryHashAndLabel) {
  Import(SharedRsa());
  const std::pair<CK_MECHANISM_TYPE, CK_ULONG> hashes[] = {
      {CKM_SHA_1, CKG_MGF1_SHA1},    {CKM_SHA224, CKG_MGF1_SHA224}, {CKM_SHA256, CKG_MGF1_SHA256},
      {CKM_SHA384, CKG_MGF1_SHA384}, {CKM_SHA512, CKG_MGF1_SHA512}, {CKM_SHA256, CKG_MGF1_SHA1}};
  for (auto [hash, mgf] : hashes) {
    const Mechanism m{CKM_RSA_PKCS_OAEP, mech::RsaOaepParams{hash, mgf, Bytes{'l', 'b'}}};
    ASSERT_OK_AND_ASSIGN(Bytes c, Encrypt(m, msg_));
    EXPECT_EQ(c.size(), 256u);
    EXPECT_THAT(Decrypt(m, c), ::testing::Optional(msg_)) << hash;
    const Mechanism other_label{CKM_RSA_PKCS_OAEP, mech::RsaOaepParams{hash, mgf, {}}};
    EXPECT_THAT(Decrypt(other_label, c), RvIs(Rv::kEncryptedDataInvalid));
  }
  const Mechanism sha512{CKM_RSA_PKCS_OAEP, mech::RsaOaepParams{CKM_SHA512, CKG_MGF1_SHA512, {}}};
  EXPECT_THAT(Encrypt(sha512, Bytes(256 - 2 * 64 - 2, 1)), IsOk());
  EXPECT_THAT(Encrypt(sha512, Bytes(256 - 2 * 64 - 1, 1)), RvIs(Rv::kDataLenRange));
  EXPECT_THAT(EncryptInit(s(), Mechanism{CKM_RSA_PKCS_OAEP}, pub_),
              RvIs(Rv::kMechanismParamInvalid));
  EXPECT_THAT(
      EncryptInit(s(), Mechanism{CKM_RSA_PKCS_OAEP, mech::RsaOaepParams{CKM_MD5, 1, {}}}, pub_),
      RvIs(Rv::kMechanismParamInvalid));
}

TEST_F(RsaTest, OaepDecryptsWhatBoringSslEncrypts) {
  Import(SharedRsa());
  Bytes c(256);
  size_t len = 0;
  ASSERT_TRUE(RSA_encrypt(SharedRsa(), &len, c.data(), c.size(), msg_.data(), msg_.size(),
                          RSA_PKCS1_OAEP_PADDING));
  EXPECT_THAT(Decrypt(Mechanism{CKM_RSA_PKCS_OAEP, mech::RsaOaepParams{}}, c),
              ::testing::Optional(msg_));
}

TEST_F(RsaTest, Pkcs1EncryptionRoundTripsAndRefusesBadCiphertext) {
  Import(SharedRsa());
  const Mechanism m{CKM_RSA_PKCS};
  ASSERT_OK_AND_ASSIGN(Bytes c, Encrypt(m, msg_));
  EXPECT_THAT(Decrypt(m, c), ::testing::Optional(msg_));
  Bytes bad = c;
  bad[0] ^= 0x40;
  EXPECT_THAT(Decrypt(m, bad), RvIs(Rv::kEncryptedDataInvalid));
  EXPECT_THAT(Decrypt(m, ByteView(c).first(200)), RvIs(Rv::kEncryptedDataLenRange));
  // A ciphertext padded for signing (type 1) is not a PKCS #1 encryption.
  Bytes sig(256);
  size_t len = 0;
  ASSERT_TRUE(RSA_sign_raw(SharedRsa(), &len, sig.data(), sig.size(), msg_.data(), msg_.size(),
                           RSA_PKCS1_PADDING));
  EXPECT_THAT(Decrypt(m, sig), RvIs(Rv::kEncryptedDataInvalid));
}

TEST_F(RsaTest, RawX509RoundTrips) {
  Import(SharedRsa());
  const Mechanism m{CKM_RSA_X_509};
  ASSERT_OK_AND_ASSIGN(Bytes c, Encrypt(m, msg_));
  EXPECT_EQ(c.size(), 256u);
  ASSERT_OK_AND_ASSIGN(Bytes p, Decrypt(m, c));
  ASSERT_EQ(p.size(), 256u);  // raw RSA returns the whole block
  EXPECT_EQ(Bytes(p.end() - msg_.size(), p.end()), msg_);
  ASSERT_OK_AND_ASSIGN(Bytes sig, Sign(m, msg_));
  EXPECT_THAT(Verify(m, msg_, sig), IsOk());
  EXPECT_THAT(Encrypt(m, Bytes(257, 1)), RvIs(Rv::kDataLenRange));
  EXPECT_THAT(Encrypt(m, Bytes(256, 0xff)), RvIs(Rv::kDataInvalid));  // >= n
}

TEST_F(RsaTest, SignRecoverAndVerifyRecoverRoundTrip) {
  Import(SharedRsa());
  for (CK_MECHANISM_TYPE t : {CKM_RSA_PKCS, CKM_RSA_X_509}) {
    ASSERT_THAT(SignRecoverInit(s(), Mechanism{t}, priv_), IsOk());
    ASSERT_OK_AND_ASSIGN(Bytes sig, RunOneShot(OpKind::kSignRecover, msg_));
    EXPECT_EQ(sig.size(), 256u);
    ASSERT_THAT(VerifyRecoverInit(s(), Mechanism{t}, pub_), IsOk());
    ASSERT_OK_AND_ASSIGN(Bytes data, RunOneShot(OpKind::kVerifyRecover, sig));
    if (t == CKM_RSA_PKCS) {
      EXPECT_EQ(data, msg_);
      // The signature is an ordinary PKCS #1 v1.5 signature of the data.
      EXPECT_THAT(Verify(Mechanism{t}, msg_, sig), IsOk());
    } else {
      EXPECT_EQ(Bytes(data.end() - msg_.size(), data.end()), msg_);
    }
    sig[5] ^= 1;
    ASSERT_THAT(VerifyRecoverInit(s(), Mechanism{t}, pub_), IsOk());
    if (t == CKM_RSA_PKCS) {
      EXPECT_THAT(RunOneShot(OpKind::kVerifyRecover, sig), RvIs(Rv::kSignatureInvalid));
    }
    s().Cancel(OpKind::kVerifyRecover);
  }
  ASSERT_THAT(VerifyRecoverInit(s(), Mechanism{CKM_RSA_PKCS}, pub_), IsOk());
  EXPECT_THAT(RunOneShot(OpKind::kVerifyRecover, Bytes(100, 1)), RvIs(Rv::kSignatureLenRange));
  EXPECT_THAT(SignRecoverInit(s(), Mechanism{CKM_SHA256_RSA_PKCS}, priv_),
              RvIs(Rv::kMechanismInvalid));
}

TEST_F(RsaTest, ImportedKeyWithoutCrtSigns) {
  Import(SharedRsa(), /*crt=*/false);
  ASSERT_OK_AND_ASSIGN(Bytes sig, Sign(Mechanism{CKM_SHA256_RSA_PKCS}, msg_));
  EXPECT_THAT(Verify(Mechanism{CKM_SHA256_RSA_PKCS}, msg_, sig), IsOk());
  const Mechanism oaep{CKM_RSA_PKCS_OAEP, mech::RsaOaepParams{}};
  ASSERT_OK_AND_ASSIGN(Bytes c, Encrypt(oaep, msg_));
  EXPECT_THAT(Decrypt(oaep, c), ::testing::Optional(msg_));
}

TEST_F(RsaTest, ImportedKeyWithPrimesOnlyComputesCrt) {
  const RSA* rsa = SharedRsa();
  Import(rsa, /*crt=*/false,
         {Attribute(CKA_PRIME_1, ByteView(BnBytes(RSA_get0_p(rsa)))),
          Attribute(CKA_PRIME_2, ByteView(BnBytes(RSA_get0_q(rsa))))});
  ASSERT_OK_AND_ASSIGN(Bytes sig, Sign(Mechanism{CKM_SHA384_RSA_PKCS}, msg_));
  EXPECT_THAT(Verify(Mechanism{CKM_SHA384_RSA_PKCS}, msg_, sig), IsOk());
}

TEST_F(RsaTest, InconsistentPrivateKeyIsRefusedAtCreation) {
  const RSA* rsa = SharedRsa();
  Bytes wrong_p = BnBytes(RSA_get0_p(rsa));
  wrong_p.back() ^= 2;
  EXPECT_THAT(s().CreateObject({attr::Class{CKO_PRIVATE_KEY}, attr::KeyType{CKK_RSA},
                                attr::Modulus{BnBytes(RSA_get0_n(rsa))},
                                attr::PublicExponent{BnBytes(RSA_get0_e(rsa))},
                                Attribute(CKA_PRIVATE_EXPONENT, ByteView(BnBytes(RSA_get0_d(rsa)))),
                                Attribute(CKA_PRIME_1, ByteView(wrong_p)),
                                Attribute(CKA_PRIME_2, ByteView(BnBytes(RSA_get0_q(rsa))))}),
              RvIs(Rv::kAttributeValueInvalid));
}

TEST_F(RsaTest, KeyUseRules) {
  Import(SharedRsa(), true, {attr::Sign{false}});
  EXPECT_THAT(SignInit(s(), Mechanism{CKM_SHA256_RSA_PKCS}, priv_),
              RvIs(Rv::kKeyFunctionNotPermitted));
  EXPECT_THAT(SignInit(s(), Mechanism{CKM_SHA256_RSA_PKCS}, pub_), RvIs(Rv::kKeyTypeInconsistent));
  EXPECT_THAT(VerifyInit(s(), Mechanism{CKM_SHA256_RSA_PKCS}, priv_),
              RvIs(Rv::kKeyTypeInconsistent));
  EXPECT_THAT(SignInit(s(), Mechanism{CKM_ECDSA}, priv_), RvIs(Rv::kKeyTypeInconsistent));
  EXPECT_THAT(EncryptInit(s(), Mechanism{CKM_SHA256_RSA_PKCS}, pub_), RvIs(Rv::kMechanismInvalid));
}

TEST_F(RsaTest, AlwaysAuthenticateKeyNeedsContextLoginPerUse) {
  Import(SharedRsa(), true, {attr::AlwaysAuthenticate{true}});
  ASSERT_THAT(SignInit(s(), Mechanism{CKM_SHA256_RSA_PKCS}, priv_), IsOk());
  Bytes sig(256);
  Output o = Output::Into(sig);
  EXPECT_THAT(s().OneShot(OpKind::kSign, msg_, o), RvIs(Rv::kUserNotLoggedIn));
  // The operation waits for the context-specific login.
  ASSERT_THAT(s().Login(CKU_CONTEXT_SPECIFIC, testing::kUserPin), IsOk());
  EXPECT_THAT(s().OneShot(OpKind::kSign, msg_, o), IsOk());
  // The next operation needs its own login.
  ASSERT_THAT(SignInit(s(), Mechanism{CKM_SHA256_RSA_PKCS}, priv_), IsOk());
  EXPECT_THAT(s().OneShot(OpKind::kSign, msg_, o), RvIs(Rv::kUserNotLoggedIn));
  // Verification with the public key needs nothing.
  EXPECT_THAT(Verify(Mechanism{CKM_SHA256_RSA_PKCS}, msg_, sig), IsOk());
}

TEST(AsymmetricSelfTest, EveryFamilysKnownAnswerPasses) {
  EXPECT_THAT(mech::RsaSelfTest(), IsOk());
  EXPECT_THAT(mech::EcSelfTest(), IsOk());
  EXPECT_THAT(mech::EddsaSelfTest(), IsOk());
  EXPECT_THAT(mech::X25519SelfTest(), IsOk());
  EXPECT_THAT(mech::DhSelfTest(), IsOk());
  EXPECT_THAT(RunSelfTests(), IsOk());
}

// --- Wycheproof ----------------------------------------------------------

using testing::LoadWycheproof;
using testing::WycheproofCase;

CK_MECHANISM_TYPE HashMechanism(const std::string& sha) {
  if (sha == "SHA-1") return CKM_SHA_1;
  if (sha == "SHA-224") return CKM_SHA224;
  if (sha == "SHA-256") return CKM_SHA256;
  if (sha == "SHA-384") return CKM_SHA384;
  if (sha == "SHA-512") return CKM_SHA512;
  return CKM_VENDOR_DEFINED;
}

CK_RSA_PKCS_MGF_TYPE MgfOf(const std::string& sha) {
  if (sha == "SHA-1") return CKG_MGF1_SHA1;
  if (sha == "SHA-224") return CKG_MGF1_SHA224;
  if (sha == "SHA-256") return CKG_MGF1_SHA256;
  if (sha == "SHA-384") return CKG_MGF1_SHA384;
  if (sha == "SHA-512") return CKG_MGF1_SHA512;
  return 0;
}

CK_MECHANISM_TYPE Pkcs1SignMechanism(const std::string& sha) {
  if (sha == "SHA-1") return CKM_SHA1_RSA_PKCS;
  if (sha == "SHA-224") return CKM_SHA224_RSA_PKCS;
  if (sha == "SHA-256") return CKM_SHA256_RSA_PKCS;
  if (sha == "SHA-384") return CKM_SHA384_RSA_PKCS;
  if (sha == "SHA-512") return CKM_SHA512_RSA_PKCS;
  return CKM_VENDOR_DEFINED;
}

CK_MECHANISM_TYPE PssSignMechanism(const std::string& sha) {
  if (sha == "SHA-1") return CKM_SHA1_RSA_PKCS_PSS;
  if (sha == "SHA-224") return CKM_SHA224_RSA_PKCS_PSS;
  if (sha == "SHA-256") return CKM_SHA256_RSA_PKCS_PSS;
  if (sha == "SHA-384") return CKM_SHA384_RSA_PKCS_PSS;
  if (sha == "SHA-512") return CKM_SHA512_RSA_PKCS_PSS;
  return CKM_VENDOR_DEFINED;
}

class RsaWycheproofTest : public RsaTest {
 protected:
  // Key returns the public (or, with a "d", private) key object of the
  // case's group, made once per modulus.
  ObjectHandle Key(const WycheproofCase& c, bool priv) {
    const std::string id = c.Get("n") + (priv ? "/d" : "/e");
    if (auto it = keys_.find(id); it != keys_.end()) return it->second;
    Template t{attr::Class{priv ? CKO_PRIVATE_KEY : CKO_PUBLIC_KEY}, attr::KeyType{CKK_RSA},
               attr::Modulus{c.GetBytes("n")}, attr::PublicExponent{c.GetBytes("e")}};
    if (priv) t.Add(Attribute(CKA_PRIVATE_EXPONENT, ByteView(c.GetBytes("d"))));
    auto h = s().CreateObject(t);
    EXPECT_THAT(h, IsOk());
    return keys_[id] = h.value_or(ObjectHandle());
  }
  std::map<std::string, ObjectHandle> keys_;
};

TEST_F(RsaWycheproofTest, Pkcs1SignatureVerification) {
  size_t ran = 0;
  for (const char* file :
       {"rsa_signature_2048_sha224_test.txt", "rsa_signature_2048_sha256_test.txt",
        "rsa_signature_2048_sha384_test.txt", "rsa_signature_2048_sha512_test.txt",
        "rsa_signature_3072_sha256_test.txt", "rsa_signature_3072_sha384_test.txt",
        "rsa_signature_3072_sha512_test.txt", "rsa_signature_4096_sha384_test.txt",
        "rsa_signature_4096_sha512_test.txt", "rsa_signature_test.txt"}) {
    for (const WycheproofCase& c : LoadWycheproof(file)) {
      const CK_MECHANISM_TYPE m = Pkcs1SignMechanism(c.Get("sha"));
      if (m == CKM_VENDOR_DEFINED) continue;
      if (c.GetBytes("n").size() < 128) continue;  // under 1024 bits: kKeySizeRange
      ++ran;
      auto r = Verify(Mechanism{m}, c.GetBytes("msg"), c.GetBytes("sig"), Key(c, false));
      if (c.Get("result") == "valid") {
        EXPECT_THAT(r, IsOk()) << file << " tcId " << c.tc_id;
      } else if (c.Invalid()) {
        EXPECT_FALSE(r.has_value()) << file << " tcId " << c.tc_id;
        if (!r) {
          EXPECT_TRUE(r.error() == Rv::kSignatureInvalid || r.error() == Rv::kSignatureLenRange)
              << file << " tcId " << c.tc_id << ": " << to_string(r.error());
        }
      }
    }
  }
  EXPECT_GT(ran, 1000u);
}

TEST_F(RsaWycheproofTest, PssSignatureVerification) {
  size_t ran = 0;
  for (const char* file :
       {"rsa_pss_2048_sha1_mgf1_20_test.txt", "rsa_pss_2048_sha256_mgf1_0_test.txt",
        "rsa_pss_2048_sha256_mgf1_32_test.txt", "rsa_pss_3072_sha256_mgf1_32_test.txt",
        "rsa_pss_4096_sha256_mgf1_32_test.txt", "rsa_pss_4096_sha512_mgf1_32_test.txt",
        "rsa_pss_misc_test.txt"}) {
    for (const WycheproofCase& c : LoadWycheproof(file)) {
      const CK_MECHANISM_TYPE m = PssSignMechanism(c.Get("sha"));
      const CK_ULONG mgf = MgfOf(c.Get("mgfSha"));
      if (m == CKM_VENDOR_DEFINED || mgf == 0 || c.Get("mgf") != "MGF1") continue;
      if (c.GetBytes("n").size() < 128) continue;
      ++ran;
      const Mechanism mech{
          m, mech::RsaPssParams{HashMechanism(c.Get("sha")), mgf, std::stoul(c.Get("sLen"))}};
      auto r = Verify(mech, c.GetBytes("msg"), c.GetBytes("sig"), Key(c, false));
      if (c.Get("result") == "valid") {
        EXPECT_THAT(r, IsOk()) << file << " tcId " << c.tc_id;
      } else if (c.Invalid()) {
        EXPECT_FALSE(r.has_value()) << file << " tcId " << c.tc_id;
      }
    }
  }
  EXPECT_GT(ran, 300u);
}

TEST_F(RsaWycheproofTest, OaepDecryption) {
  size_t ran = 0;
  for (const char* file :
       {"rsa_oaep_2048_sha1_mgf1sha1_test.txt", "rsa_oaep_2048_sha224_mgf1sha1_test.txt",
        "rsa_oaep_2048_sha224_mgf1sha224_test.txt", "rsa_oaep_2048_sha256_mgf1sha1_test.txt",
        "rsa_oaep_2048_sha256_mgf1sha256_test.txt", "rsa_oaep_2048_sha384_mgf1sha1_test.txt",
        "rsa_oaep_2048_sha384_mgf1sha384_test.txt", "rsa_oaep_2048_sha512_mgf1sha1_test.txt",
        "rsa_oaep_2048_sha512_mgf1sha512_test.txt", "rsa_oaep_3072_sha256_mgf1sha256_test.txt",
        "rsa_oaep_3072_sha512_mgf1sha512_test.txt", "rsa_oaep_4096_sha256_mgf1sha256_test.txt",
        "rsa_oaep_4096_sha512_mgf1sha1_test.txt", "rsa_oaep_misc_test.txt"}) {
    for (const WycheproofCase& c : LoadWycheproof(file)) {
      const CK_MECHANISM_TYPE hash = HashMechanism(c.Get("sha"));
      const CK_ULONG mgf = MgfOf(c.Get("mgfSha"));
      if (hash == CKM_VENDOR_DEFINED || mgf == 0) continue;
      if (c.GetBytes("n").size() < 128) continue;
      ++ran;
      priv_ = Key(c, true);
      const Mechanism m{CKM_RSA_PKCS_OAEP, mech::RsaOaepParams{hash, mgf, c.GetBytes("label")}};
      auto r = Decrypt(m, c.GetBytes("ct"));
      if (c.Get("result") == "valid") {
        EXPECT_THAT(r, ::testing::Optional(c.GetBytes("msg"))) << file << " tcId " << c.tc_id;
      } else if (c.Invalid()) {
        ASSERT_FALSE(r.has_value()) << file << " tcId " << c.tc_id;
        EXPECT_TRUE(r.error() == Rv::kEncryptedDataInvalid ||
                    r.error() == Rv::kEncryptedDataLenRange)
            << file << " tcId " << c.tc_id << ": " << to_string(r.error());
      }
    }
  }
  EXPECT_GT(ran, 300u);
}

TEST_F(RsaWycheproofTest, Pkcs1Decryption) {
  size_t ran = 0;
  for (const char* file :
       {"rsa_pkcs1_2048_test.txt", "rsa_pkcs1_3072_test.txt", "rsa_pkcs1_4096_test.txt"}) {
    for (const WycheproofCase& c : LoadWycheproof(file)) {
      ++ran;
      priv_ = Key(c, true);
      auto r = Decrypt(Mechanism{CKM_RSA_PKCS}, c.GetBytes("ct"));
      if (c.Get("result") == "valid") {
        EXPECT_THAT(r, ::testing::Optional(c.GetBytes("msg"))) << file << " tcId " << c.tc_id;
      } else if (c.Invalid()) {
        ASSERT_FALSE(r.has_value()) << file << " tcId " << c.tc_id;
        EXPECT_TRUE(r.error() == Rv::kEncryptedDataInvalid ||
                    r.error() == Rv::kEncryptedDataLenRange)
            << file << " tcId " << c.tc_id << ": " << to_string(r.error());
      }
    }
  }
  EXPECT_GT(ran, 100u);
}

}  // namespace
}  // namespace cryptoki
