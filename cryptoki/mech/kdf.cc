// kdf.cc: key derivation: CKM_HKDF_DERIVE (RFC 5869) and CKM_HKDF_DATA (its
// output as a data object), CKM_SP800_108_COUNTER_KDF
// and CKM_SP800_108_FEEDBACK_KDF (HMAC and AES-CMAC PRFs, additional keys),
// CKM_PKCS5_PBKD2 (a C_GenerateKey mechanism), CKM_CONCATENATE_BASE_AND_KEY,
// CKM_CONCATENATE_BASE_AND_DATA, CKM_CONCATENATE_DATA_AND_BASE,
// CKM_XOR_BASE_AND_DATA and CKM_EXTRACT_KEY_FROM_KEY.
//
// Derived keys get CKA_LOCAL false and CKA_ALWAYS_SENSITIVE /
// CKA_NEVER_EXTRACTABLE true only if the new key is sensitive /
// unextractable and the base key always was (BuildAttributes, op kDerive).
#include <openssl/evp.h>
#include <openssl/hkdf.h>

#include "cryptoki/mech/aes.h"
#include "cryptoki/mech/hmac.h"
#include "cryptoki/mech/registry.h"

namespace cryptoki::mech {
namespace {

// ---- HKDF ----------------------------------------------------------------

// HkdfPlan is a checked CK_HKDF_PARAMS: the hash and the salt bytes.
struct HkdfPlan {
  const HkdfParams* p = nullptr;
  const EVP_MD* md = nullptr;
  SecretBytes salt;
};

// PlanHkdf checks |m|'s CK_HKDF_PARAMS (kMechanismParamInvalid: neither
// extract nor expand, an unknown or MD5 hash, empty salt data, a salt key
// that is not a secret key, an unknown salt type when extracting) and reads
// the salt.
Result<HkdfPlan> PlanHkdf(Session& s, const Mechanism& m) {
  HkdfPlan plan;
  plan.p = std::get_if<HkdfParams>(&m.params);
  const HkdfParams* p = plan.p;
  if (p == nullptr || (!p->extract && !p->expand)) return Fail(Rv::kMechanismParamInvalid);
  plan.md = p->prf == CKM_MD5 ? nullptr : DigestForMechanism(p->prf);
  if (plan.md == nullptr) return Fail(Rv::kMechanismParamInvalid);
  switch (p->salt_type) {
    case CKF_HKDF_SALT_NULL:
      break;
    case CKF_HKDF_SALT_DATA:
      if (p->salt.empty()) return Fail(Rv::kMechanismParamInvalid);
      plan.salt.assign(p->salt.begin(), p->salt.end());
      break;
    case CKF_HKDF_SALT_KEY: {
      auto sk = s.GetKey(p->salt_key);
      if (!sk || (*sk)->object_class() != CKO_SECRET_KEY) return Fail(Rv::kMechanismParamInvalid);
      ByteView v = KeyValue(**sk);
      plan.salt.assign(v.begin(), v.end());
      break;
    }
    default:
      if (p->extract) return Fail(Rv::kMechanismParamInvalid);
  }
  return plan;
}

// RunHkdf runs |plan| over |ikm|: the PRK when only extracting (|want| is
// then ignored), else |want| bytes of output keying material
// (kTemplateIncomplete if |want| is 0, kKeySizeRange above 255 hash lengths).
Result<SecretBytes> RunHkdf(const HkdfPlan& plan, ByteView ikm, size_t want) {
  SecretBytes prk(EVP_MAX_MD_SIZE);
  size_t prk_len = 0;
  if (plan.p->extract) {
    if (!HKDF_extract(prk.data(), &prk_len, plan.md, ikm.data(), ikm.size(), plan.salt.data(),
                      plan.salt.size())) {
      return Fail(Rv::kFunctionFailed);
    }
    prk.resize(prk_len);
  } else {
    prk.assign(ikm.begin(), ikm.end());
  }
  if (!plan.p->expand) return prk;
  if (want == 0) return Fail(Rv::kTemplateIncomplete);
  if (want > 255 * EVP_MD_size(plan.md)) return Fail(Rv::kKeySizeRange);
  SecretBytes okm(want);
  if (!HKDF_expand(okm.data(), okm.size(), plan.md, prk.data(), prk.size(), plan.p->info.data(),
                   plan.p->info.size())) {
    return Fail(Rv::kFunctionFailed);
  }
  return okm;
}

// HkdfInput returns the input keying material in |base| for |plan|.
// PKCS #11 3.0 Current Mechanisms §2.43 (HKDF), "HKDF derive": the input
// key is a CKK_HKDF or CKK_GENERIC_SECRET key; "the exception is a data
// object which has the same size as the underlying hash function", supplied
// with bExtract true and a non-null salt. So a key (whose type, CKA_DERIVE
// and CKA_ALLOWED_MECHANISMS CheckKey has checked; its length is not held
// to the hash's: RFC 5869 takes IKM of any length, and so does every
// token we know of) gives its CKA_VALUE, and a CKO_DATA object its
// CKA_VALUE only when extracting with a salt (CKF_HKDF_SALT_DATA or _KEY;
// else it is no key to use here: kKeyHandleInvalid, as for any other
// mechanism) and exactly one hash long (else kKeySizeRange). A data object
// has no CKA_DERIVE (nor any other usage attribute) to check; what keeps
// its public bytes from standing in for a key is that they are only ever
// the IKM of an extract whose salt is the caller's, as in TLS 1.3's key
// schedule. A key derived from one is never CKA_ALWAYS_SENSITIVE nor
// CKA_NEVER_EXTRACTABLE (the base has neither).
Result<ByteView> HkdfInput(const HkdfPlan& plan, const Object& base) {
  if (base.object_class() != CKO_DATA) return KeyValue(base);
  if (!plan.p->extract || plan.p->salt_type == CKF_HKDF_SALT_NULL) {
    return Fail(Rv::kKeyHandleInvalid);
  }
  if (KeyValue(base).size() != EVP_MD_size(plan.md)) return Fail(Rv::kKeySizeRange);
  return KeyValue(base);
}

// CKM_HKDF_DERIVE: the output is a secret key (CKA_VALUE_LEN from the
// template; extract only: the PRK, one hash long).
Result<ObjectHandle> DeriveHkdf(Session& s, const Mechanism& m, std::shared_ptr<const Object> base,
                                const Template& tmpl) {
  auto plan = PlanHkdf(s, m);
  if (!plan) return Fail(plan.error());
  auto ikm = HkdfInput(*plan, *base);
  if (!ikm) return Fail(ikm.error());
  auto want = DerivedKeyLength(tmpl);
  if (!want) return Fail(want.error());
  auto out = RunHkdf(*plan, *ikm, *want);
  if (!out) return Fail(out.error());
  return MakeDerivedSecret(s, m.type, *base, tmpl, *out);
}

// CKM_HKDF_DATA (PKCS#11 3.0 "HKDF Data"): HKDF as CKM_HKDF_DERIVE (the
// same bases, HkdfInput), but the output is a CKO_DATA object whose
// CKA_VALUE is the result. CKA_CLASS, if
// given, must be CKO_DATA (kTemplateInconsistent). CKA_VALUE_LEN says how
// many bytes to make; it is the mechanism's input, not an attribute of data
// objects, so it is taken out of the template (required when expanding:
// kTemplateIncomplete; zero or malformed: kAttributeValueInvalid; more than
// the PRK when only extracting: kKeySizeRange; given twice with different
// values: kTemplateInconsistent). The object is private unless
// the template says otherwise: it holds derived secret material. Other
// attributes follow the data object rules (CKA_KEY_TYPE:
// kAttributeTypeInvalid).
Result<ObjectHandle> DeriveHkdfData(Session& s, const Mechanism& m,
                                    std::shared_ptr<const Object> base, const Template& tmpl) {
  auto plan = PlanHkdf(s, m);
  if (!plan) return Fail(plan.error());
  auto ikm = HkdfInput(*plan, *base);
  if (!ikm) return Fail(ikm.error());
  if (const Attribute* c = tmpl.Find(CKA_CLASS)) {
    if (c->AsUlong() != CKO_DATA) return Fail(Rv::kTemplateInconsistent);
  }
  Template data;
  std::optional<size_t> want;
  for (const Attribute& a : tmpl) {
    if (a.type() != CKA_VALUE_LEN) {
      data.Add(a);
      continue;
    }
    auto v = a.AsUlong();
    if (!v || *v == 0) return Fail(Rv::kAttributeValueInvalid);
    if (want && *want != *v) return Fail(Rv::kTemplateInconsistent);
    want = *v;
  }
  auto out = RunHkdf(*plan, *ikm, want.value_or(0));
  if (!out) return Fail(out.error());
  if (want) {
    if (*want > out->size()) return Fail(Rv::kKeySizeRange);
    out->resize(*want);
  }
  if (!data.Find(CKA_CLASS)) data.Add(attr::Class{CKO_DATA});
  if (!data.Find(CKA_PRIVATE)) data.Add(attr::Private{true});
  BuildContext ctx{ObjectOp::kDerive, s.IsSo(), m.type};
  auto attrs = BuildAttributes(data, ctx, Template{Attribute(CKA_VALUE, std::move(*out))});
  if (!attrs) return Fail(attrs.error());
  return s.CreateBuiltObject(std::move(*attrs));
}

// ---- SP 800-108 -----------------------------------------------------------

void PutInt(SecretBytes& out, uint64_t v, size_t width_bits, bool little_endian) {
  const size_t n = width_bits / 8;
  for (size_t i = 0; i < n; ++i) {
    const size_t shift = little_endian ? 8 * i : 8 * (n - 1 - i);
    out.push_back(static_cast<uint8_t>(v >> shift));
  }
}

Result<ObjectHandle> DeriveSp800108(Session& s, const Mechanism& m,
                                    std::shared_ptr<const Object> base, const Template& tmpl) {
  const auto* p = std::get_if<Sp800108Params>(&m.params);
  const bool feedback = m.type == CKM_SP800_108_FEEDBACK_KDF;
  if (p == nullptr || p->feedback != feedback) return Fail(Rv::kMechanismParamInvalid);
  // The PRF and its key.
  const bool cmac = p->prf == CKM_AES_CMAC;
  const CK_MECHANISM_TYPE digest = cmac ? 0 : DigestOfHmac(p->prf);
  if (!cmac && (digest == 0 || digest == CKM_MD5 || p->prf != [&] {
        // Only the fixed-length HMACs name a PRF.
        switch (digest) {
          case CKM_SHA_1:
            return CKM_SHA_1_HMAC;
          case CKM_SHA224:
            return CKM_SHA224_HMAC;
          case CKM_SHA256:
            return CKM_SHA256_HMAC;
          case CKM_SHA384:
            return CKM_SHA384_HMAC;
          case CKM_SHA512:
            return CKM_SHA512_HMAC;
          case CKM_SHA512_224:
            return CKM_SHA512_224_HMAC;
          default:
            return CKM_SHA512_256_HMAC;
        }
      }())) {
    return Fail(Rv::kMechanismParamInvalid);
  }
  std::shared_ptr<const AesKeyCache> aes;
  std::optional<HmacState> hmac;
  size_t h = 0;
  if (cmac) {
    if (base->key_type() != CKK_AES) return Fail(Rv::kKeyTypeInconsistent);
    auto k = AesKeyFor(*base);
    if (!k) return Fail(k.error());
    aes = *k;
    h = 16;
  } else {
    if (base->key_type() == CKK_AES || base->key_type() == CKK_DES3) {
      return Fail(Rv::kKeyTypeInconsistent);
    }
    hmac = HmacFor(*base, digest);
    if (!hmac) return Fail(Rv::kMechanismParamInvalid);
    h = hmac->size();
  }
  // The data layout.
  int iteration = 0, counters = 0, dkms = 0;
  const PrfDataParam* dkm = nullptr;
  for (const PrfDataParam& d : p->data) {
    switch (d.type) {
      case CK_SP800_108_ITERATION_VARIABLE:
        ++iteration;
        if (feedback ? d.has_format : !d.has_format) return Fail(Rv::kMechanismParamInvalid);
        if (!feedback && (d.width_bits == 0 || d.width_bits > 32 || d.width_bits % 8)) {
          return Fail(Rv::kMechanismParamInvalid);
        }
        break;
      case CK_SP800_108_OPTIONAL_COUNTER:
        ++counters;
        if (!feedback || !d.has_format || d.width_bits == 0 || d.width_bits > 32 ||
            d.width_bits % 8) {
          return Fail(Rv::kMechanismParamInvalid);
        }
        break;
      case CK_SP800_108_DKM_LENGTH:
        ++dkms;
        dkm = &d;
        if (d.width_bits == 0 || d.width_bits > 64 || d.width_bits % 8 ||
            (d.dkm_method != CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS &&
             d.dkm_method != CK_SP800_108_DKM_LENGTH_SUM_OF_SEGMENTS)) {
          return Fail(Rv::kMechanismParamInvalid);
        }
        break;
      case CK_SP800_108_BYTE_ARRAY:
        break;
      default:
        return Fail(Rv::kMechanismParamInvalid);
    }
  }
  if (iteration != 1 || counters > 1 || dkms > 1) return Fail(Rv::kMechanismParamInvalid);
  if (!feedback && !p->iv.empty()) return Fail(Rv::kMechanismParamInvalid);
  // Key lengths.
  auto first = DerivedKeyLength(tmpl);
  if (!first) return Fail(first.error());
  if (*first == 0) return Fail(Rv::kTemplateIncomplete);
  std::vector<size_t> lens{*first};
  for (const AdditionalKey& ak : p->additional_keys) {
    auto n = DerivedKeyLength(ak.tmpl);
    if (!n) return Fail(n.error());
    if (*n == 0) return Fail(Rv::kTemplateIncomplete);
    lens.push_back(*n);
  }
  size_t total = 0;
  for (size_t n : lens) total += n;
  const uint64_t blocks = (total + h - 1) / h;
  const uint64_t l_bits = dkm && dkm->dkm_method == CK_SP800_108_DKM_LENGTH_SUM_OF_SEGMENTS
                              ? blocks * h * 8
                              : uint64_t{total} * 8;
  // The counter must not overflow its width.
  for (const PrfDataParam& d : p->data) {
    if (d.has_format && d.type != CK_SP800_108_DKM_LENGTH && d.width_bits < 64 &&
        blocks >= (uint64_t{1} << d.width_bits)) {
      return Fail(Rv::kKeySizeRange);
    }
    if (d.type == CK_SP800_108_DKM_LENGTH && d.width_bits < 64 &&
        l_bits >= (uint64_t{1} << d.width_bits)) {
      return Fail(Rv::kKeySizeRange);
    }
  }
  SecretBytes stream, prev(p->iv.begin(), p->iv.end()), input;
  for (uint64_t i = 1; i <= blocks; ++i) {
    input.clear();
    for (const PrfDataParam& d : p->data) {
      switch (d.type) {
        case CK_SP800_108_ITERATION_VARIABLE:
          if (feedback) {
            input.insert(input.end(), prev.begin(), prev.end());
          } else {
            PutInt(input, i, d.width_bits, d.little_endian);
          }
          break;
        case CK_SP800_108_OPTIONAL_COUNTER:
          PutInt(input, i, d.width_bits, d.little_endian);
          break;
        case CK_SP800_108_DKM_LENGTH:
          PutInt(input, l_bits, d.width_bits, d.little_endian);
          break;
        default:
          input.insert(input.end(), d.bytes.begin(), d.bytes.end());
      }
    }
    uint8_t out[64];
    if (cmac) {
      AesCmac(*aes, input, out);
    } else {
      HmacState st = *hmac;
      st.Update(input);
      st.Final(out);
    }
    prev.assign(out, out + h);
    stream.insert(stream.end(), out, out + h);
    OPENSSL_cleanse(out, sizeof out);
  }
  // Cut the keys.
  auto primary = MakeDerivedSecret(s, m.type, *base, tmpl, ByteView(stream).first(lens[0]));
  if (!primary) return primary;
  size_t off = lens[0];
  std::vector<ObjectHandle> made;
  for (size_t k = 0; k < p->additional_keys.size(); ++k) {
    auto h2 = MakeDerivedSecret(s, m.type, *base, p->additional_keys[k].tmpl,
                                ByteView(stream).subspan(off, lens[k + 1]));
    if (!h2) {
      (void)s.DestroyObject(*primary);
      for (ObjectHandle o : made) (void)s.DestroyObject(o);
      return h2;
    }
    made.push_back(*h2);
    *p->additional_keys[k].handle = *h2;
    off += lens[k + 1];
  }
  return primary;
}

// ---- PBKDF2 ---------------------------------------------------------------

Result<ObjectHandle> GeneratePbkdf2(Session& s, const Mechanism& m, const Template& tmpl) {
  const auto* p = std::get_if<Pbkdf2Params>(&m.params);
  if (p == nullptr || p->iterations == 0) return Fail(Rv::kMechanismParamInvalid);
  const EVP_MD* md = nullptr;
  switch (p->prf) {
    case CKP_PKCS5_PBKD2_HMAC_SHA1:
      md = EVP_sha1();
      break;
    case CKP_PKCS5_PBKD2_HMAC_SHA224:
      md = EVP_sha224();
      break;
    case CKP_PKCS5_PBKD2_HMAC_SHA256:
      md = EVP_sha256();
      break;
    case CKP_PKCS5_PBKD2_HMAC_SHA384:
      md = EVP_sha384();
      break;
    case CKP_PKCS5_PBKD2_HMAC_SHA512:
      md = EVP_sha512();
      break;
    case CKP_PKCS5_PBKD2_HMAC_SHA512_256:
      md = EVP_sha512_256();
      break;
    default:
      return Fail(Rv::kMechanismParamInvalid);
  }
  if (const Attribute* c = tmpl.Find(CKA_CLASS)) {
    if (c->AsUlong() != CKO_SECRET_KEY) return Fail(Rv::kTemplateInconsistent);
  }
  auto len = DerivedKeyLength(tmpl);
  if (!len) return Fail(len.error());
  if (*len == 0) return Fail(Rv::kTemplateIncomplete);
  SecretBytes key(*len);
  if (!PKCS5_PBKDF2_HMAC(reinterpret_cast<const char*>(p->password.data()), p->password.size(),
                         p->salt.data(), p->salt.size(), p->iterations, md, key.size(),
                         key.data())) {
    return Fail(Rv::kFunctionFailed);
  }
  Template full = tmpl;
  if (!tmpl.Find(CKA_CLASS)) full.Add(attr::Class{CKO_SECRET_KEY});
  if (!tmpl.Find(CKA_KEY_TYPE)) full.Add(attr::KeyType{CKK_GENERIC_SECRET});
  BuildContext ctx{ObjectOp::kGenerate, s.IsSo(), m.type};
  auto attrs = BuildAttributes(full, ctx, Template{Attribute(CKA_VALUE, std::move(key))});
  if (!attrs) return Fail(attrs.error());
  return s.CreateBuiltObject(std::move(*attrs));
}

// ---- Simple derivations -----------------------------------------------------

Result<ObjectHandle> DeriveSimple(Session& s, const Mechanism& m,
                                  std::shared_ptr<const Object> base, const Template& tmpl) {
  ByteView bv = KeyValue(*base);
  SecretBytes material;
  size_t default_len = 0;
  switch (m.type) {
    case CKM_CONCATENATE_BASE_AND_KEY: {
      const auto* p = std::get_if<KeyHandleParams>(&m.params);
      auto other = s.GetKey(p->key);
      if (!other) return Fail(other.error());
      if ((*other)->object_class() != CKO_SECRET_KEY) return Fail(Rv::kKeyTypeInconsistent);
      ByteView ov = KeyValue(**other);
      material.assign(bv.begin(), bv.end());
      material.insert(material.end(), ov.begin(), ov.end());
      break;
    }
    case CKM_CONCATENATE_BASE_AND_DATA:
    case CKM_CONCATENATE_DATA_AND_BASE: {
      const Bytes& d = std::get<RawParams>(m.params).bytes;
      if (m.type == CKM_CONCATENATE_BASE_AND_DATA) {
        material.assign(bv.begin(), bv.end());
        material.insert(material.end(), d.begin(), d.end());
      } else {
        material.assign(d.begin(), d.end());
        material.insert(material.end(), bv.begin(), bv.end());
      }
      break;
    }
    case CKM_XOR_BASE_AND_DATA: {
      const Bytes& d = std::get<RawParams>(m.params).bytes;
      if (d.empty()) return Fail(Rv::kMechanismParamInvalid);
      const size_t n = std::min(bv.size(), d.size());
      material.resize(n);
      for (size_t i = 0; i < n; ++i) material[i] = bv[i] ^ d[i];
      break;
    }
    case CKM_EXTRACT_KEY_FROM_KEY: {
      const CK_ULONG pos = std::get<UlongParams>(m.params).value;
      auto want = DerivedKeyLength(tmpl);
      if (!want) return Fail(want.error());
      if (*want == 0) return Fail(Rv::kTemplateIncomplete);
      const size_t bits = bv.size() * 8;
      if (*want > bv.size() || pos >= bits) return Fail(Rv::kMechanismParamInvalid);
      // Bits from |pos| on, wrapping around to the start of the base key.
      material.assign(*want, 0);
      for (size_t i = 0; i < *want * 8; ++i) {
        const size_t b = (pos + i) % bits;
        const uint8_t bit = (bv[b / 8] >> (7 - b % 8)) & 1;
        material[i / 8] |= static_cast<uint8_t>(bit << (7 - i % 8));
      }
      break;
    }
    default:
      return Fail(Rv::kMechanismInvalid);
  }
  return MakeDerivedSecret(s, m.type, *base, tmpl, material, default_len);
}

constexpr CK_KEY_TYPE kSecretKeys[] = {CKK_GENERIC_SECRET, CKK_AES,         CKK_DES3,
                                       CKK_CHACHA20,       CKK_HKDF,        CKK_SHA_1_HMAC,
                                       CKK_SHA224_HMAC,    CKK_SHA256_HMAC, CKK_SHA384_HMAC,
                                       CKK_SHA512_HMAC,    CKK_MD5_HMAC,    CKK_SHA512_224_HMAC,
                                       CKK_SHA512_256_HMAC};
constexpr CK_KEY_TYPE kHkdfKeys[] = {CKK_GENERIC_SECRET, CKK_HKDF};
constexpr CK_KEY_TYPE kSp800108Keys[] = {
    CKK_GENERIC_SECRET, CKK_AES,         CKK_HKDF,        CKK_SHA_1_HMAC,      CKK_SHA224_HMAC,
    CKK_SHA256_HMAC,    CKK_SHA384_HMAC, CKK_SHA512_HMAC, CKK_SHA512_224_HMAC, CKK_SHA512_256_HMAC};

constexpr MechanismEntry kEntries[] = {
    {.type = CKM_CONCATENATE_BASE_AND_KEY,
     .info = {0, 0, CKF_DERIVE},
     .key_types = kSecretKeys,
     .params_ok = Takes<KeyHandleParams>,
     .size_unit = SizeUnit::kFamily,
     .derive = DeriveSimple},
    {.type = CKM_CONCATENATE_BASE_AND_DATA,
     .info = {0, 0, CKF_DERIVE},
     .key_types = kSecretKeys,
     .params_ok = Takes<RawParams>,
     .size_unit = SizeUnit::kFamily,
     .derive = DeriveSimple},
    {.type = CKM_CONCATENATE_DATA_AND_BASE,
     .info = {0, 0, CKF_DERIVE},
     .key_types = kSecretKeys,
     .params_ok = Takes<RawParams>,
     .size_unit = SizeUnit::kFamily,
     .derive = DeriveSimple},
    {.type = CKM_XOR_BASE_AND_DATA,
     .info = {0, 0, CKF_DERIVE},
     .key_types = kSecretKeys,
     .params_ok = Takes<RawParams>,
     .size_unit = SizeUnit::kFamily,
     .derive = DeriveSimple},
    {.type = CKM_EXTRACT_KEY_FROM_KEY,
     .info = {0, 0, CKF_DERIVE},
     .key_types = kSecretKeys,
     .params_ok = Takes<UlongParams>,
     .size_unit = SizeUnit::kFamily,
     .derive = DeriveSimple},
    {.type = CKM_PKCS5_PBKD2,
     .info = {0, 0, CKF_GENERATE},
     .params_ok = Takes<Pbkdf2Params>,
     .generate = GeneratePbkdf2},
    {.type = CKM_SP800_108_COUNTER_KDF,
     .info = {0, 0, CKF_DERIVE},
     .key_types = kSp800108Keys,
     .params_ok = Takes<Sp800108Params>,
     .size_unit = SizeUnit::kFamily,
     .derive = DeriveSp800108},
    {.type = CKM_SP800_108_FEEDBACK_KDF,
     .info = {0, 0, CKF_DERIVE},
     .key_types = kSp800108Keys,
     .params_ok = Takes<Sp800108Params>,
     .size_unit = SizeUnit::kFamily,
     .derive = DeriveSp800108},
    {.type = CKM_HKDF_DERIVE,
     .info = {1, 512, CKF_DERIVE},
     .key_types = kHkdfKeys,
     .params_ok = Takes<HkdfParams>,
     .size_unit = SizeUnit::kFamily,
     .derive = DeriveHkdf,
     .data_base = true},
    {.type = CKM_HKDF_DATA,
     .info = {1, 512, CKF_DERIVE},
     .key_types = kHkdfKeys,
     .params_ok = Takes<HkdfParams>,
     .size_unit = SizeUnit::kFamily,
     .derive = DeriveHkdfData,
     .data_base = true},
};

}  // namespace

std::span<const MechanismEntry> KdfMechanisms() { return kEntries; }

Result<> KdfSelfTest() {
  // RFC 5869 A.1.
  const Bytes ikm(22, 0x0b);
  const uint8_t salt[13] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  const uint8_t info[10] = {0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9};
  static constexpr uint8_t kOkm[8] = {0x3c, 0xb2, 0x5f, 0x25, 0xfa, 0xac, 0xd5, 0x7a};
  uint8_t okm[42];
  if (!HKDF(okm, sizeof okm, EVP_sha256(), ikm.data(), ikm.size(), salt, sizeof salt, info,
            sizeof info) ||
      !Equal(ByteView(okm, 8), kOkm)) {
    return Fail(Rv::kGeneralError);
  }
  return {};
}

}  // namespace cryptoki::mech
