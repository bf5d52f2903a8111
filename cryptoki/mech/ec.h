// ec.h: curve parameters and points as PKCS#11 carries them, shared by the
// EC (ec.cc), Edwards (eddsa.cc), Montgomery (x25519.cc) families and
// pkcs8.cc.
#ifndef CRYPTOKI_MECH_EC_H_
#define CRYPTOKI_MECH_EC_H_

#include <openssl/ec_key.h>

#include <memory>

#include "cryptoki/bytes.h"
#include "cryptoki/mechanism.h"
#include "cryptoki/object.h"
#include "cryptoki/rv.h"

namespace cryptoki::mech {

// CurveOf returns the NID of the curve |ec_params| names: a DER OBJECT
// IDENTIFIER, a DER PrintableString curve name ("prime256v1", "secp384r1",
// "P-521", "edwards25519", "curve25519" ...), the bare name, or explicit
// parameters of a supported curve. Supported: P-224, P-256, P-384, P-521
// (NID_secp224r1 ...), NID_ED25519, NID_X25519. Errors:
// kCurveNotSupported for a well-formed but unsupported curve,
// kDomainParamsInvalid for a malformed value.
Result<int> CurveOf(ByteView ec_params);

// CurveOid returns the DER OBJECT IDENTIFIER of |nid|.
Bytes CurveOid(int nid);

// DerOctetString returns |raw| as a DER OCTET STRING (a CKA_EC_POINT value).
Bytes DerOctetString(ByteView raw);

// PointOctets returns the raw octets of a CKA_EC_POINT value or an ECDH
// public value, given raw or as a DER OCTET STRING: the one of the two
// readings |valid| accepts. kAttributeValueInvalid if neither does.
template <class F>
Result<Bytes> PointOctets(ByteView value, F&& valid);

// EcKey is an EC key object parsed once.
struct EcKey : KeyCache {
  bssl::UniquePtr<EC_KEY> ec;
  size_t order_bytes = 0;
};

// GetEcKey returns |key|'s parsed EC (Weierstrass) key: kKeyTypeInconsistent
// for another key type, kCurveNotSupported, kFunctionFailed for key
// material that is not a valid key (C_CreateObject refuses such material;
// see ImportEcKey in asym.h).
Result<std::shared_ptr<const EcKey>> GetEcKey(const Object& key);

// EcPublicParts returns CKA_EC_PARAMS (the curve's OID) and CKA_EC_POINT
// (DER OCTET STRING of the uncompressed point) of |ec|'s public key.
// The forms with |point| take the public point's uncompressed octets
// already encoded (each encoding of an EC_POINT costs a field inversion).
Template EcPublicParts(const EC_KEY* ec);
Template EcPublicParts(const EC_KEY* ec, ByteView point);

// EcPrivateKeyAttributes returns CKA_EC_PARAMS, CKA_VALUE and
// CKA_PUBLIC_KEY_INFO of |ec| (a generated or unwrapped key).
Template EcPrivateKeyAttributes(const EC_KEY* ec);
Template EcPrivateKeyAttributes(const EC_KEY* ec, ByteView point);

// EcdhKdf applies the CK_EC_KDF_TYPE |kdf| (CKD_NULL, CKD_SHA*_KDF,
// CKD_SHA*_KDF_SP800) to the shared secret |z| with |shared_data|, making
// |len| bytes: kMechanismParamInvalid for an unknown KDF or shared data
// with CKD_NULL.
Result<SecretBytes> EcdhKdf(CK_EC_KDF_TYPE kdf, ByteView z, ByteView shared_data, size_t len);

// X25519Derive is CKM_ECDH1_DERIVE with a Montgomery key (x25519.cc).
Result<ObjectHandle> X25519Derive(Session& s, const Mechanism& m,
                                  std::shared_ptr<const Object> base, const Template& tmpl);

// --- implementation ---

Result<Bytes> ParseDerOctetString(ByteView value);

template <class F>
Result<Bytes> PointOctets(ByteView value, F&& valid) {
  if (auto der = ParseDerOctetString(value); der && valid(ByteView(*der))) return *der;
  if (valid(value)) return Bytes(value.begin(), value.end());
  return Fail(Rv::kAttributeValueInvalid);
}

}  // namespace cryptoki::mech

#endif  // CRYPTOKI_MECH_EC_H_
