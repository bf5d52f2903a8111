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
//   --extended           run the extended op set instead of the default one:
//                        every other mechanism family at 64 B / 1 KiB /
//                        8 KiB (MD5, SHA-1/224/384/512/512-224/512-256 and
//                        HMAC with them, AES-128/256 ECB/CBC/CTR/CTS, AES-192
//                        ECB/CBC/CBC-PAD/CTR/GCM, AES-CMAC, ChaCha20-Poly1305
//                        decryption, DES3 ECB/CBC/CBC-PAD), AES key wrap and
//                        unwrap (RFC 3394, KWP, PAD), HKDF (key and
//                        data), SP 800-108 counter KDF, PBKDF2
//                        (C_GenerateKey), the concatenate / XOR / extract /
//                        AES *_ENCRYPT_DATA derivations, ECDSA P-224,
//                        RSA-8192 PKCS#1 sign/verify, RSA-2048 PKCS#1 v1.5
//                        encrypt/decrypt, DH ffdhe2048, ECDH P-521, and
//                        key-pair generation of P-224/384/521, X25519, DH
//                        and RSA-2048/3072/4096/8192; no find
//   --extra_min_time=S   minimum time per benchmark of the slow asymmetric ops
//                        added after issue 8 (RSA-3072 and larger, OAEP,
//                        P-384, P-521, most key generations: the ops marked
//                        so in the tables); default: as the rest
//
// Benchmarks are named BM_<Op>/<target>/real_time/threads:<n> (with
// min_time:<S>/ before real_time for the ops --extra_min_time covers); throughput is
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
#include "benchmarks/pkcs11_client.h"
#include "cryptoki/mechanism_names.h"

namespace cryptoki::bench {

// ---------------------------------------------------------------------------
// What the token targets share: which ops a token can run, its keys, the
// find population, and the preparation and check of every cryptographic op.

namespace {

// CallFlags returns the mechanism flags |op| needs: the preparation of a
// signature op signs and verifies, that of a cipher op encrypts and
// decrypts.
CK_FLAGS CallFlags(const OpSpec& spec) {
  switch (spec.call) {
    case Call::kDigest:
      return CKF_DIGEST;
    case Call::kSign:
    case Call::kVerify:
      return GetKeySpec(spec.key).secret() ? CKF_SIGN : CKF_SIGN | CKF_VERIFY;
    case Call::kEncrypt:
    case Call::kDecrypt:
      return CKF_ENCRYPT | CKF_DECRYPT;
    case Call::kMessageEncrypt:
      return CKF_MESSAGE_ENCRYPT;
    case Call::kDerive:
      return CKF_DERIVE;
    case Call::kGenerateKeyPair:
      return CKF_GENERATE_KEY_PAIR;
    case Call::kWrap:
      return CKF_WRAP;
    case Call::kUnwrap:
      return CKF_UNWRAP;
    case Call::kGenerateKey:
      return CKF_GENERATE;
    case Call::kOther:
      break;
  }
  return 0;
}

// KeyFor returns the handle of |key| that |call| uses: the public key to
// verify and encrypt, else the private (or secret) key.
CK_OBJECT_HANDLE KeyFor(Call call, const KeyPair& key) {
  const bool pub = call == Call::kVerify || call == Call::kEncrypt;
  return pub && key.pub != 0 ? key.pub : key.priv;
}

// OpContext is what a token op is prepared from.
struct OpContext {
  const OpSpec& spec;
  const KeyPair& key;  // the target's key for the op
  MechArgs m;
  ByteSpan msg;
};

OpContext Context(Op op, const TokenTarget& target) {
  const OpSpec& spec = GetOpSpec(op);
  return OpContext{spec, target.key(spec.key), MakeMechArgs(op), OpMessage(op)};
}

bool Same(ByteSpan a, ByteSpan b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

}  // namespace

void TokenTarget::SetUpKeys(TokenThread& main,
                            const std::function<bool(CK_MECHANISM_TYPE, CK_FLAGS)>& has) {
  auto need = [&](Op op, CK_MECHANISM_TYPE mech, CK_FLAGS flags) {
    if (has(mech, flags)) return;
    NotAvailable(op, MechanismName(mech) +
                         (flags & CKF_MESSAGE_ENCRYPT ? " (CKF_MESSAGE_ENCRYPT)" : "") +
                         " not offered");
  };
  for (Op op : AllOps()) {
    const OpSpec& spec = GetOpSpec(op);
    if (spec.mech == 0) continue;
    need(op, spec.mech, CallFlags(spec));
    const KeySpec& key = GetKeySpec(spec.key);
    if (!key.secret() && spec.key != KeyId::kNone && key.gen != spec.mech)
      need(op, key.gen, CKF_GENERATE_KEY_PAIR);
    if (spec.call == Call::kGenerateKeyPair) {
      const OpSpec& check = GetOpSpec(CheckOpOf(op));
      need(op, check.mech, CallFlags(check));
    }
  }
  // The keys the available ops use (key generation ops make their own).
  std::array<std::vector<Op>, static_cast<size_t>(KeyId::kCount)> users;
  for (Op op : AllOps()) {
    const OpSpec& spec = GetOpSpec(op);
    if (spec.key != KeyId::kNone && spec.call != Call::kGenerateKeyPair && Supports(op).empty())
      users[static_cast<size_t>(spec.key)].push_back(op);
    if (spec.call == Call::kWrap && Supports(op).empty())
      users[static_cast<size_t>(KeyId::kWrapped)].push_back(op);
  }
  for (size_t i = 1; i < users.size(); ++i) {
    if (users[i].empty()) continue;
    const KeySpec& spec = GetKeySpec(static_cast<KeyId>(i));
    KeyPair& key = keys_[i];
    const auto start = std::chrono::steady_clock::now();
    CK_RV rv = spec.secret() ? main.CreateSecret(spec, &key.priv)
                             : main.GeneratePair(spec, true, true, &key);
    std::string why = rv == CKR_OK ? "" : RvName(rv);
    if (why.empty() && !spec.secret() && (spec.point_size ? key.point.empty() : key.n.empty()))
      why = "its public value cannot be read";
    if (!spec.secret())
      std::fprintf(stderr, "[%s] %s: %s (%.1f s)\n", name_.c_str(), spec.name,
                   why.empty() ? "generated" : why.c_str(),
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (!why.empty())
      for (Op op : users[i]) NotAvailable(op, std::string(spec.name) + ": " + why);
  }
  for (const auto& [op, why] : na_)
    std::fprintf(stderr, "[%s] %s: %s\n", name_.c_str(), OpName(op), why.c_str());
}

std::string TokenTarget::Populate(TokenThread& main, int64_t n) {
  std::lock_guard<std::mutex> lock(find_mu_);
  if (population_ >= n) return "";
  const auto start = std::chrono::steady_clock::now();
  std::fprintf(stderr, "[%s] creating data objects %lld..%lld for find\n", name_.c_str(),
               static_cast<long long>(population_), static_cast<long long>(n - 1));
  const int64_t step = std::max<int64_t>(1, (n - population_) / 10);
  for (int64_t i = population_; i < n; ++i) {
    if (CK_RV rv = main.CreateData("find-" + std::to_string(i)); rv != CKR_OK)
      return "CreateObject: " + RvName(rv);
    population_ = i + 1;
    if ((i + 1) % step == 0 || i + 1 == n) {
      const double s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::fprintf(stderr, "[%s]   %lld/%lld objects, %.1f s\n", name_.c_str(),
                   static_cast<long long>(i + 1), static_cast<long long>(n), s);
    }
  }
  return "";
}

// Refused is the result of an op whose first call failed with |rv|: n/a
// when the token refuses the mechanism's parameter (SoftHSM 2.6 takes OAEP
// with SHA-1 only, and says CKR_ARGUMENTS_BAD), else a failure.
Prepared Refused(const MechArgs& m, CK_RV rv) {
  if (m.param != Param::kNone && (rv == CKR_ARGUMENTS_BAD || rv == CKR_MECHANISM_PARAM_INVALID))
    return NotAvailable(MechanismName(m.type) + " with these parameters refused: " + RvName(rv));
  return Failed(RvName(rv));
}

Prepared TokenThread::Prepare(Op op, int64_t arg) {
  if (std::string why = target_.Supports(op); !why.empty()) return {why, nullptr};
  const OpSpec& spec = GetOpSpec(op);
  switch (spec.call) {
    case Call::kSign:
    case Call::kVerify:
      if (!GetKeySpec(spec.key).secret()) return SignOrVerify(op);
      return Compute(op);  // a MAC
    case Call::kDigest:
    case Call::kEncrypt:
    case Call::kDecrypt:
    case Call::kMessageEncrypt:
    case Call::kWrap:
      return Compute(op);
    case Call::kDerive:
    case Call::kGenerateKey:
    case Call::kUnwrap:
      return Derive(op);
    case Call::kGenerateKeyPair:
      return Generate(op);
    case Call::kOther:
      break;
  }
  return PrepareOther(op, arg);
}

// Compute prepares an op that turns an input into an output (digest, MAC,
// encryption, decryption): the output must be BoringSSL's; ciphertexts
// must decrypt back (and for OAEP, whose ciphertexts are random,
// BoringSSL's ciphertext must decrypt).
Prepared TokenThread::Compute(Op op) {
  const auto [spec, key, m, msg] = Context(op, target_);
  struct State {
    Action act;
    Buf in, out;
  };
  auto st = std::make_shared<State>();
  if (CK_RV rv = Bind(spec.call, m, KeyFor(spec.call, key), &st->act); rv != CKR_OK)
    return Failed("init: " + RvName(rv));
  if (spec.call == Call::kDecrypt) {
    st->in = Ciphertext(op, key);
    if (st->in.empty()) return Failed("BoringSSL made no ciphertext");
  }
  const ByteSpan in = spec.call == Call::kDecrypt ? ByteSpan(st->in) : msg;
  st->out.resize(std::max(in.size(), key.n.size()) + 32);
  CK_ULONG len = 0;
  if (CK_RV rv = st->act(in, {}, st->out, &len); rv != CKR_OK) return Refused(m, rv);
  const ByteSpan got = ByteSpan(st->out).first(len);
  // decrypt runs |what| through a decryption with the op's mechanism and
  // says whether it gives the op's message back.
  auto decrypts = [&](ByteSpan what) {
    Action dec;
    Buf plain(what.size() + 32);
    CK_ULONG plen = 0;
    return Bind(Call::kDecrypt, m, KeyFor(Call::kDecrypt, key), &dec) == CKR_OK &&
           dec(what, {}, plain, &plen) == CKR_OK && Same(ByteSpan(plain).first(plen), msg);
  };
  if (spec.call == Call::kDecrypt) {
    if (!Same(got, msg)) return Failed("the plaintext differs from the message");
  } else if (Buf expect = ExpectedOutput(op); !expect.empty()) {
    if (!Same(got, expect)) return Failed("output differs from BoringSSL's: " + Hex(got));
  } else if (!decrypts(Ciphertext(op, key))) {
    return Failed("BoringSSL's ciphertext does not decrypt");
  }
  if (spec.call == Call::kEncrypt && !decrypts(got))
    return Failed("the ciphertext does not decrypt");
  return {"", [st, in] {
            CK_ULONG len;
            return st->act(in, {}, st->out, &len) == CKR_OK;
          }};
}

Prepared TokenThread::SignOrVerify(Op op) {
  const auto [spec, key, m, msg] = Context(op, target_);
  struct State {
    Action sign, verify;
    Buf sig = Buf(1024);
    CK_ULONG sig_len = 0;
  };
  auto st = std::make_shared<State>();
  if (CK_RV rv = Bind(Call::kSign, m, key.priv, &st->sign); rv != CKR_OK)
    return Failed("sign init: " + RvName(rv));
  if (CK_RV rv = Bind(Call::kVerify, m, key.pub, &st->verify); rv != CKR_OK)
    return Failed("verify init: " + RvName(rv));
  if (CK_RV rv = st->sign(msg, {}, st->sig, &st->sig_len); rv != CKR_OK) return Refused(m, rv);
  const ByteSpan sig = ByteSpan(st->sig).first(st->sig_len);
  if (!VerifySignature(op, key, sig)) return Failed("signature does not verify with BoringSSL");
  if (CK_RV rv = st->verify(msg, sig, {}, nullptr); rv != CKR_OK)
    return Failed("verify: " + RvName(rv));
  if (spec.call == Call::kSign) {
    return {"", [st, msg] {
              CK_ULONG len;
              return st->sign(msg, {}, st->sig, &len) == CKR_OK;
            }};
  }
  return {"", [st, msg, sig] { return st->verify(msg, sig, {}, nullptr) == CKR_OK; }};
}

// Derive times the derivation (or key generation, or unwrap) plus the
// destruction of the new session key (a loop that kept them would measure a
// growing token).
Prepared TokenThread::Derive(Op op) {
  const OpSpec& spec = GetOpSpec(op);
  const KeyPair& key = target_.key(spec.key);
  const MechArgs m = MakeMechArgs(op);
  auto act = std::make_shared<Action>();
  if (CK_RV rv = Bind(spec.call, m, key.priv, act.get()); rv != CKR_OK)
    return Failed("derive init: " + RvName(rv));
  // An unwrap unwraps BoringSSL's wrapping.
  auto in = std::make_shared<Buf>(spec.call == Call::kUnwrap ? Ciphertext(op, key) : Buf());
  CK_ULONG h = 0;
  if (CK_RV rv = (*act)(*in, {}, {}, &h); rv != CKR_OK) return Failed("derive: " + RvName(rv));
  Buf value;
  CK_RV rv = GetValue(h, &value);
  Destroy(h);
  if (rv != CKR_OK) return Failed("CKA_VALUE of the derived key: " + RvName(rv));
  if (value != SharedSecret(op, key))
    return Failed("derived value differs from BoringSSL's: " + Hex(value));
  return {"", [this, act, in] {
            CK_ULONG h;
            return (*act)(*in, {}, {}, &h) == CKR_OK && Destroy(h) == CKR_OK;
          }};
}

// Generate times the generation of a session key pair and its destruction.
// The check signs with one new pair and verifies with BoringSSL (for X25519
// and DH: derives with it and compares BoringSSL's shared secret).
Prepared TokenThread::Generate(Op op) {
  const KeySpec& spec = GetKeySpec(GetOpSpec(op).key);
  KeyPair pair;
  if (CK_RV rv = GeneratePair(spec, false, true, &pair); rv != CKR_OK)
    return Failed("generate: " + RvName(rv));
  const Op check_op = CheckOpOf(op);
  const Call call = GetOpSpec(check_op).call;
  Action act;
  Buf sig(1024);
  CK_ULONG len = 0;
  CK_RV rv = Bind(call, MakeMechArgs(check_op), pair.priv, &act);
  if (rv == CKR_OK) rv = act(OpMessage(check_op), {}, sig, &len);
  bool ok = rv == CKR_OK;
  if (ok && call == Call::kDerive) {
    Buf value;
    rv = GetValue(len, &value);
    Destroy(len);
    ok = rv == CKR_OK && value == SharedSecret(check_op, pair);
  } else if (ok) {
    ok = VerifySignature(check_op, pair, ByteSpan(sig).first(len));
  }
  Destroy(pair.pub);
  Destroy(pair.priv);
  if (!ok) return Failed("the new key does not check with BoringSSL: " + RvName(rv));
  return {"", [this, &spec] {
            KeyPair p;
            return GeneratePair(spec, false, false, &p) == CKR_OK && Destroy(p.pub) == CKR_OK &&
                   Destroy(p.priv) == CKR_OK;
          }};
}

// ---------------------------------------------------------------------------
// The benchmark program.

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
                 double extra_min_time, Registered* reg) {
  std::string family = std::string("BM_") + OpName(op);
  if (op == Op::kFind) family += "_" + std::to_string(arg);
  const std::string tname = target ? target->name() : setup_error.substr(0, setup_error.find(':'));
  const std::string name = family + "/" + tname;
  std::string why = target ? target->Supports(op) : "FAILED: set-up: " + setup_error;
  benchmark::internal::Benchmark* b =
      benchmark::RegisterBenchmark(name.c_str(), [target, op, arg, why](benchmark::State& state) {
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
      });
  b->UseRealTime()->Threads(threads);
  if (extra_min_time > 0 && IsExtraAsymmetric(op)) b->MinTime(extra_min_time);
  // As Google Benchmark names it (it adds a MinTime of its own).
  char min_time[32] = "";
  if (extra_min_time > 0 && IsExtraAsymmetric(op))
    std::snprintf(min_time, sizeof min_time, "min_time:%0.3f/", extra_min_time);
  reg->names.push_back(name + "/" + min_time + "real_time/threads:" + std::to_string(threads));
}

}  // namespace
}  // namespace cryptoki::bench

int main(int argc, char** argv) {
  using namespace cryptoki::bench;
  std::string module_path, cpp_conf, other_path, other_name = "other";
  std::string find_list = "1000,100000", threads_list = "1,2",
              targets_list = "boringssl,cpp,module,other";
  int64_t other_find_max = 0;
  double extra_min_time = 0;
  bool extended = false;
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
    if (a == "--extended") {
      SelectExtended(true);
      extended = true;
      continue;
    }
    if (value("extra_min_time", &v)) {
      extra_min_time = std::atof(v.c_str());
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
  if (extended)
    benchmark::AddCustomContext("op_set", "extended");
  else
    benchmark::AddCustomContext("find_populations", find_list);
  if (extra_min_time > 0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", extra_min_time);
    benchmark::AddCustomContext("extra_min_time", buf);
  }

  std::vector<int> thread_counts;
  for (const std::string& t : Split(threads_list)) thread_counts.push_back(std::atoi(t.c_str()));
  Registered reg;
  auto add = [&](Op op, int64_t arg) {
    for (auto& [t, error] : targets)
      for (int threads : thread_counts)
        RegisterOne(t.get(), error, op, arg, threads, extra_min_time, &reg);
  };
  for (Op op : AllOps()) add(op, 0);
  // Find last, smallest population first: each population grows the token.
  // The extended set has no find.
  std::vector<int64_t> finds;
  if (!extended)
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
