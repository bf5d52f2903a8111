// module_bench.h: the per-mechanism benchmark of issue 8, shared by its
// targets. One Op runs on four targets: BoringSSL directly (the floor), the
// cryptoki C++ API, our module through its C ABI, and any other PKCS#11
// module (SoftHSM v2). Benchmarks are named BM_<Op>/<target>.
//
// Each target prepares an op once per benchmark thread (its own session,
// keys made at start-up, buffers sized) and checks one result against
// BoringSSL before the timed loop runs the returned closure.
#ifndef CRYPTOKI_BENCHMARKS_MODULE_BENCH_H_
#define CRYPTOKI_BENCHMARKS_MODULE_BENCH_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "pkcs11.h"

namespace cryptoki::bench {

using Buf = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;

enum class Op {
  kSha256_64,
  kSha256_8K,
  kHmacSha256_64,
  kAesGcm_1K,
  kAesGcm_8K,
  kAesCbcPad_8K,
  kChaChaPoly_1K,
  kEcdsaP256Sign,
  kEcdsaP256Verify,
  kRsaPkcs1Sign,
  kRsaPkcs1Verify,
  kRsaPssSign,
  kRsaPssVerify,
  kEd25519Sign,
  kEd25519Verify,
  kX25519Derive,
  kEcdhP256Derive,
  kRandom32,
  kEcP256GenerateKeyPair,
  kGetAttribute,
  kSessionOpenClose,
  kFind,  // with the population size as argument
};

// OpName returns the benchmark name part: "SHA256_64B".
const char* OpName(Op op);
// OpBytes returns the payload size of a symmetric or digest op (for
// bytes/s), 0 for the others.
size_t OpBytes(Op op);
// OpMessage returns the input the op processes (signature ops sign a
// 32-byte digest for ECDSA, a 64-byte message otherwise).
ByteSpan OpMessage(Op op);

// Fixed inputs shared by every target, so outputs can be compared.
struct Inputs {
  Buf aes_key;     // 32 bytes
  Buf hmac_key;    // 32 bytes
  Buf chacha_key;  // 32 bytes
  Buf iv12;        // GCM / ChaCha20-Poly1305 nonce
  Buf iv16;        // CBC IV
  // Peer keys of the derive ops (made by BoringSSL).
  Buf x25519_peer_private, x25519_peer_public;  // 32 bytes each
  Buf p256_peer_private, p256_peer_public;      // 32 / 65 (uncompressed)
  static const Inputs& Get();
};

// Prepared is one op ready to time: |run| performs it once and returns
// false on failure. A non-empty |error| means the op cannot run: "n/a: ..."
// when the target lacks the mechanism, anything else is a failure.
struct Prepared {
  std::string error;
  std::function<bool()> run;
};

inline Prepared NotAvailable(const std::string& why) { return Prepared{"n/a: " + why, nullptr}; }
inline Prepared Failed(const std::string& why) { return Prepared{"FAILED: " + why, nullptr}; }

// ThreadRunner is one benchmark thread's view of a target (its own session).
class ThreadRunner {
 public:
  virtual ~ThreadRunner() = default;
  // Prepare readies |op| (|arg| is the population of kFind) and checks one
  // result for correctness.
  virtual Prepared Prepare(Op op, int64_t arg) = 0;
};

class Target {
 public:
  virtual ~Target() = default;
  // name is the benchmark name part: boringssl, cpp, module or other.
  virtual std::string name() const = 0;
  // description says what the target is ("SoftHSM 2.6"), "" if nothing.
  virtual std::string description() const { return ""; }
  // Supports returns "" if |op| can run, else why not ("n/a: ...").
  virtual std::string Supports(Op op) const = 0;
  // NewThread opens a session for one benchmark thread; null with |*error|
  // set on failure.
  virtual std::unique_ptr<ThreadRunner> NewThread(std::string* error) = 0;
};

// The targets. Each Make* sets up its token and keys, printing progress to
// stderr; null with |*error| set on failure.
std::unique_ptr<Target> MakeBoringSslTarget();
// |conf| is a cryptoki config file (its own token directory).
std::unique_ptr<Target> MakeCppTarget(const std::string& conf, std::string* error);
// |name| is "module" or "other"; |max_find| caps the find population
// (0: no cap).
std::unique_ptr<Target> MakePkcs11Target(const std::string& name, const std::string& path,
                                         int64_t max_find, std::string* error);

// Checks against BoringSSL (module_bench_boringssl.cc).
Buf Sha256(ByteSpan in);
Buf HmacSha256(ByteSpan key, ByteSpan in);
Buf AesGcmSeal(ByteSpan key, ByteSpan iv, ByteSpan in);  // ciphertext || tag
Buf AesCbcPadEncrypt(ByteSpan key, ByteSpan iv, ByteSpan in);
Buf ChaChaPolySeal(ByteSpan key, ByteSpan nonce, ByteSpan in);  // ciphertext || tag
// |point| is an uncompressed P-256 point (65 bytes); |sig| is r || s.
bool EcdsaP256Verify(ByteSpan point, ByteSpan digest, ByteSpan sig);
bool RsaPkcs1Sha256Verify(ByteSpan n, ByteSpan e, ByteSpan msg, ByteSpan sig);
bool RsaPssSha256Verify(ByteSpan n, ByteSpan e, ByteSpan msg, ByteSpan sig);
bool Ed25519Verify(ByteSpan pub, ByteSpan msg, ByteSpan sig);
Buf X25519Shared(ByteSpan priv, ByteSpan peer_pub);
Buf EcdhP256Shared(ByteSpan priv, ByteSpan peer_point);
// EcPointFromAttribute returns the raw point of a CKA_EC_POINT value, which
// modules give either DER-wrapped (an OCTET STRING) or raw.
Buf EcPointFromAttribute(ByteSpan value, size_t raw_size);
std::string Hex(ByteSpan b);

// DER of the curve OIDs (CKA_EC_PARAMS).
extern const Buf kP256Params;
extern const Buf kEd25519Params;
extern const Buf kX25519Params;

}  // namespace cryptoki::bench

#endif  // CRYPTOKI_BENCHMARKS_MODULE_BENCH_H_
