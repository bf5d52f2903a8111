// wrap.cc: CKM_AES_KEY_WRAP (RFC 3394), CKM_AES_KEY_WRAP_KWP (RFC 5649) and
// CKM_AES_KEY_WRAP_PAD, which clients (SoftHSM v2, OpenSSL's
// id-aes*-wrap-pad) use as RFC 5649 too. The sensitive/extractable, trusted
// and template rules are applied by api.cc before these run.
#include <climits>

#include "cryptoki/mech/aes.h"
#include "cryptoki/mech/registry.h"

namespace cryptoki::mech {
namespace {

constexpr uint8_t kKwpIcv[4] = {0xa6, 0x59, 0x59, 0xa6};

Result<> CheckIv(const Mechanism& m, size_t* iv_len, const uint8_t** iv) {
  *iv = nullptr;
  if (const auto* p = std::get_if<RawParams>(&m.params)) {
    if (m.type == CKM_AES_KEY_WRAP) {
      if (p->bytes.size() != 8) return Fail(Rv::kMechanismParamInvalid);
      *iv = p->bytes.data();
      *iv_len = 8;
    } else if (!p->bytes.empty()) {
      // RFC 5649 has one alternative IV: its own (BoringSSL fixes it).
      if (p->bytes.size() != 4 || !Equal(p->bytes, kKwpIcv))
        return Fail(Rv::kMechanismParamInvalid);
    }
  }
  return {};
}

// WrapPlan is a checked wrap: the wrapping key's schedules, the IV
// (nullptr: the RFC's default) and the wrapped length.
struct WrapPlan {
  std::shared_ptr<const AesKeyCache> key;
  const uint8_t* iv = nullptr;
  size_t wrapped_len = 0;
};

// PlanWrap checks a wrap of |key_len| bytes with |wrapping_key|:
// kWrappingKeySizeRange for a key that is no AES key, the IV's codes
// (CheckIv), kKeySizeRange for key data RFC 3394 (16 bytes or more, whole
// 8-byte blocks) or RFC 5649 (1 byte to 2^32 - 1) cannot wrap.
Result<WrapPlan> PlanWrap(const Mechanism& m, const Object& wrapping_key, size_t key_len) {
  auto k = AesKeyFor(wrapping_key);
  if (!k) return Fail(Rv::kWrappingKeySizeRange);
  WrapPlan plan;
  plan.key = std::move(*k);
  size_t iv_len = 0;
  CRYPTOKI_TRY(CheckIv(m, &iv_len, &plan.iv));
  if (m.type == CKM_AES_KEY_WRAP) {
    if (key_len < 16 || key_len % 8 || key_len > INT_MAX - 8) return Fail(Rv::kKeySizeRange);
    plan.wrapped_len = key_len + 8;
  } else {
    if (key_len == 0 || key_len > 0xffffffffu) return Fail(Rv::kKeySizeRange);
    // RFC 5649 4.1: padded to whole 8-byte blocks, then one block more.
    plan.wrapped_len = (key_len + 7) / 8 * 8 + 8;
  }
  return plan;
}

// WrappedLen is C_WrapKey's length query: PlanWrap's length, no wrapping.
Result<size_t> WrappedLen(const Mechanism& m, const Object& wrapping_key, size_t key_len) {
  auto plan = PlanWrap(m, wrapping_key, key_len);
  if (!plan) return Fail(plan.error());
  return plan->wrapped_len;
}

Result<SecretBytes> Wrap(const Mechanism& m, const Object& wrapping_key, ByteView key_bytes) {
  auto plan = PlanWrap(m, wrapping_key, key_bytes.size());
  if (!plan) return Fail(plan.error());
  SecretBytes out(plan->wrapped_len);
  const AES_KEY* k = &plan->key->enc;
  if (m.type == CKM_AES_KEY_WRAP) {
    if (AES_wrap_key(k, plan->iv, out.data(), key_bytes.data(), key_bytes.size()) !=
        static_cast<int>(out.size())) {
      return Fail(Rv::kFunctionFailed);
    }
    return out;
  }
  size_t n = 0;
  if (!AES_wrap_key_padded(k, out.data(), &n, out.size(), key_bytes.data(), key_bytes.size()) ||
      n != out.size()) {
    return Fail(Rv::kFunctionFailed);
  }
  return out;
}

Result<SecretBytes> Unwrap(const Mechanism& m, const Object& unwrapping_key, ByteView wrapped) {
  auto k = AesKeyFor(unwrapping_key);
  if (!k) return Fail(Rv::kUnwrappingKeySizeRange);
  size_t iv_len = 0;
  const uint8_t* iv = nullptr;
  CRYPTOKI_TRY(CheckIv(m, &iv_len, &iv));
  if (wrapped.size() % 8) return Fail(Rv::kWrappedKeyLenRange);
  SecretBytes out(wrapped.size());
  if (m.type == CKM_AES_KEY_WRAP) {
    if (wrapped.size() < 24) return Fail(Rv::kWrappedKeyLenRange);
    const int n = AES_unwrap_key(&(*k)->dec, iv, out.data(), wrapped.data(), wrapped.size());
    if (n < 0) return Fail(Rv::kWrappedKeyInvalid);
    out.resize(n);
    return out;
  }
  if (wrapped.size() < 16) return Fail(Rv::kWrappedKeyLenRange);
  size_t n = 0;
  if (!AES_unwrap_key_padded(&(*k)->dec, out.data(), &n, out.size(), wrapped.data(),
                             wrapped.size())) {
    return Fail(Rv::kWrappedKeyInvalid);
  }
  out.resize(n);
  return out;
}

constexpr CK_KEY_TYPE kAesKeys[] = {CKK_AES};
constexpr MechanismEntry kEntries[] = {
    {.type = CKM_AES_KEY_WRAP,
     .info = {16, 32, CKF_WRAP | CKF_UNWRAP},
     .key_types = kAesKeys,
     .params_ok = TakesOptional<RawParams>,
     .wrap = Wrap,
     .wrapped_len = WrappedLen,
     .unwrap = Unwrap},
    {.type = CKM_AES_KEY_WRAP_PAD,
     .info = {16, 32, CKF_WRAP | CKF_UNWRAP},
     .key_types = kAesKeys,
     .params_ok = TakesOptional<RawParams>,
     .wrap = Wrap,
     .wrapped_len = WrappedLen,
     .unwrap = Unwrap},
    {.type = CKM_AES_KEY_WRAP_KWP,
     .info = {16, 32, CKF_WRAP | CKF_UNWRAP},
     .key_types = kAesKeys,
     .params_ok = TakesOptional<RawParams>,
     .wrap = Wrap,
     .wrapped_len = WrappedLen,
     .unwrap = Unwrap},
};

}  // namespace

std::span<const MechanismEntry> WrapMechanisms() { return kEntries; }

Result<> WrapSelfTest() {
  // RFC 3394 4.1: 128-bit key data with a 128-bit KEK.
  static constexpr uint8_t kKek[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  static constexpr uint8_t kData[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                        0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
  static constexpr uint8_t kWant[24] = {0x1f, 0xa6, 0x8b, 0x0a, 0x81, 0x12, 0xb4, 0x47,
                                        0xae, 0xf3, 0x4b, 0xd8, 0xfb, 0x5a, 0x7b, 0x82,
                                        0x9d, 0x3e, 0x86, 0x23, 0x71, 0xd2, 0xcf, 0xe5};
  auto k = AesKeyCache::New(kKek);
  if (!k) return Fail(Rv::kGeneralError);
  uint8_t out[24];
  if (AES_wrap_key(&(*k)->enc, nullptr, out, kData, 16) != 24 || !Equal(out, kWant)) {
    return Fail(Rv::kGeneralError);
  }
  return {};
}

}  // namespace cryptoki::mech
