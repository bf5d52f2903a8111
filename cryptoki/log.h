// log.h: the library's log: one line per message, to stderr prefixed
// "cryptoki: ", or to syslog(3) (facility LOG_USER, ident "cryptoki") by
// config (log.destination). Never pass a secret.
#ifndef CRYPTOKI_LOG_H_
#define CRYPTOKI_LOG_H_

#include "cryptoki/config.h"

namespace cryptoki {

// SetLogLevel sets the most detailed level that is written.
void SetLogLevel(LogLevel level);

// SetLogDestination sends later messages to stderr or to syslog. Choosing
// syslog calls openlog("cryptoki", LOG_PID, LOG_USER), which sets the ident
// and facility of the whole process's syslog(3) calls; choosing stderr
// again calls closelog().
void SetLogDestination(LogDestination destination);

// ConfigureLog applies |config|'s log.level and log.destination.
void ConfigureLog(const Config& config);

void LogError(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void LogWarning(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void LogInfo(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void LogDebug(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace cryptoki

#endif  // CRYPTOKI_LOG_H_
