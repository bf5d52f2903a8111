// test_util.h: matchers and fixtures shared by the core's tests.
//
//   EXPECT_THAT(s.Login(CKU_USER, "bad"), RvIs(Rv::kPinIncorrect));
//   ASSERT_OK_AND_ASSIGN(auto h, s.CreateObject(tmpl));
#ifndef CRYPTOKI_TESTS_TEST_UTIL_H_
#define CRYPTOKI_TESTS_TEST_UTIL_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "cryptoki/library.h"
#include "cryptoki/memory_store.h"

namespace cryptoki::testing {

// RvIs matches a Result whose error is |rv| (Rv::kOk matches success).
MATCHER_P(RvIs, rv, "returns " + to_string(rv)) {
  const Rv got = arg.has_value() ? Rv::kOk : arg.error();
  if (got != rv) *result_listener << "got " << to_string(got);
  return got == rv;
}

// IsOk matches a successful Result.
MATCHER(IsOk, "succeeds") {
  if (!arg.has_value()) *result_listener << "got " << to_string(arg.error());
  return arg.has_value();
}

#define CRYPTOKI_CONCAT_INNER(a, b) a##b
#define CRYPTOKI_CONCAT(a, b) CRYPTOKI_CONCAT_INNER(a, b)
#define ASSERT_OK_AND_ASSIGN_IMPL(tmp, lhs, expr)                                 \
  auto tmp = (expr);                                                              \
  ASSERT_TRUE(tmp.has_value()) << #expr << " failed: " << to_string(tmp.error()); \
  lhs = std::move(*tmp)
// ASSERT_OK_AND_ASSIGN(lhs, expr) asserts |expr| succeeds and assigns its value.
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL(CRYPTOKI_CONCAT(result_, __LINE__), lhs, expr)

inline constexpr char kSoPin[] = "so-pin-1234";
inline constexpr char kUserPin[] = "user-pin-1234";

// TestConfig is a config with a cheap PIN KDF, for tests.
inline Config TestConfig() {
  auto c = ParseConfig("pin.kdf_log2n = 4\nobjectstore.backend = memory\n", "test");
  return *c;
}

// NewLibrary returns a library over an in-memory store.
inline std::unique_ptr<Library> NewLibrary(Config config = TestConfig()) {
  auto lib = Library::Create(config, std::make_unique<MemoryStore>());
  if (!lib) std::abort();
  return std::move(*lib);
}

// InitializedToken initialises the free slot's token with kSoPin and, if
// |with_user| is set, the user PIN kUserPin; returns the token.
inline std::shared_ptr<Token> InitializedToken(Library& lib, bool with_user = true) {
  const CK_SLOT_ID slot = lib.Slots().back();
  auto token = lib.GetToken(slot);
  if (!token) std::abort();
  if (!(*token)->InitToken(kSoPin, "test token")) std::abort();
  if (with_user) {
    auto s = (*token)->OpenSession(SessionKind::kReadWrite);
    if (!s || !s->Login(CKU_SO, kSoPin) || !s->InitPin(kUserPin)) std::abort();
  }
  return *token;
}

}  // namespace cryptoki::testing

#endif  // CRYPTOKI_TESTS_TEST_UTIL_H_
