// hash.h: Hash, a digest whose whole state is plain bytes (BoringSSL's
// MD5_CTX / SHA_CTX / SHA256_CTX / SHA512_CTX), so an operation's state can be
// saved and restored, and HMAC keys can be cached as pre-keyed states.
#ifndef CRYPTOKI_MECH_HASH_H_
#define CRYPTOKI_MECH_HASH_H_

#include <openssl/md5.h>
#include <openssl/mem.h>
#include <openssl/sha.h>

#include <cstdint>
#include <optional>

#include "cryptoki/bytes.h"
#include "pkcs11.h"

namespace cryptoki::mech {

class Hash {
 public:
  // New returns a fresh hash for a digest mechanism (CKM_SHA256 ...), or
  // nullopt for one it does not know.
  static std::optional<Hash> New(CK_MECHANISM_TYPE digest);
  // Also accepts the HMAC mechanisms' digests via DigestOfHmac.

  size_t size() const { return size_; }
  size_t block_size() const { return block_; }
  CK_MECHANISM_TYPE mechanism() const { return mech_; }

  void Update(ByteView in);
  // Final writes size() bytes to |out| and leaves the hash unusable.
  void Final(uint8_t* out);

  // Raw state, for saving: the bytes of this object are the whole state.
  static constexpr size_t kStateSize = sizeof(SHA512_CTX) + 32;

  ~Hash() { OPENSSL_cleanse(&u_, sizeof u_); }
  Hash(const Hash&) = default;
  Hash& operator=(const Hash&) = default;

 private:
  Hash() = default;
  enum class Kind : uint8_t {
    kMd5,
    kSha1,
    kSha224,
    kSha256,
    kSha384,
    kSha512,
    kSha512_224,
    kSha512_256
  };
  Kind kind_ = Kind::kSha256;
  CK_MECHANISM_TYPE mech_ = 0;
  uint32_t size_ = 0, block_ = 0;
  union U {
    MD5_CTX md5;
    SHA_CTX sha1;
    SHA256_CTX sha256;
    SHA512_CTX sha512;
  } u_;
};

// DigestOfHmac returns the digest mechanism of an HMAC mechanism
// (CKM_SHA256_HMAC, CKM_SHA256_HMAC_GENERAL → CKM_SHA256), or 0.
CK_MECHANISM_TYPE DigestOfHmac(CK_MECHANISM_TYPE hmac);

}  // namespace cryptoki::mech

#endif  // CRYPTOKI_MECH_HASH_H_
