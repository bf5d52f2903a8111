// des3.cc: CKM_DES3_ECB, CKM_DES3_CBC, CKM_DES3_CBC_PAD (legacy, for old
// clients), with 24-byte CKK_DES3 keys.
#include <openssl/des.h>

#include "cryptoki/mech/block_mode.h"
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

// Des3Operation is 3DES (EDE) in ECB, CBC and CBC_PAD.
class Des3Operation final : public BlockModeOperation {
 public:
  Des3Operation(BlockMode mode, bool enc, std::shared_ptr<const Des3KeyCache> k)
      : BlockModeOperation(mode, enc, 8, StateTag::kDes3), k_(std::move(k)) {}

 private:
  int Direction() const { return enc_ ? DES_ENCRYPT : DES_DECRYPT; }
  void EcbBlocks(const uint8_t* in, uint8_t* out, size_t n) const override {
    for (size_t i = 0; i < n; i += 8) {
      DES_ecb3_encrypt(reinterpret_cast<const DES_cblock*>(in + i),
                       reinterpret_cast<DES_cblock*>(out + i), &k_->ks[0], &k_->ks[1], &k_->ks[2],
                       Direction());
    }
  }
  void CbcBlocks(const uint8_t* in, uint8_t* out, size_t n, uint8_t* iv) const override {
    DES_ede3_cbc_encrypt(in, out, n, &k_->ks[0], &k_->ks[1], &k_->ks[2],
                         reinterpret_cast<DES_cblock*>(iv), Direction());
  }

  std::shared_ptr<const Des3KeyCache> k_;
};

Result<std::unique_ptr<Operation>> BeginDes3(OpKind kind, const Mechanism& m,
                                             const std::shared_ptr<const Object>& key) {
  if (kind != OpKind::kEncrypt && kind != OpKind::kDecrypt) return Fail(Rv::kMechanismInvalid);
  auto k = Des3KeyFor(*key);
  if (!k) return Fail(k.error());
  const BlockMode mode = m.type == CKM_DES3_ECB   ? BlockMode::kEcb
                         : m.type == CKM_DES3_CBC ? BlockMode::kCbc
                                                  : BlockMode::kCbcPad;
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
  // DES3 has the block modes up to CBC_PAD only.
  if (!k || state.size() < 2 || state[0] > static_cast<uint8_t>(BlockMode::kCbcPad)) {
    return Fail(Rv::kSavedStateInvalid);
  }
  auto op = std::make_unique<Des3Operation>(static_cast<BlockMode>(state[0]),
                                            kind == OpKind::kEncrypt, std::move(*k));
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
  Des3Operation op(BlockMode::kEcb, true, c);
  uint8_t out[8];
  Output o = Output::Into(out);
  CRYPTOKI_TRY(op.OneShot(AsBytes("Now is t"), o));
  if (!Equal(out, kWant)) return Fail(Rv::kGeneralError);
  return {};
}

}  // namespace cryptoki::mech
