// log.h: the library's log: one line per message to stderr (or syslog, by
// config), prefixed "cryptoki: ". Never pass a secret.
#ifndef CRYPTOKI_LOG_H_
#define CRYPTOKI_LOG_H_

#include "cryptoki/config.h"

namespace cryptoki {

// SetLogLevel sets the most detailed level that is written.
void SetLogLevel(LogLevel level);

void LogError(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void LogWarning(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void LogInfo(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void LogDebug(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace cryptoki

#endif  // CRYPTOKI_LOG_H_
