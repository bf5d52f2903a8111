// module_bench_boringssl.cc: the op table, the fixed inputs, the checks
// against BoringSSL, and the BoringSSL target (the floor: the same work with
// keys parsed and contexts built once, as a module can cache them).
#include <openssl/aead.h>
#include <openssl/bn.h>
#include <openssl/bytestring.h>
#include <openssl/cipher.h>
#include <openssl/curve25519.h>
#include <openssl/digest.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/ecdh.h>
#include <openssl/ecdsa.h>
#include <openssl/hmac.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include <cstdio>
#include <cstring>

#include "benchmarks/module_bench.h"

namespace cryptoki::bench {

const Buf kP256Params = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
const Buf kEd25519Params = {0x06, 0x03, 0x2b, 0x65, 0x70};
const Buf kX25519Params = {0x06, 0x03, 0x2b, 0x65, 0x6e};

const char* OpName(Op op) {
  switch (op) {
    case Op::kSha256_64:
      return "SHA256_64B";
    case Op::kSha256_8K:
      return "SHA256_8KiB";
    case Op::kHmacSha256_64:
      return "HMAC_SHA256_64B";
    case Op::kAesGcm_1K:
      return "AES256_GCM_Encrypt_1KiB";
    case Op::kAesGcm_8K:
      return "AES256_GCM_Encrypt_8KiB";
    case Op::kAesCbcPad_8K:
      return "AES256_CBC_PAD_Encrypt_8KiB";
    case Op::kChaChaPoly_1K:
      return "ChaCha20_Poly1305_Encrypt_1KiB";
    case Op::kEcdsaP256Sign:
      return "ECDSA_P256_Sign";
    case Op::kEcdsaP256Verify:
      return "ECDSA_P256_Verify";
    case Op::kRsaPkcs1Sign:
      return "RSA2048_PKCS1_SHA256_Sign";
    case Op::kRsaPkcs1Verify:
      return "RSA2048_PKCS1_SHA256_Verify";
    case Op::kRsaPssSign:
      return "RSA2048_PSS_SHA256_Sign";
    case Op::kRsaPssVerify:
      return "RSA2048_PSS_SHA256_Verify";
    case Op::kEd25519Sign:
      return "Ed25519_Sign";
    case Op::kEd25519Verify:
      return "Ed25519_Verify";
    case Op::kX25519Derive:
      return "X25519_Derive";
    case Op::kEcdhP256Derive:
      return "ECDH_P256_Derive";
    case Op::kRandom32:
      return "Random_32B";
    case Op::kEcP256GenerateKeyPair:
      return "EC_P256_GenerateKeyPair";
    case Op::kGetAttribute:
      return "GetAttribute";
    case Op::kSessionOpenClose:
      return "SessionOpenClose";
    case Op::kFind:
      return "Find";
  }
  return "?";
}

size_t OpBytes(Op op) {
  switch (op) {
    case Op::kSha256_64:
    case Op::kHmacSha256_64:
      return 64;
    case Op::kAesGcm_1K:
    case Op::kChaChaPoly_1K:
      return 1024;
    case Op::kSha256_8K:
    case Op::kAesGcm_8K:
    case Op::kAesCbcPad_8K:
      return 8192;
    default:
      return 0;
  }
}

namespace {

Buf Pattern(size_t n, uint8_t seed) {
  Buf b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 7);
  return b;
}

}  // namespace

ByteSpan OpMessage(Op op) {
  static const Buf data8k = Pattern(8192, 3);
  static const Buf digest = Sha256(ByteSpan(data8k).first(64));
  if (size_t n = OpBytes(op); n > 0) return ByteSpan(data8k).first(n);
  if (op == Op::kEcdsaP256Sign || op == Op::kEcdsaP256Verify) return digest;
  return ByteSpan(data8k).first(64);
}

const Inputs& Inputs::Get() {
  static const Inputs* inputs = [] {
    auto* in = new Inputs;
    in->aes_key = Pattern(32, 11);
    in->hmac_key = Pattern(32, 23);
    in->chacha_key = Pattern(32, 37);
    in->iv12 = Pattern(12, 41);
    in->iv16 = Pattern(16, 43);
    in->x25519_peer_private.resize(32);
    in->x25519_peer_public.resize(32);
    X25519_keypair(in->x25519_peer_public.data(), in->x25519_peer_private.data());
    bssl::UniquePtr<EC_KEY> k(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
    EC_KEY_generate_key(k.get());
    in->p256_peer_private.resize(32);
    BN_bn2bin_padded(in->p256_peer_private.data(), 32, EC_KEY_get0_private_key(k.get()));
    in->p256_peer_public.resize(65);
    EC_POINT_point2oct(EC_KEY_get0_group(k.get()), EC_KEY_get0_public_key(k.get()),
                       POINT_CONVERSION_UNCOMPRESSED, in->p256_peer_public.data(), 65, nullptr);
    return in;
  }();
  return *inputs;
}

std::string Hex(ByteSpan b) {
  static const char* kDigits = "0123456789abcdef";
  std::string s;
  for (uint8_t c : b) {
    s += kDigits[c >> 4];
    s += kDigits[c & 15];
  }
  return s;
}

Buf Sha256(ByteSpan in) {
  Buf out(SHA256_DIGEST_LENGTH);
  SHA256(in.data(), in.size(), out.data());
  return out;
}

Buf HmacSha256(ByteSpan key, ByteSpan in) {
  Buf out(32);
  unsigned len = 0;
  HMAC(EVP_sha256(), key.data(), key.size(), in.data(), in.size(), out.data(), &len);
  return out;
}

namespace {

Buf AeadSeal(const EVP_AEAD* aead, ByteSpan key, ByteSpan nonce, ByteSpan in) {
  bssl::ScopedEVP_AEAD_CTX ctx;
  if (!EVP_AEAD_CTX_init(ctx.get(), aead, key.data(), key.size(), 16, nullptr)) return {};
  Buf out(in.size() + 16);
  size_t len = 0;
  if (!EVP_AEAD_CTX_seal(ctx.get(), out.data(), &len, out.size(), nonce.data(), nonce.size(),
                         in.data(), in.size(), nullptr, 0))
    return {};
  out.resize(len);
  return out;
}

bssl::UniquePtr<RSA> RsaPublic(ByteSpan n, ByteSpan e) {
  bssl::UniquePtr<RSA> rsa(RSA_new());
  if (!RSA_set0_key(rsa.get(), BN_bin2bn(n.data(), n.size(), nullptr),
                    BN_bin2bn(e.data(), e.size(), nullptr), nullptr))
    return nullptr;
  return rsa;
}

bssl::UniquePtr<EC_KEY> P256Public(ByteSpan point) {
  bssl::UniquePtr<EC_KEY> k(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
  bssl::UniquePtr<EC_POINT> p(EC_POINT_new(EC_KEY_get0_group(k.get())));
  if (!EC_POINT_oct2point(EC_KEY_get0_group(k.get()), p.get(), point.data(), point.size(),
                          nullptr) ||
      !EC_KEY_set_public_key(k.get(), p.get()))
    return nullptr;
  return k;
}

}  // namespace

Buf AesGcmSeal(ByteSpan key, ByteSpan iv, ByteSpan in) {
  return AeadSeal(EVP_aead_aes_256_gcm(), key, iv, in);
}

Buf ChaChaPolySeal(ByteSpan key, ByteSpan nonce, ByteSpan in) {
  return AeadSeal(EVP_aead_chacha20_poly1305(), key, nonce, in);
}

Buf AesCbcPadEncrypt(ByteSpan key, ByteSpan iv, ByteSpan in) {
  bssl::ScopedEVP_CIPHER_CTX ctx;
  Buf out(in.size() + 16);
  int len1 = 0, len2 = 0;
  if (!EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, key.data(), iv.data()) ||
      !EVP_EncryptUpdate(ctx.get(), out.data(), &len1, in.data(), in.size()) ||
      !EVP_EncryptFinal_ex(ctx.get(), out.data() + len1, &len2))
    return {};
  out.resize(len1 + len2);
  return out;
}

bool EcdsaP256Verify(ByteSpan point, ByteSpan digest, ByteSpan sig) {
  auto k = P256Public(point);
  if (!k || sig.size() != 64) return false;
  bssl::UniquePtr<ECDSA_SIG> s(ECDSA_SIG_new());
  BN_bin2bn(sig.data(), 32, s->r);
  BN_bin2bn(sig.data() + 32, 32, s->s);
  return ECDSA_do_verify(digest.data(), digest.size(), s.get(), k.get()) == 1;
}

bool RsaPkcs1Sha256Verify(ByteSpan n, ByteSpan e, ByteSpan msg, ByteSpan sig) {
  auto rsa = RsaPublic(n, e);
  const Buf d = Sha256(msg);
  return rsa && RSA_verify(NID_sha256, d.data(), d.size(), sig.data(), sig.size(), rsa.get()) == 1;
}

bool RsaPssSha256Verify(ByteSpan n, ByteSpan e, ByteSpan msg, ByteSpan sig) {
  auto rsa = RsaPublic(n, e);
  const Buf d = Sha256(msg);
  return rsa && RSA_verify_pss_mgf1(rsa.get(), d.data(), d.size(), EVP_sha256(), EVP_sha256(), 32,
                                    sig.data(), sig.size()) == 1;
}

bool Ed25519Verify(ByteSpan pub, ByteSpan msg, ByteSpan sig) {
  return pub.size() == 32 && sig.size() == 64 &&
         ED25519_verify(msg.data(), msg.size(), sig.data(), pub.data()) == 1;
}

Buf X25519Shared(ByteSpan priv, ByteSpan peer_pub) {
  Buf out(32);
  if (priv.size() != 32 || peer_pub.size() != 32 ||
      !X25519(out.data(), priv.data(), peer_pub.data()))
    return {};
  return out;
}

Buf EcdhP256Shared(ByteSpan priv, ByteSpan peer_point) {
  auto k = P256Public(peer_point);
  if (!k) return {};
  bssl::UniquePtr<BIGNUM> d(BN_bin2bn(priv.data(), priv.size(), nullptr));
  bssl::UniquePtr<EC_KEY> mine(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
  EC_KEY_set_private_key(mine.get(), d.get());
  Buf out(32);
  if (ECDH_compute_key(out.data(), out.size(), EC_KEY_get0_public_key(k.get()), mine.get(),
                       nullptr) != 32)
    return {};
  return out;
}

Buf EcPointFromAttribute(ByteSpan value, size_t raw_size) {
  if (value.size() == raw_size) return Buf(value.begin(), value.end());
  CBS cbs, inner;
  CBS_init(&cbs, value.data(), value.size());
  if (CBS_get_asn1(&cbs, &inner, CBS_ASN1_OCTETSTRING) && CBS_len(&cbs) == 0 &&
      CBS_len(&inner) == raw_size)
    return Buf(CBS_data(&inner), CBS_data(&inner) + CBS_len(&inner));
  return {};
}

namespace {

// The floor: BoringSSL with every key parsed and every context built before
// the timed loop.
class BoringSslThread : public ThreadRunner {
 public:
  Prepared Prepare(Op op, int64_t arg) override;
};

class BoringSslTarget : public Target {
 public:
  std::string name() const override { return "boringssl"; }
  std::string Supports(Op op) const override {
    switch (op) {
      case Op::kGetAttribute:
      case Op::kSessionOpenClose:
      case Op::kFind:
        return "n/a: no token";
      default:
        return "";
    }
  }
  std::unique_ptr<ThreadRunner> NewThread(std::string*) override {
    return std::make_unique<BoringSslThread>();
  }
};

// Keys the floor signs with, made once.
struct FloorKeys {
  bssl::UniquePtr<EC_KEY> p256;
  bssl::UniquePtr<RSA> rsa;
  uint8_t ed_public[32], ed_private[64];
  uint8_t x_public[32], x_private[32];
  static const FloorKeys& Get() {
    static const FloorKeys* keys = [] {
      auto* k = new FloorKeys;
      k->p256.reset(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
      EC_KEY_generate_key(k->p256.get());
      k->rsa.reset(RSA_new());
      bssl::UniquePtr<BIGNUM> e(BN_new());
      BN_set_word(e.get(), RSA_F4);
      RSA_generate_key_ex(k->rsa.get(), 2048, e.get(), nullptr);
      ED25519_keypair(k->ed_public, k->ed_private);
      X25519_keypair(k->x_public, k->x_private);
      return k;
    }();
    return *keys;
  }
};

Prepared BoringSslThread::Prepare(Op op, int64_t) {
  const Inputs& in = Inputs::Get();
  const FloorKeys& keys = FloorKeys::Get();
  const ByteSpan msg = OpMessage(op);
  switch (op) {
    case Op::kSha256_64:
    case Op::kSha256_8K: {
      auto out = std::make_shared<Buf>(32);
      return {"", [msg, out] {
                SHA256(msg.data(), msg.size(), out->data());
                return true;
              }};
    }
    case Op::kHmacSha256_64: {
      auto out = std::make_shared<Buf>(32);
      return {"", [msg, out, key = in.hmac_key] {
                unsigned len;
                return HMAC(EVP_sha256(), key.data(), key.size(), msg.data(), msg.size(),
                            out->data(), &len) != nullptr;
              }};
    }
    case Op::kAesGcm_1K:
    case Op::kAesGcm_8K:
    case Op::kChaChaPoly_1K: {
      struct State {
        bssl::ScopedEVP_AEAD_CTX ctx;
        Buf out;
        Buf nonce;
      };
      auto st = std::make_shared<State>();
      const bool gcm = op != Op::kChaChaPoly_1K;
      const Buf& key = gcm ? in.aes_key : in.chacha_key;
      EVP_AEAD_CTX_init(st->ctx.get(), gcm ? EVP_aead_aes_256_gcm() : EVP_aead_chacha20_poly1305(),
                        key.data(), key.size(), 16, nullptr);
      st->out.resize(msg.size() + 16);
      st->nonce = in.iv12;
      return {"", [st, msg] {
                size_t len;
                return EVP_AEAD_CTX_seal(st->ctx.get(), st->out.data(), &len, st->out.size(),
                                         st->nonce.data(), st->nonce.size(), msg.data(), msg.size(),
                                         nullptr, 0) == 1;
              }};
    }
    case Op::kAesCbcPad_8K: {
      struct State {
        bssl::ScopedEVP_CIPHER_CTX ctx;
        Buf out;
      };
      auto st = std::make_shared<State>();
      st->out.resize(msg.size() + 16);
      return {"", [st, msg, &in] {
                int l1, l2;
                return EVP_EncryptInit_ex(st->ctx.get(), EVP_aes_256_cbc(), nullptr,
                                          in.aes_key.data(), in.iv16.data()) &&
                       EVP_EncryptUpdate(st->ctx.get(), st->out.data(), &l1, msg.data(),
                                         msg.size()) &&
                       EVP_EncryptFinal_ex(st->ctx.get(), st->out.data() + l1, &l2);
              }};
    }
    case Op::kEcdsaP256Sign: {
      auto sig = std::make_shared<Buf>(ECDSA_size(keys.p256.get()));
      return {"", [sig, msg, &keys] {
                unsigned len;
                return ECDSA_sign(0, msg.data(), msg.size(), sig->data(), &len, keys.p256.get()) ==
                       1;
              }};
    }
    case Op::kEcdsaP256Verify: {
      bssl::UniquePtr<ECDSA_SIG> s(ECDSA_do_sign(msg.data(), msg.size(), keys.p256.get()));
      std::shared_ptr<ECDSA_SIG> sig(s.release(), ECDSA_SIG_free);
      if (ECDSA_do_verify(msg.data(), msg.size(), sig.get(), keys.p256.get()) != 1)
        return Failed("ECDSA verify");
      return {"", [sig, msg, &keys] {
                return ECDSA_do_verify(msg.data(), msg.size(), sig.get(), keys.p256.get()) == 1;
              }};
    }
    case Op::kRsaPkcs1Sign:
    case Op::kRsaPssSign: {
      auto sig = std::make_shared<Buf>(RSA_size(keys.rsa.get()));
      const bool pss = op == Op::kRsaPssSign;
      return {"", [sig, msg, pss, &keys] {
                uint8_t d[32];
                SHA256(msg.data(), msg.size(), d);
                if (pss) {
                  size_t len;
                  return RSA_sign_pss_mgf1(keys.rsa.get(), &len, sig->data(), sig->size(), d, 32,
                                           EVP_sha256(), EVP_sha256(), 32) == 1;
                }
                unsigned len;
                return RSA_sign(NID_sha256, d, 32, sig->data(), &len, keys.rsa.get()) == 1;
              }};
    }
    case Op::kRsaPkcs1Verify:
    case Op::kRsaPssVerify: {
      const bool pss = op == Op::kRsaPssVerify;
      auto sig = std::make_shared<Buf>(RSA_size(keys.rsa.get()));
      uint8_t d[32];
      SHA256(msg.data(), msg.size(), d);
      size_t len;
      unsigned ulen;
      if (pss ? !RSA_sign_pss_mgf1(keys.rsa.get(), &len, sig->data(), sig->size(), d, 32,
                                   EVP_sha256(), EVP_sha256(), 32)
              : !RSA_sign(NID_sha256, d, 32, sig->data(), &ulen, keys.rsa.get()))
        return Failed("RSA sign");
      // Verify with the public half only, as a verifier holds it.
      std::shared_ptr<RSA> pub(RSAPublicKey_dup(keys.rsa.get()), RSA_free);
      return {"", [sig, msg, pss, pub] {
                uint8_t d[32];
                SHA256(msg.data(), msg.size(), d);
                if (pss)
                  return RSA_verify_pss_mgf1(pub.get(), d, 32, EVP_sha256(), EVP_sha256(), 32,
                                             sig->data(), sig->size()) == 1;
                return RSA_verify(NID_sha256, d, 32, sig->data(), sig->size(), pub.get()) == 1;
              }};
    }
    case Op::kEd25519Sign: {
      auto sig = std::make_shared<Buf>(64);
      return {"", [sig, msg, &keys] {
                return ED25519_sign(sig->data(), msg.data(), msg.size(), keys.ed_private) == 1;
              }};
    }
    case Op::kEd25519Verify: {
      auto sig = std::make_shared<Buf>(64);
      ED25519_sign(sig->data(), msg.data(), msg.size(), keys.ed_private);
      return {"", [sig, msg, &keys] {
                return ED25519_verify(msg.data(), msg.size(), sig->data(), keys.ed_public) == 1;
              }};
    }
    case Op::kX25519Derive: {
      auto out = std::make_shared<Buf>(32);
      return {"", [out, &in, &keys] {
                return X25519(out->data(), keys.x_private, in.x25519_peer_public.data()) == 1;
              }};
    }
    case Op::kEcdhP256Derive: {
      // The peer point arrives as bytes, as CK_ECDH1_DERIVE_PARAMS gives it.
      auto out = std::make_shared<Buf>(32);
      return {"", [out, &in, &keys] {
                const EC_GROUP* g = EC_KEY_get0_group(keys.p256.get());
                bssl::UniquePtr<EC_POINT> p(EC_POINT_new(g));
                return EC_POINT_oct2point(g, p.get(), in.p256_peer_public.data(),
                                          in.p256_peer_public.size(), nullptr) &&
                       ECDH_compute_key(out->data(), 32, p.get(), keys.p256.get(), nullptr) == 32;
              }};
    }
    case Op::kRandom32: {
      auto out = std::make_shared<Buf>(32);
      return {"", [out] { return RAND_bytes(out->data(), out->size()) == 1; }};
    }
    case Op::kEcP256GenerateKeyPair:
      return {"", [] {
                bssl::UniquePtr<EC_KEY> k(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
                return EC_KEY_generate_key(k.get()) == 1;
              }};
    case Op::kGetAttribute:
    case Op::kSessionOpenClose:
    case Op::kFind:
      break;
  }
  return NotAvailable("no token");
}

}  // namespace

std::unique_ptr<Target> MakeBoringSslTarget() {
  FloorKeys::Get();
  return std::make_unique<BoringSslTarget>();
}

}  // namespace cryptoki::bench
