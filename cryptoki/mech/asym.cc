#include "cryptoki/mech/asym.h"

#include <openssl/bytestring.h>
#include <openssl/ec_key.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/obj.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include <algorithm>

#include "cryptoki/mech/ec.h"
#include "cryptoki/session.h"

namespace cryptoki::mech {

const EVP_MD* MgfDigestOf(CK_ULONG mgf) {
  switch (mgf) {
    case CKG_MGF1_SHA1:
      return EVP_sha1();
    case CKG_MGF1_SHA224:
      return EVP_sha224();
    case CKG_MGF1_SHA256:
      return EVP_sha256();
    case CKG_MGF1_SHA384:
      return EVP_sha384();
    case CKG_MGF1_SHA512:
      return EVP_sha512();
    default:
      return nullptr;
  }
}

Bytes BnBytes(const BIGNUM* bn, size_t len) {
  const size_t n = std::max(len, static_cast<size_t>(BN_num_bytes(bn)));
  Bytes out(n);
  if (!BN_bn2bin_padded(out.data(), out.size(), bn)) return {};
  return out;
}

SecretBytes BnSecretBytes(const BIGNUM* bn, size_t len) {
  const size_t n = std::max(len, static_cast<size_t>(BN_num_bytes(bn)));
  SecretBytes out(n);
  if (!BN_bn2bin_padded(out.data(), out.size(), bn)) return {};
  return out;
}

bssl::UniquePtr<BIGNUM> NewBn(ByteView b) {
  return bssl::UniquePtr<BIGNUM>(BN_bin2bn(b.data(), b.size(), nullptr));
}

Bytes Spki(const EVP_PKEY* pkey) {
  bssl::ScopedCBB cbb;
  uint8_t* der = nullptr;
  size_t len = 0;
  if (!CBB_init(cbb.get(), 0) || !EVP_marshal_public_key(cbb.get(), pkey) ||
      !CBB_finish(cbb.get(), &der, &len)) {
    return {};
  }
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

ByteView AttrValue(const Object& o, AttributeType type) {
  const Attribute* a = o.Find(type);
  return a ? a->value() : ByteView();
}

SignVerifyOp::SignVerifyOp(const EVP_MD* md, size_t signature_len)
    : md_(md), signature_len_(signature_len) {
  if (md_ != nullptr) EVP_DigestInit_ex(ctx_.get(), md_, nullptr);
}

Result<> SignVerifyOp::Absorb(ByteView in) {
  if (md_ != nullptr) {
    if (!EVP_DigestUpdate(ctx_.get(), in.data(), in.size())) return Fail(Rv::kFunctionFailed);
  } else {
    buffer_.insert(buffer_.end(), in.begin(), in.end());
  }
  return {};
}

Result<SecretBytes> SignVerifyOp::Input(ByteView one_shot, bool multipart) {
  if (!multipart) CRYPTOKI_TRY(Absorb(one_shot));
  if (md_ == nullptr) return std::move(buffer_);
  SecretBytes digest(EVP_MD_size(md_));
  unsigned len = 0;
  if (!EVP_DigestFinal_ex(ctx_.get(), digest.data(), &len)) return Fail(Rv::kFunctionFailed);
  digest.resize(len);
  return digest;
}

Result<> SignVerifyOp::Update(ByteView in, Output&) { return Absorb(in); }

Result<> SignVerifyOp::Final(Output& out) {
  CRYPTOKI_TRY(out.Fits(signature_len_));
  if (!out.Ready()) return {};
  auto input = Input({}, true);
  if (!input) return Fail(input.error());
  return Sign(*input, out.buffer.first(signature_len_));
}

Result<> SignVerifyOp::OneShot(ByteView in, Output& out) {
  CRYPTOKI_TRY(out.Fits(signature_len_));
  if (!out.Ready()) return {};
  auto input = Input(in, false);
  if (!input) return Fail(input.error());
  return Sign(*input, out.buffer.first(signature_len_));
}

Result<> SignVerifyOp::VerifyFinal(ByteView signature) {
  if (signature.size() != signature_len_) return Fail(Rv::kSignatureLenRange);
  auto input = Input({}, true);
  if (!input) return Fail(input.error());
  return Verify(*input, signature);
}

Result<> SignVerifyOp::VerifyOneShot(ByteView data, ByteView signature) {
  if (signature.size() != signature_len_) return Fail(Rv::kSignatureLenRange);
  auto input = Input(data, false);
  if (!input) return Fail(input.error());
  return Verify(*input, signature);
}

Template WithClassAndType(const Template& tmpl, CK_OBJECT_CLASS cls, CK_KEY_TYPE key_type) {
  Template t = tmpl;
  t.Add(Attribute::Ulong(CKA_CLASS, cls));
  t.Add(Attribute::Ulong(CKA_KEY_TYPE, key_type));
  return t;
}

Result<std::pair<ObjectHandle, ObjectHandle>> StoreKeyPair(
    Session& session, CK_MECHANISM_TYPE mechanism, const Template& pub_tmpl,
    const Template& priv_tmpl, Template pub_gen, Template priv_gen, ByteView id_source) {
  const Attribute* pub_id = pub_tmpl.Find(CKA_ID);
  const Attribute* priv_id = priv_tmpl.Find(CKA_ID);
  if (pub_id == nullptr && priv_id != nullptr) {
    pub_gen.Add(*priv_id);
  } else if (priv_id == nullptr && pub_id != nullptr) {
    priv_gen.Add(*pub_id);
  } else if (pub_id == nullptr && priv_id == nullptr && !id_source.empty()) {
    uint8_t id[SHA_DIGEST_LENGTH];
    SHA1(id_source.data(), id_source.size(), id);
    pub_gen.Add(Attribute(CKA_ID, ByteView(id, sizeof id)));
    priv_gen.Add(Attribute(CKA_ID, ByteView(id, sizeof id)));
  }
  BuildContext ctx;
  ctx.op = ObjectOp::kGenerate;
  ctx.is_so = session.IsSo();
  ctx.mechanism = mechanism;
  auto pub = BuildAttributes(pub_tmpl, ctx, pub_gen);
  if (!pub) return Fail(pub.error());
  auto priv = BuildAttributes(priv_tmpl, ctx, priv_gen);
  if (!priv) return Fail(priv.error());
  auto pub_h = session.CreateBuiltObject(std::move(*pub));
  if (!pub_h) return Fail(pub_h.error());
  auto priv_h = session.CreateBuiltObject(std::move(*priv));
  if (!priv_h) {
    (void)session.DestroyObject(*pub_h);
    return Fail(priv_h.error());
  }
  return std::make_pair(*pub_h, *priv_h);
}

// --- Curves ---------------------------------------------------------------

Result<int> CurveParam(const Attribute* ec_params, std::initializer_list<int> allowed) {
  if (ec_params == nullptr) return Fail(Rv::kTemplateIncomplete);
  auto nid = CurveOf(ec_params->value());
  if (!nid) return Fail(nid.error());
  if (std::find(allowed.begin(), allowed.end(), *nid) == allowed.end()) {
    return Fail(Rv::kCurveNotSupported);
  }
  return *nid;
}

namespace {

Bytes RawCurveSpki(int nid, const uint8_t public_key[32]) {
  if (nid == NID_ED25519 || nid == NID_X25519) {
    // RFC 8410 §4: SEQUENCE { SEQUENCE { OID 1.3.101.112 or .110 }, BIT
    // STRING { no unused bits, the key } }, written out (an EVP_PKEY and its
    // marshalling cost a tenth of an Ed25519 key generation).
    Bytes out = {0x30, 0x2a, 0x30,
                 0x05, 0x06, 0x03,
                 0x2b, 0x65, static_cast<uint8_t>(nid == NID_ED25519 ? 0x70 : 0x6e),
                 0x03, 0x21, 0x00};
    out.insert(out.end(), public_key, public_key + 32);
    return out;
  }
  bssl::UniquePtr<EVP_PKEY> pkey(EVP_PKEY_new_raw_public_key(nid, nullptr, public_key, 32));
  return pkey ? Spki(pkey.get()) : Bytes();
}

// RawCurvePublicParts returns CKA_EC_PARAMS (the OID) and CKA_EC_POINT (DER)
// of a 32-byte public key on |nid|.
Template RawCurvePublicParts(int nid, const uint8_t public_key[32]) {
  return Template{Attribute(CKA_EC_PARAMS, ByteView(CurveOid(nid))),
                  Attribute(CKA_EC_POINT, ByteView(DerOctetString(ByteView(public_key, 32))))};
}

}  // namespace

Result<std::shared_ptr<RawCurveKey>> ParseRawCurveKey(const Object& o, CK_KEY_TYPE key_type,
                                                      int nid,
                                                      void (*expand)(const uint8_t value[32],
                                                                     RawCurveKey& key)) {
  if (o.key_type() != key_type) return Fail(Rv::kKeyTypeInconsistent);
  CRYPTOKI_TRY(CurveParam(o.Find(CKA_EC_PARAMS), {nid}));
  auto key = std::make_shared<RawCurveKey>();
  if (o.object_class() == CKO_PRIVATE_KEY) {
    const Attribute* value = o.Find(CKA_VALUE);
    if (value == nullptr) return Fail(Rv::kTemplateIncomplete);
    if (value->value().size() != 32) return Fail(Rv::kAttributeValueInvalid);
    expand(value->value().data(), *key);
  } else if (o.object_class() == CKO_PUBLIC_KEY) {
    const Attribute* point = o.Find(CKA_EC_POINT);
    if (point == nullptr) return Fail(Rv::kTemplateIncomplete);
    auto octets = PointOctets(point->value(), [](ByteView b) { return b.size() == 32; });
    if (!octets) return Fail(octets.error());
    memcpy(key->public_key, octets->data(), 32);
  } else {
    return Fail(Rv::kKeyTypeInconsistent);
  }
  return key;
}

Result<ImportedKey> ImportRawCurveKey(const Object& o, CK_KEY_TYPE key_type, int nid,
                                      void (*expand)(const uint8_t value[32], RawCurveKey& key)) {
  auto key = ParseRawCurveKey(o, key_type, nid, expand);
  if (!key) return Fail(key.error());
  ImportedKey out;
  out.public_parts = RawCurvePublicParts(nid, (*key)->public_key);
  out.spki = RawCurveSpki(nid, (*key)->public_key);
  if (o.object_class() == CKO_PUBLIC_KEY) out.computed.Add(*out.public_parts.Find(CKA_EC_POINT));
  out.cache = std::move(*key);
  return out;
}

Result<std::pair<ObjectHandle, ObjectHandle>> StoreRawCurveKeyPair(
    Session& s, CK_MECHANISM_TYPE mechanism, const Template& public_tmpl,
    const Template& private_tmpl, CK_KEY_TYPE key_type, int nid, const uint8_t public_key[32],
    SecretBytes value) {
  const Attribute spki(CKA_PUBLIC_KEY_INFO, ByteView(RawCurveSpki(nid, public_key)));
  Template pub_gen = RawCurvePublicParts(nid, public_key);
  pub_gen.Add(spki);
  Template priv_gen{*pub_gen.Find(CKA_EC_PARAMS), Attribute(CKA_VALUE, std::move(value)), spki};
  return StoreKeyPair(s, mechanism, WithClassAndType(public_tmpl, CKO_PUBLIC_KEY, key_type),
                      WithClassAndType(private_tmpl, CKO_PRIVATE_KEY, key_type), std::move(pub_gen),
                      std::move(priv_gen), ByteView(public_key, 32));
}

// --- Key objects made by C_CreateObject -----------------------------------

Rv KeyErrorAtUse(Rv parse_error) {
  switch (parse_error) {
    case Rv::kTemplateIncomplete:
    case Rv::kAttributeValueInvalid:
    case Rv::kDomainParamsInvalid:
      return Rv::kFunctionFailed;
    default:
      return parse_error;
  }
}

Result<Template> SpkiPublicParts(CK_KEY_TYPE key_type, ByteView spki) {
  CBS cbs, seq, alg, oid;
  CBS_init(&cbs, spki.data(), spki.size());
  if (!CBS_get_asn1(&cbs, &seq, CBS_ASN1_SEQUENCE) || CBS_len(&cbs) != 0 ||
      !CBS_get_asn1(&seq, &alg, CBS_ASN1_SEQUENCE) || !CBS_get_asn1(&alg, &oid, CBS_ASN1_OBJECT)) {
    return Fail(Rv::kAttributeValueInvalid);
  }
  CK_KEY_TYPE algorithm;
  switch (OBJ_cbs2nid(&oid)) {
    case NID_rsaEncryption:
      algorithm = CKK_RSA;
      break;
    case NID_X9_62_id_ecPublicKey:
      algorithm = CKK_EC;
      break;
    case NID_ED25519:
      algorithm = CKK_EC_EDWARDS;
      break;
    case NID_X25519:
      algorithm = CKK_EC_MONTGOMERY;
      break;
    case NID_dhKeyAgreement:
      algorithm = CKK_DH;
      break;
    default:
      return Fail(Rv::kTemplateInconsistent);
  }
  if (algorithm != key_type) return Fail(Rv::kTemplateInconsistent);
  if (key_type == CKK_DH) return DhSpkiParts(spki);
  if (key_type == CKK_EC) {
    // The curve, as CKA_EC_PARAMS would name it: one the token lacks is
    // kCurveNotSupported rather than a parse failure.
    CBS params;
    if (!CBS_get_any_asn1_element(&alg, &params, nullptr, nullptr)) {
      return Fail(Rv::kAttributeValueInvalid);
    }
    const Attribute curve(CKA_EC_PARAMS, ByteView(CBS_data(&params), CBS_len(&params)));
    auto nid =
        CurveParam(&curve, {NID_secp224r1, NID_X9_62_prime256v1, NID_secp384r1, NID_secp521r1});
    if (!nid) return Fail(nid.error());
  }
  CBS_init(&cbs, spki.data(), spki.size());
  bssl::UniquePtr<EVP_PKEY> pkey(EVP_parse_public_key(&cbs));
  if (!pkey || CBS_len(&cbs) != 0) return Fail(Rv::kAttributeValueInvalid);
  switch (key_type) {
    case CKK_RSA: {
      const RSA* rsa = EVP_PKEY_get0_RSA(pkey.get());
      return Template{Attribute(CKA_MODULUS, ByteView(BnBytes(RSA_get0_n(rsa)))),
                      Attribute(CKA_PUBLIC_EXPONENT, ByteView(BnBytes(RSA_get0_e(rsa))))};
    }
    case CKK_EC:
      return EcPublicParts(EVP_PKEY_get0_EC_KEY(pkey.get()));
    default: {
      uint8_t pub[32];
      size_t len = sizeof pub;
      if (!EVP_PKEY_get_raw_public_key(pkey.get(), pub, &len) || len != sizeof pub) {
        return Fail(Rv::kAttributeValueInvalid);
      }
      return RawCurvePublicParts(EVP_PKEY_id(pkey.get()), pub);
    }
  }
}

Result<KeyImport> ImportKey(CK_OBJECT_CLASS cls, CK_KEY_TYPE key_type,
                            const std::vector<Attribute>& attrs) {
  Result<ImportedKey> (*import)(const Object&) = nullptr;
  switch (key_type) {
    case CKK_RSA:
      import = ImportRsaKey;
      break;
    case CKK_EC:
      import = ImportEcKey;
      break;
    case CKK_EC_EDWARDS:
      import = ImportEd25519Key;
      break;
    case CKK_EC_MONTGOMERY:
      import = ImportX25519Key;
      break;
    case CKK_DH:
      import = ImportDhKey;
      break;
    default:
      return KeyImport{};
  }
  KeyImport out;
  std::vector<Attribute> full = attrs;
  const auto given = std::find_if(attrs.begin(), attrs.end(), [](const Attribute& a) {
    return a.type() == CKA_PUBLIC_KEY_INFO && !a.value().empty();
  });
  Template claimed;
  if (given != attrs.end()) {
    auto parts = SpkiPublicParts(key_type, given->value());
    if (!parts) return Fail(parts.error());
    claimed = std::move(*parts);
    if (cls == CKO_PUBLIC_KEY) {
      // A public key given by its SubjectPublicKeyInfo: the parts it lacks
      // come from there.
      for (const Attribute& part : claimed) {
        const bool present = std::any_of(
            full.begin(), full.end(), [&](const Attribute& a) { return a.type() == part.type(); });
        if (present) continue;
        full.push_back(part);
        out.computed.Add(part);
      }
    }
  }
  auto key = import(Object(0, std::move(full), 0));
  if (!key) return Fail(key.error());
  for (const Attribute& part : claimed) {
    const Attribute* mine = key->public_parts.Find(part.type());
    if (mine == nullptr || !(*mine == part)) {
      return Fail(cls == CKO_PUBLIC_KEY ? Rv::kTemplateInconsistent : Rv::kAttributeValueInvalid);
    }
  }
  for (const Attribute& a : key->computed) out.computed.Add(a);
  out.computed.Add(Attribute(CKA_PUBLIC_KEY_INFO, ByteView(key->spki)));
  out.cache = std::move(key->cache);
  return out;
}

namespace {
// C_CreateObject checks key objects through the mechanism layer.
[[maybe_unused]] const bool kImporterInstalled = [] {
  SetKeyImporter(&ImportKey);
  return true;
}();
}  // namespace

}  // namespace cryptoki::mech
