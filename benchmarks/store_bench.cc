// The durable file store through the C++ API, against token size (1k, 10k,
// 100k token objects): the time to open a token (a new Library over an
// existing token directory, then the user's login, which loads and unseals
// every object), the cost of finding one object by CKA_LABEL and by CKA_ID
// on the open token, and resident memory (RSS from /proc/self/statm) of the
// open 100k-object token and of each open session.
//
//   bazel run -c opt //benchmarks:store_bench
//
// Every object is a private AES secret key, so every one is sealed on disk
// and unsealed at login: the expensive case. Each token directory is built
// once per run (under $TMPDIR, removed at exit) with pin.kdf_log2n = 1 and a
// FileStore without fsync, the fastest way the API allows; the measured
// opens use the ordinary, syncing file store from the config.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cryptoki/cryptoki.h"
#include "cryptoki/file_store.h"

namespace cryptoki {
namespace {

constexpr char kUserPin[] = "user-pin-1234";
constexpr char kSoPin[] = "so-pin-1234";

[[noreturn]] void Die(const char* what, Rv rv) {
  std::fprintf(stderr, "store_bench: %s: %s\n", what, to_string(rv).c_str());
  std::abort();
}

template <class T>
T Must(Result<T> r, const char* what) {
  if (!r) Die(what, r.error());
  return std::move(*r);
}

void Must(Result<> r, const char* what) {
  if (!r) Die(what, r.error());
}

// Memory is what the process holds: resident pages (/proc/self/statm) and
// the bytes malloc has handed out and not had back (mallinfo2).
struct Memory {
  double rss = 0;
  double heap = 0;
};

// MemoryNow returns the process's memory after giving free heap pages back
// to the system, so that later growth of RSS is new memory, not pages the
// allocator kept from earlier work.
Memory MemoryNow() {
  malloc_trim(0);
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  const struct mallinfo2 mi = mallinfo2();
  return Memory{static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)),
                static_cast<double>(mi.uordblks + mi.hblkhd)};
}

// Scratch is the run's temporary directory, removed at exit.
class Scratch {
 public:
  Scratch() {
    const char* base = getenv("TMPDIR");
    std::string tmpl = std::string(base != nullptr && base[0] != '\0' ? base : "/tmp") +
                       "/cryptoki_store_bench.XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) {
      std::perror("store_bench: mkdtemp");
      std::abort();
    }
    path_ = tmpl;
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Scratch& RunDir() {
  static Scratch scratch;
  return scratch;
}

Config ConfigFor(const std::string& dir) {
  auto config =
      ParseConfig("pin.kdf_log2n = 1\ndirectories.tokendir = " + dir + "\n", "store_bench");
  if (!config) {
    std::fprintf(stderr, "store_bench: %s\n", config.error().message.c_str());
    std::abort();
  }
  return *config;
}

std::string LabelOf(int i) { return "key-" + std::to_string(i); }
Bytes IdOf(int i) {
  const std::string s = "id-" + std::to_string(i);
  return Bytes(s.begin(), s.end());
}

// TokenDir returns a token directory holding one initialised token (slot 0)
// with |n| private secret keys labelled LabelOf(i) with CKA_ID IdOf(i),
// built once per size.
const std::string& TokenDir(int n) {
  static std::map<int, std::string> dirs;
  if (auto it = dirs.find(n); it != dirs.end()) return it->second;
  const std::string dir = RunDir().path() + "/tokens-" + std::to_string(n);
  const Config config = ConfigFor(dir);
  FileStoreOptions fast;
  fast.sync = false;
  auto store = Must(MakeFileStore(dir, fast), "MakeFileStore");
  auto lib = Must(Library::Create(config, std::move(store)), "Library::Create");
  auto token = Must(lib->GetToken(lib->Slots()[0]), "GetToken");
  Must(token->InitToken(kSoPin, "store bench"), "InitToken");
  {
    auto so = Must(token->OpenSession(SessionKind::kReadWrite), "OpenSession");
    Must(so.Login(CKU_SO, kSoPin), "Login SO");
    Must(so.InitPin(kUserPin), "InitPin");
  }
  auto session = Must(token->OpenSession(SessionKind::kReadWrite), "OpenSession");
  Must(session.Login(CKU_USER, kUserPin), "Login user");
  for (int i = 0; i < n; ++i) {
    Must(session.CreateObject({attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_AES},
                               attr::Token{true}, attr::Private{true}, attr::Label{LabelOf(i)},
                               attr::Id{IdOf(i)}, attr::Value{Bytes(32, static_cast<uint8_t>(i))}}),
         "CreateObject");
  }
  return dirs.emplace(n, dir).first->second;
}

// OpenToken is a fresh Library over |dir| with the user logged in to slot 0.
struct OpenToken {
  std::unique_ptr<Library> lib;
  std::shared_ptr<Token> token;
  std::optional<Session> session;
};

OpenToken Open(const std::string& dir) {
  OpenToken t;
  t.lib = Must(Library::Create(ConfigFor(dir)), "Library::Create");
  t.token = Must(t.lib->GetToken(0), "GetToken");
  t.session.emplace(Must(t.token->OpenSession(SessionKind::kReadOnly), "OpenSession"));
  Must(t.session->Login(CKU_USER, kUserPin), "Login");
  return t;
}

// CheckObjectCount fails the benchmark unless |t| shows |n| objects.
bool CheckObjectCount(benchmark::State& state, const OpenToken& t, int n) {
  auto all = t.session->Find({attr::Class{CKO_SECRET_KEY}});
  if (!all || all->size() != static_cast<size_t>(n)) {
    state.SkipWithError("the opened token does not show every object");
    return false;
  }
  return true;
}

void BM_OpenToken(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const std::string& dir = TokenDir(n);
  if (!CheckObjectCount(state, Open(dir), n)) return;
  for (auto _ : state) {
    OpenToken t = Open(dir);
    benchmark::DoNotOptimize(t.session->handle());
    state.PauseTiming();
    t = OpenToken();
    state.ResumeTiming();
  }
  state.counters["objects"] = n;
}
BENCHMARK(BM_OpenToken)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

// OpenedToken returns the token of |n| objects, opened once per size.
OpenToken& OpenedToken(int n) {
  static std::map<int, OpenToken> open;
  if (auto it = open.find(n); it != open.end()) return it->second;
  return open.emplace(n, Open(TokenDir(n))).first->second;
}

void FindOne(benchmark::State& state, const Template& tmpl) {
  OpenToken& t = OpenedToken(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto found = t.session->Find(tmpl, 1);
    if (!found || found->size() != 1) {
      state.SkipWithError("object not found");
      break;
    }
    benchmark::DoNotOptimize(found);
  }
}

void BM_Find_ByLabel(benchmark::State& state) {
  FindOne(state, {attr::Label{LabelOf(static_cast<int>(state.range(0) / 2))}});
}
BENCHMARK(BM_Find_ByLabel)->Arg(1000)->Arg(10000)->Arg(100000);

void BM_Find_ById(benchmark::State& state) {
  FindOne(state, {attr::Id{IdOf(static_cast<int>(state.range(0) / 3))}});
}
BENCHMARK(BM_Find_ById)->Arg(1000)->Arg(10000)->Arg(100000);

// Memory of an opened token of 100k objects and per open session, as
// counters: rss_token_bytes / heap_token_bytes, the growth of RSS and of the
// heap in use over opening it (a new Library and the user's login);
// rss_bytes, the whole process's RSS afterwards (it also holds the tokens
// the find benchmarks opened); rss_per_session_bytes /
// heap_per_session_bytes over kSessions open sessions.
void BM_Memory(benchmark::State& state) {
  constexpr int kObjects = 100000;
  constexpr int kSessions = 10000;
  const std::string& dir = TokenDir(kObjects);
  for (auto _ : state) {
    const Memory before = MemoryNow();
    OpenToken t = Open(dir);
    const Memory opened = MemoryNow();
    std::vector<Session> sessions;
    sessions.reserve(kSessions);
    const Memory reserved = MemoryNow();
    for (int i = 0; i < kSessions; ++i) {
      sessions.push_back(Must(t.token->OpenSession(SessionKind::kReadOnly), "OpenSession"));
    }
    const Memory with_sessions = MemoryNow();
    if (!CheckObjectCount(state, t, kObjects)) return;
    state.counters["rss_bytes"] = opened.rss;
    state.counters["rss_token_bytes"] = opened.rss - before.rss;
    state.counters["heap_token_bytes"] = opened.heap - before.heap;
    state.counters["rss_per_session_bytes"] = (with_sessions.rss - reserved.rss) / kSessions;
    state.counters["heap_per_session_bytes"] = (with_sessions.heap - reserved.heap) / kSessions;
  }
}
BENCHMARK(BM_Memory)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cryptoki
