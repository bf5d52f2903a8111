// rsa.h: the RSA family's key handling, shared with pkcs8.cc (wrapping of
// private keys) and the RSA-based key wraps.
#ifndef CRYPTOKI_MECH_RSA_H_
#define CRYPTOKI_MECH_RSA_H_

#include <openssl/rsa.h>

#include <memory>

#include "cryptoki/attribute.h"
#include "cryptoki/mechanism.h"
#include "cryptoki/object.h"
#include "cryptoki/rv.h"

namespace cryptoki::mech {

// RsaKey is an RSA key object parsed once: the RSA (with its blinding and
// Montgomery precomputation, built on first use and kept) and an EVP_PKEY
// sharing it.
struct RsaKey : KeyCache {
  bssl::UniquePtr<RSA> rsa;
  bssl::UniquePtr<EVP_PKEY> pkey;
  size_t modulus_bytes = 0;
};

// GetRsaKey returns |key|'s parsed RSA key (public or private, per its
// class), from its cache: kKeyTypeInconsistent if it is not an RSA key,
// kKeySizeRange for a modulus outside 1024..16384 bits, kFunctionFailed for
// inconsistent key material (C_CreateObject refuses such material: see
// ImportRsaKey in asym.h). A private key without the CRT attributes works
// (they are computed when the primes are given; without them the private
// exponent is used directly).
Result<std::shared_ptr<const RsaKey>> GetRsaKey(const Object& key);

// RsaPrivateKeyAttributes returns the CKA_MODULUS ... CKA_COEFFICIENT (and
// CKA_PUBLIC_KEY_INFO) values of |rsa|, for a generated or unwrapped key.
Template RsaPrivateKeyAttributes(const RSA* rsa);

// RsaOaepEncrypt / RsaOaepDecrypt run RSA-OAEP with |params| (checked:
// kMechanismParamInvalid). Encrypt: kDataLenRange for too long |in|.
// Decrypt: kEncryptedDataLenRange, kEncryptedDataInvalid.
Result<Bytes> RsaOaepEncrypt(const RsaKey& key, const RsaOaepParams& params, ByteView in);
Result<SecretBytes> RsaOaepDecrypt(const RsaKey& key, const RsaOaepParams& params, ByteView in);
// CheckOaepParams checks the hash and MGF of |params|.
Result<> CheckOaepParams(const RsaOaepParams& params);

}  // namespace cryptoki::mech

#endif  // CRYPTOKI_MECH_RSA_H_
