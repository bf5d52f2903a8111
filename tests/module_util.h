// module_util.h: where the built module is, for tests that load or inspect
// //cryptoki_c:libcryptoki.so (a data dependency), and a shell helper.
#ifndef CRYPTOKI_TESTS_MODULE_UTIL_H_
#define CRYPTOKI_TESTS_MODULE_UTIL_H_

#include <cstdio>
#include <cstdlib>
#include <string>

namespace cryptoki::testing {

// ModulePath returns the runfiles path of libcryptoki.so.
inline std::string ModulePath() {
  const char* srcdir = getenv("TEST_SRCDIR");
  const char* ws = getenv("TEST_WORKSPACE");
  return std::string(srcdir ? srcdir : ".") + "/" + (ws ? ws : "cryptoki") +
         "/cryptoki_c/libcryptoki.so";
}

// RunCommand returns the standard output of the shell command |cmd|.
inline std::string RunCommand(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

}  // namespace cryptoki::testing

#endif  // CRYPTOKI_TESTS_MODULE_UTIL_H_
