// module_bench: the per-mechanism benchmark of issue 8. The same operations
// run through BoringSSL directly (the floor), the cryptoki C++ API, our
// module through C_GetFunctionList, and any other PKCS#11 module:
//
//   module_bench --module=bazel-bin/cryptoki_c/libcryptoki.so
//       --cpp_conf=cryptoki-cpp.conf
//       --other=/usr/lib/softhsm/libsofthsm2.so --other_name=softhsm
//       --benchmark_out=results.json
//
// (one command line; tools/bench.sh runs it with fresh tokens).
//
// Flags (besides Google Benchmark's):
//   --module=PATH        our module (target "module"); CRYPTOKI_CONF configures it
//   --cpp_conf=PATH      cryptoki config for the C++ API target ("cpp"); it
//                        must name a token directory of its own
//   --other=PATH         another PKCS#11 module (target "other")
//   --other_name=NAME    what to call it in the report (default "other")
//   --other_find_max=N   skip find populations above N on the other module
//   --find=N,M,...       find populations (default 1000,100000)
//   --threads=1,2        thread counts
//   --targets=a,b        run only these targets (boringssl,cpp,module,other)
//
// Benchmarks are named BM_<Op>/<target>/real_time/threads:<n>; throughput is
// items_per_second over wall time, summed over threads. An op a target lacks
// is reported as an error starting "n/a:"; a failed correctness check as an
// error starting "FAILED:". Progress goes to stderr.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "benchmarks/module_bench.h"

namespace cryptoki::bench {
namespace {

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// ProgressReporter is the console reporter plus one line per finished
// benchmark on stderr: "[12/180 0:42] BM_SHA256_64B/module ... 1.2M/s".
class ProgressReporter : public benchmark::ConsoleReporter {
 public:
  explicit ProgressReporter(size_t total) : total_(total) {}
  void ReportRuns(const std::vector<Run>& reports) override {
    for (const Run& r : reports) {
      ++done_;
      const int secs = static_cast<int>(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
      std::string what;
      if (r.error_occurred) {
        what = r.error_message;
      } else {
        auto it = r.counters.find("items_per_second");
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.4g ops/s",
                      it == r.counters.end() ? 0.0 : static_cast<double>(it->second));
        what = buf;
      }
      std::fprintf(stderr, "[%zu/%zu %d:%02d] %s: %s\n", done_, total_, secs / 60, secs % 60,
                   r.benchmark_name().c_str(), what.c_str());
    }
    ConsoleReporter::ReportRuns(reports);
  }

 private:
  size_t total_;
  size_t done_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// Matches applies Google Benchmark's --benchmark_filter (a regex, "-" for
// a negative filter) to |name|, to count what will run.
bool Matches(std::string filter, const std::string& name) {
  bool negative = false;
  if (!filter.empty() && filter[0] == '-') {
    negative = true;
    filter = filter.substr(1);
  }
  if (filter.empty() || filter == "all") filter = ".";
  try {
    const bool m = std::regex_search(name, std::regex(filter, std::regex::extended));
    return m != negative;
  } catch (const std::regex_error&) {
    return true;
  }
}

struct Registered {
  std::vector<std::string> names;
};

void RegisterOne(Target* target, const std::string& setup_error, Op op, int64_t arg, int threads,
                 Registered* reg) {
  std::string family = std::string("BM_") + OpName(op);
  if (op == Op::kFind) family += "_" + std::to_string(arg);
  const std::string tname = target ? target->name() : setup_error.substr(0, setup_error.find(':'));
  const std::string name = family + "/" + tname;
  std::string why = target ? target->Supports(op) : "FAILED: set-up: " + setup_error;
  benchmark::RegisterBenchmark(
      name.c_str(),
      [target, op, arg, why](benchmark::State& state) {
        if (!why.empty()) {
          state.SkipWithError(why.c_str());
          return;
        }
        std::string error;
        auto runner = target->NewThread(&error);
        if (!runner) {
          state.SkipWithError(("FAILED: " + error).c_str());
          return;
        }
        Prepared p = runner->Prepare(op, arg);
        if (!p.error.empty()) {
          state.SkipWithError(p.error.c_str());
          return;
        }
        for (auto _ : state) {
          if (!p.run()) {
            state.SkipWithError("FAILED: the operation failed during the timed loop");
            break;
          }
        }
        state.SetItemsProcessed(state.iterations());
        if (size_t n = OpBytes(op)) state.SetBytesProcessed(state.iterations() * n);
      })
      ->UseRealTime()
      ->Threads(threads);
  reg->names.push_back(name + "/real_time/threads:" + std::to_string(threads));
}

}  // namespace
}  // namespace cryptoki::bench

int main(int argc, char** argv) {
  using namespace cryptoki::bench;
  std::string module_path, cpp_conf, other_path, other_name = "other";
  std::string find_list = "1000,100000", threads_list = "1,2",
              targets_list = "boringssl,cpp,module,other";
  int64_t other_find_max = 0;
  // Take our flags out; leave the rest to Google Benchmark.
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* flag, std::string* out) {
      const std::string prefix = std::string("--") + flag + "=";
      if (a.rfind(prefix, 0) != 0) return false;
      *out = a.substr(prefix.size());
      return true;
    };
    std::string v;
    if (value("module", &module_path) || value("cpp_conf", &cpp_conf) ||
        value("other", &other_path) || value("other_name", &other_name) ||
        value("find", &find_list) || value("threads", &threads_list) ||
        value("targets", &targets_list))
      continue;
    if (value("other_find_max", &v)) {
      other_find_max = std::atoll(v.c_str());
      continue;
    }
    argv[kept++] = argv[i];
  }
  argc = kept;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  const auto wanted = Split(targets_list);
  const std::set<std::string> want(wanted.begin(), wanted.end());
  // Each target: (target, set-up error). A target that fails its set-up
  // still registers, so the report says why it is missing.
  std::vector<std::pair<std::unique_ptr<Target>, std::string>> targets;
  if (want.count("boringssl")) targets.emplace_back(MakeBoringSslTarget(), "");
  if (want.count("cpp") && !cpp_conf.empty()) {
    std::string error;
    auto t = MakeCppTarget(cpp_conf, &error);
    if (!t) std::fprintf(stderr, "[cpp] set-up failed: %s\n", error.c_str());
    targets.emplace_back(std::move(t), "cpp: " + error);
  }
  if (want.count("module") && !module_path.empty()) {
    std::string error;
    auto t = MakePkcs11Target("module", module_path, 0, &error);
    if (!t) std::fprintf(stderr, "[module] set-up failed: %s\n", error.c_str());
    if (t) benchmark::AddCustomContext("module_description", t->description());
    targets.emplace_back(std::move(t), "module: " + error);
    benchmark::AddCustomContext("module_path", module_path);
  }
  if (want.count("other") && !other_path.empty()) {
    std::string error;
    auto t = MakePkcs11Target("other", other_path, other_find_max, &error);
    if (!t) std::fprintf(stderr, "[other] set-up failed: %s\n", error.c_str());
    if (t) benchmark::AddCustomContext("other_description", t->description());
    targets.emplace_back(std::move(t), "other: " + error);
    benchmark::AddCustomContext("other_path", other_path);
    benchmark::AddCustomContext("other_name", other_name);
    benchmark::AddCustomContext("other_find_max", std::to_string(other_find_max));
  }
  benchmark::AddCustomContext("find_populations", find_list);

  std::vector<int> thread_counts;
  for (const std::string& t : Split(threads_list)) thread_counts.push_back(std::atoi(t.c_str()));
  const Op ops[] = {
      Op::kSha256_64,        Op::kSha256_8K,    Op::kHmacSha256_64,         Op::kAesGcm_1K,
      Op::kAesGcm_8K,        Op::kAesCbcPad_8K, Op::kChaChaPoly_1K,         Op::kEcdsaP256Sign,
      Op::kEcdsaP256Verify,  Op::kRsaPkcs1Sign, Op::kRsaPkcs1Verify,        Op::kRsaPssSign,
      Op::kRsaPssVerify,     Op::kEd25519Sign,  Op::kEd25519Verify,         Op::kX25519Derive,
      Op::kEcdhP256Derive,   Op::kRandom32,     Op::kEcP256GenerateKeyPair, Op::kGetAttribute,
      Op::kSessionOpenClose,
  };
  Registered reg;
  auto add = [&](Op op, int64_t arg) {
    for (auto& [t, error] : targets)
      for (int threads : thread_counts) RegisterOne(t.get(), error, op, arg, threads, &reg);
  };
  for (Op op : ops) add(op, 0);
  // Find last, smallest population first: each population grows the token.
  std::vector<int64_t> finds;
  for (const std::string& n : Split(find_list)) finds.push_back(std::atoll(n.c_str()));
  std::sort(finds.begin(), finds.end());
  for (int64_t n : finds) add(Op::kFind, n);

  size_t total = 0;
  const std::string filter = benchmark::GetBenchmarkFilter();
  for (const std::string& n : reg.names) total += Matches(filter, n);
  std::fprintf(stderr, "module_bench: %zu benchmarks\n", total);
  ProgressReporter reporter(total);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
