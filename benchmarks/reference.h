// reference.h: what the benchmarks' BoringSSL side computes that BoringSSL
// has no call for: SHA-512/224 (FIPS 180-4 5.3.6.1) and HMAC over it, made
// from its SHA-512 functions (CKM_SHA512_224, CKM_SHA512_224_HMAC), and the
// bit extraction of CKM_EXTRACT_KEY_FROM_KEY; and the DH domain the token's
// DH key generation uses, for a floor that does the same work.
#ifndef CRYPTOKI_BENCHMARKS_REFERENCE_H_
#define CRYPTOKI_BENCHMARKS_REFERENCE_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include <openssl/dh.h>

namespace cryptoki::bench {

constexpr size_t kSha512_224Size = 28;

// Sha512_224 writes the digest of |in| (kSha512_224Size bytes) to |out|.
void Sha512_224(std::span<const uint8_t> in, uint8_t* out);
// HmacSha512_224 writes the HMAC (RFC 2104) of |in| under |key|
// (kSha512_224Size bytes) to |out|.
void HmacSha512_224(std::span<const uint8_t> key, std::span<const uint8_t> in, uint8_t* out);
// ExtractBits writes |n| bytes of the bits of |base| from bit |first| on
// (bit 0 is the high bit of the first byte), wrapping around to its start,
// to |out|: CKM_EXTRACT_KEY_FROM_KEY.
void ExtractBits(std::span<const uint8_t> base, size_t first, size_t n, uint8_t* out);

// kFfdhe2048PrivateBits is the private-value length the token gives an
// ffdhe2048 key without CKA_VALUE_BITS (RFC 7919 §5.2, cryptoki/mech/dh.cc).
constexpr unsigned kFfdhe2048PrivateBits = 225;
// Ffdhe2048Dh returns RFC 7919's ffdhe2048 domain as the token's keys carry
// it (p and g, no q) with that private length, so DH_generate_key makes a
// private value of the same length as the token's. (DH_get_rfc7919_2048 sets
// q, and with a q BoringSSL draws a full-length private value.)
bssl::UniquePtr<DH> Ffdhe2048Dh();

}  // namespace cryptoki::bench

#endif  // CRYPTOKI_BENCHMARKS_REFERENCE_H_
