// aead.h: operations over a BoringSSL EVP_AEAD_CTX, shared by AES-GCM and
// ChaCha20-Poly1305: single and multi-part C_Encrypt / C_Decrypt (the
// multi-part form buffers and seals or opens at Final, since decryption may
// release nothing before the tag is checked), and the 3.0 message API.
#ifndef CRYPTOKI_MECH_AEAD_H_
#define CRYPTOKI_MECH_AEAD_H_

#include <openssl/aead.h>

#include <memory>

#include "cryptoki/mechanism.h"
#include "cryptoki/operation.h"

namespace cryptoki::mech {

// AeadKey is a keyed EVP_AEAD_CTX and what keeps it alive (a key cache, or
// the context itself for a one-off tag length). |raw| is the key's value
// (kept alive by |owner|), for the message API's streaming encryption.
struct AeadKey {
  std::shared_ptr<const void> owner;
  const EVP_AEAD_CTX* ctx = nullptr;
  size_t tag_len = 16;
  ByteView raw;
};

// GcmTagLenOk says whether AES-GCM takes tags of |n| bytes (4, 8, 12 to 16,
// as SP 800-38D allows).
bool GcmTagLenOk(size_t n);

// OneOffGcmKey returns an AES-GCM context for the key |raw| with
// |tag_len|-byte tags, owned by the result (for tags other than the cached
// context's 16 bytes; |raw| must outlive it): kMechanismParamInvalid if
// BoringSSL refuses the length.
Result<AeadKey> OneOffGcmKey(ByteView raw, size_t tag_len);

// NewAeadOperation returns a C_Encrypt/C_Decrypt operation.
std::unique_ptr<Operation> NewAeadOperation(AeadKey key, bool encrypt, ByteView nonce,
                                            ByteView aad);

// NewAeadMessageOperation returns a C_MessageEncryptInit / DecryptInit
// operation for GCM (|gcm|) or ChaCha20-Poly1305 with |key| (16-byte tags).
// Whole messages run on |key|'s EVP_AEAD_CTX; multi-part encryption streams
// (AES-GCM through EVP_CIPHER, ChaCha20-Poly1305 as RFC 8439 composes it);
// multi-part decryption buffers and opens the message at its last part.
std::unique_ptr<Operation> NewAeadMessageOperation(AeadKey key, bool encrypt, bool gcm);

}  // namespace cryptoki::mech

#endif  // CRYPTOKI_MECH_AEAD_H_
