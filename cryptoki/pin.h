// pin.h: PIN records. A PIN is never stored: scrypt turns it (with a random
// salt) into a key that seals the token data key with AES-256-GCM. Opening
// the seal checks the PIN and yields the data key in one step.
#ifndef CRYPTOKI_PIN_H_
#define CRYPTOKI_PIN_H_

#include <string_view>

#include "cryptoki/rv.h"
#include "cryptoki/store.h"

namespace cryptoki {

enum class PinRole : uint8_t { kSo = 0, kUser = 1 };

// MakePinRecord seals |data_key| under |pin| with scrypt cost 2^|log2n|.
// Returns kHostMemory / kGeneralError if the KDF or the cipher fails.
Result<PinRecord> MakePinRecord(std::string_view pin, const SecretBytes& data_key, uint32_t log2n,
                                PinRole role);

// OpenPinRecord returns the data key sealed in |record| if |pin| is right,
// kPinIncorrect if not. It does not touch the failure counter.
Result<SecretBytes> OpenPinRecord(const PinRecord& record, std::string_view pin, PinRole role);

// NewDataKey returns 32 random bytes.
SecretBytes NewDataKey();

}  // namespace cryptoki

#endif  // CRYPTOKI_PIN_H_
