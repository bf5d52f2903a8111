// registry.h: the mechanism registry, and the helpers every mechanism family
// shares (key use rules, key generation, output handling).
//
// HOW A FAMILY ADDS ITSELF
//   1. Write cryptoki/mech/<family>.cc (the //cryptoki:mechanisms target globs
//      mech/*.cc, so no BUILD edit is needed).
//   2. In it, define a table and the family function declared below:
//
//        namespace cryptoki::mech {
//        namespace {
//        constexpr CK_KEY_TYPE kRsa[] = {CKK_RSA};
//        Result<std::unique_ptr<Operation>> BeginRsaPkcs(OpKind kind, const Mechanism& m,
//                                                        const std::shared_ptr<const Object>& key);
//        constexpr MechanismEntry kEntries[] = {
//            {.type = CKM_RSA_PKCS,
//             .info = {512, 16384, CKF_ENCRYPT | CKF_DECRYPT | CKF_SIGN | CKF_VERIFY},
//             .key_types = kRsa,
//             .size_unit = SizeUnit::kFamily,  // the family checks modulus sizes
//             .begin = BeginRsaPkcs},
//        };
//        }  // namespace
//        std::span<const MechanismEntry> RsaMechanisms() { return kEntries; }
//        }  // namespace cryptoki::mech
//
//   3. The registry concatenates every family's table (families not linked
//      yet contribute nothing: registry.cc holds weak empty defaults). A
//      new family function is declared here and added to kFamilies in
//      registry.cc.
//
// What the registry does before calling a family (in ONE place, api.cc): the
// config's allow/deny list and "unknown mechanism" → kMechanismInvalid; the
// operation missing from info.flags → kMechanismInvalid; params_ok false →
// kMechanismParamInvalid; the key rules of CheckKey below. The family then
// only checks parameter contents (→ kMechanismParamInvalid) and data sizes.
#ifndef CRYPTOKI_MECH_REGISTRY_H_
#define CRYPTOKI_MECH_REGISTRY_H_

#include <openssl/digest.h>
#include <openssl/mem.h>

#include <memory>
#include <span>
#include <typeinfo>
#include <utility>
#include <variant>

#include "cryptoki/mechanism.h"
#include "cryptoki/object.h"
#include "cryptoki/operation.h"
#include "cryptoki/session.h"

namespace cryptoki::mech {

// KeyUse is what a key is used for; each maps to a CKA_ flag.
enum class KeyUse {
  kEncrypt,
  kDecrypt,
  kSign,
  kVerify,
  kSignRecover,
  kVerifyRecover,
  kWrap,
  kUnwrap,
  kDerive
};

// SizeUnit says how the shared check measures a secret key against
// info.min_key_size / max_key_size: in bytes or bits of CKA_VALUE, or not at
// all (kFamily: the family checks, e.g. RSA modulus bits).
enum class SizeUnit : uint8_t { kBytes, kBits, kFamily };

using BeginFn = Result<std::unique_ptr<Operation>> (*)(OpKind kind, const Mechanism& m,
                                                       const std::shared_ptr<const Object>& key);
using GenerateFn = Result<ObjectHandle> (*)(Session& s, const Mechanism& m, const Template& tmpl);
using GeneratePairFn = Result<std::pair<ObjectHandle, ObjectHandle>> (*)(
    Session& s, const Mechanism& m, const Template& public_tmpl, const Template& private_tmpl);
// WrapFn encrypts |key_bytes| (a secret key's CKA_VALUE, or a private key's
// PKCS#8 encoding) with |wrapping_key|. UnwrapFn is its inverse:
// kWrappedKeyLenRange / kWrappedKeyInvalid.
using WrapFn = Result<SecretBytes> (*)(const Mechanism& m, const Object& wrapping_key,
                                       ByteView key_bytes);
using UnwrapFn = Result<SecretBytes> (*)(const Mechanism& m, const Object& unwrapping_key,
                                         ByteView wrapped);
// WrappedLenFn answers a C_WrapKey length query: the length WrapFn would
// return for |key_len| bytes of key data, with the same errors, without
// wrapping.
using WrappedLenFn = Result<size_t> (*)(const Mechanism& m, const Object& wrapping_key,
                                        size_t key_len);
// DeriveFn makes the new key (with BuildAttributes op kDerive) and stores it
// with session.CreateBuiltObject.
using DeriveFn = Result<ObjectHandle> (*)(Session& s, const Mechanism& m,
                                          std::shared_ptr<const Object> base, const Template& tmpl);

// MechanismEntry is one mechanism: its info (C_GetMechanismInfo, flags for
// exactly the functions set here) and its implementation.
struct MechanismEntry {
  CK_MECHANISM_TYPE type = CKM_VENDOR_DEFINED;
  MechanismInfo info;
  // Key types the mechanism's keyed operations accept (wrap/unwrap: the
  // wrapping key; derive: the base key).
  std::span<const CK_KEY_TYPE> key_types;
  // params_ok says whether the parameter has the right type (and is there
  // if required); nullptr means the mechanism takes no parameter.
  bool (*params_ok)(const MechanismParams& p) = nullptr;
  SizeUnit size_unit = SizeUnit::kBytes;
  BeginFn begin = nullptr;  // encrypt, decrypt, digest, sign, verify, *recover, message*
  GenerateFn generate = nullptr;
  GeneratePairFn generate_pair = nullptr;
  WrapFn wrap = nullptr;
  WrappedLenFn wrapped_len = nullptr;  // optional: without it a query wraps
  UnwrapFn unwrap = nullptr;
  DeriveFn derive = nullptr;
  // derive: the base may also be a CKO_DATA object (HKDF). api.cc then skips
  // CheckKey for one, and the family decides when a data object is allowed.
  bool data_base = false;
};

// Family tables. Each is defined in its family's file; registry.cc holds weak
// empty defaults so the registry links before a family exists.
std::span<const MechanismEntry> DigestMechanisms();  // digest.cc
std::span<const MechanismEntry> HmacMechanisms();    // hmac.cc
std::span<const MechanismEntry> CmacMechanisms();    // cmac.cc
std::span<const MechanismEntry> AesMechanisms();     // aes.cc
std::span<const MechanismEntry> AesGcmMechanisms();  // aes_gcm.cc
std::span<const MechanismEntry> ChaChaMechanisms();  // chacha20_poly1305.cc
std::span<const MechanismEntry> Des3Mechanisms();    // des3.cc
std::span<const MechanismEntry> KeygenMechanisms();  // keygen.cc
std::span<const MechanismEntry> WrapMechanisms();    // wrap.cc
std::span<const MechanismEntry> KdfMechanisms();     // kdf.cc
std::span<const MechanismEntry> RsaMechanisms();     // rsa.cc (issue 6)
std::span<const MechanismEntry> EcMechanisms();      // ec.cc (issue 6)
std::span<const MechanismEntry> EddsaMechanisms();   // eddsa.cc (issue 6)
std::span<const MechanismEntry> X25519Mechanisms();  // x25519.cc (issue 6)
std::span<const MechanismEntry> DhMechanisms();      // dh.cc (issue 6)

// Family self-tests (one known answer each), run by RunSelfTests. Weak
// defaults pass.
Result<> DigestSelfTest();
Result<> HmacSelfTest();
Result<> CmacSelfTest();
Result<> AesSelfTest();
Result<> AesGcmSelfTest();
Result<> ChaChaSelfTest();
Result<> Des3SelfTest();
Result<> KdfSelfTest();
Result<> WrapSelfTest();
Result<> RsaSelfTest();
Result<> EcSelfTest();
Result<> EddsaSelfTest();
Result<> X25519SelfTest();
Result<> DhSelfTest();

// Operation state (C_GetOperationState): each saveable operation's
// SaveState starts with its StateTag; RestoreOperation (installed as the
// session's OperationRestorer) dispatches on it. The session seals the blob.
enum class StateTag : uint8_t { kDigest = 1, kHmac = 2, kCmac = 3, kAes = 4, kDes3 = 5 };
Result<std::unique_ptr<Operation>> RestoreDigest(ByteView state);
Result<std::unique_ptr<Operation>> RestoreHmac(ByteView state, std::shared_ptr<const Object> key);
Result<std::unique_ptr<Operation>> RestoreCmac(ByteView state, std::shared_ptr<const Object> key);
Result<std::unique_ptr<Operation>> RestoreAes(OpKind kind, ByteView state,
                                              std::shared_ptr<const Object> key);
Result<std::unique_ptr<Operation>> RestoreDes3(OpKind kind, ByteView state,
                                               std::shared_ptr<const Object> key);
Result<std::unique_ptr<Operation>> RestoreOperation(OpKind kind, ByteView state,
                                                    std::shared_ptr<const Object> key);

// EffectiveFlags returns the flags C_GetMechanismInfo reports for |entry|:
// its info.flags, plus CKF_MESSAGE_SIGN / CKF_MESSAGE_VERIFY (and
// CKF_MULTI_MESSAGE) for every mechanism that signs / verifies, which the
// message API offers for all of them (message.h).
CK_FLAGS EffectiveFlags(const MechanismEntry& entry);

// AllMechanisms returns every registered entry, sorted by type.
std::span<const MechanismEntry* const> AllMechanisms();
// FindMechanism returns the entry for |type|: kMechanismInvalid if unknown
// or denied by |config|.
Result<const MechanismEntry*> FindMechanism(const Config& config, CK_MECHANISM_TYPE type);

// CheckKey applies the key use rules to |key| for |use| with |entry|:
//   not a key (a data object, a certificate...) → kKeyHandleInvalid (PKCS #11
//     3.0 base spec, CKR_KEY_HANDLE_INVALID: "a valid handle for an object
//     which is not a key");
//   wrong class for the use, or a key type not in key_types
//     → kKeyTypeInconsistent;
//   the use's CKA_ flag false → kKeyFunctionNotPermitted;
//   CKA_ALLOWED_MECHANISMS present and lacking the mechanism → kMechanismInvalid;
//   a secret key outside [min_key_size, max_key_size] → kKeySizeRange.
Result<> CheckKey(const MechanismEntry& entry, const Object& key, KeyUse use);

// Takes<P> is a params_ok for mechanisms whose parameter is a P.
template <class P>
bool Takes(const MechanismParams& p) {
  return std::holds_alternative<P>(p);
}
// TakesOptional<P>: a P or no parameter.
template <class P>
bool TakesOptional(const MechanismParams& p) {
  return std::holds_alternative<P>(p) || std::holds_alternative<std::monostate>(p);
}

// KeyValue returns a secret key's CKA_VALUE (empty if it has none).
ByteView KeyValue(const Object& key);

// CachedKey returns the key's cache as a T, making it with |make| (a
// Result<std::shared_ptr<T>>()) the first time. A cache of another type
// (another mechanism family) is bypassed: the key is then parsed per call.
// The cache lives as long as |key|, and so does what CachedKey returns: a
// cache already stored comes back as a pointer that owns nothing (copying it
// changes no reference count, which threads sharing a key would otherwise
// pass between their cores on every operation), so the caller must hold the
// key object while it uses the result, as every operation does (its key).
template <class T, class F>
Result<std::shared_ptr<const T>> CachedKey(const Object& key, F make) {
  // The exact type first: a type_info comparison, where dynamic_cast walks
  // the class hierarchy.
  if (const KeyCache* view = key.CacheView(); view != nullptr && typeid(*view) == typeid(T)) {
    return std::shared_ptr<const T>(std::shared_ptr<const void>(), static_cast<const T*>(view));
  }
  if (auto c = std::dynamic_pointer_cast<const T>(key.Cache())) return c;
  Result<std::shared_ptr<T>> made = make();
  if (!made) return Fail(made.error());
  std::shared_ptr<const T> mine = std::move(*made);
  auto stored = std::dynamic_pointer_cast<const T>(key.SetCache(mine));
  return stored ? stored : mine;
}

// SecretKeySpec says what a secret key generation makes.
struct SecretKeySpec {
  CK_KEY_TYPE key_type;
  size_t min_len;    // bytes
  size_t max_len;    // bytes
  size_t fixed_len;  // non-zero: CKA_VALUE_LEN must not be given (DES3, ChaCha20)
  // allowed_len: if set, only these lengths (AES: 16, 24, 32).
  bool aes_lengths = false;
};
// GenerateSecretKey makes a random secret key of |spec| from |tmpl|:
// kTemplateInconsistent if CKA_CLASS / CKA_KEY_TYPE contradict the
// mechanism, kTemplateIncomplete without CKA_VALUE_LEN (variable lengths),
// kAttributeValueInvalid / kKeySizeRange for a length |spec| refuses.
Result<ObjectHandle> GenerateSecretKey(Session& s, CK_MECHANISM_TYPE mechanism,
                                       const Template& tmpl, const SecretKeySpec& spec);

// MakeDerivedSecret stores a derived secret key from |tmpl| holding the
// first bytes of |material| (CKA_VALUE_LEN from |tmpl|, else the key type's
// fixed length, else |default_len|, else all of |material|):
// kTemplateInconsistent, kTemplateIncomplete, kKeySizeRange (|material| too
// short). CKA_ALWAYS_SENSITIVE / CKA_NEVER_EXTRACTABLE follow |base|.
Result<ObjectHandle> MakeDerivedSecret(Session& s, CK_MECHANISM_TYPE mechanism, const Object& base,
                                       const Template& tmpl, ByteView material,
                                       size_t default_len = 0);
// DerivedKeyLength returns the length in bytes that |tmpl| asks for (CKA_VALUE_LEN,
// or the fixed length of its CKA_KEY_TYPE), 0 if it asks for none;
// kTemplateInconsistent / kAttributeValueInvalid for a bad one.
Result<size_t> DerivedKeyLength(const Template& tmpl);

// ConstantTimeEqual compares |a| and |b| in time independent of contents.
inline bool ConstantTimeEqual(ByteView a, ByteView b) {
  return a.size() == b.size() && (a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0);
}

// WriteOut copies |bytes| into |out| (two-call convention).
inline Result<> WriteOut(ByteView bytes, Output& out) {
  CRYPTOKI_TRY(out.Fits(bytes.size()));
  if (out.Ready() && !bytes.empty()) memcpy(out.buffer.data(), bytes.data(), bytes.size());
  return {};
}

// DigestForMechanism returns the EVP_MD of a digest mechanism (CKM_SHA256...)
// or nullptr.
const EVP_MD* DigestForMechanism(CK_MECHANISM_TYPE type);

}  // namespace cryptoki::mech

#endif  // CRYPTOKI_MECH_REGISTRY_H_
