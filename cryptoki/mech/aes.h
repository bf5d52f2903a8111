// aes.h: AES key schedules cached with key objects, shared by the AES modes,
// CMAC, key wrap and the AES-based derivations.
#ifndef CRYPTOKI_MECH_AES_H_
#define CRYPTOKI_MECH_AES_H_

#include <openssl/aead.h>
#include <openssl/aes.h>
#include <openssl/mem.h>

#include <memory>

#include "absl/base/call_once.h"

#include "cryptoki/object.h"
#include "cryptoki/rv.h"

namespace cryptoki::mech {

// AesKeyCache holds both schedules of one AES key, and its CMAC subkeys.
class AesKeyCache : public KeyCache {
 public:
  // New expands |key| (16, 24 or 32 bytes): kKeySizeRange otherwise.
  static Result<std::shared_ptr<AesKeyCache>> New(ByteView key);
  ~AesKeyCache() override {
    OPENSSL_cleanse(&enc, sizeof enc);
    OPENSSL_cleanse(&dec, sizeof dec);
    OPENSSL_cleanse(k1, sizeof k1);
    OPENSSL_cleanse(k2, sizeof k2);
  }
  AES_KEY enc;
  AES_KEY dec;
  uint8_t k1[16], k2[16];  // CMAC subkeys (SP 800-38B)

  // Gcm returns the key's AES-GCM context with 16-byte tags, made on first
  // use (nullptr if BoringSSL refuses it).
  const EVP_AEAD_CTX* Gcm() const;
  ByteView raw() const { return raw_; }

 private:
  SecretBytes raw_;
  // absl's once: its done path is one load, where std::call_once sets two
  // thread-locals and calls pthread_once on every call.
  mutable absl::once_flag gcm_once_;
  mutable bssl::ScopedEVP_AEAD_CTX gcm_;
  mutable bool gcm_ok_ = false;
};

// AeadFor returns the EVP_AEAD for AES-GCM with a key of |key_len| bytes.
const EVP_AEAD* GcmAead(size_t key_len);

// AesKeyFor returns |key|'s schedules, expanding and caching them on first
// use.
Result<std::shared_ptr<const AesKeyCache>> AesKeyFor(const Object& key);

// Cmac computes AES-CMAC over |data| into |out| (16 bytes).
void AesCmac(const AesKeyCache& k, ByteView data, uint8_t out[16]);

}  // namespace cryptoki::mech

#endif  // CRYPTOKI_MECH_AES_H_
