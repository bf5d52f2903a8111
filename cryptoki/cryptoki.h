// cryptoki.h: the whole C++ API. See README.md and examples/.
#ifndef CRYPTOKI_CRYPTOKI_H_
#define CRYPTOKI_CRYPTOKI_H_

#include "cryptoki/attribute.h"
#include "cryptoki/config.h"
#include "cryptoki/info.h"
#include "cryptoki/library.h"
#include "cryptoki/object.h"
#include "cryptoki/rv.h"
#include "cryptoki/session.h"
#include "cryptoki/token.h"

#endif  // CRYPTOKI_CRYPTOKI_H_
