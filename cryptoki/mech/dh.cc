// dh.cc: the DH family (PKCS #3): key pairs on caller-given parameters or,
// when the public template names none, the RFC 7919 group ffdhe2048
// (CKM_DH_PKCS_KEY_PAIR_GEN), and derivation (CKM_DH_PKCS_DERIVE, the peer's
// public value as the parameter).
#include <openssl/bn.h>
#include <openssl/bytestring.h>
#include <openssl/dh.h>
#include <openssl/mem.h>

#include "cryptoki/mech/asym.h"
#include "cryptoki/mech/registry.h"
#include "cryptoki/session.h"

namespace cryptoki::mech {
namespace {

constexpr size_t kMinBits = 1024;
constexpr size_t kMaxBits = 8192;

// DhSpki returns the SubjectPublicKeyInfo of a PKCS #3 key
// (dhKeyAgreement, parameters SEQUENCE { p, g }), as OpenSSL writes it.
Bytes DhSpki(const BIGNUM* p, const BIGNUM* g, const BIGNUM* y) {
  static const uint8_t kDhKeyAgreement[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x03, 0x01};
  bssl::ScopedCBB cbb;
  CBB spki, alg, oid, params, bits, key;
  uint8_t* der = nullptr;
  size_t len = 0;
  if (!CBB_init(cbb.get(), 0) || !CBB_add_asn1(cbb.get(), &spki, CBS_ASN1_SEQUENCE) ||
      !CBB_add_asn1(&spki, &alg, CBS_ASN1_SEQUENCE) || !CBB_add_asn1(&alg, &oid, CBS_ASN1_OBJECT) ||
      !CBB_add_bytes(&oid, kDhKeyAgreement, sizeof kDhKeyAgreement) ||
      !CBB_add_asn1(&alg, &params, CBS_ASN1_SEQUENCE) || !BN_marshal_asn1(&params, p) ||
      !BN_marshal_asn1(&params, g) || !CBB_add_asn1(&spki, &bits, CBS_ASN1_BITSTRING) ||
      !CBB_add_u8(&bits, 0) || !CBB_add_asn1(&bits, &key, CBS_ASN1_INTEGER) ||
      !BN_marshal_asn1(&bits, y) || !CBB_finish(cbb.get(), &der, &len)) {
    return {};
  }
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

Result<bssl::UniquePtr<DH>> NewDh(ByteView prime, ByteView base) {
  bssl::UniquePtr<DH> dh(DH_new());
  bssl::UniquePtr<BIGNUM> p = NewBn(prime), g = NewBn(base);
  if (!dh || !p || !g) return Fail(Rv::kHostMemory);
  const size_t bits = BN_num_bits(p.get());
  if (bits < kMinBits || bits > kMaxBits) return Fail(Rv::kKeySizeRange);
  if (!BN_is_odd(p.get()) || BN_cmp_word(g.get(), 1) <= 0 || BN_cmp(g.get(), p.get()) >= 0) {
    return Fail(Rv::kDomainParamsInvalid);
  }
  if (!DH_set0_pqg(dh.get(), p.get(), nullptr, g.get())) return Fail(Rv::kHostMemory);
  p.release();
  g.release();
  return dh;
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
  auto dh = NewDh(AttrValue(*base, CKA_PRIME), AttrValue(*base, CKA_BASE));
  if (!dh) return Fail(dh.error());
  bssl::UniquePtr<BIGNUM> x = NewBn(AttrValue(*base, CKA_VALUE));
  if (!x || BN_is_zero(x.get()) || !DH_set0_key(dh->get(), nullptr, x.get())) {
    return Fail(Rv::kFunctionFailed);
  }
  x.release();
  bssl::UniquePtr<BIGNUM> peer = NewBn(peer_bytes->bytes);
  int flags = 0;
  if (!peer || !DH_check_pub_key(dh->get(), peer.get(), &flags) || flags != 0) {
    return Fail(Rv::kMechanismParamInvalid);
  }
  SecretBytes z(DH_size(dh->get()));
  if (DH_compute_key_padded(z.data(), peer.get(), dh->get()) != static_cast<int>(z.size())) {
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

std::span<const MechanismEntry> DhMechanisms() { return kEntries; }

}  // namespace cryptoki::mech
