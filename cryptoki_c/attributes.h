// attributes.h: the C adapter's attribute conversions: CK_ATTRIBUTE arrays in
// (templates) and out (C_GetAttributeValue), and fixed-width blank-padded
// strings.
//
// Attribute arrays (CKA_WRAP_TEMPLATE, CKA_UNWRAP_TEMPLATE,
// CKA_DERIVE_TEMPLATE: every type with CKF_ARRAY_ATTRIBUTE) hold nested
// CK_ATTRIBUTEs in C. The core keeps them as one byte value, the
// concatenation of one record per nested attribute:
//
//   CK_ULONG type | CK_ULONG length | length bytes of value
//
// (host byte order, no padding: the core's EncodeTemplate/DecodeTemplate in
// cryptoki/attribute.h). Nested arrays inside an array are refused.
#ifndef CRYPTOKI_C_ATTRIBUTES_H_
#define CRYPTOKI_C_ATTRIBUTES_H_

#include <string_view>

#include "cryptoki/attribute.h"
#include "cryptoki/object.h"
#include "pkcs11.h"

namespace cryptoki::c {

// ToTemplate converts |count| C attributes at |attrs| into |out|. Returns
// CKR_ARGUMENTS_BAD for a NULL array with a non-zero count or a NULL value
// with a non-zero length, CKR_ATTRIBUTE_VALUE_INVALID for a malformed
// attribute array.
CK_RV ToTemplate(const CK_ATTRIBUTE* attrs, CK_ULONG count, Template& out);

// EncodeAttributeArray encodes nested C attributes into the core's record
// format: CKR_ATTRIBUTE_VALUE_INVALID for a nested array or a NULL value
// with a non-zero length.
CK_RV EncodeAttributeArray(const CK_ATTRIBUTE* attrs, CK_ULONG count, SecretBytes& out);

// GetAttributeValues fills |tmpl| from |obj| with C_GetAttributeValue's
// per-attribute rules: each entry gets its value (or, with pValue NULL, its
// length); a sensitive attribute, one the object lacks, or one whose buffer
// is short gets ulValueLen = CK_UNAVAILABLE_INFORMATION while the rest are
// still filled. Returns CKR_OK, or, when some entry failed, the first of
// CKR_ATTRIBUTE_SENSITIVE, CKR_ATTRIBUTE_TYPE_INVALID, CKR_BUFFER_TOO_SMALL
// that occurred (in that order of precedence).
CK_RV GetAttributeValues(const Object& obj, CK_ATTRIBUTE* tmpl, CK_ULONG count);

// Pad writes |s| into the fixed-width field |dst| of |n| bytes, blank-padded
// and not NUL-terminated (truncated at a UTF-8 character boundary).
void Pad(std::string_view s, CK_UTF8CHAR* dst, size_t n);

// Unpad returns a blank-padded fixed-width field without its trailing blanks.
std::string_view Unpad(const CK_UTF8CHAR* src, size_t n);

}  // namespace cryptoki::c

#endif  // CRYPTOKI_C_ATTRIBUTES_H_
