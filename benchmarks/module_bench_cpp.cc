// module_bench_cpp.cc: the target for the cryptoki C++ API (the core linked
// into the benchmark, its own token directory).
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>

#include "benchmarks/module_bench.h"
#include "cryptoki/cryptoki.h"
#include "cryptoki/mechanism.h"

namespace cryptoki::bench {
namespace {

constexpr std::string_view kSoPin = "bench-so-pin";
constexpr std::string_view kUserPin = "bench-user-pin";
constexpr std::string_view kAesLabel = "bench-aes";

class CppTarget;

class CppThread : public ThreadRunner {
 public:
  CppThread(CppTarget& target, Session s) : t_(target), s_(std::move(s)) {}
  Prepared Prepare(Op op, int64_t arg) override;

 private:
  Prepared Symmetric(Op op);
  Prepared SignOrVerify(Op op);
  Prepared Derive(Op op);

  CppTarget& t_;
  Session s_;
};

class CppTarget : public Target {
 public:
  std::string name() const override { return "cpp"; }
  std::string Supports(Op op) const override {
    auto it = na_.find(op);
    return it == na_.end() ? "" : it->second;
  }
  std::unique_ptr<ThreadRunner> NewThread(std::string* error) override {
    auto s = token_->OpenSession(SessionKind::kReadWrite);
    if (!s) {
      *error = "OpenSession: " + to_string(s.error());
      return nullptr;
    }
    return std::make_unique<CppThread>(*this, std::move(*s));
  }

  std::string SetUp(const std::string& conf);
  std::string Populate(int64_t n);

 private:
  friend class CppThread;
  void NotAvailable(Op op, const std::string& why) { na_.emplace(op, "n/a: " + why); }
  void Need(CK_MECHANISM_TYPE mech, CK_FLAGS flags, const char* mech_name,
            std::initializer_list<Op> ops) {
    auto info = GetMechanismInfo(lib_->config(), mech);
    if (info && (info->flags & flags) == flags) return;
    for (Op op : ops) NotAvailable(op, std::string(mech_name) + " not offered");
  }
  bool Fail(const Rv& rv, const char* what, std::initializer_list<Op> ops) {
    for (Op op : ops) NotAvailable(op, std::string(what) + ": " + to_string(rv));
    return true;
  }
  Result<std::pair<ObjectHandle, ObjectHandle>> MakePair(CK_MECHANISM_TYPE mech, Template pub,
                                                         Template priv, bool derive);

  std::unique_ptr<Library> lib_;
  std::shared_ptr<Token> token_;
  std::optional<Session> main_;  // open for the whole run: it keeps the login
  std::map<Op, std::string> na_;

  ObjectHandle aes_, hmac_, chacha_;
  ObjectHandle ec_priv_, ecdh_priv_, rsa_priv_, ed_priv_, x_priv_;
  ObjectHandle ec_pub_, rsa_pub_, ed_pub_;
  Buf ec_point_, ecdh_point_, rsa_n_, rsa_e_, ed_point_, x_point_;

  std::mutex find_mu_;
  int64_t population_ = 0;
};

Result<std::pair<ObjectHandle, ObjectHandle>> CppTarget::MakePair(CK_MECHANISM_TYPE mech,
                                                                  Template pub, Template priv,
                                                                  bool derive) {
  pub.Add(attr::Token{true}).Add(attr::Private{false});
  priv.Add(attr::Token{true}).Add(attr::Private{true}).Add(attr::Sensitive{true});
  if (derive) {
    priv.Add(attr::Derive{true});
  } else {
    pub.Add(attr::Verify{true});
    priv.Add(attr::Sign{true});
  }
  return GenerateKeyPair(*main_, Mechanism{mech, {}}, pub, priv);
}

Buf ToBuf(const Result<Bytes>& r) { return r ? Buf(r->begin(), r->end()) : Buf(); }

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
  main_.emplace(std::move(*s));
  if (auto r = main_->Login(CKU_USER, kUserPin); !r) return "Login: " + to_string(r.error());

  Need(CKM_SHA256, CKF_DIGEST, "CKM_SHA256", {Op::kSha256_64, Op::kSha256_8K});
  Need(CKM_SHA256_HMAC, CKF_SIGN, "CKM_SHA256_HMAC", {Op::kHmacSha256_64});
  Need(CKM_AES_GCM, CKF_ENCRYPT, "CKM_AES_GCM", {Op::kAesGcm_1K, Op::kAesGcm_8K});
  Need(CKM_AES_CBC_PAD, CKF_ENCRYPT, "CKM_AES_CBC_PAD", {Op::kAesCbcPad_8K});
  Need(CKM_CHACHA20_POLY1305, CKF_ENCRYPT, "CKM_CHACHA20_POLY1305", {Op::kChaChaPoly_1K});
  Need(CKM_EC_KEY_PAIR_GEN, CKF_GENERATE_KEY_PAIR, "CKM_EC_KEY_PAIR_GEN",
       {Op::kEcdsaP256Sign, Op::kEcdsaP256Verify, Op::kEcdhP256Derive, Op::kEcP256GenerateKeyPair});
  Need(CKM_ECDSA, CKF_SIGN | CKF_VERIFY, "CKM_ECDSA", {Op::kEcdsaP256Sign, Op::kEcdsaP256Verify});
  Need(CKM_RSA_PKCS_KEY_PAIR_GEN, CKF_GENERATE_KEY_PAIR, "CKM_RSA_PKCS_KEY_PAIR_GEN",
       {Op::kRsaPkcs1Sign, Op::kRsaPkcs1Verify, Op::kRsaPssSign, Op::kRsaPssVerify});
  Need(CKM_SHA256_RSA_PKCS, CKF_SIGN | CKF_VERIFY, "CKM_SHA256_RSA_PKCS",
       {Op::kRsaPkcs1Sign, Op::kRsaPkcs1Verify});
  Need(CKM_SHA256_RSA_PKCS_PSS, CKF_SIGN | CKF_VERIFY, "CKM_SHA256_RSA_PKCS_PSS",
       {Op::kRsaPssSign, Op::kRsaPssVerify});
  Need(CKM_EC_EDWARDS_KEY_PAIR_GEN, CKF_GENERATE_KEY_PAIR, "CKM_EC_EDWARDS_KEY_PAIR_GEN",
       {Op::kEd25519Sign, Op::kEd25519Verify});
  Need(CKM_EDDSA, CKF_SIGN | CKF_VERIFY, "CKM_EDDSA", {Op::kEd25519Sign, Op::kEd25519Verify});
  Need(CKM_EC_MONTGOMERY_KEY_PAIR_GEN, CKF_GENERATE_KEY_PAIR, "CKM_EC_MONTGOMERY_KEY_PAIR_GEN",
       {Op::kX25519Derive});
  Need(CKM_ECDH1_DERIVE, CKF_DERIVE, "CKM_ECDH1_DERIVE", {Op::kX25519Derive, Op::kEcdhP256Derive});

  const Inputs& in = Inputs::Get();
  auto secret = [&](CK_KEY_TYPE type, const Buf& value, bool sign, std::string_view label) {
    Template t{attr::Class{CKO_SECRET_KEY}, attr::KeyType{type},   attr::Token{true},
               attr::Private{true},         attr::Sensitive{true}, attr::Label{std::string(label)},
               attr::Value{value}};
    if (sign) {
      t.Add(attr::Sign{true}).Add(attr::Verify{true});
    } else {
      t.Add(attr::Encrypt{true}).Add(attr::Decrypt{true});
    }
    return main_->CreateObject(t);
  };
  if (auto k = secret(CKK_AES, in.aes_key, false, kAesLabel)) {
    aes_ = *k;
  } else {
    Fail(k.error(), "AES key",
         {Op::kAesGcm_1K, Op::kAesGcm_8K, Op::kAesCbcPad_8K, Op::kGetAttribute});
  }
  if (auto k = secret(CKK_GENERIC_SECRET, in.hmac_key, true, "bench-hmac")) {
    hmac_ = *k;
  } else {
    Fail(k.error(), "HMAC key", {Op::kHmacSha256_64});
  }
  if (!na_.count(Op::kChaChaPoly_1K)) {
    if (auto k = secret(CKK_CHACHA20, in.chacha_key, false, "bench-chacha")) {
      chacha_ = *k;
    } else {
      Fail(k.error(), "ChaCha20 key", {Op::kChaChaPoly_1K});
    }
  }
  std::fprintf(stderr, "[cpp] generating key pairs (P-256, RSA-2048, Ed25519, X25519)\n");
  if (!na_.count(Op::kEcdsaP256Sign)) {
    if (auto p = MakePair(CKM_EC_KEY_PAIR_GEN, {attr::EcParams{kP256Params}}, {}, false)) {
      std::tie(ec_pub_, ec_priv_) = *p;
      ec_point_ = EcPointFromAttribute(ToBuf(main_->Get<attr::EcPoint>(ec_pub_)), 65);
    } else {
      Fail(p.error(), "P-256 key", {Op::kEcdsaP256Sign, Op::kEcdsaP256Verify});
    }
  }
  if (!na_.count(Op::kEcdhP256Derive)) {
    if (auto p = MakePair(CKM_EC_KEY_PAIR_GEN, {attr::EcParams{kP256Params}}, {}, true)) {
      ecdh_priv_ = p->second;
      ecdh_point_ = EcPointFromAttribute(ToBuf(main_->Get<attr::EcPoint>(p->first)), 65);
    } else {
      Fail(p.error(), "P-256 key", {Op::kEcdhP256Derive});
    }
  }
  if (!na_.count(Op::kRsaPkcs1Sign) || !na_.count(Op::kRsaPssSign)) {
    if (auto p =
            MakePair(CKM_RSA_PKCS_KEY_PAIR_GEN,
                     {attr::ModulusBits{2048}, attr::PublicExponent{Bytes{1, 0, 1}}}, {}, false)) {
      std::tie(rsa_pub_, rsa_priv_) = *p;
      rsa_n_ = ToBuf(main_->Get<attr::Modulus>(rsa_pub_));
      rsa_e_ = ToBuf(main_->Get<attr::PublicExponent>(rsa_pub_));
    } else {
      Fail(p.error(), "RSA key",
           {Op::kRsaPkcs1Sign, Op::kRsaPkcs1Verify, Op::kRsaPssSign, Op::kRsaPssVerify});
    }
  }
  if (!na_.count(Op::kEd25519Sign)) {
    if (auto p =
            MakePair(CKM_EC_EDWARDS_KEY_PAIR_GEN, {attr::EcParams{kEd25519Params}}, {}, false)) {
      std::tie(ed_pub_, ed_priv_) = *p;
      ed_point_ = EcPointFromAttribute(ToBuf(main_->Get<attr::EcPoint>(ed_pub_)), 32);
    } else {
      Fail(p.error(), "Ed25519 key", {Op::kEd25519Sign, Op::kEd25519Verify});
    }
  }
  if (!na_.count(Op::kX25519Derive)) {
    if (auto p =
            MakePair(CKM_EC_MONTGOMERY_KEY_PAIR_GEN, {attr::EcParams{kX25519Params}}, {}, true)) {
      x_priv_ = p->second;
      x_point_ = EcPointFromAttribute(ToBuf(main_->Get<attr::EcPoint>(p->first)), 32);
    } else {
      Fail(p.error(), "X25519 key", {Op::kX25519Derive});
    }
  }
  for (const auto& [op, why] : na_) std::fprintf(stderr, "[cpp] %s: %s\n", OpName(op), why.c_str());
  return "";
}

std::string CppTarget::Populate(int64_t n) {
  std::lock_guard<std::mutex> lock(find_mu_);
  if (population_ >= n) return "";
  const auto start = std::chrono::steady_clock::now();
  std::fprintf(stderr, "[cpp] creating data objects %lld..%lld for find\n",
               static_cast<long long>(population_), static_cast<long long>(n - 1));
  const int64_t step = std::max<int64_t>(1, (n - population_) / 10);
  for (int64_t i = population_; i < n; ++i) {
    auto h = main_->CreateObject({attr::Class{CKO_DATA}, attr::Token{true}, attr::Private{false},
                                  attr::Label{"find-" + std::to_string(i)},
                                  attr::Value{Bytes{1, 2, 3, 4, 5, 6, 7, 8}}});
    if (!h) return "CreateObject: " + to_string(h.error());
    population_ = i + 1;
    if ((i + 1) % step == 0 || i + 1 == n) {
      const double s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::fprintf(stderr, "[cpp]   %lld/%lld objects, %.1f s\n", static_cast<long long>(i + 1),
                   static_cast<long long>(n), s);
    }
  }
  return "";
}

Prepared CppThread::Symmetric(Op op) {
  const Inputs& in = Inputs::Get();
  const ByteSpan msg = OpMessage(op);
  struct State {
    Mechanism m;
    ObjectHandle key;
    Buf out;
  };
  auto st = std::make_shared<State>();
  st->out.resize(msg.size() + 32);
  Buf expect;
  switch (op) {
    case Op::kSha256_64:
    case Op::kSha256_8K:
      st->m = Mechanism{CKM_SHA256, {}};
      expect = Sha256(msg);
      break;
    case Op::kHmacSha256_64:
      st->m = Mechanism{CKM_SHA256_HMAC, {}};
      st->key = t_.hmac_;
      expect = HmacSha256(in.hmac_key, msg);
      break;
    case Op::kAesGcm_1K:
    case Op::kAesGcm_8K:
      st->m = Mechanism{CKM_AES_GCM, mech::GcmParams{in.iv12, {}, 128}};
      st->key = t_.aes_;
      expect = AesGcmSeal(in.aes_key, in.iv12, msg);
      break;
    case Op::kAesCbcPad_8K:
      st->m = Mechanism{CKM_AES_CBC_PAD, mech::RawParams{in.iv16}};
      st->key = t_.aes_;
      expect = AesCbcPadEncrypt(in.aes_key, in.iv16, msg);
      break;
    case Op::kChaChaPoly_1K:
      st->m = Mechanism{CKM_CHACHA20_POLY1305, mech::ChaCha20Poly1305Params{in.iv12, {}}};
      st->key = t_.chacha_;
      expect = ChaChaPolySeal(in.chacha_key, in.iv12, msg);
      break;
    default:
      return Failed("not symmetric");
  }
  const bool digest = op == Op::kSha256_64 || op == Op::kSha256_8K;
  const bool mac = op == Op::kHmacSha256_64;
  Session* s = &s_;
  auto run = [s, st, msg, digest, mac]() -> Result<size_t> {
    Output out = Output::Into(st->out);
    if (digest) {
      CRYPTOKI_TRY(DigestInit(*s, st->m));
      CRYPTOKI_TRY(s->OneShot(OpKind::kDigest, msg, out));
    } else if (mac) {
      CRYPTOKI_TRY(SignInit(*s, st->m, st->key));
      CRYPTOKI_TRY(s->OneShot(OpKind::kSign, msg, out));
    } else {
      CRYPTOKI_TRY(EncryptInit(*s, st->m, st->key));
      CRYPTOKI_TRY(s->OneShot(OpKind::kEncrypt, msg, out));
    }
    return out.length;
  };
  auto len = run();
  if (!len) return Failed(to_string(len.error()));
  if (Buf(st->out.begin(), st->out.begin() + *len) != expect)
    return Failed("output differs from BoringSSL's");
  if (!digest && !mac) {
    Buf plain(msg.size() + 32);
    Output out = Output::Into(plain);
    auto r = DecryptInit(s_, st->m, st->key);
    if (r) r = s_.OneShot(OpKind::kDecrypt, ByteSpan(st->out).first(*len), out);
    if (!r || out.length != msg.size() || !std::equal(msg.begin(), msg.end(), plain.begin()))
      return Failed("decrypt");
  }
  return {"", [run] { return run().has_value(); }};
}

Prepared CppThread::SignOrVerify(Op op) {
  const ByteSpan msg = OpMessage(op);
  struct State {
    Mechanism m;
    Buf sig = Buf(512);
    size_t sig_len = 0;
  };
  auto st = std::make_shared<State>();
  ObjectHandle priv, pub;
  std::function<bool(ByteSpan)> check;
  switch (op) {
    case Op::kEcdsaP256Sign:
    case Op::kEcdsaP256Verify:
      st->m = Mechanism{CKM_ECDSA, {}};
      priv = t_.ec_priv_, pub = t_.ec_pub_;
      check = [&](ByteSpan sig) { return EcdsaP256Verify(t_.ec_point_, msg, sig); };
      break;
    case Op::kRsaPkcs1Sign:
    case Op::kRsaPkcs1Verify:
      st->m = Mechanism{CKM_SHA256_RSA_PKCS, {}};
      priv = t_.rsa_priv_, pub = t_.rsa_pub_;
      check = [&](ByteSpan sig) { return RsaPkcs1Sha256Verify(t_.rsa_n_, t_.rsa_e_, msg, sig); };
      break;
    case Op::kRsaPssSign:
    case Op::kRsaPssVerify:
      st->m =
          Mechanism{CKM_SHA256_RSA_PKCS_PSS, mech::RsaPssParams{CKM_SHA256, CKG_MGF1_SHA256, 32}};
      priv = t_.rsa_priv_, pub = t_.rsa_pub_;
      check = [&](ByteSpan sig) { return RsaPssSha256Verify(t_.rsa_n_, t_.rsa_e_, msg, sig); };
      break;
    case Op::kEd25519Sign:
    case Op::kEd25519Verify:
      st->m = Mechanism{CKM_EDDSA, {}};
      priv = t_.ed_priv_, pub = t_.ed_pub_;
      check = [&](ByteSpan sig) { return Ed25519Verify(t_.ed_point_, msg, sig); };
      break;
    default:
      return Failed("not a signature op");
  }
  Session* s = &s_;
  auto sign = [s, st, priv, msg]() -> Result<> {
    Output out = Output::Into(st->sig);
    CRYPTOKI_TRY(SignInit(*s, st->m, priv));
    CRYPTOKI_TRY(s->OneShot(OpKind::kSign, msg, out));
    st->sig_len = out.length;
    return {};
  };
  auto verify = [s, st, pub, msg]() -> Result<> {
    CRYPTOKI_TRY(VerifyInit(*s, st->m, pub));
    return s->VerifyOneShot(OpKind::kVerify, msg, ByteSpan(st->sig).first(st->sig_len));
  };
  if (auto r = sign(); !r) return Failed("Sign: " + to_string(r.error()));
  if (!check(ByteSpan(st->sig).first(st->sig_len)))
    return Failed("signature does not verify with BoringSSL");
  if (auto r = verify(); !r) return Failed("Verify: " + to_string(r.error()));
  if (op == Op::kEcdsaP256Sign || op == Op::kRsaPkcs1Sign || op == Op::kRsaPssSign ||
      op == Op::kEd25519Sign)
    return {"", [sign] { return sign().has_value(); }};
  return {"", [verify] { return verify().has_value(); }};
}

Prepared CppThread::Derive(Op op) {
  const Inputs& in = Inputs::Get();
  const bool x = op == Op::kX25519Derive;
  struct State {
    Mechanism m;
    Template tmpl;
  };
  auto st = std::make_shared<State>();
  st->m = Mechanism{
      CKM_ECDH1_DERIVE,
      mech::Ecdh1DeriveParams{CKD_NULL, {}, x ? in.x25519_peer_public : in.p256_peer_public}};
  st->tmpl = Template{attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_GENERIC_SECRET},
                      attr::ValueLen{32},          attr::Token{false},
                      attr::Sensitive{false},      attr::Extractable{true}};
  const ObjectHandle base = x ? t_.x_priv_ : t_.ecdh_priv_;
  auto h = DeriveKey(s_, st->m, base, st->tmpl);
  if (!h) return Failed("DeriveKey: " + to_string(h.error()));
  const Buf value = ToBuf(s_.Get<attr::Value>(*h));
  (void)s_.DestroyObject(*h);
  const Buf expect = x ? X25519Shared(in.x25519_peer_private, t_.x_point_)
                       : EcdhP256Shared(in.p256_peer_private, t_.ecdh_point_);
  if (value != expect) return Failed("shared secret differs from BoringSSL's");
  Session* s = &s_;
  return {"", [s, st, base] {
            auto h = DeriveKey(*s, st->m, base, st->tmpl);
            return h && s->DestroyObject(*h).has_value();
          }};
}

Prepared CppThread::Prepare(Op op, int64_t arg) {
  if (std::string why = t_.Supports(op); !why.empty()) return {why, nullptr};
  Session* s = &s_;
  switch (op) {
    case Op::kSha256_64:
    case Op::kSha256_8K:
    case Op::kHmacSha256_64:
    case Op::kAesGcm_1K:
    case Op::kAesGcm_8K:
    case Op::kAesCbcPad_8K:
    case Op::kChaChaPoly_1K:
      return Symmetric(op);
    case Op::kEcdsaP256Sign:
    case Op::kEcdsaP256Verify:
    case Op::kRsaPkcs1Sign:
    case Op::kRsaPkcs1Verify:
    case Op::kRsaPssSign:
    case Op::kRsaPssVerify:
    case Op::kEd25519Sign:
    case Op::kEd25519Verify:
      return SignOrVerify(op);
    case Op::kX25519Derive:
    case Op::kEcdhP256Derive:
      return Derive(op);
    case Op::kRandom32: {
      auto out = std::make_shared<Buf>(32);
      Buf a(32), b(32);
      if (!s_.GenerateRandom(a) || !s_.GenerateRandom(b) || a == b || a == Buf(32))
        return Failed("GenerateRandom");
      return {"", [s, out] { return s->GenerateRandom(*out).has_value(); }};
    }
    case Op::kEcP256GenerateKeyPair: {
      auto st = std::make_shared<std::pair<Template, Template>>(
          Template{attr::EcParams{kP256Params}, attr::Token{false}, attr::Verify{true}},
          Template{attr::Token{false}, attr::Sign{true}, attr::Sensitive{true}});
      auto run = [s, st](Buf* point) {
        auto p = GenerateKeyPair(*s, Mechanism{CKM_EC_KEY_PAIR_GEN, {}}, st->first, st->second);
        if (!p) return false;
        if (point) *point = EcPointFromAttribute(ToBuf(s->Get<attr::EcPoint>(p->first)), 65);
        return s->DestroyObject(p->first).has_value() && s->DestroyObject(p->second).has_value();
      };
      Buf point;
      if (!run(&point) || point.size() != 65 || point[0] != 4) return Failed("GenerateKeyPair");
      return {"", [run] { return run(nullptr); }};
    }
    case Op::kGetAttribute: {
      auto label = s_.Get<attr::Label>(t_.aes_);
      if (!label || *label != kAesLabel) return Failed("CKA_LABEL");
      const ObjectHandle key = t_.aes_;
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
      if (std::string e = t_.Populate(arg); !e.empty()) return Failed(e);
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
