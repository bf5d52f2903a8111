// asym.h: helpers shared by the asymmetric mechanism families (rsa.cc,
// ec.cc, eddsa.cc, x25519.cc, dh.cc, pkcs8.cc): digests by mechanism, big
// numbers as PKCS#11 byte strings, the parsed-key cache, the sign/verify
// operation that hashes (or buffers) its input, and key-pair object building.
#ifndef CRYPTOKI_MECH_ASYM_H_
#define CRYPTOKI_MECH_ASYM_H_

#include <openssl/base.h>
#include <openssl/bn.h>
#include <openssl/digest.h>
#include <openssl/evp.h>

#include <memory>
#include <utility>

#include "cryptoki/attribute.h"
#include "cryptoki/bytes.h"
#include "cryptoki/mech/registry.h"
#include "cryptoki/object.h"
#include "cryptoki/operation.h"
#include "cryptoki/rv.h"

namespace cryptoki::mech {

// MgfDigestOf returns the EVP_MD of a CKG_MGF1_* value, or nullptr.
const EVP_MD* MgfDigestOf(CK_ULONG mgf);

// BnBytes returns |bn| big-endian, left-padded with zeros to |len| bytes (no
// padding for len 0).
Bytes BnBytes(const BIGNUM* bn, size_t len = 0);
SecretBytes BnSecretBytes(const BIGNUM* bn, size_t len = 0);
// NewBn returns |b| (big-endian) as a BIGNUM, nullptr on allocation failure.
bssl::UniquePtr<BIGNUM> NewBn(ByteView b);

// Spki returns the SubjectPublicKeyInfo DER of |pkey|, empty on failure.
Bytes Spki(const EVP_PKEY* pkey);

// AttrValue returns |o|'s |type| value, empty if absent.
ByteView AttrValue(const Object& o, AttributeType type);

// SignVerifyOp is a signature operation. With a digest it hashes what
// Update feeds and signs the digest; without one it buffers the data (raw
// mechanisms such as CKM_ECDSA, CKM_RSA_PKCS, CKM_EDDSA). Subclasses sign and
// verify the digest or the whole data. Signatures have a fixed length.
class SignVerifyOp : public Operation {
 public:
  SignVerifyOp(const EVP_MD* md, size_t signature_len);

  Result<> Update(ByteView in, Output& out) override;
  Result<> Final(Output& out) override;
  Result<> OneShot(ByteView in, Output& out) override;
  Result<> VerifyFinal(ByteView signature) override;
  Result<> VerifyOneShot(ByteView data, ByteView signature) override;

 protected:
  // Sign writes the signature of |input| (a digest, or the data) to |out|,
  // which holds signature_len bytes.
  virtual Result<> Sign(ByteView input, std::span<uint8_t> out) = 0;
  // Verify checks |signature| (of the right length) over |input|:
  // kSignatureInvalid if it does not match.
  virtual Result<> Verify(ByteView input, ByteView signature) = 0;
  const EVP_MD* md() const { return md_; }

 private:
  Result<> Absorb(ByteView in);
  Result<SecretBytes> Input(ByteView one_shot, bool multipart);

  const EVP_MD* md_;
  size_t signature_len_;
  bssl::ScopedEVP_MD_CTX ctx_;
  SecretBytes buffer_;
};

// KeyPairTemplates completes the caller's two templates for a key pair of
// |key_type|: adds CKA_CLASS and CKA_KEY_TYPE (kTemplateInconsistent if the
// caller gave others).
Template WithClassAndType(const Template& tmpl, CK_OBJECT_CLASS cls, CK_KEY_TYPE key_type);

// StoreKeyPair builds and stores the two objects of a generated key pair:
// |pub_gen| and |priv_gen| are the generated values; |id_source| is hashed
// into CKA_ID when neither template has one (a template's CKA_ID is copied
// to the other). Nothing is stored if either object fails to build.
Result<std::pair<ObjectHandle, ObjectHandle>> StoreKeyPair(
    Session& session, CK_MECHANISM_TYPE mechanism, const Template& pub_tmpl,
    const Template& priv_tmpl, Template pub_gen, Template priv_gen, ByteView id_source);

}  // namespace cryptoki::mech

#endif  // CRYPTOKI_MECH_ASYM_H_
