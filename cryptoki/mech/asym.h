// asym.h: helpers shared by the asymmetric mechanism families (rsa.cc,
// ec.cc, eddsa.cc, x25519.cc, dh.cc, pkcs8.cc): digests by mechanism, big
// numbers as PKCS#11 byte strings, the parsed-key cache, the sign/verify
// operation that hashes (or buffers) its input, key-pair object building,
// curve parameters and 32-byte curve keys, and the checking of key objects
// made by C_CreateObject (the core's KeyImporter).
#ifndef CRYPTOKI_MECH_ASYM_H_
#define CRYPTOKI_MECH_ASYM_H_

#include <openssl/base.h>
#include <openssl/bn.h>
#include <openssl/digest.h>
#include <openssl/evp.h>

#include <initializer_list>
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

// --- Key objects made by C_CreateObject -----------------------------------

// ImportedKey is the key material of an object being created, parsed by its
// family: the parsed key (the family's cache), the public key as canonical
// attributes (CKA_MODULUS and CKA_PUBLIC_EXPONENT without leading zeros;
// CKA_EC_PARAMS as an OBJECT IDENTIFIER and CKA_EC_POINT as a DER OCTET
// STRING of the uncompressed point or the 32 bytes; CKA_PRIME, CKA_BASE and
// the public CKA_VALUE of DH), its SubjectPublicKeyInfo DER, and values to
// store in place of (or besides) the template's.
struct ImportedKey {
  std::shared_ptr<const KeyCache> cache;
  Template public_parts;
  Bytes spki;
  Template computed;
};

// Import<Family>Key parses |o|, a public or private key object being
// created, as the family's Get*Key does, with the codes of C_CreateObject:
// kTemplateIncomplete (a part the key needs is missing),
// kAttributeValueInvalid (a malformed value, a point off the curve, parts
// that do not agree), kCurveNotSupported, kDomainParamsInvalid.
Result<ImportedKey> ImportRsaKey(const Object& o);      // rsa.cc
Result<ImportedKey> ImportEcKey(const Object& o);       // ec.cc
Result<ImportedKey> ImportEd25519Key(const Object& o);  // eddsa.cc
Result<ImportedKey> ImportX25519Key(const Object& o);   // x25519.cc
Result<ImportedKey> ImportDhKey(const Object& o);       // dh.cc

// DhSpkiParts returns CKA_PRIME, CKA_BASE and CKA_VALUE (canonical, as
// ImportedKey::public_parts) of a PKCS #3 dhKeyAgreement
// SubjectPublicKeyInfo: kAttributeValueInvalid if it is malformed (dh.cc).
Result<Template> DhSpkiParts(ByteView spki);

// SpkiPublicParts returns the canonical public key attributes (as
// ImportedKey::public_parts) of the SubjectPublicKeyInfo |spki| for a key of
// |key_type|: kAttributeValueInvalid if it is malformed, kTemplateInconsistent
// if its algorithm is not that of |key_type|.
Result<Template> SpkiPublicParts(CK_KEY_TYPE key_type, ByteView spki);

// ImportKey is the core's KeyImporter (object.h), installed when the
// mechanism layer is loaded. A public key may be given by its
// CKA_PUBLIC_KEY_INFO alone: its parts are filled in from it; parts given
// as well must be the same key (kTemplateInconsistent). A private key's
// CKA_PUBLIC_KEY_INFO, if given, must be its public key
// (kAttributeValueInvalid, as the standard requires). Either way the
// object's CKA_PUBLIC_KEY_INFO becomes the key's SubjectPublicKeyInfo.
Result<KeyImport> ImportKey(CK_OBJECT_CLASS cls, CK_KEY_TYPE key_type,
                            const std::vector<Attribute>& attrs);

// KeyErrorAtUse returns the code for a key object whose material fails to
// parse when an operation starts (an object stored before creation checked
// it): kFunctionFailed for malformed or missing parts, |parse_error| itself
// otherwise (kKeyTypeInconsistent, kCurveNotSupported, ...).
Rv KeyErrorAtUse(Rv parse_error);

// --- Curves ---------------------------------------------------------------

// CurveParam returns the NID of the curve |ec_params| (a CKA_EC_PARAMS, see
// CurveOf) names if it is one of |allowed|: kTemplateIncomplete for a null
// |ec_params|, kCurveNotSupported for another curve, kDomainParamsInvalid
// for a malformed value.
Result<int> CurveParam(const Attribute* ec_params, std::initializer_list<int> allowed);

// RawCurveKey is an Edwards (Ed25519) or Montgomery (X25519) key object
// parsed once: the 32-byte public key and, for a private key, the family's
// private form (Ed25519: the 64-byte expanded key; X25519: the scalar).
struct RawCurveKey : KeyCache {
  uint8_t public_key[32];
  SecretBytes private_key;  // empty for a public key
};

// ParseRawCurveKey parses |o|, a key of |key_type| on curve |nid|
// (NID_ED25519 or NID_X25519): a public key's CKA_EC_POINT (32 bytes, raw or
// as a DER OCTET STRING), or a private key's 32-byte CKA_VALUE, which
// |expand| turns into the public key and private form. Errors: those of
// ImportedKey, kKeyTypeInconsistent for another key type or class.
Result<std::shared_ptr<RawCurveKey>> ParseRawCurveKey(const Object& o, CK_KEY_TYPE key_type,
                                                      int nid,
                                                      void (*expand)(const uint8_t value[32],
                                                                     RawCurveKey& key));

// ImportRawCurveKey parses |o| as ParseRawCurveKey does and returns it as an
// ImportedKey (a public key's CKA_EC_POINT is then stored in DER).
Result<ImportedKey> ImportRawCurveKey(const Object& o, CK_KEY_TYPE key_type, int nid,
                                      void (*expand)(const uint8_t value[32], RawCurveKey& key));

// StoreRawCurveKeyPair stores a generated Ed25519 / X25519 key pair (curve
// |nid|, key type |key_type|): |public_key| and the 32-byte private |value|,
// with CKA_EC_PARAMS, CKA_EC_POINT (DER) and CKA_PUBLIC_KEY_INFO.
Result<std::pair<ObjectHandle, ObjectHandle>> StoreRawCurveKeyPair(
    Session& s, CK_MECHANISM_TYPE mechanism, const Template& public_tmpl,
    const Template& private_tmpl, CK_KEY_TYPE key_type, int nid, const uint8_t public_key[32],
    SecretBytes value);

}  // namespace cryptoki::mech

#endif  // CRYPTOKI_MECH_ASYM_H_
