// keygen.cc: secret key generation: CKM_GENERIC_SECRET_KEY_GEN, the HMAC key
// generations (CKM_SHA*_KEY_GEN), CKM_AES_KEY_GEN, CKM_DES3_KEY_GEN,
// CKM_CHACHA20_KEY_GEN, CKM_HKDF_KEY_GEN.
#include "cryptoki/mech/registry.h"

namespace cryptoki::mech {
namespace {

struct Gen {
  CK_MECHANISM_TYPE mech;
  SecretKeySpec spec;
};
constexpr Gen kGens[] = {
    {CKM_GENERIC_SECRET_KEY_GEN, {CKK_GENERIC_SECRET, 1, 512, 0}},
    {CKM_SHA_1_KEY_GEN, {CKK_SHA_1_HMAC, 1, 512, 0}},
    {CKM_SHA224_KEY_GEN, {CKK_SHA224_HMAC, 1, 512, 0}},
    {CKM_SHA256_KEY_GEN, {CKK_SHA256_HMAC, 1, 512, 0}},
    {CKM_SHA384_KEY_GEN, {CKK_SHA384_HMAC, 1, 512, 0}},
    {CKM_SHA512_KEY_GEN, {CKK_SHA512_HMAC, 1, 512, 0}},
    {CKM_SHA512_224_KEY_GEN, {CKK_SHA512_224_HMAC, 1, 512, 0}},
    {CKM_SHA512_256_KEY_GEN, {CKK_SHA512_256_HMAC, 1, 512, 0}},
    {CKM_AES_KEY_GEN, {CKK_AES, 16, 32, 0, true}},
    {CKM_DES3_KEY_GEN, {CKK_DES3, 24, 24, 24}},
    {CKM_CHACHA20_KEY_GEN, {CKK_CHACHA20, 32, 32, 32}},
    {CKM_HKDF_KEY_GEN, {CKK_HKDF, 1, 512, 0}},
};

Result<ObjectHandle> Generate(Session& s, const Mechanism& m, const Template& tmpl) {
  for (const Gen& g : kGens)
    if (g.mech == m.type) return GenerateSecretKey(s, m.type, tmpl, g.spec);
  return Fail(Rv::kMechanismInvalid);
}

// Key sizes: bits for the generic secret (PKCS#11 2.40 2.37.6), bytes for
// AES and the HMAC key types, bytes for DES3 and ChaCha20.
constexpr MechanismEntry kEntries[] = {
    {.type = CKM_GENERIC_SECRET_KEY_GEN, .info = {8, 4096, CKF_GENERATE}, .generate = Generate},
    {.type = CKM_SHA_1_KEY_GEN, .info = {1, 512, CKF_GENERATE}, .generate = Generate},
    {.type = CKM_SHA224_KEY_GEN, .info = {1, 512, CKF_GENERATE}, .generate = Generate},
    {.type = CKM_SHA256_KEY_GEN, .info = {1, 512, CKF_GENERATE}, .generate = Generate},
    {.type = CKM_SHA384_KEY_GEN, .info = {1, 512, CKF_GENERATE}, .generate = Generate},
    {.type = CKM_SHA512_KEY_GEN, .info = {1, 512, CKF_GENERATE}, .generate = Generate},
    {.type = CKM_SHA512_224_KEY_GEN, .info = {1, 512, CKF_GENERATE}, .generate = Generate},
    {.type = CKM_SHA512_256_KEY_GEN, .info = {1, 512, CKF_GENERATE}, .generate = Generate},
    {.type = CKM_AES_KEY_GEN, .info = {16, 32, CKF_GENERATE}, .generate = Generate},
    {.type = CKM_DES3_KEY_GEN, .info = {24, 24, CKF_GENERATE}, .generate = Generate},
    {.type = CKM_CHACHA20_KEY_GEN, .info = {32, 32, CKF_GENERATE}, .generate = Generate},
    {.type = CKM_HKDF_KEY_GEN, .info = {1, 512, CKF_GENERATE}, .generate = Generate},
};

}  // namespace

std::span<const MechanismEntry> KeygenMechanisms() { return kEntries; }

}  // namespace cryptoki::mech
