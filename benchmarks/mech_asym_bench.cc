// Asymmetric costs through the C++ API against the direct BoringSSL call on
// the same key: sign and verify (RSA-2048/3072/4096/8192 PKCS#1 SHA-256,
// ECDSA P-256/P-384/P-521/P-224, Ed25519), RSA-OAEP encrypt and decrypt
// (RSA-2048/3072/4096), derive (ECDH on P-256/P-384/P-521, X25519,
// DH-2048), key-pair generation (every one of those) and key import
// (C_CreateObject, which parses and checks the key, against BoringSSL
// parsing it), on 1 and 2 threads (each thread with its own session; keys
// are shared objects). The RSA-8192 key takes BoringSSL tens of seconds to
// make at start-up, and each RSA-8192 generation benchmark runs one key per
// thread.
// BM_*_CAbi run the same through the C functions (C_SignInit / C_Sign ...),
// as a client of the module sees them.
//
//   bazel run -c opt //benchmarks:mech_asym_bench
#include <benchmark/benchmark.h>
#include <openssl/bn.h>
#include <openssl/curve25519.h>
#include <openssl/dh.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/ecdh.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/nid.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "benchmarks/reference.h"
#include "cryptoki/cryptoki.h"
#include "cryptoki/mech/asym.h"
#include "cryptoki/mech/ec.h"
#include "cryptoki/mechanism.h"
#include "cryptoki/memory_store.h"
#include "pkcs11.h"

extern "C" CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR);

namespace cryptoki {
namespace {

template <class T>
T Check(Result<T> r, const char* what) {
  if (!r) {
    std::fprintf(stderr, "%s: %s\n", what, to_string(r.error()).c_str());
    std::abort();
  }
  return std::move(*r);
}

// SignKey is one signing key: the token's pair and BoringSSL's own copy.
struct SignKey {
  std::string name;
  Mechanism mechanism;
  const EVP_MD* md = EVP_sha256();  // the hash |mechanism| signs with
  ObjectHandle pub, priv;
  bssl::UniquePtr<RSA> rsa;
  bssl::UniquePtr<EC_KEY> ec;
  uint8_t ed_priv[64], ed_pub[32];
};

// DeriveKey is one key-agreement key and a peer public value.
struct AgreeKey {
  std::string name;
  ObjectHandle priv;
  Bytes peer;  // public value for the token
  bssl::UniquePtr<EC_KEY> ec;
  bssl::UniquePtr<EC_POINT> peer_point;
  uint8_t x_priv[32];
  bssl::UniquePtr<DH> dh;
  bssl::UniquePtr<BIGNUM> peer_bn;
};

struct Fixture {
  std::unique_ptr<Library> lib;
  std::shared_ptr<Token> token;
  std::optional<Session> session;
  std::vector<std::unique_ptr<SignKey>> sign;
  std::vector<std::unique_ptr<AgreeKey>> agree;
};

Bytes N(const BIGNUM* bn) { return mech::BnBytes(bn); }

// ImportTemplate is the private key template of signing key |k| (RSA with
// its CRT values, EC, Ed25519), as an application imports it.
Template ImportTemplate(const SignKey& k) {
  if (k.rsa) {
    const RSA* r = k.rsa.get();
    return {attr::Class{CKO_PRIVATE_KEY},
            attr::KeyType{CKK_RSA},
            attr::Modulus{N(RSA_get0_n(r))},
            attr::PublicExponent{N(RSA_get0_e(r))},
            Attribute(CKA_PRIVATE_EXPONENT, ByteView(N(RSA_get0_d(r)))),
            Attribute(CKA_PRIME_1, ByteView(N(RSA_get0_p(r)))),
            Attribute(CKA_PRIME_2, ByteView(N(RSA_get0_q(r)))),
            Attribute(CKA_EXPONENT_1, ByteView(N(RSA_get0_dmp1(r)))),
            Attribute(CKA_EXPONENT_2, ByteView(N(RSA_get0_dmq1(r)))),
            Attribute(CKA_COEFFICIENT, ByteView(N(RSA_get0_iqmp(r))))};
  }
  if (k.ec) {
    return {attr::Class{CKO_PRIVATE_KEY}, attr::KeyType{CKK_EC},
            attr::EcParams{mech::CurveOid(EC_GROUP_get_curve_name(EC_KEY_get0_group(k.ec.get())))},
            attr::Value{N(EC_KEY_get0_private_key(k.ec.get()))}};
  }
  return {attr::Class{CKO_PRIVATE_KEY}, attr::KeyType{CKK_EC_EDWARDS},
          attr::EcParams{mech::CurveOid(NID_ED25519)},
          attr::Value{Bytes(k.ed_priv, k.ed_priv + 32)}};
}

void AddRsa(Fixture& f, int bits) {
  auto k = std::make_unique<SignKey>();
  k->name = "RSA-" + std::to_string(bits);
  k->mechanism = Mechanism{CKM_SHA256_RSA_PKCS};
  k->rsa.reset(RSA_new());
  bssl::UniquePtr<BIGNUM> e(BN_new());
  BN_set_word(e.get(), RSA_F4);
  if (!RSA_generate_key_ex(k->rsa.get(), bits, e.get(), nullptr)) std::abort();
  const RSA* r = k->rsa.get();
  k->pub = Check(f.session->CreateObject({attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_RSA},
                                          attr::Modulus{N(RSA_get0_n(r))},
                                          attr::PublicExponent{N(RSA_get0_e(r))}}),
                 "rsa pub");
  k->priv = Check(f.session->CreateObject(ImportTemplate(*k)), "rsa priv");
  f.sign.push_back(std::move(k));
}

void AddEc(Fixture& f, int nid, const char* name, CK_MECHANISM_TYPE m, const EVP_MD* md) {
  auto k = std::make_unique<SignKey>();
  k->name = name;
  k->mechanism = Mechanism{m};
  k->md = md;
  k->ec.reset(EC_KEY_new_by_curve_name(nid));
  if (!EC_KEY_generate_key(k->ec.get())) std::abort();
  const EC_GROUP* g = EC_KEY_get0_group(k->ec.get());
  Bytes point(EC_POINT_point2oct(g, EC_KEY_get0_public_key(k->ec.get()),
                                 POINT_CONVERSION_UNCOMPRESSED, nullptr, 0, nullptr));
  EC_POINT_point2oct(g, EC_KEY_get0_public_key(k->ec.get()), POINT_CONVERSION_UNCOMPRESSED,
                     point.data(), point.size(), nullptr);
  const Bytes oid = mech::CurveOid(nid);
  k->pub = Check(
      f.session->CreateObject({attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_EC},
                               attr::EcParams{oid}, attr::EcPoint{mech::DerOctetString(point)}}),
      "ec pub");
  Template priv = ImportTemplate(*k);
  priv.Add(attr::Derive{true});
  k->priv = Check(f.session->CreateObject(priv), "ec priv");
  f.sign.push_back(std::move(k));
}

void AddEd25519(Fixture& f) {
  auto k = std::make_unique<SignKey>();
  k->name = "Ed25519";
  k->mechanism = Mechanism{CKM_EDDSA};
  uint8_t seed[32];
  for (int i = 0; i < 32; ++i) seed[i] = static_cast<uint8_t>(i * 7 + 1);
  ED25519_keypair_from_seed(k->ed_pub, k->ed_priv, seed);
  const Bytes oid = mech::CurveOid(NID_ED25519);
  k->pub = Check(f.session->CreateObject({attr::Class{CKO_PUBLIC_KEY},
                                          attr::KeyType{CKK_EC_EDWARDS}, attr::EcParams{oid},
                                          attr::EcPoint{Bytes(k->ed_pub, k->ed_pub + 32)}}),
                 "ed pub");
  k->priv = Check(f.session->CreateObject(ImportTemplate(*k)), "ed priv");
  f.sign.push_back(std::move(k));
}

void AddAgreement(Fixture& f) {
  // ECDH on each curve, reusing the signing keys' private halves.
  for (int i : {3, 4, 5}) {
    auto a = std::make_unique<AgreeKey>();
    const SignKey& s = *f.sign[i];
    a->name = "ECDH-" + s.name;
    a->priv = s.priv;
    a->ec.reset(EC_KEY_dup(s.ec.get()));
    const EC_GROUP* g = EC_KEY_get0_group(s.ec.get());
    bssl::UniquePtr<EC_KEY> peer(EC_KEY_new());
    EC_KEY_set_group(peer.get(), g);
    EC_KEY_generate_key(peer.get());
    a->peer.resize(EC_POINT_point2oct(g, EC_KEY_get0_public_key(peer.get()),
                                      POINT_CONVERSION_UNCOMPRESSED, nullptr, 0, nullptr));
    EC_POINT_point2oct(g, EC_KEY_get0_public_key(peer.get()), POINT_CONVERSION_UNCOMPRESSED,
                       a->peer.data(), a->peer.size(), nullptr);
    a->peer_point.reset(EC_POINT_dup(EC_KEY_get0_public_key(peer.get()), g));
    f.agree.push_back(std::move(a));
  }
  {
    auto a = std::make_unique<AgreeKey>();
    a->name = "X25519";
    uint8_t pub[32], peer_priv[32];
    X25519_keypair(pub, a->x_priv);
    a->peer.resize(32);
    X25519_keypair(a->peer.data(), peer_priv);
    a->priv = Check(f.session->CreateObject(
                        {attr::Class{CKO_PRIVATE_KEY}, attr::KeyType{CKK_EC_MONTGOMERY},
                         attr::EcParams{mech::CurveOid(NID_X25519)},
                         attr::Value{Bytes(a->x_priv, a->x_priv + 32)}, attr::Derive{true}}),
                    "x25519");
    f.agree.push_back(std::move(a));
  }
  {
    auto a = std::make_unique<AgreeKey>();
    a->name = "DH-2048";
    a->dh = bench::Ffdhe2048Dh();
    DH_generate_key(a->dh.get());
    bssl::UniquePtr<DH> peer(DH_get_rfc7919_2048());
    DH_generate_key(peer.get());
    a->peer = N(DH_get0_pub_key(peer.get()));
    a->peer_bn.reset(BN_dup(DH_get0_pub_key(peer.get())));
    a->priv = Check(f.session->CreateObject(
                        {attr::Class{CKO_PRIVATE_KEY}, attr::KeyType{CKK_DH},
                         Attribute(CKA_PRIME, ByteView(N(DH_get0_p(a->dh.get())))),
                         Attribute(CKA_BASE, ByteView(N(DH_get0_g(a->dh.get())))),
                         attr::Value{N(DH_get0_priv_key(a->dh.get()))}, attr::Derive{true}}),
                    "dh");
    f.agree.push_back(std::move(a));
  }
}

Fixture& Keys() {
  static Fixture* f = [] {
    auto* fx = new Fixture;
    auto config = ParseConfig("pin.kdf_log2n = 4\nobjectstore.backend = memory\n", "bench");
    fx->lib = Check(Library::Create(*config, std::make_unique<MemoryStore>()), "library");
    fx->token = Check(fx->lib->GetToken(fx->lib->Slots()[0]), "token");
    Check(Result<bool>(fx->token->InitToken("so-pin-1234", "bench").has_value()), "init");
    fx->session.emplace(Check(fx->token->OpenSession(SessionKind::kReadWrite), "session"));
    if (!fx->session->Login(CKU_SO, "so-pin-1234") || !fx->session->InitPin("user-pin-1234") ||
        !fx->session->Logout() || !fx->session->Login(CKU_USER, "user-pin-1234")) {
      std::abort();
    }
    AddRsa(*fx, 2048);
    AddRsa(*fx, 3072);
    AddRsa(*fx, 4096);
    AddEc(*fx, NID_X9_62_prime256v1, "P-256", CKM_ECDSA_SHA256, EVP_sha256());
    AddEc(*fx, NID_secp384r1, "P-384", CKM_ECDSA_SHA384, EVP_sha384());
    AddEc(*fx, NID_secp521r1, "P-521", CKM_ECDSA_SHA512, EVP_sha512());
    AddEd25519(*fx);
    AddAgreement(*fx);  // before these two: it takes the EC keys by index
    AddRsa(*fx, 8192);
    AddEc(*fx, NID_secp224r1, "P-224", CKM_ECDSA_SHA224, EVP_sha224());
    return fx;
  }();
  return *f;
}

const Bytes kMsg(64, 0x5a);

// TimeMaking times |make| (which makes objects and returns their handles,
// none on failure), destroying what it made outside the timing.
template <class F>
void TimeMaking(benchmark::State& state, Session& s, F make) {
  for (auto _ : state) {
    const std::vector<ObjectHandle> made = make();
    if (made.empty()) state.SkipWithError("making the object failed");
    state.PauseTiming();
    for (ObjectHandle h : made) (void)s.DestroyObject(h);
    state.ResumeTiming();
  }
}
constexpr int kSignKeys = 9;
constexpr int kAgreeKeys = 5;

// ThreadSession opens a session for the calling benchmark thread.
Session OpenSession() { return Check(Keys().token->OpenSession(SessionKind::kReadWrite), "open"); }

void BM_Sign_Token(benchmark::State& state) {
  const SignKey& k = *Keys().sign[state.range(0)];
  Session s = OpenSession();
  Bytes sig(1024);
  for (auto _ : state) {
    if (!SignInit(s, k.mechanism, k.priv)) state.SkipWithError("SignInit");
    Output out = Output::Into(sig);
    if (!s.OneShot(OpKind::kSign, kMsg, out)) state.SkipWithError("Sign");
    benchmark::DoNotOptimize(sig.data());
  }
  state.SetLabel(k.name);
}
BENCHMARK(BM_Sign_Token)->DenseRange(0, kSignKeys - 1)->Threads(1)->Threads(2)->UseRealTime();

void BM_Sign_BoringSsl(benchmark::State& state) {
  const SignKey& k = *Keys().sign[state.range(0)];
  Bytes sig(1024);
  for (auto _ : state) {
    if (k.rsa) {
      uint8_t d[32];
      SHA256(kMsg.data(), kMsg.size(), d);
      unsigned len = 0;
      RSA_sign(NID_sha256, d, 32, sig.data(), &len, k.rsa.get());
    } else if (k.ec) {
      uint8_t d[64];
      unsigned len = 0;
      EVP_Digest(kMsg.data(), kMsg.size(), d, &len, k.md, nullptr);
      bssl::UniquePtr<ECDSA_SIG> es(ECDSA_do_sign(d, len, k.ec.get()));
      benchmark::DoNotOptimize(es.get());
    } else {
      ED25519_sign(sig.data(), kMsg.data(), kMsg.size(), k.ed_priv);
    }
    benchmark::DoNotOptimize(sig.data());
  }
  state.SetLabel(k.name);
}
BENCHMARK(BM_Sign_BoringSsl)->DenseRange(0, kSignKeys - 1)->Threads(1)->Threads(2)->UseRealTime();

void BM_Verify_Token(benchmark::State& state) {
  const SignKey& k = *Keys().sign[state.range(0)];
  Session s = OpenSession();
  if (!SignInit(s, k.mechanism, k.priv)) std::abort();
  Bytes sig(1024);
  Output out = Output::Into(sig);
  if (!s.OneShot(OpKind::kSign, kMsg, out)) std::abort();
  sig.resize(out.length);
  for (auto _ : state) {
    if (!VerifyInit(s, k.mechanism, k.pub)) state.SkipWithError("VerifyInit");
    if (!s.VerifyOneShot(OpKind::kVerify, kMsg, sig)) state.SkipWithError("Verify");
  }
  state.SetLabel(k.name);
}
BENCHMARK(BM_Verify_Token)->DenseRange(0, kSignKeys - 1)->Threads(1)->Threads(2)->UseRealTime();

void BM_Verify_BoringSsl(benchmark::State& state) {
  const SignKey& k = *Keys().sign[state.range(0)];
  Bytes sig(1024);
  uint8_t d[64];
  unsigned dlen = 0;
  const EVP_MD* md = k.md;
  EVP_Digest(kMsg.data(), kMsg.size(), d, &dlen, md, nullptr);
  unsigned slen = 0;
  bssl::UniquePtr<ECDSA_SIG> es;
  if (k.rsa) {
    RSA_sign(NID_sha256, d, dlen, sig.data(), &slen, k.rsa.get());
  } else if (k.ec) {
    es.reset(ECDSA_do_sign(d, dlen, k.ec.get()));
  } else {
    ED25519_sign(sig.data(), kMsg.data(), kMsg.size(), k.ed_priv);
  }
  for (auto _ : state) {
    int ok;
    if (k.rsa) {
      ok = RSA_verify(NID_sha256, d, dlen, sig.data(), slen, k.rsa.get());
    } else if (k.ec) {
      EVP_Digest(kMsg.data(), kMsg.size(), d, &dlen, md, nullptr);
      ok = ECDSA_do_verify(d, dlen, es.get(), k.ec.get());
    } else {
      ok = ED25519_verify(kMsg.data(), kMsg.size(), sig.data(), k.ed_pub);
    }
    if (!ok) state.SkipWithError("verify");
  }
  state.SetLabel(k.name);
}
BENCHMARK(BM_Verify_BoringSsl)->DenseRange(0, kSignKeys - 1)->Threads(1)->Threads(2)->UseRealTime();

void BM_DecryptOaep_Token(benchmark::State& state) {
  const SignKey& k = *Keys().sign[state.range(0)];
  Session s = OpenSession();
  const Mechanism m{CKM_RSA_PKCS_OAEP, mech::RsaOaepParams{CKM_SHA256, CKG_MGF1_SHA256, {}}};
  if (!EncryptInit(s, m, k.pub)) std::abort();
  Bytes c(1024), p(1024);
  Output out = Output::Into(c);
  if (!s.OneShot(OpKind::kEncrypt, ByteView(kMsg).first(32), out)) std::abort();
  c.resize(out.length);
  for (auto _ : state) {
    if (!DecryptInit(s, m, k.priv)) state.SkipWithError("DecryptInit");
    Output o = Output::Into(p);
    if (!s.OneShot(OpKind::kDecrypt, c, o)) state.SkipWithError("Decrypt");
  }
  state.SetLabel(k.name);
}
BENCHMARK(BM_DecryptOaep_Token)->DenseRange(0, 2)->Threads(1)->Threads(2)->UseRealTime();

void BM_EncryptOaep_Token(benchmark::State& state) {
  const SignKey& k = *Keys().sign[state.range(0)];
  Session s = OpenSession();
  const Mechanism m{CKM_RSA_PKCS_OAEP, mech::RsaOaepParams{CKM_SHA256, CKG_MGF1_SHA256, {}}};
  Bytes c(1024);
  for (auto _ : state) {
    if (!EncryptInit(s, m, k.pub)) state.SkipWithError("EncryptInit");
    Output o = Output::Into(c);
    if (!s.OneShot(OpKind::kEncrypt, ByteView(kMsg).first(32), o)) state.SkipWithError("Encrypt");
    benchmark::DoNotOptimize(c.data());
  }
  state.SetLabel(k.name);
}
BENCHMARK(BM_EncryptOaep_Token)->DenseRange(0, 2)->Threads(1)->Threads(2)->UseRealTime();

// OaepCtx returns an RSA-OAEP (SHA-256, MGF1-SHA-256) context on |pkey|.
bssl::UniquePtr<EVP_PKEY_CTX> OaepCtx(EVP_PKEY* pkey, bool encrypt) {
  bssl::UniquePtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new(pkey, nullptr));
  if (!ctx ||
      (encrypt ? EVP_PKEY_encrypt_init(ctx.get()) : EVP_PKEY_decrypt_init(ctx.get())) != 1 ||
      !EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) ||
      !EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha256()) ||
      !EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256())) {
    std::abort();
  }
  return ctx;
}

void BM_EncryptOaep_BoringSsl(benchmark::State& state) {
  const SignKey& k = *Keys().sign[state.range(0)];
  bssl::UniquePtr<EVP_PKEY> pkey(EVP_PKEY_new());
  EVP_PKEY_set1_RSA(pkey.get(), k.rsa.get());
  uint8_t c[1024];
  for (auto _ : state) {
    auto ctx = OaepCtx(pkey.get(), true);
    size_t len = sizeof c;
    if (EVP_PKEY_encrypt(ctx.get(), c, &len, kMsg.data(), 32) != 1) state.SkipWithError("encrypt");
    benchmark::DoNotOptimize(c);
  }
  state.SetLabel(k.name);
}
BENCHMARK(BM_EncryptOaep_BoringSsl)->DenseRange(0, 2)->Threads(1)->Threads(2)->UseRealTime();

void BM_DecryptOaep_BoringSsl(benchmark::State& state) {
  const SignKey& k = *Keys().sign[state.range(0)];
  bssl::UniquePtr<EVP_PKEY> pkey(EVP_PKEY_new());
  EVP_PKEY_set1_RSA(pkey.get(), k.rsa.get());
  uint8_t c[1024], p[1024];
  size_t clen = sizeof c;
  if (EVP_PKEY_encrypt(OaepCtx(pkey.get(), true).get(), c, &clen, kMsg.data(), 32) != 1) {
    std::abort();
  }
  for (auto _ : state) {
    auto ctx = OaepCtx(pkey.get(), false);
    size_t len = sizeof p;
    if (EVP_PKEY_decrypt(ctx.get(), p, &len, c, clen) != 1) state.SkipWithError("decrypt");
    benchmark::DoNotOptimize(p);
  }
  state.SetLabel(k.name);
}
BENCHMARK(BM_DecryptOaep_BoringSsl)->DenseRange(0, 2)->Threads(1)->Threads(2)->UseRealTime();

void BM_Derive_Token(benchmark::State& state) {
  const AgreeKey& a = *Keys().agree[state.range(0)];
  Session s = OpenSession();
  const Mechanism m =
      a.dh ? Mechanism{CKM_DH_PKCS_DERIVE, mech::RawParams{a.peer}}
           : Mechanism{CKM_ECDH1_DERIVE, mech::Ecdh1DeriveParams{CKD_NULL, {}, a.peer}};
  const Template tmpl{attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_GENERIC_SECRET},
                      attr::ValueLen{32}};
  TimeMaking(state, s, [&]() -> std::vector<ObjectHandle> {
    auto h = DeriveKey(s, m, a.priv, tmpl);
    if (!h) return {};
    return {*h};
  });
  state.SetLabel(a.name);
}
BENCHMARK(BM_Derive_Token)->DenseRange(0, kAgreeKeys - 1)->Threads(1)->Threads(2)->UseRealTime();

void BM_Derive_BoringSsl(benchmark::State& state) {
  const AgreeKey& a = *Keys().agree[state.range(0)];
  uint8_t z[512];
  for (auto _ : state) {
    int ok;
    if (a.ec) {
      const int n = (EC_GROUP_get_degree(EC_KEY_get0_group(a.ec.get())) + 7) / 8;
      ok = ECDH_compute_key(z, n, a.peer_point.get(), a.ec.get(), nullptr) == n;
    } else if (a.dh) {
      ok = DH_compute_key_padded(z, a.peer_bn.get(), a.dh.get()) > 0;
    } else {
      ok = X25519(z, a.x_priv, a.peer.data());
    }
    if (!ok) state.SkipWithError("derive");
    benchmark::DoNotOptimize(z);
  }
  state.SetLabel(a.name);
}
BENCHMARK(BM_Derive_BoringSsl)
    ->DenseRange(0, kAgreeKeys - 1)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

// GenCase is one key-pair generation: the token's mechanism and public
// template, and what BoringSSL makes for the baseline.
struct GenCase {
  const char* name;
  CK_MECHANISM_TYPE mechanism;
  Template pub;
  int nid;   // EC curve, NID_ED25519, NID_X25519, or NID_undef
  int bits;  // RSA modulus bits, or 0 (DH: 0 and NID_undef)
};
const GenCase kGenCases[] = {
    {"P-256",
     CKM_EC_KEY_PAIR_GEN,
     {attr::EcParams{mech::CurveOid(NID_X9_62_prime256v1)}},
     NID_X9_62_prime256v1,
     0},
    {"P-384",
     CKM_EC_KEY_PAIR_GEN,
     {attr::EcParams{mech::CurveOid(NID_secp384r1)}},
     NID_secp384r1,
     0},
    {"P-521",
     CKM_EC_KEY_PAIR_GEN,
     {attr::EcParams{mech::CurveOid(NID_secp521r1)}},
     NID_secp521r1,
     0},
    {"Ed25519",
     CKM_EC_EDWARDS_KEY_PAIR_GEN,
     {attr::EcParams{mech::CurveOid(NID_ED25519)}},
     NID_ED25519,
     0},
    {"X25519",
     CKM_EC_MONTGOMERY_KEY_PAIR_GEN,
     {attr::EcParams{mech::CurveOid(NID_X25519)}},
     NID_X25519,
     0},
    {"DH-2048", CKM_DH_PKCS_KEY_PAIR_GEN, {}, NID_undef, 0},
    {"RSA-2048", CKM_RSA_PKCS_KEY_PAIR_GEN, {attr::ModulusBits{2048}}, NID_undef, 2048},
    {"RSA-3072", CKM_RSA_PKCS_KEY_PAIR_GEN, {attr::ModulusBits{3072}}, NID_undef, 3072},
    {"RSA-4096", CKM_RSA_PKCS_KEY_PAIR_GEN, {attr::ModulusBits{4096}}, NID_undef, 4096},
    {"RSA-8192", CKM_RSA_PKCS_KEY_PAIR_GEN, {attr::ModulusBits{8192}}, NID_undef, 8192},
    {"P-224",
     CKM_EC_KEY_PAIR_GEN,
     {attr::EcParams{mech::CurveOid(NID_secp224r1)}},
     NID_secp224r1,
     0},
};
constexpr int kGenCaseCount = sizeof kGenCases / sizeof kGenCases[0];

void BM_GenerateKeyPair_Token(benchmark::State& state) {
  const GenCase& c = kGenCases[state.range(0)];
  Keys();
  Session s = OpenSession();
  TimeMaking(state, s, [&]() -> std::vector<ObjectHandle> {
    auto pair = GenerateKeyPair(s, Mechanism{c.mechanism}, c.pub, {});
    if (!pair) return {};
    return {pair->first, pair->second};
  });
  state.SetLabel(c.name);
}
BENCHMARK(BM_GenerateKeyPair_Token)
    ->DenseRange(0, kGenCaseCount - 1)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

void BM_GenerateKeyPair_BoringSsl(benchmark::State& state) {
  const GenCase& c = kGenCases[state.range(0)];
  for (auto _ : state) {
    if (c.bits != 0) {
      bssl::UniquePtr<RSA> rsa(RSA_new());
      bssl::UniquePtr<BIGNUM> e(BN_new());
      BN_set_word(e.get(), RSA_F4);
      RSA_generate_key_ex(rsa.get(), c.bits, e.get(), nullptr);
    } else if (c.nid == NID_ED25519) {
      uint8_t pub[32], priv[64];
      ED25519_keypair(pub, priv);
      benchmark::DoNotOptimize(priv);
    } else if (c.nid == NID_X25519) {
      uint8_t pub[32], priv[32];
      X25519_keypair(pub, priv);
      benchmark::DoNotOptimize(priv);
    } else if (c.nid == NID_undef) {
      bssl::UniquePtr<DH> dh = bench::Ffdhe2048Dh();
      DH_generate_key(dh.get());
    } else {
      // With the public point's encoding, as a usable key pair needs (see
      // module_bench_boringssl.cc).
      bssl::UniquePtr<EC_KEY> ec(EC_KEY_new_by_curve_name(c.nid));
      uint8_t point[133];
      EC_KEY_generate_key(ec.get());
      EC_POINT_point2oct(EC_KEY_get0_group(ec.get()), EC_KEY_get0_public_key(ec.get()),
                         POINT_CONVERSION_UNCOMPRESSED, point, sizeof point, nullptr);
      benchmark::DoNotOptimize(point);
    }
  }
  state.SetLabel(c.name);
}
BENCHMARK(BM_GenerateKeyPair_BoringSsl)
    ->DenseRange(0, kGenCaseCount - 1)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

// C_CreateObject of a private key: the token parses and checks it (and
// computes CKA_PUBLIC_KEY_INFO).
void BM_ImportKey_Token(benchmark::State& state) {
  const SignKey& k = *Keys().sign[state.range(0)];
  const Template t = ImportTemplate(k);
  Session s = OpenSession();
  TimeMaking(state, s, [&]() -> std::vector<ObjectHandle> {
    auto h = s.CreateObject(t);
    if (!h) return {};
    return {*h};
  });
  state.SetLabel(k.name);
}
BENCHMARK(BM_ImportKey_Token)->DenseRange(0, kSignKeys - 1)->Threads(1)->Threads(2)->UseRealTime();

// BoringSSL building and checking the same key from the same values.
void BM_ImportKey_BoringSsl(benchmark::State& state) {
  const SignKey& k = *Keys().sign[state.range(0)];
  const Template t = ImportTemplate(k);
  auto bn = [&](AttributeType type) {
    ByteView v = t.Find(type)->value();
    return BN_bin2bn(v.data(), v.size(), nullptr);
  };
  for (auto _ : state) {
    bool ok;
    if (k.rsa) {
      bssl::UniquePtr<RSA> rsa(RSA_new());
      ok = RSA_set0_key(rsa.get(), bn(CKA_MODULUS), bn(CKA_PUBLIC_EXPONENT),
                        bn(CKA_PRIVATE_EXPONENT)) &&
           RSA_set0_factors(rsa.get(), bn(CKA_PRIME_1), bn(CKA_PRIME_2)) &&
           RSA_set0_crt_params(rsa.get(), bn(CKA_EXPONENT_1), bn(CKA_EXPONENT_2),
                               bn(CKA_COEFFICIENT)) &&
           RSA_check_key(rsa.get());
    } else if (k.ec) {
      bssl::UniquePtr<EC_KEY> ec(
          EC_KEY_new_by_curve_name(EC_GROUP_get_curve_name(EC_KEY_get0_group(k.ec.get()))));
      const EC_GROUP* g = EC_KEY_get0_group(ec.get());
      bssl::UniquePtr<BIGNUM> d(bn(CKA_VALUE));
      bssl::UniquePtr<EC_POINT> pub(EC_POINT_new(g));
      ok = EC_KEY_set_private_key(ec.get(), d.get()) &&
           EC_POINT_mul(g, pub.get(), d.get(), nullptr, nullptr, nullptr) &&
           EC_KEY_set_public_key(ec.get(), pub.get());
    } else {
      uint8_t pub[32], priv[64];
      ED25519_keypair_from_seed(pub, priv, t.Find(CKA_VALUE)->value().data());
      benchmark::DoNotOptimize(priv);
      ok = true;
    }
    if (!ok) state.SkipWithError("import");
  }
  state.SetLabel(k.name);
}
BENCHMARK(BM_ImportKey_BoringSsl)
    ->DenseRange(0, kSignKeys - 1)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

// --- Through the C ABI -----------------------------------------------------

struct CKeys {
  CK_FUNCTION_LIST_PTR f = nullptr;
  CK_SLOT_ID slot = 0;
  struct Pair {
    const char* name;
    CK_MECHANISM mechanism;
    CK_OBJECT_HANDLE pub, priv;
  };
  std::vector<Pair> pairs;
};

void CCheck(CK_RV rv, const char* what) {
  if (rv != CKR_OK) {
    std::fprintf(stderr, "%s: 0x%lx\n", what, static_cast<unsigned long>(rv));
    std::abort();
  }
}

CKeys& CAbi() {
  static CKeys* k = [] {
    auto* c = new CKeys;
    CCheck(C_GetFunctionList(&c->f), "C_GetFunctionList");
    static char config[] = "objectstore.backend = memory\npin.kdf_log2n = 4\n";
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    args.pReserved = config;
    CCheck(c->f->C_Initialize(&args), "C_Initialize");
    CK_SLOT_ID slots[8];
    CK_ULONG n = 8;
    CCheck(c->f->C_GetSlotList(CK_FALSE, slots, &n), "C_GetSlotList");
    c->slot = slots[n - 1];
    CK_UTF8CHAR label[32];
    memset(label, ' ', sizeof label);
    CK_UTF8CHAR so[] = "so-pin-1234", user[] = "user-pin-1234";
    CCheck(c->f->C_InitToken(c->slot, so, sizeof so - 1, label), "C_InitToken");
    CK_SESSION_HANDLE h;
    CCheck(c->f->C_OpenSession(c->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &h),
           "C_OpenSession");
    CCheck(c->f->C_Login(h, CKU_SO, so, sizeof so - 1), "C_Login SO");
    CCheck(c->f->C_InitPIN(h, user, sizeof user - 1), "C_InitPIN");
    CCheck(c->f->C_Logout(h), "C_Logout");
    CCheck(c->f->C_Login(h, CKU_USER, user, sizeof user - 1), "C_Login");
    // The session stays open: the key pairs are its session objects.
    CK_ULONG bits = 2048;
    static const uint8_t kP256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
    static const uint8_t kEd25519[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
    struct Gen {
      const char* name;
      CK_MECHANISM_TYPE gen, sign;
      CK_ATTRIBUTE pub;
    } gens[] = {
        {"RSA-2048",
         CKM_RSA_PKCS_KEY_PAIR_GEN,
         CKM_SHA256_RSA_PKCS,
         {CKA_MODULUS_BITS, &bits, sizeof bits}},
        {"P-256",
         CKM_EC_KEY_PAIR_GEN,
         CKM_ECDSA_SHA256,
         {CKA_EC_PARAMS, const_cast<uint8_t*>(kP256), sizeof kP256}},
        {"Ed25519",
         CKM_EC_EDWARDS_KEY_PAIR_GEN,
         CKM_EDDSA,
         {CKA_EC_PARAMS, const_cast<uint8_t*>(kEd25519), sizeof kEd25519}},
    };
    for (Gen& g : gens) {
      CK_MECHANISM m{g.gen, nullptr, 0};
      CKeys::Pair p{g.name, CK_MECHANISM{g.sign, nullptr, 0}, 0, 0};
      CCheck(c->f->C_GenerateKeyPair(h, &m, &g.pub, 1, nullptr, 0, &p.pub, &p.priv),
             "C_GenerateKeyPair");
      c->pairs.push_back(p);
    }
    return c;
  }();
  return *k;
}

CK_SESSION_HANDLE COpen(CKeys& c) {
  CK_SESSION_HANDLE h;
  CCheck(c.f->C_OpenSession(c.slot, CKF_SERIAL_SESSION, nullptr, nullptr, &h), "C_OpenSession");
  return h;
}

void BM_Sign_CAbi(benchmark::State& state) {
  CKeys& c = CAbi();
  CKeys::Pair& p = c.pairs[state.range(0)];
  CK_SESSION_HANDLE h = COpen(c);
  uint8_t sig[512];
  for (auto _ : state) {
    CK_ULONG len = sizeof sig;
    if (c.f->C_SignInit(h, &p.mechanism, p.priv) != CKR_OK ||
        c.f->C_Sign(h, const_cast<uint8_t*>(kMsg.data()), kMsg.size(), sig, &len) != CKR_OK) {
      state.SkipWithError("C_Sign");
    }
    benchmark::DoNotOptimize(sig);
  }
  c.f->C_CloseSession(h);
  state.SetLabel(p.name);
}
BENCHMARK(BM_Sign_CAbi)->DenseRange(0, 2)->Threads(1)->Threads(2)->UseRealTime();

void BM_Verify_CAbi(benchmark::State& state) {
  CKeys& c = CAbi();
  CKeys::Pair& p = c.pairs[state.range(0)];
  CK_SESSION_HANDLE h = COpen(c);
  uint8_t sig[512];
  CK_ULONG len = sizeof sig;
  CCheck(c.f->C_SignInit(h, &p.mechanism, p.priv), "C_SignInit");
  CCheck(c.f->C_Sign(h, const_cast<uint8_t*>(kMsg.data()), kMsg.size(), sig, &len), "C_Sign");
  for (auto _ : state) {
    if (c.f->C_VerifyInit(h, &p.mechanism, p.pub) != CKR_OK ||
        c.f->C_Verify(h, const_cast<uint8_t*>(kMsg.data()), kMsg.size(), sig, len) != CKR_OK) {
      state.SkipWithError("C_Verify");
    }
  }
  c.f->C_CloseSession(h);
  state.SetLabel(p.name);
}
BENCHMARK(BM_Verify_CAbi)->DenseRange(0, 2)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace cryptoki
