// Round trips with the openssl command for every key type: the token's
// public key (CKA_PUBLIC_KEY_INFO) verifies token signatures in openssl;
// openssl encrypts (RSA) or derives (ECDH, X25519, DH) and the token agrees;
// openssl's public keys, created on the token from their
// SubjectPublicKeyInfo alone, verify openssl's signatures.
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/mem.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "cryptoki/mech/ec.h"
#include "tests/mech_test_util.h"

namespace cryptoki {
namespace {

using ::cryptoki::testing::Hex;
using ::cryptoki::testing::IsOk;

class OpensslRoundTripTest : public testing::MechTest {
 protected:
  void SetUp() override {
    if (std::system("openssl version > /dev/null 2>&1") != 0) {
      GTEST_SKIP() << "no openssl command";
    }
    MechTest::SetUp();
    const char* tmp = std::getenv("TEST_TMPDIR");
    dir_ = std::filesystem::path(tmp ? tmp : "/tmp") / "openssl_roundtrip";
    std::filesystem::create_directories(dir_);
  }

  std::string Path(const std::string& name) { return (dir_ / name).string(); }
  void Write(const std::string& name, ByteView data) {
    std::ofstream f(Path(name), std::ios::binary);
    f.write(reinterpret_cast<const char*>(data.data()), data.size());
  }
  Bytes Read(const std::string& name) {
    std::ifstream f(Path(name), std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(f), {});
  }
  // Openssl runs "openssl |args|" in the scratch folder; true on exit 0.
  bool Openssl(const std::string& args) {
    const std::string cmd = "cd '" + dir_.string() + "' && openssl " + args + " > openssl.out 2>&1";
    const int rc = std::system(cmd.c_str());
    if (rc != 0) {
      Bytes out = Read("openssl.out");
      ADD_FAILURE() << "openssl " << args << "\n" << AsStringView(out);
    }
    return rc == 0;
  }
  // ExportPublic writes the key's SubjectPublicKeyInfo as pub.pem.
  void ExportPublic(ObjectHandle h) {
    auto spki = s().Get<attr::PublicKeyInfo>(h);
    ASSERT_THAT(spki, IsOk());
    Write("pub.der", *spki);
    ASSERT_TRUE(Openssl("pkey -pubin -inform DER -in pub.der -out pub.pem"));
  }
  Result<Bytes> Sign(const Mechanism& m, ObjectHandle key, ByteView data) {
    CRYPTOKI_TRY(SignInit(s(), m, key));
    return RunOneShot(OpKind::kSign, data);
  }

  std::filesystem::path dir_;
  const Bytes msg_{'r', 'o', 'u', 'n', 'd', ' ', 't', 'r', 'i', 'p'};
};

TEST_F(OpensslRoundTripTest, RsaSignaturesVerifyInOpenssl) {
  ASSERT_OK_AND_ASSIGN(auto pair, GenerateKeyPair(s(), Mechanism{CKM_RSA_PKCS_KEY_PAIR_GEN},
                                                  {attr::ModulusBits{2048}}, {}));
  ExportPublic(pair.first);
  Write("msg.bin", msg_);
  ASSERT_OK_AND_ASSIGN(Bytes sig, Sign(Mechanism{CKM_SHA256_RSA_PKCS}, pair.second, msg_));
  Write("sig.bin", sig);
  EXPECT_TRUE(Openssl("dgst -sha256 -verify pub.pem -signature sig.bin msg.bin"));
  ASSERT_OK_AND_ASSIGN(
      Bytes pss,
      Sign(Mechanism{CKM_SHA384_RSA_PKCS_PSS, mech::RsaPssParams{CKM_SHA384, CKG_MGF1_SHA384, 48}},
           pair.second, msg_));
  Write("pss.bin", pss);
  EXPECT_TRUE(Openssl(
      "dgst -sha384 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:48 -verify pub.pem "
      "-signature pss.bin msg.bin"));
}

TEST_F(OpensslRoundTripTest, OpensslRsaCiphertextsDecryptOnToken) {
  ASSERT_OK_AND_ASSIGN(auto pair, GenerateKeyPair(s(), Mechanism{CKM_RSA_PKCS_KEY_PAIR_GEN},
                                                  {attr::ModulusBits{3072}}, {}));
  ExportPublic(pair.first);
  Write("msg.bin", msg_);
  ASSERT_TRUE(
      Openssl("pkeyutl -encrypt -pubin -inkey pub.pem -pkeyopt rsa_padding_mode:oaep "
              "-pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256 -in msg.bin -out oaep.bin"));
  ASSERT_THAT(
      DecryptInit(
          s(), Mechanism{CKM_RSA_PKCS_OAEP, mech::RsaOaepParams{CKM_SHA256, CKG_MGF1_SHA256, {}}},
          pair.second),
      IsOk());
  EXPECT_THAT(RunOneShot(OpKind::kDecrypt, Read("oaep.bin")), ::testing::Optional(msg_));
  ASSERT_TRUE(Openssl("pkeyutl -encrypt -pubin -inkey pub.pem -in msg.bin -out pkcs1.bin"));
  ASSERT_THAT(DecryptInit(s(), Mechanism{CKM_RSA_PKCS}, pair.second), IsOk());
  EXPECT_THAT(RunOneShot(OpKind::kDecrypt, Read("pkcs1.bin")), ::testing::Optional(msg_));
}

TEST_F(OpensslRoundTripTest, EcdsaSignaturesVerifyInOpenssl) {
  for (const char* oid :
       {"06082a8648ce3d030107", "06052b81040022", "06052b81040023", "06052b81040021"}) {
    ASSERT_OK_AND_ASSIGN(auto pair, GenerateKeyPair(s(), Mechanism{CKM_EC_KEY_PAIR_GEN},
                                                    {attr::EcParams{Hex(oid)}}, {}));
    ExportPublic(pair.first);
    Write("msg.bin", msg_);
    ASSERT_OK_AND_ASSIGN(Bytes raw, Sign(Mechanism{CKM_ECDSA_SHA256}, pair.second, msg_));
    // r || s to the DER openssl reads.
    const size_t n = raw.size() / 2;
    bssl::UniquePtr<ECDSA_SIG> sig(ECDSA_SIG_new());
    BN_bin2bn(raw.data(), n, sig->r);
    BN_bin2bn(raw.data() + n, n, sig->s);
    uint8_t* der = nullptr;
    size_t der_len = 0;
    ASSERT_TRUE(ECDSA_SIG_to_bytes(&der, &der_len, sig.get()));
    Write("sig.der", ByteView(der, der_len));
    OPENSSL_free(der);
    EXPECT_TRUE(Openssl("dgst -sha256 -verify pub.pem -signature sig.der msg.bin")) << oid;
  }
}

TEST_F(OpensslRoundTripTest, Ed25519SignaturesVerifyInOpenssl) {
  ASSERT_OK_AND_ASSIGN(auto pair, GenerateKeyPair(s(), Mechanism{CKM_EC_EDWARDS_KEY_PAIR_GEN},
                                                  {attr::EcParams{Hex("06032b6570")}}, {}));
  ExportPublic(pair.first);
  Write("msg.bin", msg_);
  ASSERT_OK_AND_ASSIGN(Bytes sig, Sign(Mechanism{CKM_EDDSA}, pair.second, msg_));
  Write("sig.bin", sig);
  EXPECT_TRUE(Openssl("pkeyutl -verify -pubin -inkey pub.pem -rawin -in msg.bin -sigfile sig.bin"));
}

TEST_F(OpensslRoundTripTest, EcdhAndX25519AgreeWithOpenssl) {
  struct Case {
    CK_MECHANISM_TYPE gen;
    const char* params;
    const char* genpkey;
  } cases[] = {
      {CKM_EC_KEY_PAIR_GEN, "06082a8648ce3d030107",
       "genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out peer.pem"},
      {CKM_EC_KEY_PAIR_GEN, "06052b81040023",
       "genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out peer.pem"},
      {CKM_EC_MONTGOMERY_KEY_PAIR_GEN, "06032b656e", "genpkey -algorithm X25519 -out peer.pem"},
  };
  for (const Case& c : cases) {
    ASSERT_OK_AND_ASSIGN(auto pair,
                         GenerateKeyPair(s(), Mechanism{c.gen}, {attr::EcParams{Hex(c.params)}},
                                         {attr::Derive{true}}));
    ExportPublic(pair.first);
    ASSERT_TRUE(Openssl(c.genpkey));
    ASSERT_TRUE(Openssl("pkeyutl -derive -inkey peer.pem -peerkey pub.pem -out z.bin"));
    ASSERT_TRUE(Openssl("pkey -in peer.pem -pubout -outform DER -out peer.der"));
    // The peer's public value: the SPKI's BIT STRING, which ends the DER.
    const Bytes spki = Read("peer.der");
    const size_t point_len = c.gen == CKM_EC_MONTGOMERY_KEY_PAIR_GEN     ? 32
                             : std::string(c.params) == "06052b81040023" ? 133
                                                                         : 65;
    const Bytes point(spki.end() - point_len, spki.end());
    ASSERT_OK_AND_ASSIGN(
        ObjectHandle k,
        DeriveKey(s(), Mechanism{CKM_ECDH1_DERIVE, mech::Ecdh1DeriveParams{CKD_NULL, {}, point}},
                  pair.second,
                  {attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_GENERIC_SECRET},
                   attr::Sensitive{false}}));
    EXPECT_EQ(s().Get<attr::Value>(k).value_or(Bytes{}), Read("z.bin")) << c.genpkey;
  }
}

TEST_F(OpensslRoundTripTest, DhAgreesWithOpensslBothWays) {
  ASSERT_OK_AND_ASSIGN(auto pair, GenerateKeyPair(s(), Mechanism{CKM_DH_PKCS_KEY_PAIR_GEN}, {},
                                                  {attr::Derive{true}}));
  ExportPublic(pair.first);  // openssl reads the token's DH SubjectPublicKeyInfo
  ASSERT_TRUE(Openssl("genpkey -algorithm DH -pkeyopt group:ffdhe2048 -out peer.pem"));
  ASSERT_TRUE(Openssl("pkeyutl -derive -inkey peer.pem -peerkey pub.pem -out z.bin"));
  ASSERT_TRUE(Openssl("pkey -in peer.pem -pubout -outform DER -out peer.der"));
  // openssl's public key as a token object, from its SubjectPublicKeyInfo.
  ASSERT_OK_AND_ASSIGN(ObjectHandle peer,
                       s().CreateObject({attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_DH},
                                         attr::PublicKeyInfo{Read("peer.der")}}));
  ASSERT_OK_AND_ASSIGN(Bytes y, s().Get<attr::Value>(peer));
  ASSERT_OK_AND_ASSIGN(
      ObjectHandle k, DeriveKey(s(), Mechanism{CKM_DH_PKCS_DERIVE, mech::RawParams{y}}, pair.second,
                                {attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_GENERIC_SECRET},
                                 attr::Sensitive{false}}));
  EXPECT_EQ(s().Get<attr::Value>(k).value_or(Bytes{}), Read("z.bin"));
}

TEST_F(OpensslRoundTripTest, OpensslPublicKeysImportFromTheirInfoAlone) {
  struct Case {
    CK_KEY_TYPE key_type;
    const char* genpkey;
    const char* sign;
    Mechanism mechanism;
  } cases[] = {
      {CKK_RSA, "genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out k.pem",
       "dgst -sha256 -sign k.pem -out sig.bin msg.bin", Mechanism{CKM_SHA256_RSA_PKCS}},
      {CKK_EC, "genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out k.pem",
       "dgst -sha384 -sign k.pem -out sig.bin msg.bin", Mechanism{CKM_ECDSA_SHA384}},
      {CKK_EC_EDWARDS, "genpkey -algorithm ED25519 -out k.pem",
       "pkeyutl -sign -inkey k.pem -rawin -in msg.bin -out sig.bin", Mechanism{CKM_EDDSA}},
  };
  Write("msg.bin", msg_);
  for (const Case& c : cases) {
    ASSERT_TRUE(Openssl(c.genpkey));
    ASSERT_TRUE(Openssl("pkey -in k.pem -pubout -outform DER -out k.der"));
    ASSERT_TRUE(Openssl(c.sign));
    ASSERT_OK_AND_ASSIGN(ObjectHandle pub,
                         s().CreateObject({attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{c.key_type},
                                           attr::PublicKeyInfo{Read("k.der")}}));
    EXPECT_THAT(s().Get<attr::PublicKeyInfo>(pub), ::testing::Optional(Read("k.der")));
    Bytes sig = Read("sig.bin");
    if (c.key_type == CKK_EC) {  // DER to r || s
      bssl::UniquePtr<ECDSA_SIG> der(ECDSA_SIG_from_bytes(sig.data(), sig.size()));
      ASSERT_NE(der, nullptr);
      sig.assign(96, 0);
      BN_bn2bin_padded(sig.data(), 48, der->r);
      BN_bn2bin_padded(sig.data() + 48, 48, der->s);
    }
    ASSERT_THAT(VerifyInit(s(), c.mechanism, pub), IsOk());
    EXPECT_THAT(s().VerifyOneShot(OpKind::kVerify, msg_, sig), IsOk()) << c.genpkey;
  }
}

}  // namespace
}  // namespace cryptoki
