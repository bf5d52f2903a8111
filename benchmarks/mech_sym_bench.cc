// mech_sym_bench: symmetric mechanisms through the C++ API, against the same
// operation done directly on BoringSSL. 64 B, 1 KiB, 8 KiB; 1 and 2 threads
// (each thread with its own session on one shared token).
//
//   bazel run -c opt //benchmarks:mech_sym_bench
#include <benchmark/benchmark.h>
#include <openssl/aead.h>
#include <openssl/aes.h>
#include <openssl/cmac.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <cstdlib>
#include <map>
#include <mutex>

#include "cryptoki/cryptoki.h"
#include "cryptoki/mechanism.h"
#include "cryptoki/memory_store.h"

namespace cryptoki {
namespace {

constexpr char kSo[] = "so-pin-1234";
constexpr char kUser[] = "user-pin-1234";

struct Fixture {
  std::unique_ptr<Library> lib;
  std::shared_ptr<Token> token;
};

Fixture& Shared() {
  static Fixture* f = [] {
    auto* fx = new Fixture;
    auto config = ParseConfig("pin.kdf_log2n = 4\nobjectstore.backend = memory\n", "bench");
    fx->lib = std::move(*Library::Create(*config, std::make_unique<MemoryStore>()));
    fx->token = *fx->lib->GetToken(fx->lib->Slots().back());
    if (!fx->token->InitToken(kSo, "bench")) std::abort();
    auto s = fx->token->OpenSession(SessionKind::kReadWrite);
    if (!s || !s->Login(CKU_SO, kSo) || !s->InitPin(kUser) || !s->Logout()) std::abort();
    auto u = fx->token->OpenSession(SessionKind::kReadWrite);
    if (!u || !u->Login(CKU_USER, kUser)) std::abort();
    return fx;
  }();
  return *f;
}

// ThreadSession opens a session and a token key (shared by handle across
// sessions: it is a token object).
struct ThreadSession {
  Session session;
  static ThreadSession Open() {
    auto s = Shared().token->OpenSession(SessionKind::kReadWrite);
    if (!s) std::abort();
    return ThreadSession{std::move(*s)};
  }
};

ObjectHandle Key(CK_KEY_TYPE type, size_t len) {
  static std::mutex mu;
  static std::map<std::pair<CK_KEY_TYPE, size_t>, ObjectHandle> keys;
  std::lock_guard<std::mutex> l(mu);
  auto& h = keys[{type, len}];
  if (!h.valid()) {
    auto s = Shared().token->OpenSession(SessionKind::kReadWrite);
    auto k = s->CreateObject({attr::Class{CKO_SECRET_KEY}, attr::KeyType{type}, attr::Token{true},
                              attr::Private{false}, attr::Value{Bytes(len, 0x42)}});
    if (!k) std::abort();
    h = *k;
  }
  return h;
}

void Api(benchmark::State& state, OpKind kind, Mechanism m, CK_KEY_TYPE kt, size_t key_len,
         size_t overhead) {
  const size_t n = state.range(0);
  ThreadSession ts = ThreadSession::Open();
  const ObjectHandle k = Key(kt, key_len);
  Bytes in(n, 0x17), out(n + overhead + 32);
  for (auto _ : state) {
    Result<> r = kind == OpKind::kDigest ? DigestInit(ts.session, m)
                 : kind == OpKind::kSign ? SignInit(ts.session, m, k)
                                         : EncryptInit(ts.session, m, k);
    Output o = Output::Into(out);
    if (!r || !ts.session.OneShot(kind, in, o)) {
      state.SkipWithError("operation failed");
      break;
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * n);
}

void BM_Sha256_Api(benchmark::State& s) { Api(s, OpKind::kDigest, {CKM_SHA256}, 0, 0, 32); }
void BM_HmacSha256_Api(benchmark::State& s) {
  Api(s, OpKind::kSign, {CKM_SHA256_HMAC}, CKK_GENERIC_SECRET, 32, 32);
}
void BM_AesCmac_Api(benchmark::State& s) { Api(s, OpKind::kSign, {CKM_AES_CMAC}, CKK_AES, 16, 16); }
void BM_AesCbc_Api(benchmark::State& s) {
  Api(s, OpKind::kEncrypt, {CKM_AES_CBC_PAD, mech::RawParams{Bytes(16)}}, CKK_AES, 16, 16);
}
void BM_AesCtr_Api(benchmark::State& s) {
  Api(s, OpKind::kEncrypt, {CKM_AES_CTR, mech::AesCtrParams{128, {}}}, CKK_AES, 16, 0);
}
void BM_AesGcm_Api(benchmark::State& s) {
  Api(s, OpKind::kEncrypt, {CKM_AES_GCM, mech::GcmParams{Bytes(12), {}, 128}}, CKK_AES, 16, 16);
}
void BM_ChaCha20Poly1305_Api(benchmark::State& s) {
  Api(s, OpKind::kEncrypt, {CKM_CHACHA20_POLY1305, mech::ChaCha20Poly1305Params{Bytes(12), {}}},
      CKK_CHACHA20, 32, 16);
}

// The same on BoringSSL, keys set up per call as a client would.
void BM_Sha256_BoringSSL(benchmark::State& state) {
  Bytes in(state.range(0), 0x17);
  uint8_t out[32];
  for (auto _ : state) {
    SHA256(in.data(), in.size(), out);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(state.iterations() * in.size());
}
void BM_HmacSha256_BoringSSL(benchmark::State& state) {
  Bytes in(state.range(0), 0x17), key(32, 0x42);
  uint8_t out[32];
  unsigned n;
  for (auto _ : state) {
    HMAC(EVP_sha256(), key.data(), key.size(), in.data(), in.size(), out, &n);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(state.iterations() * in.size());
}
void BM_AesCmac_BoringSSL(benchmark::State& state) {
  Bytes in(state.range(0), 0x17), key(16, 0x42);
  uint8_t out[16];
  for (auto _ : state) {
    AES_CMAC(out, key.data(), key.size(), in.data(), in.size());
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(state.iterations() * in.size());
}
void BM_AesCbc_BoringSSL(benchmark::State& state) {
  Bytes in(state.range(0), 0x17), key(16, 0x42), out(in.size() + 16);
  for (auto _ : state) {
    AES_KEY k;
    AES_set_encrypt_key(key.data(), 128, &k);
    uint8_t iv[16] = {0};
    AES_cbc_encrypt(in.data(), out.data(), in.size(), &k, iv, AES_ENCRYPT);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * in.size());
}
void BM_AesCtr_BoringSSL(benchmark::State& state) {
  Bytes in(state.range(0), 0x17), key(16, 0x42), out(in.size());
  for (auto _ : state) {
    AES_KEY k;
    AES_set_encrypt_key(key.data(), 128, &k);
    uint8_t iv[16] = {0}, ecount[16];
    unsigned num = 0;
    AES_ctr128_encrypt(in.data(), out.data(), in.size(), &k, iv, ecount, &num);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * in.size());
}
void Aead(benchmark::State& state, const EVP_AEAD* aead, size_t key_len) {
  Bytes in(state.range(0), 0x17), key(key_len, 0x42), out(in.size() + 16), nonce(12);
  for (auto _ : state) {
    bssl::ScopedEVP_AEAD_CTX ctx;
    EVP_AEAD_CTX_init(ctx.get(), aead, key.data(), key.size(), 16, nullptr);
    size_t n;
    EVP_AEAD_CTX_seal(ctx.get(), out.data(), &n, out.size(), nonce.data(), 12, in.data(), in.size(),
                      nullptr, 0);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * in.size());
}
void BM_AesGcm_BoringSSL(benchmark::State& s) { Aead(s, EVP_aead_aes_128_gcm(), 16); }
void BM_ChaCha20Poly1305_BoringSSL(benchmark::State& s) {
  Aead(s, EVP_aead_chacha20_poly1305(), 32);
}

#define SIZES ->Arg(64)->Arg(1024)->Arg(8192)->Threads(1)->Threads(2)->UseRealTime()
BENCHMARK(BM_Sha256_Api) SIZES;
BENCHMARK(BM_Sha256_BoringSSL) SIZES;
BENCHMARK(BM_HmacSha256_Api) SIZES;
BENCHMARK(BM_HmacSha256_BoringSSL) SIZES;
BENCHMARK(BM_AesCmac_Api) SIZES;
BENCHMARK(BM_AesCmac_BoringSSL) SIZES;
BENCHMARK(BM_AesCbc_Api) SIZES;
BENCHMARK(BM_AesCbc_BoringSSL) SIZES;
BENCHMARK(BM_AesCtr_Api) SIZES;
BENCHMARK(BM_AesCtr_BoringSSL) SIZES;
BENCHMARK(BM_AesGcm_Api) SIZES;
BENCHMARK(BM_AesGcm_BoringSSL) SIZES;
BENCHMARK(BM_ChaCha20Poly1305_Api) SIZES;
BENCHMARK(BM_ChaCha20Poly1305_BoringSSL) SIZES;

}  // namespace
}  // namespace cryptoki
