// module_bench_boringssl.cc: the op table, the fixed inputs, the checks
// against BoringSSL, and the BoringSSL target (the floor: the same work with
// keys parsed and contexts built once, as a module can cache them).
#include <openssl/aead.h>
#include <openssl/aes.h>
#include <openssl/bn.h>
#include <openssl/bytestring.h>
#include <openssl/cipher.h>
#include <openssl/cmac.h>
#include <openssl/curve25519.h>
#include <openssl/dh.h>
#include <openssl/digest.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/ecdh.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hkdf.h>
#include <openssl/hmac.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include <cstdio>
#include <cstring>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "benchmarks/module_bench.h"
#include "benchmarks/reference.h"

namespace cryptoki::bench {

const Buf kP224Params = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x21};
const Buf kP256Params = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
const Buf kP384Params = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
const Buf kP521Params = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23};
const Buf kEd25519Params = {0x06, 0x03, 0x2b, 0x65, 0x70};
const Buf kX25519Params = {0x06, 0x03, 0x2b, 0x65, 0x6e};

namespace {

// One row of the op table.
struct OpRow {
  Op op;
  const char* name;
  size_t bytes;  // payload of a symmetric or digest op, else 0
  OpSpec spec;
  bool extra_asymmetric = false;
};

constexpr CK_MECHANISM_TYPE kNoMech = 0;

// The op table, in the order the ops run (kFind last, by population).
const OpRow kOps[] = {
    {Op::kSha256_64, "SHA256_64B", 64, {Call::kDigest, CKM_SHA256}},
    {Op::kSha256_1K, "SHA256_1KiB", 1024, {Call::kDigest, CKM_SHA256}},
    {Op::kSha256_8K, "SHA256_8KiB", 8192, {Call::kDigest, CKM_SHA256}},
    {Op::kHmacSha256_64,
     "HMAC_SHA256_64B",
     64,
     {Call::kSign, CKM_SHA256_HMAC, Param::kNone, KeyId::kHmac}},
    {Op::kHmacSha256_8K,
     "HMAC_SHA256_8KiB",
     8192,
     {Call::kSign, CKM_SHA256_HMAC, Param::kNone, KeyId::kHmac}},
    {Op::kAesCmac_64,
     "AES256_CMAC_64B",
     64,
     {Call::kSign, CKM_AES_CMAC, Param::kNone, KeyId::kCmac}},
    {Op::kAesGcm_1K,
     "AES256_GCM_Encrypt_1KiB",
     1024,
     {Call::kEncrypt, CKM_AES_GCM, Param::kGcm, KeyId::kAes}},
    {Op::kAesGcm_8K,
     "AES256_GCM_Encrypt_8KiB",
     8192,
     {Call::kEncrypt, CKM_AES_GCM, Param::kGcm, KeyId::kAes}},
    {Op::kAesGcmDecrypt_8K,
     "AES256_GCM_Decrypt_8KiB",
     8192,
     {Call::kDecrypt, CKM_AES_GCM, Param::kGcm, KeyId::kAes}},
    {Op::kAesCbcPad_8K,
     "AES256_CBC_PAD_Encrypt_8KiB",
     8192,
     {Call::kEncrypt, CKM_AES_CBC_PAD, Param::kCbcIv, KeyId::kAes}},
    {Op::kAesCbcPadDecrypt_8K,
     "AES256_CBC_PAD_Decrypt_8KiB",
     8192,
     {Call::kDecrypt, CKM_AES_CBC_PAD, Param::kCbcIv, KeyId::kAes}},
    {Op::kChaChaPoly_1K,
     "ChaCha20_Poly1305_Encrypt_1KiB",
     1024,
     {Call::kEncrypt, CKM_CHACHA20_POLY1305, Param::kChaCha, KeyId::kChaCha}},
    {Op::kAesGcmMessage_1K,
     "AES256_GCM_EncryptMessage_1KiB",
     1024,
     {Call::kMessageEncrypt, CKM_AES_GCM, Param::kNone, KeyId::kAes}},
    {Op::kEcdsaP256Sign,
     "ECDSA_P256_Sign",
     0,
     {Call::kSign, CKM_ECDSA, Param::kNone, KeyId::kP256}},
    {Op::kEcdsaP256Verify,
     "ECDSA_P256_Verify",
     0,
     {Call::kVerify, CKM_ECDSA, Param::kNone, KeyId::kP256}},
    {Op::kEcdsaP384Sign,
     "ECDSA_P384_Sign",
     0,
     {Call::kSign, CKM_ECDSA, Param::kNone, KeyId::kP384},
     true},
    {Op::kEcdsaP384Verify,
     "ECDSA_P384_Verify",
     0,
     {Call::kVerify, CKM_ECDSA, Param::kNone, KeyId::kP384},
     true},
    {Op::kEcdsaP521Sign,
     "ECDSA_P521_Sign",
     0,
     {Call::kSign, CKM_ECDSA, Param::kNone, KeyId::kP521},
     true},
    {Op::kEcdsaP521Verify,
     "ECDSA_P521_Verify",
     0,
     {Call::kVerify, CKM_ECDSA, Param::kNone, KeyId::kP521},
     true},
    {Op::kRsaPkcs1Sign,
     "RSA2048_PKCS1_SHA256_Sign",
     0,
     {Call::kSign, CKM_SHA256_RSA_PKCS, Param::kNone, KeyId::kRsa2048}},
    {Op::kRsaPkcs1Verify,
     "RSA2048_PKCS1_SHA256_Verify",
     0,
     {Call::kVerify, CKM_SHA256_RSA_PKCS, Param::kNone, KeyId::kRsa2048}},
    {Op::kRsa3072Pkcs1Sign,
     "RSA3072_PKCS1_SHA256_Sign",
     0,
     {Call::kSign, CKM_SHA256_RSA_PKCS, Param::kNone, KeyId::kRsa3072},
     true},
    {Op::kRsa3072Pkcs1Verify,
     "RSA3072_PKCS1_SHA256_Verify",
     0,
     {Call::kVerify, CKM_SHA256_RSA_PKCS, Param::kNone, KeyId::kRsa3072},
     true},
    {Op::kRsa4096Pkcs1Sign,
     "RSA4096_PKCS1_SHA256_Sign",
     0,
     {Call::kSign, CKM_SHA256_RSA_PKCS, Param::kNone, KeyId::kRsa4096},
     true},
    {Op::kRsa4096Pkcs1Verify,
     "RSA4096_PKCS1_SHA256_Verify",
     0,
     {Call::kVerify, CKM_SHA256_RSA_PKCS, Param::kNone, KeyId::kRsa4096},
     true},
    {Op::kRsaPssSign,
     "RSA2048_PSS_SHA256_Sign",
     0,
     {Call::kSign, CKM_SHA256_RSA_PKCS_PSS, Param::kPss, KeyId::kRsa2048}},
    {Op::kRsaPssVerify,
     "RSA2048_PSS_SHA256_Verify",
     0,
     {Call::kVerify, CKM_SHA256_RSA_PKCS_PSS, Param::kPss, KeyId::kRsa2048}},
    {Op::kRsaOaepEncrypt,
     "RSA2048_OAEP_SHA256_Encrypt",
     0,
     {Call::kEncrypt, CKM_RSA_PKCS_OAEP, Param::kOaep, KeyId::kRsa2048},
     true},
    {Op::kRsaOaepDecrypt,
     "RSA2048_OAEP_SHA256_Decrypt",
     0,
     {Call::kDecrypt, CKM_RSA_PKCS_OAEP, Param::kOaep, KeyId::kRsa2048},
     true},
    {Op::kEd25519Sign, "Ed25519_Sign", 0, {Call::kSign, CKM_EDDSA, Param::kNone, KeyId::kEd25519}},
    {Op::kEd25519Verify,
     "Ed25519_Verify",
     0,
     {Call::kVerify, CKM_EDDSA, Param::kNone, KeyId::kEd25519}},
    {Op::kX25519Derive,
     "X25519_Derive",
     0,
     {Call::kDerive, CKM_ECDH1_DERIVE, Param::kEcdh, KeyId::kX25519}},
    {Op::kEcdhP256Derive,
     "ECDH_P256_Derive",
     0,
     {Call::kDerive, CKM_ECDH1_DERIVE, Param::kEcdh, KeyId::kP256Ecdh}},
    {Op::kEcdhP384Derive,
     "ECDH_P384_Derive",
     0,
     {Call::kDerive, CKM_ECDH1_DERIVE, Param::kEcdh, KeyId::kP384Ecdh},
     true},
    {Op::kRandom32, "Random_32B", 0, {Call::kOther, kNoMech}},
    {Op::kEcP256GenerateKeyPair,
     "EC_P256_GenerateKeyPair",
     0,
     {Call::kGenerateKeyPair, CKM_EC_KEY_PAIR_GEN, Param::kNone, KeyId::kP256}},
    {Op::kEd25519GenerateKeyPair,
     "Ed25519_GenerateKeyPair",
     0,
     {Call::kGenerateKeyPair, CKM_EC_EDWARDS_KEY_PAIR_GEN, Param::kNone, KeyId::kEd25519},
     true},
    {Op::kGetAttribute, "GetAttribute", 0, {Call::kOther, kNoMech, Param::kNone, KeyId::kAes}},
    {Op::kSessionOpenClose, "SessionOpenClose", 0, {Call::kOther, kNoMech}},
    {Op::kFind, "Find", 0, {Call::kOther, kNoMech}},
};

// One family of the extended set: an op per payload size (64 B, 1 KiB,
// 8 KiB), named <family>_<size>.
struct Family {
  const char* name;
  OpSpec spec;
};
const Family kExtendedFamilies[] = {
    {"MD5", {Call::kDigest, CKM_MD5}},
    {"SHA1", {Call::kDigest, CKM_SHA_1}},
    {"SHA224", {Call::kDigest, CKM_SHA224}},
    {"SHA384", {Call::kDigest, CKM_SHA384}},
    {"SHA512", {Call::kDigest, CKM_SHA512}},
    {"SHA512_224", {Call::kDigest, CKM_SHA512_224}},
    {"SHA512_256", {Call::kDigest, CKM_SHA512_256}},
    {"HMAC_MD5", {Call::kSign, CKM_MD5_HMAC, Param::kNone, KeyId::kHmac}},
    {"HMAC_SHA1", {Call::kSign, CKM_SHA_1_HMAC, Param::kNone, KeyId::kHmac}},
    {"HMAC_SHA224", {Call::kSign, CKM_SHA224_HMAC, Param::kNone, KeyId::kHmac}},
    {"HMAC_SHA384", {Call::kSign, CKM_SHA384_HMAC, Param::kNone, KeyId::kHmac64}},
    {"HMAC_SHA512", {Call::kSign, CKM_SHA512_HMAC, Param::kNone, KeyId::kHmac64}},
    {"HMAC_SHA512_224", {Call::kSign, CKM_SHA512_224_HMAC, Param::kNone, KeyId::kHmac64}},
    {"HMAC_SHA512_256", {Call::kSign, CKM_SHA512_256_HMAC, Param::kNone, KeyId::kHmac64}},
    {"AES128_ECB_Encrypt", {Call::kEncrypt, CKM_AES_ECB, Param::kNone, KeyId::kAes128}},
    {"AES128_CBC_Encrypt", {Call::kEncrypt, CKM_AES_CBC, Param::kCbcIv, KeyId::kAes128}},
    {"AES128_CTR_Encrypt", {Call::kEncrypt, CKM_AES_CTR, Param::kCtr, KeyId::kAes128}},
    {"AES128_CTS_Encrypt", {Call::kEncrypt, CKM_AES_CTS, Param::kCbcIv, KeyId::kAes128}},
    {"AES192_ECB_Encrypt", {Call::kEncrypt, CKM_AES_ECB, Param::kNone, KeyId::kAes192}},
    {"AES192_CBC_Encrypt", {Call::kEncrypt, CKM_AES_CBC, Param::kCbcIv, KeyId::kAes192}},
    {"AES192_CBC_PAD_Encrypt", {Call::kEncrypt, CKM_AES_CBC_PAD, Param::kCbcIv, KeyId::kAes192}},
    {"AES192_CTR_Encrypt", {Call::kEncrypt, CKM_AES_CTR, Param::kCtr, KeyId::kAes192}},
    {"AES192_GCM_Encrypt", {Call::kEncrypt, CKM_AES_GCM, Param::kGcm, KeyId::kAes192}},
    {"AES256_ECB_Encrypt", {Call::kEncrypt, CKM_AES_ECB, Param::kNone, KeyId::kAes}},
    {"AES256_CBC_Encrypt", {Call::kEncrypt, CKM_AES_CBC, Param::kCbcIv, KeyId::kAes}},
    {"AES256_CTR_Encrypt", {Call::kEncrypt, CKM_AES_CTR, Param::kCtr, KeyId::kAes}},
    {"AES256_CTS_Encrypt", {Call::kEncrypt, CKM_AES_CTS, Param::kCbcIv, KeyId::kAes}},
    {"AES256_CMAC", {Call::kSign, CKM_AES_CMAC, Param::kNone, KeyId::kCmac}},
    {"ChaCha20_Poly1305_Decrypt",
     {Call::kDecrypt, CKM_CHACHA20_POLY1305, Param::kChaCha, KeyId::kChaCha}},
    {"DES3_ECB_Encrypt", {Call::kEncrypt, CKM_DES3_ECB, Param::kNone, KeyId::kDes3}},
    {"DES3_CBC_Encrypt", {Call::kEncrypt, CKM_DES3_CBC, Param::kCbcIv, KeyId::kDes3}},
    {"DES3_CBC_PAD_Encrypt", {Call::kEncrypt, CKM_DES3_CBC_PAD, Param::kCbcIv, KeyId::kDes3}},
};

// The extended set's ops made one each (no payload sizes).
const OpRow kExtendedSingles[] = {
    {Op::kExtended,
     "AES256_KeyWrap_32B_Key",
     0,
     {Call::kWrap, CKM_AES_KEY_WRAP, Param::kNone, KeyId::kWrapKey}},
    {Op::kExtended,
     "AES256_KeyWrap_KWP_32B_Key",
     0,
     {Call::kWrap, CKM_AES_KEY_WRAP_KWP, Param::kNone, KeyId::kWrapKey}},
    {Op::kExtended,
     "AES256_KeyWrap_PAD_32B_Key",
     0,
     {Call::kWrap, CKM_AES_KEY_WRAP_PAD, Param::kNone, KeyId::kWrapKey}},
    {Op::kExtended,
     "AES256_KeyUnwrap_32B_Key",
     0,
     {Call::kUnwrap, CKM_AES_KEY_WRAP, Param::kNone, KeyId::kWrapKey}},
    {Op::kExtended,
     "AES256_KeyUnwrap_KWP_32B_Key",
     0,
     {Call::kUnwrap, CKM_AES_KEY_WRAP_KWP, Param::kNone, KeyId::kWrapKey}},
    {Op::kExtended,
     "AES256_KeyUnwrap_PAD_32B_Key",
     0,
     {Call::kUnwrap, CKM_AES_KEY_WRAP_PAD, Param::kNone, KeyId::kWrapKey}},
    {Op::kExtended,
     "HKDF_SHA256_Derive",
     0,
     {Call::kDerive, CKM_HKDF_DERIVE, Param::kHkdf, KeyId::kKdf}},
    {Op::kExtended,
     "HKDF_SHA256_Data_Derive",
     0,
     {Call::kDerive, CKM_HKDF_DATA, Param::kHkdf, KeyId::kKdf}},
    {Op::kExtended,
     "SP800_108_Counter_HMAC_SHA256_Derive",
     0,
     {Call::kDerive, CKM_SP800_108_COUNTER_KDF, Param::kSp800108, KeyId::kKdf}},
    {Op::kExtended,
     "PBKDF2_HMAC_SHA256_1000_GenerateKey",
     0,
     {Call::kGenerateKey, CKM_PKCS5_PBKD2, Param::kPbkdf2}},
    // The simple derivations, from the 32-byte kKdf key (AES *_ENCRYPT_DATA:
    // an AES-256 key) and the 32-byte derive_data.
    {Op::kExtended,
     "Concatenate_Base_And_Key_Derive",
     0,
     {Call::kDerive, CKM_CONCATENATE_BASE_AND_KEY, Param::kBaseKey, KeyId::kKdf}},
    {Op::kExtended,
     "Concatenate_Base_And_Data_Derive",
     0,
     {Call::kDerive, CKM_CONCATENATE_BASE_AND_DATA, Param::kDeriveData, KeyId::kKdf}},
    {Op::kExtended,
     "Concatenate_Data_And_Base_Derive",
     0,
     {Call::kDerive, CKM_CONCATENATE_DATA_AND_BASE, Param::kDeriveData, KeyId::kKdf}},
    {Op::kExtended,
     "XOR_Base_And_Data_Derive",
     0,
     {Call::kDerive, CKM_XOR_BASE_AND_DATA, Param::kDeriveData, KeyId::kKdf}},
    {Op::kExtended,
     "Extract_Key_From_Key_Derive",
     0,
     {Call::kDerive, CKM_EXTRACT_KEY_FROM_KEY, Param::kExtract, KeyId::kKdf}},
    {Op::kExtended,
     "AES256_ECB_Encrypt_Data_Derive",
     0,
     {Call::kDerive, CKM_AES_ECB_ENCRYPT_DATA, Param::kDeriveData, KeyId::kAesDerive}},
    {Op::kExtended,
     "AES256_CBC_Encrypt_Data_Derive",
     0,
     {Call::kDerive, CKM_AES_CBC_ENCRYPT_DATA, Param::kCbcEncryptData, KeyId::kAesDerive}},
    {Op::kExtended,
     "DH_ffdhe2048_Derive",
     0,
     {Call::kDerive, CKM_DH_PKCS_DERIVE, Param::kDh, KeyId::kDh}},
    {Op::kExtended, "ECDSA_P224_Sign", 0, {Call::kSign, CKM_ECDSA, Param::kNone, KeyId::kP224}},
    {Op::kExtended, "ECDSA_P224_Verify", 0, {Call::kVerify, CKM_ECDSA, Param::kNone, KeyId::kP224}},
    {Op::kExtended,
     "RSA2048_PKCS1_Encrypt",
     0,
     {Call::kEncrypt, CKM_RSA_PKCS, Param::kNone, KeyId::kRsa2048}},
    {Op::kExtended,
     "RSA2048_PKCS1_Decrypt",
     0,
     {Call::kDecrypt, CKM_RSA_PKCS, Param::kNone, KeyId::kRsa2048}},
    {Op::kExtended,
     "ECDH_P521_Derive",
     0,
     {Call::kDerive, CKM_ECDH1_DERIVE, Param::kEcdh, KeyId::kP521Ecdh},
     true},
    {Op::kExtended,
     "RSA8192_PKCS1_SHA256_Sign",
     0,
     {Call::kSign, CKM_SHA256_RSA_PKCS, Param::kNone, KeyId::kRsa8192},
     true},
    {Op::kExtended,
     "RSA8192_PKCS1_SHA256_Verify",
     0,
     {Call::kVerify, CKM_SHA256_RSA_PKCS, Param::kNone, KeyId::kRsa8192},
     true},
    {Op::kExtended,
     "EC_P224_GenerateKeyPair",
     0,
     {Call::kGenerateKeyPair, CKM_EC_KEY_PAIR_GEN, Param::kNone, KeyId::kP224},
     true},
    {Op::kExtended,
     "EC_P384_GenerateKeyPair",
     0,
     {Call::kGenerateKeyPair, CKM_EC_KEY_PAIR_GEN, Param::kNone, KeyId::kP384}},
    {Op::kExtended,
     "EC_P521_GenerateKeyPair",
     0,
     {Call::kGenerateKeyPair, CKM_EC_KEY_PAIR_GEN, Param::kNone, KeyId::kP521},
     true},
    {Op::kExtended,
     "X25519_GenerateKeyPair",
     0,
     {Call::kGenerateKeyPair, CKM_EC_MONTGOMERY_KEY_PAIR_GEN, Param::kNone, KeyId::kX25519}},
    {Op::kExtended,
     "DH_ffdhe2048_GenerateKeyPair",
     0,
     {Call::kGenerateKeyPair, CKM_DH_PKCS_KEY_PAIR_GEN, Param::kNone, KeyId::kDh},
     true},
    // Seconds per key (RSA-8192: tens of seconds): with --extra_min_time,
    // which Google Benchmark meets with one key per thread.
    {Op::kExtended,
     "RSA2048_GenerateKeyPair",
     0,
     {Call::kGenerateKeyPair, CKM_RSA_PKCS_KEY_PAIR_GEN, Param::kNone, KeyId::kRsa2048},
     true},
    {Op::kExtended,
     "RSA3072_GenerateKeyPair",
     0,
     {Call::kGenerateKeyPair, CKM_RSA_PKCS_KEY_PAIR_GEN, Param::kNone, KeyId::kRsa3072},
     true},
    {Op::kExtended,
     "RSA4096_GenerateKeyPair",
     0,
     {Call::kGenerateKeyPair, CKM_RSA_PKCS_KEY_PAIR_GEN, Param::kNone, KeyId::kRsa4096},
     true},
    {Op::kExtended,
     "RSA8192_GenerateKeyPair",
     0,
     {Call::kGenerateKeyPair, CKM_RSA_PKCS_KEY_PAIR_GEN, Param::kNone, KeyId::kRsa8192},
     true},
};

// ExtendedRows returns the rows of the extended set, made once from
// kExtendedFamilies.
const std::vector<OpRow>& ExtendedRows() {
  static const std::vector<OpRow>* rows = [] {
    auto* v = new std::vector<OpRow>;
    static std::deque<std::string> names;  // stable storage for the names
    const std::pair<size_t, const char*> sizes[] = {{64, "64B"}, {1024, "1KiB"}, {8192, "8KiB"}};
    for (const Family& f : kExtendedFamilies) {
      for (const auto& [bytes, size] : sizes) {
        names.push_back(std::string(f.name) + "_" + size);
        const Op op = static_cast<Op>(static_cast<int>(Op::kExtended) + v->size());
        v->push_back(OpRow{op, names.back().c_str(), bytes, f.spec});
      }
    }
    for (OpRow r : kExtendedSingles) {
      r.op = static_cast<Op>(static_cast<int>(Op::kExtended) + v->size());
      v->push_back(r);
    }
    return v;
  }();
  return *rows;
}

bool extended_selected = false;

const OpRow& Row(Op op) {
  for (const OpRow& r : kOps)
    if (r.op == op) return r;
  for (const OpRow& r : ExtendedRows())
    if (r.op == op) return r;
  std::fprintf(stderr, "module_bench: op %d missing from the table\n", static_cast<int>(op));
  std::abort();
}

Buf Pattern(size_t n, uint8_t seed) {
  Buf b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 7);
  return b;
}

// PeerKey makes a BoringSSL key pair on |nid|: private scalar and
// uncompressed point.
void PeerKey(int nid, Buf* priv, Buf* pub) {
  bssl::UniquePtr<EC_KEY> k(EC_KEY_new_by_curve_name(nid));
  EC_KEY_generate_key(k.get());
  const EC_GROUP* g = EC_KEY_get0_group(k.get());
  const size_t n = BN_num_bytes(EC_GROUP_get0_order(g));
  priv->resize(n);
  BN_bn2bin_padded(priv->data(), n, EC_KEY_get0_private_key(k.get()));
  pub->resize(1 + 2 * n);
  EC_POINT_point2oct(g, EC_KEY_get0_public_key(k.get()), POINT_CONVERSION_UNCOMPRESSED, pub->data(),
                     pub->size(), nullptr);
}

}  // namespace

void SelectExtended(bool extended) { extended_selected = extended; }

std::span<const Op> AllOps() {
  static const std::vector<Op> ops = [] {
    std::vector<Op> v;
    for (const OpRow& r : kOps)
      if (r.op != Op::kFind) v.push_back(r.op);
    return v;
  }();
  static const std::vector<Op> extended = [] {
    std::vector<Op> v;
    for (const OpRow& r : ExtendedRows()) v.push_back(r.op);
    return v;
  }();
  return extended_selected ? extended : ops;
}

Op CheckOpOf(Op op) {
  const KeyId key = GetOpSpec(op).key;
  auto checks = [key](const OpRow& r) {
    return r.spec.key == key && (r.spec.call == Call::kSign || r.spec.call == Call::kDerive);
  };
  for (const OpRow& r : kOps)
    if (checks(r)) return r.op;
  for (const OpRow& r : ExtendedRows())
    if (checks(r)) return r.op;
  std::fprintf(stderr, "module_bench: no op checks the key of %s\n", Row(op).name);
  std::abort();
}

const char* OpName(Op op) { return Row(op).name; }
size_t OpBytes(Op op) { return Row(op).bytes; }
const OpSpec& GetOpSpec(Op op) { return Row(op).spec; }
bool IsExtraAsymmetric(Op op) { return Row(op).extra_asymmetric; }

const Inputs& Inputs::Get() {
  static const Inputs* inputs = [] {
    auto* in = new Inputs;
    in->aes_key = Pattern(32, 11);
    in->aes128_key = Pattern(16, 13);
    in->aes192_key = Pattern(24, 71);
    in->derive_data = Pattern(32, 73);
    in->hmac64_key = Pattern(64, 29);
    in->wrapped_key = Pattern(32, 53);
    in->kdf_salt = Pattern(16, 59);
    in->kdf_info = Pattern(10, 61);
    in->kdf_fixed = Pattern(24, 67);
    const std::string_view password = "bench password";
    in->password.assign(password.begin(), password.end());
    in->des3_key = Pattern(24, 17);
    // DES keys carry odd parity in each byte's low bit.
    for (uint8_t& b : in->des3_key)
      b = static_cast<uint8_t>((b & 0xfe) | !(__builtin_popcount(b & 0xfe) & 1));
    in->iv8 = Pattern(8, 47);
    in->hmac_key = Pattern(32, 23);
    in->chacha_key = Pattern(32, 37);
    in->iv12 = Pattern(12, 41);
    in->iv16 = Pattern(16, 43);
    in->x25519_peer_private.resize(32);
    in->x25519_peer_public.resize(32);
    X25519_keypair(in->x25519_peer_public.data(), in->x25519_peer_private.data());
    PeerKey(NID_X9_62_prime256v1, &in->p256_peer_private, &in->p256_peer_public);
    {
      bssl::UniquePtr<DH> dh(DH_get_rfc7919_2048());
      DH_generate_key(dh.get());
      auto bytes = [](const BIGNUM* b) {
        Buf v(256);
        BN_bn2bin_padded(v.data(), v.size(), b);
        return v;
      };
      in->dh_prime = bytes(DH_get0_p(dh.get()));
      in->dh_base = {2};
      in->dh_peer_private = bytes(DH_get0_priv_key(dh.get()));
      in->dh_peer_public = bytes(DH_get0_pub_key(dh.get()));
    }
    PeerKey(NID_secp384r1, &in->p384_peer_private, &in->p384_peer_public);
    PeerKey(NID_secp521r1, &in->p521_peer_private, &in->p521_peer_public);
    return in;
  }();
  return *inputs;
}

const KeySpec& GetKeySpec(KeyId id) {
  static const std::array<KeySpec, static_cast<size_t>(KeyId::kCount)> specs = [] {
    const Inputs& in = Inputs::Get();
    std::array<KeySpec, static_cast<size_t>(KeyId::kCount)> s{};
    auto at = [&](KeyId k) -> KeySpec& { return s[static_cast<size_t>(k)]; };
    at(KeyId::kNone) = {"no key"};
    at(KeyId::kAes) = {.name = "AES key",
                       .crypt = true,
                       .secret_type = CKK_AES,
                       .value = &in.aes_key,
                       .label = "bench-aes"};
    at(KeyId::kHmac) = {.name = "HMAC key",
                        .sign = true,
                        .secret_type = CKK_GENERIC_SECRET,
                        .value = &in.hmac_key,
                        .label = "bench-hmac"};
    at(KeyId::kHmac64) = {.name = "HMAC key (64 bytes)",
                          .sign = true,
                          .secret_type = CKK_GENERIC_SECRET,
                          .value = &in.hmac64_key,
                          .label = "bench-hmac64"};
    at(KeyId::kDh) = {.name = "ffdhe2048 key",
                      .gen = CKM_DH_PKCS_KEY_PAIR_GEN,
                      .dh_prime = &in.dh_prime,
                      .dh_base = &in.dh_base,
                      .point_size = 256,
                      .derive = true};
    at(KeyId::kKdf) = {.name = "KDF base key",
                       .derive = true,
                       .secret_type = CKK_GENERIC_SECRET,
                       .value = &in.hmac_key,
                       .label = "bench-kdf"};
    at(KeyId::kWrapKey) = {.name = "AES wrapping key",
                           .wrap = true,
                           .secret_type = CKK_AES,
                           .value = &in.aes_key,
                           .label = "bench-wrap"};
    at(KeyId::kWrapped) = {.name = "AES key to wrap",
                           .crypt = true,
                           .extractable = true,
                           .secret_type = CKK_AES,
                           .value = &in.wrapped_key,
                           .label = "bench-wrapped"};
    at(KeyId::kAes128) = {.name = "AES-128 key",
                          .crypt = true,
                          .secret_type = CKK_AES,
                          .value = &in.aes128_key,
                          .label = "bench-aes128"};
    at(KeyId::kAes192) = {.name = "AES-192 key",
                          .crypt = true,
                          .secret_type = CKK_AES,
                          .value = &in.aes192_key,
                          .label = "bench-aes192"};
    at(KeyId::kAesDerive) = {.name = "AES derive key",
                             .derive = true,
                             .secret_type = CKK_AES,
                             .value = &in.aes_key,
                             .label = "bench-aes-derive"};
    at(KeyId::kDes3) = {.name = "DES3 key",
                        .crypt = true,
                        .secret_type = CKK_DES3,
                        .value = &in.des3_key,
                        .label = "bench-des3"};
    at(KeyId::kChaCha) = {.name = "ChaCha20 key",
                          .crypt = true,
                          .secret_type = CKK_CHACHA20,
                          .value = &in.chacha_key,
                          .label = "bench-chacha"};
    at(KeyId::kCmac) = {.name = "AES CMAC key",
                        .sign = true,
                        .secret_type = CKK_AES,
                        .value = &in.aes_key,
                        .label = "bench-cmac"};
    auto ec = [](const char* name, const Buf& params, size_t point, int nid, bool derive) {
      return KeySpec{.name = name,
                     .gen = CKM_EC_KEY_PAIR_GEN,
                     .ec_params = &params,
                     .point_size = point,
                     .nid = nid,
                     .derive = derive,
                     .sign = !derive};
    };
    at(KeyId::kP224) = ec("P-224 key", kP224Params, 57, NID_secp224r1, false);
    at(KeyId::kP256) = ec("P-256 key", kP256Params, 65, NID_X9_62_prime256v1, false);
    at(KeyId::kP256Ecdh) = ec("P-256 ECDH key", kP256Params, 65, NID_X9_62_prime256v1, true);
    at(KeyId::kP384) = ec("P-384 key", kP384Params, 97, NID_secp384r1, false);
    at(KeyId::kP384Ecdh) = ec("P-384 ECDH key", kP384Params, 97, NID_secp384r1, true);
    at(KeyId::kP521) = ec("P-521 key", kP521Params, 133, NID_secp521r1, false);
    at(KeyId::kP521Ecdh) = ec("P-521 ECDH key", kP521Params, 133, NID_secp521r1, true);
    auto rsa = [](const char* name, CK_ULONG bits, bool crypt) {
      return KeySpec{.name = name,
                     .gen = CKM_RSA_PKCS_KEY_PAIR_GEN,
                     .modulus_bits = bits,
                     .sign = true,
                     .crypt = crypt};
    };
    at(KeyId::kRsa2048) = rsa("RSA-2048 key", 2048, true);
    at(KeyId::kRsa3072) = rsa("RSA-3072 key", 3072, false);
    at(KeyId::kRsa4096) = rsa("RSA-4096 key", 4096, false);
    at(KeyId::kRsa8192) = rsa("RSA-8192 key", 8192, false);
    at(KeyId::kEd25519) = {.name = "Ed25519 key",
                           .gen = CKM_EC_EDWARDS_KEY_PAIR_GEN,
                           .ec_params = &kEd25519Params,
                           .point_size = 32,
                           .sign = true};
    at(KeyId::kX25519) = {.name = "X25519 key",
                          .gen = CKM_EC_MONTGOMERY_KEY_PAIR_GEN,
                          .ec_params = &kX25519Params,
                          .point_size = 32,
                          .derive = true};
    return s;
  }();
  return specs[static_cast<size_t>(id)];
}

ByteSpan OpMessage(Op op) {
  static const Buf data8k = Pattern(8192, 3);
  static const Buf digest256 = Sha256(ByteSpan(data8k).first(64));
  static const Buf digest384 = [] {
    Buf d(SHA384_DIGEST_LENGTH);
    SHA384(data8k.data(), 64, d.data());
    return d;
  }();
  static const Buf digest512 = [] {
    Buf d(SHA512_DIGEST_LENGTH);
    SHA512(data8k.data(), 64, d.data());
    return d;
  }();
  if (size_t n = OpBytes(op); n > 0) return ByteSpan(data8k).first(n);
  const OpSpec& spec = GetOpSpec(op);
  if (spec.mech == CKM_ECDSA) {
    if (spec.key == KeyId::kP384) return digest384;
    if (spec.key == KeyId::kP521) return digest512;
    return digest256;
  }
  return ByteSpan(data8k).first(64);
}

MechArgs MakeMechArgs(Op op) {
  const Inputs& in = Inputs::Get();
  const OpSpec& spec = GetOpSpec(op);
  MechArgs m{spec.mech, spec.param, {}, 0};
  switch (spec.param) {
    case Param::kGcm:
    case Param::kChaCha:
      m.bytes = in.iv12;
      break;
    case Param::kCbcIv:
      m.bytes = spec.key == KeyId::kDes3 ? in.iv8 : in.iv16;
      break;
    case Param::kCtr:
      m.bytes = in.iv16;
      break;
    case Param::kEcdh:
      m.bytes = spec.key == KeyId::kX25519     ? in.x25519_peer_public
                : spec.key == KeyId::kP384Ecdh ? in.p384_peer_public
                : spec.key == KeyId::kP521Ecdh ? in.p521_peer_public
                                               : in.p256_peer_public;
      m.value_len = spec.key == KeyId::kP384Ecdh ? 48 : spec.key == KeyId::kP521Ecdh ? 66 : 32;
      break;
    case Param::kDh:
      m.bytes = in.dh_peer_public;
      m.value_len = 256;  // the whole padded secret
      break;
    case Param::kHkdf:
    case Param::kSp800108:
    case Param::kPbkdf2:
      m.value_len = 32;
      break;
    case Param::kBaseKey:  // base || base
      m.value_len = 64;
      break;
    case Param::kDeriveData:
    case Param::kCbcEncryptData:
      m.bytes = in.derive_data;
      // The concatenations make base || data or data || base; XOR and the
      // encryptions as much as the data.
      m.value_len =
          spec.mech == CKM_CONCATENATE_BASE_AND_DATA || spec.mech == CKM_CONCATENATE_DATA_AND_BASE
              ? 64
              : 32;
      break;
    case Param::kExtract:
      m.value_len = 16;
      break;
    default:
      break;
  }
  return m;
}

std::string Hex(ByteSpan b) {
  static const char* kDigits = "0123456789abcdef";
  std::string s;
  for (uint8_t c : b) {
    s += kDigits[c >> 4];
    s += kDigits[c & 15];
  }
  return s;
}

Buf Sha256(ByteSpan in) {
  Buf out(SHA256_DIGEST_LENGTH);
  SHA256(in.data(), in.size(), out.data());
  return out;
}

namespace {

Buf AeadSeal(const EVP_AEAD* aead, ByteSpan key, ByteSpan nonce, ByteSpan in) {
  bssl::ScopedEVP_AEAD_CTX ctx;
  if (!EVP_AEAD_CTX_init(ctx.get(), aead, key.data(), key.size(), 16, nullptr)) return {};
  Buf out(in.size() + 16);
  size_t len = 0;
  if (!EVP_AEAD_CTX_seal(ctx.get(), out.data(), &len, out.size(), nonce.data(), nonce.size(),
                         in.data(), in.size(), nullptr, 0))
    return {};
  out.resize(len);
  return out;
}

// Cipher is a block-cipher op's BoringSSL cipher, key and IV (empty for
// ECB). |cts| marks CKM_AES_CTS: CBC whose last two blocks are swapped (CS3;
// the payloads are whole blocks), |pad| the *_CBC_PAD mechanisms.
struct Cipher {
  const EVP_CIPHER* cipher = nullptr;
  ByteSpan key, iv;
  bool pad = false, cts = false;
};

Cipher CipherOf(const OpSpec& spec) {
  const Inputs& in = Inputs::Get();
  Cipher c;
  if (const Buf* key = GetKeySpec(spec.key).value) c.key = *key;
  c.iv = in.iv16;
  // aes picks the AES cipher of the key's size.
  auto aes = [n = c.key.size()](const EVP_CIPHER* (*c128)(), const EVP_CIPHER* (*c192)(),
                                const EVP_CIPHER* (*c256)()) {
    return n == 16 ? c128() : n == 24 ? c192() : c256();
  };
  switch (spec.mech) {
    case CKM_AES_ECB:
      c.cipher = aes(EVP_aes_128_ecb, EVP_aes_192_ecb, EVP_aes_256_ecb);
      c.iv = {};
      break;
    case CKM_AES_CBC_PAD:
    case CKM_AES_CTS:
    case CKM_AES_CBC:
      c.pad = spec.mech == CKM_AES_CBC_PAD;
      c.cts = spec.mech == CKM_AES_CTS;
      c.cipher = aes(EVP_aes_128_cbc, EVP_aes_192_cbc, EVP_aes_256_cbc);
      break;
    case CKM_AES_CTR:
      c.cipher = aes(EVP_aes_128_ctr, EVP_aes_192_ctr, EVP_aes_256_ctr);
      break;
    case CKM_DES3_ECB:
      c.cipher = EVP_des_ede3_ecb();
      c.iv = {};
      break;
    case CKM_DES3_CBC:
    case CKM_DES3_CBC_PAD:
      c.pad = spec.mech == CKM_DES3_CBC_PAD;
      c.cipher = EVP_des_ede3_cbc();
      c.iv = in.iv8;
      break;
    default:
      break;
  }
  return c;
}

// CipherRun encrypts (or with |decrypt|, decrypts) |in| with |c| into |out|
// (room for a block more than |in|) through |ctx|; false on failure.
bool CipherRun(EVP_CIPHER_CTX* ctx, const Cipher& c, ByteSpan in, uint8_t* out, size_t* len,
               bool decrypt = false) {
  int len1 = 0, len2 = 0;
  if (!EVP_CipherInit_ex(ctx, c.cipher, nullptr, c.key.data(), c.iv.empty() ? nullptr : c.iv.data(),
                         decrypt ? 0 : 1) ||
      !EVP_CIPHER_CTX_set_padding(ctx, c.pad) ||
      !EVP_CipherUpdate(ctx, out, &len1, in.data(), in.size()) ||
      !EVP_CipherFinal_ex(ctx, out + len1, &len2))
    return false;
  *len = len1 + len2;
  if (c.cts && !decrypt && *len >= 32) {
    uint8_t t[16];
    memcpy(t, out + *len - 32, 16);
    memmove(out + *len - 32, out + *len - 16, 16);
    memcpy(out + *len - 16, t, 16);
  }
  return true;
}

Buf CipherEncrypt(const OpSpec& spec, ByteSpan in) {
  bssl::ScopedEVP_CIPHER_CTX ctx;
  Buf out(in.size() + 16);
  size_t len = 0;
  if (!CipherRun(ctx.get(), CipherOf(spec), in, out.data(), &len)) return {};
  out.resize(len);
  return out;
}

// Aead is an AEAD op's BoringSSL AEAD and key (null for other ops).
struct Aead {
  const EVP_AEAD* aead = nullptr;
  ByteSpan key;
};

Aead AeadOf(const OpSpec& spec) {
  const Buf* key = GetKeySpec(spec.key).value;
  if (spec.mech == CKM_CHACHA20_POLY1305) return {EVP_aead_chacha20_poly1305(), *key};
  if (spec.mech == CKM_AES_GCM)
    return {key->size() == 24 ? EVP_aead_aes_192_gcm() : EVP_aead_aes_256_gcm(), *key};
  return {};
}

// AesWrap wraps |in| with |kek| (with |unwrap|, unwraps it with |kek| a
// decryption key) the way |mech| does (CKM_AES_KEY_WRAP: RFC 3394;
// CKM_AES_KEY_WRAP_KWP and _PAD: RFC 5649) into |out|, sized to fit; false
// on failure.
bool AesWrap(CK_MECHANISM_TYPE mech, const AES_KEY* kek, ByteSpan in, Buf* out,
             bool unwrap = false) {
  out->resize(in.size() + 16);
  if (mech == CKM_AES_KEY_WRAP) {
    const int n = unwrap ? AES_unwrap_key(kek, nullptr, out->data(), in.data(), in.size())
                         : AES_wrap_key(kek, nullptr, out->data(), in.data(), in.size());
    if (n <= 0) return false;
    out->resize(n);
    return true;
  }
  size_t n = 0;
  if (!(unwrap ? AES_unwrap_key_padded(kek, out->data(), &n, out->size(), in.data(), in.size())
               : AES_wrap_key_padded(kek, out->data(), &n, out->size(), in.data(), in.size())))
    return false;
  out->resize(n);
  return true;
}

bssl::UniquePtr<RSA> RsaPublic(ByteSpan n, ByteSpan e) {
  bssl::UniquePtr<RSA> rsa(RSA_new());
  if (!RSA_set0_key(rsa.get(), BN_bin2bn(n.data(), n.size(), nullptr),
                    BN_bin2bn(e.data(), e.size(), nullptr), nullptr))
    return nullptr;
  return rsa;
}

bssl::UniquePtr<EC_KEY> EcPublic(int nid, ByteSpan point) {
  bssl::UniquePtr<EC_KEY> k(EC_KEY_new_by_curve_name(nid));
  bssl::UniquePtr<EC_POINT> p(EC_POINT_new(EC_KEY_get0_group(k.get())));
  if (!EC_POINT_oct2point(EC_KEY_get0_group(k.get()), p.get(), point.data(), point.size(),
                          nullptr) ||
      !EC_KEY_set_public_key(k.get(), p.get()))
    return nullptr;
  return k;
}

// OaepCtx returns an EVP_PKEY_CTX for RSA-OAEP with SHA-256 and MGF1-SHA-256
// on |rsa|, initialised to encrypt or decrypt.
bssl::UniquePtr<EVP_PKEY_CTX> OaepCtx(RSA* rsa, bool encrypt) {
  bssl::UniquePtr<EVP_PKEY> pkey(EVP_PKEY_new());
  if (!EVP_PKEY_set1_RSA(pkey.get(), rsa)) return nullptr;
  bssl::UniquePtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new(pkey.get(), nullptr));
  if (!ctx || !(encrypt ? EVP_PKEY_encrypt_init(ctx.get()) : EVP_PKEY_decrypt_init(ctx.get())) ||
      !EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) ||
      !EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha256()) ||
      !EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256()))
    return nullptr;
  return ctx;
}

// EcdsaVerify checks the r || s signature |sig| of |digest| under |point|.
bool EcdsaVerify(int nid, ByteSpan point, ByteSpan digest, ByteSpan sig) {
  auto k = EcPublic(nid, point);
  if (!k || sig.empty() || sig.size() % 2) return false;
  const size_t half = sig.size() / 2;
  bssl::UniquePtr<ECDSA_SIG> s(ECDSA_SIG_new());
  BN_bin2bn(sig.data(), half, s->r);
  BN_bin2bn(sig.data() + half, half, s->s);
  return ECDSA_do_verify(digest.data(), digest.size(), s.get(), k.get()) == 1;
}

bool RsaSha256Verify(ByteSpan n, ByteSpan e, ByteSpan msg, ByteSpan sig, bool pss) {
  auto rsa = RsaPublic(n, e);
  const Buf d = Sha256(msg);
  if (!rsa) return false;
  if (pss)
    return RSA_verify_pss_mgf1(rsa.get(), d.data(), d.size(), EVP_sha256(), EVP_sha256(), 32,
                               sig.data(), sig.size()) == 1;
  return RSA_verify(NID_sha256, d.data(), d.size(), sig.data(), sig.size(), rsa.get()) == 1;
}

Buf EcdhShared(int nid, ByteSpan priv, ByteSpan peer_point) {
  auto k = EcPublic(nid, peer_point);
  if (!k) return {};
  bssl::UniquePtr<BIGNUM> d(BN_bin2bn(priv.data(), priv.size(), nullptr));
  bssl::UniquePtr<EC_KEY> mine(EC_KEY_new_by_curve_name(nid));
  EC_KEY_set_private_key(mine.get(), d.get());
  Buf out(priv.size());
  if (ECDH_compute_key(out.data(), out.size(), EC_KEY_get0_public_key(k.get()), mine.get(),
                       nullptr) != static_cast<int>(out.size()))
    return {};
  return out;
}

// DerivedValue returns the value the derive (or PBKDF2 key generation) op
// |spec| makes from its base key (or the password) and Inputs: empty for
// other ops (ECDH, DH) or on failure.
Buf DerivedValue(const OpSpec& spec) {
  const Inputs& in = Inputs::Get();
  const Buf* base = GetKeySpec(spec.key).value;
  const Buf& data = in.derive_data;
  Buf out(32);
  switch (spec.mech) {
    case CKM_HKDF_DERIVE:
    case CKM_HKDF_DATA:
      if (!HKDF(out.data(), out.size(), EVP_sha256(), base->data(), base->size(),
                in.kdf_salt.data(), in.kdf_salt.size(), in.kdf_info.data(), in.kdf_info.size()))
        return {};
      return out;
    case CKM_SP800_108_COUNTER_KDF: {
      // One HMAC block: counter 1 || fixed || DKM length 256, 32-bit big endian.
      Buf block = {0, 0, 0, 1};
      block.insert(block.end(), in.kdf_fixed.begin(), in.kdf_fixed.end());
      block.insert(block.end(), {0, 0, 1, 0});
      unsigned len = 0;
      if (!HMAC(EVP_sha256(), base->data(), base->size(), block.data(), block.size(), out.data(),
                &len))
        return {};
      return out;
    }
    case CKM_PKCS5_PBKD2:
      if (!PKCS5_PBKDF2_HMAC(reinterpret_cast<const char*>(in.password.data()), in.password.size(),
                             in.kdf_salt.data(), in.kdf_salt.size(), 1000, EVP_sha256(), out.size(),
                             out.data()))
        return {};
      return out;
    case CKM_CONCATENATE_BASE_AND_KEY:  // the base key with itself
      out.assign(base->begin(), base->end());
      out.insert(out.end(), base->begin(), base->end());
      return out;
    case CKM_CONCATENATE_BASE_AND_DATA:
      out.assign(base->begin(), base->end());
      out.insert(out.end(), data.begin(), data.end());
      return out;
    case CKM_CONCATENATE_DATA_AND_BASE:
      out.assign(data.begin(), data.end());
      out.insert(out.end(), base->begin(), base->end());
      return out;
    case CKM_XOR_BASE_AND_DATA:
      for (size_t i = 0; i < out.size(); ++i) out[i] = (*base)[i] ^ data[i];
      return out;
    case CKM_EXTRACT_KEY_FROM_KEY:
      out.resize(16);
      ExtractBits(*base, kExtractBit, out.size(), out.data());
      return out;
    case CKM_AES_ECB_ENCRYPT_DATA:
    case CKM_AES_CBC_ENCRYPT_DATA: {
      AES_KEY k;
      if (AES_set_encrypt_key(base->data(), base->size() * 8, &k) != 0) return {};
      uint8_t iv[16];
      memcpy(iv, in.iv16.data(), 16);
      if (spec.mech == CKM_AES_CBC_ENCRYPT_DATA) {
        AES_cbc_encrypt(data.data(), out.data(), data.size(), &k, iv, AES_ENCRYPT);
      } else {
        for (size_t i = 0; i < data.size(); i += 16)
          AES_encrypt(data.data() + i, out.data() + i, &k);
      }
      return out;
    }
    default:
      return {};
  }
}

// DigestOf returns the hash of a digest or HMAC mechanism, null for others
// (and for SHA-512/224, which BoringSSL has no EVP_MD for).
const EVP_MD* DigestOf(CK_MECHANISM_TYPE mech) {
  switch (mech) {
    case CKM_MD5:
    case CKM_MD5_HMAC:
      return EVP_md5();
    case CKM_SHA_1:
    case CKM_SHA_1_HMAC:
      return EVP_sha1();
    case CKM_SHA224:
    case CKM_SHA224_HMAC:
      return EVP_sha224();
    case CKM_SHA256:
    case CKM_SHA256_HMAC:
      return EVP_sha256();
    case CKM_SHA384:
    case CKM_SHA384_HMAC:
      return EVP_sha384();
    case CKM_SHA512:
    case CKM_SHA512_HMAC:
      return EVP_sha512();
    case CKM_SHA512_256:
    case CKM_SHA512_256_HMAC:
      return EVP_sha512_256();
    default:
      return nullptr;
  }
}

// IsDigestOrHmac says whether |spec| is a digest or an HMAC op.
bool IsDigestOrHmac(const OpSpec& spec) {
  return DigestOf(spec.mech) != nullptr || spec.mech == CKM_SHA512_224 ||
         spec.mech == CKM_SHA512_224_HMAC;
}

// DigestOrHmac computes the digest or HMAC op |spec| of |msg| into |*out|
// (sized to fit); false on failure.
bool DigestOrHmac(const OpSpec& spec, ByteSpan msg, Buf* out) {
  const Buf* key = GetKeySpec(spec.key).value;
  if (spec.mech == CKM_SHA512_224 || spec.mech == CKM_SHA512_224_HMAC) {
    out->resize(kSha512_224Size);
    if (key)
      HmacSha512_224(*key, msg, out->data());
    else
      Sha512_224(msg, out->data());
    return true;
  }
  const EVP_MD* md = DigestOf(spec.mech);
  out->resize(EVP_MD_size(md));
  unsigned len = 0;
  return key ? HMAC(md, key->data(), key->size(), msg.data(), msg.size(), out->data(), &len) !=
                   nullptr
             : EVP_Digest(msg.data(), msg.size(), out->data(), &len, md, nullptr) == 1;
}

// Wrapping returns |mech|'s wrapping of the kWrapped key's value with the
// AES-256 kWrapKey; empty on failure.
Buf Wrapping(CK_MECHANISM_TYPE mech) {
  const Inputs& in = Inputs::Get();
  AES_KEY kek;
  Buf out;
  if (AES_set_encrypt_key(in.aes_key.data(), 256, &kek) != 0 ||
      !AesWrap(mech, &kek, in.wrapped_key, &out))
    return {};
  return out;
}

}  // namespace

Buf ExpectedOutput(Op op) {
  const Inputs& in = Inputs::Get();
  const ByteSpan msg = OpMessage(op);
  const OpSpec& spec = GetOpSpec(op);
  Buf out;
  if (IsDigestOrHmac(spec)) return DigestOrHmac(spec, msg, &out) ? out : Buf();
  if (spec.call == Call::kDecrypt) return {};
  if (CipherOf(spec).cipher) return CipherEncrypt(spec, msg);
  if (const Aead a = AeadOf(spec); a.aead) return AeadSeal(a.aead, a.key, in.iv12, msg);
  if (spec.call == Call::kWrap) return Wrapping(spec.mech);
  if (spec.mech == CKM_AES_CMAC) {
    out.resize(16);
    if (!AES_CMAC(out.data(), in.aes_key.data(), in.aes_key.size(), msg.data(), msg.size()))
      return {};
    return out;
  }
  return {};
}

Buf Ciphertext(Op op, const KeyPair& key) {
  const Inputs& in = Inputs::Get();
  const ByteSpan msg = OpMessage(op);
  const OpSpec& spec = GetOpSpec(op);
  if (CipherOf(spec).cipher) return CipherEncrypt(spec, msg);
  if (const Aead a = AeadOf(spec); a.aead) return AeadSeal(a.aead, a.key, in.iv12, msg);
  if (spec.call == Call::kUnwrap) return Wrapping(spec.mech);
  switch (spec.mech) {
    case CKM_RSA_PKCS: {
      auto rsa = RsaPublic(key.n, key.e);
      Buf out(key.n.size());
      size_t len = 0;
      if (!rsa || !RSA_encrypt(rsa.get(), &len, out.data(), out.size(), msg.data(), msg.size(),
                               RSA_PKCS1_PADDING))
        return {};
      out.resize(len);
      return out;
    }
    case CKM_RSA_PKCS_OAEP: {
      auto rsa = RsaPublic(key.n, key.e);
      auto ctx = rsa ? OaepCtx(rsa.get(), true) : nullptr;
      Buf out(key.n.size());
      size_t len = out.size();
      if (!ctx || !EVP_PKEY_encrypt(ctx.get(), out.data(), &len, msg.data(), msg.size())) return {};
      out.resize(len);
      return out;
    }
    default:
      return {};
  }
}

bool VerifySignature(Op op, const KeyPair& key, ByteSpan sig) {
  const ByteSpan msg = OpMessage(op);
  const OpSpec& spec = GetOpSpec(op);
  switch (spec.mech) {
    case CKM_ECDSA:
      return EcdsaVerify(GetKeySpec(spec.key).nid, key.point, msg, sig);
    case CKM_SHA256_RSA_PKCS:
    case CKM_SHA256_RSA_PKCS_PSS:
      return RsaSha256Verify(key.n, key.e, msg, sig, spec.mech == CKM_SHA256_RSA_PKCS_PSS);
    case CKM_EDDSA:
      return key.point.size() == 32 && sig.size() == 64 &&
             ED25519_verify(msg.data(), msg.size(), sig.data(), key.point.data()) == 1;
    default:
      return false;
  }
}

Buf SharedSecret(Op op, const KeyPair& key) {
  const Inputs& in = Inputs::Get();
  if (Buf derived = DerivedValue(GetOpSpec(op)); !derived.empty()) return derived;
  if (GetOpSpec(op).call == Call::kUnwrap) return in.wrapped_key;
  switch (GetOpSpec(op).key) {
    case KeyId::kX25519: {
      Buf out(32);
      if (key.point.size() != 32 ||
          !X25519(out.data(), in.x25519_peer_private.data(), key.point.data()))
        return {};
      return out;
    }
    case KeyId::kP256Ecdh:
      return EcdhShared(NID_X9_62_prime256v1, in.p256_peer_private, key.point);
    case KeyId::kP384Ecdh:
      return EcdhShared(NID_secp384r1, in.p384_peer_private, key.point);
    case KeyId::kP521Ecdh:
      return EcdhShared(NID_secp521r1, in.p521_peer_private, key.point);
    case KeyId::kDh: {
      bssl::UniquePtr<DH> dh(DH_get_rfc7919_2048());
      bssl::UniquePtr<BIGNUM> priv(
          BN_bin2bn(in.dh_peer_private.data(), in.dh_peer_private.size(), nullptr));
      bssl::UniquePtr<BIGNUM> peer(BN_bin2bn(key.point.data(), key.point.size(), nullptr));
      Buf out(256);
      if (!DH_set0_key(dh.get(), nullptr, priv.release()) ||
          DH_compute_key_padded(out.data(), peer.get(), dh.get()) != 256)
        return {};
      return out;
    }
    default:
      return {};
  }
}

Buf EcPointFromAttribute(ByteSpan value, size_t raw_size) {
  if (value.size() == raw_size) return Buf(value.begin(), value.end());
  CBS cbs, inner;
  CBS_init(&cbs, value.data(), value.size());
  if (CBS_get_asn1(&cbs, &inner, CBS_ASN1_OCTETSTRING) && CBS_len(&cbs) == 0 &&
      CBS_len(&inner) == raw_size)
    return Buf(CBS_data(&inner), CBS_data(&inner) + CBS_len(&inner));
  return {};
}

namespace {

// The floor: BoringSSL with every key parsed and every context built before
// the timed loop.
class BoringSslThread : public ThreadRunner {
 public:
  Prepared Prepare(Op op, int64_t arg) override;
};

class BoringSslTarget : public Target {
 public:
  std::string name() const override { return "boringssl"; }
  std::string Supports(Op op) const override {
    switch (op) {
      case Op::kGetAttribute:
      case Op::kSessionOpenClose:
      case Op::kFind:
        return "n/a: no token";
      default:
        return "";
    }
  }
  std::unique_ptr<ThreadRunner> NewThread(std::string*) override {
    return std::make_unique<BoringSslThread>();
  }
};

// Keys the floor signs with, made once.
struct FloorKeys {
  bssl::UniquePtr<EC_KEY> p224, p256, p384, p521;
  bssl::UniquePtr<RSA> rsa2048, rsa3072, rsa4096;
  bssl::UniquePtr<RSA> rsa8192;  // only for the extended set (tens of seconds)
  uint8_t ed_public[32], ed_private[64];
  uint8_t x_public[32], x_private[32];
  bssl::UniquePtr<DH> dh;  // ffdhe2048

  EC_KEY* Ec(KeyId id) const {
    switch (id) {
      case KeyId::kP384:
      case KeyId::kP384Ecdh:
        return p384.get();
      case KeyId::kP521:
      case KeyId::kP521Ecdh:
        return p521.get();
      case KeyId::kP224:
        return p224.get();
      default:
        return p256.get();
    }
  }
  RSA* Rsa(KeyId id) const {
    return id == KeyId::kRsa8192   ? rsa8192.get()
           : id == KeyId::kRsa4096 ? rsa4096.get()
           : id == KeyId::kRsa3072 ? rsa3072.get()
                                   : rsa2048.get();
  }

  static const FloorKeys& Get() {
    static const FloorKeys* keys = [] {
      auto* k = new FloorKeys;
      auto ec = [](int nid) {
        bssl::UniquePtr<EC_KEY> key(EC_KEY_new_by_curve_name(nid));
        EC_KEY_generate_key(key.get());
        return key;
      };
      k->p224 = ec(NID_secp224r1);
      k->p256 = ec(NID_X9_62_prime256v1);
      k->p384 = ec(NID_secp384r1);
      k->p521 = ec(NID_secp521r1);
      auto rsa = [](int bits) {
        bssl::UniquePtr<RSA> key(RSA_new());
        bssl::UniquePtr<BIGNUM> e(BN_new());
        BN_set_word(e.get(), RSA_F4);
        RSA_generate_key_ex(key.get(), bits, e.get(), nullptr);
        return key;
      };
      std::fprintf(stderr, "[boringssl] generating RSA-2048/3072/4096 keys\n");
      k->rsa2048 = rsa(2048);
      k->rsa3072 = rsa(3072);
      k->rsa4096 = rsa(4096);
      if (extended_selected) {
        std::fprintf(stderr, "[boringssl] generating an RSA-8192 key\n");
        k->rsa8192 = rsa(8192);
      }
      ED25519_keypair(k->ed_public, k->ed_private);
      X25519_keypair(k->x_public, k->x_private);
      k->dh = Ffdhe2048Dh();
      DH_generate_key(k->dh.get());
      return k;
    }();
    return *keys;
  }
};

Prepared AeadFloor(Op op, ByteSpan msg) {
  const Inputs& in = Inputs::Get();
  struct State {
    bssl::ScopedEVP_AEAD_CTX ctx;
    Buf out;
    Buf nonce;
    Buf sealed;
  };
  auto st = std::make_shared<State>();
  const Aead a = AeadOf(GetOpSpec(op));
  EVP_AEAD_CTX_init(st->ctx.get(), a.aead, a.key.data(), a.key.size(), 16, nullptr);
  st->out.resize(msg.size() + 16);
  st->nonce = in.iv12;
  if (GetOpSpec(op).call == Call::kDecrypt) {
    st->sealed = Ciphertext(op, {});
    return {"", [st] {
              size_t len;
              return EVP_AEAD_CTX_open(st->ctx.get(), st->out.data(), &len, st->out.size(),
                                       st->nonce.data(), st->nonce.size(), st->sealed.data(),
                                       st->sealed.size(), nullptr, 0) == 1;
            }};
  }
  return {"", [st, msg] {
            size_t len;
            return EVP_AEAD_CTX_seal(st->ctx.get(), st->out.data(), &len, st->out.size(),
                                     st->nonce.data(), st->nonce.size(), msg.data(), msg.size(),
                                     nullptr, 0) == 1;
          }};
}

// CipherFloor: a block-cipher op (AES ECB / CBC / CBC-PAD / CTR / CTS,
// DES3 ECB / CBC / CBC-PAD) through one EVP_CIPHER_CTX, set up per call with
// the key and IV.
Prepared CipherFloor(Op op, ByteSpan msg) {
  struct State {
    bssl::ScopedEVP_CIPHER_CTX ctx;
    Buf in, out;
  };
  auto st = std::make_shared<State>();
  const bool decrypt = GetOpSpec(op).call == Call::kDecrypt;
  st->in = decrypt ? Ciphertext(op, {}) : Buf(msg.begin(), msg.end());
  st->out.resize(st->in.size() + 16);
  return {"", [st, decrypt, c = CipherOf(GetOpSpec(op))] {
            size_t len;
            return CipherRun(st->ctx.get(), c, st->in, st->out.data(), &len, decrypt);
          }};
}

Prepared EcdsaFloor(Op op, ByteSpan msg, EC_KEY* key) {
  if (GetOpSpec(op).call == Call::kSign) {
    auto sig = std::make_shared<Buf>(ECDSA_size(key));
    return {"", [sig, msg, key] {
              unsigned len;
              return ECDSA_sign(0, msg.data(), msg.size(), sig->data(), &len, key) == 1;
            }};
  }
  bssl::UniquePtr<ECDSA_SIG> s(ECDSA_do_sign(msg.data(), msg.size(), key));
  std::shared_ptr<ECDSA_SIG> sig(s.release(), ECDSA_SIG_free);
  if (ECDSA_do_verify(msg.data(), msg.size(), sig.get(), key) != 1) return Failed("ECDSA verify");
  return {"",
          [sig, msg, key] { return ECDSA_do_verify(msg.data(), msg.size(), sig.get(), key) == 1; }};
}

Prepared RsaFloor(Op op, ByteSpan msg, RSA* rsa) {
  const bool pss = GetOpSpec(op).mech == CKM_SHA256_RSA_PKCS_PSS;
  auto sig = std::make_shared<Buf>(RSA_size(rsa));
  if (GetOpSpec(op).call == Call::kSign) {
    return {"", [sig, msg, pss, rsa] {
              uint8_t d[32];
              SHA256(msg.data(), msg.size(), d);
              if (pss) {
                size_t len;
                return RSA_sign_pss_mgf1(rsa, &len, sig->data(), sig->size(), d, 32, EVP_sha256(),
                                         EVP_sha256(), 32) == 1;
              }
              unsigned len;
              return RSA_sign(NID_sha256, d, 32, sig->data(), &len, rsa) == 1;
            }};
  }
  uint8_t d[32];
  SHA256(msg.data(), msg.size(), d);
  size_t len;
  unsigned ulen;
  if (pss ? !RSA_sign_pss_mgf1(rsa, &len, sig->data(), sig->size(), d, 32, EVP_sha256(),
                               EVP_sha256(), 32)
          : !RSA_sign(NID_sha256, d, 32, sig->data(), &ulen, rsa))
    return Failed("RSA sign");
  // Verify with the public half only, as a verifier holds it.
  std::shared_ptr<RSA> pub(RSAPublicKey_dup(rsa), RSA_free);
  return {"", [sig, msg, pss, pub] {
            uint8_t d[32];
            SHA256(msg.data(), msg.size(), d);
            if (pss)
              return RSA_verify_pss_mgf1(pub.get(), d, 32, EVP_sha256(), EVP_sha256(), 32,
                                         sig->data(), sig->size()) == 1;
            return RSA_verify(NID_sha256, d, 32, sig->data(), sig->size(), pub.get()) == 1;
          }};
}

Prepared OaepFloor(Op op, ByteSpan msg, RSA* rsa) {
  struct State {
    bssl::UniquePtr<EVP_PKEY_CTX> ctx;
    Buf in, out;
  };
  auto st = std::make_shared<State>();
  const bool encrypt = GetOpSpec(op).call == Call::kEncrypt;
  // Encrypt with the public half only.
  bssl::UniquePtr<RSA> pub(RSAPublicKey_dup(rsa));
  st->ctx = OaepCtx(encrypt ? pub.get() : rsa, encrypt);
  if (!st->ctx) return Failed("OAEP context");
  st->out.resize(RSA_size(rsa));
  if (encrypt) {
    return {"", [st, msg] {
              size_t len = st->out.size();
              return EVP_PKEY_encrypt(st->ctx.get(), st->out.data(), &len, msg.data(),
                                      msg.size()) == 1;
            }};
  }
  auto enc = OaepCtx(pub.get(), true);
  st->in.resize(RSA_size(rsa));
  size_t len = st->in.size();
  if (!EVP_PKEY_encrypt(enc.get(), st->in.data(), &len, msg.data(), msg.size()))
    return Failed("OAEP encrypt");
  st->in.resize(len);
  return {"", [st] {
            size_t len = st->out.size();
            return EVP_PKEY_decrypt(st->ctx.get(), st->out.data(), &len, st->in.data(),
                                    st->in.size()) == 1;
          }};
}

Prepared BoringSslThread::Prepare(Op op, int64_t) {
  const Inputs& in = Inputs::Get();
  const FloorKeys& keys = FloorKeys::Get();
  const ByteSpan msg = OpMessage(op);
  const OpSpec& spec = GetOpSpec(op);
  // Ops without a mechanism first: kNoMech is 0, which is also
  // CKM_RSA_PKCS_KEY_PAIR_GEN, a case of the switch below.
  if (spec.call == Call::kOther) {
    if (op != Op::kRandom32) return NotAvailable("no token");
    auto out = std::make_shared<Buf>(32);
    return {"", [out] { return RAND_bytes(out->data(), out->size()) == 1; }};
  }
  switch (spec.mech) {
    case CKM_SHA256: {
      auto out = std::make_shared<Buf>(32);
      return {"", [msg, out] {
                SHA256(msg.data(), msg.size(), out->data());
                return true;
              }};
    }
    case CKM_DH_PKCS_DERIVE: {
      // The peer's value arrives as bytes, as the mechanism parameter gives it.
      auto out = std::make_shared<Buf>(256);
      return {"", [out, &in, &keys] {
                bssl::UniquePtr<BIGNUM> peer(
                    BN_bin2bn(in.dh_peer_public.data(), in.dh_peer_public.size(), nullptr));
                return DH_compute_key_padded(out->data(), peer.get(), keys.dh.get()) == 256;
              }};
    }
    case CKM_HKDF_DERIVE:
    case CKM_HKDF_DATA:
    case CKM_SP800_108_COUNTER_KDF:
    case CKM_PKCS5_PBKD2:
    case CKM_CONCATENATE_BASE_AND_KEY:
    case CKM_CONCATENATE_BASE_AND_DATA:
    case CKM_CONCATENATE_DATA_AND_BASE:
    case CKM_XOR_BASE_AND_DATA:
    case CKM_EXTRACT_KEY_FROM_KEY:
    case CKM_AES_ECB_ENCRYPT_DATA:
    case CKM_AES_CBC_ENCRYPT_DATA:
      return {"",
              [&spec, n = MakeMechArgs(op).value_len] { return DerivedValue(spec).size() == n; }};
    case CKM_AES_KEY_WRAP:
    case CKM_AES_KEY_WRAP_KWP:
    case CKM_AES_KEY_WRAP_PAD: {
      // The floor holds the wrapping key's schedule and the key to wrap (or
      // its wrapping).
      struct State {
        AES_KEY wrapping;
        Buf wrapped, out;
      };
      auto st = std::make_shared<State>();
      if (spec.call == Call::kUnwrap) {
        st->wrapped = Wrapping(spec.mech);
        AES_set_decrypt_key(in.aes_key.data(), 256, &st->wrapping);
        return {"", [st, mech = spec.mech] {
                  return AesWrap(mech, &st->wrapping, st->wrapped, &st->out, true);
                }};
      }
      AES_set_encrypt_key(in.aes_key.data(), 256, &st->wrapping);
      return {"", [st, &in, mech = spec.mech] {
                return AesWrap(mech, &st->wrapping, in.wrapped_key, &st->out);
              }};
    }
    case CKM_AES_CMAC: {
      std::shared_ptr<CMAC_CTX> ctx(CMAC_CTX_new(), CMAC_CTX_free);
      if (!CMAC_Init(ctx.get(), in.aes_key.data(), in.aes_key.size(), EVP_aes_256_cbc(), nullptr))
        return Failed("CMAC_Init");
      auto out = std::make_shared<Buf>(16);
      return {"", [ctx, msg, out] {
                size_t len;
                return CMAC_Reset(ctx.get()) && CMAC_Update(ctx.get(), msg.data(), msg.size()) &&
                       CMAC_Final(ctx.get(), out->data(), &len);
              }};
    }
    case CKM_AES_GCM:
    case CKM_CHACHA20_POLY1305:
      return AeadFloor(op, msg);
    case CKM_AES_CBC_PAD:
    case CKM_AES_ECB:
    case CKM_AES_CBC:
    case CKM_AES_CTR:
    case CKM_AES_CTS:
    case CKM_DES3_ECB:
    case CKM_DES3_CBC:
    case CKM_DES3_CBC_PAD:
      return CipherFloor(op, msg);
    case CKM_ECDSA:
      return EcdsaFloor(op, msg, keys.Ec(spec.key));
    case CKM_SHA256_RSA_PKCS:
    case CKM_SHA256_RSA_PKCS_PSS:
      return RsaFloor(op, msg, keys.Rsa(spec.key));
    case CKM_RSA_PKCS_OAEP:
      return OaepFloor(op, msg, keys.Rsa(spec.key));
    case CKM_EDDSA: {
      auto sig = std::make_shared<Buf>(64);
      if (spec.call == Call::kSign) {
        return {"", [sig, msg, &keys] {
                  return ED25519_sign(sig->data(), msg.data(), msg.size(), keys.ed_private) == 1;
                }};
      }
      ED25519_sign(sig->data(), msg.data(), msg.size(), keys.ed_private);
      return {"", [sig, msg, &keys] {
                return ED25519_verify(msg.data(), msg.size(), sig->data(), keys.ed_public) == 1;
              }};
    }
    case CKM_ECDH1_DERIVE: {
      auto out = std::make_shared<Buf>(66);
      if (spec.key == KeyId::kX25519) {
        return {"", [out, &in, &keys] {
                  return X25519(out->data(), keys.x_private, in.x25519_peer_public.data()) == 1;
                }};
      }
      // The peer point arrives as bytes, as CK_ECDH1_DERIVE_PARAMS gives it.
      EC_KEY* key = keys.Ec(spec.key);
      const MechArgs m = MakeMechArgs(op);
      return {"", [out, peer = m.bytes, n = m.value_len, key] {
                const EC_GROUP* g = EC_KEY_get0_group(key);
                bssl::UniquePtr<EC_POINT> p(EC_POINT_new(g));
                return EC_POINT_oct2point(g, p.get(), peer.data(), peer.size(), nullptr) &&
                       ECDH_compute_key(out->data(), n, p.get(), key, nullptr) ==
                           static_cast<int>(n);
              }};
    }
    case CKM_DH_PKCS_KEY_PAIR_GEN:
      return {"", [] {
                bssl::UniquePtr<DH> dh = Ffdhe2048Dh();
                return DH_generate_key(dh.get()) == 1;
              }};
    case CKM_EC_KEY_PAIR_GEN:
      // A key pair a client can use includes its public point's encoding
      // (CKA_EC_POINT): BoringSSL generates the point in Jacobian
      // coordinates and converts it to affine (a field inversion, a quarter
      // of a P-256 key generation) only when it is encoded, so the floor
      // encodes it once, as a token must. Ed25519 and X25519 key generation
      // return the public key's bytes already.
      return {"", [nid = GetKeySpec(spec.key).nid] {
                bssl::UniquePtr<EC_KEY> k(EC_KEY_new_by_curve_name(nid));
                uint8_t point[133];
                return EC_KEY_generate_key(k.get()) == 1 &&
                       EC_POINT_point2oct(
                           EC_KEY_get0_group(k.get()), EC_KEY_get0_public_key(k.get()),
                           POINT_CONVERSION_UNCOMPRESSED, point, sizeof point, nullptr) != 0;
              }};
    case CKM_EC_MONTGOMERY_KEY_PAIR_GEN:
      return {"", [] {
                uint8_t pub[32], priv[32];
                X25519_keypair(pub, priv);
                return true;
              }};
    case CKM_RSA_PKCS_KEY_PAIR_GEN:
      return {"", [bits = GetKeySpec(spec.key).modulus_bits] {
                bssl::UniquePtr<RSA> key(RSA_new());
                bssl::UniquePtr<BIGNUM> e(BN_new());
                return BN_set_word(e.get(), RSA_F4) &&
                       RSA_generate_key_ex(key.get(), bits, e.get(), nullptr) == 1;
              }};
    case CKM_RSA_PKCS: {
      // Encrypt with the public half only, as an encrypter holds it.
      RSA* rsa = keys.Rsa(spec.key);
      std::shared_ptr<RSA> pub(RSAPublicKey_dup(rsa), RSA_free);
      auto st = std::make_shared<std::pair<Buf, Buf>>(Buf(RSA_size(rsa)), Buf(RSA_size(rsa)));
      size_t len = 0;
      if (!RSA_encrypt(pub.get(), &len, st->first.data(), st->first.size(), msg.data(), msg.size(),
                       RSA_PKCS1_PADDING))
        return Failed("RSA encrypt");
      if (spec.call == Call::kEncrypt) {
        return {"", [st, msg, pub] {
                  size_t len;
                  return RSA_encrypt(pub.get(), &len, st->second.data(), st->second.size(),
                                     msg.data(), msg.size(), RSA_PKCS1_PADDING) == 1;
                }};
      }
      return {"", [st, rsa] {
                size_t len;
                return RSA_decrypt(rsa, &len, st->second.data(), st->second.size(),
                                   st->first.data(), st->first.size(), RSA_PKCS1_PADDING) == 1;
              }};
    }
    case CKM_EC_EDWARDS_KEY_PAIR_GEN:
      return {"", [] {
                uint8_t pub[32], priv[64];
                ED25519_keypair(pub, priv);
                return true;
              }};
    default:
      break;
  }
  if (IsDigestOrHmac(spec)) {
    auto out = std::make_shared<Buf>(EVP_MAX_MD_SIZE);
    return {"", [msg, out, &spec] { return DigestOrHmac(spec, msg, out.get()); }};
  }
  return NotAvailable("no token");
}

}  // namespace

std::unique_ptr<Target> MakeBoringSslTarget() {
  FloorKeys::Get();
  return std::make_unique<BoringSslTarget>();
}

}  // namespace cryptoki::bench
