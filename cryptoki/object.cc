#include "cryptoki/object.h"

#include <pthread.h>

#include <algorithm>
#include <mutex>
#include <optional>
#include <span>

#include <openssl/rand.h>

namespace cryptoki {
namespace {

// Value kinds: how an attribute's bytes are checked.
enum class Kind : uint8_t { kBool, kUlong, kBytes, kDate, kMechArray, kAttrArray };

// Rule flags; the numbers are the footnotes of the standard's attribute tables.
enum : uint32_t {
  kRequired = 1u << 0,        // 1: must be given to C_CreateObject
  kNoCreate = 1u << 1,        // 2: must not be given to C_CreateObject
  kGenRequired = 1u << 2,     // 3: must be given to C_GenerateKey(Pair)
  kNoGenerate = 1u << 3,      // 4: must not be given to C_GenerateKey(Pair)
  kUnwrapRequired = 1u << 4,  // 5: must be given to C_UnwrapKey
  kNoUnwrap = 1u << 5,        // 6: must not be given to C_UnwrapKey
  kSecret = 1u << 6,          // 7: hidden when the key is sensitive or unextractable
  kModifiable = 1u << 7,      // 8: C_SetAttributeValue and C_CopyObject may change it
  kSoOnlyTrue = 1u << 8,      // 10: only the SO may set it to CK_TRUE
  kStickyTrue = 1u << 9,      // 11: read-only once CK_TRUE
  kStickyFalse = 1u << 10,    // 12: read-only once CK_FALSE
  kCopyOnly = 1u << 11,       // C_CopyObject may change it, C_SetAttributeValue not
  kComputed = 1u << 12,       // the token sets it; never given by the caller
  kGenAllowed = 1u << 13,     // yet C_GenerateKey, C_DeriveKey and C_UnwrapKey may ask for it
};
constexpr uint32_t kKeyPart = kNoGenerate | kNoUnwrap;                           // 4,6
constexpr uint32_t kSecretPart = kKeyPart | kSecret;                             // 4,6,7
constexpr uint32_t kTokenSet = kNoCreate | kNoGenerate | kNoUnwrap | kComputed;  // 2,4,6

// Default values.
enum class Def : uint8_t { kNone, kFalse, kTrue, kEmpty, kUnavailable, kZero };

struct Rule {
  AttributeType type;
  Kind kind;
  uint32_t flags;
  Def def;
};

// clang-format off
constexpr Rule kCommon[] = {
    {CKA_CLASS, Kind::kUlong, kRequired, Def::kNone},
};
constexpr Rule kStorage[] = {
    {CKA_TOKEN, Kind::kBool, kCopyOnly, Def::kFalse},
    {CKA_PRIVATE, Kind::kBool, kCopyOnly, Def::kNone},  // default depends on class
    {CKA_MODIFIABLE, Kind::kBool, kCopyOnly, Def::kTrue},
    {CKA_LABEL, Kind::kBytes, kModifiable, Def::kEmpty},
    {CKA_COPYABLE, Kind::kBool, kModifiable | kStickyFalse, Def::kTrue},
    {CKA_DESTROYABLE, Kind::kBool, kModifiable, Def::kTrue},
    {CKA_UNIQUE_ID, Kind::kBytes, kTokenSet, Def::kNone},
};
constexpr Rule kData[] = {
    {CKA_APPLICATION, Kind::kBytes, kModifiable, Def::kEmpty},
    {CKA_OBJECT_ID, Kind::kBytes, kModifiable, Def::kEmpty},
    {CKA_VALUE, Kind::kBytes, kModifiable, Def::kEmpty},
};
constexpr Rule kCertificate[] = {
    {CKA_CERTIFICATE_TYPE, Kind::kUlong, kRequired, Def::kNone},
    {CKA_TRUSTED, Kind::kBool, kSoOnlyTrue, Def::kFalse},
    {CKA_CERTIFICATE_CATEGORY, Kind::kUlong, kModifiable, Def::kZero},
    {CKA_CHECK_VALUE, Kind::kBytes, 0, Def::kNone},
    {CKA_START_DATE, Kind::kDate, kModifiable, Def::kEmpty},
    {CKA_END_DATE, Kind::kDate, kModifiable, Def::kEmpty},
    {CKA_PUBLIC_KEY_INFO, Kind::kBytes, 0, Def::kEmpty},
};
constexpr Rule kX509[] = {
    {CKA_SUBJECT, Kind::kBytes, kRequired, Def::kNone},
    {CKA_ID, Kind::kBytes, kModifiable, Def::kEmpty},
    {CKA_ISSUER, Kind::kBytes, kModifiable, Def::kEmpty},
    {CKA_SERIAL_NUMBER, Kind::kBytes, kModifiable, Def::kEmpty},
    {CKA_VALUE, Kind::kBytes, kRequired, Def::kNone},
    {CKA_URL, Kind::kBytes, 0, Def::kEmpty},
    {CKA_HASH_OF_SUBJECT_PUBLIC_KEY, Kind::kBytes, 0, Def::kEmpty},
    {CKA_HASH_OF_ISSUER_PUBLIC_KEY, Kind::kBytes, 0, Def::kEmpty},
    {CKA_JAVA_MIDP_SECURITY_DOMAIN, Kind::kUlong, 0, Def::kZero},
    {CKA_NAME_HASH_ALGORITHM, Kind::kUlong, 0, Def::kNone},
};
constexpr Rule kKey[] = {
    {CKA_KEY_TYPE, Kind::kUlong, kRequired, Def::kNone},
    {CKA_ID, Kind::kBytes, kModifiable, Def::kEmpty},
    {CKA_START_DATE, Kind::kDate, kModifiable, Def::kEmpty},
    {CKA_END_DATE, Kind::kDate, kModifiable, Def::kEmpty},
    {CKA_DERIVE, Kind::kBool, kModifiable, Def::kFalse},
    {CKA_LOCAL, Kind::kBool, kTokenSet, Def::kFalse},
    {CKA_KEY_GEN_MECHANISM, Kind::kUlong, kTokenSet, Def::kUnavailable},
    {CKA_ALLOWED_MECHANISMS, Kind::kMechArray, 0, Def::kEmpty},
    {CKA_DERIVE_TEMPLATE, Kind::kAttrArray, 0, Def::kEmpty},
};
constexpr Rule kPublicKey[] = {
    {CKA_SUBJECT, Kind::kBytes, kModifiable, Def::kEmpty},
    {CKA_ENCRYPT, Kind::kBool, kModifiable, Def::kTrue},
    {CKA_VERIFY, Kind::kBool, kModifiable, Def::kTrue},
    {CKA_VERIFY_RECOVER, Kind::kBool, kModifiable, Def::kTrue},
    {CKA_WRAP, Kind::kBool, kModifiable, Def::kTrue},
    {CKA_TRUSTED, Kind::kBool, kSoOnlyTrue, Def::kFalse},
    {CKA_WRAP_TEMPLATE, Kind::kAttrArray, 0, Def::kEmpty},
    {CKA_PUBLIC_KEY_INFO, Kind::kBytes, 0, Def::kEmpty},
};
constexpr Rule kPrivateKey[] = {
    {CKA_SUBJECT, Kind::kBytes, kModifiable, Def::kEmpty},
    {CKA_SENSITIVE, Kind::kBool, kModifiable | kStickyTrue, Def::kTrue},
    {CKA_DECRYPT, Kind::kBool, kModifiable, Def::kTrue},
    {CKA_SIGN, Kind::kBool, kModifiable, Def::kTrue},
    {CKA_SIGN_RECOVER, Kind::kBool, kModifiable, Def::kTrue},
    {CKA_UNWRAP, Kind::kBool, kModifiable, Def::kTrue},
    {CKA_EXTRACTABLE, Kind::kBool, kModifiable | kStickyFalse, Def::kFalse},
    {CKA_ALWAYS_SENSITIVE, Kind::kBool, kTokenSet, Def::kNone},
    {CKA_NEVER_EXTRACTABLE, Kind::kBool, kTokenSet, Def::kNone},
    {CKA_WRAP_WITH_TRUSTED, Kind::kBool, kModifiable | kStickyTrue, Def::kFalse},
    {CKA_UNWRAP_TEMPLATE, Kind::kAttrArray, 0, Def::kEmpty},
    {CKA_ALWAYS_AUTHENTICATE, Kind::kBool, 0, Def::kFalse},
    {CKA_PUBLIC_KEY_INFO, Kind::kBytes, 0, Def::kEmpty},
};
constexpr Rule kSecretKey[] = {
    {CKA_SENSITIVE, Kind::kBool, kModifiable | kStickyTrue, Def::kFalse},
    {CKA_ENCRYPT, Kind::kBool, kModifiable, Def::kTrue},
    {CKA_DECRYPT, Kind::kBool, kModifiable, Def::kTrue},
    {CKA_SIGN, Kind::kBool, kModifiable, Def::kTrue},
    {CKA_VERIFY, Kind::kBool, kModifiable, Def::kTrue},
    {CKA_WRAP, Kind::kBool, kModifiable, Def::kTrue},
    {CKA_UNWRAP, Kind::kBool, kModifiable, Def::kTrue},
    {CKA_EXTRACTABLE, Kind::kBool, kModifiable | kStickyFalse, Def::kTrue},
    {CKA_ALWAYS_SENSITIVE, Kind::kBool, kTokenSet, Def::kNone},
    {CKA_NEVER_EXTRACTABLE, Kind::kBool, kTokenSet, Def::kNone},
    {CKA_CHECK_VALUE, Kind::kBytes, 0, Def::kNone},
    {CKA_WRAP_WITH_TRUSTED, Kind::kBool, kModifiable | kStickyTrue, Def::kFalse},
    {CKA_TRUSTED, Kind::kBool, kSoOnlyTrue, Def::kFalse},
    {CKA_WRAP_TEMPLATE, Kind::kAttrArray, 0, Def::kEmpty},
    {CKA_UNWRAP_TEMPLATE, Kind::kAttrArray, 0, Def::kEmpty},
};
constexpr Rule kRsaPublic[] = {
    {CKA_MODULUS, Kind::kBytes, kRequired | kKeyPart, Def::kNone},
    {CKA_MODULUS_BITS, Kind::kUlong, kNoCreate | kGenRequired | kComputed, Def::kNone},
    {CKA_PUBLIC_EXPONENT, Kind::kBytes, kRequired, Def::kNone},
};
constexpr Rule kRsaPrivate[] = {
    {CKA_MODULUS, Kind::kBytes, kRequired | kKeyPart, Def::kNone},
    {CKA_PUBLIC_EXPONENT, Kind::kBytes, kKeyPart, Def::kNone},
    {CKA_PRIVATE_EXPONENT, Kind::kBytes, kRequired | kSecretPart, Def::kNone},
    {CKA_PRIME_1, Kind::kBytes, kSecretPart, Def::kNone},
    {CKA_PRIME_2, Kind::kBytes, kSecretPart, Def::kNone},
    {CKA_EXPONENT_1, Kind::kBytes, kSecretPart, Def::kNone},
    {CKA_EXPONENT_2, Kind::kBytes, kSecretPart, Def::kNone},
    {CKA_COEFFICIENT, Kind::kBytes, kSecretPart, Def::kNone},
};
constexpr Rule kEcPublic[] = {
    {CKA_EC_PARAMS, Kind::kBytes, kRequired | kGenRequired, Def::kNone},
    {CKA_EC_POINT, Kind::kBytes, kRequired | kKeyPart, Def::kNone},
};
constexpr Rule kEcPrivate[] = {
    {CKA_EC_PARAMS, Kind::kBytes, kRequired | kKeyPart, Def::kNone},
    {CKA_VALUE, Kind::kBytes, kRequired | kSecretPart, Def::kNone},
};
constexpr Rule kDhPublic[] = {
    {CKA_PRIME, Kind::kBytes, kRequired | kGenRequired, Def::kNone},
    {CKA_BASE, Kind::kBytes, kRequired | kGenRequired, Def::kNone},
    {CKA_VALUE, Kind::kBytes, kRequired | kKeyPart, Def::kNone},
};
constexpr Rule kDhPrivate[] = {
    {CKA_PRIME, Kind::kBytes, kRequired | kKeyPart, Def::kNone},
    {CKA_BASE, Kind::kBytes, kRequired | kKeyPart, Def::kNone},
    {CKA_VALUE, Kind::kBytes, kRequired | kSecretPart, Def::kNone},
    // 2,6: C_GenerateKeyPair may ask for the private value's length.
    {CKA_VALUE_BITS, Kind::kUlong, kNoCreate | kNoUnwrap, Def::kNone},
};
// Secret keys whose length varies (generic, AES, HMAC key types, ChaCha20).
constexpr Rule kSecretValueLen[] = {
    {CKA_VALUE, Kind::kBytes, kRequired | kSecretPart, Def::kNone},
    {CKA_VALUE_LEN, Kind::kUlong, kNoCreate | kComputed | kGenAllowed, Def::kNone},
};
// Secret keys of fixed length (DES3).
constexpr Rule kSecretValue[] = {
    {CKA_VALUE, Kind::kBytes, kRequired | kSecretPart, Def::kNone},
};
// clang-format on

constexpr AttributeType kNoKeyType = CK_UNAVAILABLE_INFORMATION;

// Schema is the rule groups that apply to one class and key type.
struct Schema {
  std::span<const Rule> groups[5];
  size_t n = 0;
  void Add(std::span<const Rule> g) { groups[n++] = g; }
  const Rule* Find(AttributeType type) const {
    for (size_t i = n; i-- > 0;)  // the more specific group wins
      for (const Rule& r : groups[i])
        if (r.type == type) return &r;
    return nullptr;
  }
  template <class F>
  void ForEach(F f) const {
    for (size_t i = 0; i < n; ++i)
      for (const Rule& r : groups[i]) f(r);
  }
  // Size is the number of rules (an upper bound on an object's attributes
  // besides vendor-defined ones).
  size_t Size() const {
    size_t total = 0;
    for (size_t i = 0; i < n; ++i) total += groups[i].size();
    return total;
  }
};

bool IsSecretKeyType(CK_KEY_TYPE kt) {
  switch (kt) {
    case CKK_GENERIC_SECRET:
    case CKK_AES:
    case CKK_DES3:
    case CKK_CHACHA20:
    case CKK_SHA_1_HMAC:
    case CKK_SHA224_HMAC:
    case CKK_SHA256_HMAC:
    case CKK_SHA384_HMAC:
    case CKK_SHA512_HMAC:
    case CKK_HKDF:
      return true;
    default:
      return false;
  }
}

// SchemaFor returns the rules for |cls|/|kt|, or an error for an
// unsupported class, certificate type or key type.
Result<Schema> SchemaFor(CK_OBJECT_CLASS cls, CK_ULONG kt) {
  Schema s;
  s.Add(kCommon);
  switch (cls) {
    case CKO_DATA:
      s.Add(kStorage);
      s.Add(kData);
      return s;
    case CKO_CERTIFICATE:
      if (kt != CKC_X_509) return Fail(Rv::kAttributeValueInvalid);
      s.Add(kStorage);
      s.Add(kCertificate);
      s.Add(kX509);
      return s;
    case CKO_PUBLIC_KEY:
    case CKO_PRIVATE_KEY:
    case CKO_SECRET_KEY:
      break;
    default:
      return Fail(Rv::kAttributeValueInvalid);
  }
  s.Add(kStorage);
  s.Add(kKey);
  const bool pub = cls == CKO_PUBLIC_KEY;
  if (cls == CKO_SECRET_KEY) {
    if (!IsSecretKeyType(kt)) return Fail(Rv::kAttributeValueInvalid);
    s.Add(kSecretKey);
    s.Add(kt == CKK_DES3 ? std::span<const Rule>(kSecretValue)
                         : std::span<const Rule>(kSecretValueLen));
    return s;
  }
  s.Add(pub ? std::span<const Rule>(kPublicKey) : std::span<const Rule>(kPrivateKey));
  switch (kt) {
    case CKK_RSA:
      s.Add(pub ? std::span<const Rule>(kRsaPublic) : std::span<const Rule>(kRsaPrivate));
      return s;
    case CKK_EC:
    case CKK_EC_EDWARDS:
    case CKK_EC_MONTGOMERY:
      s.Add(pub ? std::span<const Rule>(kEcPublic) : std::span<const Rule>(kEcPrivate));
      return s;
    case CKK_DH:
      s.Add(pub ? std::span<const Rule>(kDhPublic) : std::span<const Rule>(kDhPrivate));
      return s;
    default:
      return Fail(Rv::kAttributeValueInvalid);
  }
}

bool IsVendor(AttributeType t) { return (t & CKA_VENDOR_DEFINED) != 0; }

// CheckValue checks the encoding of |a| for |kind|.
Result<> CheckValue(const Attribute& a, Kind kind) {
  const size_t n = a.value().size();
  switch (kind) {
    case Kind::kBool:
      if (n != sizeof(CK_BBOOL) || a.value()[0] > 1) return Fail(Rv::kAttributeValueInvalid);
      return {};
    case Kind::kUlong:
      if (n != sizeof(CK_ULONG)) return Fail(Rv::kAttributeValueInvalid);
      return {};
    case Kind::kDate:
      if (n != 0 && n != sizeof(CK_DATE)) return Fail(Rv::kAttributeValueInvalid);
      for (uint8_t c : a.value())
        if (c < '0' || c > '9') return Fail(Rv::kAttributeValueInvalid);
      return {};
    case Kind::kMechArray:
      if (n % sizeof(CK_MECHANISM_TYPE)) return Fail(Rv::kAttributeValueInvalid);
      return {};
    case Kind::kAttrArray:
      if (!DecodeTemplate(a.value())) return Fail(Rv::kAttributeValueInvalid);
      return {};
    case Kind::kBytes:
      return {};
  }
  return {};
}

std::optional<Attribute> DefaultValue(const Rule& r) {
  switch (r.def) {
    case Def::kNone:
      return std::nullopt;
    case Def::kFalse:
      return Attribute::Bool(r.type, false);
    case Def::kTrue:
      return Attribute::Bool(r.type, true);
    case Def::kEmpty:
      return Attribute(r.type, ByteView());
    case Def::kUnavailable:
      return Attribute::Ulong(r.type, CK_UNAVAILABLE_INFORMATION);
    case Def::kZero:
      return Attribute::Ulong(r.type, 0);
  }
  return std::nullopt;
}

// CheckKeyValue checks key material lengths that the key type fixes.
Result<> CheckKeyValue(CK_OBJECT_CLASS cls, CK_KEY_TYPE kt, const std::vector<Attribute>& attrs) {
  if (cls != CKO_SECRET_KEY) return {};
  const auto it = std::find_if(attrs.begin(), attrs.end(),
                               [](const Attribute& a) { return a.type() == CKA_VALUE; });
  if (it == attrs.end()) return {};
  const size_t n = it->value().size();
  switch (kt) {
    case CKK_AES:
      if (n != 16 && n != 24 && n != 32) return Fail(Rv::kAttributeValueInvalid);
      break;
    case CKK_DES3:
      if (n != 24) return Fail(Rv::kAttributeValueInvalid);
      break;
    case CKK_CHACHA20:
      if (n != 32) return Fail(Rv::kAttributeValueInvalid);
      break;
    default:
      if (n == 0) return Fail(Rv::kAttributeValueInvalid);
  }
  return {};
}

size_t CountBits(ByteView big_endian) {
  size_t i = 0;
  while (i < big_endian.size() && big_endian[i] == 0) ++i;
  if (i == big_endian.size()) return 0;
  size_t bits = (big_endian.size() - i - 1) * 8;
  for (uint8_t b = big_endian[i]; b; b >>= 1) ++bits;
  return bits;
}

}  // namespace

namespace {

// Where CKA_UNIQUE_IDs come from: 64 random bits drawn once per process, then
// a counter. Unique within the process by construction, across processes by
// the random half (a collision needs two loads to draw the same 64 bits); a
// forked child draws its own, as it would otherwise repeat its parent's. One
// RAND_bytes per object cost more than the rest of building the object.
struct UniqueIdSource {
  std::mutex mu;  // held while a prefix is drawn
  std::atomic<bool> stale{true};
  std::atomic<uint64_t> prefix{0};
  std::atomic<uint64_t> next{0};
};

UniqueIdSource& IdSource() {
  static UniqueIdSource* source = [] {
    auto* s = new UniqueIdSource;
    pthread_atfork(nullptr, nullptr, [] { IdSource().stale = true; });
    return s;
  }();
  return *source;
}

}  // namespace

Attribute RandomUniqueId() {
  UniqueIdSource& source = IdSource();
  if (source.stale.load(std::memory_order_acquire)) {
    std::lock_guard lock(source.mu);
    if (source.stale.load(std::memory_order_relaxed)) {
      uint64_t p;
      RAND_bytes(reinterpret_cast<uint8_t*>(&p), sizeof p);
      source.prefix.store(p, std::memory_order_relaxed);
      source.stale.store(false, std::memory_order_release);
    }
  }
  const uint64_t halves[2] = {source.prefix.load(std::memory_order_relaxed),
                              source.next.fetch_add(1, std::memory_order_relaxed)};
  static constexpr char kHex[] = "0123456789abcdef";
  char hex[32];
  for (int h = 0; h < 2; ++h) {
    for (int i = 0; i < 16; ++i) hex[16 * h + i] = kHex[(halves[h] >> (60 - 4 * i)) & 15];
  }
  return Attribute::String(CKA_UNIQUE_ID, std::string_view(hex, sizeof hex));
}

namespace {

std::atomic<KeyImporter> g_key_importer{nullptr};

const Attribute* FindIn(const std::vector<Attribute>& v, AttributeType t) {
  for (const Attribute& a : v)
    if (a.type() == t) return &a;
  return nullptr;
}

// TypeFilter is a 1024-bit summary of a set of attribute types: MayContain
// is false only for a type never added, so a lookup of an absent type (most
// of the schema, when defaults are filled in) skips the linear search.
class TypeFilter {
 public:
  explicit TypeFilter(const std::vector<Attribute>& v) {
    for (const Attribute& a : v) Add(a.type());
  }
  void Add(AttributeType t) { bits_[Slot(t) / 64] |= uint64_t{1} << (Slot(t) % 64); }
  bool MayContain(AttributeType t) const { return (bits_[Slot(t) / 64] >> (Slot(t) % 64)) & 1; }

 private:
  // Standard types are below 0x1000 but for the CKF_ARRAY_ATTRIBUTE bit.
  static size_t Slot(AttributeType t) { return (t ^ (t >> 20)) & 1023; }
  uint64_t bits_[16] = {};
};

// Dedupe removes repeated attributes; repeats must carry the same value.
Result<std::vector<Attribute>> Dedupe(const Template& tmpl) {
  std::vector<Attribute> out;
  out.reserve(tmpl.size());
  for (const Attribute& a : tmpl) {
    if (const Attribute* prev = FindIn(out, a.type())) {
      if (!(*prev == a)) return Fail(Rv::kTemplateInconsistent);
      continue;
    }
    out.push_back(a);
  }
  return out;
}

}  // namespace

Object::Object(uint64_t id, std::vector<Attribute> attrs, SessionHandle owner)
    : id_(id), owner_(owner), attrs_(std::move(attrs)) {
  std::sort(attrs_.begin(), attrs_.end(),
            [](const Attribute& a, const Attribute& b) { return a.type() < b.type(); });
  for (size_t i = 0; i < attrs_.size(); ++i) {
    const Attribute& a = attrs_[i];
    if (a.type() == CKA_VALUE) value_at_ = static_cast<int32_t>(i);
    if (a.type() == CKA_ALLOWED_MECHANISMS) allowed_at_ = static_cast<int32_t>(i);
    const int bit = BoolBit(a.type());
    if (bit < 0) continue;
    if (auto b = a.AsBool()) {
      flags_set_ |= 1u << bit;
      if (*b) flags_true_ |= 1u << bit;
    }
  }
  class_ = Ulong(CKA_CLASS);
  key_type_ = (class_ == CKO_PUBLIC_KEY || class_ == CKO_PRIVATE_KEY || class_ == CKO_SECRET_KEY)
                  ? Ulong(CKA_KEY_TYPE)
                  : CK_UNAVAILABLE_INFORMATION;
  token_ = Bool(CKA_TOKEN);
  private_ = Bool(CKA_PRIVATE);
}

Object::~Object() { delete cache_.load(std::memory_order_acquire); }

int Object::BoolBit(AttributeType t) {
  // CKA_SENSITIVE (0x103) through CKA_DERIVE (0x10C) are contiguous.
  if (t >= CKA_SENSITIVE && t <= CKA_DERIVE) return static_cast<int>(t - CKA_SENSITIVE);
  switch (t) {
    case CKA_TOKEN:
      return 10;
    case CKA_PRIVATE:
      return 11;
    case CKA_EXTRACTABLE:
      return 12;
    case CKA_ALWAYS_AUTHENTICATE:
      return 13;
    case CKA_MODIFIABLE:
      return 14;
    case CKA_COPYABLE:
      return 15;
    default:
      return -1;
  }
}

const Attribute* Object::Find(AttributeType type) const {
  if (type == CKA_VALUE) return value_at_ < 0 ? nullptr : &attrs_[value_at_];
  if (type == CKA_ALLOWED_MECHANISMS) return allowed_at_ < 0 ? nullptr : &attrs_[allowed_at_];
  auto it = std::lower_bound(attrs_.begin(), attrs_.end(), type,
                             [](const Attribute& a, AttributeType t) { return a.type() < t; });
  return it != attrs_.end() && it->type() == type ? &*it : nullptr;
}

bool Object::Bool(AttributeType type, bool otherwise) const {
  if (const int bit = BoolBit(type); bit >= 0) {
    return (flags_set_ >> bit) & 1 ? ((flags_true_ >> bit) & 1) != 0 : otherwise;
  }
  const Attribute* a = Find(type);
  if (a == nullptr) return otherwise;
  return a->AsBool().value_or(otherwise);
}

CK_ULONG Object::Ulong(AttributeType type, CK_ULONG otherwise) const {
  const Attribute* a = Find(type);
  if (a == nullptr) return otherwise;
  return a->AsUlong().value_or(otherwise);
}

bool Object::IsSensitive(AttributeType type) const {
  if (class_ != CKO_PRIVATE_KEY && class_ != CKO_SECRET_KEY) return false;
  if (!Bool(CKA_SENSITIVE) && Bool(CKA_EXTRACTABLE, true)) return false;
  auto schema = SchemaFor(class_, key_type_);
  if (!schema) return false;
  const Rule* r = schema->Find(type);
  return r != nullptr && (r->flags & kSecret);
}

size_t Object::Size() const {
  size_t n = 0;
  for (const Attribute& a : attrs_) n += sizeof(CK_ATTRIBUTE) + a.value().size();
  return n;
}

std::shared_ptr<Object> Object::WithChanges(const Template& changes) const {
  std::vector<Attribute> attrs = attrs_;
  for (const Attribute& c : changes) {
    auto it = std::find_if(attrs.begin(), attrs.end(),
                           [&](const Attribute& a) { return a.type() == c.type(); });
    if (it != attrs.end()) {
      *it = c;
    } else {
      attrs.push_back(c);
    }
  }
  // A key made sensitive stays "not always sensitive" if it ever was not;
  // one made unextractable keeps CKA_NEVER_EXTRACTABLE false. Nothing to do:
  // those attributes only ever go from true to false.
  return std::make_shared<Object>(id_, std::move(attrs), owner_);
}

std::shared_ptr<const KeyCache> Object::SetCache(std::shared_ptr<const KeyCache> c) const {
  if (c == nullptr) return Cache();
  auto* mine = new std::shared_ptr<const KeyCache>(std::move(c));
  const std::shared_ptr<const KeyCache>* expected_null = nullptr;
  if (cache_.compare_exchange_strong(expected_null, mine, std::memory_order_acq_rel)) return *mine;
  delete mine;
  return *expected_null;
}

void SetKeyImporter(KeyImporter importer) { g_key_importer.store(importer); }

bool IsValidAttribute(CK_OBJECT_CLASS cls, CK_KEY_TYPE key_type, AttributeType type) {
  if (IsVendor(type)) return true;
  auto schema = SchemaFor(cls, key_type);
  return schema && schema->Find(type) != nullptr;
}

Result<std::vector<Attribute>> BuildAttributes(const Template& tmpl, const BuildContext& ctx,
                                               const Template& generated,
                                               std::shared_ptr<const KeyCache>* cache) {
  auto deduped = Dedupe(tmpl);
  if (!deduped) return Fail(deduped.error());
  std::vector<Attribute> attrs = std::move(*deduped);

  const Attribute* cls_attr = FindIn(attrs, CKA_CLASS);
  if (cls_attr == nullptr) return Fail(Rv::kTemplateIncomplete);
  const auto cls = cls_attr->AsUlong();
  if (!cls) return Fail(Rv::kAttributeValueInvalid);
  const bool is_key = *cls == CKO_PUBLIC_KEY || *cls == CKO_PRIVATE_KEY || *cls == CKO_SECRET_KEY;
  CK_ULONG subtype = kNoKeyType;
  if (is_key || *cls == CKO_CERTIFICATE) {
    const Attribute* t = FindIn(attrs, is_key ? CKA_KEY_TYPE : CKA_CERTIFICATE_TYPE);
    if (t == nullptr) return Fail(Rv::kTemplateIncomplete);
    auto v = t->AsUlong();
    if (!v) return Fail(Rv::kAttributeValueInvalid);
    subtype = *v;
  }
  auto schema = SchemaFor(*cls, subtype);
  if (!schema) return Fail(schema.error());
  // Room for every attribute the object can end up with (each is a rule of
  // the schema, or vendor-defined), so the defaults below never grow the
  // vector and the object keeps no more than it needs.
  attrs.reserve(schema->Size() + static_cast<size_t>(std::count_if(
                                     attrs.begin(), attrs.end(),
                                     [](const Attribute& a) { return IsVendor(a.type()); })));

  const ObjectOp op = ctx.op;
  for (const Attribute& a : attrs) {
    if (IsVendor(a.type())) continue;
    const Rule* r = schema->Find(a.type());
    if (r == nullptr) return Fail(Rv::kAttributeTypeInvalid);
    CRYPTOKI_TRY(CheckValue(a, r->kind));
    const bool forbidden =
        (r->flags & kComputed) || (op == ObjectOp::kCreate && (r->flags & kNoCreate)) ||
        ((op == ObjectOp::kGenerate || op == ObjectOp::kDerive) && (r->flags & kNoGenerate)) ||
        (op == ObjectOp::kUnwrap && (r->flags & kNoUnwrap));
    // CKA_MODULUS_BITS is how a caller asks for an RSA key's size.
    const bool asked = (op == ObjectOp::kGenerate && (r->flags & kGenRequired)) ||
                       (op != ObjectOp::kCreate && (r->flags & kGenAllowed));
    if (forbidden && !asked) return Fail(Rv::kAttributeReadOnly);
    if ((r->flags & kSoOnlyTrue) && a.AsBool().value_or(false) && !ctx.is_so) {
      return Fail(Rv::kAttributeReadOnly);
    }
  }
  auto merge = [&attrs](const Template& values) {
    for (const Attribute& g : values) {
      if (Attribute* prev = const_cast<Attribute*>(FindIn(attrs, g.type()))) {
        *prev = g;
      } else {
        attrs.push_back(g);
      }
    }
  };
  merge(generated);
  // Key material given by the caller: the mechanism layer checks it and
  // computes what follows from it, before the required parts are counted
  // (a public key's CKA_PUBLIC_KEY_INFO may supply them).
  if (op == ObjectOp::kCreate && (*cls == CKO_PUBLIC_KEY || *cls == CKO_PRIVATE_KEY)) {
    if (const KeyImporter import = g_key_importer.load()) {
      auto imported = import(*cls, subtype, attrs);
      if (!imported) return Fail(imported.error());
      merge(imported->computed);
      if (cache != nullptr) *cache = std::move(imported->cache);
    }
  }

  // Required attributes, then defaults.
  Result<> missing;
  TypeFilter present(attrs);
  schema->ForEach([&](const Rule& r) {
    if (!missing || (present.MayContain(r.type) && FindIn(attrs, r.type) != nullptr)) return;
    const bool required = (op == ObjectOp::kCreate && (r.flags & kRequired)) ||
                          (op == ObjectOp::kGenerate && (r.flags & kGenRequired));
    if (required) {
      missing = Fail(Rv::kTemplateIncomplete);
      return;
    }
    if (auto d = DefaultValue(r)) {
      present.Add(r.type);
      attrs.push_back(std::move(*d));
    }
  });
  if (!missing) return Fail(missing.error());

  if (FindIn(attrs, CKA_PRIVATE) == nullptr) {
    attrs.push_back(
        Attribute::Bool(CKA_PRIVATE, *cls == CKO_PRIVATE_KEY || *cls == CKO_SECRET_KEY));
  }
  if (*cls != CKO_DATA) attrs.push_back(RandomUniqueId());

  if (is_key) {
    const bool local = op == ObjectOp::kGenerate;
    auto set = [&](AttributeType t, Attribute v) {
      if (Attribute* p = const_cast<Attribute*>(FindIn(attrs, t))) {
        *p = std::move(v);
      } else {
        attrs.push_back(std::move(v));
      }
    };
    set(CKA_LOCAL, Attribute::Bool(CKA_LOCAL, local));
    if (op == ObjectOp::kGenerate || op == ObjectOp::kDerive) {
      set(CKA_KEY_GEN_MECHANISM, Attribute::Ulong(CKA_KEY_GEN_MECHANISM, ctx.mechanism));
    }
    if (*cls != CKO_PUBLIC_KEY) {
      const bool sensitive = FindIn(attrs, CKA_SENSITIVE)->AsBool().value_or(false);
      const bool extractable = FindIn(attrs, CKA_EXTRACTABLE)->AsBool().value_or(true);
      bool always_sensitive = false, never_extractable = false;
      if (op == ObjectOp::kGenerate) {
        always_sensitive = sensitive;
        never_extractable = !extractable;
      } else if (op == ObjectOp::kDerive) {
        always_sensitive = sensitive && ctx.base_always_sensitive;
        never_extractable = !extractable && ctx.base_never_extractable;
      }
      set(CKA_ALWAYS_SENSITIVE, Attribute::Bool(CKA_ALWAYS_SENSITIVE, always_sensitive));
      set(CKA_NEVER_EXTRACTABLE, Attribute::Bool(CKA_NEVER_EXTRACTABLE, never_extractable));
    }
    // Computed sizes.
    if (*cls == CKO_SECRET_KEY && subtype != CKK_DES3) {
      if (const Attribute* v = FindIn(attrs, CKA_VALUE)) {
        set(CKA_VALUE_LEN, Attribute::Ulong(CKA_VALUE_LEN, v->value().size()));
      }
    }
    if (subtype == CKK_RSA && *cls == CKO_PUBLIC_KEY) {
      if (const Attribute* m = FindIn(attrs, CKA_MODULUS)) {
        set(CKA_MODULUS_BITS, Attribute::Ulong(CKA_MODULUS_BITS, CountBits(m->value())));
      }
    }
    if (subtype == CKK_DH && *cls == CKO_PRIVATE_KEY) {
      if (const Attribute* v = FindIn(attrs, CKA_VALUE)) {
        set(CKA_VALUE_BITS, Attribute::Ulong(CKA_VALUE_BITS, CountBits(v->value())));
      }
    }
    CRYPTOKI_TRY(CheckKeyValue(*cls, subtype, attrs));
  }
  return attrs;
}

Result<> CheckChanges(const Object& obj, const Template& changes, ObjectOp op, bool is_so) {
  if (op == ObjectOp::kCopy && !obj.Bool(CKA_COPYABLE, true)) return Fail(Rv::kActionProhibited);
  const bool modifiable = obj.Bool(CKA_MODIFIABLE, true);
  if (op == ObjectOp::kSet && !modifiable) return Fail(Rv::kActionProhibited);
  auto schema = SchemaFor(obj.object_class(), obj.object_class() == CKO_CERTIFICATE
                                                  ? obj.Ulong(CKA_CERTIFICATE_TYPE)
                                                  : obj.key_type());
  if (!schema) return Fail(Rv::kGeneralError);
  auto deduped = Dedupe(changes);
  if (!deduped) return Fail(deduped.error());
  for (const Attribute& a : *deduped) {
    if (IsVendor(a.type())) {
      if (!modifiable) return Fail(Rv::kAttributeReadOnly);
      continue;
    }
    const Rule* r = schema->Find(a.type());
    if (r == nullptr) return Fail(Rv::kAttributeTypeInvalid);
    CRYPTOKI_TRY(CheckValue(a, r->kind));
    const Attribute* cur = obj.Find(a.type());
    if (cur != nullptr && *cur == a) continue;  // no change
    const bool by_copy = op == ObjectOp::kCopy && (r->flags & kCopyOnly);
    const bool by_modify = (r->flags & kModifiable) && modifiable;
    const bool so_trust = (r->flags & kSoOnlyTrue) && is_so && modifiable;
    if (!by_copy && !by_modify && !so_trust) return Fail(Rv::kAttributeReadOnly);
    const bool now = cur != nullptr && cur->AsBool().value_or(false);
    const bool next = a.AsBool().value_or(false);
    if ((r->flags & kStickyTrue) && now && !next) return Fail(Rv::kAttributeReadOnly);
    if ((r->flags & kStickyFalse) && cur != nullptr && !now && next) {
      return Fail(Rv::kAttributeReadOnly);
    }
    if ((r->flags & kSoOnlyTrue) && next && !is_so) return Fail(Rv::kAttributeReadOnly);
  }
  return {};
}

}  // namespace cryptoki
