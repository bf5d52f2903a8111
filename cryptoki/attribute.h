// attribute.h: attributes and templates, raw and typed.
//
//   Template t{attr::Class{CKO_DATA}, attr::Token{true}, attr::Label{"notes"},
//              attr::Value{Bytes{1, 2, 3}}};
//   Template v{Attribute(CKA_VENDOR_DEFINED | 7, raw_bytes)};  // escape hatch
#ifndef CRYPTOKI_ATTRIBUTE_H_
#define CRYPTOKI_ATTRIBUTE_H_

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cryptoki/bytes.h"
#include "pkcs11.h"

namespace cryptoki {

using AttributeType = CK_ATTRIBUTE_TYPE;

// Attribute is one (type, value) pair; the value is the attribute's ABI
// encoding (CK_BBOOL as one byte, CK_ULONG in host order, strings unpadded).
// Values of up to kInline bytes (flags, numbers, most labels and IDs, AES-128
// keys) live inside the Attribute; longer ones in one heap block. Either way
// the bytes are wiped when the Attribute is destroyed or assigned over. A
// value() view stays valid while the Attribute lives and is not moved.
class Attribute {
 public:
  static constexpr size_t kInline = 24;

  Attribute(AttributeType type, ByteView value) : type_(type) { Assign(value); }
  Attribute(AttributeType type, const SecretBytes& value) : type_(type) { Assign(value); }
  Attribute(const Attribute& o) : type_(o.type_) { Assign(o.value()); }
  Attribute(Attribute&& o) noexcept : type_(o.type_) { Take(o); }
  Attribute& operator=(const Attribute& o) {
    if (this != &o) {
      Release();
      type_ = o.type_;
      Assign(o.value());
    }
    return *this;
  }
  Attribute& operator=(Attribute&& o) noexcept {
    if (this != &o) {
      Release();
      type_ = o.type_;
      Take(o);
    }
    return *this;
  }
  ~Attribute() { Release(); }

  static Attribute Bool(AttributeType type, bool v) {
    const CK_BBOOL b = v ? CK_TRUE : CK_FALSE;
    return Attribute(type, ByteView(&b, 1));
  }
  static Attribute Ulong(AttributeType type, CK_ULONG v) {
    return Attribute(type, ByteView(reinterpret_cast<const uint8_t*>(&v), sizeof v));
  }
  static Attribute String(AttributeType type, std::string_view v) {
    return Attribute(type, AsBytes(v));
  }

  AttributeType type() const { return type_; }
  ByteView value() const { return ByteView(data(), size_); }

  // AsBool returns the value as a CK_BBOOL, or nullopt if it is not one byte.
  std::optional<bool> AsBool() const {
    if (size_ != sizeof(CK_BBOOL)) return std::nullopt;
    return data()[0] != CK_FALSE;
  }
  // AsUlong returns the value as a CK_ULONG, or nullopt on a length mismatch.
  std::optional<CK_ULONG> AsUlong() const {
    if (size_ != sizeof(CK_ULONG)) return std::nullopt;
    CK_ULONG v;
    memcpy(&v, data(), sizeof v);
    return v;
  }
  std::string AsString() const { return std::string(AsStringView(value())); }

  friend bool operator==(const Attribute& a, const Attribute& b) {
    return a.type_ == b.type_ && Equal(a.value(), b.value());
  }

 private:
  bool on_heap() const { return size_ > kInline; }
  const uint8_t* data() const { return on_heap() ? heap_ : inline_; }
  void Assign(ByteView v) {
    size_ = v.size();
    uint8_t* p = inline_;
    if (on_heap()) p = heap_ = new uint8_t[size_];
    if (size_ != 0) memcpy(p, v.data(), size_);
  }
  // Take moves |o|'s value here and leaves |o| empty (its inline bytes wiped).
  // The whole inline area is copied and wiped at its fixed size, whatever the
  // value's length: a few stores the compiler inlines, where a copy and wipe
  // of size_ bytes cost two library calls per move (objects move their
  // attributes many times while they are built and sorted).
  void Take(Attribute& o) noexcept {
    size_ = o.size_;
    memcpy(inline_, o.inline_, kInline);  // the inline bytes, or the heap pointer
    WipeInline(o);
    o.size_ = 0;
  }
  void Release() noexcept {
    if (on_heap()) {
      explicit_bzero(heap_, size_);
      delete[] heap_;
    }
    WipeInline(*this);
    size_ = 0;
  }
  // WipeInline zeroes |a|'s inline area; the empty asm tells the compiler the
  // zeroes are read, so it cannot drop the stores as dead.
  static void WipeInline(Attribute& a) noexcept {
    memset(a.inline_, 0, kInline);
    asm volatile("" : : "r"(a.inline_) : "memory");
  }

  AttributeType type_;
  size_t size_ = 0;
  union {
    uint8_t inline_[kInline] = {};  // zeroed: Take copies all of it
    uint8_t* heap_;
  };
};

// Template is an ordered list of attributes, as passed to C_CreateObject.
class Template {
 public:
  Template() = default;
  Template(std::initializer_list<Attribute> attrs) : attrs_(attrs) {}
  explicit Template(std::vector<Attribute> attrs) : attrs_(std::move(attrs)) {}

  Template& Add(Attribute a) {
    attrs_.push_back(std::move(a));
    return *this;
  }
  // Find returns the first attribute of |type|, or nullptr.
  const Attribute* Find(AttributeType type) const {
    for (const Attribute& a : attrs_)
      if (a.type() == type) return &a;
    return nullptr;
  }
  size_t size() const { return attrs_.size(); }
  bool empty() const { return attrs_.empty(); }
  auto begin() const { return attrs_.begin(); }
  auto end() const { return attrs_.end(); }
  const std::vector<Attribute>& attributes() const { return attrs_; }

 private:
  std::vector<Attribute> attrs_;
};

// EncodeTemplate returns the byte form in which the core keeps an
// attribute-array attribute (CKA_WRAP_TEMPLATE, CKA_UNWRAP_TEMPLATE,
// CKA_DERIVE_TEMPLATE): per attribute, CK_ULONG type, CK_ULONG length and the
// value, in host byte order with no padding.
inline SecretBytes EncodeTemplate(const Template& t) {
  SecretBytes out;
  for (const Attribute& a : t) {
    const CK_ULONG head[2] = {a.type(), a.value().size()};
    const auto* h = reinterpret_cast<const uint8_t*>(head);
    out.insert(out.end(), h, h + sizeof head);
    out.insert(out.end(), a.value().begin(), a.value().end());
  }
  return out;
}

// DecodeTemplate parses EncodeTemplate's form; nullopt if malformed.
inline std::optional<Template> DecodeTemplate(ByteView b) {
  Template t;
  while (!b.empty()) {
    CK_ULONG head[2];
    if (b.size() < sizeof head) return std::nullopt;
    memcpy(head, b.data(), sizeof head);
    b = b.subspan(sizeof head);
    if (b.size() < head[1]) return std::nullopt;
    t.Add(Attribute(head[0], b.first(head[1])));
    b = b.subspan(head[1]);
  }
  return t;
}

// Typed attributes. Each converts to an Attribute and decodes a value back
// (Session::Get<attr::Label>(handle) returns a std::string).
namespace attr {

template <AttributeType T>
struct BoolAttr {
  static constexpr AttributeType kType = T;
  using value_type = bool;
  bool value;
  operator Attribute() const { return Attribute::Bool(T, value); }
  static std::optional<bool> Decode(const Attribute& a) { return a.AsBool(); }
};

template <AttributeType T>
struct UlongAttr {
  static constexpr AttributeType kType = T;
  using value_type = CK_ULONG;
  CK_ULONG value;
  operator Attribute() const { return Attribute::Ulong(T, value); }
  static std::optional<CK_ULONG> Decode(const Attribute& a) { return a.AsUlong(); }
};

template <AttributeType T>
struct StringAttr {
  static constexpr AttributeType kType = T;
  using value_type = std::string;
  std::string value;
  operator Attribute() const { return Attribute::String(T, value); }
  static std::optional<std::string> Decode(const Attribute& a) { return a.AsString(); }
};

template <AttributeType T>
struct BytesAttr {
  static constexpr AttributeType kType = T;
  using value_type = Bytes;
  Bytes value;
  operator Attribute() const { return Attribute(T, ByteView(value)); }
  static std::optional<Bytes> Decode(const Attribute& a) {
    return Bytes(a.value().begin(), a.value().end());
  }
};

using Class = UlongAttr<CKA_CLASS>;
using KeyType = UlongAttr<CKA_KEY_TYPE>;
using CertificateType = UlongAttr<CKA_CERTIFICATE_TYPE>;
using CertificateCategory = UlongAttr<CKA_CERTIFICATE_CATEGORY>;
using ValueLen = UlongAttr<CKA_VALUE_LEN>;
using ModulusBits = UlongAttr<CKA_MODULUS_BITS>;
using KeyGenMechanism = UlongAttr<CKA_KEY_GEN_MECHANISM>;

using Token = BoolAttr<CKA_TOKEN>;
using Private = BoolAttr<CKA_PRIVATE>;
using Modifiable = BoolAttr<CKA_MODIFIABLE>;
using Copyable = BoolAttr<CKA_COPYABLE>;
using Destroyable = BoolAttr<CKA_DESTROYABLE>;
using Sensitive = BoolAttr<CKA_SENSITIVE>;
using Extractable = BoolAttr<CKA_EXTRACTABLE>;
using AlwaysSensitive = BoolAttr<CKA_ALWAYS_SENSITIVE>;
using NeverExtractable = BoolAttr<CKA_NEVER_EXTRACTABLE>;
using Local = BoolAttr<CKA_LOCAL>;
using Encrypt = BoolAttr<CKA_ENCRYPT>;
using Decrypt = BoolAttr<CKA_DECRYPT>;
using Sign = BoolAttr<CKA_SIGN>;
using Verify = BoolAttr<CKA_VERIFY>;
using SignRecover = BoolAttr<CKA_SIGN_RECOVER>;
using VerifyRecover = BoolAttr<CKA_VERIFY_RECOVER>;
using Wrap = BoolAttr<CKA_WRAP>;
using Unwrap = BoolAttr<CKA_UNWRAP>;
using Derive = BoolAttr<CKA_DERIVE>;
using Trusted = BoolAttr<CKA_TRUSTED>;
using WrapWithTrusted = BoolAttr<CKA_WRAP_WITH_TRUSTED>;
using AlwaysAuthenticate = BoolAttr<CKA_ALWAYS_AUTHENTICATE>;

using Label = StringAttr<CKA_LABEL>;
using Application = StringAttr<CKA_APPLICATION>;
using Url = StringAttr<CKA_URL>;
using UniqueId = StringAttr<CKA_UNIQUE_ID>;

using Id = BytesAttr<CKA_ID>;
using Value = BytesAttr<CKA_VALUE>;
using ObjectId = BytesAttr<CKA_OBJECT_ID>;
using Subject = BytesAttr<CKA_SUBJECT>;
using Issuer = BytesAttr<CKA_ISSUER>;
using SerialNumber = BytesAttr<CKA_SERIAL_NUMBER>;
using Modulus = BytesAttr<CKA_MODULUS>;
using PublicExponent = BytesAttr<CKA_PUBLIC_EXPONENT>;
using PrivateExponent = BytesAttr<CKA_PRIVATE_EXPONENT>;
using EcParams = BytesAttr<CKA_EC_PARAMS>;
using EcPoint = BytesAttr<CKA_EC_POINT>;
using PublicKeyInfo = BytesAttr<CKA_PUBLIC_KEY_INFO>;
using CheckValue = BytesAttr<CKA_CHECK_VALUE>;

// AllowedMechanisms encodes a CK_MECHANISM_TYPE array.
struct AllowedMechanisms {
  static constexpr AttributeType kType = CKA_ALLOWED_MECHANISMS;
  using value_type = std::vector<CK_MECHANISM_TYPE>;
  std::vector<CK_MECHANISM_TYPE> value;
  operator Attribute() const {
    return Attribute(kType, ByteView(reinterpret_cast<const uint8_t*>(value.data()),
                                     value.size() * sizeof(CK_MECHANISM_TYPE)));
  }
  static std::optional<value_type> Decode(const Attribute& a) {
    if (a.value().size() % sizeof(CK_MECHANISM_TYPE)) return std::nullopt;
    value_type v(a.value().size() / sizeof(CK_MECHANISM_TYPE));
    if (!v.empty()) memcpy(v.data(), a.value().data(), a.value().size());
    return v;
  }
};

// TemplateAttr is an attribute-array attribute holding a Template.
template <AttributeType T>
struct TemplateAttr {
  static constexpr AttributeType kType = T;
  using value_type = Template;
  Template value;
  operator Attribute() const { return Attribute(T, EncodeTemplate(value)); }
  static std::optional<Template> Decode(const Attribute& a) { return DecodeTemplate(a.value()); }
};

using WrapTemplate = TemplateAttr<CKA_WRAP_TEMPLATE>;
using UnwrapTemplate = TemplateAttr<CKA_UNWRAP_TEMPLATE>;
using DeriveTemplate = TemplateAttr<CKA_DERIVE_TEMPLATE>;

}  // namespace attr
}  // namespace cryptoki

#endif  // CRYPTOKI_ATTRIBUTE_H_
