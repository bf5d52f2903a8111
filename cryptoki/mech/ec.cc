// ec.cc: the EC family on P-224, P-256, P-384 and P-521: key-pair
// generation, ECDSA (raw and hashed, r || s signatures) and ECDH1 derivation
// (also for Montgomery keys, through x25519.cc), with curve parameters and
// points in every form clients send.
#include "cryptoki/mech/ec.h"

#include <openssl/bn.h>
#include <openssl/bytestring.h>
#include <openssl/ec.h>
#include <openssl/ecdh.h>
#include <openssl/ecdsa.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/obj.h>

#include <initializer_list>
#include <string_view>

#include "cryptoki/mech/asym.h"
#include "cryptoki/mech/registry.h"
#include "cryptoki/session.h"

namespace cryptoki::mech {
namespace {

struct CurveName {
  std::string_view name;
  int nid;
};
constexpr CurveName kCurveNames[] = {
    {"prime256v1", NID_X9_62_prime256v1}, {"secp256r1", NID_X9_62_prime256v1},
    {"P-256", NID_X9_62_prime256v1},      {"nistp256", NID_X9_62_prime256v1},
    {"secp384r1", NID_secp384r1},         {"P-384", NID_secp384r1},
    {"nistp384", NID_secp384r1},          {"prime384v1", NID_secp384r1},
    {"secp521r1", NID_secp521r1},         {"P-521", NID_secp521r1},
    {"nistp521", NID_secp521r1},          {"prime521v1", NID_secp521r1},
    {"secp224r1", NID_secp224r1},         {"P-224", NID_secp224r1},
    {"nistp224", NID_secp224r1},          {"prime224v1", NID_secp224r1},
    {"edwards25519", NID_ED25519},        {"Ed25519", NID_ED25519},
    {"curve25519", NID_X25519},           {"X25519", NID_X25519},
};

bool Supported(int nid) {
  switch (nid) {
    case NID_secp224r1:
    case NID_X9_62_prime256v1:
    case NID_secp384r1:
    case NID_secp521r1:
    case NID_ED25519:
    case NID_X25519:
      return true;
    default:
      return false;
  }
}

Result<int> NidOfName(std::string_view name) {
  for (const CurveName& c : kCurveNames) {
    if (c.name.size() == name.size() && strncasecmp(c.name.data(), name.data(), name.size()) == 0) {
      return c.nid;
    }
  }
  return Fail(Rv::kCurveNotSupported);
}

bool IsPrintable(ByteView b) {
  if (b.empty()) return false;
  for (uint8_t c : b)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

Result<bssl::UniquePtr<EC_KEY>> NewEcKey(int nid) {
  bssl::UniquePtr<EC_KEY> ec(EC_KEY_new_by_curve_name(nid));
  if (!ec) return Fail(Rv::kCurveNotSupported);
  return ec;
}

size_t OrderBytes(const EC_GROUP* group) { return BN_num_bytes(EC_GROUP_get0_order(group)); }

// PointBytes encodes |point| uncompressed, in one call: each call of
// EC_POINT_point2oct, even a length query, converts the point to affine
// coordinates (a field inversion).
Bytes PointBytes(const EC_GROUP* group, const EC_POINT* point) {
  Bytes out(1 + 2 * ((EC_GROUP_get_degree(group) + 7) / 8));
  out.resize(EC_POINT_point2oct(group, point, POINT_CONVERSION_UNCOMPRESSED, out.data(), out.size(),
                                nullptr));
  return out;
}

// DecodePoint parses a CKA_EC_POINT value or public data (raw or DER) on
// |group|: kAttributeValueInvalid if it is not a point of the curve (or is
// the point at infinity).
Result<bssl::UniquePtr<EC_POINT>> DecodePoint(const EC_GROUP* group, ByteView value) {
  bssl::UniquePtr<EC_POINT> point(EC_POINT_new(group));
  if (!point) return Fail(Rv::kHostMemory);
  auto valid = [&](ByteView raw) {
    return !raw.empty() && raw[0] != 0 &&
           EC_POINT_oct2point(group, point.get(), raw.data(), raw.size(), nullptr) &&
           !EC_POINT_is_at_infinity(group, point.get());
  };
  auto octets = PointOctets(value, valid);
  if (!octets) return Fail(octets.error());
  if (!EC_POINT_oct2point(group, point.get(), octets->data(), octets->size(), nullptr)) {
    return Fail(Rv::kAttributeValueInvalid);
  }
  return point;
}

constexpr std::initializer_list<int> kWeierstrass = {NID_secp224r1, NID_X9_62_prime256v1,
                                                     NID_secp384r1, NID_secp521r1};

// ParseEc parses an EC key object with the codes of ImportedKey (asym.h).
Result<std::shared_ptr<EcKey>> ParseEc(const Object& o) {
  if (o.key_type() != CKK_EC) return Fail(Rv::kKeyTypeInconsistent);
  auto nid = CurveParam(o.Find(CKA_EC_PARAMS), kWeierstrass);
  if (!nid) return Fail(nid.error());
  auto ec = NewEcKey(*nid);
  if (!ec) return Fail(ec.error());
  const EC_GROUP* group = EC_KEY_get0_group(ec->get());
  if (o.object_class() == CKO_PUBLIC_KEY) {
    const Attribute* value = o.Find(CKA_EC_POINT);
    if (value == nullptr) return Fail(Rv::kTemplateIncomplete);
    auto point = DecodePoint(group, value->value());
    if (!point) return Fail(point.error());
    if (!EC_KEY_set_public_key(ec->get(), point->get())) return Fail(Rv::kAttributeValueInvalid);
  } else if (o.object_class() == CKO_PRIVATE_KEY) {
    const Attribute* value = o.Find(CKA_VALUE);
    if (value == nullptr) return Fail(Rv::kTemplateIncomplete);
    bssl::UniquePtr<BIGNUM> d = NewBn(value->value());
    bssl::UniquePtr<EC_POINT> pub(EC_POINT_new(group));
    if (!d || !pub) return Fail(Rv::kHostMemory);
    if (BN_is_zero(d.get()) || BN_cmp(d.get(), EC_GROUP_get0_order(group)) >= 0 ||
        !EC_KEY_set_private_key(ec->get(), d.get()) ||
        !EC_POINT_mul(group, pub.get(), d.get(), nullptr, nullptr, nullptr) ||
        !EC_KEY_set_public_key(ec->get(), pub.get())) {
      return Fail(Rv::kAttributeValueInvalid);
    }
  } else {
    return Fail(Rv::kKeyTypeInconsistent);
  }
  auto key = std::make_shared<EcKey>();
  key->order_bytes = OrderBytes(group);
  key->ec = std::move(*ec);
  return key;
}

// EcSpki returns the SubjectPublicKeyInfo of the public point |point|
// (uncompressed octets) on the curve |nid|, as BoringSSL writes it (named
// curve). Built from the octets: encoding the EC_POINT again would cost a
// field inversion each time (about a third of a key generation).
Bytes EcSpki(int nid, ByteView point) {
  static constexpr uint8_t kEcPublicKey[] = {0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
  const Bytes curve = CurveOid(nid);
  bssl::ScopedCBB cbb;
  CBB spki, alg, bits;
  uint8_t* der = nullptr;
  size_t len = 0;
  if (!CBB_init(cbb.get(), 32 + point.size()) ||
      !CBB_add_asn1(cbb.get(), &spki, CBS_ASN1_SEQUENCE) ||
      !CBB_add_asn1(&spki, &alg, CBS_ASN1_SEQUENCE) ||
      !CBB_add_bytes(&alg, kEcPublicKey, sizeof kEcPublicKey) ||
      !CBB_add_bytes(&alg, curve.data(), curve.size()) ||
      !CBB_add_asn1(&spki, &bits, CBS_ASN1_BITSTRING) || !CBB_add_u8(&bits, 0) ||
      !CBB_add_bytes(&bits, point.data(), point.size()) || !CBB_finish(cbb.get(), &der, &len)) {
    return {};
  }
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

int CurveNid(const EC_KEY* ec) { return EC_GROUP_get_curve_name(EC_KEY_get0_group(ec)); }

Bytes PublicPoint(const EC_KEY* ec) {
  return PointBytes(EC_KEY_get0_group(ec), EC_KEY_get0_public_key(ec));
}

// --- ECDSA ----------------------------------------------------------------

class EcdsaOp : public SignVerifyOp {
 public:
  EcdsaOp(std::shared_ptr<const EcKey> key, const EVP_MD* md)
      : SignVerifyOp(md, 2 * key->order_bytes), ec_(std::move(key)) {}

 protected:
  Result<> Sign(ByteView input, std::span<uint8_t> out) override {
    bssl::UniquePtr<ECDSA_SIG> sig(ECDSA_do_sign(input.data(), input.size(), ec_->ec.get()));
    const size_t n = ec_->order_bytes;
    if (!sig || !BN_bn2bin_padded(out.data(), n, sig->r) ||
        !BN_bn2bin_padded(out.data() + n, n, sig->s)) {
      return Fail(Rv::kFunctionFailed);
    }
    return {};
  }

  Result<> Verify(ByteView input, ByteView signature) override {
    const size_t n = ec_->order_bytes;
    bssl::UniquePtr<ECDSA_SIG> sig(ECDSA_SIG_new());
    if (!sig || !BN_bin2bn(signature.data(), n, sig->r) ||
        !BN_bin2bn(signature.data() + n, n, sig->s)) {
      return Fail(Rv::kHostMemory);
    }
    if (!ECDSA_do_verify(input.data(), input.size(), sig.get(), ec_->ec.get())) {
      return Fail(Rv::kSignatureInvalid);
    }
    return {};
  }

 private:
  std::shared_ptr<const EcKey> ec_;
};

const EVP_MD* HashOf(CK_MECHANISM_TYPE t) {
  switch (t) {
    case CKM_ECDSA_SHA1:
      return EVP_sha1();
    case CKM_ECDSA_SHA224:
      return EVP_sha224();
    case CKM_ECDSA_SHA256:
      return EVP_sha256();
    case CKM_ECDSA_SHA384:
      return EVP_sha384();
    case CKM_ECDSA_SHA512:
      return EVP_sha512();
    default:
      return nullptr;
  }
}

Result<std::unique_ptr<Operation>> BeginEcdsa(OpKind kind, const Mechanism& m,
                                              const std::shared_ptr<const Object>& key_object) {
  if (kind != OpKind::kSign && kind != OpKind::kVerify) return Fail(Rv::kMechanismInvalid);
  auto key = GetEcKey(*key_object);
  if (!key) return Fail(key.error());
  std::unique_ptr<Operation> op = std::make_unique<EcdsaOp>(*key, HashOf(m.type));
  op->key = key_object;
  return op;
}

// --- Key-pair generation --------------------------------------------------

Result<std::pair<ObjectHandle, ObjectHandle>> GenerateEcKeyPair(Session& s, const Mechanism& m,
                                                                const Template& public_tmpl,
                                                                const Template& private_tmpl) {
  auto nid = CurveParam(public_tmpl.Find(CKA_EC_PARAMS), kWeierstrass);
  if (!nid) return Fail(nid.error());
  auto ec = NewEcKey(*nid);
  if (!ec) return Fail(ec.error());
  if (!EC_KEY_generate_key(ec->get())) return Fail(Rv::kFunctionFailed);
  // The public point is encoded once, and every attribute made from that.
  const Bytes point = PublicPoint(ec->get());
  Template priv_gen = EcPrivateKeyAttributes(ec->get(), point);
  Template pub_gen = EcPublicParts(ec->get(), point);
  pub_gen.Add(*priv_gen.Find(CKA_PUBLIC_KEY_INFO));
  return StoreKeyPair(s, m.type, WithClassAndType(public_tmpl, CKO_PUBLIC_KEY, CKK_EC),
                      WithClassAndType(private_tmpl, CKO_PRIVATE_KEY, CKK_EC), std::move(pub_gen),
                      std::move(priv_gen), point);
}

// --- ECDH -----------------------------------------------------------------

Result<ObjectHandle> DeriveEcdh(Session& s, const Mechanism& m, std::shared_ptr<const Object> base,
                                const Template& tmpl) {
  if (base->key_type() == CKK_EC_MONTGOMERY) return X25519Derive(s, m, std::move(base), tmpl);
  const auto* p = std::get_if<Ecdh1DeriveParams>(&m.params);
  if (p == nullptr) return Fail(Rv::kMechanismParamInvalid);
  auto key = GetEcKey(*base);
  if (!key) return Fail(key.error());
  const EC_GROUP* group = EC_KEY_get0_group((*key)->ec.get());
  auto peer = DecodePoint(group, p->public_data);
  if (!peer) return Fail(Rv::kMechanismParamInvalid);
  const size_t field_bytes = (EC_GROUP_get_degree(group) + 7) / 8;
  SecretBytes z(field_bytes);
  // The cofactor of every supported curve is 1: ECDH1 and its cofactor form agree.
  if (ECDH_compute_key(z.data(), z.size(), peer->get(), (*key)->ec.get(), nullptr) !=
      static_cast<int>(z.size())) {
    return Fail(Rv::kMechanismParamInvalid);
  }
  auto want = DerivedKeyLength(tmpl);
  if (!want) return Fail(want.error());
  size_t len = *want;
  if (len == 0) len = z.size();  // no length asked: as long as the secret
  if (p->kdf == CKD_NULL && len > z.size()) return Fail(Rv::kTemplateInconsistent);
  auto material = EcdhKdf(p->kdf, z, p->shared_data, len);
  if (!material) return Fail(material.error());
  return MakeDerivedSecret(s, m.type, *base, tmpl, *material, len);
}

constexpr CK_KEY_TYPE kEc[] = {CKK_EC};
constexpr CK_KEY_TYPE kEcAndMontgomery[] = {CKK_EC, CKK_EC_MONTGOMERY};
constexpr CK_FLAGS kCurveFlags = CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS;

#define CRYPTOKI_ECDSA(mech)                                                                 \
  MechanismEntry {                                                                           \
    .type = mech, .info = {224, 521, CKF_SIGN | CKF_VERIFY | kCurveFlags}, .key_types = kEc, \
    .size_unit = SizeUnit::kFamily, .begin = BeginEcdsa                                      \
  }

const MechanismEntry kEntries[] = {
    {.type = CKM_EC_KEY_PAIR_GEN,
     .info = {224, 521, CKF_GENERATE_KEY_PAIR | kCurveFlags},
     .size_unit = SizeUnit::kFamily,
     .generate_pair = GenerateEcKeyPair},
    CRYPTOKI_ECDSA(CKM_ECDSA),
    CRYPTOKI_ECDSA(CKM_ECDSA_SHA1),
    CRYPTOKI_ECDSA(CKM_ECDSA_SHA224),
    CRYPTOKI_ECDSA(CKM_ECDSA_SHA256),
    CRYPTOKI_ECDSA(CKM_ECDSA_SHA384),
    CRYPTOKI_ECDSA(CKM_ECDSA_SHA512),
    {.type = CKM_ECDH1_DERIVE,
     .info = {224, 521, CKF_DERIVE | kCurveFlags},
     .key_types = kEcAndMontgomery,
     .params_ok = Takes<Ecdh1DeriveParams>,
     .size_unit = SizeUnit::kFamily,
     .derive = DeriveEcdh},
    {.type = CKM_ECDH1_COFACTOR_DERIVE,
     .info = {224, 521, CKF_DERIVE | kCurveFlags},
     .key_types = kEc,
     .params_ok = Takes<Ecdh1DeriveParams>,
     .size_unit = SizeUnit::kFamily,
     .derive = DeriveEcdh},
};

#undef CRYPTOKI_ECDSA

// X963Kdf is ANSI X9.63 (|counter_first| false) or the NIST SP 800-56A
// concatenation KDF (true): Hash(Z || counter || info) or
// Hash(counter || Z || info), counter from 1, concatenated to |len| bytes.
SecretBytes ConcatKdf(const EVP_MD* md, ByteView z, ByteView info, size_t len, bool counter_first) {
  SecretBytes out;
  bssl::ScopedEVP_MD_CTX ctx;
  uint8_t block[EVP_MAX_MD_SIZE];
  for (uint32_t counter = 1; out.size() < len; ++counter) {
    const uint8_t c[4] = {static_cast<uint8_t>(counter >> 24), static_cast<uint8_t>(counter >> 16),
                          static_cast<uint8_t>(counter >> 8), static_cast<uint8_t>(counter)};
    unsigned n = 0;
    EVP_DigestInit_ex(ctx.get(), md, nullptr);
    if (counter_first) EVP_DigestUpdate(ctx.get(), c, 4);
    EVP_DigestUpdate(ctx.get(), z.data(), z.size());
    if (!counter_first) EVP_DigestUpdate(ctx.get(), c, 4);
    EVP_DigestUpdate(ctx.get(), info.data(), info.size());
    EVP_DigestFinal_ex(ctx.get(), block, &n);
    out.insert(out.end(), block, block + std::min<size_t>(n, len - out.size()));
  }
  OPENSSL_cleanse(block, sizeof block);
  return out;
}

// The self-test's known answer: Wycheproof ecdh_secp256r1 tcId 1.
constexpr uint8_t kKatPrivate[] = {
    0x06, 0x12, 0x46, 0x5c, 0x89, 0xa0, 0x23, 0xab, 0x17, 0x85, 0x5b, 0x0a, 0x6b, 0xce, 0xbf, 0xd3,
    0xfe, 0xbb, 0x53, 0xae, 0xf8, 0x41, 0x38, 0x64, 0x7b, 0x53, 0x52, 0xe0, 0x2c, 0x10, 0xc3, 0x46,
};
constexpr uint8_t kKatPeer[] = {
    0x04, 0x62, 0xd5, 0xbd, 0x33, 0x72, 0xaf, 0x75, 0xfe, 0x85, 0xa0, 0x40, 0x71,
    0x5d, 0x0f, 0x50, 0x24, 0x28, 0xe0, 0x70, 0x46, 0x86, 0x8b, 0x0b, 0xfd, 0xfa,
    0x61, 0xd7, 0x31, 0xaf, 0xe4, 0x4f, 0x26, 0xac, 0x33, 0x3a, 0x93, 0xa9, 0xe7,
    0x0a, 0x81, 0xcd, 0x5a, 0x95, 0xb5, 0xbf, 0x8d, 0x13, 0x99, 0x0e, 0xb7, 0x41,
    0xc8, 0xc3, 0x88, 0x72, 0xb4, 0xa0, 0x7d, 0x27, 0x5a, 0x01, 0x4e, 0x30, 0xcf,
};
constexpr uint8_t kKatShared[] = {
    0x53, 0x02, 0x0d, 0x90, 0x8b, 0x02, 0x19, 0x32, 0x8b, 0x65, 0x8b, 0x52, 0x5f, 0x26, 0x78, 0x0e,
    0x3a, 0xe1, 0x2b, 0xcd, 0x95, 0x2b, 0xb2, 0x5a, 0x93, 0xbc, 0x08, 0x95, 0xe1, 0x71, 0x42, 0x85,
};

}  // namespace

Result<> EcSelfTest() {
  bssl::UniquePtr<EC_KEY> ec(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
  if (!ec) return Fail(Rv::kGeneralError);
  const EC_GROUP* group = EC_KEY_get0_group(ec.get());
  bssl::UniquePtr<BIGNUM> d(BN_bin2bn(kKatPrivate, sizeof kKatPrivate, nullptr));
  bssl::UniquePtr<EC_POINT> peer(EC_POINT_new(group)), pub(EC_POINT_new(group));
  uint8_t z[32];
  if (!d || !peer || !pub || !EC_KEY_set_private_key(ec.get(), d.get()) ||
      !EC_POINT_mul(group, pub.get(), d.get(), nullptr, nullptr, nullptr) ||
      !EC_KEY_set_public_key(ec.get(), pub.get()) ||
      !EC_POINT_oct2point(group, peer.get(), kKatPeer, sizeof kKatPeer, nullptr) ||
      ECDH_compute_key(z, sizeof z, peer.get(), ec.get(), nullptr) != sizeof z ||
      CRYPTO_memcmp(z, kKatShared, sizeof z) != 0) {
    return Fail(Rv::kGeneralError);
  }
  // ECDSA signs with a random nonce: a pairwise check, and a changed digest fails.
  uint8_t digest[32] = {1, 2, 3};
  bssl::UniquePtr<ECDSA_SIG> sig(ECDSA_do_sign(digest, sizeof digest, ec.get()));
  if (!sig || !ECDSA_do_verify(digest, sizeof digest, sig.get(), ec.get())) {
    return Fail(Rv::kGeneralError);
  }
  digest[0] ^= 1;
  if (ECDSA_do_verify(digest, sizeof digest, sig.get(), ec.get())) return Fail(Rv::kGeneralError);
  return {};
}

Result<SecretBytes> EcdhKdf(CK_EC_KDF_TYPE kdf, ByteView z, ByteView shared_data, size_t len) {
  const EVP_MD* md = nullptr;
  bool sp800 = false;
  switch (kdf) {
    case CKD_NULL:
      if (!shared_data.empty()) return Fail(Rv::kMechanismParamInvalid);
      if (len > z.size()) return Fail(Rv::kTemplateInconsistent);
      return SecretBytes(z.begin(), z.begin() + len);
    case CKD_SHA1_KDF_SP800:
      sp800 = true;
      [[fallthrough]];
    case CKD_SHA1_KDF:
      md = EVP_sha1();
      break;
    case CKD_SHA224_KDF_SP800:
      sp800 = true;
      [[fallthrough]];
    case CKD_SHA224_KDF:
      md = EVP_sha224();
      break;
    case CKD_SHA256_KDF_SP800:
      sp800 = true;
      [[fallthrough]];
    case CKD_SHA256_KDF:
      md = EVP_sha256();
      break;
    case CKD_SHA384_KDF_SP800:
      sp800 = true;
      [[fallthrough]];
    case CKD_SHA384_KDF:
      md = EVP_sha384();
      break;
    case CKD_SHA512_KDF_SP800:
      sp800 = true;
      [[fallthrough]];
    case CKD_SHA512_KDF:
      md = EVP_sha512();
      break;
    default:
      return Fail(Rv::kMechanismParamInvalid);
  }
  return ConcatKdf(md, z, shared_data, len, sp800);
}

Result<int> CurveOf(ByteView ec_params) {
  if (ec_params.empty()) return Fail(Rv::kDomainParamsInvalid);
  CBS cbs;
  CBS_init(&cbs, ec_params.data(), ec_params.size());
  unsigned tag = 0;
  CBS contents;
  CBS copy = cbs;
  if (CBS_get_any_asn1(&copy, &contents, &tag) && CBS_len(&copy) == 0) {
    if (tag == CBS_ASN1_OBJECT) {
      const int nid = OBJ_cbs2nid(&contents);
      if (nid == NID_undef || !Supported(nid)) return Fail(Rv::kCurveNotSupported);
      return nid;
    }
    if (tag == CBS_ASN1_PRINTABLESTRING || tag == CBS_ASN1_UTF8STRING) {
      return NidOfName(
          std::string_view(reinterpret_cast<const char*>(CBS_data(&contents)), CBS_len(&contents)));
    }
    if (tag == CBS_ASN1_SEQUENCE) {
      bssl::UniquePtr<EC_GROUP> group(EC_KEY_parse_parameters(&cbs));
      if (!group || CBS_len(&cbs) != 0) return Fail(Rv::kCurveNotSupported);
      const int nid = EC_GROUP_get_curve_name(group.get());
      if (!Supported(nid)) return Fail(Rv::kCurveNotSupported);
      return nid;
    }
  }
  if (IsPrintable(ec_params)) return NidOfName(AsStringView(ec_params));
  return Fail(Rv::kDomainParamsInvalid);
}

Bytes CurveOid(int nid) {
  // The curves a key generation names, written out (OBJ_nid2cbb searches
  // BoringSSL's object table: more than the rest of the EC attributes).
  switch (nid) {
    case NID_secp224r1:
      return {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x21};
    case NID_X9_62_prime256v1:
      return {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
    case NID_secp384r1:
      return {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
    case NID_secp521r1:
      return {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23};
    case NID_ED25519:
      return {0x06, 0x03, 0x2b, 0x65, 0x70};
    case NID_X25519:
      return {0x06, 0x03, 0x2b, 0x65, 0x6e};
    default:
      break;
  }
  bssl::ScopedCBB cbb;
  uint8_t* der = nullptr;
  size_t len = 0;
  if (!CBB_init(cbb.get(), 16) || !OBJ_nid2cbb(cbb.get(), nid) ||
      !CBB_finish(cbb.get(), &der, &len)) {
    return {};
  }
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

Bytes DerOctetString(ByteView raw) {
  bssl::ScopedCBB cbb;
  CBB child;
  uint8_t* der = nullptr;
  size_t len = 0;
  if (!CBB_init(cbb.get(), raw.size() + 4) ||
      !CBB_add_asn1(cbb.get(), &child, CBS_ASN1_OCTETSTRING) ||
      !CBB_add_bytes(&child, raw.data(), raw.size()) || !CBB_finish(cbb.get(), &der, &len)) {
    return {};
  }
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

Result<Bytes> ParseDerOctetString(ByteView value) {
  CBS cbs, inner;
  CBS_init(&cbs, value.data(), value.size());
  if (!CBS_get_asn1(&cbs, &inner, CBS_ASN1_OCTETSTRING) || CBS_len(&cbs) != 0) {
    return Fail(Rv::kAttributeValueInvalid);
  }
  return Bytes(CBS_data(&inner), CBS_data(&inner) + CBS_len(&inner));
}

Result<std::shared_ptr<const EcKey>> GetEcKey(const Object& key) {
  auto k = CachedKey<EcKey>(key, [&] { return ParseEc(key); });
  if (!k) return Fail(KeyErrorAtUse(k.error()));
  return k;
}

Result<ImportedKey> ImportEcKey(const Object& o) {
  auto key = ParseEc(o);
  if (!key) return Fail(key.error());
  ImportedKey out;
  const EC_KEY* ec = (*key)->ec.get();
  const Bytes point = PublicPoint(ec);
  out.public_parts = EcPublicParts(ec, point);
  out.spki = EcSpki(CurveNid(ec), point);
  if (o.object_class() == CKO_PUBLIC_KEY) out.computed.Add(*out.public_parts.Find(CKA_EC_POINT));
  out.cache = std::move(*key);
  return out;
}

Template EcPublicParts(const EC_KEY* ec, ByteView point) {
  return Template{Attribute(CKA_EC_PARAMS, ByteView(CurveOid(CurveNid(ec)))),
                  Attribute(CKA_EC_POINT, ByteView(DerOctetString(point)))};
}
Template EcPublicParts(const EC_KEY* ec) { return EcPublicParts(ec, PublicPoint(ec)); }

Template EcPrivateKeyAttributes(const EC_KEY* ec, ByteView point) {
  Template t;
  t.Add(Attribute(CKA_EC_PARAMS, ByteView(CurveOid(CurveNid(ec)))));
  t.Add(Attribute(CKA_VALUE,
                  BnSecretBytes(EC_KEY_get0_private_key(ec), OrderBytes(EC_KEY_get0_group(ec)))));
  t.Add(Attribute(CKA_PUBLIC_KEY_INFO, ByteView(EcSpki(CurveNid(ec), point))));
  return t;
}
Template EcPrivateKeyAttributes(const EC_KEY* ec) {
  return EcPrivateKeyAttributes(ec, PublicPoint(ec));
}

std::span<const MechanismEntry> EcMechanisms() { return kEntries; }

}  // namespace cryptoki::mech
