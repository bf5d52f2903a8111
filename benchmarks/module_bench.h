// module_bench.h: the per-mechanism benchmark of issue 8, shared by its
// targets. One Op runs on four targets: BoringSSL directly (the floor), the
// cryptoki C++ API, our module through its C ABI, and any other PKCS#11
// module (SoftHSM v2). Benchmarks are named BM_<Op>/<target>.
//
// Each target prepares an op once per benchmark thread (its own session,
// keys made at start-up, buffers sized) and checks one result against
// BoringSSL before the timed loop runs the returned closure.
//
// The two token targets (the C++ API and any C ABI module) share everything
// but the calls themselves: TokenTarget decides from the op table (OpSpec,
// KeySpec) which ops a token can run and makes their keys; TokenThread
// prepares and checks every cryptographic op. Each token target supplies
// the primitives (TokenThread::Bind, CreateSecret, GeneratePair, ...).
#ifndef CRYPTOKI_BENCHMARKS_MODULE_BENCH_H_
#define CRYPTOKI_BENCHMARKS_MODULE_BENCH_H_

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pkcs11.h"

namespace cryptoki::bench {

using Buf = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;

enum class Op {
  kSha256_64,
  kSha256_1K,
  kSha256_8K,
  kHmacSha256_64,
  kHmacSha256_8K,
  kAesCmac_64,
  kAesGcm_1K,
  kAesGcm_8K,
  kAesGcmDecrypt_8K,
  kAesCbcPad_8K,
  kAesCbcPadDecrypt_8K,
  kChaChaPoly_1K,
  kAesGcmMessage_1K,  // the 3.0 message API: C_EncryptMessage
  kEcdsaP256Sign,
  kEcdsaP256Verify,
  kEcdsaP384Sign,
  kEcdsaP384Verify,
  kEcdsaP521Sign,
  kEcdsaP521Verify,
  kRsaPkcs1Sign,
  kRsaPkcs1Verify,
  kRsa3072Pkcs1Sign,
  kRsa3072Pkcs1Verify,
  kRsa4096Pkcs1Sign,
  kRsa4096Pkcs1Verify,
  kRsaPssSign,
  kRsaPssVerify,
  kRsaOaepEncrypt,
  kRsaOaepDecrypt,
  kEd25519Sign,
  kEd25519Verify,
  kX25519Derive,
  kEcdhP256Derive,
  kEcdhP384Derive,
  kRandom32,
  kEcP256GenerateKeyPair,
  kEd25519GenerateKeyPair,
  kGetAttribute,
  kSessionOpenClose,
  kFind,  // with the population size as argument
  // The extended set (--extended) follows: Op values kExtended + i, made
  // from the family table in module_bench_boringssl.cc.
  kExtended = 1000,
};

// SelectExtended picks the op set AllOps lists: the default set (issue 8
// and its additions) or, with |extended|, the extended set of every other
// mechanism family. Call it before making any target.
void SelectExtended(bool extended);
// AllOps lists every op of the selected set but kFind, in the order they
// run and are reported.
std::span<const Op> AllOps();
// OpName returns the benchmark name part: "SHA256_64B".
const char* OpName(Op op);
// OpBytes returns the payload size of a symmetric or digest op (for
// bytes/s), 0 for the others.
size_t OpBytes(Op op);
// OpMessage returns the input the op processes: for ECDSA a digest of the
// curve's size class (SHA-256 / SHA-384 / SHA-512), for the other signature
// and OAEP ops a 64-byte message.
ByteSpan OpMessage(Op op);
// IsExtraAsymmetric says whether |op| is one of the slow asymmetric ops
// added after issue 8 (RSA-3072/4096/8192, OAEP, P-384/P-521, the key-pair
// generations but P-256's, P-384's and X25519's), which run with
// --extra_min_time when it is given.
bool IsExtraAsymmetric(Op op);
// CheckOpOf returns the op that checks a key made by the key-pair generation
// op |op|: the first op of the tables that signs (or, for a key-agreement
// key, derives) with a key of the same KeyId.
Op CheckOpOf(Op op);

// What a token call does with its mechanism.
enum class Call {
  kDigest,
  kSign,  // MACs too
  kVerify,
  kEncrypt,
  kDecrypt,
  kMessageEncrypt,  // C_MessageEncryptInit once, C_EncryptMessage per call
  kDerive,
  kGenerateKeyPair,
  kGenerateKey,  // C_GenerateKey of a session secret key (PBKDF2), as kDerive
  kWrap,         // C_WrapKey of the kWrapped key with the op's key
  kUnwrap,       // C_UnwrapKey of BoringSSL's wrapping of the kWrapped key's value
                 // with the op's key into a session secret key, as kDerive
  kOther,        // random, attributes, sessions, find: each target's own
};

// Mechanism parameter kinds, built by each target in its own form.
enum class Param {
  kNone,
  kGcm,             // iv12, no AAD, 128-bit tag
  kCbcIv,           // iv16
  kChaCha,          // nonce iv12, no AAD
  kPss,             // SHA-256, MGF1-SHA-256, 32-byte salt
  kOaep,            // SHA-256, MGF1-SHA-256, no label
  kEcdh,            // CKD_NULL with the peer's public key in |bytes|
  kCtr,             // CK_AES_CTR_PARAMS: 128 counter bits, counter block in |bytes|
  kDh,              // CKM_DH_PKCS_DERIVE: the peer's public value in |bytes|
  kHkdf,            // extract and expand, SHA-256, Inputs' kdf_salt and kdf_info
  kSp800108,        // counter mode: 32-bit BE counter || kdf_fixed || 32-bit BE DKM length
  kPbkdf2,          // HMAC-SHA256, 1000 iterations, Inputs' password and kdf_salt
  kBaseKey,         // CKM_CONCATENATE_BASE_AND_KEY: the op's own key again (base || base)
  kDeriveData,      // CK_KEY_DERIVATION_STRING_DATA of Inputs' derive_data
  kExtract,         // CK_EXTRACT_PARAMS: bit kExtractBit
  kCbcEncryptData,  // CK_AES_CBC_ENCRYPT_DATA_PARAMS: iv16, Inputs' derive_data
};

// The first bit CKM_EXTRACT_KEY_FROM_KEY takes (Param::kExtract).
constexpr CK_ULONG kExtractBit = 12;

// The keys a token target makes at start-up (token objects).
enum class KeyId {
  kNone,
  kAes,
  kHmac,
  kChaCha,
  kCmac,
  kP256,
  kP256Ecdh,
  kP384,
  kP384Ecdh,
  kP521,
  kRsa2048,  // PKCS#1, PSS and OAEP
  kRsa3072,
  kRsa4096,
  kEd25519,
  kX25519,
  kHmac64,     // 64 bytes: SoftHSM wants HMAC-SHA384/512 keys no shorter than the hash
  kP224,       // ECDSA P-224 (extended set)
  kDh,         // ffdhe2048 (RFC 7919) DH key (extended set)
  kKdf,        // 32-byte generic secret, CKA_DERIVE (HKDF, SP 800-108)
  kWrapKey,    // AES-256 wrapping key (extended set)
  kWrapped,    // the 32-byte AES key it wraps (CKA_EXTRACTABLE)
  kAes128,     // AES-128 encrypt/decrypt (extended set)
  kDes3,       // DES3 encrypt/decrypt (extended set)
  kAes192,     // AES-192 encrypt/decrypt (extended set)
  kAesDerive,  // AES-256 key, CKA_DERIVE (AES_ECB / AES_CBC_ENCRYPT_DATA)
  kP521Ecdh,   // P-521 ECDH (extended set)
  kRsa8192,    // RSA-8192 PKCS#1 (extended set; generated only for it)
  kCount,
};

struct KeySpec {
  const char* name;  // "P-256 key"
  // Pairs: the generation mechanism and its public template parts.
  CK_MECHANISM_TYPE gen = 0;       // 0: a secret key (C_CreateObject)
  const Buf* ec_params = nullptr;  // EC, Edwards and Montgomery keys
  CK_ULONG modulus_bits = 0;       // RSA
  const Buf* dh_prime = nullptr;   // DH: CKA_PRIME and CKA_BASE; the public
  const Buf* dh_base = nullptr;    //   value (CKA_VALUE) goes to KeyPair::point
  size_t point_size = 0;           // raw CKA_EC_POINT size; 0 for RSA
  int nid = 0;                     // BoringSSL curve of a Weierstrass key
  // Usage: derive (ECDH), sign/verify, encrypt/decrypt (both may hold).
  bool derive = false, sign = false, crypt = false;
  bool wrap = false, extractable = false;  // CKA_WRAP / CKA_UNWRAP, CKA_EXTRACTABLE
  // Secrets: key type, value (Inputs) and label.
  CK_KEY_TYPE secret_type = 0;
  const Buf* value = nullptr;
  std::string_view label;
  // secret says whether this is a secret key (made with C_CreateObject).
  bool secret() const { return value != nullptr; }
};
const KeySpec& GetKeySpec(KeyId id);

struct OpSpec {
  Call call = Call::kOther;
  CK_MECHANISM_TYPE mech = 0;  // 0 for kOther
  Param param = Param::kNone;
  KeyId key = KeyId::kNone;
};
const OpSpec& GetOpSpec(Op op);

// MechArgs is one op's mechanism, target-neutral: each token target turns it
// into its CK_MECHANISM or Mechanism once, before the timed loop.
struct MechArgs {
  CK_MECHANISM_TYPE type = 0;
  Param param = Param::kNone;
  Buf bytes;               // IV / nonce, or the ECDH peer's public key
  CK_ULONG value_len = 0;  // ECDH: length of the derived secret
};
MechArgs MakeMechArgs(Op op);

// Fixed inputs shared by every target, so outputs can be compared.
struct Inputs {
  Buf aes_key;      // 32 bytes (AES-GCM, AES-CBC, AES-CMAC)
  Buf aes128_key;   // 16 bytes
  Buf aes192_key;   // 24 bytes
  Buf derive_data;  // 32 bytes: data of the CONCATENATE / XOR / AES *_ENCRYPT_DATA derivations
  Buf hmac64_key;   // 64 bytes
  Buf wrapped_key;  // 32 bytes: the AES key the wrap op wraps
  Buf kdf_salt, kdf_info, kdf_fixed, password;  // KDF inputs
  Buf dh_prime, dh_base;                        // ffdhe2048
  Buf dh_peer_private, dh_peer_public;          // 256 bytes each
  Buf des3_key;                                 // 24 bytes, odd parity
  Buf iv8;                                      // DES3-CBC IV
  Buf hmac_key;                                 // 32 bytes
  Buf chacha_key;                               // 32 bytes
  Buf iv12;                                     // GCM / ChaCha20-Poly1305 nonce
  Buf iv16;                                     // CBC / CTS IV, CTR counter block
  // Peer keys of the derive ops (made by BoringSSL).
  Buf x25519_peer_private, x25519_peer_public;  // 32 bytes each
  Buf p256_peer_private, p256_peer_public;      // 32 / 65 (uncompressed)
  Buf p384_peer_private, p384_peer_public;      // 48 / 97 (uncompressed)
  Buf p521_peer_private, p521_peer_public;      // 66 / 133 (uncompressed)
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

// KeyPair is a key a token target made: for a secret key only |priv| (its
// handle); for a pair both handles and the public values BoringSSL checks
// with (the raw point, or the RSA modulus and exponent).
struct KeyPair {
  CK_OBJECT_HANDLE pub = 0, priv = 0;
  Buf point, n, e;
};

// Action is one prepared token call: for kDigest / kSign / kEncrypt /
// kDecrypt / kMessageEncrypt it processes |in| into |out| (its length in
// |*len|); kWrap wraps the kWrapped key into |out|; kVerify checks |sig|
// over |in|; kDerive derives a session key and returns its handle in
// |*len|, kGenerateKey makes one (C_GenerateKey) and kUnwrap unwraps |in|
// into one the same way.
// Returns the CK_RV of the first call that failed, CKR_OK on success.
using Action =
    std::function<CK_RV(ByteSpan in, ByteSpan sig, std::span<uint8_t> out, CK_ULONG* len)>;

class TokenTarget;

// TokenThread is one session of a token target. Prepare runs every
// cryptographic op through the primitives below, checking one result
// against BoringSSL; PrepareOther does what differs per target (random,
// attributes, sessions, find).
class TokenThread : public ThreadRunner {
 public:
  explicit TokenThread(TokenTarget& target) : target_(target) {}
  Prepared Prepare(Op op, int64_t arg) override;

  // Bind readies |call| with |m| and |key| into |*out|: the mechanism is
  // built once here (for kMessageEncrypt the message operation begins).
  virtual CK_RV Bind(Call call, const MechArgs& m, CK_OBJECT_HANDLE key, Action* out) = 0;
  // CreateSecret makes the token secret key of |spec|.
  virtual CK_RV CreateSecret(const KeySpec& spec, CK_OBJECT_HANDLE* out) = 0;
  // GeneratePair makes the pair of |spec|: token objects when |token|, else
  // session objects. With |read_public| it also fills the public values.
  virtual CK_RV GeneratePair(const KeySpec& spec, bool token, bool read_public, KeyPair* out) = 0;
  virtual CK_RV Destroy(CK_OBJECT_HANDLE h) = 0;
  // GetValue reads the CKA_VALUE of |h| into |*out|.
  virtual CK_RV GetValue(CK_OBJECT_HANDLE h, Buf* out) = 0;
  // CreateData makes the token data object labelled |label| (for find).
  virtual CK_RV CreateData(const std::string& label) = 0;

 protected:
  virtual Prepared PrepareOther(Op op, int64_t arg) = 0;
  TokenTarget& target_;

 private:
  Prepared Compute(Op op);
  Prepared SignOrVerify(Op op);
  Prepared Derive(Op op);
  Prepared Generate(Op op);
};

// TokenTarget is a target with a token: it records which ops are n/a and
// why, and holds the keys made at set-up.
class TokenTarget : public Target {
 public:
  explicit TokenTarget(std::string name) : name_(std::move(name)) {}
  std::string name() const override { return name_; }
  std::string Supports(Op op) const override {
    auto it = na_.find(op);
    return it == na_.end() ? "" : it->second;
  }
  const KeyPair& key(KeyId id) const { return keys_[static_cast<size_t>(id)]; }
  // Populate makes sure |n| data objects labelled find-<i> exist, made
  // through |main| (thread-safe; progress on stderr).
  std::string Populate(TokenThread& main, int64_t n);

 protected:
  // NotAvailable marks |op| n/a; the first reason given stays.
  void NotAvailable(Op op, const std::string& why) { na_.emplace(op, "n/a: " + why); }
  // SetUpKeys marks n/a every op whose mechanisms |has| (mechanism, flags)
  // denies, then makes through |main| each key an available op needs; a key
  // the token refuses makes its ops n/a with the reason. Prints the n/a ops.
  void SetUpKeys(TokenThread& main, const std::function<bool(CK_MECHANISM_TYPE, CK_FLAGS)>& has);

 private:
  std::string name_;
  std::map<Op, std::string> na_;
  std::array<KeyPair, static_cast<size_t>(KeyId::kCount)> keys_;
  std::mutex find_mu_;
  int64_t population_ = 0;
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
// ExpectedOutput returns BoringSSL's output of a deterministic kDigest /
// kSign (MAC) / kEncrypt / kMessageEncrypt op on OpMessage(op) (AEADs:
// ciphertext || tag); empty for the others.
Buf ExpectedOutput(Op op);
// Ciphertext returns the input of a kDecrypt or kUnwrap op, made by
// BoringSSL (for OAEP with the public key |key|; for an unwrap the wrapping
// of the kWrapped key's value).
Buf Ciphertext(Op op, const KeyPair& key);
// VerifySignature checks |sig| over OpMessage(op) with the public values
// of |key|, the way |op| signs.
bool VerifySignature(Op op, const KeyPair& key, ByteSpan sig);
// SharedSecret returns the value a derive op makes: for ECDH / DH the secret
// of the token's public values in |key| and the peer's private key, for the
// KDFs and the simple derivations BoringSSL's result from the base key.
Buf SharedSecret(Op op, const KeyPair& key);
Buf Sha256(ByteSpan in);
// EcPointFromAttribute returns the raw point of a CKA_EC_POINT value, which
// modules give either DER-wrapped (an OCTET STRING) or raw.
Buf EcPointFromAttribute(ByteSpan value, size_t raw_size);
std::string Hex(ByteSpan b);

// DER of the curve OIDs (CKA_EC_PARAMS).
extern const Buf kP224Params;
extern const Buf kP256Params;
extern const Buf kP384Params;
extern const Buf kP521Params;
extern const Buf kEd25519Params;
extern const Buf kX25519Params;

}  // namespace cryptoki::bench

#endif  // CRYPTOKI_BENCHMARKS_MODULE_BENCH_H_
