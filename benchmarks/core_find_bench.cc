// Find cost against token size: finding one object by CKA_LABEL or CKA_ID
// among N must stay flat from 1k to 100k objects (the index, not a scan).
//
//   bazel run -c opt //benchmarks:core_find_bench
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <memory>

#include "cryptoki/cryptoki.h"
#include "cryptoki/memory_store.h"

namespace cryptoki {
namespace {

struct Fixture {
  std::unique_ptr<Library> lib;
  std::shared_ptr<Token> token;
  std::optional<Session> session;
};

// TokenWith returns a token holding |n| secret keys labelled "obj-<i>",
// built once per size.
Fixture& TokenWith(int n) {
  static std::map<int, Fixture> cache;
  auto it = cache.find(n);
  if (it != cache.end()) return it->second;
  Fixture& f = cache[n];
  auto config = ParseConfig("pin.kdf_log2n = 4\nobjectstore.backend = memory\n", "bench");
  f.lib = std::move(*Library::Create(*config, std::make_unique<MemoryStore>()));
  f.token = *f.lib->GetToken(f.lib->Slots()[0]);
  if (auto r = f.token->InitToken("so-pin-1234", "bench"); !r) {
    std::fprintf(stderr, "InitToken: %s\n", to_string(r.error()).c_str());
    std::abort();
  }
  f.session.emplace(std::move(*f.token->OpenSession(SessionKind::kReadWrite)));
  for (int i = 0; i < n; ++i) {
    const std::string id = std::to_string(i);
    auto h =
        f.session->CreateObject({attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_GENERIC_SECRET},
                                 attr::Private{false}, attr::Value{Bytes(32, 1)}, attr::Token{true},
                                 attr::Label{"obj-" + id}, attr::Id{Bytes(id.begin(), id.end())}});
    if (!h) {
      std::fprintf(stderr, "CreateObject: %s\n", to_string(h.error()).c_str());
      std::abort();
    }
  }
  return f;
}

void BM_Find_ByLabel(benchmark::State& state) {
  Fixture& f = TokenWith(static_cast<int>(state.range(0)));
  const Template tmpl{attr::Class{CKO_SECRET_KEY},
                      attr::Label{"obj-" + std::to_string(state.range(0) / 2)}};
  for (auto _ : state) {
    auto found = f.session->Find(tmpl, 1);
    if (!found || found->size() != 1) state.SkipWithError("object not found");
    benchmark::DoNotOptimize(found);
  }
}
BENCHMARK(BM_Find_ByLabel)->Arg(1000)->Arg(10000)->Arg(100000);

void BM_Find_ById(benchmark::State& state) {
  Fixture& f = TokenWith(static_cast<int>(state.range(0)));
  const std::string id = std::to_string(state.range(0) / 3);
  const Template tmpl{attr::Id{Bytes(id.begin(), id.end())}};
  for (auto _ : state) {
    auto found = f.session->Find(tmpl, 1);
    if (!found || found->size() != 1) state.SkipWithError("object not found");
    benchmark::DoNotOptimize(found);
  }
}
BENCHMARK(BM_Find_ById)->Arg(1000)->Arg(10000)->Arg(100000);

// The three-call search clients make (C_FindObjectsInit/FindObjects/Final).
void BM_FindInitNextFinal_ByLabel(benchmark::State& state) {
  Fixture& f = TokenWith(static_cast<int>(state.range(0)));
  const Template tmpl{attr::Label{"obj-7"}};
  ObjectHandle out[4];
  for (auto _ : state) {
    (void)f.session->FindInit(tmpl);
    auto n = f.session->FindNext(std::span<ObjectHandle>(out));
    (void)f.session->FindFinal();
    if (!n || *n != 1) state.SkipWithError("object not found");
  }
}
BENCHMARK(BM_FindInitNextFinal_ByLabel)->Arg(1000)->Arg(100000);

void BM_GetAttribute_Label(benchmark::State& state) {
  Fixture& f = TokenWith(1000);
  auto h = f.session->Find({attr::Label{"obj-5"}}, 1);
  const ObjectHandle obj = (*h)[0];
  for (auto _ : state) {
    auto a = f.session->GetAttribute(obj, CKA_LABEL);
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(BM_GetAttribute_Label);

void BM_Session_OpenClose(benchmark::State& state) {
  Fixture& f = TokenWith(1000);
  for (auto _ : state) {
    auto s = f.token->OpenSession(SessionKind::kReadOnly);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_Session_OpenClose)->Threads(1)->Threads(2);

}  // namespace
}  // namespace cryptoki
