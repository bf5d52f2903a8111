// dh.cc: the DH family (PKCS #3): key pairs on caller-given parameters or,
// when the public template names none, the RFC 7919 group ffdhe2048
// (CKM_DH_PKCS_KEY_PAIR_GEN), and derivation (CKM_DH_PKCS_DERIVE, the peer's
// public value as the parameter).
//
// The private value's length. The private template's CKA_VALUE_BITS sets it
// (kMinValueBits or more, shorter than p). Without it the length is
// DefaultValueBits(p), the short exponent the group's security allows:
//   - the RFC 7919 groups ffdhe2048/3072/4096/6144/8192 (recognised by p):
//     225/275/325/375/400 bits, the secret key sizes RFC 7919 Appendix A
//     gives each group for short exponents (section 5.2). Each is at least
//     twice the group's security strength in NIST SP 800-56A Rev. 3
//     (Appendix D: 112/128/152/176/200), the least 5.6.1.1.4 allows (a
//     private key below 2^N with N >= 2s);
//   - any other p: twice the security strength of |p| bits in NIST SP 800-57
//     Part 1 Rev. 5 Table 2 (<= 1024: 80, <= 2048: 112, <= 3072: 128,
//     <= 7680: 192, larger: 256; a size between two rows takes the larger
//     strength), so 2048 bits → 224, 3072 → 256, 4096 → 384;
// never under kMinValueBits and never |p| bits or more. The value is drawn
// as PKCS #3 defines the length l: 2^(l-1) <= x < 2^l (BoringSSL's
// DH_generate_key with DH_set_length, BN_RAND_TOP_ONE), so the key's
// CKA_VALUE_BITS (computed from CKA_VALUE) is exactly the length chosen.
// (PKCS #11 3.0 Current Mechanisms, "PKCS #3 Diffie-Hellman key pair
// generation": the mechanism contributes CKA_VALUE_BITS unless the template
// gives it.) BoringSSL would draw x below q, full length and ignoring
// DH_set_length, if the DH had a q; a CKK_DH key is p and g only (the
// subprime belongs to CKK_X9_42_DH keys), so the DH built here has none.
#include <openssl/bn.h>
#include <openssl/bytestring.h>
#include <openssl/dh.h>
#include <openssl/mem.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "cryptoki/mech/asym.h"
#include "cryptoki/mech/registry.h"
#include "cryptoki/session.h"

namespace cryptoki::mech {
namespace {

constexpr size_t kMinBits = 1024;
constexpr size_t kMaxBits = 8192;
// The shortest private value CKA_VALUE_BITS may ask for.
constexpr size_t kMinValueBits = 160;

const uint8_t kDhKeyAgreement[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x03, 0x01};

// DhSpki returns the SubjectPublicKeyInfo of a PKCS #3 key
// (dhKeyAgreement, parameters SEQUENCE { p, g }), as OpenSSL writes it.
Bytes DhSpki(const BIGNUM* p, const BIGNUM* g, const BIGNUM* y) {
  bssl::ScopedCBB cbb;
  CBB spki, alg, oid, params, bits;
  uint8_t* der = nullptr;
  size_t len = 0;
  if (!CBB_init(cbb.get(), 0) || !CBB_add_asn1(cbb.get(), &spki, CBS_ASN1_SEQUENCE) ||
      !CBB_add_asn1(&spki, &alg, CBS_ASN1_SEQUENCE) || !CBB_add_asn1(&alg, &oid, CBS_ASN1_OBJECT) ||
      !CBB_add_bytes(&oid, kDhKeyAgreement, sizeof kDhKeyAgreement) ||
      !CBB_add_asn1(&alg, &params, CBS_ASN1_SEQUENCE) || !BN_marshal_asn1(&params, p) ||
      !BN_marshal_asn1(&params, g) || !CBB_add_asn1(&spki, &bits, CBS_ASN1_BITSTRING) ||
      !CBB_add_u8(&bits, 0) || !BN_marshal_asn1(&bits, y) || !CBB_finish(cbb.get(), &der, &len)) {
    return {};
  }
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

// NewDh returns a DH on |prime| and |base|: kDomainParamsInvalid unless p is
// odd, at most 16384 bits, and 1 < g < p. CheckSize checks the bits we use.
Result<bssl::UniquePtr<DH>> NewDh(ByteView prime, ByteView base) {
  bssl::UniquePtr<DH> dh(DH_new());
  bssl::UniquePtr<BIGNUM> p = NewBn(prime), g = NewBn(base);
  if (!dh || !p || !g) return Fail(Rv::kHostMemory);
  if (!BN_is_odd(p.get()) || BN_num_bits(p.get()) > 2 * kMaxBits || BN_cmp_word(g.get(), 1) <= 0 ||
      BN_cmp(g.get(), p.get()) >= 0) {
    return Fail(Rv::kDomainParamsInvalid);
  }
  if (!DH_set0_pqg(dh.get(), p.get(), nullptr, g.get())) return Fail(Rv::kHostMemory);
  p.release();
  g.release();
  return dh;
}

// CheckSize refuses a prime outside kMinBits..kMaxBits: kKeySizeRange.
Result<> CheckSize(const DH* dh) {
  const size_t bits = BN_num_bits(DH_get0_p(dh));
  if (bits < kMinBits || bits > kMaxBits) return Fail(Rv::kKeySizeRange);
  return {};
}

// DhKey is a DH key object parsed once: its group and public value, and
// for a private key the private value.
struct DhKey : KeyCache {
  bssl::UniquePtr<DH> dh;
};

// ParseDh parses a DH key object with the codes of ImportedKey (asym.h).
Result<std::shared_ptr<DhKey>> ParseDh(const Object& o) {
  if (o.key_type() != CKK_DH) return Fail(Rv::kKeyTypeInconsistent);
  const Attribute* prime = o.Find(CKA_PRIME);
  const Attribute* base = o.Find(CKA_BASE);
  const Attribute* value = o.Find(CKA_VALUE);
  if (prime == nullptr || base == nullptr || value == nullptr) {
    return Fail(Rv::kTemplateIncomplete);
  }
  auto dh = NewDh(prime->value(), base->value());
  if (!dh) return Fail(dh.error());
  bssl::UniquePtr<BIGNUM> v = NewBn(value->value());
  if (!v) return Fail(Rv::kHostMemory);
  if (o.object_class() == CKO_PUBLIC_KEY) {
    int flags = 0;
    if (!DH_check_pub_key(dh->get(), v.get(), &flags) || flags != 0 ||
        !DH_set0_key(dh->get(), v.get(), nullptr)) {
      return Fail(Rv::kAttributeValueInvalid);
    }
    v.release();
  } else if (o.object_class() == CKO_PRIVATE_KEY) {
    // 0 < x < p; DH_generate_key then computes y = g^x mod p.
    if (BN_is_zero(v.get()) || BN_cmp(v.get(), DH_get0_p(dh->get())) >= 0 ||
        !DH_set0_key(dh->get(), nullptr, v.get())) {
      return Fail(Rv::kAttributeValueInvalid);
    }
    v.release();
    if (!DH_generate_key(dh->get())) return Fail(Rv::kAttributeValueInvalid);
  } else {
    return Fail(Rv::kKeyTypeInconsistent);
  }
  auto key = std::make_shared<DhKey>();
  key->dh = std::move(*dh);
  return key;
}

Result<std::shared_ptr<const DhKey>> GetDhKey(const Object& o) {
  auto k = CachedKey<DhKey>(o, [&] { return ParseDh(o); });
  if (!k) return Fail(KeyErrorAtUse(k.error()));
  return k;
}

// An RFC 7919 group: its prime's size, the SHA-256 of the prime (big-endian,
// no leading zero; sha256sum of the bytes in RFC 7919 Appendix A), and the
// short exponent Appendix A gives it.
struct Ffdhe {
  unsigned bits;
  const char* p_sha256_hex;
  unsigned value_bits;
};
constexpr Ffdhe kFfdhe[] = {
    {2048, "9cd3b7f336872f46c09428d1bbc19877a4d440512cda8d1c1cf0cd6e33698966", 225},
    {3072, "0eaf67db3a839156d5013494a5318a772b5697d270d721f37f092efc69ea5a17", 275},
    {4096, "4648414224ac881b3d0dc59b466f96d06a558278776807797ecf1f66ff397b3e", 325},
    {6144, "227ac9066b3ddd9e193670cda2388fa884f65ba0cf98b742d1fe77a6687c79c7", 375},
    {8192, "770b14efaf6f049929c523113b3fa99a8d11dab1b18af3609590122075d19833", 400},
};

// DefaultValueBits returns the private value length for |p| when the
// template gives none: the rule in the header comment.
size_t DefaultValueBits(const BIGNUM* p) {
  const unsigned p_bits = BN_num_bits(p);
  size_t bits = 0;
  for (const Ffdhe& g : kFfdhe) {
    if (g.bits != p_bits) continue;
    const Bytes prime = BnBytes(p);
    uint8_t digest[SHA256_DIGEST_LENGTH];
    SHA256(prime.data(), prime.size(), digest);
    char hex[2 * SHA256_DIGEST_LENGTH + 1];
    for (size_t i = 0; i < sizeof digest; ++i) snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    if (strcmp(hex, g.p_sha256_hex) == 0) bits = g.value_bits;
  }
  if (bits == 0) {
    // SP 800-57 Part 1 Rev. 5 Table 2: FFC (L = |p|) against security strength.
    const size_t strength = p_bits <= 1024   ? 80
                            : p_bits <= 2048 ? 112
                            : p_bits <= 3072 ? 128
                            : p_bits <= 7680 ? 192
                                             : 256;
    bits = 2 * strength;
  }
  return std::min(std::max(bits, kMinValueBits), size_t{p_bits} - 1);
}

// SetValueBits sets |dh|'s private value length: the private template's
// CKA_VALUE_BITS (kAttributeValueInvalid under kMinValueBits,
// kTemplateInconsistent unless shorter than the prime), or DefaultValueBits.
Result<> SetValueBits(const Template& private_tmpl, DH* dh) {
  const unsigned p_bits = BN_num_bits(DH_get0_p(dh));
  const Attribute* a = private_tmpl.Find(CKA_VALUE_BITS);
  if (a == nullptr) {
    DH_set_length(dh, DefaultValueBits(DH_get0_p(dh)));
    return {};
  }
  auto bits = a->AsUlong();
  if (!bits || *bits < kMinValueBits) return Fail(Rv::kAttributeValueInvalid);
  if (*bits >= p_bits) return Fail(Rv::kTemplateInconsistent);
  DH_set_length(dh, *bits);
  return {};
}

Result<std::pair<ObjectHandle, ObjectHandle>> GenerateDhKeyPair(Session& s, const Mechanism& m,
                                                                const Template& public_tmpl,
                                                                const Template& private_tmpl) {
  const Attribute* prime = public_tmpl.Find(CKA_PRIME);
  const Attribute* base = public_tmpl.Find(CKA_BASE);
  Bytes p_bytes, g_bytes;
  if (prime == nullptr && base == nullptr) {
    bssl::UniquePtr<DH> group(DH_get_rfc7919_2048());
    if (!group) return Fail(Rv::kHostMemory);
    p_bytes = BnBytes(DH_get0_p(group.get()));
    g_bytes = BnBytes(DH_get0_g(group.get()));
  } else if (prime == nullptr || base == nullptr) {
    return Fail(Rv::kTemplateIncomplete);
  } else {
    p_bytes.assign(prime->value().begin(), prime->value().end());
    g_bytes.assign(base->value().begin(), base->value().end());
  }
  auto dh = NewDh(p_bytes, g_bytes);
  if (!dh) return Fail(dh.error());
  CRYPTOKI_TRY(CheckSize(dh->get()));
  CRYPTOKI_TRY(SetValueBits(private_tmpl, dh->get()));
  if (!DH_generate_key(dh->get())) return Fail(Rv::kFunctionFailed);
  const Bytes y = BnBytes(DH_get0_pub_key(dh->get()));
  const Bytes spki = DhSpki(DH_get0_p(dh->get()), DH_get0_g(dh->get()), DH_get0_pub_key(dh->get()));
  Template pub_gen{Attribute(CKA_PRIME, ByteView(p_bytes)), Attribute(CKA_BASE, ByteView(g_bytes)),
                   Attribute(CKA_VALUE, ByteView(y)),
                   Attribute(CKA_PUBLIC_KEY_INFO, ByteView(spki))};
  Template priv_gen{Attribute(CKA_PRIME, ByteView(p_bytes)), Attribute(CKA_BASE, ByteView(g_bytes)),
                    Attribute(CKA_VALUE, BnSecretBytes(DH_get0_priv_key(dh->get()))),
                    Attribute(CKA_PUBLIC_KEY_INFO, ByteView(spki))};
  return StoreKeyPair(s, m.type, WithClassAndType(public_tmpl, CKO_PUBLIC_KEY, CKK_DH),
                      WithClassAndType(private_tmpl, CKO_PRIVATE_KEY, CKK_DH), std::move(pub_gen),
                      std::move(priv_gen), y);
}

Result<ObjectHandle> DeriveDh(Session& s, const Mechanism& m, std::shared_ptr<const Object> base,
                              const Template& tmpl) {
  const auto* peer_bytes = std::get_if<RawParams>(&m.params);
  if (peer_bytes == nullptr || peer_bytes->bytes.empty()) return Fail(Rv::kMechanismParamInvalid);
  auto key = GetDhKey(*base);
  if (!key) return Fail(key.error());
  DH* dh = (*key)->dh.get();
  CRYPTOKI_TRY(CheckSize(dh));
  if (DH_get0_priv_key(dh) == nullptr) return Fail(Rv::kKeyTypeInconsistent);
  bssl::UniquePtr<BIGNUM> peer = NewBn(peer_bytes->bytes);
  int flags = 0;
  if (!peer || !DH_check_pub_key(dh, peer.get(), &flags) || flags != 0) {
    return Fail(Rv::kMechanismParamInvalid);
  }
  SecretBytes z(DH_size(dh));
  if (DH_compute_key_padded(z.data(), peer.get(), dh) != static_cast<int>(z.size())) {
    return Fail(Rv::kMechanismParamInvalid);
  }
  return MakeDerivedSecret(s, m.type, *base, tmpl, z);
}

constexpr CK_KEY_TYPE kDh[] = {CKK_DH};

const MechanismEntry kEntries[] = {
    {.type = CKM_DH_PKCS_KEY_PAIR_GEN,
     .info = {kMinBits, kMaxBits, CKF_GENERATE_KEY_PAIR},
     .size_unit = SizeUnit::kFamily,
     .generate_pair = GenerateDhKeyPair},
    {.type = CKM_DH_PKCS_DERIVE,
     .info = {kMinBits, kMaxBits, CKF_DERIVE},
     .key_types = kDh,
     .params_ok = Takes<RawParams>,
     .size_unit = SizeUnit::kFamily,
     .derive = DeriveDh},
};

}  // namespace

Result<> DhSelfTest() {
  // Both sides of ffdhe2048 with fixed private values agree, and the
  // public values pass the group check.
  bssl::UniquePtr<DH> a(DH_get_rfc7919_2048()), b(DH_get_rfc7919_2048());
  bssl::UniquePtr<BIGNUM> xa(BN_new()), xb(BN_new());
  if (!a || !b || !xa || !xb || !BN_set_word(xa.get(), 0x12345678) ||
      !BN_set_word(xb.get(), 0x9abcdef1) || !DH_set0_key(a.get(), nullptr, xa.release()) ||
      !DH_set0_key(b.get(), nullptr, xb.release()) || !DH_generate_key(a.get()) ||
      !DH_generate_key(b.get())) {
    return Fail(Rv::kGeneralError);
  }
  std::vector<uint8_t> za(DH_size(a.get())), zb(DH_size(b.get()));
  int flags = 0;
  if (!DH_check_pub_key(a.get(), DH_get0_pub_key(b.get()), &flags) || flags != 0 ||
      DH_compute_key_padded(za.data(), DH_get0_pub_key(b.get()), a.get()) != 256 ||
      DH_compute_key_padded(zb.data(), DH_get0_pub_key(a.get()), b.get()) != 256 || za != zb) {
    return Fail(Rv::kGeneralError);
  }
  return {};
}

Result<ImportedKey> ImportDhKey(const Object& o) {
  auto key = ParseDh(o);
  if (!key) return Fail(key.error());
  const DH* dh = (*key)->dh.get();
  ImportedKey out;
  out.public_parts = Template{Attribute(CKA_PRIME, ByteView(BnBytes(DH_get0_p(dh)))),
                              Attribute(CKA_BASE, ByteView(BnBytes(DH_get0_g(dh)))),
                              Attribute(CKA_VALUE, ByteView(BnBytes(DH_get0_pub_key(dh))))};
  out.spki = DhSpki(DH_get0_p(dh), DH_get0_g(dh), DH_get0_pub_key(dh));
  out.cache = std::move(*key);
  return out;
}

Result<Template> DhSpkiParts(ByteView spki) {
  CBS cbs, seq, alg, oid, params, bits;
  CBS_init(&cbs, spki.data(), spki.size());
  uint8_t unused_bits = 1;
  bssl::UniquePtr<BIGNUM> p(BN_new()), g(BN_new()), y(BN_new());
  if (!p || !g || !y) return Fail(Rv::kHostMemory);
  // SEQUENCE { SEQUENCE { dhKeyAgreement, SEQUENCE { p, g [, l] } },
  //            BIT STRING { INTEGER y } }
  if (!CBS_get_asn1(&cbs, &seq, CBS_ASN1_SEQUENCE) || CBS_len(&cbs) != 0 ||
      !CBS_get_asn1(&seq, &alg, CBS_ASN1_SEQUENCE) || !CBS_get_asn1(&alg, &oid, CBS_ASN1_OBJECT) ||
      !CBS_mem_equal(&oid, kDhKeyAgreement, sizeof kDhKeyAgreement) ||
      !CBS_get_asn1(&alg, &params, CBS_ASN1_SEQUENCE) || CBS_len(&alg) != 0 ||
      !BN_parse_asn1_unsigned(&params, p.get()) || !BN_parse_asn1_unsigned(&params, g.get()) ||
      !CBS_get_asn1(&seq, &bits, CBS_ASN1_BITSTRING) || CBS_len(&seq) != 0 ||
      !CBS_get_u8(&bits, &unused_bits) || unused_bits != 0 ||
      !BN_parse_asn1_unsigned(&bits, y.get()) || CBS_len(&bits) != 0) {
    return Fail(Rv::kAttributeValueInvalid);
  }
  // The optional privateValueLength says nothing of the public key.
  if (CBS_len(&params) != 0) {
    uint64_t length;
    if (!CBS_get_asn1_uint64(&params, &length) || CBS_len(&params) != 0) {
      return Fail(Rv::kAttributeValueInvalid);
    }
  }
  return Template{Attribute(CKA_PRIME, ByteView(BnBytes(p.get()))),
                  Attribute(CKA_BASE, ByteView(BnBytes(g.get()))),
                  Attribute(CKA_VALUE, ByteView(BnBytes(y.get())))};
}

std::span<const MechanismEntry> DhMechanisms() { return kEntries; }

}  // namespace cryptoki::mech
