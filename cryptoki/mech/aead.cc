#include "cryptoki/mech/aead.h"

#include <openssl/chacha.h>
#include <openssl/cipher.h>
#include <openssl/poly1305.h>
#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "cryptoki/mech/aes.h"
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
  // The nonce and the AAD are kept together, inline when short (no heap
  // allocation for the usual 12-byte nonce and a small AAD).
  AeadOperation(AeadKey k, bool enc, ByteView nonce, ByteView aad)
      : k_(std::move(k)), enc_(enc), nonce_len_(nonce.size()) {
    const size_t n = nonce.size() + aad.size();
    uint8_t* p = small_;
    if (n > sizeof small_) {
      big_.resize(n);
      p = big_.data();
    }
    if (!nonce.empty()) memcpy(p, nonce.data(), nonce.size());
    if (!aad.empty()) memcpy(p + nonce.size(), aad.data(), aad.size());
    params_ = ByteView(p, n);
  }
  AeadOperation(const AeadOperation&) = delete;
  AeadOperation& operator=(const AeadOperation&) = delete;

  Result<> Update(ByteView in, Output& out) override {
    CRYPTOKI_TRY(out.Fits(0));
    if (out.Ready()) buffered_.insert(buffered_.end(), in.begin(), in.end());
    return {};
  }
  Result<> Final(Output& out) override { return Run(buffered_, out); }
  Result<> OneShot(ByteView in, Output& out) override { return Run(in, out); }

 private:
  Result<> Run(ByteView in, Output& out) {
    const ByteView nonce = params_.first(nonce_len_), aad = params_.subspan(nonce_len_);
    return enc_ ? Seal(k_, nonce, aad, in, out) : Open(k_, nonce, aad, in, out);
  }
  AeadKey k_;
  bool enc_;
  size_t nonce_len_;
  uint8_t small_[48];
  Bytes big_;
  ByteView params_;  // nonce || AAD, in small_ or big_
  SecretBytes buffered_;
};

// MessageArgs is one message's parameters, read from MessageParams.
struct MessageArgs {
  std::span<uint8_t> nonce, tag;
  CK_GENERATOR_FUNCTION generator = CKG_NO_GENERATE;
  size_t fixed_bits = 0;
};

// ChaChaStream encrypts one ChaCha20-Poly1305 message part by part (RFC 8439
// section 2.8: the Poly1305 key from block 0, the text from block 1).
class ChaChaStream {
 public:
  ~ChaChaStream() { OPENSSL_cleanse(this, sizeof *this); }
  void Begin(ByteView key, ByteView nonce, ByteView aad) {
    memcpy(key_, key.data(), 32);
    memcpy(nonce_, nonce.data(), 12);
    uint8_t block0[64] = {};
    CRYPTO_chacha_20(block0, block0, 64, key_, nonce_, 0);
    CRYPTO_poly1305_init(&poly_, block0);
    OPENSSL_cleanse(block0, sizeof block0);
    if (!aad.empty()) CRYPTO_poly1305_update(&poly_, aad.data(), aad.size());
    Pad(aad.size());
    aad_len_ = aad.size();
    text_len_ = 0;
    counter_ = 1;
    pos_ = 64;
  }
  // Encrypt encrypts |n| bytes: kDataLenRange past the 2^32-block limit.
  Result<> Encrypt(const uint8_t* in, uint8_t* out, size_t n) {
    if (n > (uint64_t{1} << 38) - 64 - text_len_) return Fail(Rv::kDataLenRange);
    text_len_ += n;
    uint8_t* const start = out;
    while (n > 0) {
      if (pos_ < 64) {  // the rest of the last block's key stream
        size_t take = std::min(n, size_t{64} - pos_);
        for (size_t i = 0; i < take; ++i) out[i] = in[i] ^ stream_[pos_ + i];
        pos_ += take, in += take, out += take, n -= take;
      } else if (n >= 64) {
        const size_t whole = n & ~size_t{63};
        CRYPTO_chacha_20(out, in, whole, key_, nonce_, counter_);
        counter_ += static_cast<uint32_t>(whole / 64);
        in += whole, out += whole, n -= whole;
      } else {
        memset(stream_, 0, sizeof stream_);
        CRYPTO_chacha_20(stream_, stream_, 64, key_, nonce_, counter_++);
        pos_ = 0;
      }
    }
    CRYPTO_poly1305_update(&poly_, start, out - start);
    return {};
  }
  void Finish(uint8_t tag[16]) {
    Pad(text_len_);
    uint8_t lens[16];
    for (int i = 0; i < 8; ++i) {
      lens[i] = static_cast<uint8_t>(aad_len_ >> (8 * i));
      lens[8 + i] = static_cast<uint8_t>(text_len_ >> (8 * i));
    }
    CRYPTO_poly1305_update(&poly_, lens, sizeof lens);
    CRYPTO_poly1305_finish(&poly_, tag);
  }

 private:
  // Pad feeds the zeros that round |len| bytes up to 16.
  void Pad(uint64_t len) {
    static constexpr uint8_t kZeros[16] = {};
    if (len % 16) CRYPTO_poly1305_update(&poly_, kZeros, 16 - len % 16);
  }

  uint8_t key_[32];
  uint8_t nonce_[12];
  uint8_t stream_[64];
  size_t pos_ = 64;
  uint32_t counter_ = 1;
  uint64_t aad_len_ = 0, text_len_ = 0;
  poly1305_state poly_;
};

class AeadMessageOperation : public Operation {
 public:
  AeadMessageOperation(AeadKey k, bool enc, bool gcm) : k_(std::move(k)), enc_(enc), gcm_(gcm) {}

  Result<> Message(MessageParams& params, ByteView aad, ByteView in, Output& out) override {
    auto a = Args(params);
    if (!a) return Fail(a.error());
    if (!enc_ && a->generator != CKG_NO_GENERATE) return Fail(Rv::kMechanismParamInvalid);
    CRYPTOKI_TRY(out.Fits(in.size()));
    if (!out.Ready()) return {};
    auto key = ForTag(a->tag.size());
    if (!key) return Fail(key.error());
    if (enc_) {
      CRYPTOKI_TRY(MakeNonce(*a));
      size_t tag_len = 0;
      if (!EVP_AEAD_CTX_seal_scatter(key->ctx, out.buffer.data(), a->tag.data(), &tag_len,
                                     a->tag.size(), a->nonce.data(), a->nonce.size(), in.data(),
                                     in.size(), nullptr, 0, aad.data(), aad.size())) {
        return Fail(Rv::kFunctionFailed);
      }
      return {};
    }
    return OpenInto(*key, *a, aad, in, out);
  }

  Result<> MessageBegin(MessageParams& params, ByteView aad) override {
    auto a = Args(params);
    if (!a) return Fail(a.error());
    if (!enc_) {
      if (a->generator != CKG_NO_GENERATE) return Fail(Rv::kMechanismParamInvalid);
      nonce_.assign(a->nonce.begin(), a->nonce.end());
      aad_.assign(aad.begin(), aad.end());
      OPENSSL_cleanse(buffered_.data(), buffered_.size());
      buffered_.clear();
      return {};
    }
    if (aad.size() > INT_MAX) return Fail(Rv::kDataLenRange);
    CRYPTOKI_TRY(MakeNonce(*a));
    if (!gcm_) {
      chacha_ = std::make_unique<ChaChaStream>();
      chacha_->Begin(k_.raw, a->nonce, aad);
      return {};
    }
    int n = 0;
    gcm_ctx_.Reset();
    if (!EVP_EncryptInit_ex(gcm_ctx_.get(), GcmCipher(k_.raw.size()), nullptr, nullptr, nullptr) ||
        !EVP_CIPHER_CTX_ctrl(gcm_ctx_.get(), EVP_CTRL_AEAD_SET_IVLEN,
                             static_cast<int>(a->nonce.size()), nullptr) ||
        !EVP_EncryptInit_ex(gcm_ctx_.get(), nullptr, nullptr, k_.raw.data(), a->nonce.data()) ||
        (!aad.empty() && !EVP_EncryptUpdate(gcm_ctx_.get(), nullptr, &n, aad.data(),
                                            static_cast<int>(aad.size())))) {
      return Fail(Rv::kFunctionFailed);
    }
    return {};
  }

  Result<> MessageNext(MessageParams& params, ByteView in, Output& out, bool last) override {
    Result<MessageArgs> a = MessageArgs{};
    if (last) a = Args(params);
    if (!a) return Fail(a.error());
    if (!enc_) {
      if (!last) {
        CRYPTOKI_TRY(out.Fits(0));
        if (out.Ready()) buffered_.insert(buffered_.end(), in.begin(), in.end());
        return {};
      }
      CRYPTOKI_TRY(out.Fits(buffered_.size() + in.size()));
      if (!out.Ready()) return {};
      auto key = ForTag(a->tag.size());
      if (!key) return Fail(key.error());
      buffered_.insert(buffered_.end(), in.begin(), in.end());
      a->nonce = std::span<uint8_t>(nonce_);
      return OpenInto(*key, *a, aad_, buffered_, out);
    }
    CRYPTOKI_TRY(out.Fits(in.size()));
    if (!out.Ready()) return {};
    if (gcm_) {
      int n = 0;
      if (in.size() > INT_MAX) return Fail(Rv::kDataLenRange);
      if (!in.empty() && !EVP_EncryptUpdate(gcm_ctx_.get(), out.buffer.data(), &n, in.data(),
                                            static_cast<int>(in.size()))) {
        return Fail(Rv::kDataLenRange);  // past GCM's 2^36-32 bytes
      }
      if (last && (!EVP_EncryptFinal_ex(gcm_ctx_.get(), nullptr, &n) ||
                   !EVP_CIPHER_CTX_ctrl(gcm_ctx_.get(), EVP_CTRL_AEAD_GET_TAG,
                                        static_cast<int>(a->tag.size()), a->tag.data()))) {
        return Fail(Rv::kFunctionFailed);
      }
      return {};
    }
    CRYPTOKI_TRY(chacha_->Encrypt(in.data(), out.buffer.data(), in.size()));
    if (last) chacha_->Finish(a->tag.data());
    return {};
  }

  Result<> Final(Output& out) override { return out.Fits(0); }

 private:
  // Args reads one message's parameters: kMechanismParamInvalid for the
  // other mechanism's, a bad tag or nonce length.
  Result<MessageArgs> Args(MessageParams& params) const {
    MessageArgs a;
    if (gcm_) {
      auto* p = std::get_if<GcmMessageParams>(&params);
      if (p == nullptr || !GcmTagLenOk(p->tag.size()) || p->iv.empty()) {
        return Fail(Rv::kMechanismParamInvalid);
      }
      a.nonce = p->iv, a.tag = p->tag, a.generator = p->generator, a.fixed_bits = p->iv_fixed_bits;
      return a;
    }
    auto* p = std::get_if<ChaCha20Poly1305MessageParams>(&params);
    if (p == nullptr || p->tag.size() != 16 || p->nonce.size() != 12) {
      return Fail(Rv::kMechanismParamInvalid);
    }
    a.nonce = p->nonce, a.tag = p->tag;
    return a;
  }

  // ForTag returns the key's context for |tag_len|-byte tags.
  Result<AeadKey> ForTag(size_t tag_len) const {
    if (tag_len == k_.tag_len) return k_;
    if (!gcm_) return Fail(Rv::kMechanismParamInvalid);
    return OneOffGcmKey(k_.raw, tag_len);
  }

  static const EVP_CIPHER* GcmCipher(size_t key_len) {
    return key_len == 16   ? EVP_aes_128_gcm()
           : key_len == 24 ? EVP_aes_192_gcm()
                           : EVP_aes_256_gcm();
  }

  static Result<> OpenInto(const AeadKey& key, const MessageArgs& a, ByteView aad, ByteView in,
                           Output& out) {
    if (!EVP_AEAD_CTX_open_gather(key.ctx, out.buffer.data(), a.nonce.data(), a.nonce.size(),
                                  in.data(), in.size(), a.tag.data(), a.tag.size(), aad.data(),
                                  aad.size())) {
      OPENSSL_cleanse(out.buffer.data(), in.size());
      return Fail(Rv::kAeadDecryptFailed);
    }
    return {};
  }

  Result<> MakeNonce(const MessageArgs& a) {
    const CK_GENERATOR_FUNCTION gen = a.generator;
    if (gen == CKG_NO_GENERATE) return {};
    const size_t fixed_bits = a.fixed_bits;
    if (fixed_bits % 8 || fixed_bits / 8 >= a.nonce.size()) return Fail(Rv::kMechanismParamInvalid);
    std::span<uint8_t> var = a.nonce.subspan(fixed_bits / 8);
    switch (gen) {
      case CKG_GENERATE_RANDOM:
        RAND_bytes(var.data(), var.size());
        return {};
      case CKG_GENERATE:
      case CKG_GENERATE_COUNTER: {
        // A per-operation counter in the variable part, big-endian.
        if (counter_ == UINT64_MAX) return Fail(Rv::kDataLenRange);
        uint64_t c = counter_;
        for (size_t i = var.size(); i-- > 0;) {
          var[i] = static_cast<uint8_t>(c);
          c >>= 8;
        }
        if (c != 0) return Fail(Rv::kDataLenRange);  // counter outgrew the field
        ++counter_;
        return {};
      }
      default:
        return Fail(Rv::kMechanismParamInvalid);
    }
  }

  AeadKey k_;
  bool enc_, gcm_;
  uint64_t counter_ = 0;
  // The multi-part message: encryption streams, decryption buffers.
  bssl::ScopedEVP_CIPHER_CTX gcm_ctx_;
  std::unique_ptr<ChaChaStream> chacha_;
  Bytes nonce_, aad_;
  SecretBytes buffered_;
};

}  // namespace

bool GcmTagLenOk(size_t n) { return n == 4 || n == 8 || (n >= 12 && n <= 16); }

Result<AeadKey> OneOffGcmKey(ByteView raw, size_t tag_len) {
  auto one = std::make_shared<bssl::ScopedEVP_AEAD_CTX>();
  if (!EVP_AEAD_CTX_init(one->get(), GcmAead(raw.size()), raw.data(), raw.size(), tag_len,
                         nullptr)) {
    return Fail(Rv::kMechanismParamInvalid);
  }
  const EVP_AEAD_CTX* ctx = one->get();
  return AeadKey{std::move(one), ctx, tag_len, raw};
}

std::unique_ptr<Operation> NewAeadOperation(AeadKey key, bool encrypt, ByteView nonce,
                                            ByteView aad) {
  return std::make_unique<AeadOperation>(std::move(key), encrypt, nonce, aad);
}

std::unique_ptr<Operation> NewAeadMessageOperation(AeadKey key, bool encrypt, bool gcm) {
  return std::make_unique<AeadMessageOperation>(std::move(key), encrypt, gcm);
}

}  // namespace cryptoki::mech
