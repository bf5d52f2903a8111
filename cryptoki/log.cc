#include "cryptoki/log.h"

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <mutex>

#include <syslog.h>

namespace cryptoki {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kError)};
std::atomic<bool> g_syslog{false};
std::mutex g_destination_mu;  // orders openlog / closelog

int SyslogPriority(LogLevel level) {
  switch (level) {
    case LogLevel::kError:
      return LOG_ERR;
    case LogLevel::kWarning:
      return LOG_WARNING;
    case LogLevel::kInfo:
      return LOG_INFO;
    case LogLevel::kDebug:
      return LOG_DEBUG;
  }
  return LOG_ERR;
}

void Write(LogLevel level, const char* fmt, va_list ap) {
  if (static_cast<int>(level) > g_level.load(std::memory_order_relaxed)) return;
  char buf[1024];
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  if (g_syslog.load(std::memory_order_relaxed)) {
    syslog(LOG_USER | SyslogPriority(level), "%s", buf);
  } else {
    std::fprintf(stderr, "cryptoki: %s\n", buf);
  }
}

}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }

void SetLogDestination(LogDestination destination) {
  std::lock_guard<std::mutex> l(g_destination_mu);
  const bool to_syslog = destination == LogDestination::kSyslog;
  if (to_syslog == g_syslog.load()) return;
  if (to_syslog) openlog("cryptoki", LOG_PID, LOG_USER);
  g_syslog.store(to_syslog);
  if (!to_syslog) closelog();
}

void ConfigureLog(const Config& config) {
  SetLogLevel(config.log_level);
  SetLogDestination(config.log_destination);
}

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
