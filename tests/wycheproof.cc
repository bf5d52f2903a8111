#include "tests/wycheproof.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace cryptoki::testing {
namespace {

std::string Trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  size_t b = s.find_last_not_of(" \t\r");
  return s.substr(a, b - a + 1);
}

bool SplitKeyValue(const std::string& line, std::string& k, std::string& v) {
  size_t eq = line.find('=');
  if (eq == std::string::npos) return false;
  k = Trim(line.substr(0, eq));
  v = Trim(line.substr(eq + 1));
  return true;
}

}  // namespace

std::string WycheproofCase::Get(const std::string& key) const {
  if (auto it = values.find(key); it != values.end()) return it->second;
  if (auto it = instructions.find(key); it != instructions.end()) return it->second;
  return "";
}

Bytes WycheproofCase::GetBytes(const std::string& key) const {
  const std::string s = Get(key);
  Bytes out;
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return c - 'A' + 10;
  };
  for (size_t i = 0; i + 1 < s.size(); i += 2) out.push_back(nib(s[i]) << 4 | nib(s[i + 1]));
  return out;
}

bool WycheproofCase::Valid(bool acceptable_is_valid) const {
  const std::string r = Get("result");
  return r == "valid" || (acceptable_is_valid && r == "acceptable");
}

std::vector<WycheproofCase> LoadWycheproof(const std::string& file) {
  // The vectors are the runfiles of @wycheproof (see WORKSPACE);
  // WYCHEPROOF_DIR overrides.
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* dir = std::getenv("WYCHEPROOF_DIR");
  const std::string candidates[] = {
      dir ? std::string(dir) + "/" + file : std::string(),
      std::string(srcdir ? srcdir : ".") + "/wycheproof/" + file,
  };
  std::ifstream in;
  bool found = false;
  for (const std::string& c : candidates) {
    in.open(c);
    if (in) {
      found = true;
      break;
    }
    in.clear();
  }
  std::vector<WycheproofCase> out;
  if (!found) {
    ADD_FAILURE() << "Wycheproof file not in runfiles: " << file;
    return out;
  }
  std::map<std::string, std::string> instructions;
  bool instructions_closed = false;  // a case ended: the next [..] starts a new group
  WycheproofCase cur;
  bool in_case = false;
  auto finish = [&] {
    if (in_case) {
      cur.instructions = instructions;
      out.push_back(std::move(cur));
      cur = WycheproofCase();
      in_case = false;
      instructions_closed = true;
    }
  };
  std::string line;
  while (std::getline(in, line)) {
    line = Trim(line);
    if (line.empty()) {
      finish();
      continue;
    }
    if (line[0] == '#') {
      std::string k, v;
      if (SplitKeyValue(line.substr(1), k, v) && k == "tcId") cur.tc_id = std::atoi(v.c_str());
      continue;
    }
    if (line[0] == '[') {
      if (instructions_closed) {
        instructions.clear();
        instructions_closed = false;
      }
      std::string k, v;
      if (SplitKeyValue(line.substr(1, line.size() - 2), k, v)) instructions[k] = v;
      continue;
    }
    std::string k, v;
    if (SplitKeyValue(line, k, v)) {
      cur.values[k] = v;
      in_case = true;
    }
  }
  finish();
  return out;
}

}  // namespace cryptoki::testing
