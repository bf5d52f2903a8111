#include "cryptoki/mechanism_names.h"

#include <charconv>
#include <cstdio>
#include <utility>

namespace cryptoki {
namespace {

#define M(name) \
  { #name, name }
constexpr std::pair<std::string_view, CK_MECHANISM_TYPE> kNames[] = {
    M(CKM_RSA_PKCS_KEY_PAIR_GEN),
    M(CKM_RSA_PKCS),
    M(CKM_RSA_X_509),
    M(CKM_RSA_PKCS_OAEP),
    M(CKM_RSA_PKCS_PSS),
    M(CKM_SHA1_RSA_PKCS),
    M(CKM_SHA224_RSA_PKCS),
    M(CKM_SHA256_RSA_PKCS),
    M(CKM_SHA384_RSA_PKCS),
    M(CKM_SHA512_RSA_PKCS),
    M(CKM_SHA1_RSA_PKCS_PSS),
    M(CKM_SHA224_RSA_PKCS_PSS),
    M(CKM_SHA256_RSA_PKCS_PSS),
    M(CKM_SHA384_RSA_PKCS_PSS),
    M(CKM_SHA512_RSA_PKCS_PSS),
    M(CKM_RSA_AES_KEY_WRAP),
    M(CKM_MD5),
    M(CKM_SHA_1),
    M(CKM_SHA224),
    M(CKM_SHA256),
    M(CKM_SHA384),
    M(CKM_SHA512),
    M(CKM_SHA512_224),
    M(CKM_SHA512_256),
    M(CKM_MD5_HMAC),
    M(CKM_SHA_1_HMAC),
    M(CKM_SHA_1_HMAC_GENERAL),
    M(CKM_SHA224_HMAC),
    M(CKM_SHA224_HMAC_GENERAL),
    M(CKM_SHA256_HMAC),
    M(CKM_SHA256_HMAC_GENERAL),
    M(CKM_SHA384_HMAC),
    M(CKM_SHA384_HMAC_GENERAL),
    M(CKM_SHA512_HMAC),
    M(CKM_SHA512_HMAC_GENERAL),
    M(CKM_SHA512_224_HMAC),
    M(CKM_SHA512_256_HMAC),
    M(CKM_GENERIC_SECRET_KEY_GEN),
    M(CKM_SHA_1_KEY_GEN),
    M(CKM_SHA224_KEY_GEN),
    M(CKM_SHA256_KEY_GEN),
    M(CKM_SHA384_KEY_GEN),
    M(CKM_SHA512_KEY_GEN),
    M(CKM_AES_KEY_GEN),
    M(CKM_AES_ECB),
    M(CKM_AES_CBC),
    M(CKM_AES_CBC_PAD),
    M(CKM_AES_CTR),
    M(CKM_AES_CTS),
    M(CKM_AES_GCM),
    M(CKM_AES_CCM),
    M(CKM_AES_CMAC),
    M(CKM_AES_CMAC_GENERAL),
    M(CKM_AES_KEY_WRAP),
    M(CKM_AES_KEY_WRAP_PAD),
    M(CKM_AES_KEY_WRAP_KWP),
    M(CKM_AES_ECB_ENCRYPT_DATA),
    M(CKM_AES_CBC_ENCRYPT_DATA),
    M(CKM_DES3_KEY_GEN),
    M(CKM_DES3_ECB),
    M(CKM_DES3_CBC),
    M(CKM_DES3_CBC_PAD),
    M(CKM_CHACHA20_KEY_GEN),
    M(CKM_CHACHA20_POLY1305),
    M(CKM_EC_KEY_PAIR_GEN),
    M(CKM_ECDSA),
    M(CKM_ECDSA_SHA1),
    M(CKM_ECDSA_SHA224),
    M(CKM_ECDSA_SHA256),
    M(CKM_ECDSA_SHA384),
    M(CKM_ECDSA_SHA512),
    M(CKM_ECDH1_DERIVE),
    M(CKM_ECDH1_COFACTOR_DERIVE),
    M(CKM_EC_EDWARDS_KEY_PAIR_GEN),
    M(CKM_EC_MONTGOMERY_KEY_PAIR_GEN),
    M(CKM_EDDSA),
    M(CKM_DH_PKCS_KEY_PAIR_GEN),
    M(CKM_DH_PKCS_DERIVE),
    M(CKM_HKDF_DERIVE),
    M(CKM_HKDF_DATA),
    M(CKM_HKDF_KEY_GEN),
    M(CKM_SP800_108_COUNTER_KDF),
    M(CKM_SP800_108_FEEDBACK_KDF),
    M(CKM_PKCS5_PBKD2),
    M(CKM_CONCATENATE_BASE_AND_KEY),
    M(CKM_CONCATENATE_BASE_AND_DATA),
    M(CKM_CONCATENATE_DATA_AND_BASE),
    M(CKM_XOR_BASE_AND_DATA),
    M(CKM_EXTRACT_KEY_FROM_KEY),
    M(CKM_MD5_HMAC_GENERAL),
    M(CKM_SHA512_224_HMAC_GENERAL),
    M(CKM_SHA512_256_HMAC_GENERAL),
    M(CKM_SHA512_224_KEY_GEN),
    M(CKM_SHA512_256_KEY_GEN),
};
#undef M

}  // namespace

std::optional<CK_MECHANISM_TYPE> MechanismByName(std::string_view name) {
  for (const auto& [n, v] : kNames)
    if (n == name) return v;
  if (name.size() > 2 && name[0] == '0' && (name[1] == 'x' || name[1] == 'X')) {
    CK_MECHANISM_TYPE v = 0;
    auto [p, ec] = std::from_chars(name.data() + 2, name.data() + name.size(), v, 16);
    if (ec == std::errc() && p == name.data() + name.size()) return v;
  }
  return std::nullopt;
}

std::string MechanismName(CK_MECHANISM_TYPE type) {
  for (const auto& [n, v] : kNames)
    if (v == type) return std::string(n);
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%08lx", type);
  return buf;
}

}  // namespace cryptoki
