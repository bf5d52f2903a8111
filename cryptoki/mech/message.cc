// message.cc: the functions of the message API (mechanism.h), and the
// per-message signing operation of message.h. The one-message-at-a-time rule
// (Operation::in_message) is kept here, once, for every mechanism.
#include "cryptoki/mech/message.h"

namespace cryptoki::mech {
namespace {

class SignMessageOperation : public Operation {
 public:
  SignMessageOperation(const MechanismEntry& entry, Mechanism m, std::shared_ptr<const Object> k,
                       bool sign, std::unique_ptr<Operation> first)
      : entry_(entry),
        m_(std::move(m)),
        key_(std::move(k)),
        sign_(sign),
        spare_(std::move(first)) {}

  Result<> Message(MessageParams& params, ByteView, ByteView in, Output& out) override {
    CRYPTOKI_TRY(NoParams(params));
    auto op = Take();
    if (!op) return Fail(op.error());
    Result<> r = (*op)->OneShot(in, out);
    // A length query or a short buffer consumed nothing: keep the operation.
    if (r ? out.query : r.error() == Rv::kBufferTooSmall) spare_ = std::move(*op);
    return r;
  }
  Result<> VerifyMessage(MessageParams& params, ByteView data, ByteView signature) override {
    CRYPTOKI_TRY(NoParams(params));
    auto op = Take();
    if (!op) return Fail(op.error());
    return (*op)->VerifyOneShot(data, signature);
  }
  Result<> MessageBegin(MessageParams& params, ByteView) override {
    CRYPTOKI_TRY(NoParams(params));
    auto op = Take();
    if (!op) return Fail(op.error());
    current_ = std::move(*op);
    return {};
  }
  Result<> MessageNext(MessageParams& params, ByteView in, Output& out, bool last) override {
    CRYPTOKI_TRY(NoParams(params));
    if (!last) {
      Output none = Output::Into({});
      return current_->Update(in, none);
    }
    // Learn the signature's length first, so that a query or a short buffer
    // leaves the message as it was (the caller repeats the call).
    Output need = Output::Query();
    CRYPTOKI_TRY(current_->Final(need));
    CRYPTOKI_TRY(out.Fits(need.length));
    if (!out.Ready()) return {};
    Output none = Output::Into({});
    CRYPTOKI_TRY(current_->Update(in, none));
    return current_->Final(out);
  }
  Result<> VerifyMessageNext(MessageParams& params, ByteView in,
                             std::optional<ByteView> signature) override {
    CRYPTOKI_TRY(NoParams(params));
    Output none = Output::Into({});
    CRYPTOKI_TRY(current_->Update(in, none));
    if (!signature) return {};
    return current_->VerifyFinal(*signature);
  }
  Result<> Final(Output& out) override { return out.Fits(0); }

 private:
  static Result<> NoParams(const MessageParams& p) {
    if (!std::holds_alternative<std::monostate>(p)) return Fail(Rv::kMechanismParamInvalid);
    return {};
  }
  // Take returns an operation of the mechanism for one message.
  Result<std::unique_ptr<Operation>> Take() {
    if (spare_) return std::move(spare_);
    auto op = entry_.begin(sign_ ? OpKind::kSign : OpKind::kVerify, m_, key_);
    if (!op) return Fail(op.error());
    (*op)->key = key_;
    return op;
  }

  const MechanismEntry& entry_;
  Mechanism m_;
  std::shared_ptr<const Object> key_;
  bool sign_;
  std::unique_ptr<Operation> spare_;    // begun, unused
  std::unique_ptr<Operation> current_;  // the multi-part message
};

}  // namespace

Result<std::unique_ptr<Operation>> NewSignMessageOperation(const MechanismEntry& entry,
                                                           const Mechanism& m,
                                                           std::shared_ptr<const Object> key,
                                                           bool sign) {
  if (entry.begin == nullptr) return Fail(Rv::kMechanismInvalid);
  auto first = entry.begin(sign ? OpKind::kSign : OpKind::kVerify, m, key);
  if (!first) return Fail(first.error());
  (*first)->key = key;
  return std::unique_ptr<Operation>(
      std::make_unique<SignMessageOperation>(entry, m, std::move(key), sign, std::move(*first)));
}

}  // namespace cryptoki::mech

namespace cryptoki {
namespace {

// Whole runs a whole message with |f|: kOperationActive while a multi-part
// message runs.
template <class F>
Result<> Whole(Session& s, OpKind kind, F&& f) {
  return s.WithOperation(kind, [&](Operation& op) -> Result<> {
    if (op.in_message) return Fail(Rv::kOperationActive);
    return f(op);
  });
}

Result<> Begin(Session& s, OpKind kind, MessageParams& params, ByteView aad) {
  return s.WithOperation(kind, [&](Operation& op) -> Result<> {
    if (op.in_message) return Fail(Rv::kOperationActive);
    CRYPTOKI_TRY(op.MessageBegin(params, aad));
    op.in_message = true;
    return {};
  });
}

// Next runs a part of the multi-part message with |f|. The message ends when
// |f| ends it (|ends| and no length query), or fails for a reason other
// than the caller's buffer.
template <class F>
Result<> Next(Session& s, OpKind kind, bool ends, const Output* out, F&& f) {
  return s.WithOperation(kind, [&](Operation& op) -> Result<> {
    if (!op.in_message) return Fail(Rv::kOperationNotInitialized);
    Result<> r = f(op);
    if (!r) {
      if (r.error() != Rv::kBufferTooSmall) op.in_message = false;
    } else if (ends && (out == nullptr || out->Ready())) {
      op.in_message = false;
    }
    return r;
  });
}

Result<> EndMessages(Session& s, OpKind kind) {
  Output none = Output::Into({});
  return s.Final(kind, none);
}

}  // namespace

Result<> EncryptMessage(Session& s, MessageParams& params, ByteView aad, ByteView plaintext,
                        Output& out) {
  return Whole(s, OpKind::kMessageEncrypt,
               [&](Operation& op) { return op.Message(params, aad, plaintext, out); });
}
Result<> EncryptMessageBegin(Session& s, MessageParams& params, ByteView aad) {
  return Begin(s, OpKind::kMessageEncrypt, params, aad);
}
Result<> EncryptMessageNext(Session& s, MessageParams& params, ByteView part, Output& out,
                            bool last) {
  return Next(s, OpKind::kMessageEncrypt, last, &out,
              [&](Operation& op) { return op.MessageNext(params, part, out, last); });
}
Result<> MessageEncryptFinal(Session& s) { return EndMessages(s, OpKind::kMessageEncrypt); }

Result<> DecryptMessage(Session& s, MessageParams& params, ByteView aad, ByteView ciphertext,
                        Output& out) {
  return Whole(s, OpKind::kMessageDecrypt,
               [&](Operation& op) { return op.Message(params, aad, ciphertext, out); });
}
Result<> DecryptMessageBegin(Session& s, MessageParams& params, ByteView aad) {
  return Begin(s, OpKind::kMessageDecrypt, params, aad);
}
Result<> DecryptMessageNext(Session& s, MessageParams& params, ByteView part, Output& out,
                            bool last) {
  return Next(s, OpKind::kMessageDecrypt, last, &out,
              [&](Operation& op) { return op.MessageNext(params, part, out, last); });
}
Result<> MessageDecryptFinal(Session& s) { return EndMessages(s, OpKind::kMessageDecrypt); }

Result<> SignMessage(Session& s, MessageParams& params, ByteView data, Output& signature) {
  return Whole(s, OpKind::kMessageSign,
               [&](Operation& op) { return op.Message(params, {}, data, signature); });
}
Result<> SignMessageBegin(Session& s, MessageParams& params) {
  return Begin(s, OpKind::kMessageSign, params, {});
}
Result<> SignMessageNext(Session& s, MessageParams& params, ByteView data, Output* signature) {
  return Next(s, OpKind::kMessageSign, signature != nullptr, signature, [&](Operation& op) {
    Output none = Output::Into({});
    return op.MessageNext(params, data, signature ? *signature : none, signature != nullptr);
  });
}
Result<> MessageSignFinal(Session& s) { return EndMessages(s, OpKind::kMessageSign); }

Result<> VerifyMessage(Session& s, MessageParams& params, ByteView data, ByteView signature) {
  return Whole(s, OpKind::kMessageVerify,
               [&](Operation& op) { return op.VerifyMessage(params, data, signature); });
}
Result<> VerifyMessageBegin(Session& s, MessageParams& params) {
  return Begin(s, OpKind::kMessageVerify, params, {});
}
Result<> VerifyMessageNext(Session& s, MessageParams& params, ByteView data,
                           std::optional<ByteView> signature) {
  return Next(s, OpKind::kMessageVerify, signature.has_value(), nullptr,
              [&](Operation& op) { return op.VerifyMessageNext(params, data, signature); });
}
Result<> MessageVerifyFinal(Session& s) { return EndMessages(s, OpKind::kMessageVerify); }

}  // namespace cryptoki
