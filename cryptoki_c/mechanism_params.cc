#include "cryptoki_c/mechanism_params.h"

#include <cstring>

namespace cryptoki {
namespace {

// CopyInto copies |len| bytes at |p| into |dst|, reusing its buffer.
Result<> CopyInto(const void* p, CK_ULONG len, Bytes& dst) {
  if (len != 0 && p == nullptr) return Fail(Rv::kMechanismParamInvalid);
  const auto* b = static_cast<const uint8_t*>(p);
  dst.assign(b, b + len);
  return {};
}

// Copy copies |len| bytes at |p|; a null |p| is only fine for zero bytes.
Result<Bytes> Copy(const void* p, CK_ULONG len) {
  Bytes b;
  CRYPTOKI_TRY(CopyInto(p, len, b));
  return b;
}

// As returns the parameter as a T: it must be exactly a T.
template <class T>
Result<const T*> As(const CK_MECHANISM& m) {
  if (m.pParameter == nullptr || m.ulParameterLen != sizeof(T)) {
    return Fail(Rv::kMechanismParamInvalid);
  }
  return static_cast<const T*>(m.pParameter);
}

#define TRY_ASSIGN(lhs, expr)                 \
  auto lhs##_r = (expr);                      \
  if (!lhs##_r) return Fail(lhs##_r.error()); \
  auto lhs = std::move(*lhs##_r)

// Reuse returns |v|'s P, made if |v| holds another type: a P left by an
// earlier call keeps its buffers.
template <class P>
P& Reuse(MechanismParams& v) {
  if (auto* p = std::get_if<P>(&v)) return *p;
  return v.emplace<P>();
}

// The parameters of the hot paths (AEAD, IVs), converted into |out| in place.
Result<> GcmInto(const CK_MECHANISM& m, MechanismParams& out) {
  // The message API's C_MessageEncryptInit passes no parameter.
  if (m.pParameter == nullptr && m.ulParameterLen == 0) {
    out = std::monostate{};
    return {};
  }
  TRY_ASSIGN(p, As<CK_GCM_PARAMS>(m));
  if (p->ulIvBits != 0 && p->ulIvBits != p->ulIvLen * 8) return Fail(Rv::kMechanismParamInvalid);
  auto& g = Reuse<mech::GcmParams>(out);
  CRYPTOKI_TRY(CopyInto(p->pIv, p->ulIvLen, g.iv));
  CRYPTOKI_TRY(CopyInto(p->pAAD, p->ulAADLen, g.aad));
  g.tag_bits = p->ulTagBits;
  return {};
}

Result<> ChaChaPolyInto(const CK_MECHANISM& m, MechanismParams& out) {
  if (m.pParameter == nullptr && m.ulParameterLen == 0) {
    out = std::monostate{};
    return {};
  }
  TRY_ASSIGN(p, As<CK_SALSA20_CHACHA20_POLY1305_PARAMS>(m));
  auto& c = Reuse<mech::ChaCha20Poly1305Params>(out);
  CRYPTOKI_TRY(CopyInto(p->pNonce, p->ulNonceLen, c.nonce));
  return CopyInto(p->pAAD, p->ulAADLen, c.aad);
}

// Plain bytes (IVs, wrap IVs): RawParams, or none without a parameter.
Result<> RawInto(const CK_MECHANISM& m, MechanismParams& out) {
  if (m.pParameter == nullptr) {
    out = std::monostate{};
    return {};
  }
  return CopyInto(m.pParameter, m.ulParameterLen, Reuse<mech::RawParams>(out).bytes);
}

using Converter = Result<> (*)(const CK_MECHANISM& m, MechanismParams& out);

// InPlace returns the converter of a mechanism whose parameter converts in
// place (above), or nullptr.
Converter InPlace(CK_MECHANISM_TYPE type) {
  switch (type) {
    case CKM_AES_GCM:
      return GcmInto;
    case CKM_CHACHA20_POLY1305:
      return ChaChaPolyInto;
    // Plain bytes: IVs.
    case CKM_AES_CBC:
    case CKM_AES_CBC_PAD:
    case CKM_AES_CTS:
    case CKM_DES3_CBC:
    case CKM_DES3_CBC_PAD:
    case CKM_AES_KEY_WRAP:
    case CKM_AES_KEY_WRAP_PAD:
    case CKM_AES_KEY_WRAP_KWP:
      return RawInto;
    default:
      return nullptr;
  }
}

Result<MechanismParams> Hkdf(const CK_MECHANISM& m) {
  TRY_ASSIGN(p, As<CK_HKDF_PARAMS>(m));
  mech::HkdfParams h;
  h.extract = p->bExtract != CK_FALSE;
  h.expand = p->bExpand != CK_FALSE;
  h.prf = p->prfHashMechanism;
  h.salt_type = p->ulSaltType;
  if (h.salt_type == CKF_HKDF_SALT_DATA) {
    TRY_ASSIGN(salt, Copy(p->pSalt, p->ulSaltLen));
    h.salt = std::move(salt);
  } else if (h.salt_type == CKF_HKDF_SALT_KEY) {
    h.salt_key = ObjectHandle(p->hSaltKey);
  }
  TRY_ASSIGN(info, Copy(p->pInfo, p->ulInfoLen));
  h.info = std::move(info);
  return h;
}

Result<std::vector<mech::PrfDataParam>> PrfData(const CK_PRF_DATA_PARAM* params, CK_ULONG n) {
  if (n != 0 && params == nullptr) return Fail(Rv::kMechanismParamInvalid);
  std::vector<mech::PrfDataParam> out;
  for (CK_ULONG i = 0; i < n; ++i) {
    const CK_PRF_DATA_PARAM& d = params[i];
    mech::PrfDataParam p;
    p.type = d.type;
    switch (d.type) {
      case CK_SP800_108_BYTE_ARRAY: {
        TRY_ASSIGN(b, Copy(d.pValue, d.ulValueLen));
        p.bytes = std::move(b);
        break;
      }
      case CK_SP800_108_ITERATION_VARIABLE:
      case CK_SP800_108_OPTIONAL_COUNTER:
        if (d.pValue == nullptr && d.ulValueLen == 0) break;  // feedback: no counter
        if (d.pValue == nullptr || d.ulValueLen != sizeof(CK_SP800_108_COUNTER_FORMAT)) {
          return Fail(Rv::kMechanismParamInvalid);
        } else {
          const auto* f = static_cast<const CK_SP800_108_COUNTER_FORMAT*>(d.pValue);
          p.has_format = true;
          p.little_endian = f->bLittleEndian != CK_FALSE;
          p.width_bits = f->ulWidthInBits;
        }
        break;
      case CK_SP800_108_DKM_LENGTH:
        if (d.pValue == nullptr || d.ulValueLen != sizeof(CK_SP800_108_DKM_LENGTH_FORMAT)) {
          return Fail(Rv::kMechanismParamInvalid);
        } else {
          const auto* f = static_cast<const CK_SP800_108_DKM_LENGTH_FORMAT*>(d.pValue);
          p.has_format = true;
          p.dkm_method = f->dkmLengthMethod;
          p.little_endian = f->bLittleEndian != CK_FALSE;
          p.width_bits = f->ulWidthInBits;
        }
        break;
      default:
        return Fail(Rv::kMechanismParamInvalid);
    }
    out.push_back(std::move(p));
  }
  return out;
}

Result<std::vector<mech::AdditionalKey>> AdditionalKeys(const CK_DERIVED_KEY* keys, CK_ULONG n) {
  if (n != 0 && keys == nullptr) return Fail(Rv::kMechanismParamInvalid);
  std::vector<mech::AdditionalKey> out;
  for (CK_ULONG i = 0; i < n; ++i) {
    if (keys[i].phKey == nullptr) return Fail(Rv::kMechanismParamInvalid);
    auto t = ToTemplate(keys[i].pTemplate, keys[i].ulAttributeCount);
    if (!t) return Fail(Rv::kMechanismParamInvalid);
    mech::AdditionalKey k;
    k.tmpl = std::move(*t);
    out.push_back(std::move(k));
  }
  return out;
}

Result<MechanismParams> Sp800108(const CK_MECHANISM& m) {
  mech::Sp800108Params s;
  if (m.mechanism == CKM_SP800_108_FEEDBACK_KDF) {
    TRY_ASSIGN(p, As<CK_SP800_108_FEEDBACK_KDF_PARAMS>(m));
    s.feedback = true;
    s.prf = p->prfType;
    TRY_ASSIGN(data, PrfData(p->pDataParams, p->ulNumberOfDataParams));
    TRY_ASSIGN(iv, Copy(p->pIV, p->ulIVLen));
    TRY_ASSIGN(keys, AdditionalKeys(p->pAdditionalDerivedKeys, p->ulAdditionalDerivedKeys));
    s.data = std::move(data);
    s.iv = std::move(iv);
    s.additional_keys = std::move(keys);
  } else {
    TRY_ASSIGN(p, As<CK_SP800_108_KDF_PARAMS>(m));
    s.prf = p->prfType;
    TRY_ASSIGN(data, PrfData(p->pDataParams, p->ulNumberOfDataParams));
    TRY_ASSIGN(keys, AdditionalKeys(p->pAdditionalDerivedKeys, p->ulAdditionalDerivedKeys));
    s.data = std::move(data);
    s.additional_keys = std::move(keys);
  }
  return s;
}

Result<MechanismParams> Pbkdf2(const CK_MECHANISM& m) {
  // CK_PKCS5_PBKD2_PARAMS and _PARAMS2 have the same size on LP64; the old
  // one's ulPasswordLen is a pointer. A value no password length could have
  // is taken as that pointer.
  TRY_ASSIGN(p, As<CK_PKCS5_PBKD2_PARAMS2>(m));
  if (p->saltSource != CKZ_SALT_SPECIFIED) return Fail(Rv::kMechanismParamInvalid);
  mech::Pbkdf2Params out;
  TRY_ASSIGN(salt, Copy(p->pSaltSourceData, p->ulSaltSourceDataLen));
  out.salt = std::move(salt);
  out.iterations = p->iterations;
  out.prf = p->prf;
  CK_ULONG pw_len = p->ulPasswordLen;
  if (pw_len > 0xFFFF) pw_len = *reinterpret_cast<const CK_ULONG*>(p->ulPasswordLen);
  TRY_ASSIGN(pw, Copy(p->pPassword, pw_len));
  out.password.assign(pw.begin(), pw.end());
  return out;
}

}  // namespace

Result<Template> ToTemplate(const CK_ATTRIBUTE* attrs, CK_ULONG count) {
  if (count != 0 && attrs == nullptr) return Fail(Rv::kArgumentsBad);
  Template t;
  for (CK_ULONG i = 0; i < count; ++i) {
    if (attrs[i].pValue == nullptr && attrs[i].ulValueLen != 0) return Fail(Rv::kArgumentsBad);
    t.Add(Attribute(attrs[i].type,
                    ByteView(static_cast<const uint8_t*>(attrs[i].pValue), attrs[i].ulValueLen)));
  }
  return t;
}

Result<> ToMechanismInto(const CK_MECHANISM* mp, Mechanism& out) {
  if (mp == nullptr) return Fail(Rv::kArgumentsBad);
  const CK_MECHANISM& m = *mp;
  if (m.pParameter == nullptr && m.ulParameterLen != 0) return Fail(Rv::kMechanismParamInvalid);
  out.type = m.mechanism;
  if (Converter convert = InPlace(m.mechanism)) return convert(m, out.params);
  out.params = std::monostate{};
  const bool none = m.pParameter == nullptr;
  switch (m.mechanism) {
    // Derivation strings.
    case CKM_CONCATENATE_BASE_AND_DATA:
    case CKM_CONCATENATE_DATA_AND_BASE:
    case CKM_XOR_BASE_AND_DATA:
    case CKM_AES_ECB_ENCRYPT_DATA: {
      TRY_ASSIGN(p, As<CK_KEY_DERIVATION_STRING_DATA>(m));
      TRY_ASSIGN(b, Copy(p->pData, p->ulLen));
      out.params = mech::RawParams{std::move(b)};
      break;
    }
    case CKM_AES_CBC_ENCRYPT_DATA: {
      TRY_ASSIGN(p, As<CK_AES_CBC_ENCRYPT_DATA_PARAMS>(m));
      TRY_ASSIGN(b, Copy(p->pData, p->length));
      mech::CbcEncryptDataParams c;
      memcpy(c.iv.data(), p->iv, 16);
      c.data = std::move(b);
      out.params = std::move(c);
      break;
    }
    // One CK_ULONG.
    case CKM_MD5_HMAC_GENERAL:
    case CKM_SHA_1_HMAC_GENERAL:
    case CKM_SHA224_HMAC_GENERAL:
    case CKM_SHA256_HMAC_GENERAL:
    case CKM_SHA384_HMAC_GENERAL:
    case CKM_SHA512_HMAC_GENERAL:
    case CKM_SHA512_224_HMAC_GENERAL:
    case CKM_SHA512_256_HMAC_GENERAL:
    case CKM_AES_CMAC_GENERAL:
    case CKM_EXTRACT_KEY_FROM_KEY: {
      TRY_ASSIGN(p, As<CK_ULONG>(m));
      out.params = mech::UlongParams{*p};
      break;
    }
    case CKM_CONCATENATE_BASE_AND_KEY: {
      TRY_ASSIGN(p, As<CK_OBJECT_HANDLE>(m));
      out.params = mech::KeyHandleParams{ObjectHandle(*p)};
      break;
    }
    case CKM_AES_CTR: {
      TRY_ASSIGN(p, As<CK_AES_CTR_PARAMS>(m));
      mech::AesCtrParams c;
      c.counter_bits = p->ulCounterBits;
      memcpy(c.cb.data(), p->cb, 16);
      out.params = c;
      break;
    }
    case CKM_HKDF_DERIVE:
    case CKM_HKDF_DATA: {
      TRY_ASSIGN(p, Hkdf(m));
      out.params = std::move(p);
      break;
    }
    case CKM_SP800_108_COUNTER_KDF:
    case CKM_SP800_108_FEEDBACK_KDF: {
      TRY_ASSIGN(p, Sp800108(m));
      out.params = std::move(p);
      break;
    }
    case CKM_PKCS5_PBKD2: {
      TRY_ASSIGN(p, Pbkdf2(m));
      out.params = std::move(p);
      break;
    }
    // Asymmetric (issue 6).
    case CKM_RSA_PKCS_OAEP: {
      TRY_ASSIGN(p, As<CK_RSA_PKCS_OAEP_PARAMS>(m));
      mech::RsaOaepParams o{p->hashAlg, p->mgf, {}};
      if (p->source == CKZ_DATA_SPECIFIED) {
        TRY_ASSIGN(label, Copy(p->pSourceData, p->ulSourceDataLen));
        o.source_data = std::move(label);
      } else if (p->source != 0) {
        return Fail(Rv::kMechanismParamInvalid);
      }
      out.params = std::move(o);
      break;
    }
    case CKM_RSA_PKCS_PSS:
    case CKM_SHA1_RSA_PKCS_PSS:
    case CKM_SHA224_RSA_PKCS_PSS:
    case CKM_SHA256_RSA_PKCS_PSS:
    case CKM_SHA384_RSA_PKCS_PSS:
    case CKM_SHA512_RSA_PKCS_PSS: {
      TRY_ASSIGN(p, As<CK_RSA_PKCS_PSS_PARAMS>(m));
      out.params = mech::RsaPssParams{p->hashAlg, p->mgf, p->sLen};
      break;
    }
    case CKM_ECDH1_DERIVE:
    case CKM_ECDH1_COFACTOR_DERIVE: {
      TRY_ASSIGN(p, As<CK_ECDH1_DERIVE_PARAMS>(m));
      TRY_ASSIGN(shared, Copy(p->pSharedData, p->ulSharedDataLen));
      TRY_ASSIGN(pub, Copy(p->pPublicData, p->ulPublicDataLen));
      out.params = mech::Ecdh1DeriveParams{p->kdf, std::move(shared), std::move(pub)};
      break;
    }
    case CKM_RSA_AES_KEY_WRAP: {
      TRY_ASSIGN(p, As<CK_RSA_AES_KEY_WRAP_PARAMS>(m));
      if (p->pOAEPParams == nullptr) return Fail(Rv::kMechanismParamInvalid);
      const CK_RSA_PKCS_OAEP_PARAMS* o = p->pOAEPParams;
      mech::RsaAesKeyWrapParams w{p->ulAESKeyBits, mech::RsaOaepParams{o->hashAlg, o->mgf, {}}};
      if (o->source == CKZ_DATA_SPECIFIED) {
        TRY_ASSIGN(label, Copy(o->pSourceData, o->ulSourceDataLen));
        w.oaep.source_data = std::move(label);
      } else if (o->source != 0) {
        return Fail(Rv::kMechanismParamInvalid);
      }
      out.params = std::move(w);
      break;
    }
    case CKM_EDDSA: {
      if (none) break;
      TRY_ASSIGN(p, As<CK_EDDSA_PARAMS>(m));
      TRY_ASSIGN(ctx, Copy(p->pContextData, p->ulContextDataLen));
      out.params = mech::EddsaParams{p->phFlag != CK_FALSE, std::move(ctx)};
      break;
    }
    default: {
      // Mechanisms without a parameter structure: any parameter stays raw
      // and the registry refuses it.
      if (none) break;
      TRY_ASSIGN(b, Copy(m.pParameter, m.ulParameterLen));
      out.params = mech::RawParams{std::move(b)};
      break;
    }
  }
  return {};
}

Result<Mechanism> ToMechanism(const CK_MECHANISM* m) {
  Mechanism out;
  CRYPTOKI_TRY(ToMechanismInto(m, out));
  return out;
}

void ReleaseUnreused(Mechanism& m) {
  if (InPlace(m.type) == nullptr) m.params = std::monostate{};
}

void CopyDerivedHandles(const CK_MECHANISM* m, const Mechanism& converted) {
  const auto* s = std::get_if<mech::Sp800108Params>(&converted.params);
  if (m == nullptr || s == nullptr || m->pParameter == nullptr) return;
  const CK_DERIVED_KEY* keys = nullptr;
  CK_ULONG n = 0;
  if (m->mechanism == CKM_SP800_108_FEEDBACK_KDF) {
    const auto* p = static_cast<const CK_SP800_108_FEEDBACK_KDF_PARAMS*>(m->pParameter);
    keys = p->pAdditionalDerivedKeys, n = p->ulAdditionalDerivedKeys;
  } else {
    const auto* p = static_cast<const CK_SP800_108_KDF_PARAMS*>(m->pParameter);
    keys = p->pAdditionalDerivedKeys, n = p->ulAdditionalDerivedKeys;
  }
  for (CK_ULONG i = 0; i < n && i < s->additional_keys.size(); ++i) {
    if (keys[i].phKey != nullptr) *keys[i].phKey = s->additional_keys[i].handle->value();
  }
}

}  // namespace cryptoki
