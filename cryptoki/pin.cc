#include "cryptoki/pin.h"

#include <openssl/aead.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace cryptoki {
namespace {

constexpr size_t kKeyLen = 32;
constexpr size_t kSaltLen = 16;
constexpr uint64_t kScryptR = 8;
constexpr uint64_t kScryptP = 1;

Result<SecretBytes> DeriveKey(std::string_view pin, ByteView salt, uint32_t log2n) {
  if (log2n == 0 || log2n > 22) return Fail(Rv::kGeneralError);
  SecretBytes key(kKeyLen);
  const uint64_t n = uint64_t{1} << log2n;
  const size_t max_mem = static_cast<size_t>(n * kScryptR * 128 * 2 + (1 << 20));
  if (!EVP_PBE_scrypt(pin.data(), pin.size(), salt.data(), salt.size(), n, kScryptR, kScryptP,
                      max_mem, key.data(), key.size())) {
    return Fail(Rv::kHostMemory);
  }
  return key;
}

// The AAD binds a seal to its role, so the SO record cannot stand in for the
// user's.
Bytes Aad(PinRole role) {
  Bytes aad = {'c', 'r', 'y', 'p', 't', 'o', 'k', 'i', ' ', 'p', 'i', 'n', ' ', 'v', '1'};
  aad.push_back(static_cast<uint8_t>(role));
  return aad;
}

}  // namespace

SecretBytes NewDataKey() {
  SecretBytes key(kKeyLen);
  RAND_bytes(key.data(), key.size());
  return key;
}

Result<PinRecord> MakePinRecord(std::string_view pin, const SecretBytes& data_key, uint32_t log2n,
                                PinRole role) {
  PinRecord r;
  r.salt.resize(kSaltLen);
  RAND_bytes(r.salt.data(), r.salt.size());
  r.kdf_log2n = log2n;
  auto kek = DeriveKey(pin, r.salt, log2n);
  if (!kek) return Fail(kek.error());
  bssl::ScopedEVP_AEAD_CTX ctx;
  if (!EVP_AEAD_CTX_init(ctx.get(), EVP_aead_aes_256_gcm(), kek->data(), kek->size(),
                         EVP_AEAD_DEFAULT_TAG_LENGTH, nullptr)) {
    return Fail(Rv::kGeneralError);
  }
  const size_t nonce_len = EVP_AEAD_nonce_length(EVP_aead_aes_256_gcm());
  r.sealed_data_key.resize(nonce_len + data_key.size() +
                           EVP_AEAD_max_overhead(EVP_aead_aes_256_gcm()));
  RAND_bytes(r.sealed_data_key.data(), nonce_len);
  const Bytes aad = Aad(role);
  size_t out_len = 0;
  if (!EVP_AEAD_CTX_seal(ctx.get(), r.sealed_data_key.data() + nonce_len, &out_len,
                         r.sealed_data_key.size() - nonce_len, r.sealed_data_key.data(), nonce_len,
                         data_key.data(), data_key.size(), aad.data(), aad.size())) {
    return Fail(Rv::kGeneralError);
  }
  r.sealed_data_key.resize(nonce_len + out_len);
  return r;
}

Result<SecretBytes> OpenPinRecord(const PinRecord& record, std::string_view pin, PinRole role) {
  if (!record.is_set()) return Fail(Rv::kPinIncorrect);
  auto kek = DeriveKey(pin, record.salt, record.kdf_log2n);
  if (!kek) return Fail(kek.error());
  bssl::ScopedEVP_AEAD_CTX ctx;
  if (!EVP_AEAD_CTX_init(ctx.get(), EVP_aead_aes_256_gcm(), kek->data(), kek->size(),
                         EVP_AEAD_DEFAULT_TAG_LENGTH, nullptr)) {
    return Fail(Rv::kGeneralError);
  }
  const size_t nonce_len = EVP_AEAD_nonce_length(EVP_aead_aes_256_gcm());
  if (record.sealed_data_key.size() < nonce_len) return Fail(Rv::kPinIncorrect);
  SecretBytes key(record.sealed_data_key.size());
  size_t out_len = 0;
  const Bytes aad = Aad(role);
  if (!EVP_AEAD_CTX_open(ctx.get(), key.data(), &out_len, key.size(), record.sealed_data_key.data(),
                         nonce_len, record.sealed_data_key.data() + nonce_len,
                         record.sealed_data_key.size() - nonce_len, aad.data(), aad.size())) {
    return Fail(Rv::kPinIncorrect);
  }
  key.resize(out_len);
  return key;
}

}  // namespace cryptoki
