// x25519.cc: the Montgomery family: X25519 key pairs
// (CKM_EC_MONTGOMERY_KEY_PAIR_GEN) and their ECDH1 derivation (the
// CKM_ECDH1_DERIVE entry lives in ec.cc and calls X25519Derive).
#include <openssl/curve25519.h>
#include <openssl/evp.h>
#include <openssl/mem.h>
#include <openssl/nid.h>

#include "cryptoki/mech/asym.h"
#include "cryptoki/mech/ec.h"
#include "cryptoki/mech/registry.h"
#include "cryptoki/session.h"

namespace cryptoki::mech {
namespace {

// ExpandX25519 keeps the scalar and makes the public value.
void ExpandX25519(const uint8_t value[32], RawCurveKey& key) {
  key.private_key.assign(value, value + 32);
  X25519_public_from_private(key.public_key, value);
}

Result<std::shared_ptr<const RawCurveKey>> GetX25519Key(const Object& o) {
  auto k = CachedKey<RawCurveKey>(
      o, [&] { return ParseRawCurveKey(o, CKK_EC_MONTGOMERY, NID_X25519, ExpandX25519); });
  if (!k) return Fail(KeyErrorAtUse(k.error()));
  return k;
}

Result<std::pair<ObjectHandle, ObjectHandle>> GenerateX25519KeyPair(Session& s, const Mechanism& m,
                                                                    const Template& public_tmpl,
                                                                    const Template& private_tmpl) {
  CRYPTOKI_TRY(CurveParam(public_tmpl.Find(CKA_EC_PARAMS), {NID_X25519}));
  uint8_t pub[32];
  SecretBytes priv(32);
  X25519_keypair(pub, priv.data());
  return StoreRawCurveKeyPair(s, m.type, public_tmpl, private_tmpl, CKK_EC_MONTGOMERY, NID_X25519,
                              pub, std::move(priv));
}

const MechanismEntry kEntries[] = {
    {.type = CKM_EC_MONTGOMERY_KEY_PAIR_GEN,
     .info = {255, 255, CKF_GENERATE_KEY_PAIR},
     .size_unit = SizeUnit::kFamily,
     .generate_pair = GenerateX25519KeyPair},
};

// The self-test's known answer: RFC 7748 section 6.1.
constexpr uint8_t kKatPrivate[] = {
    0x77, 0x07, 0x6d, 0x0a, 0x73, 0x18, 0xa5, 0x7d, 0x3c, 0x16, 0xc1, 0x72, 0x51, 0xb2, 0x66, 0x45,
    0xdf, 0x4c, 0x2f, 0x87, 0xeb, 0xc0, 0x99, 0x2a, 0xb1, 0x77, 0xfb, 0xa5, 0x1d, 0xb9, 0x2c, 0x2a,
};
constexpr uint8_t kKatPeer[] = {
    0xde, 0x9e, 0xdb, 0x7d, 0x7b, 0x7d, 0xc1, 0xb4, 0xd3, 0x5b, 0x61, 0xc2, 0xec, 0xe4, 0x35, 0x37,
    0x3f, 0x83, 0x43, 0xc8, 0x5b, 0x78, 0x67, 0x4d, 0xad, 0xfc, 0x7e, 0x14, 0x6f, 0x88, 0x2b, 0x4f,
};
constexpr uint8_t kKatShared[] = {
    0x4a, 0x5d, 0x9d, 0x5b, 0xa4, 0xce, 0x2d, 0xe1, 0x72, 0x8e, 0x3b, 0xf4, 0x80, 0x35, 0x0f, 0x25,
    0xe0, 0x7e, 0x21, 0xc9, 0x47, 0xd1, 0x9e, 0x33, 0x76, 0xf0, 0x9b, 0x3c, 0x1e, 0x16, 0x17, 0x42,
};

}  // namespace

Result<> X25519SelfTest() {
  uint8_t z[32];
  if (!X25519(z, kKatPrivate, kKatPeer) || CRYPTO_memcmp(z, kKatShared, sizeof z) != 0) {
    return Fail(Rv::kGeneralError);
  }
  return {};
}

Result<ObjectHandle> X25519Derive(Session& s, const Mechanism& m,
                                  std::shared_ptr<const Object> base, const Template& tmpl) {
  const auto* p = std::get_if<Ecdh1DeriveParams>(&m.params);
  if (p == nullptr) return Fail(Rv::kMechanismParamInvalid);
  auto key = GetX25519Key(*base);
  if (!key) return Fail(key.error());
  if ((*key)->private_key.size() != 32) return Fail(Rv::kKeyTypeInconsistent);
  auto peer = PointOctets(p->public_data, [](ByteView b) { return b.size() == 32; });
  if (!peer) return Fail(Rv::kMechanismParamInvalid);
  SecretBytes z(32);
  // X25519 refuses peers of small order (an all-zero shared secret).
  if (!X25519(z.data(), (*key)->private_key.data(), peer->data())) {
    return Fail(Rv::kMechanismParamInvalid);
  }
  auto want = DerivedKeyLength(tmpl);
  if (!want) return Fail(want.error());
  size_t len = *want;
  if (len == 0) len = z.size();  // no length asked: as long as the secret
  auto material = EcdhKdf(p->kdf, z, p->shared_data, len);
  if (!material) return Fail(material.error());
  return MakeDerivedSecret(s, m.type, *base, tmpl, *material, len);
}

Result<ImportedKey> ImportX25519Key(const Object& o) {
  return ImportRawCurveKey(o, CKK_EC_MONTGOMERY, NID_X25519, ExpandX25519);
}

std::span<const MechanismEntry> X25519Mechanisms() { return kEntries; }

}  // namespace cryptoki::mech
