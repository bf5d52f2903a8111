// cmac.cc: CKM_AES_CMAC and CKM_AES_CMAC_GENERAL (SP 800-38B), sign and
// verify, single and multi-part, on the key's cached schedule and subkeys.
#include <algorithm>

#include "cryptoki/mech/aes.h"
#include "cryptoki/mech/registry.h"

namespace cryptoki::mech {
namespace {

class CmacOperation : public Operation {
 public:
  CmacOperation(std::shared_ptr<const AesKeyCache> k, size_t mac_len)
      : k_(std::move(k)), mac_len_(mac_len) {}
  ~CmacOperation() override {
    OPENSSL_cleanse(x_, sizeof x_);
    OPENSSL_cleanse(buf_, sizeof buf_);
  }

  Result<> Update(ByteView in, Output&) override {
    Absorb(in);
    return {};
  }
  Result<> Final(Output& out) override {
    CRYPTOKI_TRY(out.Fits(mac_len_));
    if (!out.Ready()) return {};
    uint8_t mac[16];
    Finish(mac);
    memcpy(out.buffer.data(), mac, mac_len_);
    return {};
  }
  Result<> OneShot(ByteView in, Output& out) override {
    CRYPTOKI_TRY(out.Fits(mac_len_));
    if (!out.Ready()) return {};
    Absorb(in);
    return Final(out);
  }
  Result<> VerifyFinal(ByteView sig) override {
    if (sig.size() != mac_len_) return Fail(Rv::kSignatureLenRange);
    uint8_t mac[16];
    Finish(mac);
    if (!ConstantTimeEqual(ByteView(mac, mac_len_), sig)) return Fail(Rv::kSignatureInvalid);
    return {};
  }
  Result<> VerifyOneShot(ByteView data, ByteView sig) override {
    Absorb(data);
    return VerifyFinal(sig);
  }
  // Restore: the inverse of SaveState's body.
  bool Load(ByteView b) {
    uint64_t n[2];
    if (b.size() != 32 + sizeof n) return false;
    memcpy(x_, b.data(), 16);
    memcpy(buf_, b.data() + 16, 16);
    memcpy(n, b.data() + 32, sizeof n);
    if (n[0] > 16 || n[1] != mac_len_) return false;
    n_ = n[0];
    return true;
  }
  Result<> SaveState(SecretBytes& out) const override {
    out.push_back(static_cast<uint8_t>(StateTag::kCmac));
    out.insert(out.end(), x_, x_ + 16);
    out.insert(out.end(), buf_, buf_ + 16);
    const uint64_t n[2] = {n_, mac_len_};
    const auto* p = reinterpret_cast<const uint8_t*>(n);
    out.insert(out.end(), p, p + sizeof n);
    return {};
  }

 private:
  // Absorb keeps the last (possibly full) block back for Finish.
  void Absorb(ByteView in) {
    size_t i = 0;
    while (i < in.size()) {
      if (n_ == 16) {
        for (int j = 0; j < 16; ++j) x_[j] ^= buf_[j];
        AES_encrypt(x_, x_, &k_->enc);
        n_ = 0;
      }
      const size_t take = std::min<size_t>(16 - n_, in.size() - i);
      memcpy(buf_ + n_, in.data() + i, take);
      n_ += take, i += take;
    }
  }
  void Finish(uint8_t mac[16]) {
    uint8_t last[16] = {0};
    if (n_ == 16) {
      for (int j = 0; j < 16; ++j) last[j] = buf_[j] ^ k_->k1[j];
    } else {
      memcpy(last, buf_, n_);
      last[n_] = 0x80;
      for (int j = 0; j < 16; ++j) last[j] ^= k_->k2[j];
    }
    for (int j = 0; j < 16; ++j) x_[j] ^= last[j];
    AES_encrypt(x_, mac, &k_->enc);
  }

  std::shared_ptr<const AesKeyCache> k_;
  size_t mac_len_;
  uint8_t x_[16] = {0};
  uint8_t buf_[16] = {0};
  size_t n_ = 0;
};

Result<std::unique_ptr<Operation>> BeginCmac(OpKind kind, const Mechanism& m,
                                             const std::shared_ptr<const Object>& key) {
  if (kind != OpKind::kSign && kind != OpKind::kVerify) return Fail(Rv::kMechanismInvalid);
  auto k = AesKeyFor(*key);
  if (!k) return Fail(k.error());
  size_t mac_len = 16;
  if (const auto* p = std::get_if<UlongParams>(&m.params)) {
    if (p->value == 0 || p->value > 16) return Fail(Rv::kMechanismParamInvalid);
    mac_len = p->value;
  }
  return std::unique_ptr<Operation>(new CmacOperation(std::move(*k), mac_len));
}

constexpr CK_KEY_TYPE kAesKeys[] = {CKK_AES};
constexpr MechanismEntry kEntries[] = {
    {.type = CKM_AES_CMAC_GENERAL,
     .info = {16, 32, CKF_SIGN | CKF_VERIFY},
     .key_types = kAesKeys,
     .params_ok = Takes<UlongParams>,
     .begin = BeginCmac},
    {.type = CKM_AES_CMAC,
     .info = {16, 32, CKF_SIGN | CKF_VERIFY},
     .key_types = kAesKeys,
     .begin = BeginCmac},
};

}  // namespace

Result<std::unique_ptr<Operation>> RestoreCmac(ByteView state, std::shared_ptr<const Object> key) {
  auto k = AesKeyFor(*key);
  if (!k || state.size() != 48) return Fail(Rv::kSavedStateInvalid);
  uint64_t mac_len;
  memcpy(&mac_len, state.data() + 40, sizeof mac_len);
  if (mac_len == 0 || mac_len > 16) return Fail(Rv::kSavedStateInvalid);
  auto op = std::make_unique<CmacOperation>(std::move(*k), mac_len);
  if (!op->Load(state)) return Fail(Rv::kSavedStateInvalid);
  return std::unique_ptr<Operation>(std::move(op));
}

std::span<const MechanismEntry> CmacMechanisms() { return kEntries; }

Result<> CmacSelfTest() {
  // SP 800-38B D.1 example 2 (AES-128, 16-byte message).
  static constexpr uint8_t kKey[16] = {0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
                                       0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c};
  static constexpr uint8_t kMsg[16] = {0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96,
                                       0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17, 0x2a};
  static constexpr uint8_t kMac[16] = {0x07, 0x0a, 0x16, 0xb4, 0x6b, 0x4d, 0x41, 0x44,
                                       0xf7, 0x9b, 0xdd, 0x9d, 0xd0, 0x4a, 0x28, 0x7c};
  auto k = AesKeyCache::New(kKey);
  if (!k) return Fail(Rv::kGeneralError);
  uint8_t mac[16];
  AesCmac(**k, kMsg, mac);
  if (!Equal(mac, kMac)) return Fail(Rv::kGeneralError);
  return {};
}

}  // namespace cryptoki::mech
