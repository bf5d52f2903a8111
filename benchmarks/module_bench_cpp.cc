// module_bench_cpp.cc: the target for the cryptoki C++ API (the core linked
// into the benchmark, its own token directory). The ops themselves are
// prepared and checked by TokenThread (module_bench.cc); this file makes the
// calls.
#include <algorithm>
#include <cstdio>

#include "benchmarks/module_bench.h"
#include "cryptoki/cryptoki.h"
#include "cryptoki/mechanism.h"

namespace cryptoki::bench {
namespace {

constexpr std::string_view kSoPin = "bench-so-pin";
constexpr std::string_view kUserPin = "bench-user-pin";

class CppTarget;

// Rc returns the CK_RV of |r|.
template <typename T>
CK_RV Rc(const Result<T>& r) {
  return r ? CKR_OK : static_cast<CK_RV>(r.error());
}

Buf ToBuf(const Result<Bytes>& r) { return r ? Buf(r->begin(), r->end()) : Buf(); }

class CppThread : public TokenThread {
 public:
  CppThread(CppTarget& target, Session s);

  CK_RV Bind(Call call, const MechArgs& m, CK_OBJECT_HANDLE key, Action* out) override;
  CK_RV CreateSecret(const KeySpec& spec, CK_OBJECT_HANDLE* out) override;
  CK_RV GeneratePair(const KeySpec& spec, bool token, bool read_public, KeyPair* out) override;
  CK_RV Destroy(CK_OBJECT_HANDLE h) override { return Rc(s_.DestroyObject(ObjectHandle(h))); }
  CK_RV GetValue(CK_OBJECT_HANDLE h, Buf* out) override {
    auto v = s_.Get<attr::Value>(ObjectHandle(h));
    if (v) out->assign(v->begin(), v->end());
    return Rc(v);
  }
  CK_RV CreateData(const std::string& label) override {
    return Rc(s_.CreateObject({attr::Class{CKO_DATA}, attr::Token{true}, attr::Private{false},
                               attr::Label{label}, attr::Value{Bytes{1, 2, 3, 4, 5, 6, 7, 8}}}));
  }
  Session& session() { return s_; }

 protected:
  Prepared PrepareOther(Op op, int64_t arg) override;

 private:
  CppTarget& t_;
  Session s_;
};

class CppTarget : public TokenTarget {
 public:
  CppTarget() : TokenTarget("cpp") {}
  std::unique_ptr<ThreadRunner> NewThread(std::string* error) override {
    auto s = token_->OpenSession(SessionKind::kReadWrite);
    if (!s) {
      *error = "OpenSession: " + to_string(s.error());
      return nullptr;
    }
    return std::make_unique<CppThread>(*this, std::move(*s));
  }

  std::string SetUp(const std::string& conf);

 private:
  friend class CppThread;
  std::unique_ptr<Library> lib_;
  std::shared_ptr<Token> token_;
  std::unique_ptr<CppThread> main_;  // open for the whole run: it keeps the login
};

CppThread::CppThread(CppTarget& target, Session s)
    : TokenThread(target), t_(target), s_(std::move(s)) {}

// MakeMechanism turns |a| into the C++ API's mechanism (on |key|).
Mechanism MakeMechanism(const MechArgs& a, ObjectHandle key) {
  switch (a.param) {
    case Param::kGcm:
      return Mechanism{a.type, mech::GcmParams{a.bytes, {}, 128}};
    case Param::kCbcIv:
    case Param::kDh:
      return Mechanism{a.type, mech::RawParams{a.bytes}};
    case Param::kCtr: {
      mech::AesCtrParams ctr{128, {}};
      std::copy(a.bytes.begin(), a.bytes.end(), ctr.cb.begin());
      return Mechanism{a.type, ctr};
    }
    case Param::kChaCha:
      return Mechanism{a.type, mech::ChaCha20Poly1305Params{a.bytes, {}}};
    case Param::kPss:
      return Mechanism{a.type, mech::RsaPssParams{CKM_SHA256, CKG_MGF1_SHA256, 32}};
    case Param::kOaep:
      return Mechanism{a.type, mech::RsaOaepParams{CKM_SHA256, CKG_MGF1_SHA256, {}}};
    case Param::kEcdh:
      return Mechanism{a.type, mech::Ecdh1DeriveParams{CKD_NULL, {}, a.bytes}};
    case Param::kHkdf: {
      const Inputs& in = Inputs::Get();
      return Mechanism{a.type, mech::HkdfParams{.extract = true,
                                                .expand = true,
                                                .prf = CKM_SHA256,
                                                .salt_type = CKF_HKDF_SALT_DATA,
                                                .salt = in.kdf_salt,
                                                .info = in.kdf_info}};
    }
    case Param::kSp800108: {
      mech::Sp800108Params p{.prf = CKM_SHA256_HMAC};
      p.data.push_back(
          {.type = CK_SP800_108_ITERATION_VARIABLE, .has_format = true, .width_bits = 32});
      p.data.push_back({.type = CK_SP800_108_BYTE_ARRAY, .bytes = Inputs::Get().kdf_fixed});
      p.data.push_back({.type = CK_SP800_108_DKM_LENGTH,
                        .has_format = true,
                        .width_bits = 32,
                        .dkm_method = CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS});
      return Mechanism{a.type, p};
    }
    case Param::kPbkdf2: {
      const Inputs& in = Inputs::Get();
      return Mechanism{a.type,
                       mech::Pbkdf2Params{in.kdf_salt, 1000, CKP_PKCS5_PBKD2_HMAC_SHA256,
                                          SecretBytes(in.password.begin(), in.password.end())}};
    }
    case Param::kBaseKey:
      return Mechanism{a.type, mech::KeyHandleParams{key}};
    case Param::kDeriveData:
      return Mechanism{a.type, mech::RawParams{a.bytes}};
    case Param::kExtract:
      return Mechanism{a.type, mech::UlongParams{kExtractBit}};
    case Param::kCbcEncryptData: {
      mech::CbcEncryptDataParams p{{}, a.bytes};
      std::copy(Inputs::Get().iv16.begin(), Inputs::Get().iv16.end(), p.iv.begin());
      return Mechanism{a.type, p};
    }
    case Param::kNone:
      break;
  }
  return Mechanism{a.type, {}};
}

CK_RV CppThread::Bind(Call call, const MechArgs& a, CK_OBJECT_HANDLE key_value, Action* out) {
  struct State {
    Mechanism m;
    Template tmpl;
    Buf iv;
  };
  auto st = std::make_shared<State>();
  const ObjectHandle key(key_value);
  st->m = MakeMechanism(a, key);
  Session* s = &s_;
  // One-shot calls: Init, then the single-part call into |o|.
  auto one_shot = [s, st, key](Result<> (*init)(Session&, const Mechanism&, ObjectHandle),
                               OpKind kind) -> Action {
    return [s, st, key, init, kind](ByteSpan in, ByteSpan, std::span<uint8_t> o, CK_ULONG* len) {
      Output out = Output::Into(o);
      Result<> r = init(*s, st->m, key);
      if (r) r = s->OneShot(kind, in, out);
      *len = out.length;
      return Rc(r);
    };
  };
  switch (call) {
    case Call::kDigest:
      *out = [s, st](ByteSpan in, ByteSpan, std::span<uint8_t> o, CK_ULONG* len) {
        Output out = Output::Into(o);
        Result<> r = DigestInit(*s, st->m);
        if (r) r = s->OneShot(OpKind::kDigest, in, out);
        *len = out.length;
        return Rc(r);
      };
      return CKR_OK;
    case Call::kSign:
      *out = one_shot(&SignInit, OpKind::kSign);
      return CKR_OK;
    case Call::kEncrypt:
      *out = one_shot(&EncryptInit, OpKind::kEncrypt);
      return CKR_OK;
    case Call::kDecrypt:
      *out = one_shot(&DecryptInit, OpKind::kDecrypt);
      return CKR_OK;
    case Call::kVerify:
      *out = [s, st, key](ByteSpan in, ByteSpan sig, std::span<uint8_t>, CK_ULONG*) {
        Result<> r = VerifyInit(*s, st->m, key);
        if (r) r = s->VerifyOneShot(OpKind::kVerify, in, sig);
        return Rc(r);
      };
      return CKR_OK;
    case Call::kMessageEncrypt: {
      if (auto r = MessageEncryptInit(s_, st->m, key); !r) return Rc(r);
      st->iv = Inputs::Get().iv12;
      // The tag goes right after the ciphertext, as BoringSSL's seal has it.
      *out = [s, st](ByteSpan in, ByteSpan, std::span<uint8_t> o, CK_ULONG* len) {
        if (o.size() < in.size() + 16) return CKR_BUFFER_TOO_SMALL;
        MessageParams params =
            mech::GcmMessageParams{st->iv, 0, CKG_NO_GENERATE, o.subspan(in.size(), 16)};
        Output out = Output::Into(o.first(in.size()));
        Result<> r = EncryptMessage(*s, params, {}, in, out);
        *len = out.length + 16;
        return Rc(r);
      };
      return CKR_OK;
    }
    case Call::kDerive:
    case Call::kGenerateKey:
    case Call::kUnwrap:
      // CKM_HKDF_DATA makes a data object, the others a secret key (of the
      // length an unwrap finds).
      st->tmpl =
          a.type == CKM_HKDF_DATA
              ? Template{attr::Class{CKO_DATA}, attr::Token{false}}
              : Template{attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_GENERIC_SECRET},
                         attr::Token{false}, attr::Sensitive{false}, attr::Extractable{true}};
      if (call != Call::kUnwrap) st->tmpl.Add(attr::ValueLen{a.value_len});
      *out = [s, st, key, call](ByteSpan in, ByteSpan, std::span<uint8_t>, CK_ULONG* handle) {
        auto h = call == Call::kDerive   ? DeriveKey(*s, st->m, key, st->tmpl)
                 : call == Call::kUnwrap ? UnwrapKey(*s, st->m, key, in, st->tmpl)
                                         : GenerateKey(*s, st->m, st->tmpl);
        if (h) *handle = h->value();
        return Rc(h);
      };
      return CKR_OK;
    case Call::kWrap: {
      const ObjectHandle wrapped(target_.key(KeyId::kWrapped).priv);
      *out = [s, st, key, wrapped](ByteSpan, ByteSpan, std::span<uint8_t> o, CK_ULONG* len) {
        Output out = Output::Into(o);
        Result<> r = WrapKey(*s, st->m, key, wrapped, out);
        *len = out.length;
        return Rc(r);
      };
      return CKR_OK;
    }
    case Call::kGenerateKeyPair:
    case Call::kOther:
      break;
  }
  return CKR_MECHANISM_INVALID;
}

CK_RV CppThread::CreateSecret(const KeySpec& spec, CK_OBJECT_HANDLE* out) {
  Template t{attr::Class{CKO_SECRET_KEY}, attr::KeyType{spec.secret_type},
             attr::Token{true},           attr::Private{true},
             attr::Sensitive{true},       attr::Label{std::string(spec.label)},
             attr::Value{*spec.value}};
  if (spec.sign) t.Add(attr::Sign{true}).Add(attr::Verify{true});
  if (spec.crypt) t.Add(attr::Encrypt{true}).Add(attr::Decrypt{true});
  if (spec.wrap) t.Add(attr::Wrap{true}).Add(attr::Unwrap{true});
  if (spec.derive) t.Add(attr::Derive{true});
  if (spec.extractable) t.Add(attr::Extractable{true});
  auto k = s_.CreateObject(t);
  if (k) *out = k->value();
  return Rc(k);
}

CK_RV CppThread::GeneratePair(const KeySpec& spec, bool token, bool read_public, KeyPair* out) {
  Template pub{attr::Token{token}, attr::Private{false}};
  Template priv{attr::Token{token}, attr::Private{true}, attr::Sensitive{true}};
  if (spec.ec_params) pub.Add(attr::EcParams{*spec.ec_params});
  if (spec.dh_prime)
    pub.Add(Attribute(CKA_PRIME, ByteView(*spec.dh_prime)))
        .Add(Attribute(CKA_BASE, ByteView(*spec.dh_base)));
  if (spec.modulus_bits)
    pub.Add(attr::ModulusBits{spec.modulus_bits}).Add(attr::PublicExponent{Bytes{1, 0, 1}});
  if (spec.derive) priv.Add(attr::Derive{true});
  if (spec.sign) pub.Add(attr::Verify{true}), priv.Add(attr::Sign{true});
  if (spec.crypt) pub.Add(attr::Encrypt{true}), priv.Add(attr::Decrypt{true});
  auto p = GenerateKeyPair(s_, Mechanism{spec.gen, {}}, pub, priv);
  if (!p) return Rc(p);
  out->pub = p->first.value();
  out->priv = p->second.value();
  if (read_public && spec.dh_prime)
    out->point = ToBuf(s_.Get<attr::Value>(p->first));
  else if (read_public && spec.point_size)
    out->point = EcPointFromAttribute(ToBuf(s_.Get<attr::EcPoint>(p->first)), spec.point_size);
  if (read_public && spec.modulus_bits) {
    out->n = ToBuf(s_.Get<attr::Modulus>(p->first));
    out->e = ToBuf(s_.Get<attr::PublicExponent>(p->first));
  }
  return CKR_OK;
}

std::string CppTarget::SetUp(const std::string& conf) {
  auto config = LoadConfigFile(conf);
  if (!config) return config.error().message;
  auto lib = Library::Create(*config);
  if (!lib) return "Library::Create: " + to_string(lib.error());
  lib_ = std::move(*lib);
  // A fresh token directory has one free slot; reuse a token labelled bench.
  for (CK_SLOT_ID slot : lib_->Slots()) {
    auto t = lib_->GetToken(slot);
    if (!t) continue;
    if ((*t)->initialized() && (*t)->Info().label == "bench") {
      token_ = *t;
      break;
    }
    if (!(*t)->initialized() && !token_) token_ = *t;
  }
  if (!token_) return "no free slot";
  if (!token_->initialized()) {
    if (auto r = token_->InitToken(kSoPin, "bench"); !r)
      return "InitToken: " + to_string(r.error());
    auto s = token_->OpenSession(SessionKind::kReadWrite);
    if (!s) return "OpenSession: " + to_string(s.error());
    if (auto r = s->Login(CKU_SO, kSoPin); !r) return "SO Login: " + to_string(r.error());
    if (auto r = s->InitPin(kUserPin); !r) return "InitPin: " + to_string(r.error());
    if (auto r = s->Logout(); !r) return "Logout: " + to_string(r.error());
  }
  auto s = token_->OpenSession(SessionKind::kReadWrite);
  if (!s) return "OpenSession: " + to_string(s.error());
  main_ = std::make_unique<CppThread>(*this, std::move(*s));
  if (auto r = main_->session().Login(CKU_USER, kUserPin); !r)
    return "Login: " + to_string(r.error());
  SetUpKeys(*main_, [this](CK_MECHANISM_TYPE mech, CK_FLAGS flags) {
    auto info = GetMechanismInfo(lib_->config(), mech);
    return info && (info->flags & flags) == flags;
  });
  return "";
}

Prepared CppThread::PrepareOther(Op op, int64_t arg) {
  Session* s = &s_;
  switch (op) {
    case Op::kRandom32: {
      auto out = std::make_shared<Buf>(32);
      Buf a(32), b(32);
      if (!s_.GenerateRandom(a) || !s_.GenerateRandom(b) || a == b || a == Buf(32))
        return Failed("GenerateRandom");
      return {"", [s, out] { return s->GenerateRandom(*out).has_value(); }};
    }
    case Op::kGetAttribute: {
      const ObjectHandle key(t_.key(KeyId::kAes).priv);
      auto label = s_.Get<attr::Label>(key);
      if (!label || *label != GetKeySpec(KeyId::kAes).label) return Failed("CKA_LABEL");
      return {"", [s, key] {
                auto a = s->GetAttribute(key, CKA_LABEL);
                return a.has_value();
              }};
    }
    case Op::kSessionOpenClose: {
      Token* token = t_.token_.get();
      return {"", [token] {
                auto session = token->OpenSession(SessionKind::kReadWrite);
                return session && session->Close().has_value();
              }};
    }
    case Op::kFind: {
      if (std::string e = t_.Populate(*t_.main_, arg); !e.empty()) return Failed(e);
      const std::string label = "find-" + std::to_string(arg / 2);
      auto tmpl = std::make_shared<Template>(Template{attr::Class{CKO_DATA}, attr::Label{label}});
      auto found = s_.Find(*tmpl, 2);
      if (!found || found->size() != 1) return Failed("find");
      if (auto l = s_.Get<attr::Label>(found->front()); !l || *l != label)
        return Failed("found the wrong object");
      return {"", [s, tmpl] {
                auto found = s->Find(*tmpl, 2);
                return found && found->size() == 1;
              }};
    }
    default:
      break;
  }
  return Failed("unknown op");
}

}  // namespace

std::unique_ptr<Target> MakeCppTarget(const std::string& conf, std::string* error) {
  auto t = std::make_unique<CppTarget>();
  if (std::string e = t->SetUp(conf); !e.empty()) {
    *error = e;
    return nullptr;
  }
  return t;
}

}  // namespace cryptoki::bench
