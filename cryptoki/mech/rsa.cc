// rsa.cc: the RSA family: key-pair generation, PKCS #1 v1.5, raw (X.509),
// OAEP and PSS encryption and signatures, hashed signatures, sign/verify
// recover, and RSA-OAEP / RSA-PKCS wrapping of secret keys.
#include "cryptoki/mech/rsa.h"

#include <openssl/aes.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "cryptoki/mech/asym.h"
#include "cryptoki/mech/registry.h"
#include "cryptoki/session.h"

namespace cryptoki::mech {
namespace {

constexpr size_t kMinBits = 1024;
constexpr size_t kMaxBits = 16384;
constexpr size_t kMinGenBits = 2048;
constexpr size_t kMaxGenBits = 8192;

// Optional returns |o|'s |type| as a BIGNUM, nullptr if absent or empty.
bssl::UniquePtr<BIGNUM> Optional(const Object& o, AttributeType type) {
  ByteView v = AttrValue(o, type);
  if (v.empty()) return nullptr;
  return NewBn(v);
}

// ExponentsAgree says whether (2^d)^e = 2 mod n: whether d undoes e.
bool ExponentsAgree(const BIGNUM* n, const BIGNUM* e, const BIGNUM* d) {
  bssl::UniquePtr<BN_CTX> ctx(BN_CTX_new());
  bssl::UniquePtr<BIGNUM> m(BN_new()), c(BN_new()), back(BN_new());
  return ctx && m && c && back && BN_set_word(m.get(), 2) &&
         BN_mod_exp(c.get(), m.get(), d, n, ctx.get()) &&
         BN_mod_exp(back.get(), c.get(), e, n, ctx.get()) && BN_cmp(back.get(), m.get()) == 0;
}

// GuessExponent finds the public exponent of a private key given only n and
// d among the usual ones (BoringSSL needs it for blinding and fault checks).
bssl::UniquePtr<BIGNUM> GuessExponent(const BIGNUM* n, const BIGNUM* d) {
  for (BN_ULONG candidate : {65537, 3, 5, 17, 257}) {
    bssl::UniquePtr<BIGNUM> e(BN_new());
    if (!e || !BN_set_word(e.get(), candidate)) return nullptr;
    if (ExponentsAgree(n, e.get(), d)) return e;
  }
  return nullptr;
}

// SetCrt gives |rsa| (n, e, d set) its primes |p| and |q| and the CRT values,
// computing those not given: kAttributeValueInvalid if they cannot be.
Result<> SetCrt(RSA* rsa, bssl::UniquePtr<BIGNUM> p, bssl::UniquePtr<BIGNUM> q,
                bssl::UniquePtr<BIGNUM> dp, bssl::UniquePtr<BIGNUM> dq,
                bssl::UniquePtr<BIGNUM> qinv) {
  bssl::UniquePtr<BN_CTX> ctx(BN_CTX_new());
  bssl::UniquePtr<BIGNUM> p1(BN_dup(p.get())), q1(BN_dup(q.get()));
  if (!ctx || !p1 || !q1) return Fail(Rv::kHostMemory);
  if (BN_is_zero(p.get()) || BN_is_zero(q.get()) || !BN_sub_word(p1.get(), 1) ||
      !BN_sub_word(q1.get(), 1)) {
    return Fail(Rv::kAttributeValueInvalid);
  }
  const BIGNUM* d = RSA_get0_d(rsa);
  if (!dp) {
    dp.reset(BN_new());
    if (!dp || !BN_mod(dp.get(), d, p1.get(), ctx.get())) return Fail(Rv::kAttributeValueInvalid);
  }
  if (!dq) {
    dq.reset(BN_new());
    if (!dq || !BN_mod(dq.get(), d, q1.get(), ctx.get())) return Fail(Rv::kAttributeValueInvalid);
  }
  if (!qinv) {
    qinv.reset(BN_mod_inverse(nullptr, q.get(), p.get(), ctx.get()));
    if (!qinv) return Fail(Rv::kAttributeValueInvalid);
  }
  if (!RSA_set0_factors(rsa, p.get(), q.get())) return Fail(Rv::kAttributeValueInvalid);
  p.release();
  q.release();
  if (!RSA_set0_crt_params(rsa, dp.get(), dq.get(), qinv.get())) {
    return Fail(Rv::kAttributeValueInvalid);
  }
  dp.release();
  dq.release();
  qinv.release();
  return {};
}

// ParseRsa parses an RSA key object with the codes of ImportedKey (asym.h);
// GetRsaKey checks the modulus size.
Result<std::shared_ptr<RsaKey>> ParseRsa(const Object& o) {
  if (o.key_type() != CKK_RSA) return Fail(Rv::kKeyTypeInconsistent);
  const bool is_private = o.object_class() == CKO_PRIVATE_KEY;
  if (!is_private && o.object_class() != CKO_PUBLIC_KEY) return Fail(Rv::kKeyTypeInconsistent);
  bssl::UniquePtr<BIGNUM> n = Optional(o, CKA_MODULUS);
  bssl::UniquePtr<BIGNUM> e = Optional(o, CKA_PUBLIC_EXPONENT);
  bssl::UniquePtr<BIGNUM> d = is_private ? Optional(o, CKA_PRIVATE_EXPONENT) : nullptr;
  if (!n || (is_private ? !d : !e)) return Fail(Rv::kTemplateIncomplete);
  // An RSA modulus is odd; beyond kMaxBits BoringSSL does not compute (and
  // that bounds the work below).
  if (!BN_is_odd(n.get()) || BN_num_bits(n.get()) > kMaxBits) {
    return Fail(Rv::kAttributeValueInvalid);
  }
  if (!e) e = GuessExponent(n.get(), d.get());
  if (!e) return Fail(Rv::kTemplateIncomplete);  // too little to know the key
  bssl::UniquePtr<RSA> rsa(RSA_new());
  if (!rsa) return Fail(Rv::kHostMemory);
  if (!RSA_set0_key(rsa.get(), n.get(), e.get(), d.get())) return Fail(Rv::kHostMemory);
  n.release();
  e.release();
  d.release();
  if (is_private) {
    bssl::UniquePtr<BIGNUM> p = Optional(o, CKA_PRIME_1), q = Optional(o, CKA_PRIME_2);
    if ((p == nullptr) != (q == nullptr)) return Fail(Rv::kTemplateIncomplete);
    if (p) {
      CRYPTOKI_TRY(SetCrt(rsa.get(), std::move(p), std::move(q), Optional(o, CKA_EXPONENT_1),
                          Optional(o, CKA_EXPONENT_2), Optional(o, CKA_COEFFICIENT)));
    }
  }
  // Public parts, d < n, and with the primes p * q = n and d, e, the CRT
  // values agreeing; without them, d must undo e.
  if (!RSA_check_key(rsa.get())) return Fail(Rv::kAttributeValueInvalid);
  if (is_private && RSA_get0_p(rsa.get()) == nullptr &&
      !ExponentsAgree(RSA_get0_n(rsa.get()), RSA_get0_e(rsa.get()), RSA_get0_d(rsa.get()))) {
    return Fail(Rv::kAttributeValueInvalid);
  }
  auto key = std::make_shared<RsaKey>();
  key->modulus_bytes = RSA_size(rsa.get());
  key->pkey.reset(EVP_PKEY_new());
  if (!key->pkey || !EVP_PKEY_set1_RSA(key->pkey.get(), rsa.get())) return Fail(Rv::kHostMemory);
  key->rsa = std::move(rsa);
  return key;
}

// PadLeft returns |in| left-padded with zeros to |len| bytes (|in| must fit).
SecretBytes PadLeft(ByteView in, size_t len) {
  SecretBytes out(len);
  memcpy(out.data() + len - in.size(), in.data(), in.size());
  return out;
}

int NidOf(const EVP_MD* md) { return EVP_MD_type(md); }

// --- Signatures -----------------------------------------------------------

enum class Scheme { kPkcs1, kX509, kPss };

class RsaSignOp : public SignVerifyOp {
 public:
  RsaSignOp(std::shared_ptr<const RsaKey> key, Scheme scheme, const EVP_MD* md,
            const EVP_MD* pss_md = nullptr, const EVP_MD* mgf_md = nullptr, int salt_len = 0)
      : SignVerifyOp(md, key->modulus_bytes),
        rsa_(std::move(key)),
        scheme_(scheme),
        pss_md_(pss_md),
        mgf_md_(mgf_md),
        salt_len_(salt_len) {}

 protected:
  Result<> Sign(ByteView input, std::span<uint8_t> out) override {
    RSA* rsa = rsa_->rsa.get();
    const size_t k = rsa_->modulus_bytes;
    size_t len = 0;
    switch (scheme_) {
      case Scheme::kPkcs1:
        if (md() != nullptr) {
          unsigned ulen = 0;
          if (!RSA_sign(NidOf(md()), input.data(), input.size(), out.data(), &ulen, rsa)) {
            return Fail(Rv::kFunctionFailed);
          }
          return {};
        }
        if (input.size() > k - 11) return Fail(Rv::kDataLenRange);
        if (!RSA_sign_raw(rsa, &len, out.data(), k, input.data(), input.size(),
                          RSA_PKCS1_PADDING)) {
          return Fail(Rv::kFunctionFailed);
        }
        return {};
      case Scheme::kX509: {
        if (input.size() > k) return Fail(Rv::kDataLenRange);
        SecretBytes padded = PadLeft(input, k);
        if (!RSA_sign_raw(rsa, &len, out.data(), k, padded.data(), k, RSA_NO_PADDING)) {
          return Fail(Rv::kDataInvalid);
        }
        return {};
      }
      case Scheme::kPss:
        if (input.size() != EVP_MD_size(pss_md_)) return Fail(Rv::kDataLenRange);
        if (!RSA_sign_pss_mgf1(rsa, &len, out.data(), k, input.data(), input.size(), pss_md_,
                               mgf_md_, salt_len_)) {
          return Fail(Rv::kFunctionFailed);
        }
        return {};
    }
    return Fail(Rv::kGeneralError);
  }

  Result<> Verify(ByteView input, ByteView signature) override {
    RSA* rsa = rsa_->rsa.get();
    const size_t k = rsa_->modulus_bytes;
    switch (scheme_) {
      case Scheme::kPkcs1: {
        if (md() != nullptr) {
          if (!RSA_verify(NidOf(md()), input.data(), input.size(), signature.data(),
                          signature.size(), rsa)) {
            return Fail(Rv::kSignatureInvalid);
          }
          return {};
        }
        if (input.size() > k - 11) return Fail(Rv::kDataLenRange);
        Bytes recovered(k);
        size_t len = 0;
        if (!RSA_verify_raw(rsa, &len, recovered.data(), k, signature.data(), signature.size(),
                            RSA_PKCS1_PADDING) ||
            !Equal(ByteView(recovered.data(), len), input)) {
          return Fail(Rv::kSignatureInvalid);
        }
        return {};
      }
      case Scheme::kX509: {
        if (input.size() > k) return Fail(Rv::kDataLenRange);
        Bytes recovered(k);
        size_t len = 0;
        if (!RSA_verify_raw(rsa, &len, recovered.data(), k, signature.data(), signature.size(),
                            RSA_NO_PADDING) ||
            !Equal(ByteView(recovered.data(), len), PadLeft(input, k))) {
          return Fail(Rv::kSignatureInvalid);
        }
        return {};
      }
      case Scheme::kPss:
        if (input.size() != EVP_MD_size(pss_md_)) return Fail(Rv::kDataLenRange);
        if (!RSA_verify_pss_mgf1(rsa, input.data(), input.size(), pss_md_, mgf_md_, salt_len_,
                                 signature.data(), signature.size())) {
          return Fail(Rv::kSignatureInvalid);
        }
        return {};
    }
    return Fail(Rv::kGeneralError);
  }

 private:
  std::shared_ptr<const RsaKey> rsa_;
  Scheme scheme_;
  const EVP_MD* pss_md_;
  const EVP_MD* mgf_md_;
  int salt_len_;
};

// RsaRecoverOp is C_SignRecover (data in, signature out) and
// C_VerifyRecover (signature in, data out), PKCS #1 v1.5 or raw.
class RsaRecoverOp : public Operation {
 public:
  RsaRecoverOp(std::shared_ptr<const RsaKey> key, bool sign, int padding)
      : rsa_(std::move(key)), sign_(sign), padding_(padding) {}

  Result<> OneShot(ByteView in, Output& out) override {
    RSA* rsa = rsa_->rsa.get();
    const size_t k = rsa_->modulus_bytes;
    if (sign_) {
      const size_t max_in = padding_ == RSA_PKCS1_PADDING ? k - 11 : k;
      if (in.size() > max_in) return Fail(Rv::kDataLenRange);
      CRYPTOKI_TRY(out.Fits(k));
      if (!out.Ready()) return {};
      SecretBytes padded =
          padding_ == RSA_NO_PADDING ? PadLeft(in, k) : SecretBytes(in.begin(), in.end());
      size_t len = 0;
      if (!RSA_sign_raw(rsa, &len, out.buffer.data(), k, padded.data(), padded.size(), padding_)) {
        return Fail(padding_ == RSA_NO_PADDING ? Rv::kDataInvalid : Rv::kFunctionFailed);
      }
      return {};
    }
    if (in.size() != k) return Fail(Rv::kSignatureLenRange);
    if (out.query) return out.Fits(padding_ == RSA_PKCS1_PADDING ? k - 11 : k);
    SecretBytes recovered(k);
    size_t len = 0;
    if (!RSA_verify_raw(rsa, &len, recovered.data(), k, in.data(), in.size(), padding_)) {
      return Fail(Rv::kSignatureInvalid);
    }
    return WriteOut(ByteView(recovered.data(), len), out);
  }

 private:
  std::shared_ptr<const RsaKey> rsa_;
  bool sign_;
  int padding_;
};

// --- Encryption -----------------------------------------------------------

Result<Bytes> PublicEncrypt(const RsaKey& key, int padding, ByteView in) {
  const size_t k = key.modulus_bytes;
  Bytes out(k);
  size_t len = 0;
  if (padding == RSA_NO_PADDING) {
    if (in.size() > k) return Fail(Rv::kDataLenRange);
    SecretBytes padded = PadLeft(in, k);
    if (!RSA_encrypt(key.rsa.get(), &len, out.data(), k, padded.data(), k, RSA_NO_PADDING)) {
      return Fail(Rv::kDataInvalid);
    }
    return out;
  }
  if (in.size() > k - 11) return Fail(Rv::kDataLenRange);
  if (!RSA_encrypt(key.rsa.get(), &len, out.data(), k, in.data(), in.size(), padding)) {
    return Fail(Rv::kFunctionFailed);
  }
  out.resize(len);
  return out;
}

Result<SecretBytes> PrivateDecrypt(const RsaKey& key, int padding, ByteView in) {
  const size_t k = key.modulus_bytes;
  if (in.size() != k) return Fail(Rv::kEncryptedDataLenRange);
  SecretBytes out(k);
  size_t len = 0;
  // PKCS #1 v1.5 padding is checked in constant time by BoringSSL.
  if (!RSA_decrypt(key.rsa.get(), &len, out.data(), k, in.data(), in.size(), padding)) {
    return Fail(Rv::kEncryptedDataInvalid);
  }
  out.resize(len);
  return out;
}

class RsaCryptOp : public Operation {
 public:
  RsaCryptOp(std::shared_ptr<const RsaKey> key, bool encrypt, int padding,
             std::optional<RsaOaepParams> oaep)
      : rsa_(std::move(key)), encrypt_(encrypt), padding_(padding), oaep_(std::move(oaep)) {}

  Result<> OneShot(ByteView in, Output& out) override {
    const size_t k = rsa_->modulus_bytes;
    if (encrypt_) {
      if (out.query) return out.Fits(k);
      if (out.buffer.size() < k) return out.Fits(k);
      auto c = oaep_ ? RsaOaepEncrypt(*rsa_, *oaep_, in) : PublicEncrypt(*rsa_, padding_, in);
      if (!c) return Fail(c.error());
      return WriteOut(*c, out);
    }
    if (in.size() != k) return Fail(Rv::kEncryptedDataLenRange);
    if (out.query) return out.Fits(k);
    auto p = oaep_ ? RsaOaepDecrypt(*rsa_, *oaep_, in) : PrivateDecrypt(*rsa_, padding_, in);
    if (!p) return Fail(p.error());
    return WriteOut(*p, out);
  }

 private:
  std::shared_ptr<const RsaKey> rsa_;
  bool encrypt_;
  int padding_;
  std::optional<RsaOaepParams> oaep_;
};

Result<bssl::UniquePtr<EVP_PKEY_CTX>> OaepContext(const RsaKey& key, const RsaOaepParams& params,
                                                  bool encrypt) {
  bssl::UniquePtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new(key.pkey.get(), nullptr));
  if (!ctx) return Fail(Rv::kHostMemory);
  if ((encrypt ? EVP_PKEY_encrypt_init(ctx.get()) : EVP_PKEY_decrypt_init(ctx.get())) != 1 ||
      !EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) ||
      !EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), DigestForMechanism(params.hash)) ||
      !EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), MgfDigestOf(params.mgf))) {
    return Fail(Rv::kFunctionFailed);
  }
  if (!params.source_data.empty()) {
    uint8_t* label =
        static_cast<uint8_t*>(OPENSSL_memdup(params.source_data.data(), params.source_data.size()));
    if (label == nullptr ||
        !EVP_PKEY_CTX_set0_rsa_oaep_label(ctx.get(), label, params.source_data.size())) {
      OPENSSL_free(label);
      return Fail(Rv::kHostMemory);
    }
  }
  return ctx;
}

// --- Begin ----------------------------------------------------------------

const EVP_MD* HashOfSignMechanism(CK_MECHANISM_TYPE t) {
  switch (t) {
    case CKM_SHA1_RSA_PKCS:
    case CKM_SHA1_RSA_PKCS_PSS:
      return EVP_sha1();
    case CKM_SHA224_RSA_PKCS:
    case CKM_SHA224_RSA_PKCS_PSS:
      return EVP_sha224();
    case CKM_SHA256_RSA_PKCS:
    case CKM_SHA256_RSA_PKCS_PSS:
      return EVP_sha256();
    case CKM_SHA384_RSA_PKCS:
    case CKM_SHA384_RSA_PKCS_PSS:
      return EVP_sha384();
    case CKM_SHA512_RSA_PKCS:
    case CKM_SHA512_RSA_PKCS_PSS:
      return EVP_sha512();
    default:
      return nullptr;
  }
}

bool IsPss(CK_MECHANISM_TYPE t) {
  switch (t) {
    case CKM_RSA_PKCS_PSS:
    case CKM_SHA1_RSA_PKCS_PSS:
    case CKM_SHA224_RSA_PKCS_PSS:
    case CKM_SHA256_RSA_PKCS_PSS:
    case CKM_SHA384_RSA_PKCS_PSS:
    case CKM_SHA512_RSA_PKCS_PSS:
      return true;
    default:
      return false;
  }
}

Result<std::unique_ptr<Operation>> BeginRsa(OpKind kind, const Mechanism& m,
                                            const std::shared_ptr<const Object>& key_object) {
  auto key = GetRsaKey(*key_object);
  if (!key) return Fail(key.error());
  const bool private_use =
      kind == OpKind::kSign || kind == OpKind::kDecrypt || kind == OpKind::kSignRecover;
  std::unique_ptr<Operation> op;
  switch (kind) {
    case OpKind::kSign:
    case OpKind::kVerify: {
      const EVP_MD* md = HashOfSignMechanism(m.type);
      if (IsPss(m.type)) {
        const auto* p = std::get_if<RsaPssParams>(&m.params);
        if (p == nullptr) return Fail(Rv::kMechanismParamInvalid);
        const EVP_MD* pss_md = DigestForMechanism(p->hash);
        const EVP_MD* mgf_md = MgfDigestOf(p->mgf);
        if (pss_md == nullptr || mgf_md == nullptr) return Fail(Rv::kMechanismParamInvalid);
        if (md != nullptr && EVP_MD_type(md) != EVP_MD_type(pss_md)) {
          return Fail(Rv::kMechanismParamInvalid);
        }
        // emLen >= hLen + sLen + 2, emLen = ceil((modBits - 1) / 8).
        const size_t em_len = (RSA_bits((*key)->rsa.get()) - 1 + 7) / 8;
        if (p->salt_len > em_len || em_len - p->salt_len < EVP_MD_size(pss_md) + 2) {
          return Fail(Rv::kMechanismParamInvalid);
        }
        op = std::make_unique<RsaSignOp>(*key, Scheme::kPss, md, pss_md, mgf_md,
                                         static_cast<int>(p->salt_len));
      } else if (m.type == CKM_RSA_X_509) {
        op = std::make_unique<RsaSignOp>(*key, Scheme::kX509, nullptr);
      } else {
        op = std::make_unique<RsaSignOp>(*key, Scheme::kPkcs1, md);
      }
      break;
    }
    case OpKind::kSignRecover:
    case OpKind::kVerifyRecover:
      op = std::make_unique<RsaRecoverOp>(
          *key, kind == OpKind::kSignRecover,
          m.type == CKM_RSA_X_509 ? RSA_NO_PADDING : RSA_PKCS1_PADDING);
      break;
    case OpKind::kEncrypt:
    case OpKind::kDecrypt: {
      std::optional<RsaOaepParams> oaep;
      if (m.type == CKM_RSA_PKCS_OAEP) {
        const auto* p = std::get_if<RsaOaepParams>(&m.params);
        if (p == nullptr) return Fail(Rv::kMechanismParamInvalid);
        CRYPTOKI_TRY(CheckOaepParams(*p));
        oaep = *p;
      }
      op = std::make_unique<RsaCryptOp>(
          *key, kind == OpKind::kEncrypt,
          m.type == CKM_RSA_X_509 ? RSA_NO_PADDING : RSA_PKCS1_PADDING, std::move(oaep));
      break;
    }
    default:
      return Fail(Rv::kMechanismInvalid);
  }
  op->key = key_object;
  op->needs_context_login = private_use && key_object->Bool(CKA_ALWAYS_AUTHENTICATE);
  return op;
}

// --- Wrapping of secret keys --------------------------------------------

Result<SecretBytes> WrapRsa(const Mechanism& m, const Object& wrapping_key, ByteView key_bytes) {
  auto key = GetRsaKey(wrapping_key);
  if (!key) return Fail(key.error());
  Result<Bytes> c = Fail(Rv::kMechanismInvalid);
  if (m.type == CKM_RSA_PKCS_OAEP) {
    const auto* p = std::get_if<RsaOaepParams>(&m.params);
    if (p == nullptr) return Fail(Rv::kMechanismParamInvalid);
    c = RsaOaepEncrypt(**key, *p, key_bytes);
  } else {
    c = PublicEncrypt(**key, RSA_PKCS1_PADDING, key_bytes);
  }
  if (!c) return Fail(c.error() == Rv::kDataLenRange ? Rv::kKeySizeRange : c.error());
  return SecretBytes(c->begin(), c->end());
}

Result<SecretBytes> UnwrapRsa(const Mechanism& m, const Object& unwrapping_key, ByteView wrapped) {
  auto key = GetRsaKey(unwrapping_key);
  if (!key) return Fail(key.error());
  Result<SecretBytes> p = Fail(Rv::kMechanismInvalid);
  if (m.type == CKM_RSA_PKCS_OAEP) {
    const auto* params = std::get_if<RsaOaepParams>(&m.params);
    if (params == nullptr) return Fail(Rv::kMechanismParamInvalid);
    p = RsaOaepDecrypt(**key, *params, wrapped);
  } else {
    p = PrivateDecrypt(**key, RSA_PKCS1_PADDING, wrapped);
  }
  if (!p) {
    if (p.error() == Rv::kEncryptedDataLenRange) return Fail(Rv::kWrappedKeyLenRange);
    if (p.error() == Rv::kEncryptedDataInvalid) return Fail(Rv::kWrappedKeyInvalid);
    return Fail(p.error());
  }
  return p;
}

// CKM_RSA_AES_KEY_WRAP: a fresh AES key wrapped with RSA-OAEP, followed by
// the key wrapped with that AES key by AES key wrap with padding (RFC 5649).
Result<SecretBytes> WrapRsaAes(const Mechanism& m, const Object& wrapping_key, ByteView key_bytes) {
  const auto* p = std::get_if<RsaAesKeyWrapParams>(&m.params);
  if (p == nullptr) return Fail(Rv::kMechanismParamInvalid);
  if (p->aes_key_bits != 128 && p->aes_key_bits != 192 && p->aes_key_bits != 256) {
    return Fail(Rv::kMechanismParamInvalid);
  }
  CRYPTOKI_TRY(CheckOaepParams(p->oaep));
  auto key = GetRsaKey(wrapping_key);
  if (!key) return Fail(key.error());
  SecretBytes aes(p->aes_key_bits / 8);
  RAND_bytes(aes.data(), aes.size());
  auto wrapped_aes = RsaOaepEncrypt(**key, p->oaep, aes);
  if (!wrapped_aes) return Fail(wrapped_aes.error());
  AES_KEY schedule;
  if (AES_set_encrypt_key(aes.data(), aes.size() * 8, &schedule) != 0) {
    return Fail(Rv::kFunctionFailed);
  }
  SecretBytes out(wrapped_aes->begin(), wrapped_aes->end());
  const size_t head = out.size();
  out.resize(head + key_bytes.size() + 15);
  size_t len = 0;
  const int ok = AES_wrap_key_padded(&schedule, out.data() + head, &len, out.size() - head,
                                     key_bytes.data(), key_bytes.size());
  OPENSSL_cleanse(&schedule, sizeof schedule);
  if (!ok) return Fail(Rv::kKeySizeRange);
  out.resize(head + len);
  return out;
}

Result<SecretBytes> UnwrapRsaAes(const Mechanism& m, const Object& unwrapping_key,
                                 ByteView wrapped) {
  const auto* p = std::get_if<RsaAesKeyWrapParams>(&m.params);
  if (p == nullptr) return Fail(Rv::kMechanismParamInvalid);
  if (p->aes_key_bits != 128 && p->aes_key_bits != 192 && p->aes_key_bits != 256) {
    return Fail(Rv::kMechanismParamInvalid);
  }
  CRYPTOKI_TRY(CheckOaepParams(p->oaep));
  auto key = GetRsaKey(unwrapping_key);
  if (!key) return Fail(key.error());
  const size_t k = (*key)->modulus_bytes;
  if (wrapped.size() < k + 16 || (wrapped.size() - k) % 8 != 0) {
    return Fail(Rv::kWrappedKeyLenRange);
  }
  auto aes = RsaOaepDecrypt(**key, p->oaep, wrapped.first(k));
  if (!aes) return Fail(Rv::kWrappedKeyInvalid);
  if (aes->size() * 8 != p->aes_key_bits) return Fail(Rv::kWrappedKeyInvalid);
  AES_KEY schedule;
  if (AES_set_decrypt_key(aes->data(), aes->size() * 8, &schedule) != 0) {
    return Fail(Rv::kWrappedKeyInvalid);
  }
  ByteView body = wrapped.subspan(k);
  SecretBytes out(body.size());
  size_t len = 0;
  const int ok =
      AES_unwrap_key_padded(&schedule, out.data(), &len, out.size(), body.data(), body.size());
  OPENSSL_cleanse(&schedule, sizeof schedule);
  if (!ok) return Fail(Rv::kWrappedKeyInvalid);
  out.resize(len);
  return out;
}

// --- Key-pair generation --------------------------------------------------

Result<std::pair<ObjectHandle, ObjectHandle>> GenerateRsaKeyPair(Session& s, const Mechanism& m,
                                                                 const Template& public_tmpl,
                                                                 const Template& private_tmpl) {
  const Attribute* bits_attr = public_tmpl.Find(CKA_MODULUS_BITS);
  if (bits_attr == nullptr) return Fail(Rv::kTemplateIncomplete);
  auto bits = bits_attr->AsUlong();
  if (!bits) return Fail(Rv::kAttributeValueInvalid);
  if (*bits < kMinGenBits || *bits > kMaxGenBits || *bits % 128 != 0) {
    return Fail(Rv::kKeySizeRange);
  }
  bssl::UniquePtr<BIGNUM> e(BN_new());
  if (!e) return Fail(Rv::kHostMemory);
  if (const Attribute* ea = public_tmpl.Find(CKA_PUBLIC_EXPONENT)) {
    e = NewBn(ea->value());
    if (!e || !BN_is_odd(e.get()) || BN_num_bits(e.get()) < 2 || BN_num_bits(e.get()) > 32) {
      return Fail(Rv::kAttributeValueInvalid);
    }
  } else if (!BN_set_word(e.get(), RSA_F4)) {
    return Fail(Rv::kHostMemory);
  }
  bssl::UniquePtr<RSA> rsa(RSA_new());
  if (!rsa || !RSA_generate_key_ex(rsa.get(), static_cast<int>(*bits), e.get(), nullptr)) {
    return Fail(Rv::kFunctionFailed);
  }
  Template priv_gen = RsaPrivateKeyAttributes(rsa.get());
  Template pub_gen;
  for (AttributeType t : {CKA_MODULUS, CKA_PUBLIC_EXPONENT, CKA_PUBLIC_KEY_INFO}) {
    pub_gen.Add(*priv_gen.Find(t));
  }
  const Bytes n = BnBytes(RSA_get0_n(rsa.get()));
  return StoreKeyPair(s, m.type, WithClassAndType(public_tmpl, CKO_PUBLIC_KEY, CKK_RSA),
                      WithClassAndType(private_tmpl, CKO_PRIVATE_KEY, CKK_RSA), std::move(pub_gen),
                      std::move(priv_gen), n);
}

constexpr CK_KEY_TYPE kRsa[] = {CKK_RSA};
constexpr CK_FLAGS kSignFlags = CKF_SIGN | CKF_VERIFY;

#define CRYPTOKI_RSA_SIGN(mech)                                                \
  MechanismEntry {                                                             \
    .type = mech, .info = {kMinBits, kMaxBits, kSignFlags}, .key_types = kRsa, \
    .size_unit = SizeUnit::kFamily, .begin = BeginRsa                          \
  }
#define CRYPTOKI_RSA_PSS(mech)                                                          \
  MechanismEntry {                                                                      \
    .type = mech, .info = {kMinBits, kMaxBits, kSignFlags}, .key_types = kRsa,          \
    .params_ok = Takes<RsaPssParams>, .size_unit = SizeUnit::kFamily, .begin = BeginRsa \
  }

const MechanismEntry kEntries[] = {
    {.type = CKM_RSA_PKCS_KEY_PAIR_GEN,
     .info = {kMinGenBits, kMaxGenBits, CKF_GENERATE_KEY_PAIR},
     .size_unit = SizeUnit::kFamily,
     .generate_pair = GenerateRsaKeyPair},
    {.type = CKM_RSA_PKCS,
     .info = {kMinBits, kMaxBits,
              CKF_ENCRYPT | CKF_DECRYPT | kSignFlags | CKF_SIGN_RECOVER | CKF_VERIFY_RECOVER |
                  CKF_WRAP | CKF_UNWRAP},
     .key_types = kRsa,
     .size_unit = SizeUnit::kFamily,
     .begin = BeginRsa,
     .wrap = WrapRsa,
     .unwrap = UnwrapRsa},
    {.type = CKM_RSA_X_509,
     .info = {kMinBits, kMaxBits,
              CKF_ENCRYPT | CKF_DECRYPT | kSignFlags | CKF_SIGN_RECOVER | CKF_VERIFY_RECOVER},
     .key_types = kRsa,
     .size_unit = SizeUnit::kFamily,
     .begin = BeginRsa},
    {.type = CKM_RSA_PKCS_OAEP,
     .info = {kMinBits, kMaxBits, CKF_ENCRYPT | CKF_DECRYPT | CKF_WRAP | CKF_UNWRAP},
     .key_types = kRsa,
     .params_ok = Takes<RsaOaepParams>,
     .size_unit = SizeUnit::kFamily,
     .begin = BeginRsa,
     .wrap = WrapRsa,
     .unwrap = UnwrapRsa},
    CRYPTOKI_RSA_PSS(CKM_RSA_PKCS_PSS),
    CRYPTOKI_RSA_SIGN(CKM_SHA1_RSA_PKCS),
    CRYPTOKI_RSA_PSS(CKM_SHA1_RSA_PKCS_PSS),
    CRYPTOKI_RSA_SIGN(CKM_SHA256_RSA_PKCS),
    CRYPTOKI_RSA_SIGN(CKM_SHA384_RSA_PKCS),
    CRYPTOKI_RSA_SIGN(CKM_SHA512_RSA_PKCS),
    CRYPTOKI_RSA_PSS(CKM_SHA256_RSA_PKCS_PSS),
    CRYPTOKI_RSA_PSS(CKM_SHA384_RSA_PKCS_PSS),
    CRYPTOKI_RSA_PSS(CKM_SHA512_RSA_PKCS_PSS),
    CRYPTOKI_RSA_SIGN(CKM_SHA224_RSA_PKCS),
    CRYPTOKI_RSA_PSS(CKM_SHA224_RSA_PKCS_PSS),
    {.type = CKM_RSA_AES_KEY_WRAP,
     .info = {kMinBits, kMaxBits, CKF_WRAP | CKF_UNWRAP},
     .key_types = kRsa,
     .params_ok = Takes<RsaAesKeyWrapParams>,
     .size_unit = SizeUnit::kFamily,
     .wrap = WrapRsaAes,
     .unwrap = UnwrapRsaAes},
};

#undef CRYPTOKI_RSA_SIGN
#undef CRYPTOKI_RSA_PSS

// The self-test's known answer: Wycheproof rsa_signature_2048_sha256 tcId 3
// (the message "Test", e = 65537).
constexpr uint8_t kKatModulus[] = {
    0xa2, 0xb4, 0x51, 0xa0, 0x7d, 0x0a, 0xa5, 0xf9, 0x6e, 0x45, 0x56, 0x71, 0x51, 0x35, 0x50, 0x51,
    0x4a, 0x8a, 0x5b, 0x46, 0x2e, 0xbe, 0xf7, 0x17, 0x09, 0x4f, 0xa1, 0xfe, 0xe8, 0x22, 0x24, 0xe6,
    0x37, 0xf9, 0x74, 0x6d, 0x3f, 0x7c, 0xaf, 0xd3, 0x18, 0x78, 0xd8, 0x03, 0x25, 0xb6, 0xef, 0x5a,
    0x17, 0x00, 0xf6, 0x59, 0x03, 0xb4, 0x69, 0x42, 0x9e, 0x89, 0xd6, 0xea, 0xc8, 0x84, 0x50, 0x97,
    0xb5, 0xab, 0x39, 0x31, 0x89, 0xdb, 0x92, 0x51, 0x2e, 0xd8, 0xa7, 0x71, 0x1a, 0x12, 0x53, 0xfa,
    0xcd, 0x20, 0xf7, 0x9c, 0x15, 0xe8, 0x24, 0x7f, 0x3d, 0x3e, 0x42, 0xe4, 0x6e, 0x48, 0xc9, 0x8e,
    0x25, 0x4a, 0x2f, 0xe9, 0x76, 0x53, 0x13, 0xa0, 0x3e, 0xff, 0x8f, 0x17, 0xe1, 0xa0, 0x29, 0x39,
    0x7a, 0x1f, 0xa2, 0x6a, 0x8d, 0xce, 0x26, 0xf4, 0x90, 0xed, 0x81, 0x29, 0x96, 0x15, 0xd9, 0x81,
    0x4c, 0x22, 0xda, 0x61, 0x04, 0x28, 0xe0, 0x9c, 0x7d, 0x96, 0x58, 0x59, 0x42, 0x66, 0xf5, 0xc0,
    0x21, 0xd0, 0xfc, 0xec, 0xa0, 0x8d, 0x94, 0x5a, 0x12, 0xbe, 0x82, 0xde, 0x4d, 0x1e, 0xce, 0x6b,
    0x4c, 0x03, 0x14, 0x5b, 0x5d, 0x34, 0x95, 0xd4, 0xed, 0x54, 0x11, 0xeb, 0x87, 0x8d, 0xaf, 0x05,
    0xfd, 0x7a, 0xfc, 0x3e, 0x09, 0xad, 0xa0, 0xf1, 0x12, 0x64, 0x22, 0xf5, 0x90, 0x97, 0x5a, 0x19,
    0x69, 0x81, 0x6f, 0x48, 0x69, 0x8b, 0xcb, 0xba, 0x1b, 0x4d, 0x9c, 0xae, 0x79, 0xd4, 0x60, 0xd8,
    0xf9, 0xf8, 0x5e, 0x79, 0x75, 0x00, 0x5d, 0x9b, 0xc2, 0x2c, 0x4e, 0x5a, 0xc0, 0xf7, 0xc1, 0xa4,
    0x5d, 0x12, 0x56, 0x9a, 0x62, 0x80, 0x7d, 0x3b, 0x9a, 0x02, 0xe5, 0xa5, 0x30, 0xe7, 0x73, 0x06,
    0x6f, 0x45, 0x3d, 0x1f, 0x5b, 0x4c, 0x2e, 0x9c, 0xf7, 0x82, 0x02, 0x83, 0xf7, 0x42, 0xb9, 0xd5,
};
constexpr uint8_t kKatSignature[] = {
    0x26, 0x44, 0x91, 0xe8, 0x44, 0xc1, 0x19, 0xf1, 0x4e, 0x42, 0x5c, 0x03, 0x28, 0x21, 0x39, 0xa5,
    0x58, 0xdc, 0xda, 0xeb, 0x82, 0xa4, 0x62, 0x81, 0x73, 0xcd, 0x40, 0x7f, 0xd3, 0x19, 0xf9, 0x07,
    0x6e, 0xae, 0xbc, 0x0d, 0xd8, 0x7a, 0x1c, 0x22, 0xe4, 0xd1, 0x78, 0x39, 0x09, 0x68, 0x86, 0xd5,
    0x8a, 0x9d, 0x5b, 0x7f, 0x7a, 0xeb, 0x63, 0xef, 0xec, 0x56, 0xc4, 0x5a, 0xc7, 0xbe, 0xad, 0x42,
    0x03, 0xb6, 0x88, 0x6e, 0x1f, 0xaa, 0x90, 0xe0, 0x28, 0xec, 0x0a, 0xe0, 0x94, 0xd4, 0x6b, 0xf3,
    0xf9, 0x7e, 0xfd, 0xd1, 0x90, 0x45, 0xcf, 0xbc, 0x25, 0xa1, 0xab, 0xda, 0x24, 0x32, 0x63, 0x9f,
    0x98, 0x76, 0x40, 0x5c, 0x0d, 0x68, 0xf8, 0xed, 0xbf, 0x04, 0x7c, 0x12, 0xa4, 0x54, 0xf7, 0x68,
    0x1d, 0x5d, 0x5a, 0x2b, 0x54, 0xbd, 0x37, 0x23, 0xd1, 0x93, 0xdb, 0xad, 0x43, 0x38, 0xba, 0xad,
    0x75, 0x32, 0x64, 0x00, 0x6e, 0x2d, 0x08, 0x93, 0x1c, 0x4b, 0x8b, 0xb7, 0x9a, 0xa1, 0xc9, 0xca,
    0xd1, 0x0e, 0xb6, 0x60, 0x5f, 0x87, 0xc5, 0x83, 0x1f, 0x6e, 0x2b, 0x08, 0xe0, 0x02, 0xf9, 0xc6,
    0xf2, 0x11, 0x41, 0xf5, 0x84, 0x1d, 0x92, 0x72, 0x7d, 0xd3, 0xe1, 0xd9, 0x9c, 0x36, 0xbc, 0x56,
    0x0d, 0xa3, 0xc9, 0x06, 0x7d, 0xf9, 0x9f, 0xca, 0xf8, 0x18, 0x94, 0x1f, 0x72, 0x58, 0x8b, 0xe3,
    0x30, 0x32, 0xba, 0xd2, 0x2c, 0xaf, 0x67, 0x04, 0x22, 0x3b, 0xb1, 0x14, 0xd5, 0x75, 0xb6, 0xd0,
    0x2d, 0x9d, 0x22, 0x2b, 0x58, 0x00, 0x05, 0xd9, 0x30, 0xe8, 0xf4, 0x0c, 0xce, 0x9f, 0x67, 0x2e,
    0xeb, 0xb6, 0x34, 0xa2, 0x01, 0x77, 0xd8, 0x43, 0x51, 0x62, 0x79, 0x64, 0xb8, 0x3f, 0x20, 0x53,
    0xd7, 0x36, 0xa8, 0x4a, 0xb1, 0xa0, 0x05, 0xf6, 0x3b, 0xd5, 0xba, 0x94, 0x3d, 0xe6, 0x20, 0x5c,
};

}  // namespace

Result<> RsaSelfTest() {
  bssl::UniquePtr<RSA> rsa(RSA_new());
  bssl::UniquePtr<BIGNUM> n(BN_bin2bn(kKatModulus, sizeof kKatModulus, nullptr));
  bssl::UniquePtr<BIGNUM> e(BN_new());
  if (!rsa || !n || !e || !BN_set_word(e.get(), RSA_F4) ||
      !RSA_set0_key(rsa.get(), n.release(), e.release(), nullptr)) {
    return Fail(Rv::kGeneralError);
  }
  static constexpr uint8_t kMsg[] = {'T', 'e', 's', 't'};
  uint8_t digest[32];
  SHA256(kMsg, sizeof kMsg, digest);
  if (!RSA_verify(NID_sha256, digest, sizeof digest, kKatSignature, sizeof kKatSignature,
                  rsa.get())) {
    return Fail(Rv::kGeneralError);
  }
  // A wrong digest must fail.
  digest[0] ^= 1;
  if (RSA_verify(NID_sha256, digest, sizeof digest, kKatSignature, sizeof kKatSignature,
                 rsa.get())) {
    return Fail(Rv::kGeneralError);
  }
  return {};
}

Result<std::shared_ptr<const RsaKey>> GetRsaKey(const Object& key) {
  auto k = CachedKey<RsaKey>(key, [&] { return ParseRsa(key); });
  if (!k) return Fail(KeyErrorAtUse(k.error()));
  const size_t bits = RSA_bits((*k)->rsa.get());
  if (bits < kMinBits || bits > kMaxBits) return Fail(Rv::kKeySizeRange);
  return k;
}

Result<ImportedKey> ImportRsaKey(const Object& o) {
  auto key = ParseRsa(o);
  if (!key) return Fail(key.error());
  const RSA* rsa = (*key)->rsa.get();
  ImportedKey out;
  out.public_parts = Template{Attribute(CKA_MODULUS, ByteView(BnBytes(RSA_get0_n(rsa)))),
                              Attribute(CKA_PUBLIC_EXPONENT, ByteView(BnBytes(RSA_get0_e(rsa))))};
  out.spki = Spki((*key)->pkey.get());
  // A private key given without its public exponent keeps the one found.
  if (AttrValue(o, CKA_PUBLIC_EXPONENT).empty()) {
    out.computed.Add(*out.public_parts.Find(CKA_PUBLIC_EXPONENT));
  }
  out.cache = std::move(*key);
  return out;
}

Template RsaPrivateKeyAttributes(const RSA* rsa) {
  Template t;
  t.Add(Attribute(CKA_MODULUS, ByteView(BnBytes(RSA_get0_n(rsa)))));
  t.Add(Attribute(CKA_PUBLIC_EXPONENT, ByteView(BnBytes(RSA_get0_e(rsa)))));
  const std::pair<AttributeType, const BIGNUM*> secret[] = {
      {CKA_PRIVATE_EXPONENT, RSA_get0_d(rsa)}, {CKA_PRIME_1, RSA_get0_p(rsa)},
      {CKA_PRIME_2, RSA_get0_q(rsa)},          {CKA_EXPONENT_1, RSA_get0_dmp1(rsa)},
      {CKA_EXPONENT_2, RSA_get0_dmq1(rsa)},    {CKA_COEFFICIENT, RSA_get0_iqmp(rsa)},
  };
  for (const auto& [type, bn] : secret) {
    if (bn != nullptr) t.Add(Attribute(type, BnSecretBytes(bn)));
  }
  bssl::UniquePtr<RSA> pub(RSA_new());
  bssl::UniquePtr<EVP_PKEY> pkey(EVP_PKEY_new());
  if (pub && pkey &&
      RSA_set0_key(pub.get(), BN_dup(RSA_get0_n(rsa)), BN_dup(RSA_get0_e(rsa)), nullptr) &&
      EVP_PKEY_set1_RSA(pkey.get(), pub.get())) {
    t.Add(Attribute(CKA_PUBLIC_KEY_INFO, ByteView(Spki(pkey.get()))));
  }
  return t;
}

Result<> CheckOaepParams(const RsaOaepParams& params) {
  if (DigestForMechanism(params.hash) == nullptr || MgfDigestOf(params.mgf) == nullptr) {
    return Fail(Rv::kMechanismParamInvalid);
  }
  switch (params.hash) {
    case CKM_SHA_1:
    case CKM_SHA224:
    case CKM_SHA256:
    case CKM_SHA384:
    case CKM_SHA512:
      return {};
    default:
      return Fail(Rv::kMechanismParamInvalid);
  }
}

Result<Bytes> RsaOaepEncrypt(const RsaKey& key, const RsaOaepParams& params, ByteView in) {
  CRYPTOKI_TRY(CheckOaepParams(params));
  const size_t k = key.modulus_bytes;
  const size_t h = EVP_MD_size(DigestForMechanism(params.hash));
  if (k < 2 * h + 2 || in.size() > k - 2 * h - 2) return Fail(Rv::kDataLenRange);
  auto ctx = OaepContext(key, params, true);
  if (!ctx) return Fail(ctx.error());
  Bytes out(k);
  size_t len = k;
  if (EVP_PKEY_encrypt(ctx->get(), out.data(), &len, in.data(), in.size()) != 1) {
    return Fail(Rv::kFunctionFailed);
  }
  out.resize(len);
  return out;
}

Result<SecretBytes> RsaOaepDecrypt(const RsaKey& key, const RsaOaepParams& params, ByteView in) {
  CRYPTOKI_TRY(CheckOaepParams(params));
  const size_t k = key.modulus_bytes;
  if (in.size() != k) return Fail(Rv::kEncryptedDataLenRange);
  auto ctx = OaepContext(key, params, false);
  if (!ctx) return Fail(ctx.error());
  SecretBytes out(k);
  size_t len = k;
  if (EVP_PKEY_decrypt(ctx->get(), out.data(), &len, in.data(), in.size()) != 1) {
    return Fail(Rv::kEncryptedDataInvalid);
  }
  out.resize(len);
  return out;
}

std::span<const MechanismEntry> RsaMechanisms() { return kEntries; }

}  // namespace cryptoki::mech
