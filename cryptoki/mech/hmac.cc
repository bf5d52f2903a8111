// hmac.cc: CKM_*_HMAC and CKM_*_HMAC_GENERAL for MD5, SHA-1, SHA-2.
#include "cryptoki/mech/hmac.h"

#include "cryptoki/mech/registry.h"

namespace cryptoki::mech {

std::optional<HmacState> HmacState::New(CK_MECHANISM_TYPE digest, ByteView key) {
  auto inner = Hash::New(digest);
  if (!inner) return std::nullopt;
  auto outer = *inner;
  const size_t block = inner->block_size();
  uint8_t k[128] = {0};
  if (key.size() > block) {
    auto h = *inner;
    h.Update(key);
    h.Final(k);
  } else if (!key.empty()) {
    memcpy(k, key.data(), key.size());
  }
  uint8_t pad[128];
  for (size_t i = 0; i < block; ++i) pad[i] = k[i] ^ 0x36;
  inner->Update(ByteView(pad, block));
  for (size_t i = 0; i < block; ++i) pad[i] = k[i] ^ 0x5c;
  outer.Update(ByteView(pad, block));
  OPENSSL_cleanse(k, sizeof k);
  OPENSSL_cleanse(pad, sizeof pad);
  return HmacState{*inner, outer};
}

void HmacState::Final(uint8_t* out) {
  uint8_t d[64];
  const size_t n = inner.size();
  inner.Final(d);
  outer.Update(ByteView(d, n));
  outer.Final(out);
  OPENSSL_cleanse(d, sizeof d);
}

std::optional<HmacState> HmacFor(const Object& key, CK_MECHANISM_TYPE digest) {
  if (auto c = std::dynamic_pointer_cast<const HmacKeyCache>(key.Cache())) {
    if (c->digest == digest) return c->state;
  }
  auto s = HmacState::New(digest, KeyValue(key));
  if (!s) return std::nullopt;
  if (key.Cache() == nullptr) key.SetCache(std::make_shared<HmacKeyCache>(digest, *s));
  return s;
}

bool Hmac(CK_MECHANISM_TYPE digest, ByteView key, ByteView data, SecretBytes& out) {
  auto s = HmacState::New(digest, key);
  if (!s) return false;
  out.resize(s->size());
  s->Update(data);
  s->Final(out.data());
  return true;
}

namespace {

// HmacOperation signs or verifies; |mac_len| is the output length (the
// digest size, or the *_GENERAL parameter).
class HmacOperation : public Operation {
 public:
  HmacOperation(HmacState s, size_t mac_len) : state_(std::move(s)), mac_len_(mac_len) {}

  Result<> Update(ByteView in, Output&) override {
    state_.Update(in);
    return {};
  }
  Result<> Final(Output& out) override {
    CRYPTOKI_TRY(out.Fits(mac_len_));
    if (!out.Ready()) return {};
    uint8_t mac[64];
    state_.Final(mac);
    memcpy(out.buffer.data(), mac, mac_len_);
    return {};
  }
  Result<> OneShot(ByteView in, Output& out) override {
    CRYPTOKI_TRY(out.Fits(mac_len_));
    if (!out.Ready()) return {};
    state_.Update(in);
    return Final(out);
  }
  Result<> VerifyFinal(ByteView sig) override {
    if (sig.size() != mac_len_) return Fail(Rv::kSignatureLenRange);
    uint8_t mac[64];
    state_.Final(mac);
    if (!ConstantTimeEqual(ByteView(mac, mac_len_), sig)) return Fail(Rv::kSignatureInvalid);
    return {};
  }
  Result<> VerifyOneShot(ByteView data, ByteView sig) override {
    state_.Update(data);
    return VerifyFinal(sig);
  }
  Result<> SaveState(SecretBytes& out) const override {
    out.push_back(static_cast<uint8_t>(StateTag::kHmac));
    const auto* p = reinterpret_cast<const uint8_t*>(&state_);
    out.insert(out.end(), p, p + sizeof state_);
    const uint64_t n = mac_len_;
    const auto* q = reinterpret_cast<const uint8_t*>(&n);
    out.insert(out.end(), q, q + sizeof n);
    return {};
  }

 private:
  HmacState state_;
  size_t mac_len_;
};

Result<std::unique_ptr<Operation>> BeginHmac(OpKind kind, const Mechanism& m,
                                             const std::shared_ptr<const Object>& key) {
  if (kind != OpKind::kSign && kind != OpKind::kVerify) return Fail(Rv::kMechanismInvalid);
  const CK_MECHANISM_TYPE digest = DigestOfHmac(m.type);
  auto s = HmacFor(*key, digest);
  if (!s) return Fail(Rv::kMechanismInvalid);
  size_t mac_len = s->size();
  if (const auto* p = std::get_if<UlongParams>(&m.params)) {
    // *_HMAC_GENERAL: 1 to the digest size.
    if (p->value == 0 || p->value > s->size()) return Fail(Rv::kMechanismParamInvalid);
    mac_len = p->value;
  }
  return std::unique_ptr<Operation>(new HmacOperation(std::move(*s), mac_len));
}

#define KT(name, ...) constexpr CK_KEY_TYPE name[] = {CKK_GENERIC_SECRET, __VA_ARGS__};
constexpr CK_KEY_TYPE kMd5Keys[] = {CKK_GENERIC_SECRET, CKK_MD5_HMAC};
KT(kSha1Keys, CKK_SHA_1_HMAC)
KT(kSha224Keys, CKK_SHA224_HMAC)
KT(kSha256Keys, CKK_SHA256_HMAC)
KT(kSha384Keys, CKK_SHA384_HMAC)
KT(kSha512Keys, CKK_SHA512_HMAC)
KT(kSha512_224Keys, CKK_SHA512_224_HMAC)
KT(kSha512_256Keys, CKK_SHA512_256_HMAC)
#undef KT

// Key sizes in bytes, as SoftHSM reports them: 1 to 512.
constexpr MechanismInfo kInfo = {1, 512, CKF_SIGN | CKF_VERIFY};
#define HMAC_ENTRIES(mech, general, keys)                                               \
  {.type = mech, .info = kInfo, .key_types = keys, .begin = BeginHmac}, {               \
    .type = general, .info = kInfo, .key_types = keys, .params_ok = Takes<UlongParams>, \
    .begin = BeginHmac                                                                  \
  }

constexpr MechanismEntry kEntries[] = {
    HMAC_ENTRIES(CKM_MD5_HMAC, CKM_MD5_HMAC_GENERAL, kMd5Keys),
    HMAC_ENTRIES(CKM_SHA_1_HMAC, CKM_SHA_1_HMAC_GENERAL, kSha1Keys),
    HMAC_ENTRIES(CKM_SHA224_HMAC, CKM_SHA224_HMAC_GENERAL, kSha224Keys),
    HMAC_ENTRIES(CKM_SHA256_HMAC, CKM_SHA256_HMAC_GENERAL, kSha256Keys),
    HMAC_ENTRIES(CKM_SHA384_HMAC, CKM_SHA384_HMAC_GENERAL, kSha384Keys),
    HMAC_ENTRIES(CKM_SHA512_HMAC, CKM_SHA512_HMAC_GENERAL, kSha512Keys),
    HMAC_ENTRIES(CKM_SHA512_224_HMAC, CKM_SHA512_224_HMAC_GENERAL, kSha512_224Keys),
    HMAC_ENTRIES(CKM_SHA512_256_HMAC, CKM_SHA512_256_HMAC_GENERAL, kSha512_256Keys),
};
#undef HMAC_ENTRIES

}  // namespace

Result<std::unique_ptr<Operation>> RestoreHmac(ByteView state, std::shared_ptr<const Object> key) {
  if (state.size() != sizeof(HmacState) + sizeof(uint64_t)) return Fail(Rv::kSavedStateInvalid);
  auto s = HmacState::New(CKM_SHA256, {});
  memcpy(static_cast<void*>(&*s), state.data(), sizeof(HmacState));
  uint64_t mac_len;
  memcpy(&mac_len, state.data() + sizeof(HmacState), sizeof mac_len);
  if (!Hash::New(s->inner.mechanism()) || mac_len == 0 || mac_len > s->size()) {
    return Fail(Rv::kSavedStateInvalid);
  }
  (void)key;
  return std::unique_ptr<Operation>(new HmacOperation(*s, mac_len));
}

std::span<const MechanismEntry> HmacMechanisms() { return kEntries; }

Result<> HmacSelfTest() {
  // RFC 4231 test case 2.
  SecretBytes mac;
  if (!Hmac(CKM_SHA256, AsBytes("Jefe"), AsBytes("what do ya want for nothing?"), mac)) {
    return Fail(Rv::kGeneralError);
  }
  static constexpr uint8_t kRfc[32] = {0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e,
                                       0x6a, 0x04, 0x24, 0x26, 0x08, 0x95, 0x75, 0xc7,
                                       0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83,
                                       0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43};
  if (!Equal(mac, kRfc)) return Fail(Rv::kGeneralError);
  return {};
}

}  // namespace cryptoki::mech
