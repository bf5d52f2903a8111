#include "cryptoki/mech/hash.h"

namespace cryptoki::mech {

std::optional<Hash> Hash::New(CK_MECHANISM_TYPE digest) {
  Hash h;
  h.mech_ = digest;
  switch (digest) {
    case CKM_MD5:
      h.kind_ = Kind::kMd5, h.size_ = 16, h.block_ = 64;
      MD5_Init(&h.u_.md5);
      break;
    case CKM_SHA_1:
      h.kind_ = Kind::kSha1, h.size_ = 20, h.block_ = 64;
      SHA1_Init(&h.u_.sha1);
      break;
    case CKM_SHA224:
      h.kind_ = Kind::kSha224, h.size_ = 28, h.block_ = 64;
      SHA224_Init(&h.u_.sha256);
      break;
    case CKM_SHA256:
      h.kind_ = Kind::kSha256, h.size_ = 32, h.block_ = 64;
      SHA256_Init(&h.u_.sha256);
      break;
    case CKM_SHA384:
      h.kind_ = Kind::kSha384, h.size_ = 48, h.block_ = 128;
      SHA384_Init(&h.u_.sha512);
      break;
    case CKM_SHA512:
      h.kind_ = Kind::kSha512, h.size_ = 64, h.block_ = 128;
      SHA512_Init(&h.u_.sha512);
      break;
    case CKM_SHA512_224: {
      // FIPS 180-4 5.3.6.1: SHA-512 with these IVs, truncated to 224 bits.
      h.kind_ = Kind::kSha512_224, h.size_ = 28, h.block_ = 128;
      SHA512_256_Init(&h.u_.sha512);  // Nl, Nh, num, md_len = 32
      static constexpr uint64_t kIv[8] = {
          0x8C3D37C819544DA2, 0x73E1996689DCD4D6, 0x1DFAB7AE32FF9C82, 0x679DD514582F9FCF,
          0x0F6D2B697BD44DA8, 0x77E36F7304C48942, 0x3F9D85A86A1D36C8, 0x1112E6AD91D692A1};
      for (int i = 0; i < 8; ++i) h.u_.sha512.h[i] = kIv[i];
      break;
    }
    case CKM_SHA512_256:
      h.kind_ = Kind::kSha512_256, h.size_ = 32, h.block_ = 128;
      SHA512_256_Init(&h.u_.sha512);
      break;
    default:
      return std::nullopt;
  }
  return h;
}

void Hash::Update(ByteView in) {
  if (in.empty()) return;
  switch (kind_) {
    case Kind::kMd5:
      MD5_Update(&u_.md5, in.data(), in.size());
      break;
    case Kind::kSha1:
      SHA1_Update(&u_.sha1, in.data(), in.size());
      break;
    case Kind::kSha224:
    case Kind::kSha256:
      SHA256_Update(&u_.sha256, in.data(), in.size());
      break;
    case Kind::kSha384:
    case Kind::kSha512:
    case Kind::kSha512_224:
    case Kind::kSha512_256:
      SHA512_Update(&u_.sha512, in.data(), in.size());
      break;
  }
}

void Hash::Final(uint8_t* out) {
  switch (kind_) {
    case Kind::kMd5:
      MD5_Final(out, &u_.md5);
      break;
    case Kind::kSha1:
      SHA1_Final(out, &u_.sha1);
      break;
    case Kind::kSha224:
      SHA224_Final(out, &u_.sha256);
      break;
    case Kind::kSha256:
      SHA256_Final(out, &u_.sha256);
      break;
    case Kind::kSha384:
      SHA384_Final(out, &u_.sha512);
      break;
    case Kind::kSha512:
      SHA512_Final(out, &u_.sha512);
      break;
    case Kind::kSha512_224: {
      uint8_t full[32];
      SHA512_256_Final(full, &u_.sha512);
      memcpy(out, full, 28);
      OPENSSL_cleanse(full, sizeof full);
      break;
    }
    case Kind::kSha512_256:
      SHA512_256_Final(out, &u_.sha512);
      break;
  }
}

CK_MECHANISM_TYPE DigestOfHmac(CK_MECHANISM_TYPE hmac) {
  switch (hmac) {
    case CKM_MD5_HMAC:
    case CKM_MD5_HMAC_GENERAL:
      return CKM_MD5;
    case CKM_SHA_1_HMAC:
    case CKM_SHA_1_HMAC_GENERAL:
      return CKM_SHA_1;
    case CKM_SHA224_HMAC:
    case CKM_SHA224_HMAC_GENERAL:
      return CKM_SHA224;
    case CKM_SHA256_HMAC:
    case CKM_SHA256_HMAC_GENERAL:
      return CKM_SHA256;
    case CKM_SHA384_HMAC:
    case CKM_SHA384_HMAC_GENERAL:
      return CKM_SHA384;
    case CKM_SHA512_HMAC:
    case CKM_SHA512_HMAC_GENERAL:
      return CKM_SHA512;
    case CKM_SHA512_224_HMAC:
    case CKM_SHA512_224_HMAC_GENERAL:
      return CKM_SHA512_224;
    case CKM_SHA512_256_HMAC:
    case CKM_SHA512_256_HMAC_GENERAL:
      return CKM_SHA512_256;
    default:
      return 0;
  }
}

}  // namespace cryptoki::mech
