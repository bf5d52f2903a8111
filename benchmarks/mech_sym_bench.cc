// mech_sym_bench: every symmetric mechanism family through the C++ API
// (<Family>_Api), against the same operation done directly on BoringSSL
// (<Family>_BoringSSL, keys set up per call as a client would). 64 B, 1 KiB
// and 8 KiB; 1 and 2 threads (each thread with its own session on one shared
// token).
//
// The size is the data processed: the input of digests, MACs and ciphers,
// the wrapped key of key wrap (RFC 3394, KWP, PAD), the derived key of the
// KDFs (HKDF to a key and to a data object, SP 800-108, PBKDF2), the data of
// the simple derivations (CONCATENATE_BASE_AND_KEY's second key,
// CONCATENATE_*_DATA_*, XOR_BASE_AND_DATA and EXTRACT_KEY_FROM_KEY with a
// base of that size, AES_ECB / AES_CBC_ENCRYPT_DATA); for the derivations the
// API run includes reading the new object's value back and destroying it.
// Before timing, every benchmark runs its operation once both ways and stops
// with an error unless the results are equal.
//
//   bazel run -c opt //benchmarks:mech_sym_bench
#include <benchmark/benchmark.h>
#include <openssl/aead.h>
#include <openssl/aes.h>
#include <openssl/cmac.h>
#include <openssl/des.h>
#include <openssl/evp.h>
#include <openssl/hkdf.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "benchmarks/reference.h"
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
  // Kept open so that the user stays logged in: derived keys are private.
  std::optional<Session> user;
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
    fx->user.emplace(std::move(*u));
    return fx;
  }();
  return *f;
}

// KeyBytes is the value of every benchmark key of |len| bytes (distinct
// bytes, so the DES3 parts differ).
Bytes KeyBytes(size_t len) {
  Bytes b(len);
  for (size_t i = 0; i < len; ++i) b[i] = static_cast<uint8_t>(0x42 + 7 * i);
  return b;
}

// Key returns the token key of |type| holding KeyBytes(|len|), made once
// (token objects: every session sees them by handle).
ObjectHandle Key(CK_KEY_TYPE type, size_t len) {
  static std::mutex mu;
  static std::map<std::pair<CK_KEY_TYPE, size_t>, ObjectHandle> keys;
  std::lock_guard<std::mutex> l(mu);
  auto& h = keys[{type, len}];
  if (!h.valid()) {
    auto s = Shared().token->OpenSession(SessionKind::kReadWrite);
    auto k =
        s->CreateObject({attr::Class{CKO_SECRET_KEY}, attr::KeyType{type}, attr::Token{true},
                         attr::Private{false}, attr::Derive{true}, attr::Value{KeyBytes(len)}});
    if (!k) std::abort();
    h = *k;
  }
  return h;
}

// Keys are the objects one API run uses: the operation's key, and (key wrap,
// CONCATENATE_BASE_AND_KEY) a second key of as many bytes as the input. The
// runners look them up before timing.
struct Keys {
  ObjectHandle key;
  ObjectHandle target;
};

// A Family is one benchmarked operation. |api| runs it once through the C++
// API and |direct| once on BoringSSL; both leave the result in |out|.
struct Family {
  std::string name;
  CK_KEY_TYPE key_type = 0;  // 0: no key (digests)
  size_t key_len = 0;        // 0 with a key type: as many bytes as the input
  bool target = false;       // needs Keys::target
  std::function<Result<>(Session& s, const Keys& k, ByteView in, Bytes& out)> api;
  std::function<bool(ByteView in, Bytes& out)> direct;
};

// ---- The API side ------------------------------------------------------------

// OneShot: init and a single-part call of |kind| (digest, sign or encrypt).
auto OneShot(OpKind kind, Mechanism m) {
  return [kind, m](Session& s, const Keys& k, ByteView in, Bytes& out) -> Result<> {
    CRYPTOKI_TRY(kind == OpKind::kDigest ? DigestInit(s, m)
                 : kind == OpKind::kSign ? SignInit(s, m, k.key)
                                         : EncryptInit(s, m, k.key));
    out.resize(in.size() + 64);
    Output o = Output::Into(out);
    CRYPTOKI_TRY(s.OneShot(kind, in, o));
    out.resize(o.length);
    return {};
  };
}

// TakeValue reads the value of a new key |h| into |out| and destroys it.
Result<> TakeValue(Session& s, Result<ObjectHandle> h, Bytes& out) {
  if (!h) return Fail(h.error());
  auto v = s.Get<attr::Value>(*h);
  if (!v) return Fail(v.error());
  out = std::move(*v);
  return s.DestroyObject(*h);
}

// DerivedTemplate asks for an extractable generic secret of |n| bytes.
Template DerivedTemplate(size_t n) {
  return Template{attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_GENERIC_SECRET}, attr::ValueLen{n},
                  attr::Sensitive{false}};
}

// DeriveTemplate is what a derivation of |n| bytes with |type| asks for: a
// data object for CKM_HKDF_DATA, else DerivedTemplate(n).
Template DeriveTemplate(CK_MECHANISM_TYPE type, size_t n) {
  return type == CKM_HKDF_DATA ? Template{attr::Class{CKO_DATA}, attr::ValueLen{n}}
                               : DerivedTemplate(n);
}

// Derive: C_DeriveKey of |in.size()| bytes with |m| from the family's key.
auto Derive(Mechanism m) {
  return [m](Session& s, const Keys& k, ByteView in, Bytes& out) -> Result<> {
    return TakeValue(s, DeriveKey(s, m, k.key, DeriveTemplate(m.type, in.size())), out);
  };
}

// DeriveBy: C_DeriveKey of |in.size()| + |extra| bytes from the family's
// key with the mechanism |mech| makes of the keys and the input.
auto DeriveBy(std::function<Mechanism(const Keys&, ByteView)> mech, size_t extra = 0) {
  return [mech, extra](Session& s, const Keys& k, ByteView in, Bytes& out) -> Result<> {
    const Mechanism m = mech(k, in);
    return TakeValue(s, DeriveKey(s, m, k.key, DeriveTemplate(m.type, in.size() + extra)), out);
  };
}

// Wrap: C_WrapKey of Keys::target with |type| (the size query, then the
// call).
auto Wrap(CK_MECHANISM_TYPE type) {
  return [type](Session& s, const Keys& k, ByteView, Bytes& out) -> Result<> {
    Output q = Output::Query();
    CRYPTOKI_TRY(WrapKey(s, Mechanism{type}, k.key, k.target, q));
    out.resize(q.length);
    Output o = Output::Into(out);
    CRYPTOKI_TRY(WrapKey(s, Mechanism{type}, k.key, k.target, o));
    out.resize(o.length);
    return {};
  };
}

// ---- The BoringSSL side, and the parameters both sides share -------------------

const Bytes kZeroIv(16);
const Bytes kSalt(32, 0x5a);
const Bytes kInfo(16, 0x1f);
const Bytes kPassword(12, 0x70);
constexpr CK_ULONG kPbkdf2Iterations = 8;
const Bytes kLabel(12, 0x6c);

// AesKey sets up the AES encryption key of KeyBytes(|key_len|).
AES_KEY AesKey(size_t key_len) {
  const Bytes key = KeyBytes(key_len);
  AES_KEY k;
  AES_set_encrypt_key(key.data(), key.size() * 8, &k);
  return k;
}

bool AesCbc(ByteView in, Bytes& out, size_t key_len) {
  const AES_KEY k = AesKey(key_len);
  uint8_t iv[16] = {0};
  out.resize(in.size());
  AES_cbc_encrypt(in.data(), out.data(), in.size(), &k, iv, AES_ENCRYPT);
  return true;
}

bool AesEcb(ByteView in, Bytes& out, size_t key_len) {
  const AES_KEY k = AesKey(key_len);
  out.resize(in.size());
  for (size_t i = 0; i < in.size(); i += 16)
    AES_ecb_encrypt(in.data() + i, out.data() + i, &k, AES_ENCRYPT);
  return true;
}

// Padded returns |in| with PKCS#7 padding to |block| bytes (a whole block of
// padding for aligned input).
Bytes Padded(ByteView in, size_t block) {
  Bytes padded(in.begin(), in.end());
  const size_t pad = block - in.size() % block;
  padded.insert(padded.end(), pad, static_cast<uint8_t>(pad));
  return padded;
}

// Des3 encrypts |in| with the DES3 key KeyBytes(24) in ECB or (|cbc|) CBC
// mode with a zero IV.
bool Des3(ByteView in, Bytes& out, bool cbc) {
  const Bytes key = KeyBytes(24);
  DES_key_schedule ks[3];
  for (int i = 0; i < 3; ++i) {
    DES_cblock b;
    memcpy(b.bytes, key.data() + 8 * i, 8);
    DES_set_key_unchecked(&b, &ks[i]);
  }
  out.resize(in.size());
  if (cbc) {
    DES_cblock iv = {};
    DES_ede3_cbc_encrypt(in.data(), out.data(), in.size(), &ks[0], &ks[1], &ks[2], &iv,
                         DES_ENCRYPT);
    return true;
  }
  for (size_t i = 0; i < in.size(); i += 8) {
    DES_cblock b, o;
    memcpy(b.bytes, in.data() + i, 8);
    DES_ecb3_encrypt(&b, &o, &ks[0], &ks[1], &ks[2], DES_ENCRYPT);
    memcpy(out.data() + i, o.bytes, 8);
  }
  return true;
}

// DirectDigest: the digest (without |key|) or HMAC (with it) with |md| of
// the input; a null |md| is SHA-512/224, which BoringSSL has no EVP_MD for.
auto DirectDigest(const EVP_MD* md, std::optional<size_t> key_len = std::nullopt) {
  return [md, key_len](ByteView in, Bytes& out) {
    if (md == nullptr) {
      out.resize(bench::kSha512_224Size);
      if (key_len)
        bench::HmacSha512_224(KeyBytes(*key_len), in, out.data());
      else
        bench::Sha512_224(in, out.data());
      return true;
    }
    out.resize(EVP_MD_size(md));
    unsigned n = 0;
    if (!key_len) return EVP_Digest(in.data(), in.size(), out.data(), &n, md, nullptr) == 1;
    const Bytes key = KeyBytes(*key_len);
    return HMAC(md, key.data(), key.size(), in.data(), in.size(), out.data(), &n) != nullptr;
  };
}

// DirectWrap: |type| (CKM_AES_KEY_WRAP, or KWP / PAD: RFC 5649) of a key of
// KeyBytes of the input's size, like Keys::target, with the AES-128 KEK.
auto DirectWrap(CK_MECHANISM_TYPE type) {
  return [type](ByteView in, Bytes& out) {
    const Bytes target = KeyBytes(in.size());
    const AES_KEY k = AesKey(16);
    out.resize(target.size() + 16);
    if (type == CKM_AES_KEY_WRAP) {
      const int n = AES_wrap_key(&k, nullptr, out.data(), target.data(), target.size());
      out.resize(n > 0 ? n : 0);
      return n > 0;
    }
    size_t n = 0;
    const bool ok =
        AES_wrap_key_padded(&k, out.data(), &n, out.size(), target.data(), target.size()) == 1;
    out.resize(n);
    return ok;
  };
}

bool Aead(const EVP_AEAD* aead, ByteView in, Bytes& out) {
  const Bytes key = KeyBytes(EVP_AEAD_key_length(aead)), nonce(12);
  bssl::ScopedEVP_AEAD_CTX ctx;
  out.resize(in.size() + 16);
  size_t n = 0;
  const bool ok = EVP_AEAD_CTX_init(ctx.get(), aead, key.data(), key.size(), 16, nullptr) &&
                  EVP_AEAD_CTX_seal(ctx.get(), out.data(), &n, out.size(), nonce.data(), 12,
                                    in.data(), in.size(), nullptr, 0);
  out.resize(n);
  return ok;
}

// Sp800108Params: counter mode, [i]_32 || label || [L]_32, HMAC-SHA256.
mech::Sp800108Params Sp800108Params() {
  mech::Sp800108Params p;
  p.prf = CKM_SHA256_HMAC;
  mech::PrfDataParam counter{CK_SP800_108_ITERATION_VARIABLE};
  counter.has_format = true, counter.width_bits = 32;
  mech::PrfDataParam length{CK_SP800_108_DKM_LENGTH};
  length.has_format = true, length.width_bits = 32;
  length.dkm_method = CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS;
  p.data = {counter, mech::PrfDataParam{CK_SP800_108_BYTE_ARRAY, kLabel}, length};
  return p;
}

void PutBe32(Bytes& b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(v >> s));
}

std::vector<Family> Families() {
  std::vector<Family> f;
  f.push_back(
      {"Sha256", 0, 0, false, OneShot(OpKind::kDigest, {CKM_SHA256}), [](ByteView in, Bytes& out) {
         out.resize(32);
         SHA256(in.data(), in.size(), out.data());
         return true;
       }});
  // The other digests and the HMACs (32-byte keys; 64 bytes with SHA-512's
  // block): a null EVP_MD is SHA-512/224.
  const struct {
    const char* name;
    CK_MECHANISM_TYPE digest, hmac;
    const EVP_MD* md;
  } hashes[] = {
      {"Md5", CKM_MD5, CKM_MD5_HMAC, EVP_md5()},
      {"Sha224", CKM_SHA224, CKM_SHA224_HMAC, EVP_sha224()},
      {"Sha256", 0, CKM_SHA256_HMAC, EVP_sha256()},
      {"Sha512_224", CKM_SHA512_224, CKM_SHA512_224_HMAC, nullptr},
      {"Sha512_256", CKM_SHA512_256, CKM_SHA512_256_HMAC, EVP_sha512_256()},
  };
  for (const auto& h : hashes) {
    if (h.digest != 0)
      f.push_back({h.name, 0, 0, false, OneShot(OpKind::kDigest, {h.digest}), DirectDigest(h.md)});
    const size_t key_len =
        h.hmac == CKM_MD5_HMAC || h.hmac == CKM_SHA224_HMAC || h.hmac == CKM_SHA256_HMAC ? 32 : 64;
    f.push_back({std::string("Hmac") + h.name, CKK_GENERIC_SECRET, key_len, false,
                 OneShot(OpKind::kSign, {h.hmac}), DirectDigest(h.md, key_len)});
  }
  f.push_back({"AesCmac", CKK_AES, 16, false, OneShot(OpKind::kSign, {CKM_AES_CMAC}),
               [](ByteView in, Bytes& out) {
                 const Bytes key = KeyBytes(16);
                 out.resize(16);
                 return AES_CMAC(out.data(), key.data(), key.size(), in.data(), in.size()) == 1;
               }});
  // AES-128 ("Aes") and AES-192.
  for (const auto& [prefix, len] : {std::pair<std::string, size_t>{"Aes", 16}, {"Aes192", 24}}) {
    f.push_back({prefix + "Ecb", CKK_AES, len, false, OneShot(OpKind::kEncrypt, {CKM_AES_ECB}),
                 [len = len](ByteView in, Bytes& out) { return AesEcb(in, out, len); }});
    f.push_back({prefix + "Cbc", CKK_AES, len, false,
                 OneShot(OpKind::kEncrypt, {CKM_AES_CBC, mech::RawParams{kZeroIv}}),
                 [len = len](ByteView in, Bytes& out) { return AesCbc(in, out, len); }});
    f.push_back(
        {prefix + "CbcPad", CKK_AES, len, false,
         OneShot(OpKind::kEncrypt, {CKM_AES_CBC_PAD, mech::RawParams{kZeroIv}}),
         [len = len](ByteView in, Bytes& out) { return AesCbc(Padded(in, 16), out, len); }});
    f.push_back({prefix + "Ctr", CKK_AES, len, false,
                 OneShot(OpKind::kEncrypt, {CKM_AES_CTR, mech::AesCtrParams{128, {}}}),
                 [len = len](ByteView in, Bytes& out) {
                   const AES_KEY k = AesKey(len);
                   uint8_t iv[16] = {0}, ecount[16];
                   unsigned num = 0;
                   out.resize(in.size());
                   AES_ctr128_encrypt(in.data(), out.data(), in.size(), &k, iv, ecount, &num);
                   return true;
                 }});
    if (len == 16) {
      f.push_back({"AesCts", CKK_AES, 16, false,
                   OneShot(OpKind::kEncrypt, {CKM_AES_CTS, mech::RawParams{kZeroIv}}),
                   [](ByteView in, Bytes& out) {
                     // CBC-CS3 of whole blocks: CBC, then the last two blocks swap.
                     if (!AesCbc(in, out, 16) || out.size() < 32) return false;
                     std::swap_ranges(out.end() - 32, out.end() - 16, out.end() - 16);
                     return true;
                   }});
    }
    f.push_back({prefix + "Gcm", CKK_AES, len, false,
                 OneShot(OpKind::kEncrypt, {CKM_AES_GCM, mech::GcmParams{Bytes(12), {}, 128}}),
                 [aead = len == 16 ? EVP_aead_aes_128_gcm() : EVP_aead_aes_192_gcm()](
                     ByteView in, Bytes& out) { return Aead(aead, in, out); }});
  }
  f.push_back(
      {"ChaCha20Poly1305", CKK_CHACHA20, 32, false,
       OneShot(OpKind::kEncrypt,
               {CKM_CHACHA20_POLY1305, mech::ChaCha20Poly1305Params{Bytes(12), {}}}),
       [](ByteView in, Bytes& out) { return Aead(EVP_aead_chacha20_poly1305(), in, out); }});
  f.push_back({"Des3Ecb", CKK_DES3, 24, false, OneShot(OpKind::kEncrypt, {CKM_DES3_ECB}),
               [](ByteView in, Bytes& out) { return Des3(in, out, false); }});
  f.push_back({"Des3Cbc", CKK_DES3, 24, false,
               OneShot(OpKind::kEncrypt, {CKM_DES3_CBC, mech::RawParams{Bytes(8)}}),
               [](ByteView in, Bytes& out) { return Des3(in, out, true); }});
  f.push_back({"Des3CbcPad", CKK_DES3, 24, false,
               OneShot(OpKind::kEncrypt, {CKM_DES3_CBC_PAD, mech::RawParams{Bytes(8)}}),
               [](ByteView in, Bytes& out) { return Des3(Padded(in, 8), out, true); }});
  f.push_back(
      {"AesKeyWrap", CKK_AES, 16, true, Wrap(CKM_AES_KEY_WRAP), DirectWrap(CKM_AES_KEY_WRAP)});
  f.push_back({"AesKeyWrapKwp", CKK_AES, 16, true, Wrap(CKM_AES_KEY_WRAP_KWP),
               DirectWrap(CKM_AES_KEY_WRAP_KWP)});
  f.push_back({"AesKeyWrapPad", CKK_AES, 16, true, Wrap(CKM_AES_KEY_WRAP_PAD),
               DirectWrap(CKM_AES_KEY_WRAP_PAD)});
  mech::HkdfParams hkdf;
  hkdf.extract = hkdf.expand = true;
  hkdf.prf = CKM_SHA512;  // 8 KiB is more than HKDF-SHA-256 can make
  hkdf.salt_type = CKF_HKDF_SALT_DATA;
  hkdf.salt = kSalt;
  hkdf.info = kInfo;
  f.push_back({"HkdfSha512", CKK_GENERIC_SECRET, 32, false, Derive({CKM_HKDF_DERIVE, hkdf}),
               [](ByteView in, Bytes& out) {
                 const Bytes ikm = KeyBytes(32);
                 out.resize(in.size());
                 return HKDF(out.data(), out.size(), EVP_sha512(), ikm.data(), ikm.size(),
                             kSalt.data(), kSalt.size(), kInfo.data(), kInfo.size()) == 1;
               }});
  f.push_back({"HkdfDataSha512", CKK_GENERIC_SECRET, 32, false, Derive({CKM_HKDF_DATA, hkdf}),
               f.back().direct});
  // The simple derivations: the input is the data (the second key of
  // CONCATENATE_BASE_AND_KEY, the base of XOR and EXTRACT); the base key
  // (a 32-byte secret, AES-128 for the encryptions) is KeyBytes.
  auto concatenation = [](bool base_first) {
    return [base_first](ByteView in, Bytes& out) {
      const Bytes base = KeyBytes(32), data(in.begin(), in.end());
      out = base_first ? base : data;
      out.insert(out.end(), base_first ? data.begin() : base.begin(),
                 base_first ? data.end() : base.end());
      return true;
    };
  };
  f.push_back(
      {"ConcatenateBaseAndKey", CKK_GENERIC_SECRET, 32, true,
       DeriveBy(
           [](const Keys& k, ByteView) {
             return Mechanism{CKM_CONCATENATE_BASE_AND_KEY, mech::KeyHandleParams{k.target}};
           },
           32),
       [](ByteView in, Bytes& out) {
         out = KeyBytes(32);
         const Bytes second = KeyBytes(in.size());
         out.insert(out.end(), second.begin(), second.end());
         return true;
       }});
  auto with_data = [](CK_MECHANISM_TYPE type) {
    return [type](const Keys&, ByteView in) {
      return Mechanism{type, mech::RawParams{Bytes(in.begin(), in.end())}};
    };
  };
  f.push_back({"ConcatenateBaseAndData", CKK_GENERIC_SECRET, 32, false,
               DeriveBy(with_data(CKM_CONCATENATE_BASE_AND_DATA), 32), concatenation(true)});
  f.push_back({"ConcatenateDataAndBase", CKK_GENERIC_SECRET, 32, false,
               DeriveBy(with_data(CKM_CONCATENATE_DATA_AND_BASE), 32), concatenation(false)});
  f.push_back({"XorBaseAndData", CKK_GENERIC_SECRET, 0, false,
               DeriveBy(with_data(CKM_XOR_BASE_AND_DATA)), [](ByteView in, Bytes& out) {
                 out = KeyBytes(in.size());
                 for (size_t i = 0; i < out.size(); ++i) out[i] ^= in[i];
                 return true;
               }});
  constexpr CK_ULONG kExtractBit = 12;
  f.push_back({"ExtractKeyFromKey", CKK_GENERIC_SECRET, 0, false,
               Derive({CKM_EXTRACT_KEY_FROM_KEY, mech::UlongParams{kExtractBit}}),
               [](ByteView in, Bytes& out) {
                 out.resize(in.size());
                 bench::ExtractBits(KeyBytes(in.size()), kExtractBit, out.size(), out.data());
                 return true;
               }});
  f.push_back({"AesEcbEncryptData", CKK_AES, 16, false,
               DeriveBy(with_data(CKM_AES_ECB_ENCRYPT_DATA)),
               [](ByteView in, Bytes& out) { return AesEcb(in, out, 16); }});
  f.push_back({"AesCbcEncryptData", CKK_AES, 16, false, DeriveBy([](const Keys&, ByteView in) {
                 return Mechanism{CKM_AES_CBC_ENCRYPT_DATA,
                                  mech::CbcEncryptDataParams{{}, Bytes(in.begin(), in.end())}};
               }),
               [](ByteView in, Bytes& out) { return AesCbc(in, out, 16); }});
  f.push_back({"Sp800108CounterHmacSha256", CKK_GENERIC_SECRET, 32, false,
               Derive({CKM_SP800_108_COUNTER_KDF, Sp800108Params()}), [](ByteView in, Bytes& out) {
                 const Bytes key = KeyBytes(32);
                 bssl::ScopedHMAC_CTX base;
                 if (!HMAC_Init_ex(base.get(), key.data(), key.size(), EVP_sha256(), nullptr)) {
                   return false;
                 }
                 out.clear();
                 for (uint32_t i = 1; out.size() < in.size(); ++i) {
                   Bytes data;
                   PutBe32(data, i);
                   data.insert(data.end(), kLabel.begin(), kLabel.end());
                   PutBe32(data, static_cast<uint32_t>(in.size() * 8));
                   bssl::ScopedHMAC_CTX c;
                   uint8_t block[32];
                   unsigned n = 0;
                   if (!HMAC_CTX_copy_ex(c.get(), base.get()) ||
                       !HMAC_Update(c.get(), data.data(), data.size()) ||
                       !HMAC_Final(c.get(), block, &n)) {
                     return false;
                   }
                   out.insert(out.end(), block, block + n);
                 }
                 out.resize(in.size());
                 return true;
               }});
  mech::Pbkdf2Params pbkdf2;
  pbkdf2.salt = kSalt;
  pbkdf2.iterations = kPbkdf2Iterations;
  pbkdf2.prf = CKP_PKCS5_PBKD2_HMAC_SHA256;
  pbkdf2.password.assign(kPassword.begin(), kPassword.end());
  f.push_back({"Pbkdf2HmacSha256", 0, 0, false,
               [m = Mechanism{CKM_PKCS5_PBKD2, pbkdf2}](Session& s, const Keys&, ByteView in,
                                                        Bytes& out) -> Result<> {
                 return TakeValue(s, GenerateKey(s, m, DerivedTemplate(in.size())), out);
               },
               [](ByteView in, Bytes& out) {
                 out.resize(in.size());
                 return PKCS5_PBKDF2_HMAC(reinterpret_cast<const char*>(kPassword.data()),
                                          kPassword.size(), kSalt.data(), kSalt.size(),
                                          kPbkdf2Iterations, EVP_sha256(), out.size(),
                                          out.data()) == 1;
               }});
  return f;
}

// ---- Runners -------------------------------------------------------------------

// Prepare opens the thread's session, looks up its keys, and checks that the
// API and BoringSSL agree on |in|: false (the benchmark stopped with an
// error) if they do not.
bool Prepare(benchmark::State& state, const Family& f, ByteView in, std::optional<Session>& s,
             Keys& k) {
  auto opened = Shared().token->OpenSession(SessionKind::kReadWrite);
  if (!opened) std::abort();
  s.emplace(std::move(*opened));
  if (f.key_type != 0) k.key = Key(f.key_type, f.key_len ? f.key_len : in.size());
  if (f.target) k.target = Key(CKK_GENERIC_SECRET, in.size());
  Bytes api, direct;
  if (auto r = f.api(*s, k, in, api); !r) {
    state.SkipWithError(("API: " + to_string(r.error())).c_str());
    return false;
  }
  if (!f.direct(in, direct)) {
    state.SkipWithError("BoringSSL failed");
    return false;
  }
  if (api != direct) {
    state.SkipWithError("the API and BoringSSL results differ");
    return false;
  }
  return true;
}

// Run times |f| through the API (kApi) or on BoringSSL.
template <bool kApi>
void Run(benchmark::State& state, const Family& f) {
  const Bytes in(state.range(0), 0x17);
  std::optional<Session> s;
  Keys k;
  if (!Prepare(state, f, in, s, k)) return;
  Bytes out;
  for (auto _ : state) {
    const bool ok = kApi ? f.api(*s, k, in, out).has_value() : f.direct(in, out);
    if (!ok) {
      state.SkipWithError("operation failed");
      break;
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * in.size());
}

[[maybe_unused]] const bool kRegistered = [] {
  static const std::vector<Family> families = Families();
  for (const Family& f : families) {
    for (auto [suffix, run] :
         {std::pair{"_Api", &Run<true>}, std::pair{"_BoringSSL", &Run<false>}}) {
      benchmark::RegisterBenchmark((f.name + suffix).c_str(),
                                   [&f, run = run](benchmark::State& st) { run(st, f); })
          ->Arg(64)
          ->Arg(1024)
          ->Arg(8192)
          ->Threads(1)
          ->Threads(2)
          ->UseRealTime();
    }
  }
  return true;
}();

}  // namespace
}  // namespace cryptoki
