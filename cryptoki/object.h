// object.h: Object, one PKCS#11 object, and the per-class attribute rules.
//
// An Object never changes once built: C_SetAttributeValue builds a new one and
// swaps it into the token's table. Operations therefore hold a
// shared_ptr<const Object> and run without any token lock.
#ifndef CRYPTOKI_OBJECT_H_
#define CRYPTOKI_OBJECT_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "cryptoki/attribute.h"
#include "cryptoki/rv.h"

namespace cryptoki {

// ObjectHandle is a CK_OBJECT_HANDLE as a strong type. Handles are never 0
// and never reused while the Library lives.
class ObjectHandle {
 public:
  constexpr ObjectHandle() = default;
  constexpr explicit ObjectHandle(CK_OBJECT_HANDLE v) : v_(v) {}
  constexpr CK_OBJECT_HANDLE value() const { return v_; }
  constexpr bool valid() const { return v_ != CK_INVALID_HANDLE; }
  friend constexpr bool operator==(ObjectHandle, ObjectHandle) = default;
  friend constexpr auto operator<=>(ObjectHandle, ObjectHandle) = default;
  template <typename H>
  friend H AbslHashValue(H h, ObjectHandle o) {
    return H::combine(std::move(h), o.v_);
  }

 private:
  CK_OBJECT_HANDLE v_ = CK_INVALID_HANDLE;
};

// SessionHandle is a CK_SESSION_HANDLE as a strong type.
using SessionHandle = CK_SESSION_HANDLE;

// ObjectOp says how an object comes to be, or how it is being changed; the
// attribute rules differ per operation.
enum class ObjectOp { kCreate, kGenerate, kUnwrap, kDerive, kCopy, kSet };

// KeyCache is what a mechanism keeps with a key object (a parsed BoringSSL
// key, an AES schedule...). Mechanisms derive from it.
class KeyCache {
 public:
  virtual ~KeyCache() = default;
};

class Object {
 public:
  // Object takes |attrs| (any order; duplicates are not allowed) as validated
  // by BuildAttributes. |owner| is the session that created a session object,
  // 0 for a token object.
  Object(uint64_t id, std::vector<Attribute> attrs, SessionHandle owner);

  uint64_t id() const { return id_; }
  SessionHandle owner() const { return owner_; }
  CK_OBJECT_CLASS object_class() const { return class_; }
  // key_type is CK_UNAVAILABLE_INFORMATION for objects that are not keys.
  CK_KEY_TYPE key_type() const { return key_type_; }
  bool is_token() const { return token_; }
  bool is_private() const { return private_; }

  // Find returns the attribute of |type|, or nullptr.
  const Attribute* Find(AttributeType type) const;
  // Bool returns a CK_BBOOL attribute, |otherwise| if absent.
  bool Bool(AttributeType type, bool otherwise = false) const;
  // Ulong returns a CK_ULONG attribute, |otherwise| if absent.
  CK_ULONG Ulong(AttributeType type, CK_ULONG otherwise = CK_UNAVAILABLE_INFORMATION) const;
  const std::vector<Attribute>& attributes() const { return attrs_; }

  // IsSensitive says whether |type| must not be revealed: a secret part of
  // a key that is sensitive or unextractable.
  bool IsSensitive(AttributeType type) const;

  // Size is what C_GetObjectSize reports: the bytes of all values.
  size_t Size() const;

  // WithChanges returns a copy with |changes| applied (already validated).
  std::shared_ptr<Object> WithChanges(const Template& changes) const;

  // Cache returns the mechanism cache (nullptr if none yet); SetCache stores
  // one. Both are safe from any thread; the first stored cache wins and stays
  // for the object's life. CacheView is Cache without taking a reference:
  // one plain load (no atomic read-modify-write, so threads using the same
  // key do not fight over a cache line); the pointer is valid while the
  // object lives.
  std::shared_ptr<const KeyCache> Cache() const {
    const auto* held = cache_.load(std::memory_order_acquire);
    return held ? *held : nullptr;
  }
  const KeyCache* CacheView() const {
    const auto* held = cache_.load(std::memory_order_acquire);
    return held ? held->get() : nullptr;
  }
  std::shared_ptr<const KeyCache> SetCache(std::shared_ptr<const KeyCache> c) const;

  Object(const Object&) = delete;
  Object& operator=(const Object&) = delete;
  ~Object();

 private:
  uint64_t id_;
  SessionHandle owner_;
  // The boolean attributes every operation asks about, read once: bit
  // BoolBit(t) of flags_set_ says t is present as a CK_BBOOL, of flags_true_
  // that it is true. Find keeps the positions of CKA_VALUE and
  // CKA_ALLOWED_MECHANISMS (asked for by every key operation) for the same
  // reason.
  static int BoolBit(AttributeType t);

  std::vector<Attribute> attrs_;  // sorted by type
  CK_OBJECT_CLASS class_;
  CK_KEY_TYPE key_type_;
  bool token_;
  bool private_;
  uint16_t flags_set_ = 0;
  uint16_t flags_true_ = 0;
  int32_t value_at_ = -1;    // index of CKA_VALUE in attrs_, -1 if absent
  int32_t allowed_at_ = -1;  // index of CKA_ALLOWED_MECHANISMS, -1 if absent
  // The cache's owner, set once (compare-and-swap from null), deleted with
  // the object.
  mutable std::atomic<const std::shared_ptr<const KeyCache>*> cache_{nullptr};
};

// BuildContext says who builds an object and how.
struct BuildContext {
  ObjectOp op = ObjectOp::kCreate;
  bool is_so = false;
  // For kGenerate / kDerive: the mechanism, recorded as CKA_KEY_GEN_MECHANISM.
  CK_MECHANISM_TYPE mechanism = CK_UNAVAILABLE_INFORMATION;
  // For kDerive: the base key's CKA_ALWAYS_SENSITIVE / CKA_NEVER_EXTRACTABLE.
  bool base_always_sensitive = false;
  bool base_never_extractable = false;
};

// KeyImport is what the mechanism layer makes of the key material of a
// public or private key object created with C_CreateObject: the attributes
// it computes (added to the object, or replacing the template's value:
// CKA_PUBLIC_KEY_INFO, a public key's parts taken from its
// CKA_PUBLIC_KEY_INFO, CKA_EC_POINT in DER) and the parsed key, which
// primes the new object's Cache.
struct KeyImport {
  Template computed;
  std::shared_ptr<const KeyCache> cache;
};

// KeyImporter checks the key material of |attrs|, the deduplicated template
// of a CKO_PUBLIC_KEY or CKO_PRIVATE_KEY object of |key_type| whose
// attributes passed the rules: kTemplateIncomplete (a part the key needs is
// missing), kAttributeValueInvalid (a malformed or contradictory value),
// kCurveNotSupported, kDomainParamsInvalid, kTemplateInconsistent. The
// mechanism layer installs one when it is loaded (as it installs the
// session's OperationRestorer); without it key material is stored unchecked.
using KeyImporter = Result<KeyImport> (*)(CK_OBJECT_CLASS cls, CK_KEY_TYPE key_type,
                                          const std::vector<Attribute>& attrs);
void SetKeyImporter(KeyImporter importer);

// RandomUniqueId returns a fresh CKA_UNIQUE_ID: 32 hex digits, never repeated
// (a random per-process half and a counter; see object.cc).
Attribute RandomUniqueId();

// BuildAttributes checks |tmpl| against the attribute rules of its class and
// key type for |ctx.op|, and returns the object's full attribute list: the
// template plus every default and every attribute the token computes.
// |generated| holds values a mechanism produced (a key's CKA_VALUE, ...);
// they bypass the "must not be specified" rules. For op kCreate of a public
// or private key the installed KeyImporter checks the key material and adds
// what it computes; its parsed key is stored in |*cache| (if not null).
// Errors (and the KeyImporter's):
// kTemplateIncomplete (CKA_CLASS, CKA_KEY_TYPE or a required attribute
// missing), kTemplateInconsistent (an attribute given twice with different
// values, or values that contradict each other), kAttributeTypeInvalid (an
// attribute the class does not have), kAttributeValueInvalid (a malformed
// value, unsupported class or key type), kAttributeReadOnly (an attribute the
// operation may not set).
Result<std::vector<Attribute>> BuildAttributes(const Template& tmpl, const BuildContext& ctx,
                                               const Template& generated = {},
                                               std::shared_ptr<const KeyCache>* cache = nullptr);

// CheckChanges checks |changes| to |obj| for C_SetAttributeValue (op kSet)
// or C_CopyObject (op kCopy): kActionProhibited (object not modifiable or not
// copyable), kAttributeReadOnly (attribute not changeable, or a one-way
// attribute turned back, or CKA_TRUSTED set by a non-SO),
// kAttributeTypeInvalid, kAttributeValueInvalid, kTemplateInconsistent.
Result<> CheckChanges(const Object& obj, const Template& changes, ObjectOp op, bool is_so);

// IsValidAttribute says whether |type| belongs to objects of |cls|/|key_type|.
bool IsValidAttribute(CK_OBJECT_CLASS cls, CK_KEY_TYPE key_type, AttributeType type);

}  // namespace cryptoki

#endif  // CRYPTOKI_OBJECT_H_
