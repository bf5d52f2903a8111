// The module depends on nothing beyond libc, libm, libstdc++ and libgcc_s
// (and the dynamic loader): BoringSSL and Abseil are linked in.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <sstream>

#include "tests/module_util.h"

namespace cryptoki::testing {
namespace {

std::set<std::string> Needed() {
  std::istringstream in(RunCommand("readelf -d '" + ModulePath() + "'"));
  std::set<std::string> out;
  std::string line;
  const std::regex re(R"(\(NEEDED\)\s+Shared library: \[([^\]]+)\])");
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, re)) out.insert(m[1]);
  }
  return out;
}

TEST(ModuleNeededTest, NeedsOnlyTheCAndCxxRuntimes) {
  const std::set<std::string> allowed = {"libc.so.6", "libm.so.6", "libstdc++.so.6",
                                         "libgcc_s.so.1", "ld-linux-x86-64.so.2"};
  const std::set<std::string> needed = Needed();
  ASSERT_FALSE(needed.empty()) << "readelf found no NEEDED entries in " << ModulePath();
  EXPECT_TRUE(needed.count("libc.so.6"));
  for (const std::string& n : needed) EXPECT_TRUE(allowed.count(n)) << "unexpected NEEDED " << n;
}

TEST(ModuleNeededTest, HasNoRunpath) {
  const std::string d = RunCommand("readelf -d '" + ModulePath() + "'");
  EXPECT_EQ(d.find("(RPATH)"), std::string::npos);
}

}  // namespace
}  // namespace cryptoki::testing
