#include "benchmarks/reference.h"

#include <openssl/bn.h>
#include <openssl/mem.h>
#include <openssl/sha.h>

#include <cstring>

namespace cryptoki::bench {
namespace {

constexpr size_t kBlock = 128;

// Init starts SHA-512/224: SHA-512 with its own initial value (truncated at
// the end). SHA512_256_Init sets the lengths; the IV is replaced.
void Init(SHA512_CTX* c) {
  static constexpr uint64_t kIv[8] = {0x8C3D37C819544DA2, 0x73E1996689DCD4D6, 0x1DFAB7AE32FF9C82,
                                      0x679DD514582F9FCF, 0x0F6D2B697BD44DA8, 0x77E36F7304C48942,
                                      0x3F9D85A86A1D36C8, 0x1112E6AD91D692A1};
  SHA512_256_Init(c);
  for (int i = 0; i < 8; ++i) c->h[i] = kIv[i];
}

// Final writes the 28-byte digest of |c| to |out|.
void Final(SHA512_CTX* c, uint8_t* out) {
  uint8_t full[SHA512_256_DIGEST_LENGTH];
  SHA512_256_Final(full, c);
  memcpy(out, full, kSha512_224Size);
}

}  // namespace

void Sha512_224(std::span<const uint8_t> in, uint8_t* out) {
  SHA512_CTX c;
  Init(&c);
  SHA512_Update(&c, in.data(), in.size());
  Final(&c, out);
}

void HmacSha512_224(std::span<const uint8_t> key, std::span<const uint8_t> in, uint8_t* out) {
  uint8_t k[kBlock] = {0};
  if (key.size() > kBlock)
    Sha512_224(key, k);
  else if (!key.empty())
    memcpy(k, key.data(), key.size());
  uint8_t pad[kBlock], inner[kSha512_224Size];
  SHA512_CTX c;
  for (size_t i = 0; i < kBlock; ++i) pad[i] = k[i] ^ 0x36;
  Init(&c);
  SHA512_Update(&c, pad, kBlock);
  SHA512_Update(&c, in.data(), in.size());
  Final(&c, inner);
  for (size_t i = 0; i < kBlock; ++i) pad[i] = k[i] ^ 0x5c;
  Init(&c);
  SHA512_Update(&c, pad, kBlock);
  SHA512_Update(&c, inner, sizeof inner);
  Final(&c, out);
  OPENSSL_cleanse(k, sizeof k);
}

void ExtractBits(std::span<const uint8_t> base, size_t first, size_t n, uint8_t* out) {
  const size_t bits = base.size() * 8;
  memset(out, 0, n);
  for (size_t i = 0; i < n * 8; ++i) {
    const size_t b = (first + i) % bits;
    out[i / 8] |= static_cast<uint8_t>(((base[b / 8] >> (7 - b % 8)) & 1) << (7 - i % 8));
  }
}

bssl::UniquePtr<DH> Ffdhe2048Dh() {
  bssl::UniquePtr<DH> full(DH_get_rfc7919_2048());
  bssl::UniquePtr<DH> dh(DH_new());
  if (!full || !dh ||
      !DH_set0_pqg(dh.get(), BN_dup(DH_get0_p(full.get())), nullptr,
                   BN_dup(DH_get0_g(full.get()))) ||
      !DH_set_length(dh.get(), kFfdhe2048PrivateBits)) {
    return nullptr;
  }
  return dh;
}

}  // namespace cryptoki::bench
