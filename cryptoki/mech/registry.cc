#include "cryptoki/mech/registry.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace cryptoki::mech {

// Weak defaults: a family not linked yet contributes no mechanisms and its
// self-test passes. Each family's file overrides these.
#define CRYPTOKI_WEAK_FAMILY(name) \
  __attribute__((weak)) std::span<const MechanismEntry> name##Mechanisms() { return {}; }
#define CRYPTOKI_WEAK_SELF_TEST(name) \
  __attribute__((weak)) Result<> name##SelfTest() { return {}; }
CRYPTOKI_WEAK_FAMILY(Digest)
CRYPTOKI_WEAK_FAMILY(Hmac)
CRYPTOKI_WEAK_FAMILY(Cmac)
CRYPTOKI_WEAK_FAMILY(Aes)
CRYPTOKI_WEAK_FAMILY(AesGcm)
CRYPTOKI_WEAK_FAMILY(ChaCha)
CRYPTOKI_WEAK_FAMILY(Des3)
CRYPTOKI_WEAK_FAMILY(Keygen)
CRYPTOKI_WEAK_FAMILY(Wrap)
CRYPTOKI_WEAK_FAMILY(Kdf)
CRYPTOKI_WEAK_FAMILY(Rsa)
CRYPTOKI_WEAK_FAMILY(Ec)
CRYPTOKI_WEAK_FAMILY(Eddsa)
CRYPTOKI_WEAK_FAMILY(X25519)
CRYPTOKI_WEAK_FAMILY(Dh)
CRYPTOKI_WEAK_SELF_TEST(Digest)
CRYPTOKI_WEAK_SELF_TEST(Hmac)
CRYPTOKI_WEAK_SELF_TEST(Cmac)
CRYPTOKI_WEAK_SELF_TEST(Aes)
CRYPTOKI_WEAK_SELF_TEST(AesGcm)
CRYPTOKI_WEAK_SELF_TEST(ChaCha)
CRYPTOKI_WEAK_SELF_TEST(Des3)
CRYPTOKI_WEAK_SELF_TEST(Kdf)
CRYPTOKI_WEAK_SELF_TEST(Wrap)
CRYPTOKI_WEAK_SELF_TEST(Rsa)
CRYPTOKI_WEAK_SELF_TEST(Ec)
CRYPTOKI_WEAK_SELF_TEST(Eddsa)
CRYPTOKI_WEAK_SELF_TEST(X25519)
CRYPTOKI_WEAK_SELF_TEST(Dh)
#undef CRYPTOKI_WEAK_FAMILY
#undef CRYPTOKI_WEAK_SELF_TEST

namespace {

using FamilyFn = std::span<const MechanismEntry> (*)();
constexpr FamilyFn kFamilies[] = {
    DigestMechanisms, HmacMechanisms, CmacMechanisms,   AesMechanisms,    AesGcmMechanisms,
    ChaChaMechanisms, Des3Mechanisms, KeygenMechanisms, WrapMechanisms,   KdfMechanisms,
    RsaMechanisms,    EcMechanisms,   EddsaMechanisms,  X25519Mechanisms, DhMechanisms,
};

struct SelfTest {
  const char* name;
  Result<> (*run)();
};
constexpr SelfTest kSelfTests[] = {
    {"digest", DigestSelfTest}, {"hmac", HmacSelfTest},      {"cmac", CmacSelfTest},
    {"aes", AesSelfTest},       {"aes-gcm", AesGcmSelfTest}, {"chacha20-poly1305", ChaChaSelfTest},
    {"des3", Des3SelfTest},     {"kdf", KdfSelfTest},        {"wrap", WrapSelfTest},
    {"rsa", RsaSelfTest},       {"ec", EcSelfTest},          {"eddsa", EddsaSelfTest},
    {"x25519", X25519SelfTest}, {"dh", DhSelfTest},
};

const std::vector<const MechanismEntry*>& Registry() {
  static const std::vector<const MechanismEntry*> all = [] {
    std::vector<const MechanismEntry*> v;
    for (FamilyFn f : kFamilies)
      for (const MechanismEntry& e : f()) v.push_back(&e);
    std::stable_sort(v.begin(), v.end(), [](const MechanismEntry* a, const MechanismEntry* b) {
      return a->type < b->type;
    });
    // A mechanism registered twice: the first family wins.
    v.erase(std::unique(v.begin(), v.end(),
                        [](const MechanismEntry* a, const MechanismEntry* b) {
                          return a->type == b->type;
                        }),
            v.end());
    return v;
  }();
  return all;
}

AttributeType FlagFor(KeyUse use) {
  switch (use) {
    case KeyUse::kEncrypt:
      return CKA_ENCRYPT;
    case KeyUse::kDecrypt:
      return CKA_DECRYPT;
    case KeyUse::kSign:
      return CKA_SIGN;
    case KeyUse::kVerify:
      return CKA_VERIFY;
    case KeyUse::kSignRecover:
      return CKA_SIGN_RECOVER;
    case KeyUse::kVerifyRecover:
      return CKA_VERIFY_RECOVER;
    case KeyUse::kWrap:
      return CKA_WRAP;
    case KeyUse::kUnwrap:
      return CKA_UNWRAP;
    case KeyUse::kDerive:
      return CKA_DERIVE;
  }
  return CKA_ENCRYPT;
}

// UsesPublicHalf says whether |use| takes the public key of a pair.
bool UsesPublicHalf(KeyUse use) {
  return use == KeyUse::kEncrypt || use == KeyUse::kVerify || use == KeyUse::kVerifyRecover ||
         use == KeyUse::kWrap;
}

}  // namespace

std::span<const MechanismEntry* const> AllMechanisms() { return Registry(); }

CK_FLAGS EffectiveFlags(const MechanismEntry& entry) {
  CK_FLAGS f = entry.info.flags;
  if (f & CKF_SIGN) f |= CKF_MESSAGE_SIGN | CKF_MULTI_MESSAGE;
  if (f & CKF_VERIFY) f |= CKF_MESSAGE_VERIFY | CKF_MULTI_MESSAGE;
  return f;
}

Result<std::unique_ptr<Operation>> RestoreOperation(OpKind kind, ByteView state,
                                                    std::shared_ptr<const Object> key) {
  if (state.empty()) return Fail(Rv::kSavedStateInvalid);
  const ByteView body = state.subspan(1);
  Result<std::unique_ptr<Operation>> op = Fail(Rv::kSavedStateInvalid);
  switch (static_cast<StateTag>(state[0])) {
    case StateTag::kDigest:
      if (kind != OpKind::kDigest || key) return Fail(Rv::kSavedStateInvalid);
      op = RestoreDigest(body);
      break;
    case StateTag::kHmac:
      if ((kind != OpKind::kSign && kind != OpKind::kVerify) || !key) break;
      op = RestoreHmac(body, key);
      break;
    case StateTag::kCmac:
      if ((kind != OpKind::kSign && kind != OpKind::kVerify) || !key) break;
      op = RestoreCmac(body, key);
      break;
    case StateTag::kAes:
      if ((kind != OpKind::kEncrypt && kind != OpKind::kDecrypt) || !key) break;
      op = RestoreAes(kind, body, key);
      break;
    case StateTag::kDes3:
      if ((kind != OpKind::kEncrypt && kind != OpKind::kDecrypt) || !key) break;
      op = RestoreDes3(kind, body, key);
      break;
  }
  if (op && key) (*op)->key = key;
  return op;
}

namespace {
// The session restores saved operations through the registry.
[[maybe_unused]] const bool kRestorerInstalled = [] {
  SetOperationRestorer(&RestoreOperation);
  return true;
}();
}  // namespace

Result<const MechanismEntry*> FindMechanism(const Config& config, CK_MECHANISM_TYPE type) {
  const auto& all = Registry();
  // Every init looks its mechanism up: a hash probe, where a binary search
  // of the sorted registry touched eight entries.
  static const auto* const by_type = [&all] {
    auto* m = new absl::flat_hash_map<CK_MECHANISM_TYPE, const MechanismEntry*>();
    for (const MechanismEntry* e : all) m->emplace(e->type, e);
    return m;
  }();
  auto it = by_type->find(type);
  if (it == by_type->end()) return Fail(Rv::kMechanismInvalid);
  if (!config.IsMechanismAllowed(type)) return Fail(Rv::kMechanismInvalid);
  return it->second;
}

Result<> CheckKey(const MechanismEntry& entry, const Object& key, KeyUse use) {
  const CK_OBJECT_CLASS cls = key.object_class();
  if (cls != CKO_SECRET_KEY && cls != CKO_PUBLIC_KEY && cls != CKO_PRIVATE_KEY) {
    return Fail(Rv::kKeyHandleInvalid);
  }
  const bool class_ok = cls == CKO_SECRET_KEY || (cls == CKO_PUBLIC_KEY && UsesPublicHalf(use)) ||
                        (cls == CKO_PRIVATE_KEY && !UsesPublicHalf(use));
  if (!class_ok) return Fail(Rv::kKeyTypeInconsistent);
  if (std::find(entry.key_types.begin(), entry.key_types.end(), key.key_type()) ==
      entry.key_types.end()) {
    return Fail(Rv::kKeyTypeInconsistent);
  }
  if (!key.Bool(FlagFor(use), false)) return Fail(Rv::kKeyFunctionNotPermitted);
  if (const Attribute* allowed = key.Find(CKA_ALLOWED_MECHANISMS)) {
    // Read in place (a CK_MECHANISM_TYPE array; empty allows every one).
    const ByteView list = allowed->value();
    bool listed = list.size() % sizeof(CK_MECHANISM_TYPE) != 0 || list.empty();
    for (size_t i = 0; !listed && i < list.size(); i += sizeof(CK_MECHANISM_TYPE)) {
      CK_MECHANISM_TYPE t;
      memcpy(&t, list.data() + i, sizeof t);
      listed = t == entry.type;
    }
    if (!listed) return Fail(Rv::kMechanismInvalid);
  }
  if (cls == CKO_SECRET_KEY && entry.size_unit != SizeUnit::kFamily) {
    size_t size = KeyValue(key).size();
    if (entry.size_unit == SizeUnit::kBits) size *= 8;
    if (size < entry.info.min_key_size || size > entry.info.max_key_size) {
      return Fail(Rv::kKeySizeRange);
    }
  }
  return {};
}

ByteView KeyValue(const Object& key) {
  const Attribute* v = key.Find(CKA_VALUE);
  return v ? v->value() : ByteView();
}

namespace {

// Class and key type: absent → the mechanism's; different → inconsistent.
Result<> CheckClassAndType(const Template& tmpl, CK_KEY_TYPE key_type) {
  if (const Attribute* c = tmpl.Find(CKA_CLASS)) {
    if (c->AsUlong() != CKO_SECRET_KEY) return Fail(Rv::kTemplateInconsistent);
  }
  if (const Attribute* t = tmpl.Find(CKA_KEY_TYPE)) {
    if (t->AsUlong() != key_type) return Fail(Rv::kTemplateInconsistent);
  }
  return {};
}

Template WithClassAndType(const Template& tmpl, CK_KEY_TYPE key_type) {
  Template full = tmpl;
  if (!tmpl.Find(CKA_CLASS)) full.Add(attr::Class{CKO_SECRET_KEY});
  if (!tmpl.Find(CKA_KEY_TYPE)) full.Add(attr::KeyType{key_type});
  return full;
}

// FixedLength returns the one length a key type allows, 0 if it varies.
size_t FixedLength(CK_KEY_TYPE kt) {
  switch (kt) {
    case CKK_DES3:
      return 24;
    case CKK_CHACHA20:
      return 32;
    default:
      return 0;
  }
}

}  // namespace

Result<ObjectHandle> GenerateSecretKey(Session& s, CK_MECHANISM_TYPE mechanism,
                                       const Template& tmpl, const SecretKeySpec& spec) {
  CRYPTOKI_TRY(CheckClassAndType(tmpl, spec.key_type));
  size_t len = spec.fixed_len;
  if (const Attribute* vl = tmpl.Find(CKA_VALUE_LEN)) {
    auto v = vl->AsUlong();
    if (!v) return Fail(Rv::kAttributeValueInvalid);
    if (spec.fixed_len != 0) {
      // DES3 has no CKA_VALUE_LEN; ChaCha20 accepts the one right value.
      if (spec.key_type == CKK_DES3) return Fail(Rv::kAttributeTypeInvalid);
      if (*v != spec.fixed_len) return Fail(Rv::kAttributeValueInvalid);
    } else {
      if (spec.aes_lengths && *v != 16 && *v != 24 && *v != 32) {
        return Fail(Rv::kAttributeValueInvalid);
      }
      if (*v < spec.min_len || *v > spec.max_len) return Fail(Rv::kKeySizeRange);
      len = *v;
    }
  } else if (spec.fixed_len == 0) {
    return Fail(Rv::kTemplateIncomplete);
  }
  SecretBytes value(len);
  RAND_bytes(value.data(), value.size());
  if (spec.key_type == CKK_DES3) {
    // Odd parity, as DES keys carry it.
    for (uint8_t& b : value) {
      b &= 0xfe;
      b |= (__builtin_popcount(b) & 1) ^ 1;
    }
  }
  BuildContext ctx{ObjectOp::kGenerate, s.IsSo(), mechanism};
  auto attrs = BuildAttributes(WithClassAndType(tmpl, spec.key_type), ctx,
                               Template{Attribute(CKA_VALUE, std::move(value))});
  if (!attrs) return Fail(attrs.error());
  return s.CreateBuiltObject(std::move(*attrs));
}

Result<size_t> DerivedKeyLength(const Template& tmpl) {
  CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
  if (const Attribute* t = tmpl.Find(CKA_KEY_TYPE)) {
    auto v = t->AsUlong();
    if (!v) return Fail(Rv::kAttributeValueInvalid);
    kt = *v;
  }
  const size_t fixed = FixedLength(kt);
  if (const Attribute* vl = tmpl.Find(CKA_VALUE_LEN)) {
    auto v = vl->AsUlong();
    if (!v || *v == 0) return Fail(Rv::kAttributeValueInvalid);
    if (kt == CKK_DES3) return Fail(Rv::kAttributeTypeInvalid);
    if (fixed != 0 && *v != fixed) return Fail(Rv::kTemplateInconsistent);
    if (kt == CKK_AES && *v != 16 && *v != 24 && *v != 32) return Fail(Rv::kTemplateInconsistent);
    return size_t{*v};
  }
  return fixed;
}

Result<ObjectHandle> MakeDerivedSecret(Session& s, CK_MECHANISM_TYPE mechanism, const Object& base,
                                       const Template& tmpl, ByteView material,
                                       size_t default_len) {
  if (const Attribute* c = tmpl.Find(CKA_CLASS)) {
    if (c->AsUlong() != CKO_SECRET_KEY) return Fail(Rv::kTemplateInconsistent);
  }
  auto want = DerivedKeyLength(tmpl);
  if (!want) return Fail(want.error());
  size_t len = *want != 0 ? *want : (default_len != 0 ? default_len : material.size());
  if (len > material.size() || len == 0) return Fail(Rv::kKeySizeRange);
  Template full = tmpl;
  if (!tmpl.Find(CKA_CLASS)) full.Add(attr::Class{CKO_SECRET_KEY});
  if (!tmpl.Find(CKA_KEY_TYPE)) full.Add(attr::KeyType{CKK_GENERIC_SECRET});
  const auto kt = full.Find(CKA_KEY_TYPE)->AsUlong().value_or(CKK_GENERIC_SECRET);
  if (kt == CKK_AES && len != 16 && len != 24 && len != 32) return Fail(Rv::kTemplateIncomplete);
  BuildContext ctx{ObjectOp::kDerive, s.IsSo(), mechanism, base.Bool(CKA_ALWAYS_SENSITIVE),
                   base.Bool(CKA_NEVER_EXTRACTABLE)};
  SecretBytes value(material.begin(), material.begin() + len);
  auto attrs = BuildAttributes(full, ctx, Template{Attribute(CKA_VALUE, std::move(value))});
  if (!attrs) return Fail(attrs.error());
  return s.CreateBuiltObject(std::move(*attrs));
}

const EVP_MD* DigestForMechanism(CK_MECHANISM_TYPE type) {
  switch (type) {
    case CKM_MD5:
      return EVP_md5();
    case CKM_SHA_1:
      return EVP_sha1();
    case CKM_SHA224:
      return EVP_sha224();
    case CKM_SHA256:
      return EVP_sha256();
    case CKM_SHA384:
      return EVP_sha384();
    case CKM_SHA512:
      return EVP_sha512();
    case CKM_SHA512_256:
      return EVP_sha512_256();
    default:
      return nullptr;
  }
}

}  // namespace cryptoki::mech

namespace cryptoki {

std::vector<CK_MECHANISM_TYPE> Mechanisms(const Config& config) {
  std::vector<CK_MECHANISM_TYPE> out;
  for (const mech::MechanismEntry* e : mech::AllMechanisms())
    if (config.IsMechanismAllowed(e->type)) out.push_back(e->type);
  return out;
}

Result<MechanismInfo> GetMechanismInfo(const Config& config, CK_MECHANISM_TYPE type) {
  auto e = mech::FindMechanism(config, type);
  if (!e) return Fail(e.error());
  MechanismInfo info = (*e)->info;
  info.flags = mech::EffectiveFlags(**e);
  return info;
}

Result<> RunSelfTests() {
  for (const mech::SelfTest& t : mech::kSelfTests) {
    if (auto r = t.run(); !r) {
      std::fprintf(stderr, "cryptoki: self-test %s failed: %s\n", t.name,
                   to_string(r.error()).c_str());
      return Fail(Rv::kGeneralError);
    }
  }
  return {};
}

}  // namespace cryptoki
