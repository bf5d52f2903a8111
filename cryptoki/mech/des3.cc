// des3.cc: CKM_DES3_ECB, CKM_DES3_CBC, CKM_DES3_CBC_PAD (legacy, for old
// clients), with 24-byte CKK_DES3 keys.
#include <openssl/des.h>

#include "cryptoki/mech/registry.h"

namespace cryptoki::mech {
namespace {

class Des3KeyCache : public KeyCache {
 public:
  ~Des3KeyCache() override { OPENSSL_cleanse(ks, sizeof ks); }
  DES_key_schedule ks[3];
};

Result<std::shared_ptr<const Des3KeyCache>> Des3KeyFor(const Object& key) {
  return CachedKey<Des3KeyCache>(key, [&]() -> Result<std::shared_ptr<Des3KeyCache>> {
    ByteView v = KeyValue(key);
    if (v.size() != 24) return Fail(Rv::kKeySizeRange);
    auto c = std::make_shared<Des3KeyCache>();
    for (int i = 0; i < 3; ++i) {
      DES_cblock b;
      memcpy(b.bytes, v.data() + 8 * i, 8);
      DES_set_key_unchecked(&b, &c->ks[i]);
      OPENSSL_cleanse(&b, sizeof b);
    }
    return c;
  });
}

enum class Mode { kEcb, kCbc, kCbcPad };

class Des3Operation : public Operation {
 public:
  Des3Operation(Mode mode, bool enc, std::shared_ptr<const Des3KeyCache> k)
      : mode_(mode), enc_(enc), k_(std::move(k)) {}
  void SetIv(ByteView iv) { memcpy(iv_.bytes, iv.data(), 8); }

  Result<> Update(ByteView in, Output& out) override {
    const size_t n = UpdateLength(pending_.size() + in.size());
    CRYPTOKI_TRY(out.Fits(n));
    if (!out.Ready()) return {};
    SecretBytes all = std::move(pending_);
    all.insert(all.end(), in.begin(), in.end());
    Transform(all.data(), out.buffer.data(), n, iv_);
    pending_.assign(all.begin() + n, all.end());
    return {};
  }
  Result<> Final(Output& out) override {
    auto last = DoFinal();
    if (!last) return Fail(last.error());
    return WriteOut(*last, out);
  }
  Result<> OneShot(ByteView in, Output& out) override {
    const size_t n = in.size();
    if (mode_ != Mode::kCbcPad || !enc_) {
      if (n % 8 || (mode_ == Mode::kCbcPad && n == 0)) return Fail(LenError());
    }
    // Small legacy data: run on a copy, then size the output exactly.
    Des3Operation copy = *this;
    SecretBytes body(copy.UpdateLength(n));
    SecretBytes all(in.begin(), in.end());
    copy.Transform(all.data(), body.data(), body.size(), copy.iv_);
    copy.pending_.assign(all.begin() + body.size(), all.end());
    auto last = copy.DoFinal();
    if (!last) return Fail(last.error());
    body.insert(body.end(), last->begin(), last->end());
    return WriteOut(body, out);
  }
  bool Load(ByteView b) {
    if (b.size() < 10 || b[0] != static_cast<uint8_t>(mode_) || b[1] != enc_) return false;
    memcpy(iv_.bytes, b.data() + 2, 8);
    pending_.assign(b.begin() + 10, b.end());
    return pending_.size() <= 8;
  }
  Result<> SaveState(SecretBytes& out) const override {
    out.push_back(static_cast<uint8_t>(StateTag::kDes3));
    out.push_back(static_cast<uint8_t>(mode_));
    out.push_back(enc_);
    out.insert(out.end(), iv_.bytes, iv_.bytes + 8);
    out.insert(out.end(), pending_.begin(), pending_.end());
    return {};
  }

 private:
  Rv LenError() const { return enc_ ? Rv::kDataLenRange : Rv::kEncryptedDataLenRange; }
  size_t UpdateLength(size_t total) const {
    if (mode_ == Mode::kCbcPad && !enc_) return total > 8 ? ((total - 1) / 8) * 8 : 0;
    return total / 8 * 8;
  }
  void Transform(const uint8_t* in, uint8_t* out, size_t n, DES_cblock& iv) const {
    if (n == 0) return;
    const int dir = enc_ ? DES_ENCRYPT : DES_DECRYPT;
    if (mode_ == Mode::kEcb) {
      for (size_t i = 0; i < n; i += 8) {
        DES_ecb3_encrypt(reinterpret_cast<const DES_cblock*>(in + i),
                         reinterpret_cast<DES_cblock*>(out + i), &k_->ks[0], &k_->ks[1], &k_->ks[2],
                         dir);
      }
    } else {
      DES_ede3_cbc_encrypt(in, out, n, &k_->ks[0], &k_->ks[1], &k_->ks[2], &iv, dir);
    }
  }
  Result<SecretBytes> DoFinal() const {
    SecretBytes out;
    DES_cblock iv = iv_;
    if (mode_ != Mode::kCbcPad) {
      if (!pending_.empty()) return Fail(LenError());
      return out;
    }
    if (enc_) {
      uint8_t block[8];
      const size_t p = pending_.size();
      if (p) memcpy(block, pending_.data(), p);
      memset(block + p, static_cast<int>(8 - p), 8 - p);
      out.resize(8);
      Transform(block, out.data(), 8, iv);
      return out;
    }
    if (pending_.size() != 8) return Fail(LenError());
    out.resize(8);
    Transform(pending_.data(), out.data(), 8, iv);
    const uint8_t pad = out[7];
    uint8_t bad = (pad == 0) | (pad > 8);
    for (int i = 0; i < 8; ++i) bad |= static_cast<uint8_t>(i >= 8 - pad) & (out[i] != pad);
    if (bad) return Fail(Rv::kEncryptedDataInvalid);
    out.resize(8 - pad);
    return out;
  }

  Mode mode_;
  bool enc_;
  std::shared_ptr<const Des3KeyCache> k_;
  DES_cblock iv_ = {};
  SecretBytes pending_;
};

Result<std::unique_ptr<Operation>> BeginDes3(OpKind kind, const Mechanism& m,
                                             std::shared_ptr<const Object> key) {
  if (kind != OpKind::kEncrypt && kind != OpKind::kDecrypt) return Fail(Rv::kMechanismInvalid);
  auto k = Des3KeyFor(*key);
  if (!k) return Fail(k.error());
  const Mode mode = m.type == CKM_DES3_ECB   ? Mode::kEcb
                    : m.type == CKM_DES3_CBC ? Mode::kCbc
                                             : Mode::kCbcPad;
  auto op = std::make_unique<Des3Operation>(mode, kind == OpKind::kEncrypt, std::move(*k));
  if (const auto* iv = std::get_if<RawParams>(&m.params)) {
    if (iv->bytes.size() != 8) return Fail(Rv::kMechanismParamInvalid);
    op->SetIv(iv->bytes);
  }
  return std::unique_ptr<Operation>(std::move(op));
}

constexpr CK_KEY_TYPE kDes3Keys[] = {CKK_DES3};
constexpr CK_FLAGS kCipher = CKF_ENCRYPT | CKF_DECRYPT;
// Key sizes in bits (PKCS#11 DES3 convention, as SoftHSM reports).
constexpr MechanismEntry kEntries[] = {
    {.type = CKM_DES3_ECB,
     .info = {192, 192, kCipher},
     .key_types = kDes3Keys,
     .size_unit = SizeUnit::kBits,
     .begin = BeginDes3},
    {.type = CKM_DES3_CBC,
     .info = {192, 192, kCipher},
     .key_types = kDes3Keys,
     .params_ok = Takes<RawParams>,
     .size_unit = SizeUnit::kBits,
     .begin = BeginDes3},
    {.type = CKM_DES3_CBC_PAD,
     .info = {192, 192, kCipher},
     .key_types = kDes3Keys,
     .params_ok = Takes<RawParams>,
     .size_unit = SizeUnit::kBits,
     .begin = BeginDes3},
};

}  // namespace

Result<std::unique_ptr<Operation>> RestoreDes3(OpKind kind, ByteView state,
                                               std::shared_ptr<const Object> key) {
  auto k = Des3KeyFor(*key);
  if (!k || state.size() < 2 || state[0] > static_cast<uint8_t>(Mode::kCbcPad)) {
    return Fail(Rv::kSavedStateInvalid);
  }
  auto op = std::make_unique<Des3Operation>(static_cast<Mode>(state[0]), kind == OpKind::kEncrypt,
                                            std::move(*k));
  if (!op->Load(state)) return Fail(Rv::kSavedStateInvalid);
  return std::unique_ptr<Operation>(std::move(op));
}

std::span<const MechanismEntry> Des3Mechanisms() { return kEntries; }

Result<> Des3SelfTest() {
  // Round trip and a fixed answer: 3DES with K1=K2=K3 is single DES; NIST SP
  // 800-67 / FIPS 81 example: key 0123456789abcdef, "Now is t" →
  // 3fa40e8a984d4815.
  static constexpr uint8_t kKey[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
  static constexpr uint8_t kWant[8] = {0x3f, 0xa4, 0x0e, 0x8a, 0x98, 0x4d, 0x48, 0x15};
  auto c = std::make_shared<Des3KeyCache>();
  DES_cblock b;
  memcpy(b.bytes, kKey, 8);
  for (auto& ks : c->ks) DES_set_key_unchecked(&b, &ks);
  Des3Operation op(Mode::kEcb, true, c);
  uint8_t out[8];
  Output o = Output::Into(out);
  CRYPTOKI_TRY(op.OneShot(AsBytes("Now is t"), o));
  if (!Equal(out, kWant)) return Fail(Rv::kGeneralError);
  return {};
}

}  // namespace cryptoki::mech
