// pkcs8.cc: private keys to and from PKCS #8, for wrapping.
#include "cryptoki/mech/pkcs8.h"

#include <openssl/bytestring.h>
#include <openssl/curve25519.h>
#include <openssl/evp.h>
#include <openssl/mem.h>
#include <openssl/nid.h>

#include "cryptoki/mech/asym.h"
#include "cryptoki/mech/ec.h"
#include "cryptoki/mech/rsa.h"
#include "cryptoki/session.h"

namespace cryptoki {
namespace {

Result<SecretBytes> Marshal(const EVP_PKEY* pkey) {
  bssl::ScopedCBB cbb;
  uint8_t* der = nullptr;
  size_t len = 0;
  if (!CBB_init(cbb.get(), 0) || !EVP_marshal_private_key(cbb.get(), pkey) ||
      !CBB_finish(cbb.get(), &der, &len)) {
    return Fail(Rv::kKeyNotWrappable);
  }
  SecretBytes out(der, der + len);
  OPENSSL_cleanse(der, len);
  OPENSSL_free(der);
  return out;
}

// RawKeyAttributes returns the attributes of an Ed25519 / X25519 key.
Template RawKeyAttributes(const EVP_PKEY* pkey, int nid) {
  SecretBytes priv(32);
  size_t priv_len = priv.size();
  uint8_t pub[32];
  size_t pub_len = sizeof pub;
  Template t;
  if (!EVP_PKEY_get_raw_private_key(pkey, priv.data(), &priv_len) ||
      !EVP_PKEY_get_raw_public_key(pkey, pub, &pub_len)) {
    return t;
  }
  t.Add(Attribute(CKA_EC_PARAMS, ByteView(mech::CurveOid(nid))));
  t.Add(Attribute(CKA_VALUE, std::move(priv)));
  t.Add(Attribute(CKA_PUBLIC_KEY_INFO, ByteView(mech::Spki(pkey))));
  return t;
}

}  // namespace

Result<SecretBytes> PrivateKeyToPkcs8(const Object& key) {
  if (key.object_class() != CKO_PRIVATE_KEY) return Fail(Rv::kKeyNotWrappable);
  switch (key.key_type()) {
    case CKK_RSA: {
      auto rsa = mech::GetRsaKey(key);
      if (!rsa) return Fail(Rv::kKeyNotWrappable);
      if (RSA_get0_p((*rsa)->rsa.get()) == nullptr) return Fail(Rv::kKeyNotWrappable);
      return Marshal((*rsa)->pkey.get());
    }
    case CKK_EC: {
      auto ec = mech::GetEcKey(key);
      if (!ec) return Fail(Rv::kKeyNotWrappable);
      bssl::UniquePtr<EVP_PKEY> pkey(EVP_PKEY_new());
      if (!pkey || !EVP_PKEY_set1_EC_KEY(pkey.get(), (*ec)->ec.get())) {
        return Fail(Rv::kHostMemory);
      }
      return Marshal(pkey.get());
    }
    case CKK_EC_EDWARDS:
    case CKK_EC_MONTGOMERY: {
      auto nid = mech::CurveOf(mech::AttrValue(key, CKA_EC_PARAMS));
      ByteView value = mech::AttrValue(key, CKA_VALUE);
      if (!nid || value.size() != 32) return Fail(Rv::kKeyNotWrappable);
      const int type = key.key_type() == CKK_EC_EDWARDS ? EVP_PKEY_ED25519 : EVP_PKEY_X25519;
      if (*nid != type) return Fail(Rv::kKeyNotWrappable);
      bssl::UniquePtr<EVP_PKEY> pkey(
          EVP_PKEY_new_raw_private_key(type, nullptr, value.data(), value.size()));
      if (!pkey) return Fail(Rv::kKeyNotWrappable);
      return Marshal(pkey.get());
    }
    default:
      return Fail(Rv::kKeyNotWrappable);
  }
}

Result<ObjectHandle> Pkcs8ToPrivateKey(Session& s, ByteView der, const Template& tmpl) {
  CBS cbs;
  CBS_init(&cbs, der.data(), der.size());
  bssl::UniquePtr<EVP_PKEY> pkey(EVP_parse_private_key(&cbs));
  if (!pkey) return Fail(Rv::kWrappedKeyInvalid);
  // Padding a caller added for a block-aligned wrap: zeros only.
  if (CBS_len(&cbs) >= 16) return Fail(Rv::kWrappedKeyInvalid);
  for (size_t i = 0; i < CBS_len(&cbs); ++i)
    if (CBS_data(&cbs)[i] != 0) return Fail(Rv::kWrappedKeyInvalid);

  CK_KEY_TYPE key_type;
  Template gen;
  switch (EVP_PKEY_id(pkey.get())) {
    case EVP_PKEY_RSA:
      key_type = CKK_RSA;
      gen = mech::RsaPrivateKeyAttributes(EVP_PKEY_get0_RSA(pkey.get()));
      break;
    case EVP_PKEY_EC: {
      key_type = CKK_EC;
      const EC_KEY* ec = EVP_PKEY_get0_EC_KEY(pkey.get());
      const int nid = EC_GROUP_get_curve_name(EC_KEY_get0_group(ec));
      if (nid != NID_secp224r1 && nid != NID_X9_62_prime256v1 && nid != NID_secp384r1 &&
          nid != NID_secp521r1) {
        return Fail(Rv::kWrappedKeyInvalid);
      }
      gen = mech::EcPrivateKeyAttributes(ec);
      break;
    }
    case EVP_PKEY_ED25519:
      key_type = CKK_EC_EDWARDS;
      gen = RawKeyAttributes(pkey.get(), NID_ED25519);
      break;
    case EVP_PKEY_X25519:
      key_type = CKK_EC_MONTGOMERY;
      gen = RawKeyAttributes(pkey.get(), NID_X25519);
      break;
    default:
      return Fail(Rv::kWrappedKeyInvalid);
  }
  if (gen.empty()) return Fail(Rv::kWrappedKeyInvalid);
  Template t = tmpl;
  if (const Attribute* kt = tmpl.Find(CKA_KEY_TYPE)) {
    if (kt->AsUlong() != key_type) return Fail(Rv::kTemplateInconsistent);
  } else {
    t.Add(Attribute::Ulong(CKA_KEY_TYPE, key_type));
  }
  BuildContext ctx;
  ctx.op = ObjectOp::kUnwrap;
  ctx.is_so = s.IsSo();
  auto attrs = BuildAttributes(t, ctx, gen);
  if (!attrs) return Fail(attrs.error());
  return s.CreateBuiltObject(std::move(*attrs));
}

}  // namespace cryptoki
