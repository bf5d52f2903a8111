#include "cryptoki_c/attributes.h"

#include <cstring>

namespace cryptoki::c {
namespace {

bool IsArray(CK_ATTRIBUTE_TYPE type) { return (type & CKF_ARRAY_ATTRIBUTE) != 0; }

enum Failure : unsigned { kSensitive = 1, kTypeInvalid = 2, kTooSmall = 4 };

// FillArray answers a get of an attribute array into the caller's nested
// CK_ATTRIBUTE array |a|.
unsigned FillArray(ByteView stored, CK_ATTRIBUTE& a) {
  // The byte form is the core's (attribute.h, EncodeTemplate).
  std::optional<Template> decoded = DecodeTemplate(stored);
  if (!decoded) {
    a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
    return kTypeInvalid;
  }
  const std::vector<Attribute>& records = decoded->attributes();
  const CK_ULONG need = records.size() * sizeof(CK_ATTRIBUTE);
  if (a.pValue == nullptr) {
    a.ulValueLen = need;
    return 0;
  }
  if (a.ulValueLen < need) {
    a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
    return kTooSmall;
  }
  unsigned failures = 0;
  auto* nested = static_cast<CK_ATTRIBUTE*>(a.pValue);
  for (size_t i = 0; i < records.size(); ++i) {
    CK_ATTRIBUTE& n = nested[i];
    const ByteView value = records[i].value();
    n.type = records[i].type();
    if (n.pValue == nullptr) {
      n.ulValueLen = value.size();
    } else if (n.ulValueLen < value.size()) {
      n.ulValueLen = CK_UNAVAILABLE_INFORMATION;
      failures |= kTooSmall;
    } else {
      if (!value.empty()) memcpy(n.pValue, value.data(), value.size());
      n.ulValueLen = value.size();
    }
  }
  a.ulValueLen = need;
  return failures;
}

}  // namespace

CK_RV EncodeAttributeArray(const CK_ATTRIBUTE* attrs, CK_ULONG count, SecretBytes& out) {
  if (attrs == nullptr && count > 0) return CKR_ATTRIBUTE_VALUE_INVALID;
  Template nested;
  for (CK_ULONG i = 0; i < count; ++i) {
    const CK_ATTRIBUTE& a = attrs[i];
    if (IsArray(a.type)) return CKR_ATTRIBUTE_VALUE_INVALID;
    if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION) return CKR_ATTRIBUTE_VALUE_INVALID;
    if (a.pValue == nullptr && a.ulValueLen > 0) return CKR_ATTRIBUTE_VALUE_INVALID;
    nested.Add(Attribute(a.type, ByteView(static_cast<const uint8_t*>(a.pValue), a.ulValueLen)));
  }
  out = EncodeTemplate(nested);
  return CKR_OK;
}

CK_RV ToTemplate(const CK_ATTRIBUTE* attrs, CK_ULONG count, Template& out) {
  if (attrs == nullptr && count > 0) return CKR_ARGUMENTS_BAD;
  for (CK_ULONG i = 0; i < count; ++i) {
    const CK_ATTRIBUTE& a = attrs[i];
    if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION) return CKR_ARGUMENTS_BAD;
    if (a.pValue == nullptr && a.ulValueLen > 0) return CKR_ARGUMENTS_BAD;
    if (IsArray(a.type)) {
      if (a.ulValueLen % sizeof(CK_ATTRIBUTE) != 0) return CKR_ATTRIBUTE_VALUE_INVALID;
      SecretBytes encoded;
      CK_RV rv = EncodeAttributeArray(static_cast<const CK_ATTRIBUTE*>(a.pValue),
                                      a.ulValueLen / sizeof(CK_ATTRIBUTE), encoded);
      if (rv != CKR_OK) return rv;
      out.Add(Attribute(a.type, std::move(encoded)));
      continue;
    }
    out.Add(Attribute(a.type, ByteView(static_cast<const uint8_t*>(a.pValue), a.ulValueLen)));
  }
  return CKR_OK;
}

CK_RV GetAttributeValues(const Object& obj, CK_ATTRIBUTE* tmpl, CK_ULONG count) {
  unsigned failures = 0;
  for (CK_ULONG i = 0; i < count; ++i) {
    CK_ATTRIBUTE& a = tmpl[i];
    if (obj.IsSensitive(a.type)) {
      a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
      failures |= kSensitive;
      continue;
    }
    const Attribute* found = obj.Find(a.type);
    if (found == nullptr) {
      a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
      failures |= kTypeInvalid;
      continue;
    }
    if (IsArray(a.type)) {
      failures |= FillArray(found->value(), a);
      continue;
    }
    const ByteView v = found->value();
    if (a.pValue == nullptr) {
      a.ulValueLen = v.size();
    } else if (a.ulValueLen < v.size()) {
      a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
      failures |= kTooSmall;
    } else {
      if (!v.empty()) memcpy(a.pValue, v.data(), v.size());
      a.ulValueLen = v.size();
    }
  }
  if (failures & kSensitive) return CKR_ATTRIBUTE_SENSITIVE;
  if (failures & kTypeInvalid) return CKR_ATTRIBUTE_TYPE_INVALID;
  if (failures & kTooSmall) return CKR_BUFFER_TOO_SMALL;
  return CKR_OK;
}

void Pad(std::string_view s, CK_UTF8CHAR* dst, size_t n) {
  memset(dst, ' ', n);
  size_t len = std::min(s.size(), n);
  // Never cut a UTF-8 sequence: back up over continuation bytes.
  if (len < s.size()) {
    while (len > 0 && (static_cast<unsigned char>(s[len]) & 0xC0) == 0x80) --len;
  }
  memcpy(dst, s.data(), len);
}

std::string_view Unpad(const CK_UTF8CHAR* src, size_t n) {
  size_t len = n;
  while (len > 0 && (src[len - 1] == ' ' || src[len - 1] == '\0')) --len;
  // A NUL inside ends the string too (some clients pass C strings).
  const auto* p = reinterpret_cast<const char*>(src);
  const void* nul = memchr(p, '\0', len);
  if (nul != nullptr) len = static_cast<const char*>(nul) - p;
  return std::string_view(p, len);
}

}  // namespace cryptoki::c
