// chacha20_poly1305.cc: CKM_CHACHA20_POLY1305 (RFC 8439: 32-byte CKK_CHACHA20
// key, 12-byte nonce, 16-byte tag), single and multi-part and message-based.
#include "cryptoki/mech/aead.h"
#include "cryptoki/mech/registry.h"

namespace cryptoki::mech {
namespace {

class ChaChaKeyCache : public KeyCache {
 public:
  bssl::ScopedEVP_AEAD_CTX ctx;
};

Result<std::shared_ptr<const ChaChaKeyCache>> ChaChaKeyFor(const Object& key) {
  return CachedKey<ChaChaKeyCache>(key, [&]() -> Result<std::shared_ptr<ChaChaKeyCache>> {
    ByteView v = KeyValue(key);
    auto c = std::make_shared<ChaChaKeyCache>();
    if (v.size() != 32 || !EVP_AEAD_CTX_init(c->ctx.get(), EVP_aead_chacha20_poly1305(), v.data(),
                                             v.size(), 16, nullptr)) {
      return Fail(Rv::kKeySizeRange);
    }
    return c;
  });
}

Result<std::unique_ptr<Operation>> BeginChaCha(OpKind kind, const Mechanism& m,
                                               std::shared_ptr<const Object> key) {
  auto k = ChaChaKeyFor(*key);
  if (!k) return Fail(k.error());
  AeadKey ak{*k, (*k)->ctx.get(), 16};
  if (kind == OpKind::kMessageEncrypt || kind == OpKind::kMessageDecrypt) {
    if (!std::holds_alternative<std::monostate>(m.params)) return Fail(Rv::kMechanismParamInvalid);
    return NewAeadMessageOperation(std::move(ak), kind == OpKind::kMessageEncrypt, false);
  }
  if (kind != OpKind::kEncrypt && kind != OpKind::kDecrypt) return Fail(Rv::kMechanismInvalid);
  const auto* p = std::get_if<ChaCha20Poly1305Params>(&m.params);
  if (p == nullptr || p->nonce.size() != 12) return Fail(Rv::kMechanismParamInvalid);
  return NewAeadOperation(std::move(ak), kind == OpKind::kEncrypt, p->nonce, p->aad);
}

constexpr CK_KEY_TYPE kChaChaKeys[] = {CKK_CHACHA20};
constexpr MechanismEntry kEntries[] = {
    {.type = CKM_CHACHA20_POLY1305,
     .info = {32, 32,
              CKF_ENCRYPT | CKF_DECRYPT | CKF_MESSAGE_ENCRYPT | CKF_MESSAGE_DECRYPT |
                  CKF_MULTI_MESSAGE},
     .key_types = kChaChaKeys,
     .params_ok = TakesOptional<ChaCha20Poly1305Params>,
     .begin = BeginChaCha},
};

}  // namespace

std::span<const MechanismEntry> ChaChaMechanisms() { return kEntries; }

Result<> ChaChaSelfTest() {
  // Seal and open one message; a flipped tag bit must fail.
  bssl::ScopedEVP_AEAD_CTX ctx;
  const Bytes key(32, 7), nonce(12, 1), msg(40, 3);
  if (!EVP_AEAD_CTX_init(ctx.get(), EVP_aead_chacha20_poly1305(), key.data(), 32, 16, nullptr)) {
    return Fail(Rv::kGeneralError);
  }
  AeadKey ak{nullptr, ctx.get(), 16};
  auto enc = NewAeadOperation(ak, true, nonce, {});
  uint8_t ct[56], pt[40];
  Output o = Output::Into(ct);
  CRYPTOKI_TRY(enc->OneShot(msg, o));
  auto dec = NewAeadOperation(ak, false, nonce, {});
  Output p = Output::Into(pt);
  CRYPTOKI_TRY(dec->OneShot(ct, p));
  if (!Equal(pt, msg)) return Fail(Rv::kGeneralError);
  ct[55] ^= 1;
  auto bad = NewAeadOperation(ak, false, nonce, {});
  Output p2 = Output::Into(pt);
  if (bad->OneShot(ct, p2)) return Fail(Rv::kGeneralError);
  return {};
}

}  // namespace cryptoki::mech
