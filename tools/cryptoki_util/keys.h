// keys.h: key and certificate files to PKCS#11 attributes, and public keys
// back to PEM, for cryptoki-util's import and export commands.
#ifndef TOOLS_CRYPTOKI_UTIL_KEYS_H_
#define TOOLS_CRYPTOKI_UTIL_KEYS_H_

#include <string>
#include <string_view>

#include "cryptoki/attribute.h"
#include "cryptoki/bytes.h"
#include "cryptoki/expected.h"
#include "cryptoki/object.h"

namespace cryptoki::util {

// KeyPair is a parsed key as PKCS#11 attributes: the key-type specific
// values of the private and public key objects (no class, label, id or
// flags: the caller adds those).
struct KeyPair {
  CK_KEY_TYPE key_type = CKK_RSA;
  Template private_attrs;  // empty for a public key alone
  Template public_attrs;
  Bytes spki;               // SubjectPublicKeyInfo DER
  std::string description;  // "RSA 2048", "EC P-256", "Ed25519"
};

// Certificate is a parsed X.509 certificate as the attributes of a
// CKO_CERTIFICATE/CKC_X_509 object (CKA_SUBJECT, CKA_ISSUER,
// CKA_SERIAL_NUMBER, CKA_VALUE, CKA_PUBLIC_KEY_INFO) and its key's SPKI.
struct Certificate {
  Template attrs;
  Bytes spki;
  std::string subject;  // one line, for messages
};

// ParsePrivateKey reads a private key file: PEM or DER; PKCS#8 ("PRIVATE
// KEY"), PKCS#1 ("RSA PRIVATE KEY") or RFC 5915 ("EC PRIVATE KEY"); RSA, EC
// on P-224/P-256/P-384/P-521, or Ed25519. The error is a one-line reason
// (encrypted keys, other key types and curves are refused).
expected<KeyPair, std::string> ParsePrivateKey(ByteView file);

// ParsePublicKey reads a public key file: SubjectPublicKeyInfo ("PUBLIC
// KEY") or PKCS#1 ("RSA PUBLIC KEY"), PEM or DER. |private_attrs| is empty.
expected<KeyPair, std::string> ParsePublicKey(ByteView file);

// ParseCertificate reads an X.509 certificate, PEM or DER.
expected<Certificate, std::string> ParseCertificate(ByteView file);

// PublicKeyInfoOf returns the SubjectPublicKeyInfo DER of a public or
// private key object: its CKA_PUBLIC_KEY_INFO if set, else one built from
// CKA_MODULUS/CKA_PUBLIC_EXPONENT (RSA) or CKA_EC_PARAMS/CKA_EC_POINT (EC,
// Edwards).
expected<Bytes, std::string> PublicKeyInfoOf(const Object& key);

// KeyDescription returns "RSA 2048", "EC P-256", "Ed25519", "AES 256" ...
// for a key object, "" for others.
std::string KeyDescription(const Object& object);

// Sha1 returns the SHA-1 of |data| (the default CKA_ID of an imported key
// and of a certificate is the SHA-1 of its SubjectPublicKeyInfo DER, so a
// key and its certificate imported without --id pair up).
Bytes Sha1(ByteView data);

// Pem returns |der| as PEM with |label| ("PUBLIC KEY", "CERTIFICATE"), 64
// characters a line.
std::string Pem(std::string_view label, ByteView der);

}  // namespace cryptoki::util

#endif  // TOOLS_CRYPTOKI_UTIL_KEYS_H_
