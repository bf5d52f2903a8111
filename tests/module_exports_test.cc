// The module's dynamic symbol table exports exactly the C_* functions of
// pkcs11_functions.inc: BoringSSL, Abseil and the C++ core stay local.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "pkcs11.h"
#include "tests/module_util.h"

namespace cryptoki::testing {
namespace {

std::set<std::string> ExpectedNames() {
  return {
#define CRYPTOKI_FN(name, params, args, version) #name,
#include "pkcs11_functions.inc"
#undef CRYPTOKI_FN
  };
}

// GlobalDefinedSymbols lists the defined dynamic symbols with global (or
// weak) binding: `nm -D --defined-only` marks local ones in lower case.
std::set<std::string> GlobalDefinedSymbols() {
  std::istringstream in(RunCommand("nm -D --defined-only '" + ModulePath() + "'"));
  std::set<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string addr, type, name;
    if (!(f >> addr >> type >> name)) continue;
    if (type.size() == 1 && std::islower(static_cast<unsigned char>(type[0]))) continue;
    out.insert(name.substr(0, name.find('@')));
  }
  return out;
}

TEST(ModuleExportsTest, ExportsExactlyThePkcs11Functions) {
  const std::set<std::string> got = GlobalDefinedSymbols();
  ASSERT_FALSE(got.empty()) << "nm found no symbols in " << ModulePath();
  EXPECT_EQ(got, ExpectedNames());
}

TEST(ModuleExportsTest, ListsNinetyTwoFunctions) { EXPECT_EQ(ExpectedNames().size(), 92u); }

}  // namespace
}  // namespace cryptoki::testing
