#include "cryptoki/mech/aead.h"

#include <openssl/rand.h>

#include "cryptoki/mech/registry.h"

namespace cryptoki::mech {
namespace {

Result<> Seal(const AeadKey& k, ByteView nonce, ByteView aad, ByteView in, Output& out) {
  CRYPTOKI_TRY(out.Fits(in.size() + k.tag_len));
  if (!out.Ready()) return {};
  size_t n = 0;
  if (!EVP_AEAD_CTX_seal(k.ctx, out.buffer.data(), &n, out.buffer.size(), nonce.data(),
                         nonce.size(), in.data(), in.size(), aad.data(), aad.size())) {
    return Fail(Rv::kFunctionFailed);
  }
  out.length = n;
  return {};
}

Result<> Open(const AeadKey& k, ByteView nonce, ByteView aad, ByteView in, Output& out) {
  if (in.size() < k.tag_len) return Fail(Rv::kEncryptedDataLenRange);
  CRYPTOKI_TRY(out.Fits(in.size() - k.tag_len));
  if (!out.Ready()) return {};
  size_t n = 0;
  if (!EVP_AEAD_CTX_open(k.ctx, out.buffer.data(), &n, out.buffer.size(), nonce.data(),
                         nonce.size(), in.data(), in.size(), aad.data(), aad.size())) {
    OPENSSL_cleanse(out.buffer.data(), in.size() - k.tag_len);
    return Fail(Rv::kEncryptedDataInvalid);
  }
  out.length = n;
  return {};
}

class AeadOperation : public Operation {
 public:
  AeadOperation(AeadKey k, bool enc, Bytes nonce, Bytes aad)
      : k_(std::move(k)), enc_(enc), nonce_(std::move(nonce)), aad_(std::move(aad)) {}

  Result<> Update(ByteView in, Output& out) override {
    CRYPTOKI_TRY(out.Fits(0));
    if (out.Ready()) buffered_.insert(buffered_.end(), in.begin(), in.end());
    return {};
  }
  Result<> Final(Output& out) override { return Run(buffered_, out); }
  Result<> OneShot(ByteView in, Output& out) override { return Run(in, out); }

 private:
  Result<> Run(ByteView in, Output& out) {
    return enc_ ? Seal(k_, nonce_, aad_, in, out) : Open(k_, nonce_, aad_, in, out);
  }
  AeadKey k_;
  bool enc_;
  Bytes nonce_, aad_;
  SecretBytes buffered_;
};

class AeadMessageOperation : public Operation {
 public:
  AeadMessageOperation(AeadKey k, bool enc, bool gcm) : k_(std::move(k)), enc_(enc), gcm_(gcm) {}

  // Update runs one message (EncryptMessage / DecryptMessage).
  Result<> Update(ByteView in, Output& out) override {
    MessageContext* m = CurrentMessage();
    if (m == nullptr) return Fail(Rv::kOperationNotInitialized);
    std::span<uint8_t> nonce, tag;
    CK_GENERATOR_FUNCTION gen = CKG_NO_GENERATE;
    size_t fixed_bits = 0;
    if (gcm_) {
      auto* p = std::get_if<GcmMessageParams>(m->params);
      if (p == nullptr) return Fail(Rv::kMechanismParamInvalid);
      nonce = p->iv, tag = p->tag, gen = p->generator, fixed_bits = p->iv_fixed_bits;
      if (tag.size() != k_.tag_len) return Fail(Rv::kMechanismParamInvalid);
    } else {
      auto* p = std::get_if<ChaCha20Poly1305MessageParams>(m->params);
      if (p == nullptr) return Fail(Rv::kMechanismParamInvalid);
      nonce = p->nonce, tag = p->tag;
      if (tag.size() != 16) return Fail(Rv::kMechanismParamInvalid);
    }
    if (nonce.empty()) return Fail(Rv::kMechanismParamInvalid);
    if (enc_) {
      CRYPTOKI_TRY(out.Fits(in.size()));
      if (!out.Ready()) return {};
      CRYPTOKI_TRY(MakeNonce(nonce, gen, fixed_bits));
      size_t tag_len = 0;
      if (!EVP_AEAD_CTX_seal_scatter(k_.ctx, out.buffer.data(), tag.data(), &tag_len, tag.size(),
                                     nonce.data(), nonce.size(), in.data(), in.size(), nullptr, 0,
                                     m->aad.data(), m->aad.size())) {
        return Fail(Rv::kFunctionFailed);
      }
      return {};
    }
    if (gen != CKG_NO_GENERATE) return Fail(Rv::kMechanismParamInvalid);
    CRYPTOKI_TRY(out.Fits(in.size()));
    if (!out.Ready()) return {};
    if (!EVP_AEAD_CTX_open_gather(k_.ctx, out.buffer.data(), nonce.data(), nonce.size(), in.data(),
                                  in.size(), tag.data(), tag.size(), m->aad.data(),
                                  m->aad.size())) {
      OPENSSL_cleanse(out.buffer.data(), in.size());
      return Fail(Rv::kAeadDecryptFailed);
    }
    return {};
  }
  Result<> Final(Output& out) override { return out.Fits(0); }

 private:
  Result<> MakeNonce(std::span<uint8_t> nonce, CK_GENERATOR_FUNCTION gen, size_t fixed_bits) {
    if (gen == CKG_NO_GENERATE) return {};
    if (fixed_bits % 8 || fixed_bits / 8 >= nonce.size()) return Fail(Rv::kMechanismParamInvalid);
    const size_t fixed = fixed_bits / 8;
    std::span<uint8_t> var = nonce.subspan(fixed);
    switch (gen) {
      case CKG_GENERATE_RANDOM:
        RAND_bytes(var.data(), var.size());
        return {};
      case CKG_GENERATE:
      case CKG_GENERATE_COUNTER: {
        // A per-operation counter in the variable part, big-endian.
        if (counter_ == UINT64_MAX) return Fail(Rv::kDataLenRange);
        uint64_t c = counter_++;
        for (size_t i = var.size(); i-- > 0;) {
          var[i] = static_cast<uint8_t>(c);
          c >>= 8;
        }
        if (c != 0) return Fail(Rv::kDataLenRange);  // counter outgrew the field
        return {};
      }
      default:
        return Fail(Rv::kMechanismParamInvalid);
    }
  }

  AeadKey k_;
  bool enc_, gcm_;
  uint64_t counter_ = 0;
};

}  // namespace

MessageContext*& CurrentMessage() {
  thread_local MessageContext* current = nullptr;
  return current;
}

std::unique_ptr<Operation> NewAeadOperation(AeadKey key, bool encrypt, Bytes nonce, Bytes aad) {
  return std::make_unique<AeadOperation>(std::move(key), encrypt, std::move(nonce), std::move(aad));
}

std::unique_ptr<Operation> NewAeadMessageOperation(AeadKey key, bool encrypt, bool gcm) {
  return std::make_unique<AeadMessageOperation>(std::move(key), encrypt, gcm);
}

}  // namespace cryptoki::mech

namespace cryptoki {
namespace {

Result<> RunMessage(Session& s, OpKind kind, MessageParams& params, ByteView aad, ByteView in,
                    Output& out) {
  mech::MessageContext ctx{&params, aad};
  mech::CurrentMessage() = &ctx;
  auto r = s.Update(kind, in, out);
  mech::CurrentMessage() = nullptr;
  return r;
}

}  // namespace

Result<> EncryptMessage(Session& s, MessageParams& params, ByteView aad, ByteView plaintext,
                        Output& out) {
  return RunMessage(s, OpKind::kMessageEncrypt, params, aad, plaintext, out);
}

Result<> DecryptMessage(Session& s, MessageParams& params, ByteView aad, ByteView ciphertext,
                        Output& out) {
  return RunMessage(s, OpKind::kMessageDecrypt, params, aad, ciphertext, out);
}

Result<> MessageEncryptFinal(Session& s) {
  Output none = Output::Into({});
  return s.Final(OpKind::kMessageEncrypt, none);
}

Result<> MessageDecryptFinal(Session& s) {
  Output none = Output::Into({});
  return s.Final(OpKind::kMessageDecrypt, none);
}

}  // namespace cryptoki
