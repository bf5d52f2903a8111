// aes.cc: CKM_AES_ECB, CKM_AES_CBC, CKM_AES_CBC_PAD, CKM_AES_CTR, CKM_AES_CTS
// (CBC-CS3, as Kerberos and PKCS#11 use it), and the derivations
// CKM_AES_ECB_ENCRYPT_DATA / CKM_AES_CBC_ENCRYPT_DATA.
#include "cryptoki/mech/aes.h"

#include <algorithm>

#include "cryptoki/mech/registry.h"

namespace cryptoki::mech {

Result<std::shared_ptr<AesKeyCache>> AesKeyCache::New(ByteView key) {
  if (key.size() != 16 && key.size() != 24 && key.size() != 32) return Fail(Rv::kKeySizeRange);
  auto c = std::make_shared<AesKeyCache>();
  c->raw_.assign(key.begin(), key.end());
  AES_set_encrypt_key(key.data(), key.size() * 8, &c->enc);
  AES_set_decrypt_key(key.data(), key.size() * 8, &c->dec);
  // CMAC subkeys: L = E(0); K1 = L << 1 (xor 0x87), K2 = K1 << 1 (xor 0x87).
  uint8_t l[16] = {0};
  AES_encrypt(l, l, &c->enc);
  auto dbl = [](const uint8_t in[16], uint8_t out[16]) {
    const uint8_t carry = in[0] >> 7;
    for (int i = 0; i < 15; ++i) out[i] = static_cast<uint8_t>(in[i] << 1 | in[i + 1] >> 7);
    out[15] = static_cast<uint8_t>(in[15] << 1) ^ static_cast<uint8_t>(0x87 & -carry);
  };
  dbl(l, c->k1);
  dbl(c->k1, c->k2);
  OPENSSL_cleanse(l, sizeof l);
  return c;
}

const EVP_AEAD* GcmAead(size_t key_len) {
  switch (key_len) {
    case 16:
      return EVP_aead_aes_128_gcm();
    case 24:
      return EVP_aead_aes_192_gcm();
    case 32:
      return EVP_aead_aes_256_gcm();
    default:
      return nullptr;
  }
}

const EVP_AEAD_CTX* AesKeyCache::Gcm() const {
  std::call_once(gcm_once_, [this] {
    gcm_ok_ = EVP_AEAD_CTX_init(gcm_.get(), GcmAead(raw_.size()), raw_.data(), raw_.size(), 16,
                                nullptr) == 1;
  });
  return gcm_ok_ ? gcm_.get() : nullptr;
}

Result<std::shared_ptr<const AesKeyCache>> AesKeyFor(const Object& key) {
  return CachedKey<AesKeyCache>(key, [&] { return AesKeyCache::New(KeyValue(key)); });
}

void AesCmac(const AesKeyCache& k, ByteView data, uint8_t out[16]) {
  uint8_t x[16] = {0};
  size_t n = data.size();
  const uint8_t* p = data.data();
  while (n > 16) {
    for (int i = 0; i < 16; ++i) x[i] ^= p[i];
    AES_encrypt(x, x, &k.enc);
    p += 16, n -= 16;
  }
  uint8_t last[16] = {0};
  if (n == 16) {
    for (int i = 0; i < 16; ++i) last[i] = p[i] ^ k.k1[i];
  } else {
    if (n) memcpy(last, p, n);
    last[n] = 0x80;
    for (int i = 0; i < 16; ++i) last[i] ^= k.k2[i];
  }
  for (int i = 0; i < 16; ++i) x[i] ^= last[i];
  AES_encrypt(x, out, &k.enc);
}

namespace {

enum class Mode { kEcb, kCbc, kCbcPad, kCtr, kCts };

class AesOperation : public Operation {
 public:
  AesOperation(Mode mode, bool encrypt, std::shared_ptr<const AesKeyCache> k)
      : mode_(mode), enc_(encrypt), k_(std::move(k)) {}
  ~AesOperation() override { OPENSSL_cleanse(ecount_, sizeof ecount_); }

  void SetIv(const uint8_t iv[16]) { memcpy(iv_, iv, 16); }
  // SetCounter: CTR with |bits| counter bits: the data may use at most the
  // blocks left before the counter wraps.
  void SetCounterLimit(CK_ULONG bits) {
    if (bits >= 64) return;  // more blocks than anyone can feed
    uint64_t ctr = 0;
    for (int i = 8; i < 16; ++i) ctr = ctr << 8 | iv_[i];
    const uint64_t mask = (uint64_t{1} << bits) - 1;
    blocks_left_ = mask - (ctr & mask) + 1;
  }

  Result<> Update(ByteView in, Output& out) override {
    CRYPTOKI_TRY(CheckCounter(in.size()));
    const size_t n = UpdateLength(pending_.size() + in.size());
    CRYPTOKI_TRY(out.Fits(n));
    if (!out.Ready()) return {};
    DoUpdate(in, out.buffer.data());
    return {};
  }

  Result<> Final(Output& out) override {
    auto last = DoFinal();
    if (!last) return Fail(last.error());
    return WriteOut(*last, out);
  }

  Result<> OneShot(ByteView in, Output& out) override {
    CRYPTOKI_TRY(CheckWhole(in.size()));
    CRYPTOKI_TRY(CheckCounter(in.size()));
    auto n = ExactLength(in);
    if (!n) return Fail(n.error());
    CRYPTOKI_TRY(out.Fits(*n));
    if (!out.Ready()) return {};
    const size_t head = UpdateLength(in.size());
    DoUpdate(in, out.buffer.data());
    auto last = DoFinal();
    if (!last) return Fail(last.error());
    if (!last->empty()) memcpy(out.buffer.data() + head, last->data(), last->size());
    out.length = head + last->size();
    return {};
  }

  // Load restores SaveState's body (after the tag).
  bool Load(ByteView b) {
    const size_t fixed = 2 + 16 + 16 + 16;
    if (b.size() < fixed || b[0] != static_cast<uint8_t>(mode_) || b[1] != enc_) return false;
    memcpy(iv_, b.data() + 2, 16);
    memcpy(ecount_, b.data() + 18, 16);
    uint64_t nums[2];
    memcpy(nums, b.data() + 34, sizeof nums);
    if (nums[0] > 15) return false;
    num_ = nums[0], blocks_left_ = nums[1];
    pending_.assign(b.begin() + fixed, b.end());
    return pending_.size() <= 32;
  }
  static Mode ModeOf(uint8_t m) { return static_cast<Mode>(m); }

  Result<> SaveState(SecretBytes& out) const override {
    out.push_back(static_cast<uint8_t>(StateTag::kAes));
    const uint8_t head[2] = {static_cast<uint8_t>(mode_), enc_};
    out.insert(out.end(), head, head + 2);
    out.insert(out.end(), iv_, iv_ + 16);
    out.insert(out.end(), ecount_, ecount_ + 16);
    const uint64_t nums[2] = {num_, blocks_left_};
    const auto* p = reinterpret_cast<const uint8_t*>(nums);
    out.insert(out.end(), p, p + sizeof nums);
    out.insert(out.end(), pending_.begin(), pending_.end());
    return {};
  }

 private:
  Rv LenError() const { return enc_ ? Rv::kDataLenRange : Rv::kEncryptedDataLenRange; }

  Result<> CheckCounter(size_t n) {
    if (mode_ != Mode::kCtr) return {};
    // Bytes still covered by the keystream block in hand, then whole blocks.
    const size_t avail_in_block = num_ == 0 ? 0 : 16 - num_;
    const uint64_t need = n > avail_in_block ? (n - avail_in_block + 15) / 16 : 0;
    if (need > blocks_left_) return Fail(LenError());
    return {};
  }

  // CheckWhole checks a single-part input length.
  Result<> CheckWhole(size_t n) const {
    switch (mode_) {
      case Mode::kEcb:
      case Mode::kCbc:
        if (n % 16) return Fail(LenError());
        break;
      case Mode::kCbcPad:
        if (!enc_ && (n == 0 || n % 16)) return Fail(LenError());
        break;
      case Mode::kCts:
        if (n < 16) return Fail(LenError());
        break;
      case Mode::kCtr:
        break;
    }
    return {};
  }

  // UpdateLength is what Update writes when |total| bytes are buffered.
  size_t UpdateLength(size_t total) const {
    switch (mode_) {
      case Mode::kCtr:
        return total;
      case Mode::kCbcPad:
        // Decryption keeps the last block back: it holds the padding.
        if (!enc_) return total > 16 ? ((total - 1) / 16) * 16 : 0;
        return total / 16 * 16;
      case Mode::kCts:
        // Keep the last 17..32 bytes for the stealing at the end.
        return total > 32 ? ((total - 17) / 16) * 16 : 0;
      default:
        return total / 16 * 16;
    }
  }

  // ExactLength is the single-part output length for |in|.
  Result<size_t> ExactLength(ByteView in) const {
    if (mode_ != Mode::kCbcPad) return enc_ ? in.size() : in.size();
    if (enc_) return (in.size() / 16 + 1) * 16;
    // Decrypt the last block alone to read its padding.
    uint8_t p[16];
    AES_decrypt(in.data() + in.size() - 16, p, &k_->dec);
    const uint8_t* prev = in.size() > 16 ? in.data() + in.size() - 32 : iv_;
    for (int i = 0; i < 16; ++i) p[i] ^= prev[i];
    auto pad = PadLength(p);
    OPENSSL_cleanse(p, sizeof p);
    if (!pad) return Fail(Rv::kEncryptedDataInvalid);
    return in.size() - *pad;
  }

  static std::optional<size_t> PadLength(const uint8_t block[16]) {
    const uint8_t pad = block[15];
    uint8_t bad = (pad == 0) | (pad > 16);
    for (int i = 0; i < 16; ++i) {
      const uint8_t in_pad = static_cast<uint8_t>(i >= 16 - pad);
      bad |= in_pad & (block[i] != pad);
    }
    if (bad) return std::nullopt;
    return pad;
  }

  void Transform(const uint8_t* in, uint8_t* out, size_t n) {
    if (n == 0) return;
    switch (mode_) {
      case Mode::kEcb:
        for (size_t i = 0; i < n; i += 16) {
          if (enc_) {
            AES_encrypt(in + i, out + i, &k_->enc);
          } else {
            AES_decrypt(in + i, out + i, &k_->dec);
          }
        }
        break;
      case Mode::kCbc:
      case Mode::kCbcPad:
      case Mode::kCts:
        AES_cbc_encrypt(in, out, n, enc_ ? &k_->enc : &k_->dec, iv_,
                        enc_ ? AES_ENCRYPT : AES_DECRYPT);
        break;
      case Mode::kCtr: {
        unsigned num = static_cast<unsigned>(num_);
        const size_t before = num == 0 ? 0 : 16 - num;
        AES_ctr128_encrypt(in, out, n, &k_->enc, iv_, ecount_, &num);
        if (n > before) blocks_left_ -= (n - before + 15) / 16;
        num_ = num;
        break;
      }
    }
  }

  // DoUpdate consumes |in| after the pending bytes, writing UpdateLength bytes.
  void DoUpdate(ByteView in, uint8_t* dst) {
    const size_t n = UpdateLength(pending_.size() + in.size());
    if (pending_.empty()) {
      Transform(in.data(), dst, n);
      pending_.assign(in.begin() + n, in.end());
      return;
    }
    SecretBytes all = std::move(pending_);
    all.insert(all.end(), in.begin(), in.end());
    Transform(all.data(), dst, n);
    pending_.assign(all.begin() + n, all.end());
  }

  // DoFinal returns the last output; the state is left unchanged.
  Result<SecretBytes> DoFinal() const {
    SecretBytes out;
    uint8_t iv[16];
    memcpy(iv, iv_, 16);
    switch (mode_) {
      case Mode::kEcb:
      case Mode::kCbc:
        if (!pending_.empty()) return Fail(LenError());
        break;
      case Mode::kCtr:
        break;
      case Mode::kCbcPad:
        if (enc_) {
          uint8_t block[16];
          const size_t p = pending_.size();
          if (p) memcpy(block, pending_.data(), p);
          memset(block + p, static_cast<int>(16 - p), 16 - p);
          out.resize(16);
          AES_cbc_encrypt(block, out.data(), 16, &k_->enc, iv, AES_ENCRYPT);
          OPENSSL_cleanse(block, sizeof block);
        } else {
          if (pending_.size() != 16) return Fail(LenError());
          out.resize(16);
          AES_cbc_encrypt(pending_.data(), out.data(), 16, &k_->dec, iv, AES_DECRYPT);
          auto pad = PadLength(out.data());
          if (!pad) return Fail(Rv::kEncryptedDataInvalid);
          out.resize(16 - *pad);
        }
        break;
      case Mode::kCts: {
        const size_t n = pending_.size();
        if (n < 16) return Fail(LenError());
        out.resize(n);
        if (n == 16) {
          AES_cbc_encrypt(pending_.data(), out.data(), 16, enc_ ? &k_->enc : &k_->dec, iv,
                          enc_ ? AES_ENCRYPT : AES_DECRYPT);
          break;
        }
        const size_t d = n - 16;  // bytes of the final partial (or full) block
        if (enc_) {
          // CBC over P(n-1) and P(n)||0, then swap: C(n) || C(n-1)[0..d).
          uint8_t buf[32] = {0};
          memcpy(buf, pending_.data(), n);
          uint8_t c[32];
          AES_cbc_encrypt(buf, c, 32, &k_->enc, iv, AES_ENCRYPT);
          memcpy(out.data(), c + 16, 16);
          memcpy(out.data() + 16, c, d);
          OPENSSL_cleanse(buf, sizeof buf);
        } else {
          const uint8_t* cn = pending_.data();          // C(n), full
          const uint8_t* cstar = pending_.data() + 16;  // first d bytes of C(n-1)
          uint8_t x[16];
          AES_decrypt(cn, x, &k_->dec);  // = C(n-1) xor (P(n) || 0)
          uint8_t cprev[16];
          memcpy(cprev, cstar, d);
          memcpy(cprev + d, x + d, 16 - d);
          for (size_t i = 0; i < d; ++i) out[16 + i] = x[i] ^ cstar[i];
          AES_cbc_encrypt(cprev, out.data(), 16, &k_->dec, iv, AES_DECRYPT);
          OPENSSL_cleanse(x, sizeof x);
        }
        break;
      }
    }
    return out;
  }

  const Mode mode_;
  const bool enc_;
  std::shared_ptr<const AesKeyCache> k_;
  uint8_t iv_[16] = {0};
  uint8_t ecount_[16] = {0};
  uint64_t num_ = 0;
  uint64_t blocks_left_ = UINT64_MAX;
  SecretBytes pending_;
};

Result<std::unique_ptr<Operation>> BeginAes(OpKind kind, const Mechanism& m,
                                            std::shared_ptr<const Object> key) {
  if (kind != OpKind::kEncrypt && kind != OpKind::kDecrypt) return Fail(Rv::kMechanismInvalid);
  auto k = AesKeyFor(*key);
  if (!k) return Fail(k.error());
  const bool enc = kind == OpKind::kEncrypt;
  Mode mode;
  switch (m.type) {
    case CKM_AES_ECB:
      mode = Mode::kEcb;
      break;
    case CKM_AES_CBC:
      mode = Mode::kCbc;
      break;
    case CKM_AES_CBC_PAD:
      mode = Mode::kCbcPad;
      break;
    case CKM_AES_CTS:
      mode = Mode::kCts;
      break;
    case CKM_AES_CTR:
      mode = Mode::kCtr;
      break;
    default:
      return Fail(Rv::kMechanismInvalid);
  }
  auto op = std::make_unique<AesOperation>(mode, enc, std::move(*k));
  if (const auto* iv = std::get_if<RawParams>(&m.params)) {
    if (iv->bytes.size() != 16) return Fail(Rv::kMechanismParamInvalid);
    op->SetIv(iv->bytes.data());
  } else if (const auto* ctr = std::get_if<AesCtrParams>(&m.params)) {
    if (ctr->counter_bits == 0 || ctr->counter_bits > 128) return Fail(Rv::kMechanismParamInvalid);
    op->SetIv(ctr->cb.data());
    op->SetCounterLimit(ctr->counter_bits);
  }
  return std::unique_ptr<Operation>(std::move(op));
}

// CKM_AES_ECB_ENCRYPT_DATA / CKM_AES_CBC_ENCRYPT_DATA: the new key is the
// encryption of the data (a multiple of 16 bytes) with the base key.
Result<ObjectHandle> DeriveEncryptData(Session& s, const Mechanism& m,
                                       std::shared_ptr<const Object> base, const Template& tmpl) {
  auto k = AesKeyFor(*base);
  if (!k) return Fail(k.error());
  ByteView data;
  uint8_t iv[16] = {0};
  if (const auto* raw = std::get_if<RawParams>(&m.params)) {
    data = raw->bytes;
  } else if (const auto* cbc = std::get_if<CbcEncryptDataParams>(&m.params)) {
    data = cbc->data;
    memcpy(iv, cbc->iv.data(), 16);
  }
  if (data.empty() || data.size() % 16) return Fail(Rv::kMechanismParamInvalid);
  SecretBytes out(data.size());
  if (m.type == CKM_AES_ECB_ENCRYPT_DATA) {
    for (size_t i = 0; i < data.size(); i += 16)
      AES_encrypt(data.data() + i, out.data() + i, &(*k)->enc);
  } else {
    AES_cbc_encrypt(data.data(), out.data(), data.size(), &(*k)->enc, iv, AES_ENCRYPT);
  }
  return MakeDerivedSecret(s, m.type, *base, tmpl, out);
}

constexpr CK_KEY_TYPE kAesKeys[] = {CKK_AES};
constexpr CK_FLAGS kCipher = CKF_ENCRYPT | CKF_DECRYPT;
constexpr MechanismEntry kEntries[] = {
    {.type = CKM_AES_ECB, .info = {16, 32, kCipher}, .key_types = kAesKeys, .begin = BeginAes},
    {.type = CKM_AES_CBC,
     .info = {16, 32, kCipher},
     .key_types = kAesKeys,
     .params_ok = Takes<RawParams>,
     .begin = BeginAes},
    {.type = CKM_AES_CBC_PAD,
     .info = {16, 32, kCipher},
     .key_types = kAesKeys,
     .params_ok = Takes<RawParams>,
     .begin = BeginAes},
    {.type = CKM_AES_CTR,
     .info = {16, 32, kCipher},
     .key_types = kAesKeys,
     .params_ok = Takes<AesCtrParams>,
     .begin = BeginAes},
    {.type = CKM_AES_CTS,
     .info = {16, 32, kCipher},
     .key_types = kAesKeys,
     .params_ok = Takes<RawParams>,
     .begin = BeginAes},
    {.type = CKM_AES_ECB_ENCRYPT_DATA,
     .info = {16, 32, CKF_DERIVE},
     .key_types = kAesKeys,
     .params_ok = Takes<RawParams>,
     .derive = DeriveEncryptData},
    {.type = CKM_AES_CBC_ENCRYPT_DATA,
     .info = {16, 32, CKF_DERIVE},
     .key_types = kAesKeys,
     .params_ok = Takes<CbcEncryptDataParams>,
     .derive = DeriveEncryptData},
};

}  // namespace

Result<std::unique_ptr<Operation>> RestoreAes(OpKind kind, ByteView state,
                                              std::shared_ptr<const Object> key) {
  auto k = AesKeyFor(*key);
  if (!k || state.size() < 2 || state[0] > static_cast<uint8_t>(Mode::kCts)) {
    return Fail(Rv::kSavedStateInvalid);
  }
  const bool enc = kind == OpKind::kEncrypt;
  auto op = std::make_unique<AesOperation>(AesOperation::ModeOf(state[0]), enc, std::move(*k));
  if (!op->Load(state)) return Fail(Rv::kSavedStateInvalid);
  return std::unique_ptr<Operation>(std::move(op));
}

std::span<const MechanismEntry> AesMechanisms() { return kEntries; }

Result<> AesSelfTest() {
  // FIPS 197 C.1: AES-128.
  static constexpr uint8_t kKey[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  static constexpr uint8_t kPlain[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                         0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
  static constexpr uint8_t kCipherText[16] = {0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30,
                                              0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4, 0xc5, 0x5a};
  auto k = AesKeyCache::New(kKey);
  if (!k) return Fail(Rv::kGeneralError);
  AesOperation op(Mode::kEcb, true, *k);
  uint8_t out[16];
  Output o = Output::Into(out);
  CRYPTOKI_TRY(op.OneShot(kPlain, o));
  if (!Equal(out, kCipherText)) return Fail(Rv::kGeneralError);
  AesOperation dec(Mode::kEcb, false, *k);
  Output o2 = Output::Into(out);
  CRYPTOKI_TRY(dec.OneShot(kCipherText, o2));
  if (!Equal(out, kPlain)) return Fail(Rv::kGeneralError);
  return {};
}

}  // namespace cryptoki::mech
