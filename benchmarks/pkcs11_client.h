// pkcs11_client.h: a small C++ wrapper over a dlopened PKCS#11 module's
// CK_FUNCTION_LIST, for benchmarks and tools that must talk to any module
// (ours, SoftHSM v2, ...) the way a C client does.
//
//   std::string error;
//   auto module = Pkcs11Module::Load("/usr/lib/softhsm/libsofthsm2.so", &error);
//   CK_SLOT_ID slot;
//   CK_RV rv = module->SetUpToken("bench", "so-pin", "user-pin", &slot);
//   Pkcs11Session s;
//   rv = Pkcs11Session::Open(*module, slot, &s);
//
// Every call returns the module's CK_RV unchanged; nothing here allocates on
// the paths a benchmark times (the one-shot helpers write into the caller's
// buffers).
#ifndef CRYPTOKI_BENCHMARKS_PKCS11_CLIENT_H_
#define CRYPTOKI_BENCHMARKS_PKCS11_CLIENT_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pkcs11.h"

namespace cryptoki::bench {

using ByteSpan = std::span<const uint8_t>;

// RvName returns the CKR_ name of |rv| ("CKR_OK"), or its hex value.
std::string RvName(CK_RV rv);

// Attrs builds a CK_ATTRIBUTE template that owns its values.
//
//   Attrs t;
//   t.Ulong(CKA_CLASS, CKO_SECRET_KEY).Bool(CKA_TOKEN, true).Bytes(CKA_VALUE, key);
//   f->C_CreateObject(session, t.data(), t.size(), &handle);
class Attrs {
 public:
  Attrs() = default;
  Attrs(const Attrs&) = delete;
  Attrs& operator=(const Attrs&) = delete;

  Attrs& Bool(CK_ATTRIBUTE_TYPE type, bool v);
  Attrs& Ulong(CK_ATTRIBUTE_TYPE type, CK_ULONG v);
  Attrs& Bytes(CK_ATTRIBUTE_TYPE type, ByteSpan v);
  Attrs& String(CK_ATTRIBUTE_TYPE type, std::string_view v);

  CK_ATTRIBUTE* data() { return attrs_.data(); }
  CK_ULONG size() const { return attrs_.size(); }

 private:
  std::deque<std::vector<uint8_t>> values_;  // stable addresses
  std::vector<CK_ATTRIBUTE> attrs_;
};

// Pkcs11Module is one loaded and initialised module. Destroying it calls
// C_Finalize and dlcloses the library.
class Pkcs11Module {
 public:
  // Load dlopens |path|, takes its function list (C_GetFunctionList) and
  // calls C_Initialize with CKF_OS_LOCKING_OK. Returns null with a message in
  // |*error| on failure.
  static std::unique_ptr<Pkcs11Module> Load(const std::string& path, std::string* error);
  ~Pkcs11Module();
  Pkcs11Module(const Pkcs11Module&) = delete;
  Pkcs11Module& operator=(const Pkcs11Module&) = delete;

  CK_FUNCTION_LIST* f() const { return f_; }
  // f3 returns the module's PKCS#11 3.x table (C_GetInterface "PKCS 11"),
  // null for a module without one (a 2.40 module such as SoftHSM 2.6).
  CK_FUNCTION_LIST_3_0* f3() const { return f3_; }
  const std::string& path() const { return path_; }
  // Description returns the library description and version from C_GetInfo
  // ("SoftHSM 2.6").
  std::string Description() const;

  // SetUpToken returns in |*slot| the slot of the token labelled |label|.
  // If no initialised token has that label, it initialises the first slot
  // whose token is not initialised (C_InitToken with |so_pin|) and sets the
  // user PIN (C_InitPIN). Slots are listed again afterwards: some modules
  // (SoftHSM) renumber a slot once its token is initialised.
  CK_RV SetUpToken(std::string_view label, std::string_view so_pin, std::string_view user_pin,
                   CK_SLOT_ID* slot) const;

  // HasMechanism says whether the token in |slot| lists |type| with every
  // flag of |flags| (C_GetMechanismInfo).
  bool HasMechanism(CK_SLOT_ID slot, CK_MECHANISM_TYPE type, CK_FLAGS flags) const;

 private:
  Pkcs11Module() = default;
  CK_RV FindToken(std::string_view label, CK_SLOT_ID* slot, bool* found) const;

  void* handle_ = nullptr;
  CK_FUNCTION_LIST* f_ = nullptr;
  CK_FUNCTION_LIST_3_0* f3_ = nullptr;
  std::string path_;
};

// Pkcs11Session is an open session, closed by its destructor.
class Pkcs11Session {
 public:
  Pkcs11Session() = default;
  Pkcs11Session(Pkcs11Session&& other) noexcept;
  Pkcs11Session& operator=(Pkcs11Session&& other) noexcept;
  ~Pkcs11Session();

  // Open opens a serial read/write session on |slot| into |*out|.
  static CK_RV Open(const Pkcs11Module& module, CK_SLOT_ID slot, Pkcs11Session* out);
  CK_RV Close();

  CK_SESSION_HANDLE handle() const { return h_; }
  CK_FUNCTION_LIST* f() const { return f_; }

  // Login logs the user in; an already logged-in user is success.
  CK_RV Login(std::string_view pin) const;

  CK_RV CreateObject(Attrs& tmpl, CK_OBJECT_HANDLE* out) const;
  CK_RV DestroyObject(CK_OBJECT_HANDLE object) const;
  CK_RV GenerateKeyPair(CK_MECHANISM_TYPE mech, Attrs& pub, Attrs& priv, CK_OBJECT_HANDLE* pub_out,
                        CK_OBJECT_HANDLE* priv_out) const;
  // GetAttribute reads one attribute's value into |*out| (two calls).
  CK_RV GetAttribute(CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type,
                     std::vector<uint8_t>* out) const;

  // One-shot operations: Init then the single-part call, writing into |out|
  // and its length into |*out_len|.
  CK_RV Digest(CK_MECHANISM& m, ByteSpan in, std::span<uint8_t> out, CK_ULONG* out_len) const;
  CK_RV Sign(CK_MECHANISM& m, CK_OBJECT_HANDLE key, ByteSpan in, std::span<uint8_t> out,
             CK_ULONG* out_len) const;
  CK_RV Verify(CK_MECHANISM& m, CK_OBJECT_HANDLE key, ByteSpan in, ByteSpan signature) const;
  CK_RV Encrypt(CK_MECHANISM& m, CK_OBJECT_HANDLE key, ByteSpan in, std::span<uint8_t> out,
                CK_ULONG* out_len) const;
  CK_RV Decrypt(CK_MECHANISM& m, CK_OBJECT_HANDLE key, ByteSpan in, std::span<uint8_t> out,
                CK_ULONG* out_len) const;
  CK_RV Derive(CK_MECHANISM& m, CK_OBJECT_HANDLE base, Attrs& tmpl, CK_OBJECT_HANDLE* out) const;
  CK_RV GenerateKey(CK_MECHANISM& m, Attrs& tmpl, CK_OBJECT_HANDLE* out) const;
  // WrapKey wraps |key| with |wrapping| into |out| (C_WrapKey).
  CK_RV WrapKey(CK_MECHANISM& m, CK_OBJECT_HANDLE wrapping, CK_OBJECT_HANDLE key,
                std::span<uint8_t> out, CK_ULONG* out_len) const;
  // UnwrapKey unwraps |wrapped| with |unwrapping| into a new key of |tmpl|
  // (C_UnwrapKey), its handle in |*out|.
  CK_RV UnwrapKey(CK_MECHANISM& m, CK_OBJECT_HANDLE unwrapping, ByteSpan wrapped, Attrs& tmpl,
                  CK_OBJECT_HANDLE* out) const;
  // FindObjects runs FindObjectsInit / FindObjects / FindObjectsFinal and
  // returns up to |out.size()| handles, their count in |*count|.
  CK_RV FindObjects(Attrs& tmpl, std::span<CK_OBJECT_HANDLE> out, CK_ULONG* count) const;
  CK_RV GenerateRandom(std::span<uint8_t> out) const;

  // The 3.0 message API (through the module's f3 table):
  // CKR_FUNCTION_NOT_SUPPORTED for a module without one.
  CK_RV MessageEncryptInit(CK_MECHANISM& m, CK_OBJECT_HANDLE key) const;
  // EncryptMessage encrypts |in| with the per-message |params| into |out|.
  CK_RV EncryptMessage(void* params, CK_ULONG params_len, ByteSpan aad, ByteSpan in,
                       std::span<uint8_t> out, CK_ULONG* out_len) const;

 private:
  CK_FUNCTION_LIST* f_ = nullptr;
  CK_FUNCTION_LIST_3_0* f3_ = nullptr;
  CK_SESSION_HANDLE h_ = CK_INVALID_HANDLE;
};

}  // namespace cryptoki::bench

#endif  // CRYPTOKI_BENCHMARKS_PKCS11_CLIENT_H_
