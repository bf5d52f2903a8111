// module_bench_pkcs11.cc: the target for any PKCS#11 module, driven through
// its C_GetFunctionList table (ours as "module", SoftHSM v2 as "other").
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>

#include "benchmarks/module_bench.h"
#include "benchmarks/pkcs11_client.h"

namespace cryptoki::bench {
namespace {

constexpr std::string_view kSoPin = "bench-so-pin";
constexpr std::string_view kUserPin = "bench-user-pin";
constexpr std::string_view kAesLabel = "bench-aes";

class Pkcs11Target;

class Pkcs11Thread : public ThreadRunner {
 public:
  Pkcs11Thread(Pkcs11Target& target, Pkcs11Session s) : t_(target), s_(std::move(s)) {}
  Prepared Prepare(Op op, int64_t arg) override;

 private:
  Prepared Symmetric(Op op);
  Prepared SignOrVerify(Op op);
  Prepared Derive(Op op);

  Pkcs11Target& t_;
  Pkcs11Session s_;
};

class Pkcs11Target : public Target {
 public:
  Pkcs11Target(std::string name, int64_t max_find) : name_(std::move(name)), max_find_(max_find) {}

  std::string name() const override { return name_; }
  std::string description() const override { return module_ ? module_->Description() : ""; }
  std::string Supports(Op op) const override {
    auto it = na_.find(op);
    return it == na_.end() ? "" : it->second;
  }
  std::unique_ptr<ThreadRunner> NewThread(std::string* error) override {
    Pkcs11Session s;
    if (CK_RV rv = Pkcs11Session::Open(*module_, slot_, &s); rv != CKR_OK) {
      *error = "C_OpenSession: " + RvName(rv);
      return nullptr;
    }
    return std::make_unique<Pkcs11Thread>(*this, std::move(s));
  }

  // SetUp loads the module, sets up the token, logs in and makes the keys.
  std::string SetUp(const std::string& path);
  // Populate makes sure |n| data objects labelled find-<i> exist.
  std::string Populate(int64_t n);

 private:
  friend class Pkcs11Thread;
  void NotAvailable(Op op, const std::string& why) { na_.emplace(op, "n/a: " + why); }
  // Need marks |ops| n/a unless the token offers |mech| with |flags|.
  void Need(CK_MECHANISM_TYPE mech, CK_FLAGS flags, const char* mech_name,
            std::initializer_list<Op> ops) {
    if (module_->HasMechanism(slot_, mech, flags)) return;
    for (Op op : ops) NotAvailable(op, std::string(mech_name) + " not offered");
  }
  CK_RV MakeSecret(CK_KEY_TYPE type, const Buf& value, bool sign, std::string_view label,
                   CK_OBJECT_HANDLE* out);
  CK_RV MakePair(CK_MECHANISM_TYPE mech, Attrs& pub, Attrs& priv, bool derive,
                 CK_OBJECT_HANDLE* pub_out, CK_OBJECT_HANDLE* priv_out);

  std::string name_;
  int64_t max_find_;
  std::unique_ptr<Pkcs11Module> module_;
  CK_SLOT_ID slot_ = 0;
  Pkcs11Session main_;  // open for the whole run: it keeps the login
  std::map<Op, std::string> na_;

  CK_OBJECT_HANDLE aes_ = 0, hmac_ = 0, chacha_ = 0;
  CK_OBJECT_HANDLE ec_priv_ = 0, ecdh_priv_ = 0, rsa_priv_ = 0, ed_priv_ = 0, x_priv_ = 0;
  CK_OBJECT_HANDLE ec_pub_ = 0, rsa_pub_ = 0, ed_pub_ = 0;
  Buf ec_point_, ecdh_point_, rsa_n_, rsa_e_, ed_point_, x_point_;

  std::mutex find_mu_;
  int64_t population_ = 0;
};

CK_RV Pkcs11Target::MakeSecret(CK_KEY_TYPE type, const Buf& value, bool sign,
                               std::string_view label, CK_OBJECT_HANDLE* out) {
  Attrs t;
  t.Ulong(CKA_CLASS, CKO_SECRET_KEY)
      .Ulong(CKA_KEY_TYPE, type)
      .Bool(CKA_TOKEN, true)
      .Bool(CKA_PRIVATE, true)
      .Bool(CKA_SENSITIVE, true)
      .String(CKA_LABEL, label)
      .Bytes(CKA_VALUE, value);
  if (sign) {
    t.Bool(CKA_SIGN, true).Bool(CKA_VERIFY, true);
  } else {
    t.Bool(CKA_ENCRYPT, true).Bool(CKA_DECRYPT, true);
  }
  return main_.CreateObject(t, out);
}

CK_RV Pkcs11Target::MakePair(CK_MECHANISM_TYPE mech, Attrs& pub, Attrs& priv, bool derive,
                             CK_OBJECT_HANDLE* pub_out, CK_OBJECT_HANDLE* priv_out) {
  pub.Bool(CKA_TOKEN, true).Bool(CKA_PRIVATE, false);
  priv.Bool(CKA_TOKEN, true).Bool(CKA_PRIVATE, true).Bool(CKA_SENSITIVE, true);
  if (derive) {
    priv.Bool(CKA_DERIVE, true);
  } else {
    pub.Bool(CKA_VERIFY, true);
    priv.Bool(CKA_SIGN, true);
  }
  return main_.GenerateKeyPair(mech, pub, priv, pub_out, priv_out);
}

std::string Pkcs11Target::SetUp(const std::string& path) {
  std::string error;
  module_ = Pkcs11Module::Load(path, &error);
  if (!module_) return error;
  std::fprintf(stderr, "[%s] %s: %s\n", name_.c_str(), path.c_str(),
               module_->Description().c_str());
  if (CK_RV rv = module_->SetUpToken("bench", kSoPin, kUserPin, &slot_); rv != CKR_OK)
    return "token set-up: " + RvName(rv);
  if (CK_RV rv = Pkcs11Session::Open(*module_, slot_, &main_); rv != CKR_OK)
    return "C_OpenSession: " + RvName(rv);
  if (CK_RV rv = main_.Login(kUserPin); rv != CKR_OK) return "C_Login: " + RvName(rv);

  Need(CKM_SHA256, CKF_DIGEST, "CKM_SHA256", {Op::kSha256_64, Op::kSha256_8K});
  Need(CKM_SHA256_HMAC, CKF_SIGN, "CKM_SHA256_HMAC", {Op::kHmacSha256_64});
  Need(CKM_AES_GCM, CKF_ENCRYPT, "CKM_AES_GCM", {Op::kAesGcm_1K, Op::kAesGcm_8K});
  Need(CKM_AES_CBC_PAD, CKF_ENCRYPT, "CKM_AES_CBC_PAD", {Op::kAesCbcPad_8K});
  Need(CKM_CHACHA20_POLY1305, CKF_ENCRYPT, "CKM_CHACHA20_POLY1305", {Op::kChaChaPoly_1K});
  Need(CKM_EC_KEY_PAIR_GEN, CKF_GENERATE_KEY_PAIR, "CKM_EC_KEY_PAIR_GEN",
       {Op::kEcdsaP256Sign, Op::kEcdsaP256Verify, Op::kEcdhP256Derive, Op::kEcP256GenerateKeyPair});
  Need(CKM_ECDSA, CKF_SIGN, "CKM_ECDSA", {Op::kEcdsaP256Sign});
  Need(CKM_ECDSA, CKF_VERIFY, "CKM_ECDSA", {Op::kEcdsaP256Verify});
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
  // Keys. A key the module refuses makes its ops n/a (with the reason).
  auto fail = [&](CK_RV rv, const char* what, std::initializer_list<Op> ops) {
    if (rv == CKR_OK) return false;
    for (Op op : ops) NotAvailable(op, std::string(what) + ": " + RvName(rv));
    return true;
  };
  fail(MakeSecret(CKK_AES, in.aes_key, false, kAesLabel, &aes_), "AES key",
       {Op::kAesGcm_1K, Op::kAesGcm_8K, Op::kAesCbcPad_8K, Op::kGetAttribute});
  fail(MakeSecret(CKK_GENERIC_SECRET, in.hmac_key, true, "bench-hmac", &hmac_), "HMAC key",
       {Op::kHmacSha256_64});
  if (!na_.count(Op::kChaChaPoly_1K))
    fail(MakeSecret(CKK_CHACHA20, in.chacha_key, false, "bench-chacha", &chacha_), "ChaCha20 key",
         {Op::kChaChaPoly_1K});

  std::fprintf(stderr, "[%s] generating key pairs (P-256, RSA-2048, Ed25519, X25519)\n",
               name_.c_str());
  Buf v;
  if (!na_.count(Op::kEcdsaP256Sign) || !na_.count(Op::kEcdsaP256Verify)) {
    Attrs pub, priv;
    pub.Bytes(CKA_EC_PARAMS, kP256Params);
    if (!fail(MakePair(CKM_EC_KEY_PAIR_GEN, pub, priv, false, &ec_pub_, &ec_priv_), "P-256 key",
              {Op::kEcdsaP256Sign, Op::kEcdsaP256Verify}) &&
        main_.GetAttribute(ec_pub_, CKA_EC_POINT, &v) == CKR_OK)
      ec_point_ = EcPointFromAttribute(v, 65);
  }
  if (!na_.count(Op::kEcdhP256Derive)) {
    Attrs pub, priv;
    pub.Bytes(CKA_EC_PARAMS, kP256Params);
    CK_OBJECT_HANDLE pub_h;
    if (!fail(MakePair(CKM_EC_KEY_PAIR_GEN, pub, priv, true, &pub_h, &ecdh_priv_), "P-256 key",
              {Op::kEcdhP256Derive}) &&
        main_.GetAttribute(pub_h, CKA_EC_POINT, &v) == CKR_OK)
      ecdh_point_ = EcPointFromAttribute(v, 65);
  }
  if (!na_.count(Op::kRsaPkcs1Sign) || !na_.count(Op::kRsaPssSign)) {
    Attrs pub, priv;
    const uint8_t e[] = {1, 0, 1};
    pub.Ulong(CKA_MODULUS_BITS, 2048).Bytes(CKA_PUBLIC_EXPONENT, e);
    if (!fail(MakePair(CKM_RSA_PKCS_KEY_PAIR_GEN, pub, priv, false, &rsa_pub_, &rsa_priv_),
              "RSA key",
              {Op::kRsaPkcs1Sign, Op::kRsaPkcs1Verify, Op::kRsaPssSign, Op::kRsaPssVerify})) {
      main_.GetAttribute(rsa_pub_, CKA_MODULUS, &rsa_n_);
      main_.GetAttribute(rsa_pub_, CKA_PUBLIC_EXPONENT, &rsa_e_);
    }
  }
  if (!na_.count(Op::kEd25519Sign)) {
    Attrs pub, priv;
    pub.Bytes(CKA_EC_PARAMS, kEd25519Params);
    if (!fail(MakePair(CKM_EC_EDWARDS_KEY_PAIR_GEN, pub, priv, false, &ed_pub_, &ed_priv_),
              "Ed25519 key", {Op::kEd25519Sign, Op::kEd25519Verify}) &&
        main_.GetAttribute(ed_pub_, CKA_EC_POINT, &v) == CKR_OK)
      ed_point_ = EcPointFromAttribute(v, 32);
  }
  if (!na_.count(Op::kX25519Derive)) {
    Attrs pub, priv;
    pub.Bytes(CKA_EC_PARAMS, kX25519Params);
    CK_OBJECT_HANDLE pub_h;
    if (!fail(MakePair(CKM_EC_MONTGOMERY_KEY_PAIR_GEN, pub, priv, true, &pub_h, &x_priv_),
              "X25519 key", {Op::kX25519Derive}) &&
        main_.GetAttribute(pub_h, CKA_EC_POINT, &v) == CKR_OK)
      x_point_ = EcPointFromAttribute(v, 32);
  }
  for (const auto& [op, why] : na_)
    std::fprintf(stderr, "[%s] %s: %s\n", name_.c_str(), OpName(op), why.c_str());
  return "";
}

std::string Pkcs11Target::Populate(int64_t n) {
  std::lock_guard<std::mutex> lock(find_mu_);
  if (population_ >= n) return "";
  const auto start = std::chrono::steady_clock::now();
  std::fprintf(stderr, "[%s] creating data objects %lld..%lld for find\n", name_.c_str(),
               static_cast<long long>(population_), static_cast<long long>(n - 1));
  const int64_t step = std::max<int64_t>(1, (n - population_) / 10);
  for (int64_t i = population_; i < n; ++i) {
    Attrs t;
    const uint8_t value[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    t.Ulong(CKA_CLASS, CKO_DATA)
        .Bool(CKA_TOKEN, true)
        .Bool(CKA_PRIVATE, false)
        .String(CKA_LABEL, "find-" + std::to_string(i))
        .Bytes(CKA_VALUE, value);
    CK_OBJECT_HANDLE h;
    if (CK_RV rv = main_.CreateObject(t, &h); rv != CKR_OK) return "C_CreateObject: " + RvName(rv);
    population_ = i + 1;
    if ((i + 1 - 0) % step == 0 || i + 1 == n) {
      const double s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::fprintf(stderr, "[%s]   %lld/%lld objects, %.1f s\n", name_.c_str(),
                   static_cast<long long>(i + 1), static_cast<long long>(n), s);
    }
  }
  return "";
}

Prepared Pkcs11Thread::Symmetric(Op op) {
  const Inputs& in = Inputs::Get();
  const ByteSpan msg = OpMessage(op);
  struct State {
    CK_MECHANISM m{};
    CK_GCM_PARAMS gcm{};
    CK_SALSA20_CHACHA20_POLY1305_PARAMS chacha{};
    Buf iv;
    Buf out;
    CK_OBJECT_HANDLE key = 0;
  };
  auto st = std::make_shared<State>();
  st->out.resize(msg.size() + 32);
  Buf expect;
  switch (op) {
    case Op::kSha256_64:
    case Op::kSha256_8K:
      st->m = {CKM_SHA256, nullptr, 0};
      expect = Sha256(msg);
      break;
    case Op::kHmacSha256_64:
      st->m = {CKM_SHA256_HMAC, nullptr, 0};
      st->key = t_.hmac_;
      expect = HmacSha256(in.hmac_key, msg);
      break;
    case Op::kAesGcm_1K:
    case Op::kAesGcm_8K:
      st->iv = in.iv12;
      st->gcm = {st->iv.data(), st->iv.size(), st->iv.size() * 8, nullptr, 0, 128};
      st->m = {CKM_AES_GCM, &st->gcm, sizeof st->gcm};
      st->key = t_.aes_;
      expect = AesGcmSeal(in.aes_key, in.iv12, msg);
      break;
    case Op::kAesCbcPad_8K:
      st->iv = in.iv16;
      st->m = {CKM_AES_CBC_PAD, st->iv.data(), st->iv.size()};
      st->key = t_.aes_;
      expect = AesCbcPadEncrypt(in.aes_key, in.iv16, msg);
      break;
    case Op::kChaChaPoly_1K:
      st->iv = in.iv12;
      st->chacha = {st->iv.data(), st->iv.size(), nullptr, 0};
      st->m = {CKM_CHACHA20_POLY1305, &st->chacha, sizeof st->chacha};
      st->key = t_.chacha_;
      expect = ChaChaPolySeal(in.chacha_key, in.iv12, msg);
      break;
    default:
      return Failed("not symmetric");
  }
  // Check one result against BoringSSL's.
  const bool digest = op == Op::kSha256_64 || op == Op::kSha256_8K;
  const bool mac = op == Op::kHmacSha256_64;
  CK_ULONG len = 0;
  CK_RV rv = digest ? s_.Digest(st->m, msg, st->out, &len)
             : mac  ? s_.Sign(st->m, st->key, msg, st->out, &len)
                    : s_.Encrypt(st->m, st->key, msg, st->out, &len);
  if (rv != CKR_OK) return Failed(RvName(rv));
  if (Buf(st->out.begin(), st->out.begin() + len) != expect)
    return Failed("output differs from BoringSSL's: " + Hex(ByteSpan(st->out).first(len)));
  if (!digest && !mac) {
    // And the ciphertext decrypts back.
    Buf plain(msg.size() + 32);
    CK_ULONG plen = 0;
    if (CK_RV drv = s_.Decrypt(st->m, st->key, ByteSpan(st->out).first(len), plain, &plen);
        drv != CKR_OK || plen != msg.size() || !std::equal(msg.begin(), msg.end(), plain.begin()))
      return Failed("decrypt: " + RvName(drv));
  }
  const Pkcs11Session* s = &s_;
  if (digest) {
    return {"", [s, st, msg] {
              CK_ULONG len;
              return s->Digest(st->m, msg, st->out, &len) == CKR_OK;
            }};
  }
  if (mac) {
    return {"", [s, st, msg] {
              CK_ULONG len;
              return s->Sign(st->m, st->key, msg, st->out, &len) == CKR_OK;
            }};
  }
  return {"", [s, st, msg] {
            CK_ULONG len;
            return s->Encrypt(st->m, st->key, msg, st->out, &len) == CKR_OK;
          }};
}

Prepared Pkcs11Thread::SignOrVerify(Op op) {
  const ByteSpan msg = OpMessage(op);
  struct State {
    CK_MECHANISM m{};
    CK_RSA_PKCS_PSS_PARAMS pss{CKM_SHA256, CKG_MGF1_SHA256, 32};
    Buf sig = Buf(512);
    CK_ULONG sig_len = 0;
  };
  auto st = std::make_shared<State>();
  CK_OBJECT_HANDLE priv = 0, pub = 0;
  std::function<bool(ByteSpan)> check;
  switch (op) {
    case Op::kEcdsaP256Sign:
    case Op::kEcdsaP256Verify:
      st->m = {CKM_ECDSA, nullptr, 0};
      priv = t_.ec_priv_, pub = t_.ec_pub_;
      check = [&](ByteSpan sig) { return EcdsaP256Verify(t_.ec_point_, msg, sig); };
      break;
    case Op::kRsaPkcs1Sign:
    case Op::kRsaPkcs1Verify:
      st->m = {CKM_SHA256_RSA_PKCS, nullptr, 0};
      priv = t_.rsa_priv_, pub = t_.rsa_pub_;
      check = [&](ByteSpan sig) { return RsaPkcs1Sha256Verify(t_.rsa_n_, t_.rsa_e_, msg, sig); };
      break;
    case Op::kRsaPssSign:
    case Op::kRsaPssVerify:
      st->m = {CKM_SHA256_RSA_PKCS_PSS, &st->pss, sizeof st->pss};
      priv = t_.rsa_priv_, pub = t_.rsa_pub_;
      check = [&](ByteSpan sig) { return RsaPssSha256Verify(t_.rsa_n_, t_.rsa_e_, msg, sig); };
      break;
    case Op::kEd25519Sign:
    case Op::kEd25519Verify:
      st->m = {CKM_EDDSA, nullptr, 0};
      priv = t_.ed_priv_, pub = t_.ed_pub_;
      check = [&](ByteSpan sig) { return Ed25519Verify(t_.ed_point_, msg, sig); };
      break;
    default:
      return Failed("not a signature op");
  }
  CK_RV rv = s_.Sign(st->m, priv, msg, st->sig, &st->sig_len);
  if (rv != CKR_OK) return Failed("C_Sign: " + RvName(rv));
  if (!check(ByteSpan(st->sig).first(st->sig_len)))
    return Failed("signature does not verify with BoringSSL");
  rv = s_.Verify(st->m, pub, msg, ByteSpan(st->sig).first(st->sig_len));
  if (rv != CKR_OK) return Failed("C_Verify: " + RvName(rv));
  const Pkcs11Session* s = &s_;
  const bool sign = op == Op::kEcdsaP256Sign || op == Op::kRsaPkcs1Sign || op == Op::kRsaPssSign ||
                    op == Op::kEd25519Sign;
  if (sign) {
    return {"", [s, st, priv, msg] {
              CK_ULONG len;
              return s->Sign(st->m, priv, msg, st->sig, &len) == CKR_OK;
            }};
  }
  return {"", [s, st, pub, msg] {
            return s->Verify(st->m, pub, msg, ByteSpan(st->sig).first(st->sig_len)) == CKR_OK;
          }};
}

// Derive times C_DeriveKey plus the C_DestroyObject of the derived session
// key (a loop that kept them would measure a growing token).
Prepared Pkcs11Thread::Derive(Op op) {
  const Inputs& in = Inputs::Get();
  struct State {
    CK_ECDH1_DERIVE_PARAMS params{};
    CK_MECHANISM m{};
    Buf peer;
    Attrs tmpl;
  };
  auto st = std::make_shared<State>();
  const bool x = op == Op::kX25519Derive;
  st->peer = x ? in.x25519_peer_public : in.p256_peer_public;
  st->params = {CKD_NULL, 0, nullptr, static_cast<CK_ULONG>(st->peer.size()), st->peer.data()};
  st->m = {CKM_ECDH1_DERIVE, &st->params, sizeof st->params};
  st->tmpl.Ulong(CKA_CLASS, CKO_SECRET_KEY)
      .Ulong(CKA_KEY_TYPE, CKK_GENERIC_SECRET)
      .Ulong(CKA_VALUE_LEN, 32)
      .Bool(CKA_TOKEN, false)
      .Bool(CKA_SENSITIVE, false)
      .Bool(CKA_EXTRACTABLE, true);
  const CK_OBJECT_HANDLE base = x ? t_.x_priv_ : t_.ecdh_priv_;
  CK_OBJECT_HANDLE h;
  if (CK_RV rv = s_.Derive(st->m, base, st->tmpl, &h); rv != CKR_OK)
    return Failed("C_DeriveKey: " + RvName(rv));
  Buf value;
  CK_RV rv = s_.GetAttribute(h, CKA_VALUE, &value);
  s_.DestroyObject(h);
  if (rv != CKR_OK) return Failed("CKA_VALUE of the derived key: " + RvName(rv));
  const Buf expect = x ? X25519Shared(in.x25519_peer_private, t_.x_point_)
                       : EcdhP256Shared(in.p256_peer_private, t_.ecdh_point_);
  if (value != expect) return Failed("shared secret differs from BoringSSL's");
  const Pkcs11Session* s = &s_;
  return {"", [s, st, base] {
            CK_OBJECT_HANDLE h;
            return s->Derive(st->m, base, st->tmpl, &h) == CKR_OK && s->DestroyObject(h) == CKR_OK;
          }};
}

Prepared Pkcs11Thread::Prepare(Op op, int64_t arg) {
  if (std::string why = t_.Supports(op); !why.empty()) return {why, nullptr};
  const Pkcs11Session* s = &s_;
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
      if (s_.GenerateRandom(a) != CKR_OK || s_.GenerateRandom(b) != CKR_OK || a == b ||
          a == Buf(32))
        return Failed("C_GenerateRandom");
      return {"", [s, out] { return s->GenerateRandom(*out) == CKR_OK; }};
    }
    case Op::kEcP256GenerateKeyPair: {
      // Session keys, destroyed again inside the loop.
      auto run = [s](Buf* point) {
        Attrs pub, priv;
        pub.Bytes(CKA_EC_PARAMS, kP256Params).Bool(CKA_TOKEN, false).Bool(CKA_VERIFY, true);
        priv.Bool(CKA_TOKEN, false).Bool(CKA_SIGN, true).Bool(CKA_SENSITIVE, true);
        CK_OBJECT_HANDLE pub_h, priv_h;
        if (s->GenerateKeyPair(CKM_EC_KEY_PAIR_GEN, pub, priv, &pub_h, &priv_h) != CKR_OK)
          return false;
        if (point) {
          Buf v;
          s->GetAttribute(pub_h, CKA_EC_POINT, &v);
          *point = EcPointFromAttribute(v, 65);
        }
        return s->DestroyObject(pub_h) == CKR_OK && s->DestroyObject(priv_h) == CKR_OK;
      };
      Buf point;
      if (!run(&point) || point.size() != 65 || point[0] != 4) return Failed("C_GenerateKeyPair");
      return {"", [run] { return run(nullptr); }};
    }
    case Op::kGetAttribute: {
      Buf v;
      if (CK_RV rv = s_.GetAttribute(t_.aes_, CKA_LABEL, &v);
          rv != CKR_OK || v != Buf(kAesLabel.begin(), kAesLabel.end()))
        return Failed("CKA_LABEL: " + RvName(rv));
      auto buf = std::make_shared<Buf>(64);
      const CK_OBJECT_HANDLE key = t_.aes_;
      return {"", [s, buf, key] {
                CK_ATTRIBUTE a{CKA_LABEL, buf->data(), static_cast<CK_ULONG>(buf->size())};
                return s->f()->C_GetAttributeValue(s->handle(), key, &a, 1) == CKR_OK;
              }};
    }
    case Op::kSessionOpenClose: {
      CK_FUNCTION_LIST* f = s_.f();
      const CK_SLOT_ID slot = t_.slot_;
      return {"", [f, slot] {
                CK_SESSION_HANDLE h;
                return f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr,
                                        &h) == CKR_OK &&
                       f->C_CloseSession(h) == CKR_OK;
              }};
    }
    case Op::kFind: {
      if (t_.max_find_ > 0 && arg > t_.max_find_)
        return NotAvailable("population capped at " + std::to_string(t_.max_find_) +
                            " objects (--other_find_max): creating them is too slow");
      if (std::string e = t_.Populate(arg); !e.empty()) return Failed(e);
      const std::string label = "find-" + std::to_string(arg / 2);
      auto tmpl = std::make_shared<Attrs>();
      tmpl->Ulong(CKA_CLASS, CKO_DATA).String(CKA_LABEL, label);
      CK_OBJECT_HANDLE found[2];
      CK_ULONG n = 0;
      if (CK_RV rv = s_.FindObjects(*tmpl, found, &n); rv != CKR_OK || n != 1)
        return Failed("find: " + RvName(rv) + ", " + std::to_string(n) + " found");
      Buf v;
      if (s_.GetAttribute(found[0], CKA_LABEL, &v) != CKR_OK ||
          v != Buf(label.begin(), label.end()))
        return Failed("found the wrong object");
      return {"", [s, tmpl] {
                CK_OBJECT_HANDLE out[2];
                CK_ULONG n = 0;
                return s->FindObjects(*tmpl, out, &n) == CKR_OK && n == 1;
              }};
    }
  }
  return Failed("unknown op");
}

}  // namespace

std::unique_ptr<Target> MakePkcs11Target(const std::string& name, const std::string& path,
                                         int64_t max_find, std::string* error) {
  auto t = std::make_unique<Pkcs11Target>(name, max_find);
  if (std::string e = t->SetUp(path); !e.empty()) {
    *error = e;
    return nullptr;
  }
  return t;
}

}  // namespace cryptoki::bench
