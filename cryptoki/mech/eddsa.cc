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

// Ed25519Key is an Edwards key object parsed once: the public key, and for
// a private key the 64-byte expanded form BoringSSL signs with.
struct Ed25519Key : KeyCache {
  uint8_t public_key[32];
  SecretBytes private_key;  // 64 bytes, or empty for a public key
};

Result<std::shared_ptr<Ed25519Key>> ParseEd25519(const Object& o) {
  if (o.key_type() != CKK_EC_EDWARDS) return Fail(Rv::kKeyTypeInconsistent);
  auto nid = CurveOf(AttrValue(o, CKA_EC_PARAMS));
  if (!nid) return Fail(nid.error());
  if (*nid != NID_ED25519) return Fail(Rv::kCurveNotSupported);
  auto key = std::make_shared<Ed25519Key>();
  if (o.object_class() == CKO_PRIVATE_KEY) {
    ByteView seed = AttrValue(o, CKA_VALUE);
    if (seed.size() != 32) return Fail(Rv::kFunctionFailed);
    key->private_key.resize(64);
    ED25519_keypair_from_seed(key->public_key, key->private_key.data(), seed.data());
  } else {
    auto point = PointOctets(AttrValue(o, CKA_EC_POINT), [](ByteView b) { return b.size() == 32; });
    if (!point) return Fail(Rv::kFunctionFailed);
    memcpy(key->public_key, point->data(), 32);
  }
  return key;
}

Result<std::shared_ptr<const Ed25519Key>> GetEd25519Key(const Object& o) {
  return CachedKey<Ed25519Key>(o, [&] { return ParseEd25519(o); });
}

class EddsaOp : public SignVerifyOp {
 public:
  explicit EddsaOp(std::shared_ptr<const Ed25519Key> key)
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
  std::shared_ptr<const Ed25519Key> ed_;
};

Result<std::unique_ptr<Operation>> BeginEddsa(OpKind kind, const Mechanism& m,
                                              std::shared_ptr<const Object> key_object) {
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
  const Attribute* params = public_tmpl.Find(CKA_EC_PARAMS);
  if (params == nullptr) return Fail(Rv::kTemplateIncomplete);
  auto nid = CurveOf(params->value());
  if (!nid) return Fail(nid.error());
  if (*nid != NID_ED25519) return Fail(Rv::kCurveNotSupported);
  SecretBytes seed(32);
  uint8_t pub[32];
  SecretBytes expanded(64);
  RAND_bytes(seed.data(), seed.size());
  ED25519_keypair_from_seed(pub, expanded.data(), seed.data());
  bssl::UniquePtr<EVP_PKEY> pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, pub, 32));
  const Bytes spki = pkey ? Spki(pkey.get()) : Bytes();
  const Bytes oid = CurveOid(NID_ED25519);
  Template pub_gen{Attribute(CKA_EC_PARAMS, ByteView(oid)),
                   Attribute(CKA_EC_POINT, ByteView(DerOctetString(ByteView(pub, 32)))),
                   Attribute(CKA_PUBLIC_KEY_INFO, ByteView(spki))};
  Template priv_gen{Attribute(CKA_EC_PARAMS, ByteView(oid)), Attribute(CKA_VALUE, seed),
                    Attribute(CKA_PUBLIC_KEY_INFO, ByteView(spki))};
  return StoreKeyPair(s, m.type, WithClassAndType(public_tmpl, CKO_PUBLIC_KEY, CKK_EC_EDWARDS),
                      WithClassAndType(private_tmpl, CKO_PRIVATE_KEY, CKK_EC_EDWARDS),
                      std::move(pub_gen), std::move(priv_gen), ByteView(pub, 32));
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

std::span<const MechanismEntry> EddsaMechanisms() { return kEntries; }

}  // namespace cryptoki::mech
