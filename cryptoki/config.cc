#include "cryptoki/config.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <utility>

#include "cryptoki/mechanism_names.h"

namespace cryptoki {
namespace {

std::string_view Trim(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string r(s);
  std::transform(r.begin(), r.end(), r.begin(), [](unsigned char c) { return std::tolower(c); });
  return r;
}

std::optional<bool> ParseBool(std::string_view v) {
  const std::string l = Lower(v);
  if (l == "true" || l == "yes" || l == "1" || l == "on") return true;
  if (l == "false" || l == "no" || l == "0" || l == "off") return false;
  return std::nullopt;
}

std::optional<uint32_t> ParseUint(std::string_view v, uint32_t lo, uint32_t hi) {
  uint32_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < lo || n > hi) return std::nullopt;
  return n;
}

// ParseChoice returns the value |choices| gives to |v|, compared without
// regard to case.
template <class T>
std::optional<T> ParseChoice(std::string_view v,
                             std::initializer_list<std::pair<std::string_view, T>> choices) {
  const std::string l = Lower(v);
  for (const auto& [name, value] : choices)
    if (l == name) return value;
  return std::nullopt;
}

}  // namespace

bool Config::IsMechanismAllowed(CK_MECHANISM_TYPE type) const {
  const bool listed = std::find(mechanisms.begin(), mechanisms.end(), type) != mechanisms.end();
  if (mechanisms_deny) return !listed;
  return mechanisms.empty() || listed;
}

std::string DefaultTokenDir() {
  const char* xdg = std::getenv("XDG_DATA_HOME");
  if (xdg != nullptr && xdg[0] == '/') return std::string(xdg) + "/cryptoki/tokens";
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr && home[0] != '\0' ? home : ".") +
         "/.local/share/cryptoki/tokens";
}

expected<Config, ConfigError> ParseConfig(std::string_view text, std::string_view source) {
  Config c;
  c.token_dir = DefaultTokenDir();
  c.source = std::string(source);
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (const size_t hash = line.find('#'); hash != std::string_view::npos) {
      line = line.substr(0, hash);
    }
    line = Trim(line);
    if (line.empty()) continue;
    const auto error = [&](const std::string& what) {
      return unexpected(
          ConfigError{std::string(source) + ":" + std::to_string(line_no) + ": " + what});
    };
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos)
      return error("expected 'key = value', got '" + std::string(line) + "'");
    const std::string key(Trim(line.substr(0, eq)));
    const std::string_view value = Trim(line.substr(eq + 1));
    const auto bad_value = [&](std::string_view expect) {
      return error("bad value '" + std::string(value) + "' for " + key + " (expected " +
                   std::string(expect) + ")");
    };
    if (key == "directories.tokendir") {
      if (value.empty()) return bad_value("a directory");
      c.token_dir = std::string(value);
    } else if (key == "objectstore.backend") {
      auto b = ParseChoice<Config::Backend>(
          value, {{"file", Config::Backend::kFile}, {"memory", Config::Backend::kMemory}});
      if (!b) return bad_value("file or memory");
      c.backend = *b;
    } else if (key == "objectstore.umask") {
      // Accepted for softhsm2.conf compatibility; files are always created 0600.
      if (!ParseUint(value, 0, 0777).has_value() && value.substr(0, 1) != "0")
        return bad_value("an octal umask");
    } else if (key == "log.level") {
      auto l = ParseChoice<LogLevel>(value, {{"error", LogLevel::kError},
                                             {"warning", LogLevel::kWarning},
                                             {"info", LogLevel::kInfo},
                                             {"debug", LogLevel::kDebug}});
      if (!l) return bad_value("ERROR, WARNING, INFO or DEBUG");
      c.log_level = *l;
    } else if (key == "log.destination") {
      auto d = ParseChoice<LogDestination>(
          value, {{"stderr", LogDestination::kStderr}, {"syslog", LogDestination::kSyslog}});
      if (!d) return bad_value("stderr or syslog");
      c.log_destination = *d;
    } else if (key == "slots.removable") {
      auto b = ParseBool(value);
      if (!b) return bad_value("true or false");
      c.removable_slots = *b;
    } else if (key == "library.reset_on_fork") {
      auto b = ParseBool(value);
      if (!b) return bad_value("true or false");
      c.reset_on_fork = *b;
    } else if (key == "slots.mechanisms") {
      c.mechanisms.clear();
      c.mechanisms_deny = false;
      std::string_view list = value;
      if (Lower(list) == "all") continue;
      if (!list.empty() && list.front() == '-') {
        c.mechanisms_deny = true;
        list.remove_prefix(1);
      }
      while (!list.empty()) {
        const size_t comma = list.find(',');
        const std::string_view name = Trim(list.substr(0, comma));
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
        auto m = MechanismByName(name);
        if (!m) return error("unknown mechanism '" + std::string(name) + "' in slots.mechanisms");
        c.mechanisms.push_back(*m);
      }
    } else if (key == "pin.max_failures") {
      auto n = ParseUint(value, 1, 1000000);
      if (!n) return bad_value("a number from 1 to 1000000");
      c.max_pin_failures = *n;
    } else if (key == "pin.kdf_log2n") {
      auto n = ParseUint(value, 1, 22);
      if (!n) return bad_value("a number from 1 to 22");
      c.kdf_log2n = *n;
    } else if (key == "pin.min_length") {
      auto n = ParseUint(value, 1, 255);
      if (!n) return bad_value("a number from 1 to 255");
      c.min_pin_length = *n;
    } else if (key == "pin.max_length") {
      auto n = ParseUint(value, 1, 4096);
      if (!n) return bad_value("a number from 1 to 4096");
      c.max_pin_length = *n;
    } else {
      return error("unknown key '" + key + "'");
    }
  }
  if (c.min_pin_length > c.max_pin_length) {
    return unexpected(
        ConfigError{std::string(source) + ": pin.min_length is greater than pin.max_length"});
  }
  return c;
}

expected<Config, ConfigError> LoadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return unexpected(ConfigError{path + ": cannot read config file: " + std::strerror(errno)});
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ParseConfig(ss.str(), path);
}

expected<Config, ConfigError> LoadConfig() {
  const char* path = std::getenv("CRYPTOKI_CONF");
  if (path == nullptr || path[0] == '\0') return ParseConfig("", "");
  return LoadConfigFile(path);
}

}  // namespace cryptoki
