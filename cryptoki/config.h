// config.h: the library's configuration.
//
// A config file holds `key = value` lines; `#` starts a comment. Key names
// follow SoftHSM v2's softhsm2.conf wherever the meaning is the same, so a
// softhsm2.conf that only uses those keys works unchanged:
//
//   directories.tokendir = /var/lib/cryptoki/tokens   # where tokens live
//   objectstore.backend  = file | memory              # memory: nothing persists
//   log.level            = ERROR | WARNING | INFO | DEBUG
//   log.destination      = stderr | syslog   # syslog: LOG_USER, ident "cryptoki"
//   slots.removable      = false
//   slots.mechanisms     = ALL | CKM_A,CKM_B | -CKM_A,CKM_B   (allow / deny list)
//   pin.max_failures     = 10      # consecutive wrong PINs before CKR_PIN_LOCKED
//   pin.kdf_log2n        = 15      # scrypt cost of PIN-derived keys (N = 2^x)
//   pin.min_length       = 4
//   pin.max_length       = 255
//   library.reset_on_fork = true
//
// Without a file, the token directory is $XDG_DATA_HOME/cryptoki/tokens
// (~/.local/share/cryptoki/tokens).
#ifndef CRYPTOKI_CONFIG_H_
#define CRYPTOKI_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cryptoki/expected.h"
#include "pkcs11.h"

namespace cryptoki {

enum class LogLevel { kError = 0, kWarning = 1, kInfo = 2, kDebug = 3 };
enum class LogDestination { kStderr, kSyslog };

struct Config {
  std::string token_dir;
  enum class Backend { kFile, kMemory } backend = Backend::kFile;
  LogLevel log_level = LogLevel::kError;
  // log.destination: not a SoftHSM key (SoftHSM always uses syslog).
  LogDestination log_destination = LogDestination::kStderr;
  bool removable_slots = false;
  // slots.mechanisms: when |mechanisms_deny| is false, only |mechanisms| are
  // offered (empty = all); when true, all but |mechanisms|.
  std::vector<CK_MECHANISM_TYPE> mechanisms;
  bool mechanisms_deny = false;
  uint32_t max_pin_failures = 10;
  uint32_t kdf_log2n = 15;
  uint32_t min_pin_length = 4;
  uint32_t max_pin_length = 255;
  bool reset_on_fork = true;
  std::string source;  // the file the config came from, or "" for defaults

  // IsMechanismAllowed applies slots.mechanisms to |type|.
  bool IsMechanismAllowed(CK_MECHANISM_TYPE type) const;
};

// ConfigError says what is wrong with a config and where.
struct ConfigError {
  std::string message;  // "FILE:LINE: what is wrong"
};

// DefaultTokenDir returns $XDG_DATA_HOME/cryptoki/tokens, falling back to
// $HOME/.local/share/cryptoki/tokens.
std::string DefaultTokenDir();

// ParseConfig parses |text| (named |source| in messages) over the defaults.
expected<Config, ConfigError> ParseConfig(std::string_view text, std::string_view source);

// LoadConfigFile reads and parses the file at |path|.
expected<Config, ConfigError> LoadConfigFile(const std::string& path);

// LoadConfig loads the file named by $CRYPTOKI_CONF, or the defaults if the
// variable is unset or empty.
expected<Config, ConfigError> LoadConfig();

}  // namespace cryptoki

#endif  // CRYPTOKI_CONFIG_H_
