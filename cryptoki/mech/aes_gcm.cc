// aes_gcm.cc: CKM_AES_GCM, single and multi-part (CK_GCM_PARAMS: IV of 1 to
// 65535 bytes, AAD, tags of 32, 64 or 96 to 128 bits) and message-based.
#include "cryptoki/mech/aead.h"
#include "cryptoki/mech/aes.h"
#include "cryptoki/mech/registry.h"

namespace cryptoki::mech {
namespace {

Result<AeadKey> GcmKey(const AesKeyCache& k, std::shared_ptr<const AesKeyCache> owner,
                       size_t tag_len) {
  if (tag_len == 16) {
    const EVP_AEAD_CTX* ctx = k.Gcm();
    if (ctx == nullptr) return Fail(Rv::kKeySizeRange);
    return AeadKey{owner, ctx, 16, k.raw()};
  }
  return OneOffGcmKey(k.raw(), tag_len);
}

bool TagBitsOk(CK_ULONG bits) { return bits % 8 == 0 && GcmTagLenOk(bits / 8); }

Result<std::unique_ptr<Operation>> BeginGcm(OpKind kind, const Mechanism& m,
                                            const std::shared_ptr<const Object>& key) {
  auto k = AesKeyFor(*key);
  if (!k) return Fail(k.error());
  if (kind == OpKind::kMessageEncrypt || kind == OpKind::kMessageDecrypt) {
    if (!std::holds_alternative<std::monostate>(m.params)) return Fail(Rv::kMechanismParamInvalid);
    auto ak = GcmKey(**k, *k, 16);
    if (!ak) return Fail(ak.error());
    return NewAeadMessageOperation(std::move(*ak), kind == OpKind::kMessageEncrypt, true);
  }
  if (kind != OpKind::kEncrypt && kind != OpKind::kDecrypt) return Fail(Rv::kMechanismInvalid);
  const auto* p = std::get_if<GcmParams>(&m.params);
  if (p == nullptr || p->iv.empty() || p->iv.size() > 65535 || !TagBitsOk(p->tag_bits)) {
    return Fail(Rv::kMechanismParamInvalid);
  }
  auto ak = GcmKey(**k, *k, p->tag_bits / 8);
  if (!ak) return Fail(ak.error());
  return NewAeadOperation(std::move(*ak), kind == OpKind::kEncrypt, p->iv, p->aad);
}

constexpr CK_KEY_TYPE kAesKeys[] = {CKK_AES};
constexpr MechanismEntry kEntries[] = {
    {.type = CKM_AES_GCM,
     .info = {16, 32,
              CKF_ENCRYPT | CKF_DECRYPT | CKF_MESSAGE_ENCRYPT | CKF_MESSAGE_DECRYPT |
                  CKF_MULTI_MESSAGE},
     .key_types = kAesKeys,
     .params_ok = TakesOptional<GcmParams>,
     .begin = BeginGcm},
};

}  // namespace

std::span<const MechanismEntry> AesGcmMechanisms() { return kEntries; }

Result<> AesGcmSelfTest() {
  // NIST GCM test case 2 (AES-128, zero key, zero IV, one zero block).
  static constexpr uint8_t kWant[32] = {0x03, 0x88, 0xda, 0xce, 0x60, 0xb6, 0xa3, 0x92,
                                        0xf3, 0x28, 0xc2, 0xb9, 0x71, 0xb2, 0xfe, 0x78,
                                        0xab, 0x6e, 0x47, 0xd4, 0x2c, 0xec, 0x13, 0xbd,
                                        0xf5, 0x3a, 0x67, 0xb2, 0x12, 0x57, 0xbd, 0xdf};
  auto k = AesKeyCache::New(Bytes(16));
  if (!k) return Fail(Rv::kGeneralError);
  auto ak = GcmKey(**k, *k, 16);
  if (!ak) return Fail(Rv::kGeneralError);
  auto op = NewAeadOperation(*ak, true, Bytes(12), {});
  uint8_t out[32];
  Output o = Output::Into(out);
  CRYPTOKI_TRY(op->OneShot(Bytes(16), o));
  if (!Equal(out, kWant)) return Fail(Rv::kGeneralError);
  return {};
}

}  // namespace cryptoki::mech
