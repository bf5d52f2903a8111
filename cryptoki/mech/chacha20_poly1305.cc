// chacha20_poly1305.cc: CKM_CHACHA20_POLY1305 (RFC 8439: 32-byte CKK_CHACHA20
// key, 12-byte nonce, 16-byte tag), single and multi-part and message-based.
#include "cryptoki/mech/aead.h"
#include "cryptoki/mech/registry.h"

namespace cryptoki::mech {
namespace {

class ChaChaKeyCache : public KeyCache {
 public:
  bssl::ScopedEVP_AEAD_CTX ctx;
  SecretBytes raw;
};

Result<std::shared_ptr<const ChaChaKeyCache>> ChaChaKeyFor(const Object& key) {
  return CachedKey<ChaChaKeyCache>(key, [&]() -> Result<std::shared_ptr<ChaChaKeyCache>> {
    ByteView v = KeyValue(key);
    auto c = std::make_shared<ChaChaKeyCache>();
    c->raw.assign(v.begin(), v.end());
    if (v.size() != 32 || !EVP_AEAD_CTX_init(c->ctx.get(), EVP_aead_chacha20_poly1305(), v.data(),
                                             v.size(), 16, nullptr)) {
      return Fail(Rv::kKeySizeRange);
    }
    return c;
  });
}

Result<std::unique_ptr<Operation>> BeginChaCha(OpKind kind, const Mechanism& m,
                                               const std::shared_ptr<const Object>& key) {
  auto k = ChaChaKeyFor(*key);
  if (!k) return Fail(k.error());
  AeadKey ak{*k, (*k)->ctx.get(), 16, (*k)->raw};
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
  // RFC 8439 section 2.8.2: the first block of ciphertext and the tag.
  static constexpr char kText[] =
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the "
      "future, sunscreen would be it.";
  static constexpr uint8_t kNonce[12] = {7,    0,    0,    0,    0x40, 0x41,
                                         0x42, 0x43, 0x44, 0x45, 0x46, 0x47};
  static constexpr uint8_t kAad[12] = {0x50, 0x51, 0x52, 0x53, 0xc0, 0xc1,
                                       0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7};
  static constexpr uint8_t kFirst[16] = {0xd3, 0x1a, 0x8d, 0x34, 0x64, 0x8e, 0x60, 0xdb,
                                         0x7b, 0x86, 0xaf, 0xbc, 0x53, 0xef, 0x7e, 0xc2};
  static constexpr uint8_t kTag[16] = {0x1a, 0xe1, 0x0b, 0x59, 0x4f, 0x09, 0xe2, 0x6a,
                                       0x7e, 0x90, 0x2e, 0xcb, 0xd0, 0x60, 0x06, 0x91};
  uint8_t key[32];
  for (int i = 0; i < 32; ++i) key[i] = static_cast<uint8_t>(0x80 + i);
  bssl::ScopedEVP_AEAD_CTX ctx;
  if (!EVP_AEAD_CTX_init(ctx.get(), EVP_aead_chacha20_poly1305(), key, 32, 16, nullptr)) {
    return Fail(Rv::kGeneralError);
  }
  const ByteView text(reinterpret_cast<const uint8_t*>(kText), sizeof kText - 1);
  AeadKey ak{nullptr, ctx.get(), 16, ByteView(key)};
  auto enc = NewAeadOperation(ak, true, kNonce, kAad);
  Bytes ct(text.size() + 16);
  Output o = Output::Into(ct);
  CRYPTOKI_TRY(enc->OneShot(text, o));
  if (!Equal(ByteView(ct).first(16), kFirst) || !Equal(ByteView(ct).last(16), kTag)) {
    return Fail(Rv::kGeneralError);
  }
  return {};
}

}  // namespace cryptoki::mech
