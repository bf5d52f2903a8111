#include "cryptoki/rv.h"

#include <cstdio>

namespace cryptoki {

std::string to_string(Rv rv) {
  switch (rv) {
#define CRYPTOKI_RV_NAME(name, value) \
  case Rv::k##name:                   \
    return #value;
    CRYPTOKI_RV_LIST(CRYPTOKI_RV_NAME)
#undef CRYPTOKI_RV_NAME
  }
  const CK_RV v = ToCkRv(rv);
  char buf[48];
  if (v > CKR_VENDOR_DEFINED) {
    std::snprintf(buf, sizeof buf, "CKR_VENDOR_DEFINED+0x%lx", v - CKR_VENDOR_DEFINED);
  } else {
    std::snprintf(buf, sizeof buf, "CKR_0x%lx", v);
  }
  return buf;
}

}  // namespace cryptoki
