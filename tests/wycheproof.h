// wycheproof.h: reads the Wycheproof vectors BoringSSL's source ships, in its
// converted FileTest form (src/third_party/wycheproof_testvectors/*.txt):
// "[key = value]" instruction lines apply to the following cases; each case
// is a block of "key = value" lines after a "# tcId = N" comment.
#ifndef CRYPTOKI_TESTS_WYCHEPROOF_H_
#define CRYPTOKI_TESTS_WYCHEPROOF_H_

#include <map>
#include <string>
#include <vector>

#include "cryptoki/bytes.h"

namespace cryptoki::testing {

struct WycheproofCase {
  int tc_id = 0;
  std::map<std::string, std::string> values;        // the case's lines
  std::map<std::string, std::string> instructions;  // the [..] lines in force

  // Get returns a value or instruction ("" if absent); Bytes hex-decodes it.
  std::string Get(const std::string& key) const;
  Bytes GetBytes(const std::string& key) const;
  // Valid: result = valid (or acceptable when |acceptable_is_valid|).
  bool Valid(bool acceptable_is_valid = true) const;
  bool Invalid() const { return Get("result") == "invalid"; }
};

// LoadWycheproof reads |file| (e.g. "aes_gcm_test.txt") from the test's
// runfiles; it fails the test (and returns nothing) if the file is missing.
std::vector<WycheproofCase> LoadWycheproof(const std::string& file);

}  // namespace cryptoki::testing

#endif  // CRYPTOKI_TESTS_WYCHEPROOF_H_
