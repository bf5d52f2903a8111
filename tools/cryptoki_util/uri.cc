#include "tools/cryptoki_util/uri.h"

#include <cstdlib>
#include <vector>

namespace cryptoki::util {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// PercentDecode decodes |s|; nullopt on a malformed escape.
std::optional<std::string> PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    const int hi = HexDigit(s[i + 1]), lo = HexDigit(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi << 4 | lo));
    i += 2;
  }
  return out;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  if (s.empty()) return parts;
  size_t start = 0;
  for (;;) {
    const size_t end = s.find(sep, start);
    parts.push_back(s.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return parts;
}

std::optional<CK_OBJECT_CLASS> ClassFromName(std::string_view name) {
  if (name == "public") return CKO_PUBLIC_KEY;
  if (name == "private") return CKO_PRIVATE_KEY;
  if (name == "cert") return CKO_CERTIFICATE;
  if (name == "secret-key") return CKO_SECRET_KEY;
  if (name == "data") return CKO_DATA;
  return std::nullopt;
}

}  // namespace

expected<Pkcs11Uri, std::string> ParsePkcs11Uri(std::string_view uri) {
  constexpr std::string_view kScheme = "pkcs11:";
  if (uri.size() < kScheme.size() || uri.substr(0, kScheme.size()) != kScheme) {
    return unexpected<std::string>("not a PKCS#11 URI (must start with \"pkcs11:\")");
  }
  uri.remove_prefix(kScheme.size());
  std::string_view path = uri, query;
  if (const size_t q = uri.find('?'); q != std::string_view::npos) {
    path = uri.substr(0, q);
    query = uri.substr(q + 1);
  }
  Pkcs11Uri out;
  auto parse = [&](std::string_view part, bool in_query) -> std::optional<std::string> {
    const size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      return "URI attribute \"" + std::string(part) + "\" has no value";
    }
    const std::string_view name = part.substr(0, eq);
    auto value = PercentDecode(part.substr(eq + 1));
    if (!value) return "bad percent-encoding in URI attribute \"" + std::string(name) + "\"";
    auto set = [&](auto& field, auto v) -> std::optional<std::string> {
      if (field) return "URI attribute \"" + std::string(name) + "\" given twice";
      field = std::move(v);
      return std::nullopt;
    };
    if (name.substr(0, 2) == "x-") return std::nullopt;
    if (in_query) {
      if (name == "pin-value") return set(out.pin_value, *value);
      return "unsupported URI query attribute \"" + std::string(name) + "\"";
    }
    if (name == "token") return set(out.token, *value);
    if (name == "serial") return set(out.serial, *value);
    if (name == "manufacturer") return set(out.manufacturer, *value);
    if (name == "model") return set(out.model, *value);
    if (name == "object") return set(out.object, *value);
    if (name == "id") return set(out.id, Bytes(value->begin(), value->end()));
    if (name == "type") {
      auto cls = ClassFromName(*value);
      if (!cls)
        return "unknown URI type \"" + *value + "\" (public, private, cert, secret-key, data)";
      return set(out.type, *cls);
    }
    if (name == "slot-id") {
      char* end = nullptr;
      const unsigned long long v = strtoull(value->c_str(), &end, 10);
      if (value->empty() || *end != '\0') return "bad slot-id \"" + *value + "\"";
      return set(out.slot_id, static_cast<CK_SLOT_ID>(v));
    }
    return "unsupported URI attribute \"" + std::string(name) + "\"";
  };
  for (std::string_view part : Split(path, ';')) {
    if (part.empty()) continue;
    if (auto err = parse(part, false)) return unexpected<std::string>(*err);
  }
  for (std::string_view part : Split(query, '&')) {
    if (part.empty()) continue;
    if (auto err = parse(part, true)) return unexpected<std::string>(*err);
  }
  return out;
}

std::string PercentEncode(ByteView v, bool all) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (uint8_t b : v) {
    const bool unreserved = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') ||
                            (b >= '0' && b <= '9') || b == '-' || b == '.' || b == '_' || b == '~';
    if (unreserved && !all) {
      out.push_back(static_cast<char>(b));
    } else {
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 15]);
    }
  }
  return out;
}

std::string_view ClassName(CK_OBJECT_CLASS cls) {
  switch (cls) {
    case CKO_PUBLIC_KEY:
      return "public";
    case CKO_PRIVATE_KEY:
      return "private";
    case CKO_CERTIFICATE:
      return "cert";
    case CKO_SECRET_KEY:
      return "secret-key";
    case CKO_DATA:
      return "data";
    default:
      return "";
  }
}

std::string FormatObjectUri(std::string_view token_label, std::string_view label, ByteView id,
                            CK_OBJECT_CLASS cls) {
  std::string uri = "pkcs11:token=" + PercentEncode(AsBytes(token_label));
  if (!label.empty()) uri += ";object=" + PercentEncode(AsBytes(label));
  if (!id.empty()) uri += ";id=" + PercentEncode(id, /*all=*/true);
  if (std::string_view type = ClassName(cls); !type.empty()) uri += ";type=" + std::string(type);
  return uri;
}

}  // namespace cryptoki::util
