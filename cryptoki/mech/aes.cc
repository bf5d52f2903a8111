// aes.cc: CKM_AES_ECB, CKM_AES_CBC, CKM_AES_CBC_PAD, CKM_AES_CTR, CKM_AES_CTS
// (CBC-CS3, as Kerberos and PKCS#11 use it), and the derivations
// CKM_AES_ECB_ENCRYPT_DATA / CKM_AES_CBC_ENCRYPT_DATA.
#include "cryptoki/mech/aes.h"

#include <algorithm>

#include "cryptoki/mech/block_mode.h"
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
  absl::call_once(gcm_once_, [this] {
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

// AesOperation is AES in the shared block modes, plus CTR.
class AesOperation final : public BlockModeOperation {
 public:
  AesOperation(BlockMode mode, bool encrypt, std::shared_ptr<const AesKeyCache> k)
      : BlockModeOperation(mode, encrypt, 16, StateTag::kAes), k_(std::move(k)) {}
  ~AesOperation() override { OPENSSL_cleanse(ecount_, sizeof ecount_); }

  // SetCounterLimit: CTR with |bits| counter bits: the data may use at most
  // the blocks left before the counter wraps.
  void SetCounterLimit(CK_ULONG bits) {
    if (bits >= 64) return;  // more blocks than anyone can feed
    uint64_t ctr = 0;
    for (int i = 8; i < 16; ++i) ctr = ctr << 8 | iv_[i];
    const uint64_t mask = (uint64_t{1} << bits) - 1;
    blocks_left_ = mask - (ctr & mask) + 1;
  }

 private:
  void EcbBlocks(const uint8_t* in, uint8_t* out, size_t n) const override {
    for (size_t i = 0; i < n; i += 16) {
      if (enc_) {
        AES_encrypt(in + i, out + i, &k_->enc);
      } else {
        AES_decrypt(in + i, out + i, &k_->dec);
      }
    }
  }
  void CbcBlocks(const uint8_t* in, uint8_t* out, size_t n, uint8_t* iv) const override {
    AES_cbc_encrypt(in, out, n, enc_ ? &k_->enc : &k_->dec, iv, enc_ ? AES_ENCRYPT : AES_DECRYPT);
  }

  // CTR: the counter must not wrap within the data.
  Result<> CheckInput(size_t n, bool whole) const override {
    CRYPTOKI_TRY(BlockModeOperation::CheckInput(n, whole));
    if (mode_ != BlockMode::kCtr) return {};
    // Bytes still covered by the keystream block in hand, then whole blocks.
    const size_t avail_in_block = num_ == 0 ? 0 : 16 - num_;
    const uint64_t need = n > avail_in_block ? (n - avail_in_block + 15) / 16 : 0;
    if (need > blocks_left_) return Fail(LenError());
    return {};
  }

  void Transform(const uint8_t* in, uint8_t* out, size_t n) override {
    if (mode_ != BlockMode::kCtr) return BlockModeOperation::Transform(in, out, n);
    if (n == 0) return;
    unsigned num = static_cast<unsigned>(num_);
    const size_t before = num == 0 ? 0 : 16 - num;
    AES_ctr128_encrypt(in, out, n, &k_->enc, iv_, ecount_, &num);
    if (n > before) blocks_left_ -= (n - before + 15) / 16;
    num_ = num;
  }

  // The CTR keystream block, its position and the blocks left.
  void SaveExtra(SecretBytes& out) const override {
    out.insert(out.end(), ecount_, ecount_ + 16);
    const uint64_t nums[2] = {num_, blocks_left_};
    const auto* p = reinterpret_cast<const uint8_t*>(nums);
    out.insert(out.end(), p, p + sizeof nums);
  }
  bool LoadExtra(ByteView& b) override {
    uint64_t nums[2];
    if (b.size() < 16 + sizeof nums) return false;
    memcpy(ecount_, b.data(), 16);
    memcpy(nums, b.data() + 16, sizeof nums);
    if (nums[0] > 15) return false;
    num_ = nums[0], blocks_left_ = nums[1];
    b = b.subspan(16 + sizeof nums);
    return true;
  }

  std::shared_ptr<const AesKeyCache> k_;
  uint8_t ecount_[16] = {0};
  uint64_t num_ = 0;
  uint64_t blocks_left_ = UINT64_MAX;
};

Result<std::unique_ptr<Operation>> BeginAes(OpKind kind, const Mechanism& m,
                                            const std::shared_ptr<const Object>& key) {
  if (kind != OpKind::kEncrypt && kind != OpKind::kDecrypt) return Fail(Rv::kMechanismInvalid);
  auto k = AesKeyFor(*key);
  if (!k) return Fail(k.error());
  const bool enc = kind == OpKind::kEncrypt;
  BlockMode mode;
  switch (m.type) {
    case CKM_AES_ECB:
      mode = BlockMode::kEcb;
      break;
    case CKM_AES_CBC:
      mode = BlockMode::kCbc;
      break;
    case CKM_AES_CBC_PAD:
      mode = BlockMode::kCbcPad;
      break;
    case CKM_AES_CTS:
      mode = BlockMode::kCts;
      break;
    case CKM_AES_CTR:
      mode = BlockMode::kCtr;
      break;
    default:
      return Fail(Rv::kMechanismInvalid);
  }
  auto op = std::make_unique<AesOperation>(mode, enc, std::move(*k));
  if (const auto* iv = std::get_if<RawParams>(&m.params)) {
    if (iv->bytes.size() != 16) return Fail(Rv::kMechanismParamInvalid);
    op->SetIv(iv->bytes);
  } else if (const auto* ctr = std::get_if<AesCtrParams>(&m.params)) {
    if (ctr->counter_bits == 0 || ctr->counter_bits > 128) return Fail(Rv::kMechanismParamInvalid);
    op->SetIv(ctr->cb);
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
  if (!k || state.size() < 2 || state[0] > static_cast<uint8_t>(BlockMode::kCts)) {
    return Fail(Rv::kSavedStateInvalid);
  }
  const bool enc = kind == OpKind::kEncrypt;
  auto op = std::make_unique<AesOperation>(static_cast<BlockMode>(state[0]), enc, std::move(*k));
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
  AesOperation op(BlockMode::kEcb, true, *k);
  uint8_t out[16];
  Output o = Output::Into(out);
  CRYPTOKI_TRY(op.OneShot(kPlain, o));
  if (!Equal(out, kCipherText)) return Fail(Rv::kGeneralError);
  AesOperation dec(BlockMode::kEcb, false, *k);
  Output o2 = Output::Into(out);
  CRYPTOKI_TRY(dec.OneShot(kCipherText, o2));
  if (!Equal(out, kPlain)) return Fail(Rv::kGeneralError);
  return {};
}

}  // namespace cryptoki::mech
