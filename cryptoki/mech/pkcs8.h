// pkcs8.h: private keys as PKCS #8 PrivateKeyInfo, what C_WrapKey wraps and
// C_UnwrapKey unwraps for CKO_PRIVATE_KEY (api.cc calls these; it holds weak
// fallbacks that refuse).
#ifndef CRYPTOKI_MECH_PKCS8_H_
#define CRYPTOKI_MECH_PKCS8_H_

#include "cryptoki/attribute.h"
#include "cryptoki/bytes.h"
#include "cryptoki/object.h"
#include "cryptoki/rv.h"

namespace cryptoki {

class Session;

// PrivateKeyToPkcs8 returns the PKCS #8 DER of an RSA (with its primes), EC
// (P-224..P-521), Ed25519 or X25519 private key: kKeyNotWrappable for other
// key types or an RSA key without CKA_PRIME_1/2.
Result<SecretBytes> PrivateKeyToPkcs8(const Object& key);

// Pkcs8ToPrivateKey makes a private key object from PKCS #8 |der| and
// |tmpl| (op kUnwrap: CKA_LOCAL, CKA_ALWAYS_SENSITIVE, CKA_NEVER_EXTRACTABLE
// false). kWrappedKeyInvalid if |der| is not a supported PKCS #8 key (zero
// padding after it is allowed), kTemplateInconsistent if |tmpl|'s
// CKA_KEY_TYPE differs from the key's.
Result<ObjectHandle> Pkcs8ToPrivateKey(Session& s, ByteView der, const Template& tmpl);

}  // namespace cryptoki

#endif  // CRYPTOKI_MECH_PKCS8_H_
