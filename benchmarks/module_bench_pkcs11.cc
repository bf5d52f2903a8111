// module_bench_pkcs11.cc: the target for any PKCS#11 module, driven through
// its C_GetFunctionList table (ours as "module", SoftHSM v2 as "other"); the
// 3.0 message API goes through the module's C_GetInterface table. The ops
// themselves are prepared and checked by TokenThread (module_bench.cc);
// this file makes the calls.
#include <algorithm>
#include <cstdio>

#include "benchmarks/module_bench.h"
#include "benchmarks/pkcs11_client.h"

namespace cryptoki::bench {
namespace {

constexpr std::string_view kSoPin = "bench-so-pin";
constexpr std::string_view kUserPin = "bench-user-pin";

class Pkcs11Target;

class Pkcs11Thread : public TokenThread {
 public:
  Pkcs11Thread(Pkcs11Target& target, Pkcs11Session s);

  CK_RV Bind(Call call, const MechArgs& m, CK_OBJECT_HANDLE key, Action* out) override;
  CK_RV CreateSecret(const KeySpec& spec, CK_OBJECT_HANDLE* out) override;
  CK_RV GeneratePair(const KeySpec& spec, bool token, bool read_public, KeyPair* out) override;
  CK_RV Destroy(CK_OBJECT_HANDLE h) override { return s_.DestroyObject(h); }
  CK_RV GetValue(CK_OBJECT_HANDLE h, Buf* out) override {
    return s_.GetAttribute(h, CKA_VALUE, out);
  }
  CK_RV CreateData(const std::string& label) override;
  Pkcs11Session& session() { return s_; }

 protected:
  Prepared PrepareOther(Op op, int64_t arg) override;

 private:
  Pkcs11Target& t_;
  Pkcs11Session s_;
};

class Pkcs11Target : public TokenTarget {
 public:
  Pkcs11Target(std::string name, int64_t max_find)
      : TokenTarget(std::move(name)), max_find_(max_find) {}

  std::string description() const override { return module_ ? module_->Description() : ""; }
  std::unique_ptr<ThreadRunner> NewThread(std::string* error) override {
    Pkcs11Session s;
    if (CK_RV rv = Pkcs11Session::Open(*module_, slot_, &s); rv != CKR_OK) {
      *error = "C_OpenSession: " + RvName(rv);
      return nullptr;
    }
    return std::make_unique<Pkcs11Thread>(*this, std::move(s));
  }

  // SetUp loads the module, sets up the token, logs in and makes the keys.
  std::string SetUp(const std::string& path);

 private:
  friend class Pkcs11Thread;

  int64_t max_find_;
  std::unique_ptr<Pkcs11Module> module_;
  CK_SLOT_ID slot_ = 0;
  std::unique_ptr<Pkcs11Thread> main_;  // open for the whole run: it keeps the login
};

Pkcs11Thread::Pkcs11Thread(Pkcs11Target& target, Pkcs11Session s)
    : TokenThread(target), t_(target), s_(std::move(s)) {}

CK_RV Pkcs11Thread::Bind(Call call, const MechArgs& a, CK_OBJECT_HANDLE key, Action* out) {
  struct State {
    CK_MECHANISM m{};
    CK_GCM_PARAMS gcm{};
    CK_SALSA20_CHACHA20_POLY1305_PARAMS chacha{};
    CK_RSA_PKCS_PSS_PARAMS pss{CKM_SHA256, CKG_MGF1_SHA256, 32};
    CK_RSA_PKCS_OAEP_PARAMS oaep{CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, nullptr, 0};
    CK_ECDH1_DERIVE_PARAMS ecdh{};
    CK_AES_CTR_PARAMS ctr{};
    CK_HKDF_PARAMS hkdf{};
    CK_SP800_108_COUNTER_FORMAT counter{CK_FALSE, 32};
    CK_SP800_108_DKM_LENGTH_FORMAT dkm{CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS, CK_FALSE, 32};
    CK_PRF_DATA_PARAM data[3]{};
    CK_SP800_108_KDF_PARAMS sp800{};
    CK_PKCS5_PBKD2_PARAMS2 pbkdf2{};
    Buf salt, info, fixed, password;
    CK_KEY_DERIVATION_STRING_DATA derive_data{};
    CK_AES_CBC_ENCRYPT_DATA_PARAMS cbc_data{};
    CK_ULONG ulong = 0;          // CK_EXTRACT_PARAMS
    CK_OBJECT_HANDLE other = 0;  // CKM_CONCATENATE_BASE_AND_KEY
    CK_GCM_MESSAGE_PARAMS message{};
    Buf bytes;
    Attrs tmpl;
  };
  auto st = std::make_shared<State>();
  st->bytes = a.bytes;
  Buf& b = st->bytes;
  st->m = {a.type, nullptr, 0};
  // point_at makes |p| the mechanism parameter.
  auto point_at = [&](auto& p) { st->m = {a.type, &p, sizeof p}; };
  switch (a.param) {
    case Param::kGcm:
      st->gcm = {b.data(), b.size(), b.size() * 8, nullptr, 0, 128};
      point_at(st->gcm);
      break;
    case Param::kCbcIv:
    case Param::kDh:
      st->m = {a.type, b.data(), b.size()};
      break;
    case Param::kChaCha:
      st->chacha = {b.data(), b.size(), nullptr, 0};
      point_at(st->chacha);
      break;
    case Param::kPss:
      point_at(st->pss);
      break;
    case Param::kOaep:
      point_at(st->oaep);
      break;
    case Param::kCtr:
      st->ctr.ulCounterBits = 128;
      std::copy(b.begin(), b.end(), st->ctr.cb);
      point_at(st->ctr);
      break;
    case Param::kEcdh:
      st->ecdh = {CKD_NULL, 0, nullptr, static_cast<CK_ULONG>(b.size()), b.data()};
      point_at(st->ecdh);
      break;
    case Param::kHkdf:
      st->salt = Inputs::Get().kdf_salt;
      st->info = Inputs::Get().kdf_info;
      st->hkdf = {CK_TRUE,
                  CK_TRUE,
                  CKM_SHA256,
                  CKF_HKDF_SALT_DATA,
                  st->salt.data(),
                  static_cast<CK_ULONG>(st->salt.size()),
                  CK_INVALID_HANDLE,
                  st->info.data(),
                  static_cast<CK_ULONG>(st->info.size())};
      point_at(st->hkdf);
      break;
    case Param::kSp800108:
      st->fixed = Inputs::Get().kdf_fixed;
      st->data[0] = {CK_SP800_108_ITERATION_VARIABLE, &st->counter, sizeof st->counter};
      st->data[1] = {CK_SP800_108_BYTE_ARRAY, st->fixed.data(),
                     static_cast<CK_ULONG>(st->fixed.size())};
      st->data[2] = {CK_SP800_108_DKM_LENGTH, &st->dkm, sizeof st->dkm};
      st->sp800 = {CKM_SHA256_HMAC, 3, st->data, 0, nullptr};
      point_at(st->sp800);
      break;
    case Param::kPbkdf2:
      st->salt = Inputs::Get().kdf_salt;
      st->password = Inputs::Get().password;
      st->pbkdf2 = {CKZ_SALT_SPECIFIED,
                    st->salt.data(),
                    static_cast<CK_ULONG>(st->salt.size()),
                    1000,
                    CKP_PKCS5_PBKD2_HMAC_SHA256,
                    nullptr,
                    0,
                    st->password.data(),
                    static_cast<CK_ULONG>(st->password.size())};
      point_at(st->pbkdf2);
      break;
    case Param::kBaseKey:
      point_at(st->other = key);
      break;
    case Param::kDeriveData:
      point_at(st->derive_data = {b.data(), static_cast<CK_ULONG>(b.size())});
      break;
    case Param::kExtract:
      point_at(st->ulong = kExtractBit);
      break;
    case Param::kCbcEncryptData:
      std::copy(Inputs::Get().iv16.begin(), Inputs::Get().iv16.end(), st->cbc_data.iv);
      st->cbc_data.pData = b.data();
      st->cbc_data.length = b.size();
      point_at(st->cbc_data);
      break;
    case Param::kNone:
      break;
  }
  const Pkcs11Session* s = &s_;
  switch (call) {
    case Call::kDigest:
      *out = [s, st](ByteSpan in, ByteSpan, std::span<uint8_t> o, CK_ULONG* len) {
        return s->Digest(st->m, in, o, len);
      };
      return CKR_OK;
    case Call::kSign:
      *out = [s, st, key](ByteSpan in, ByteSpan, std::span<uint8_t> o, CK_ULONG* len) {
        return s->Sign(st->m, key, in, o, len);
      };
      return CKR_OK;
    case Call::kVerify:
      *out = [s, st, key](ByteSpan in, ByteSpan sig, std::span<uint8_t>, CK_ULONG*) {
        return s->Verify(st->m, key, in, sig);
      };
      return CKR_OK;
    case Call::kEncrypt:
      *out = [s, st, key](ByteSpan in, ByteSpan, std::span<uint8_t> o, CK_ULONG* len) {
        return s->Encrypt(st->m, key, in, o, len);
      };
      return CKR_OK;
    case Call::kDecrypt:
      *out = [s, st, key](ByteSpan in, ByteSpan, std::span<uint8_t> o, CK_ULONG* len) {
        return s->Decrypt(st->m, key, in, o, len);
      };
      return CKR_OK;
    case Call::kMessageEncrypt: {
      if (CK_RV rv = s_.MessageEncryptInit(st->m, key); rv != CKR_OK) return rv;
      st->bytes = Inputs::Get().iv12;
      // The tag goes right after the ciphertext, as BoringSSL's seal has it.
      *out = [s, st](ByteSpan in, ByteSpan, std::span<uint8_t> o, CK_ULONG* len) {
        if (o.size() < in.size() + 16) return static_cast<CK_RV>(CKR_BUFFER_TOO_SMALL);
        st->message = {st->bytes.data(), st->bytes.size(),     0,
                       CKG_NO_GENERATE,  o.data() + in.size(), 128};
        CK_RV rv =
            s->EncryptMessage(&st->message, sizeof st->message, {}, in, o.first(in.size()), len);
        *len += 16;
        return rv;
      };
      return CKR_OK;
    }
    case Call::kDerive:
    case Call::kGenerateKey:
    case Call::kUnwrap:
      // CKM_HKDF_DATA makes a data object, the others a secret key (of the
      // length an unwrap finds).
      if (a.type == CKM_HKDF_DATA) {
        st->tmpl.Ulong(CKA_CLASS, CKO_DATA).Bool(CKA_TOKEN, false);
      } else {
        st->tmpl.Ulong(CKA_CLASS, CKO_SECRET_KEY)
            .Ulong(CKA_KEY_TYPE, CKK_GENERIC_SECRET)
            .Bool(CKA_TOKEN, false)
            .Bool(CKA_SENSITIVE, false)
            .Bool(CKA_EXTRACTABLE, true);
      }
      if (call != Call::kUnwrap) st->tmpl.Ulong(CKA_VALUE_LEN, a.value_len);
      *out = [s, st, key, call](ByteSpan in, ByteSpan, std::span<uint8_t>, CK_ULONG* handle) {
        return call == Call::kDerive   ? s->Derive(st->m, key, st->tmpl, handle)
               : call == Call::kUnwrap ? s->UnwrapKey(st->m, key, in, st->tmpl, handle)
                                       : s->GenerateKey(st->m, st->tmpl, handle);
      };
      return CKR_OK;
    case Call::kWrap: {
      const CK_OBJECT_HANDLE wrapped = target_.key(KeyId::kWrapped).priv;
      *out = [s, st, key, wrapped](ByteSpan, ByteSpan, std::span<uint8_t> o, CK_ULONG* len) {
        return s->WrapKey(st->m, key, wrapped, o, len);
      };
      return CKR_OK;
    }
    case Call::kGenerateKeyPair:
    case Call::kOther:
      break;
  }
  return CKR_MECHANISM_INVALID;
}

CK_RV Pkcs11Thread::CreateSecret(const KeySpec& spec, CK_OBJECT_HANDLE* out) {
  Attrs t;
  t.Ulong(CKA_CLASS, CKO_SECRET_KEY)
      .Ulong(CKA_KEY_TYPE, spec.secret_type)
      .Bool(CKA_TOKEN, true)
      .Bool(CKA_PRIVATE, true)
      .Bool(CKA_SENSITIVE, true)
      .String(CKA_LABEL, spec.label)
      .Bytes(CKA_VALUE, *spec.value);
  if (spec.sign) t.Bool(CKA_SIGN, true).Bool(CKA_VERIFY, true);
  if (spec.crypt) t.Bool(CKA_ENCRYPT, true).Bool(CKA_DECRYPT, true);
  if (spec.wrap) t.Bool(CKA_WRAP, true).Bool(CKA_UNWRAP, true);
  if (spec.derive) t.Bool(CKA_DERIVE, true);
  if (spec.extractable) t.Bool(CKA_EXTRACTABLE, true);
  return s_.CreateObject(t, out);
}

CK_RV Pkcs11Thread::GeneratePair(const KeySpec& spec, bool token, bool read_public, KeyPair* out) {
  Attrs pub, priv;
  pub.Bool(CKA_TOKEN, token).Bool(CKA_PRIVATE, false);
  priv.Bool(CKA_TOKEN, token).Bool(CKA_PRIVATE, true).Bool(CKA_SENSITIVE, true);
  if (spec.ec_params) pub.Bytes(CKA_EC_PARAMS, *spec.ec_params);
  if (spec.dh_prime) pub.Bytes(CKA_PRIME, *spec.dh_prime).Bytes(CKA_BASE, *spec.dh_base);
  if (spec.modulus_bits) {
    const uint8_t e[] = {1, 0, 1};
    pub.Ulong(CKA_MODULUS_BITS, spec.modulus_bits).Bytes(CKA_PUBLIC_EXPONENT, e);
  }
  if (spec.derive) priv.Bool(CKA_DERIVE, true);
  if (spec.sign) pub.Bool(CKA_VERIFY, true), priv.Bool(CKA_SIGN, true);
  if (spec.crypt) pub.Bool(CKA_ENCRYPT, true), priv.Bool(CKA_DECRYPT, true);
  if (CK_RV rv = s_.GenerateKeyPair(spec.gen, pub, priv, &out->pub, &out->priv); rv != CKR_OK)
    return rv;
  if (read_public && spec.dh_prime) {
    s_.GetAttribute(out->pub, CKA_VALUE, &out->point);
  } else if (read_public && spec.point_size) {
    Buf v;
    if (s_.GetAttribute(out->pub, CKA_EC_POINT, &v) == CKR_OK)
      out->point = EcPointFromAttribute(v, spec.point_size);
  }
  if (read_public && spec.modulus_bits) {
    s_.GetAttribute(out->pub, CKA_MODULUS, &out->n);
    s_.GetAttribute(out->pub, CKA_PUBLIC_EXPONENT, &out->e);
  }
  return CKR_OK;
}

CK_RV Pkcs11Thread::CreateData(const std::string& label) {
  Attrs t;
  const uint8_t value[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  t.Ulong(CKA_CLASS, CKO_DATA)
      .Bool(CKA_TOKEN, true)
      .Bool(CKA_PRIVATE, false)
      .String(CKA_LABEL, label)
      .Bytes(CKA_VALUE, value);
  CK_OBJECT_HANDLE h;
  return s_.CreateObject(t, &h);
}

std::string Pkcs11Target::SetUp(const std::string& path) {
  std::string error;
  module_ = Pkcs11Module::Load(path, &error);
  if (!module_) return error;
  std::fprintf(stderr, "[%s] %s: %s\n", name().c_str(), path.c_str(),
               module_->Description().c_str());
  if (CK_RV rv = module_->SetUpToken("bench", kSoPin, kUserPin, &slot_); rv != CKR_OK)
    return "token set-up: " + RvName(rv);
  Pkcs11Session s;
  if (CK_RV rv = Pkcs11Session::Open(*module_, slot_, &s); rv != CKR_OK)
    return "C_OpenSession: " + RvName(rv);
  main_ = std::make_unique<Pkcs11Thread>(*this, std::move(s));
  if (CK_RV rv = main_->session().Login(kUserPin); rv != CKR_OK) return "C_Login: " + RvName(rv);
  const auto ops = AllOps();
  if (module_->f3() == nullptr &&
      std::find(ops.begin(), ops.end(), Op::kAesGcmMessage_1K) != ops.end())
    NotAvailable(Op::kAesGcmMessage_1K,
                 "no PKCS#11 3.0 interface (C_GetInterface), so no message API");
  SetUpKeys(*main_, [this](CK_MECHANISM_TYPE mech, CK_FLAGS flags) {
    return module_->HasMechanism(slot_, mech, flags);
  });
  return "";
}

Prepared Pkcs11Thread::PrepareOther(Op op, int64_t arg) {
  const Pkcs11Session* s = &s_;
  switch (op) {
    case Op::kRandom32: {
      auto out = std::make_shared<Buf>(32);
      Buf a(32), b(32);
      if (s_.GenerateRandom(a) != CKR_OK || s_.GenerateRandom(b) != CKR_OK || a == b ||
          a == Buf(32))
        return Failed("C_GenerateRandom");
      return {"", [s, out] { return s->GenerateRandom(*out) == CKR_OK; }};
    }
    case Op::kGetAttribute: {
      const CK_OBJECT_HANDLE key = t_.key(KeyId::kAes).priv;
      const std::string_view label = GetKeySpec(KeyId::kAes).label;
      Buf v;
      if (CK_RV rv = s_.GetAttribute(key, CKA_LABEL, &v);
          rv != CKR_OK || v != Buf(label.begin(), label.end()))
        return Failed("CKA_LABEL: " + RvName(rv));
      auto buf = std::make_shared<Buf>(64);
      return {"", [s, buf, key] {
                CK_ATTRIBUTE a{CKA_LABEL, buf->data(), static_cast<CK_ULONG>(buf->size())};
                return s->f()->C_GetAttributeValue(s->handle(), key, &a, 1) == CKR_OK;
              }};
    }
    case Op::kSessionOpenClose: {
      CK_FUNCTION_LIST* f = s_.f();
      const CK_SLOT_ID slot = t_.slot_;
      return {"", [f, slot] {
                CK_SESSION_HANDLE h;
                return f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr,
                                        &h) == CKR_OK &&
                       f->C_CloseSession(h) == CKR_OK;
              }};
    }
    case Op::kFind: {
      if (t_.max_find_ > 0 && arg > t_.max_find_)
        return NotAvailable("population capped at " + std::to_string(t_.max_find_) +
                            " objects (--other_find_max): creating them is too slow");
      if (std::string e = t_.Populate(*t_.main_, arg); !e.empty()) return Failed(e);
      const std::string label = "find-" + std::to_string(arg / 2);
      auto tmpl = std::make_shared<Attrs>();
      tmpl->Ulong(CKA_CLASS, CKO_DATA).String(CKA_LABEL, label);
      CK_OBJECT_HANDLE found[2];
      CK_ULONG n = 0;
      if (CK_RV rv = s_.FindObjects(*tmpl, found, &n); rv != CKR_OK || n != 1)
        return Failed("find: " + RvName(rv) + ", " + std::to_string(n) + " found");
      Buf v;
      if (s_.GetAttribute(found[0], CKA_LABEL, &v) != CKR_OK ||
          v != Buf(label.begin(), label.end()))
        return Failed("found the wrong object");
      return {"", [s, tmpl] {
                CK_OBJECT_HANDLE out[2];
                CK_ULONG n = 0;
                return s->FindObjects(*tmpl, out, &n) == CKR_OK && n == 1;
              }};
    }
    default:
      break;
  }
  return Failed("unknown op");
}

}  // namespace

std::unique_ptr<Target> MakePkcs11Target(const std::string& name, const std::string& path,
                                         int64_t max_find, std::string* error) {
  auto t = std::make_unique<Pkcs11Target>(name, max_find);
  if (std::string e = t->SetUp(path); !e.empty()) {
    *error = e;
    return nullptr;
  }
  return t;
}

}  // namespace cryptoki::bench
