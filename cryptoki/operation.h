// operation.h: Operation, the state of one cryptographic operation a session
// runs (a digest, an encryption...), and Output, the caller's buffer.
#ifndef CRYPTOKI_OPERATION_H_
#define CRYPTOKI_OPERATION_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <variant>

#include "cryptoki/bytes.h"
#include "cryptoki/rv.h"

namespace cryptoki {

class Object;

namespace mech {
// CK_GCM_MESSAGE_PARAMS for the message API: |iv| is input (CKG_NO_GENERATE)
// or filled in (generators); |tag| is written on encrypt, read on decrypt.
struct GcmMessageParams {
  std::span<uint8_t> iv;
  CK_ULONG iv_fixed_bits = 0;
  CK_GENERATOR_FUNCTION generator = CKG_NO_GENERATE;
  std::span<uint8_t> tag;
};
// CK_SALSA20_CHACHA20_POLY1305_MSG_PARAMS (the tag is 16 bytes).
struct ChaCha20Poly1305MessageParams {
  std::span<uint8_t> nonce;
  std::span<uint8_t> tag;
};
}  // namespace mech

// MessageParams is the per-message parameter of the message API: monostate
// for mechanisms that take none (every signature mechanism).
using MessageParams =
    std::variant<std::monostate, mech::GcmMessageParams, mech::ChaCha20Poly1305MessageParams>;

enum class OpKind : uint8_t {
  kEncrypt,
  kDecrypt,
  kDigest,
  kSign,
  kVerify,
  kSignRecover,
  kVerifyRecover,
  kMessageEncrypt,
  kMessageDecrypt,
  kMessageSign,
  kMessageVerify,
};
inline constexpr size_t kOpKinds = 11;

// Output is where an operation writes. With |query| set it only reports the
// length it would write. An operation sets |length| to what it wrote (or
// needs) and returns kBufferTooSmall, changing nothing, if |buffer| is short.
struct Output {
  std::span<uint8_t> buffer;
  bool query = false;
  size_t length = 0;

  static Output Query() { return Output{{}, true, 0}; }
  static Output Into(std::span<uint8_t> b) { return Output{b, false, 0}; }

  // Fits checks that |n| bytes fit, recording |n| as the length.
  Result<> Fits(size_t n) {
    length = n;
    if (query) return {};
    if (buffer.size() < n) return Fail(Rv::kBufferTooSmall);
    return {};
  }
  // Ready says whether the caller wants bytes (not a length query).
  bool Ready() const { return !query; }
};

// Operation is one running operation. The defaults return
// kFunctionNotSupported, which the session never lets reach the caller for
// operations a mechanism does not offer (the mechanism refuses to begin).
class Operation {
 public:
  virtual ~Operation() = default;

  // Update feeds |in| (and may write output, for ciphers).
  virtual Result<> Update(ByteView in, Output& out);
  // Final finishes a multi-part operation. For verification, the signature
  // comes as |in| to VerifyFinal.
  virtual Result<> Final(Output& out);
  // OneShot runs the whole operation on |in|.
  virtual Result<> OneShot(ByteView in, Output& out);
  // Verify checks |signature| against what Update fed (multi-part) or |data|.
  virtual Result<> VerifyFinal(ByteView signature);
  virtual Result<> VerifyOneShot(ByteView data, ByteView signature);
  // SaveState appends what the operation needs to resume (its running state,
  // never its key) to |out|, for C_GetOperationState; the caller seals the
  // blob. kStateUnsaveable if the operation cannot be saved.
  virtual Result<> SaveState(SecretBytes& out) const { return Fail(Rv::kStateUnsaveable); }

  // The message API (OpKind::kMessage*). Message runs one whole message:
  // encrypts or decrypts |in| (with |aad|) into |out|, or signs |in| into
  // |out|. VerifyMessage checks one message's |signature|. MessageBegin starts
  // a multi-part message and MessageNext feeds a part of it; |last| ends the
  // message (an AEAD writes or checks the tag in |params|, a signature is
  // written to |out|). VerifyMessageNext feeds a part; a |signature| ends the
  // message. The functions of mechanism.h keep the one-message-at-a-time
  // rule (in_message) around these.
  virtual Result<> Message(MessageParams& params, ByteView aad, ByteView in, Output& out);
  virtual Result<> VerifyMessage(MessageParams& params, ByteView data, ByteView signature);
  virtual Result<> MessageBegin(MessageParams& params, ByteView aad);
  virtual Result<> MessageNext(MessageParams& params, ByteView in, Output& out, bool last);
  virtual Result<> VerifyMessageNext(MessageParams& params, ByteView in,
                                     std::optional<ByteView> signature);

  // The key the operation uses, if any.
  std::shared_ptr<const Object> key;
  // Set once Update ran: a one-shot call is then refused.
  bool multipart = false;
  // Set between MessageBegin and the last MessageNext of a message operation.
  bool in_message = false;
  // Set when the key has CKA_ALWAYS_AUTHENTICATE and no context-specific
  // login has happened yet for this operation.
  bool needs_context_login = false;
};

}  // namespace cryptoki

#endif  // CRYPTOKI_OPERATION_H_
