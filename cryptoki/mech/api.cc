// api.cc: the functions of mechanism.h, on top of the registry. The checks
// shared by every family (mechanism allowed and offering the function,
// parameter type, key use rules) happen here, once.
#include <algorithm>

#include "cryptoki/mech/message.h"
#include "cryptoki/mech/registry.h"
#include "cryptoki/token.h"

namespace cryptoki {
namespace {

using mech::KeyUse;
using mech::MechanismEntry;

CK_FLAGS FlagOf(OpKind kind) {
  switch (kind) {
    case OpKind::kEncrypt:
      return CKF_ENCRYPT;
    case OpKind::kDecrypt:
      return CKF_DECRYPT;
    case OpKind::kDigest:
      return CKF_DIGEST;
    case OpKind::kSign:
      return CKF_SIGN;
    case OpKind::kVerify:
      return CKF_VERIFY;
    case OpKind::kSignRecover:
      return CKF_SIGN_RECOVER;
    case OpKind::kVerifyRecover:
      return CKF_VERIFY_RECOVER;
    case OpKind::kMessageEncrypt:
      return CKF_MESSAGE_ENCRYPT;
    case OpKind::kMessageDecrypt:
      return CKF_MESSAGE_DECRYPT;
    case OpKind::kMessageSign:
      return CKF_MESSAGE_SIGN;
    case OpKind::kMessageVerify:
      return CKF_MESSAGE_VERIFY;
  }
  return 0;
}

KeyUse UseOf(OpKind kind) {
  switch (kind) {
    case OpKind::kEncrypt:
    case OpKind::kMessageEncrypt:
      return KeyUse::kEncrypt;
    case OpKind::kDecrypt:
    case OpKind::kMessageDecrypt:
      return KeyUse::kDecrypt;
    case OpKind::kSign:
    case OpKind::kMessageSign:
      return KeyUse::kSign;
    case OpKind::kVerify:
    case OpKind::kMessageVerify:
      return KeyUse::kVerify;
    case OpKind::kSignRecover:
      return KeyUse::kSignRecover;
    case OpKind::kVerifyRecover:
      return KeyUse::kVerifyRecover;
    case OpKind::kDigest:
      break;
  }
  return KeyUse::kEncrypt;
}

// Lookup finds |m| and checks that it offers |flag| and has the right
// parameter type.
Result<const MechanismEntry*> Lookup(Session& s, const Mechanism& m, CK_FLAGS flag) {
  auto e = mech::FindMechanism(s.token().config(), m.type);
  if (!e) return Fail(e.error());
  if ((mech::EffectiveFlags(**e) & flag) == 0) return Fail(Rv::kMechanismInvalid);
  const bool ok = (*e)->params_ok ? (*e)->params_ok(m.params)
                                  : std::holds_alternative<std::monostate>(m.params);
  if (!ok) return Fail(Rv::kMechanismParamInvalid);
  return e;
}

Result<> Init(Session& s, OpKind kind, const Mechanism& m, std::optional<ObjectHandle> key) {
  const MechanismEntry* e = nullptr;
  auto check = [&]() -> Result<> {
    auto found = Lookup(s, m, FlagOf(kind));
    if (!found) return Fail(found.error());
    e = *found;
    if (e->begin == nullptr) return Fail(Rv::kMechanismInvalid);
    return {};
  };
  auto make = [&](std::shared_ptr<const Object> k) -> Result<std::unique_ptr<Operation>> {
    if (k) CRYPTOKI_TRY(mech::CheckKey(*e, *k, UseOf(kind)));
    auto op = kind == OpKind::kMessageSign || kind == OpKind::kMessageVerify
                  ? mech::NewSignMessageOperation(*e, m, k, kind == OpKind::kMessageSign)
                  : e->begin(kind, m, k);
    if (!op) return Fail(op.error());
    if (k && k->Bool(CKA_ALWAYS_AUTHENTICATE) &&
        (kind == OpKind::kSign || kind == OpKind::kDecrypt || kind == OpKind::kSignRecover ||
         kind == OpKind::kMessageSign || kind == OpKind::kMessageDecrypt)) {
      (*op)->needs_context_login = true;
    }
    // Moved, not copied: every reference count change on a key that several
    // threads use is a cache line they pass between them.
    (*op)->key = std::move(k);
    return op;
  };
  return s.Start(kind, key, check, make);
}

// Renames key errors for the wrapping / unwrapping key.
Rv AsWrappingKeyError(Rv rv, bool unwrap) {
  switch (rv) {
    case Rv::kKeyHandleInvalid:
      return unwrap ? Rv::kUnwrappingKeyHandleInvalid : Rv::kWrappingKeyHandleInvalid;
    case Rv::kKeyTypeInconsistent:
      return unwrap ? Rv::kUnwrappingKeyTypeInconsistent : Rv::kWrappingKeyTypeInconsistent;
    case Rv::kKeySizeRange:
      return unwrap ? Rv::kUnwrappingKeySizeRange : Rv::kWrappingKeySizeRange;
    default:
      return rv;
  }
}

}  // namespace

Result<> EncryptInit(Session& s, const Mechanism& m, ObjectHandle key) {
  return Init(s, OpKind::kEncrypt, m, key);
}
Result<> DecryptInit(Session& s, const Mechanism& m, ObjectHandle key) {
  return Init(s, OpKind::kDecrypt, m, key);
}
Result<> DigestInit(Session& s, const Mechanism& m) {
  return Init(s, OpKind::kDigest, m, std::nullopt);
}
Result<> SignInit(Session& s, const Mechanism& m, ObjectHandle key) {
  return Init(s, OpKind::kSign, m, key);
}
Result<> VerifyInit(Session& s, const Mechanism& m, ObjectHandle key) {
  return Init(s, OpKind::kVerify, m, key);
}
Result<> SignRecoverInit(Session& s, const Mechanism& m, ObjectHandle key) {
  return Init(s, OpKind::kSignRecover, m, key);
}
Result<> VerifyRecoverInit(Session& s, const Mechanism& m, ObjectHandle key) {
  return Init(s, OpKind::kVerifyRecover, m, key);
}
Result<> MessageEncryptInit(Session& s, const Mechanism& m, ObjectHandle key) {
  return Init(s, OpKind::kMessageEncrypt, m, key);
}
Result<> MessageDecryptInit(Session& s, const Mechanism& m, ObjectHandle key) {
  return Init(s, OpKind::kMessageDecrypt, m, key);
}
Result<> MessageSignInit(Session& s, const Mechanism& m, ObjectHandle key) {
  return Init(s, OpKind::kMessageSign, m, key);
}
Result<> MessageVerifyInit(Session& s, const Mechanism& m, ObjectHandle key) {
  return Init(s, OpKind::kMessageVerify, m, key);
}

Result<> DigestKey(Session& s, ObjectHandle key) {
  if (!s.IsActive(OpKind::kDigest)) {
    CRYPTOKI_TRY(s.Info());  // kSessionHandleInvalid first
    return Fail(Rv::kOperationNotInitialized);
  }
  auto k = s.GetKey(key);
  if (!k) return Fail(k.error());
  if ((*k)->object_class() != CKO_SECRET_KEY) return Fail(Rv::kKeyIndigestible);
  const Attribute* v = (*k)->Find(CKA_VALUE);
  if (v == nullptr) return Fail(Rv::kKeyIndigestible);
  Output none = Output::Query();
  return s.Update(OpKind::kDigest, v->value(), none);
}

namespace {

// Dual runs the cipher |cipher| on |in|, then feeds the plaintext (|in| when
// encrypting, the output when decrypting) to |other|.
Result<> Dual(Session& s, OpKind cipher, OpKind other, ByteView in, Output& out) {
  if (!s.IsActive(cipher) || !s.IsActive(other)) {
    CRYPTOKI_TRY(s.Info());
    return Fail(Rv::kOperationNotInitialized);
  }
  CRYPTOKI_TRY(s.Update(cipher, in, out));
  if (!out.Ready()) return {};
  const ByteView plain = cipher == OpKind::kEncrypt ? in : ByteView(out.buffer.first(out.length));
  Output none = Output::Query();
  return s.Update(other, plain, none);
}

}  // namespace

Result<> DigestEncryptUpdate(Session& s, ByteView part, Output& out) {
  return Dual(s, OpKind::kEncrypt, OpKind::kDigest, part, out);
}
Result<> DecryptDigestUpdate(Session& s, ByteView part, Output& out) {
  return Dual(s, OpKind::kDecrypt, OpKind::kDigest, part, out);
}
Result<> SignEncryptUpdate(Session& s, ByteView part, Output& out) {
  return Dual(s, OpKind::kEncrypt, OpKind::kSign, part, out);
}
Result<> DecryptVerifyUpdate(Session& s, ByteView part, Output& out) {
  return Dual(s, OpKind::kDecrypt, OpKind::kVerify, part, out);
}

Result<ObjectHandle> GenerateKey(Session& s, const Mechanism& m, const Template& tmpl) {
  auto e = Lookup(s, m, CKF_GENERATE);
  if (!e) return Fail(e.error());
  if ((*e)->generate == nullptr) return Fail(Rv::kMechanismInvalid);
  return (*e)->generate(s, m, tmpl);
}

Result<std::pair<ObjectHandle, ObjectHandle>> GenerateKeyPair(Session& s, const Mechanism& m,
                                                              const Template& public_tmpl,
                                                              const Template& private_tmpl) {
  auto e = Lookup(s, m, CKF_GENERATE_KEY_PAIR);
  if (!e) return Fail(e.error());
  if ((*e)->generate_pair == nullptr) return Fail(Rv::kMechanismInvalid);
  return (*e)->generate_pair(s, m, public_tmpl, private_tmpl);
}

// KeyEncoding returns what gets wrapped: a secret key's value, or (issue 6)
// a private key's PKCS#8.
Result<SecretBytes> __attribute__((weak)) PrivateKeyToPkcs8(const Object&) {
  return Fail(Rv::kKeyNotWrappable);
}
Result<ObjectHandle> __attribute__((weak)) Pkcs8ToPrivateKey(Session&, ByteView, const Template&) {
  return Fail(Rv::kWrappedKeyInvalid);
}

Result<> WrapKey(Session& s, const Mechanism& m, ObjectHandle wrapping_key, ObjectHandle key,
                 Output& out) {
  auto e = Lookup(s, m, CKF_WRAP);
  if (!e) return Fail(e.error());
  if ((*e)->wrap == nullptr) return Fail(Rv::kMechanismInvalid);
  auto wk = s.GetKey(wrapping_key);
  if (!wk) return Fail(AsWrappingKeyError(wk.error(), false));
  if (auto r = mech::CheckKey(**e, **wk, KeyUse::kWrap); !r) {
    return Fail(AsWrappingKeyError(r.error(), false));
  }
  auto k = s.GetKey(key);
  if (!k) return Fail(k.error());
  const Object& target = **k;
  if (target.object_class() != CKO_SECRET_KEY && target.object_class() != CKO_PRIVATE_KEY) {
    return Fail(Rv::kKeyNotWrappable);
  }
  if (!target.Bool(CKA_EXTRACTABLE, true)) return Fail(Rv::kKeyUnextractable);
  if (target.Bool(CKA_WRAP_WITH_TRUSTED) && !(*wk)->Bool(CKA_TRUSTED)) {
    return Fail(Rv::kKeyNotWrappable);
  }
  if (const Attribute* wt = (*wk)->Find(CKA_WRAP_TEMPLATE)) {
    auto want = DecodeTemplate(wt->value());
    if (!want) return Fail(Rv::kKeyNotWrappable);
    for (const Attribute& a : *want) {
      const Attribute* have = target.Find(a.type());
      if (have == nullptr || !(*have == a)) return Fail(Rv::kKeyNotWrappable);
    }
  }
  // A secret key's value is wrapped where it is; a private key as PKCS#8.
  SecretBytes p8;
  ByteView plain = mech::KeyValue(target);
  if (target.object_class() == CKO_PRIVATE_KEY) {
    auto der = PrivateKeyToPkcs8(target);
    if (!der) return Fail(der.error());
    p8 = std::move(*der);
    plain = p8;
  }
  if (!out.Ready() && (*e)->wrapped_len != nullptr) {
    auto n = (*e)->wrapped_len(m, **wk, plain.size());
    if (!n) return Fail(n.error());
    return out.Fits(*n);
  }
  auto wrapped = (*e)->wrap(m, **wk, plain);
  if (!wrapped) return Fail(wrapped.error());
  return mech::WriteOut(*wrapped, out);
}

Result<ObjectHandle> UnwrapKey(Session& s, const Mechanism& m, ObjectHandle unwrapping_key,
                               ByteView wrapped, const Template& tmpl) {
  auto e = Lookup(s, m, CKF_UNWRAP);
  if (!e) return Fail(e.error());
  if ((*e)->unwrap == nullptr) return Fail(Rv::kMechanismInvalid);
  auto uk = s.GetKey(unwrapping_key);
  if (!uk) return Fail(AsWrappingKeyError(uk.error(), true));
  if (auto r = mech::CheckKey(**e, **uk, KeyUse::kUnwrap); !r) {
    return Fail(AsWrappingKeyError(r.error(), true));
  }
  // The unwrapping key's template: its attributes must not be contradicted.
  Template full = tmpl;
  if (const Attribute* ut = (*uk)->Find(CKA_UNWRAP_TEMPLATE)) {
    auto want = DecodeTemplate(ut->value());
    if (!want) return Fail(Rv::kTemplateInconsistent);
    for (const Attribute& a : *want) {
      const Attribute* given = tmpl.Find(a.type());
      if (given != nullptr && !(*given == a)) return Fail(Rv::kTemplateInconsistent);
      if (given == nullptr) full.Add(a);
    }
  }
  const Attribute* cls = full.Find(CKA_CLASS);
  if (cls == nullptr) return Fail(Rv::kTemplateIncomplete);
  auto plain = (*e)->unwrap(m, **uk, wrapped);
  if (!plain) return Fail(plain.error());
  if (cls->AsUlong() == CKO_PRIVATE_KEY) return Pkcs8ToPrivateKey(s, *plain, full);
  if (cls->AsUlong() != CKO_SECRET_KEY) return Fail(Rv::kTemplateInconsistent);
  if (const Attribute* vl = full.Find(CKA_VALUE_LEN)) {
    // A padded wrap may carry trailing bytes: CKA_VALUE_LEN says how many count.
    auto n = vl->AsUlong();
    if (!n || *n == 0 || *n > plain->size()) return Fail(Rv::kTemplateInconsistent);
    plain->resize(*n);
  }
  BuildContext ctx{ObjectOp::kUnwrap, s.IsSo(), m.type};
  auto attrs = BuildAttributes(full, ctx, Template{Attribute(CKA_VALUE, std::move(*plain))});
  if (!attrs) {
    // A value the key type refuses (an AES key of 20 bytes) is a bad wrapped key.
    if (attrs.error() == Rv::kAttributeValueInvalid) return Fail(Rv::kWrappedKeyInvalid);
    return Fail(attrs.error());
  }
  return s.CreateBuiltObject(std::move(*attrs));
}

Result<ObjectHandle> DeriveKey(Session& s, const Mechanism& m, ObjectHandle base_key,
                               const Template& tmpl) {
  auto e = Lookup(s, m, CKF_DERIVE);
  if (!e) return Fail(e.error());
  if ((*e)->derive == nullptr) return Fail(Rv::kMechanismInvalid);
  auto k = s.GetKey(base_key);
  if (!k) return Fail(k.error());
  if ((*k)->object_class() != CKO_DATA || !(*e)->data_base) {
    CRYPTOKI_TRY(mech::CheckKey(**e, **k, KeyUse::kDerive));
  }
  return (*e)->derive(s, m, *k, tmpl);
}

}  // namespace cryptoki
