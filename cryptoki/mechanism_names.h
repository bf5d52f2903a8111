// mechanism_names.h: names of PKCS#11 mechanisms, for configs and logs.
#ifndef CRYPTOKI_MECHANISM_NAMES_H_
#define CRYPTOKI_MECHANISM_NAMES_H_

#include <optional>
#include <string>
#include <string_view>

#include "pkcs11.h"

namespace cryptoki {

// MechanismByName returns the value of "CKM_..." (or of a number such as
// "0x1087"), or nullopt for a name it does not know.
std::optional<CK_MECHANISM_TYPE> MechanismByName(std::string_view name);

// MechanismName returns "CKM_..." for |type|, or its value in hex.
std::string MechanismName(CK_MECHANISM_TYPE type);

}  // namespace cryptoki

#endif  // CRYPTOKI_MECHANISM_NAMES_H_
