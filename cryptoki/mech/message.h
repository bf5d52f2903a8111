// message.h: the message API's signing side. Every mechanism that signs or
// verifies (CKF_SIGN / CKF_VERIFY) also does so message by message: the
// registry reports CKF_MESSAGE_SIGN / CKF_MESSAGE_VERIFY (EffectiveFlags) and
// this operation runs one of the mechanism's own sign or verify operations
// per message. Families write nothing for it.
#ifndef CRYPTOKI_MECH_MESSAGE_H_
#define CRYPTOKI_MECH_MESSAGE_H_

#include <memory>

#include "cryptoki/mech/registry.h"

namespace cryptoki::mech {

// NewSignMessageOperation returns the C_MessageSignInit (|sign|) or
// C_MessageVerifyInit operation of |entry| with |key|. It begins one
// operation of the mechanism at once, so that a bad parameter or key fails
// the init call, not the first message.
Result<std::unique_ptr<Operation>> NewSignMessageOperation(const MechanismEntry& entry,
                                                           const Mechanism& m,
                                                           std::shared_ptr<const Object> key,
                                                           bool sign);

}  // namespace cryptoki::mech

#endif  // CRYPTOKI_MECH_MESSAGE_H_
