#include "benchmarks/pkcs11_client.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "cryptoki/rv.h"

namespace cryptoki::bench {

std::string RvName(CK_RV rv) { return to_string(static_cast<Rv>(rv)); }

Attrs& Attrs::Bool(CK_ATTRIBUTE_TYPE type, bool v) {
  const CK_BBOOL b = v ? CK_TRUE : CK_FALSE;
  return Bytes(type, ByteSpan(&b, 1));
}

Attrs& Attrs::Ulong(CK_ATTRIBUTE_TYPE type, CK_ULONG v) {
  return Bytes(type, ByteSpan(reinterpret_cast<const uint8_t*>(&v), sizeof v));
}

Attrs& Attrs::String(CK_ATTRIBUTE_TYPE type, std::string_view v) {
  return Bytes(type, ByteSpan(reinterpret_cast<const uint8_t*>(v.data()), v.size()));
}

Attrs& Attrs::Bytes(CK_ATTRIBUTE_TYPE type, ByteSpan v) {
  values_.emplace_back(v.begin(), v.end());
  std::vector<uint8_t>& value = values_.back();
  attrs_.push_back(CK_ATTRIBUTE{type, value.empty() ? nullptr : value.data(),
                                static_cast<CK_ULONG>(value.size())});
  return *this;
}

std::unique_ptr<Pkcs11Module> Pkcs11Module::Load(const std::string& path, std::string* error) {
  std::unique_ptr<Pkcs11Module> m(new Pkcs11Module);
  m->path_ = path;
  m->handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (m->handle_ == nullptr) {
    *error = std::string("dlopen: ") + dlerror();
    return nullptr;
  }
  auto get = reinterpret_cast<CK_C_GetFunctionList>(dlsym(m->handle_, "C_GetFunctionList"));
  if (get == nullptr) {
    *error = path + ": no C_GetFunctionList";
    return nullptr;
  }
  CK_FUNCTION_LIST_PTR f = nullptr;
  if (CK_RV rv = get(&f); rv != CKR_OK || f == nullptr) {
    *error = "C_GetFunctionList: " + RvName(rv);
    return nullptr;
  }
  CK_C_INITIALIZE_ARGS args{};
  args.flags = CKF_OS_LOCKING_OK;
  if (CK_RV rv = f->C_Initialize(&args); rv != CKR_OK) {
    *error = "C_Initialize: " + RvName(rv);
    return nullptr;
  }
  m->f_ = f;
  // The 3.x table, for the message API, where the module has one.
  auto get_interface = reinterpret_cast<CK_C_GetInterface>(dlsym(m->handle_, "C_GetInterface"));
  CK_INTERFACE* i = nullptr;
  CK_UTF8CHAR name[] = "PKCS 11";
  if (get_interface != nullptr && get_interface(name, nullptr, &i, 0) == CKR_OK && i != nullptr &&
      i->pFunctionList != nullptr && static_cast<CK_VERSION*>(i->pFunctionList)->major >= 3)
    m->f3_ = static_cast<CK_FUNCTION_LIST_3_0*>(i->pFunctionList);
  return m;
}

Pkcs11Module::~Pkcs11Module() {
  if (f_ != nullptr) f_->C_Finalize(nullptr);
  if (handle_ != nullptr) dlclose(handle_);
}

namespace {

std::string Trim(const CK_UTF8CHAR* p, size_t n) {
  std::string s(reinterpret_cast<const char*>(p), n);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

// Padded returns |s| blank-padded to |n| bytes, as token labels are.
std::string Padded(std::string_view s, size_t n) {
  std::string out(s.substr(0, n));
  out.resize(n, ' ');
  return out;
}

CK_UTF8CHAR_PTR Utf8(std::string_view s) {
  return reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(s.data()));
}

}  // namespace

std::string Pkcs11Module::Description() const {
  CK_INFO info{};
  if (f_->C_GetInfo(&info) != CKR_OK) return "?";
  return Trim(info.libraryDescription, sizeof info.libraryDescription) + " " +
         std::to_string(info.libraryVersion.major) + "." +
         std::to_string(info.libraryVersion.minor);
}

CK_RV Pkcs11Module::FindToken(std::string_view label, CK_SLOT_ID* slot, bool* found) const {
  *found = false;
  CK_ULONG n = 0;
  if (CK_RV rv = f_->C_GetSlotList(CK_TRUE, nullptr, &n); rv != CKR_OK) return rv;
  std::vector<CK_SLOT_ID> slots(n);
  if (CK_RV rv = f_->C_GetSlotList(CK_TRUE, slots.data(), &n); rv != CKR_OK) return rv;
  slots.resize(n);
  // First pass: an initialised token with |label|. Second: a free slot.
  for (int pass = 0; pass < 2; ++pass) {
    for (CK_SLOT_ID s : slots) {
      CK_TOKEN_INFO info{};
      if (f_->C_GetTokenInfo(s, &info) != CKR_OK) continue;
      const bool initialized = (info.flags & CKF_TOKEN_INITIALIZED) != 0;
      if (pass == 0 && initialized && Trim(info.label, sizeof info.label) == label) {
        *slot = s;
        *found = true;
        return CKR_OK;
      }
      if (pass == 1 && !initialized) {
        *slot = s;
        return CKR_OK;
      }
    }
  }
  return CKR_TOKEN_NOT_PRESENT;
}

CK_RV Pkcs11Module::SetUpToken(std::string_view label, std::string_view so_pin,
                               std::string_view user_pin, CK_SLOT_ID* slot) const {
  bool found = false;
  if (CK_RV rv = FindToken(label, slot, &found); rv != CKR_OK || found) return rv;
  const std::string padded = Padded(label, 32);
  if (CK_RV rv = f_->C_InitToken(*slot, Utf8(so_pin), so_pin.size(), Utf8(padded)); rv != CKR_OK)
    return rv;
  // The slot may have been renumbered: look the token up by label again.
  if (CK_RV rv = FindToken(label, slot, &found); rv != CKR_OK) return rv;
  if (!found) return CKR_TOKEN_NOT_RECOGNIZED;
  CK_SESSION_HANDLE s;
  if (CK_RV rv =
          f_->C_OpenSession(*slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &s);
      rv != CKR_OK)
    return rv;
  CK_RV rv = f_->C_Login(s, CKU_SO, Utf8(so_pin), so_pin.size());
  if (rv == CKR_OK) rv = f_->C_InitPIN(s, Utf8(user_pin), user_pin.size());
  if (rv == CKR_OK) rv = f_->C_Logout(s);
  f_->C_CloseSession(s);
  return rv;
}

bool Pkcs11Module::HasMechanism(CK_SLOT_ID slot, CK_MECHANISM_TYPE type, CK_FLAGS flags) const {
  CK_MECHANISM_INFO info{};
  if (f_->C_GetMechanismInfo(slot, type, &info) != CKR_OK) return false;
  return (info.flags & flags) == flags;
}

Pkcs11Session::Pkcs11Session(Pkcs11Session&& other) noexcept
    : f_(other.f_), f3_(other.f3_), h_(std::exchange(other.h_, CK_INVALID_HANDLE)) {}

Pkcs11Session& Pkcs11Session::operator=(Pkcs11Session&& other) noexcept {
  if (this != &other) {
    Close();
    f_ = other.f_;
    f3_ = other.f3_;
    h_ = std::exchange(other.h_, CK_INVALID_HANDLE);
  }
  return *this;
}

Pkcs11Session::~Pkcs11Session() { Close(); }

CK_RV Pkcs11Session::Open(const Pkcs11Module& module, CK_SLOT_ID slot, Pkcs11Session* out) {
  CK_SESSION_HANDLE h;
  CK_RV rv =
      module.f()->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &h);
  if (rv != CKR_OK) return rv;
  out->Close();
  out->f_ = module.f();
  out->f3_ = module.f3();
  out->h_ = h;
  return CKR_OK;
}

CK_RV Pkcs11Session::Close() {
  if (h_ == CK_INVALID_HANDLE) return CKR_OK;
  return f_->C_CloseSession(std::exchange(h_, CK_INVALID_HANDLE));
}

CK_RV Pkcs11Session::Login(std::string_view pin) const {
  CK_RV rv = f_->C_Login(h_, CKU_USER, Utf8(pin), pin.size());
  return rv == CKR_USER_ALREADY_LOGGED_IN ? CKR_OK : rv;
}

CK_RV Pkcs11Session::CreateObject(Attrs& tmpl, CK_OBJECT_HANDLE* out) const {
  return f_->C_CreateObject(h_, tmpl.data(), tmpl.size(), out);
}

CK_RV Pkcs11Session::DestroyObject(CK_OBJECT_HANDLE object) const {
  return f_->C_DestroyObject(h_, object);
}

CK_RV Pkcs11Session::GenerateKeyPair(CK_MECHANISM_TYPE mech, Attrs& pub, Attrs& priv,
                                     CK_OBJECT_HANDLE* pub_out, CK_OBJECT_HANDLE* priv_out) const {
  CK_MECHANISM m{mech, nullptr, 0};
  return f_->C_GenerateKeyPair(h_, &m, pub.data(), pub.size(), priv.data(), priv.size(), pub_out,
                               priv_out);
}

CK_RV Pkcs11Session::GetAttribute(CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type,
                                  std::vector<uint8_t>* out) const {
  CK_ATTRIBUTE a{type, nullptr, 0};
  if (CK_RV rv = f_->C_GetAttributeValue(h_, object, &a, 1); rv != CKR_OK) return rv;
  out->resize(a.ulValueLen);
  a.pValue = out->data();
  if (CK_RV rv = f_->C_GetAttributeValue(h_, object, &a, 1); rv != CKR_OK) return rv;
  out->resize(a.ulValueLen);
  return CKR_OK;
}

CK_RV Pkcs11Session::Digest(CK_MECHANISM& m, ByteSpan in, std::span<uint8_t> out,
                            CK_ULONG* out_len) const {
  if (CK_RV rv = f_->C_DigestInit(h_, &m); rv != CKR_OK) return rv;
  *out_len = out.size();
  return f_->C_Digest(h_, const_cast<uint8_t*>(in.data()), in.size(), out.data(), out_len);
}

CK_RV Pkcs11Session::Sign(CK_MECHANISM& m, CK_OBJECT_HANDLE key, ByteSpan in,
                          std::span<uint8_t> out, CK_ULONG* out_len) const {
  if (CK_RV rv = f_->C_SignInit(h_, &m, key); rv != CKR_OK) return rv;
  *out_len = out.size();
  return f_->C_Sign(h_, const_cast<uint8_t*>(in.data()), in.size(), out.data(), out_len);
}

CK_RV Pkcs11Session::Verify(CK_MECHANISM& m, CK_OBJECT_HANDLE key, ByteSpan in,
                            ByteSpan signature) const {
  if (CK_RV rv = f_->C_VerifyInit(h_, &m, key); rv != CKR_OK) return rv;
  return f_->C_Verify(h_, const_cast<uint8_t*>(in.data()), in.size(),
                      const_cast<uint8_t*>(signature.data()), signature.size());
}

CK_RV Pkcs11Session::Encrypt(CK_MECHANISM& m, CK_OBJECT_HANDLE key, ByteSpan in,
                             std::span<uint8_t> out, CK_ULONG* out_len) const {
  if (CK_RV rv = f_->C_EncryptInit(h_, &m, key); rv != CKR_OK) return rv;
  *out_len = out.size();
  return f_->C_Encrypt(h_, const_cast<uint8_t*>(in.data()), in.size(), out.data(), out_len);
}

CK_RV Pkcs11Session::Decrypt(CK_MECHANISM& m, CK_OBJECT_HANDLE key, ByteSpan in,
                             std::span<uint8_t> out, CK_ULONG* out_len) const {
  if (CK_RV rv = f_->C_DecryptInit(h_, &m, key); rv != CKR_OK) return rv;
  *out_len = out.size();
  return f_->C_Decrypt(h_, const_cast<uint8_t*>(in.data()), in.size(), out.data(), out_len);
}

CK_RV Pkcs11Session::Derive(CK_MECHANISM& m, CK_OBJECT_HANDLE base, Attrs& tmpl,
                            CK_OBJECT_HANDLE* out) const {
  return f_->C_DeriveKey(h_, &m, base, tmpl.data(), tmpl.size(), out);
}

CK_RV Pkcs11Session::GenerateKey(CK_MECHANISM& m, Attrs& tmpl, CK_OBJECT_HANDLE* out) const {
  return f_->C_GenerateKey(h_, &m, tmpl.data(), tmpl.size(), out);
}

CK_RV Pkcs11Session::WrapKey(CK_MECHANISM& m, CK_OBJECT_HANDLE wrapping, CK_OBJECT_HANDLE key,
                             std::span<uint8_t> out, CK_ULONG* out_len) const {
  *out_len = out.size();
  return f_->C_WrapKey(h_, &m, wrapping, key, out.data(), out_len);
}

CK_RV Pkcs11Session::UnwrapKey(CK_MECHANISM& m, CK_OBJECT_HANDLE unwrapping, ByteSpan wrapped,
                               Attrs& tmpl, CK_OBJECT_HANDLE* out) const {
  return f_->C_UnwrapKey(h_, &m, unwrapping, const_cast<uint8_t*>(wrapped.data()), wrapped.size(),
                         tmpl.data(), tmpl.size(), out);
}

CK_RV Pkcs11Session::FindObjects(Attrs& tmpl, std::span<CK_OBJECT_HANDLE> out,
                                 CK_ULONG* count) const {
  if (CK_RV rv = f_->C_FindObjectsInit(h_, tmpl.data(), tmpl.size()); rv != CKR_OK) return rv;
  CK_RV rv = f_->C_FindObjects(h_, out.data(), out.size(), count);
  CK_RV final_rv = f_->C_FindObjectsFinal(h_);
  return rv != CKR_OK ? rv : final_rv;
}

CK_RV Pkcs11Session::GenerateRandom(std::span<uint8_t> out) const {
  return f_->C_GenerateRandom(h_, out.data(), out.size());
}

CK_RV Pkcs11Session::MessageEncryptInit(CK_MECHANISM& m, CK_OBJECT_HANDLE key) const {
  if (f3_ == nullptr) return CKR_FUNCTION_NOT_SUPPORTED;
  return f3_->C_MessageEncryptInit(h_, &m, key);
}

CK_RV Pkcs11Session::EncryptMessage(void* params, CK_ULONG params_len, ByteSpan aad, ByteSpan in,
                                    std::span<uint8_t> out, CK_ULONG* out_len) const {
  if (f3_ == nullptr) return CKR_FUNCTION_NOT_SUPPORTED;
  *out_len = out.size();
  return f3_->C_EncryptMessage(h_, params, params_len, const_cast<uint8_t*>(aad.data()), aad.size(),
                               const_cast<uint8_t*>(in.data()), in.size(), out.data(), out_len);
}

}  // namespace cryptoki::bench
