// mech_test_util.h: a fixture with a logged-in read-write session, and
// helpers to make keys and run operations, for the mechanism tests.
#ifndef CRYPTOKI_TESTS_MECH_TEST_UTIL_H_
#define CRYPTOKI_TESTS_MECH_TEST_UTIL_H_

#include <string>

#include "cryptoki/mechanism.h"
#include "tests/test_util.h"

namespace cryptoki::testing {

// Hex decodes a hex string ("" → empty).
inline Bytes Hex(std::string_view s) {
  Bytes out;
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i + 1 < s.size(); i += 2) out.push_back(nib(s[i]) << 4 | nib(s[i + 1]));
  return out;
}

inline std::string ToHex(ByteView b) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (uint8_t c : b) {
    s.push_back(kHex[c >> 4]);
    s.push_back(kHex[c & 15]);
  }
  return s;
}

class MechTest : public ::testing::Test {
 public:
  void SetUp() override {
    lib_ = NewLibrary();
    token_ = InitializedToken(*lib_);
    auto s = token_->OpenSession(SessionKind::kReadWrite);
    ASSERT_TRUE(s.has_value());
    session_.emplace(std::move(*s));
    ASSERT_TRUE(session_->Login(CKU_USER, kUserPin).has_value());
  }
  void TearDown() override {
    session_.reset();
    token_.reset();
    lib_.reset();
  }
  Session& s() { return *session_; }

  // SecretKey makes a session secret key of |type| with |value| and every
  // use allowed, plus |extra| attributes.
  ObjectHandle SecretKey(CK_KEY_TYPE type, ByteView value, std::vector<Attribute> extra = {}) {
    Template t{attr::Class{CKO_SECRET_KEY}, attr::KeyType{type}, Attribute(CKA_VALUE, value)};
    for (auto& a : extra) t.Add(std::move(a));
    auto h = s().CreateObject(t);
    if (!h) ADD_FAILURE() << "CreateObject: " << to_string(h.error());
    return h.value_or(ObjectHandle());
  }

  // Run runs a whole single-part operation of |kind| (already initialised)
  // with the two-call convention and returns the output.
  Result<Bytes> RunOneShot(OpKind kind, ByteView in) {
    Output q = Output::Query();
    CRYPTOKI_TRY(s().OneShot(kind, in, q));
    Bytes out(q.length);
    Output o = Output::Into(out);
    CRYPTOKI_TRY(s().OneShot(kind, in, o));
    out.resize(o.length);
    return out;
  }
  // RunMultiPart feeds |in| in chunks of |chunk| bytes, then Final.
  Result<Bytes> RunMultiPart(OpKind kind, ByteView in, size_t chunk) {
    Bytes all;
    size_t i = 0;
    const bool ciphers = kind == OpKind::kEncrypt || kind == OpKind::kDecrypt;
    do {
      const size_t n = std::min(chunk, in.size() - i);
      Output q = Output::Query();
      CRYPTOKI_TRY(s().Update(kind, in.subspan(i, n), q));
      if (!ciphers) {
        i += n;
        continue;
      }
      Bytes part(q.length);
      Output o = Output::Into(part);
      CRYPTOKI_TRY(s().Update(kind, in.subspan(i, n), o));
      all.insert(all.end(), part.begin(), part.begin() + o.length);
      i += n;
    } while (i < in.size());
    Output q = Output::Query();
    CRYPTOKI_TRY(s().Final(kind, q));
    Bytes last(q.length);
    Output o = Output::Into(last);
    CRYPTOKI_TRY(s().Final(kind, o));
    all.insert(all.end(), last.begin(), last.begin() + o.length);
    return all;
  }

  std::unique_ptr<Library> lib_;
  std::shared_ptr<Token> token_;
  std::optional<Session> session_;
};

}  // namespace cryptoki::testing

#endif  // CRYPTOKI_TESTS_MECH_TEST_UTIL_H_
