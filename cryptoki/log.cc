#include "cryptoki/log.h"

#include <atomic>
#include <cstdarg>
#include <cstdio>

namespace cryptoki {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kError)};

void Write(LogLevel level, const char* fmt, va_list ap) {
  if (static_cast<int>(level) > g_level.load(std::memory_order_relaxed)) return;
  char buf[1024];
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  std::fprintf(stderr, "cryptoki: %s\n", buf);
}

}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }

#define CRYPTOKI_LOG_FN(name, level) \
  void name(const char* fmt, ...) {  \
    va_list ap;                      \
    va_start(ap, fmt);               \
    Write(level, fmt, ap);           \
    va_end(ap);                      \
  }
CRYPTOKI_LOG_FN(LogError, LogLevel::kError)
CRYPTOKI_LOG_FN(LogWarning, LogLevel::kWarning)
CRYPTOKI_LOG_FN(LogInfo, LogLevel::kInfo)
CRYPTOKI_LOG_FN(LogDebug, LogLevel::kDebug)
#undef CRYPTOKI_LOG_FN

}  // namespace cryptoki
