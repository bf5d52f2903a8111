// temp_dir.h: TempDir, a fresh directory for one test, removed afterwards.
#ifndef CRYPTOKI_TESTS_TEMP_DIR_H_
#define CRYPTOKI_TESTS_TEMP_DIR_H_

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace cryptoki::test_support {

// TempDir makes a directory under $TEST_TMPDIR (or /tmp) named after
// |prefix|; path() is empty if that failed.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "cryptoki_test") {
    const char* base = getenv("TEST_TMPDIR");
    std::string tmpl = std::string(base ? base : "/tmp") + "/" + prefix + ".XXXXXX";
    path_ = mkdtemp(tmpl.data()) ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace cryptoki::test_support

#endif  // CRYPTOKI_TESTS_TEMP_DIR_H_
