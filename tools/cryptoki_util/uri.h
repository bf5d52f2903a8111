// uri.h: PKCS#11 URIs (RFC 7512) as cryptoki-util reads and prints them.
//
//   auto uri = ParsePkcs11Uri("pkcs11:token=alpha;object=signing%20key;id=%01;type=private");
//   FormatObjectUri("alpha", "signing key", id, CKO_PRIVATE_KEY)  // the reverse
#ifndef TOOLS_CRYPTOKI_UTIL_URI_H_
#define TOOLS_CRYPTOKI_UTIL_URI_H_

#include <optional>
#include <string>
#include <string_view>

#include "cryptoki/bytes.h"
#include "cryptoki/expected.h"
#include "pkcs11.h"

namespace cryptoki::util {

// Pkcs11Uri holds the path and query attributes of a PKCS#11 URI that
// cryptoki-util understands; an absent attribute matches anything.
struct Pkcs11Uri {
  // Token attributes.
  std::optional<std::string> token;  // CKA token label
  std::optional<std::string> serial;
  std::optional<std::string> manufacturer;
  std::optional<std::string> model;
  std::optional<CK_SLOT_ID> slot_id;
  // Object attributes.
  std::optional<std::string> object;  // CKA_LABEL
  std::optional<Bytes> id;            // CKA_ID
  std::optional<CK_OBJECT_CLASS> type;
  // Query attributes.
  std::optional<std::string> pin_value;

  bool has_object_selector() const { return object || id || type; }
};

// ParsePkcs11Uri parses |uri|. Percent-encoded bytes are decoded in every
// value. Attributes the tool does not support (library-*, slot-description,
// slot-manufacturer, pin-source, module-*) and unknown ones are errors, as is
// an attribute given twice; vendor attributes ("x-...") are ignored. The
// error is a one-line reason.
expected<Pkcs11Uri, std::string> ParsePkcs11Uri(std::string_view uri);

// PercentEncode encodes every byte of |v| that is not an RFC 3986 unreserved
// character (ALPHA, DIGIT, "-", ".", "_", "~"); |all| encodes every byte.
std::string PercentEncode(ByteView v, bool all = false);

// ClassName returns the RFC 7512 "type" value of |cls| ("private", "cert",
// ...), or "" for a class the RFC does not name.
std::string_view ClassName(CK_OBJECT_CLASS cls);

// FormatObjectUri returns "pkcs11:token=..;object=..;id=..;type=..": the URI
// selecting one object of token |token_label|. An empty label or id is left
// out; the id is always percent-encoded byte by byte.
std::string FormatObjectUri(std::string_view token_label, std::string_view label, ByteView id,
                            CK_OBJECT_CLASS cls);

}  // namespace cryptoki::util

#endif  // TOOLS_CRYPTOKI_UTIL_URI_H_
