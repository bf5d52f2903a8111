// info.h: what the library, a slot, a token and a session report about
// themselves (the contents of CK_INFO, CK_SLOT_INFO, CK_TOKEN_INFO and
// CK_SESSION_INFO, with strings unpadded).
#ifndef CRYPTOKI_INFO_H_
#define CRYPTOKI_INFO_H_

#include <string>

#include "pkcs11.h"

namespace cryptoki {

struct Version {
  uint8_t major = 0;
  uint8_t minor = 0;
};

inline constexpr Version kLibraryVersion{0, 1};
inline constexpr char kManufacturer[] = "cryptoki project";

struct LibraryInfo {
  Version cryptoki_version{3, 0};
  std::string manufacturer = kManufacturer;
  CK_FLAGS flags = 0;
  std::string description = "cryptoki software token";
  Version library_version = kLibraryVersion;
};

struct SlotInfo {
  std::string description;
  std::string manufacturer = kManufacturer;
  CK_FLAGS flags = 0;
  Version hardware_version = kLibraryVersion;
  Version firmware_version = kLibraryVersion;
};

struct TokenInfo {
  std::string label;
  std::string manufacturer = kManufacturer;
  std::string model = "cryptoki";
  std::string serial;
  CK_FLAGS flags = 0;
  CK_ULONG max_session_count = CK_EFFECTIVELY_INFINITE;
  CK_ULONG session_count = 0;
  CK_ULONG max_rw_session_count = CK_EFFECTIVELY_INFINITE;
  CK_ULONG rw_session_count = 0;
  CK_ULONG max_pin_len = 0;
  CK_ULONG min_pin_len = 0;
  CK_ULONG total_public_memory = CK_UNAVAILABLE_INFORMATION;
  CK_ULONG free_public_memory = CK_UNAVAILABLE_INFORMATION;
  CK_ULONG total_private_memory = CK_UNAVAILABLE_INFORMATION;
  CK_ULONG free_private_memory = CK_UNAVAILABLE_INFORMATION;
  Version hardware_version = kLibraryVersion;
  Version firmware_version = kLibraryVersion;
  std::string utc_time;  // empty: no clock on the token
};

struct SessionInfo {
  CK_SLOT_ID slot_id = 0;
  CK_STATE state = CKS_RO_PUBLIC_SESSION;
  CK_FLAGS flags = 0;
  CK_ULONG device_error = 0;
};

}  // namespace cryptoki

#endif  // CRYPTOKI_INFO_H_
