// eddsa.cc: the Edwards family: Ed25519 key pairs
// (CKM_EC_EDWARDS_KEY_PAIR_GEN) and pure Ed25519 signatures (CKM_EDDSA).
#include <openssl/curve25519.h>
#include <openssl/evp.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/rand.h>

#include "cryptoki/mech/asym.h"
#include "cryptoki/mech/ec.h"
#include "cryptoki/mech/registry.h"
#include "cryptoki/session.h"

namespace cryptoki::mech {
namespace {

// ExpandEd25519 makes the public key and the 64-byte expanded form
// BoringSSL signs with from a 32-byte seed.
void ExpandEd25519(const uint8_t seed[32], RawCurveKey& key) {
  key.private_key.resize(64);
  ED25519_keypair_from_seed(key.public_key, key.private_key.data(), seed);
}

Result<std::shared_ptr<const RawCurveKey>> GetEd25519Key(const Object& o) {
  auto k = CachedKey<RawCurveKey>(
      o, [&] { return ParseRawCurveKey(o, CKK_EC_EDWARDS, NID_ED25519, ExpandEd25519); });
  if (!k) return Fail(KeyErrorAtUse(k.error()));
  return k;
}

class EddsaOp : public SignVerifyOp {
 public:
  explicit EddsaOp(std::shared_ptr<const RawCurveKey> key)
      : SignVerifyOp(nullptr, 64), ed_(std::move(key)) {}

 protected:
  Result<> Sign(ByteView input, std::span<uint8_t> out) override {
    if (!ED25519_sign(out.data(), input.data(), input.size(), ed_->private_key.data())) {
      return Fail(Rv::kFunctionFailed);
    }
    return {};
  }
  Result<> Verify(ByteView input, ByteView signature) override {
    if (!ED25519_verify(input.data(), input.size(), signature.data(), ed_->public_key)) {
      return Fail(Rv::kSignatureInvalid);
    }
    return {};
  }

 private:
  std::shared_ptr<const RawCurveKey> ed_;
};

Result<std::unique_ptr<Operation>> BeginEddsa(OpKind kind, const Mechanism& m,
                                              const std::shared_ptr<const Object>& key_object) {
  if (kind != OpKind::kSign && kind != OpKind::kVerify) return Fail(Rv::kMechanismInvalid);
  // Only pure Ed25519: no prehash, no context (Ed25519ph / Ed25519ctx).
  if (const auto* p = std::get_if<EddsaParams>(&m.params)) {
    if (p->ph || !p->context.empty()) return Fail(Rv::kMechanismParamInvalid);
  }
  auto key = GetEd25519Key(*key_object);
  if (!key) return Fail(key.error());
  if (kind == OpKind::kSign && (*key)->private_key.empty()) return Fail(Rv::kKeyTypeInconsistent);
  std::unique_ptr<Operation> op = std::make_unique<EddsaOp>(*key);
  op->key = key_object;
  return op;
}

Result<std::pair<ObjectHandle, ObjectHandle>> GenerateEd25519KeyPair(Session& s, const Mechanism& m,
                                                                     const Template& public_tmpl,
                                                                     const Template& private_tmpl) {
  CRYPTOKI_TRY(CurveParam(public_tmpl.Find(CKA_EC_PARAMS), {NID_ED25519}));
  SecretBytes seed(32);
  RAND_bytes(seed.data(), seed.size());
  RawCurveKey key;
  ExpandEd25519(seed.data(), key);
  return StoreRawCurveKeyPair(s, m.type, public_tmpl, private_tmpl, CKK_EC_EDWARDS, NID_ED25519,
                              key.public_key, std::move(seed));
}

constexpr CK_KEY_TYPE kEdwards[] = {CKK_EC_EDWARDS};

const MechanismEntry kEntries[] = {
    {.type = CKM_EC_EDWARDS_KEY_PAIR_GEN,
     .info = {255, 255, CKF_GENERATE_KEY_PAIR},
     .size_unit = SizeUnit::kFamily,
     .generate_pair = GenerateEd25519KeyPair},
    {.type = CKM_EDDSA,
     .info = {255, 255, CKF_SIGN | CKF_VERIFY},
     .key_types = kEdwards,
     .params_ok = TakesOptional<EddsaParams>,
     .size_unit = SizeUnit::kFamily,
     .begin = BeginEddsa},
};

// The self-test's known answer: RFC 8032 section 7.1, test 1 (empty message).
constexpr uint8_t kKatSeed[] = {
    0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
    0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
};
constexpr uint8_t kKatSignature[] = {
    0xe5, 0x56, 0x43, 0x00, 0xc3, 0x60, 0xac, 0x72, 0x90, 0x86, 0xe2, 0xcc, 0x80, 0x6e, 0x82, 0x8a,
    0x84, 0x87, 0x7f, 0x1e, 0xb8, 0xe5, 0xd9, 0x74, 0xd8, 0x73, 0xe0, 0x65, 0x22, 0x49, 0x01, 0x55,
    0x5f, 0xb8, 0x82, 0x15, 0x90, 0xa3, 0x3b, 0xac, 0xc6, 0x1e, 0x39, 0x70, 0x1c, 0xf9, 0xb4, 0x6b,
    0xd2, 0x5b, 0xf5, 0xf0, 0x59, 0x5b, 0xbe, 0x24, 0x65, 0x51, 0x41, 0x43, 0x8e, 0x7a, 0x10, 0x0b,
};

}  // namespace

Result<> EddsaSelfTest() {
  uint8_t pub[32], priv[64], sig[64];
  ED25519_keypair_from_seed(pub, priv, kKatSeed);
  const bool ok = ED25519_sign(sig, nullptr, 0, priv) &&
                  CRYPTO_memcmp(sig, kKatSignature, sizeof sig) == 0 &&
                  ED25519_verify(nullptr, 0, sig, pub);
  OPENSSL_cleanse(priv, sizeof priv);
  if (!ok) return Fail(Rv::kGeneralError);
  return {};
}

Result<ImportedKey> ImportEd25519Key(const Object& o) {
  return ImportRawCurveKey(o, CKK_EC_EDWARDS, NID_ED25519, ExpandEd25519);
}

std::span<const MechanismEntry> EddsaMechanisms() { return kEntries; }

}  // namespace cryptoki::mech
