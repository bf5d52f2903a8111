// bridge.cc: the PKCS#11 C functions over the C++ core.
//
// Each C_X checks pointers, turns (pointer, length) pairs into spans, looks up
// the session handle, calls the core and maps the result to a CK_RV. Nothing
// here decides PKCS#11 semantics the core owns; what lives here is the C
// convention layer: NULL checks, the two-call size query and
// CKR_BUFFER_TOO_SMALL, C_GetAttributeValue's per-attribute rules, blank
// padding, the function tables, C_Initialize/C_Finalize, fork, and a
// noexcept guard at every entry.
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <new>
#include <shared_mutex>
#include <string>

#include "cryptoki/library.h"
#include "cryptoki/log.h"
#include "cryptoki/mechanism.h"
#include "cryptoki/session.h"
#include "cryptoki/token.h"
#include "cryptoki_c/attributes.h"
#include "cryptoki_c/handle_map.h"
#include "cryptoki_c/mechanism_params.h"
#include "cryptoki_c/sharded_mutex.h"
#include "pkcs11.h"

namespace cryptoki {

namespace c {
namespace {

// CSession is one open session as the adapter holds it.
struct CSession {
  explicit CSession(Session s) : session(std::move(s)) {}
  Session session;
  // The mechanisms of the running message operations (to read the
  // per-message parameter of C_EncryptMessage / C_DecryptMessage).
  std::atomic<CK_MECHANISM_TYPE> message_encrypt{CKM_VENDOR_DEFINED};
  std::atomic<CK_MECHANISM_TYPE> message_decrypt{CKM_VENDOR_DEFINED};
};

// State is everything C_Initialize creates and C_Finalize destroys.
struct State {
  std::unique_ptr<Library> library;
  HandleMap<CSession> sessions;
  pid_t pid = 0;
};

// g_mu guards g_state: C_Initialize / C_Finalize hold it exclusively, every
// other call shares it for its duration. In a forked child both are replaced
// (the parent's state is leaked, never used: its locks may be held by threads
// that do not exist in the child).
ShardedSharedMutex g_initial_mu;
ShardedSharedMutex* g_mu = &g_initial_mu;
State* g_state = nullptr;

// Slot events: C_WaitForSlotEvent blocks until C_Finalize.
std::mutex g_initial_event_mu;
std::condition_variable g_initial_event_cv;
std::mutex* g_event_mu = &g_initial_event_mu;
std::condition_variable* g_event_cv = &g_initial_event_cv;
uint64_t g_generation = 0;  // guarded by g_event_mu; bumped by C_Finalize

// The process id, kept up to date by the atfork child handler, so entry
// points detect a fork without a getpid() system call per call.
std::atomic<pid_t> g_pid{getpid()};
pid_t CurrentPid() { return g_pid.load(std::memory_order_relaxed); }

void AtForkChild() {
  g_pid.store(getpid(), std::memory_order_relaxed);
  if (g_state != nullptr && g_state->library != nullptr &&
      !g_state->library->config().reset_on_fork) {
    // library.reset_on_fork = false: the child keeps the parent's library
    // and sessions (valid only if no other thread held a lock at fork).
    g_state->pid = getpid();
    return;
  }
  g_mu = new ShardedSharedMutex;
  g_state = nullptr;  // leaked on purpose
  g_event_mu = new std::mutex;
  g_event_cv = new std::condition_variable;
}

std::once_flag g_atfork_once;

CK_RV ToRv(Rv rv) { return ToCkRv(rv); }

template <class T>
CK_RV ToRv(const Result<T>& r) {
  return r ? CKR_OK : ToCkRv(r.error());
}

// Guard runs |f| and turns exceptions into return codes: nothing throws
// across the ABI.
template <class F>
CK_RV Guard(const char* name, F&& f) noexcept {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return CKR_HOST_MEMORY;
  } catch (const std::exception& e) {
    LogError("%s: unexpected exception: %s", name, e.what());
    return CKR_GENERAL_ERROR;
  } catch (...) {
    LogError("%s: unexpected exception", name);
    return CKR_GENERAL_ERROR;
  }
}

// WithState runs |f| with the library's state, CKR_CRYPTOKI_NOT_INITIALIZED
// if there is none.
template <class F>
CK_RV WithState(const char* name, F&& f) noexcept {
  return Guard(name, [&]() -> CK_RV {
    SharedLock l(*g_mu);
    if (g_state == nullptr || g_state->pid != CurrentPid()) return CKR_CRYPTOKI_NOT_INITIALIZED;
    return f(*g_state);
  });
}

// WithSession runs |f| on the open session |h|.
template <class F>
CK_RV WithSession(const char* name, CK_SESSION_HANDLE h, F&& f) noexcept {
  return WithState(name, [&](State& st) -> CK_RV {
    std::shared_ptr<CSession> cs = st.sessions.Get(h);
    if (cs == nullptr || !cs->session.is_open()) return CKR_SESSION_HANDLE_INVALID;
    return f(*cs);
  });
}

ByteView In(const CK_BYTE* p, CK_ULONG n) { return n == 0 ? ByteView() : ByteView(p, n); }
bool BadIn(const void* p, CK_ULONG n) { return p == nullptr && n != 0; }

// Out makes the Output for a caller's (buffer, length) pair: a length query
// when |buf| is NULL.
Output Out(CK_BYTE_PTR buf, CK_ULONG_PTR len) {
  if (buf == nullptr) return Output::Query();
  return Output::Into(std::span<uint8_t>(buf, *len));
}

// Finish writes the length back when the call succeeded or the buffer was
// short, and returns the code.
CK_RV Finish(const Result<>& r, const Output& out, CK_ULONG_PTR len) {
  if (r || r.error() == Rv::kBufferTooSmall) *len = out.length;
  return ToRv(r);
}

// BadArgs ends the active operation of |kind| (an error other than a short
// buffer ends it) and returns CKR_ARGUMENTS_BAD.
CK_RV BadArgs(Session& s, OpKind kind) {
  s.Cancel(kind);
  return CKR_ARGUMENTS_BAD;
}

CK_RV GetMechanism(CK_MECHANISM_PTR p, Mechanism& out) {
  if (p == nullptr) return CKR_ARGUMENTS_BAD;
  auto m = cryptoki::ToMechanism(p);
  if (!m) return ToRv(m.error());
  out = std::move(*m);
  return CKR_OK;
}

// OutputOp runs a one-shot, update or final call that writes output.
enum class Step { kOneShot, kUpdate, kFinal };
CK_RV OutputOp(const char* name, CK_SESSION_HANDLE h, OpKind kind, Step step, CK_BYTE_PTR in,
               CK_ULONG in_len, CK_BYTE_PTR out, CK_ULONG_PTR out_len) noexcept {
  return WithSession(name, h, [&](CSession& cs) -> CK_RV {
    Session& s = cs.session;
    if (out_len == nullptr || (step != Step::kFinal && BadIn(in, in_len))) {
      return BadArgs(s, kind);
    }
    Output o = Out(out, out_len);
    Result<> r;
    switch (step) {
      case Step::kOneShot:
        r = s.OneShot(kind, In(in, in_len), o);
        break;
      case Step::kUpdate:
        r = s.Update(kind, In(in, in_len), o);
        break;
      case Step::kFinal:
        r = s.Final(kind, o);
        break;
    }
    return Finish(r, o, out_len);
  });
}

// InputUpdate runs an update that writes nothing (digest, sign, verify).
CK_RV InputUpdate(const char* name, CK_SESSION_HANDLE h, OpKind kind, CK_BYTE_PTR in,
                  CK_ULONG in_len) noexcept {
  return WithSession(name, h, [&](CSession& cs) -> CK_RV {
    if (BadIn(in, in_len)) return BadArgs(cs.session, kind);
    Output o = Output::Into({});
    return ToRv(cs.session.Update(kind, In(in, in_len), o));
  });
}

// ThreadMechanism is the calling thread's Mechanism for InitOp. The
// pointer is a constant-initialised thread-local (one __tls_get_addr per
// call); the Mechanism itself is an ordinary thread_local, reached once per
// thread. A thread_local Mechanism used directly cost four __tls_get_addr
// calls per init (its address, its guard, its destructor's registration).
Mechanism& ThreadMechanism() {
  static thread_local Mechanism* fast = nullptr;
  if (fast == nullptr) {
    struct Owner {
      Mechanism m;
      ~Owner() { fast = nullptr; }
    };
    static thread_local Owner owner;
    fast = &owner.m;
  }
  return *fast;
}

// Init runs one of the mechanism.h XInit functions for an operation of
// |kind|. A NULL mechanism terminates the active operation of that kind (as
// PKCS#11 allows for every init function); with none active it is a no-op.
template <class F>
CK_RV InitOp(const char* name, CK_SESSION_HANDLE h, OpKind kind, CK_MECHANISM_PTR pm,
             F&& init) noexcept {
  return WithSession(name, h, [&](CSession& cs) -> CK_RV {
    if (pm == nullptr) {
      cs.session.Cancel(kind);
      return CKR_OK;
    }
    // One Mechanism per thread, so the AEAD parameters and IVs of repeated
    // inits convert without allocating (ToMechanismInto reuses its buffers);
    // other parameter kinds are not kept past the call.
    Mechanism& m = ThreadMechanism();
    if (CK_RV rv = ToRv(cryptoki::ToMechanismInto(pm, m)); rv != CKR_OK) return rv;
    const CK_RV rv = ToRv(init(cs, m));
    cryptoki::ReleaseUnreused(m);
    return rv;
  });
}

// Config from pReserved: a path, or inline `key = value` text (anything with
// a newline or an '=' is text).
CK_RV ConfigFrom(const char* reserved, Config& out) {
  std::string_view s(reserved);
  expected<Config, ConfigError> c = (s.find('\n') != s.npos || s.find('=') != s.npos)
                                        ? ParseConfig(s, "C_Initialize pReserved")
                                        : LoadConfigFile(std::string(s));
  if (!c) {
    LogError("%s", c.error().message.c_str());
    return CKR_ARGUMENTS_BAD;
  }
  out = std::move(*c);
  return CKR_OK;
}

CK_RV Initialize(CK_VOID_PTR p) {
  std::call_once(g_atfork_once, [] { pthread_atfork(nullptr, nullptr, AtForkChild); });
  const char* reserved = nullptr;
  if (p != nullptr) {
    auto* args = static_cast<CK_C_INITIALIZE_ARGS*>(p);
    const int given = (args->CreateMutex != nullptr) + (args->DestroyMutex != nullptr) +
                      (args->LockMutex != nullptr) + (args->UnlockMutex != nullptr);
    // All four callbacks or none. With or without CKF_OS_LOCKING_OK the
    // library locks with the OS primitives: its threads are OS threads, and
    // it never creates threads (CKF_LIBRARY_CANT_CREATE_OS_THREADS is met).
    if (given != 0 && given != 4) return CKR_ARGUMENTS_BAD;
    reserved = static_cast<const char*>(args->pReserved);
  }
  std::unique_lock<ShardedSharedMutex> l(*g_mu);
  // A fork before the first C_Initialize happened before the atfork handler
  // existed: learn the pid afresh here.
  g_pid.store(getpid(), std::memory_order_relaxed);
  if (g_state != nullptr) {
    if (g_state->pid == CurrentPid()) return CKR_CRYPTOKI_ALREADY_INITIALIZED;
    g_state = nullptr;  // a forked child's copy of the parent's state: leaked
  }
  Result<std::unique_ptr<Library>> lib = Fail(Rv::kGeneralError);
  if (reserved != nullptr) {
    Config config;
    if (CK_RV rv = ConfigFrom(reserved, config); rv != CKR_OK) return rv;
    lib = Library::Create(std::move(config));
  } else {
    lib = Library::Create();
  }
  if (!lib) return ToRv(lib.error());
  if (auto st = RunSelfTests(); !st) {
    LogError("C_Initialize: a mechanism self-test failed");
    return ToRv(st.error());
  }
  auto state = std::make_unique<State>();
  state->library = std::move(*lib);
  state->pid = getpid();
  g_state = state.release();
  return CKR_OK;
}

CK_RV Finalize(CK_VOID_PTR reserved) {
  if (reserved != nullptr) return CKR_ARGUMENTS_BAD;
  {
    std::unique_lock<ShardedSharedMutex> l(*g_mu);
    if (g_state == nullptr || g_state->pid != CurrentPid()) return CKR_CRYPTOKI_NOT_INITIALIZED;
    std::unique_ptr<State> state(g_state);
    g_state = nullptr;
    // Close every session, then the library, before another C_Initialize
    // can open the same token store.
    state->sessions.RemoveIf([](const CSession&) { return true; });
    state.reset();
  }
  {
    std::lock_guard<std::mutex> l(*g_event_mu);
    ++g_generation;
  }
  g_event_cv->notify_all();
  return CKR_OK;
}

void Version(CK_VERSION& out, cryptoki::Version v) {
  out.major = v.major;
  out.minor = v.minor;
}

std::string_view Pin(const CK_UTF8CHAR* p, CK_ULONG n) {
  return std::string_view(reinterpret_cast<const char*>(p), n);
}

// Which C_SessionCancel flag ends which operation.
constexpr std::pair<CK_FLAGS, OpKind> kCancelFlags[] = {
    {CKF_ENCRYPT, OpKind::kEncrypt},
    {CKF_DECRYPT, OpKind::kDecrypt},
    {CKF_DIGEST, OpKind::kDigest},
    {CKF_SIGN, OpKind::kSign},
    {CKF_VERIFY, OpKind::kVerify},
    {CKF_SIGN_RECOVER, OpKind::kSignRecover},
    {CKF_VERIFY_RECOVER, OpKind::kVerifyRecover},
    {CKF_MESSAGE_ENCRYPT, OpKind::kMessageEncrypt},
    {CKF_MESSAGE_DECRYPT, OpKind::kMessageDecrypt},
    {CKF_MESSAGE_SIGN, OpKind::kMessageSign},
    {CKF_MESSAGE_VERIFY, OpKind::kMessageVerify},
};

// ToMessageParams reads a per-message parameter for mechanism |mech|.
CK_RV ToMessageParams(CK_MECHANISM_TYPE mech, CK_VOID_PTR p, CK_ULONG len, MessageParams& out) {
  if (p == nullptr) return CKR_ARGUMENTS_BAD;
  const bool gcm =
      mech == CKM_AES_GCM || (mech == CKM_VENDOR_DEFINED && len == sizeof(CK_GCM_MESSAGE_PARAMS));
  if (gcm) {
    if (len != sizeof(CK_GCM_MESSAGE_PARAMS)) return CKR_MECHANISM_PARAM_INVALID;
    auto* g = static_cast<CK_GCM_MESSAGE_PARAMS*>(p);
    if (BadIn(g->pIv, g->ulIvLen) || BadIn(g->pTag, g->ulTagBits)) return CKR_ARGUMENTS_BAD;
    if (g->ulTagBits % 8 != 0) return CKR_MECHANISM_PARAM_INVALID;
    mech::GcmMessageParams m;
    if (g->ulIvLen > 0) m.iv = std::span<uint8_t>(g->pIv, g->ulIvLen);
    m.iv_fixed_bits = g->ulIvFixedBits;
    m.generator = g->ivGenerator;
    if (g->pTag != nullptr) m.tag = std::span<uint8_t>(g->pTag, (g->ulTagBits + 7) / 8);
    out = m;
    return CKR_OK;
  }
  if (len != sizeof(CK_SALSA20_CHACHA20_POLY1305_MSG_PARAMS)) return CKR_MECHANISM_PARAM_INVALID;
  auto* c = static_cast<CK_SALSA20_CHACHA20_POLY1305_MSG_PARAMS*>(p);
  if (BadIn(c->pNonce, c->ulNonceLen) || c->pTag == nullptr) return CKR_ARGUMENTS_BAD;
  mech::ChaCha20Poly1305MessageParams m;
  if (c->ulNonceLen > 0) m.nonce = std::span<uint8_t>(c->pNonce, c->ulNonceLen);
  m.tag = std::span<uint8_t>(c->pTag, 16);
  out = m;
  return CKR_OK;
}

// DualUpdate runs the output half (|out_kind|, writes) and, when it wrote,
// feeds |in_for_second| to the input half (|in_kind|) of a dual-function
// update. |second_uses_output| feeds the first step's output instead.
CK_RV DualUpdate(const char* name, CK_SESSION_HANDLE h, OpKind first, OpKind second,
                 bool second_uses_output, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out,
                 CK_ULONG_PTR out_len) noexcept {
  return WithSession(name, h, [&](CSession& cs) -> CK_RV {
    Session& s = cs.session;
    if (out_len == nullptr || BadIn(in, in_len)) {
      s.Cancel(first);
      s.Cancel(second);
      return CKR_ARGUMENTS_BAD;
    }
    if (!s.IsActive(first) || !s.IsActive(second)) return CKR_OPERATION_NOT_INITIALIZED;
    Output o = Out(out, out_len);
    Result<> r = s.Update(first, In(in, in_len), o);
    if (!r || o.query) return Finish(r, o, out_len);
    *out_len = o.length;
    Output none = Output::Into({});
    ByteView fed = second_uses_output ? ByteView(out, o.length) : In(in, in_len);
    Result<> r2 = s.Update(second, fed, none);
    if (!r2) s.Cancel(first);
    return ToRv(r2);
  });
}

}  // namespace
}  // namespace c
}  // namespace cryptoki

using cryptoki::Attribute;
using cryptoki::ByteView;
using cryptoki::Fail;
using cryptoki::Mechanism;
using cryptoki::MessageParams;
using cryptoki::ObjectHandle;
using cryptoki::OpKind;
using cryptoki::Output;
using cryptoki::Result;
using cryptoki::Rv;
using cryptoki::Session;
using cryptoki::Template;
using namespace cryptoki::c;  // NOLINT: the adapter's own helpers

// ---------------------------------------------------------------------------
// Function tables and interfaces.

namespace {

#define CRYPTOKI_C_IN_240_240(name) &name,
#define CRYPTOKI_C_IN_240_300(name)
CK_FUNCTION_LIST kFunctionList240 = {
    {2, 40},
#define CRYPTOKI_FN(name, params, args, version) CRYPTOKI_C_IN_240_##version(name)
#include "pkcs11_functions.inc"
#undef CRYPTOKI_FN
};
#undef CRYPTOKI_C_IN_240_240
#undef CRYPTOKI_C_IN_240_300

CK_FUNCTION_LIST_3_0 kFunctionList30 = {
    {3, 0},
#define CRYPTOKI_FN(name, params, args, version) &name,
#include "pkcs11_functions.inc"
#undef CRYPTOKI_FN
};

CK_CHAR kInterfaceName[] = "PKCS 11";

// The interfaces, preferred first. Not CKF_INTERFACE_FORK_SAFE: a forked
// child starts from a fresh C_Initialize.
CK_INTERFACE kInterfaces[] = {
    {kInterfaceName, &kFunctionList30, 0},
    {kInterfaceName, &kFunctionList240, 0},
};
constexpr CK_ULONG kInterfaceCount = sizeof kInterfaces / sizeof kInterfaces[0];

CK_VERSION InterfaceVersion(const CK_INTERFACE& i) {
  return *static_cast<const CK_VERSION*>(i.pFunctionList);
}

}  // namespace

extern "C" {

// ---------------------------------------------------------------------------
// General purpose.

CK_DEFINE_FUNCTION(CK_RV, C_Initialize)(CK_VOID_PTR pInitArgs) {
  return Guard("C_Initialize", [&] { return Initialize(pInitArgs); });
}

CK_DEFINE_FUNCTION(CK_RV, C_Finalize)(CK_VOID_PTR pReserved) {
  return Guard("C_Finalize", [&] { return Finalize(pReserved); });
}

CK_DEFINE_FUNCTION(CK_RV, C_GetInfo)(CK_INFO_PTR pInfo) {
  return WithState("C_GetInfo", [&](State& st) -> CK_RV {
    if (pInfo == nullptr) return CKR_ARGUMENTS_BAD;
    const cryptoki::LibraryInfo i = st.library->Info();
    Version(pInfo->cryptokiVersion, i.cryptoki_version);
    Pad(i.manufacturer, pInfo->manufacturerID, sizeof pInfo->manufacturerID);
    pInfo->flags = i.flags;
    Pad(i.description, pInfo->libraryDescription, sizeof pInfo->libraryDescription);
    Version(pInfo->libraryVersion, i.library_version);
    return CKR_OK;
  });
}

CK_DEFINE_FUNCTION(CK_RV, C_GetFunctionList)(CK_FUNCTION_LIST_PTR_PTR ppFunctionList) {
  if (ppFunctionList == nullptr) return CKR_ARGUMENTS_BAD;
  *ppFunctionList = &kFunctionList240;
  return CKR_OK;
}

CK_DEFINE_FUNCTION(CK_RV, C_GetInterfaceList)
(CK_INTERFACE_PTR pInterfacesList, CK_ULONG_PTR pulCount) {
  if (pulCount == nullptr) return CKR_ARGUMENTS_BAD;
  if (pInterfacesList == nullptr) {
    *pulCount = kInterfaceCount;
    return CKR_OK;
  }
  if (*pulCount < kInterfaceCount) {
    *pulCount = kInterfaceCount;
    return CKR_BUFFER_TOO_SMALL;
  }
  for (CK_ULONG i = 0; i < kInterfaceCount; ++i) pInterfacesList[i] = kInterfaces[i];
  *pulCount = kInterfaceCount;
  return CKR_OK;
}

CK_DEFINE_FUNCTION(CK_RV, C_GetInterface)
(CK_UTF8CHAR_PTR pInterfaceName, CK_VERSION_PTR pVersion, CK_INTERFACE_PTR_PTR ppInterface,
 CK_FLAGS flags) {
  if (ppInterface == nullptr) return CKR_ARGUMENTS_BAD;
  for (CK_INTERFACE& i : kInterfaces) {
    if (pInterfaceName != nullptr && strcmp(reinterpret_cast<const char*>(pInterfaceName),
                                            reinterpret_cast<const char*>(i.pInterfaceName)) != 0) {
      continue;
    }
    const CK_VERSION v = InterfaceVersion(i);
    if (pVersion != nullptr && (pVersion->major != v.major || pVersion->minor != v.minor)) {
      continue;
    }
    if ((i.flags & flags) != flags) continue;
    *ppInterface = &i;
    return CKR_OK;
  }
  return CKR_ARGUMENTS_BAD;
}

// ---------------------------------------------------------------------------
// Slots and tokens.

CK_DEFINE_FUNCTION(CK_RV, C_GetSlotList)
(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList, CK_ULONG_PTR pulCount) {
  (void)tokenPresent;  // every slot holds a token
  return WithState("C_GetSlotList", [&](State& st) -> CK_RV {
    if (pulCount == nullptr) return CKR_ARGUMENTS_BAD;
    const std::vector<CK_SLOT_ID> slots = st.library->Slots();
    if (pSlotList == nullptr) {
      *pulCount = slots.size();
      return CKR_OK;
    }
    if (*pulCount < slots.size()) {
      *pulCount = slots.size();
      return CKR_BUFFER_TOO_SMALL;
    }
    std::copy(slots.begin(), slots.end(), pSlotList);
    *pulCount = slots.size();
    return CKR_OK;
  });
}

CK_DEFINE_FUNCTION(CK_RV, C_GetSlotInfo)(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo) {
  return WithState("C_GetSlotInfo", [&](State& st) -> CK_RV {
    if (pInfo == nullptr) return CKR_ARGUMENTS_BAD;
    auto i = st.library->GetSlotInfo(slotID);
    if (!i) return ToRv(i.error());
    Pad(i->description, pInfo->slotDescription, sizeof pInfo->slotDescription);
    Pad(i->manufacturer, pInfo->manufacturerID, sizeof pInfo->manufacturerID);
    pInfo->flags = i->flags;
    Version(pInfo->hardwareVersion, i->hardware_version);
    Version(pInfo->firmwareVersion, i->firmware_version);
    return CKR_OK;
  });
}

CK_DEFINE_FUNCTION(CK_RV, C_GetTokenInfo)(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo) {
  return WithState("C_GetTokenInfo", [&](State& st) -> CK_RV {
    if (pInfo == nullptr) return CKR_ARGUMENTS_BAD;
    auto t = st.library->GetToken(slotID);
    if (!t) return ToRv(t.error());
    const cryptoki::TokenInfo i = (*t)->Info();
    Pad(i.label, pInfo->label, sizeof pInfo->label);
    Pad(i.manufacturer, pInfo->manufacturerID, sizeof pInfo->manufacturerID);
    Pad(i.model, pInfo->model, sizeof pInfo->model);
    Pad(i.serial, pInfo->serialNumber, sizeof pInfo->serialNumber);
    pInfo->flags = i.flags;
    pInfo->ulMaxSessionCount = i.max_session_count;
    pInfo->ulSessionCount = i.session_count;
    pInfo->ulMaxRwSessionCount = i.max_rw_session_count;
    pInfo->ulRwSessionCount = i.rw_session_count;
    pInfo->ulMaxPinLen = i.max_pin_len;
    pInfo->ulMinPinLen = i.min_pin_len;
    pInfo->ulTotalPublicMemory = i.total_public_memory;
    pInfo->ulFreePublicMemory = i.free_public_memory;
    pInfo->ulTotalPrivateMemory = i.total_private_memory;
    pInfo->ulFreePrivateMemory = i.free_private_memory;
    Version(pInfo->hardwareVersion, i.hardware_version);
    Version(pInfo->firmwareVersion, i.firmware_version);
    Pad(i.utc_time, pInfo->utcTime, sizeof pInfo->utcTime);
    return CKR_OK;
  });
}

CK_DEFINE_FUNCTION(CK_RV, C_GetMechanismList)
(CK_SLOT_ID slotID, CK_MECHANISM_TYPE_PTR pMechanismList, CK_ULONG_PTR pulCount) {
  return WithState("C_GetMechanismList", [&](State& st) -> CK_RV {
    if (pulCount == nullptr) return CKR_ARGUMENTS_BAD;
    auto t = st.library->GetToken(slotID);
    if (!t) return ToRv(t.error());
    const std::vector<CK_MECHANISM_TYPE> list = cryptoki::Mechanisms((*t)->config());
    if (pMechanismList == nullptr) {
      *pulCount = list.size();
      return CKR_OK;
    }
    if (*pulCount < list.size()) {
      *pulCount = list.size();
      return CKR_BUFFER_TOO_SMALL;
    }
    std::copy(list.begin(), list.end(), pMechanismList);
    *pulCount = list.size();
    return CKR_OK;
  });
}

CK_DEFINE_FUNCTION(CK_RV, C_GetMechanismInfo)
(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR pInfo) {
  return WithState("C_GetMechanismInfo", [&](State& st) -> CK_RV {
    if (pInfo == nullptr) return CKR_ARGUMENTS_BAD;
    auto t = st.library->GetToken(slotID);
    if (!t) return ToRv(t.error());
    auto i = cryptoki::GetMechanismInfo((*t)->config(), type);
    if (!i) return ToRv(i.error());
    pInfo->ulMinKeySize = i->min_key_size;
    pInfo->ulMaxKeySize = i->max_key_size;
    pInfo->flags = i->flags;
    return CKR_OK;
  });
}

CK_DEFINE_FUNCTION(CK_RV, C_InitToken)
(CK_SLOT_ID slotID, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen, CK_UTF8CHAR_PTR pLabel) {
  return WithState("C_InitToken", [&](State& st) -> CK_RV {
    if (pPin == nullptr || pLabel == nullptr) return CKR_ARGUMENTS_BAD;
    auto t = st.library->GetToken(slotID);
    if (!t) return ToRv(t.error());
    return ToRv((*t)->InitToken(Pin(pPin, ulPinLen), Unpad(pLabel, 32)));
  });
}

CK_DEFINE_FUNCTION(CK_RV, C_InitPIN)
(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen) {
  return WithSession("C_InitPIN", hSession, [&](CSession& cs) -> CK_RV {
    if (pPin == nullptr) return CKR_ARGUMENTS_BAD;
    return ToRv(cs.session.InitPin(Pin(pPin, ulPinLen)));
  });
}

CK_DEFINE_FUNCTION(CK_RV, C_SetPIN)
(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pOldPin, CK_ULONG ulOldLen, CK_UTF8CHAR_PTR pNewPin,
 CK_ULONG ulNewLen) {
  return WithSession("C_SetPIN", hSession, [&](CSession& cs) -> CK_RV {
    if (pOldPin == nullptr || pNewPin == nullptr) return CKR_ARGUMENTS_BAD;
    return ToRv(cs.session.SetPin(Pin(pOldPin, ulOldLen), Pin(pNewPin, ulNewLen)));
  });
}

// ---------------------------------------------------------------------------
// Sessions.

CK_DEFINE_FUNCTION(CK_RV, C_OpenSession)
(CK_SLOT_ID slotID, CK_FLAGS flags, CK_VOID_PTR pApplication, CK_NOTIFY Notify,
 CK_SESSION_HANDLE_PTR phSession) {
  (void)pApplication;  // no callbacks are made (no surrender events)
  (void)Notify;
  return WithState("C_OpenSession", [&](State& st) -> CK_RV {
    if (phSession == nullptr) return CKR_ARGUMENTS_BAD;
    auto t = st.library->FindToken(slotID);
    if (!t) return ToRv(t.error());
    auto s = (*t)->OpenSession(flags);
    if (!s) return ToRv(s.error());
    const CK_SESSION_HANDLE h = s->handle();
    if (!st.sessions.Add(h, std::make_shared<CSession>(std::move(*s)))) return CKR_GENERAL_ERROR;
    *phSession = h;
    return CKR_OK;
  });
}

CK_DEFINE_FUNCTION(CK_RV, C_CloseSession)(CK_SESSION_HANDLE hSession) {
  return WithState("C_CloseSession", [&](State& st) -> CK_RV {
    std::shared_ptr<CSession> cs = st.sessions.Remove(hSession);
    if (cs == nullptr) return CKR_SESSION_HANDLE_INVALID;
    return ToRv(cs->session.Close());
  });
}

CK_DEFINE_FUNCTION(CK_RV, C_CloseAllSessions)(CK_SLOT_ID slotID) {
  return WithState("C_CloseAllSessions", [&](State& st) -> CK_RV {
    auto t = st.library->GetToken(slotID);
    if (!t) return ToRv(t.error());
    auto closed =
        st.sessions.RemoveIf([&](const CSession& cs) { return cs.session.slot_id() == slotID; });
    for (auto& cs : closed) (void)cs->session.Close();
    (*t)->CloseAllSessions();
    return CKR_OK;
  });
}

CK_DEFINE_FUNCTION(CK_RV, C_GetSessionInfo)(CK_SESSION_HANDLE hSession, CK_SESSION_INFO_PTR pInfo) {
  return WithSession("C_GetSessionInfo", hSession, [&](CSession& cs) -> CK_RV {
    if (pInfo == nullptr) return CKR_ARGUMENTS_BAD;
    auto i = cs.session.Info();
    if (!i) return ToRv(i.error());
    pInfo->slotID = i->slot_id;
    pInfo->state = i->state;
    pInfo->flags = i->flags;
    pInfo->ulDeviceError = i->device_error;
    return CKR_OK;
  });
}

CK_DEFINE_FUNCTION(CK_RV, C_GetOperationState)
(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pOperationState, CK_ULONG_PTR pulOperationStateLen) {
  return WithSession("C_GetOperationState", hSession, [&](CSession& cs) -> CK_RV {
    if (pulOperationStateLen == nullptr) return CKR_ARGUMENTS_BAD;
    auto state = cs.session.GetOperationState();
    if (!state) return ToRv(state.error());
    if (pOperationState == nullptr) {
      *pulOperationStateLen = state->size();
      return CKR_OK;
    }
    if (*pulOperationStateLen < state->size()) {
      *pulOperationStateLen = state->size();
      return CKR_BUFFER_TOO_SMALL;
    }
    if (!state->empty()) memcpy(pOperationState, state->data(), state->size());
    *pulOperationStateLen = state->size();
    return CKR_OK;
  });
}

CK_DEFINE_FUNCTION(CK_RV, C_SetOperationState)
(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pOperationState, CK_ULONG ulOperationStateLen,
 CK_OBJECT_HANDLE hEncryptionKey, CK_OBJECT_HANDLE hAuthenticationKey) {
  return WithSession("C_SetOperationState", hSession, [&](CSession& cs) -> CK_RV {
    if (pOperationState == nullptr || ulOperationStateLen == 0) return CKR_ARGUMENTS_BAD;
    return ToRv(cs.session.SetOperationState(ByteView(pOperationState, ulOperationStateLen),
                                             ObjectHandle(hEncryptionKey),
                                             ObjectHandle(hAuthenticationKey)));
  });
}

CK_DEFINE_FUNCTION(CK_RV, C_Login)
(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen) {
  return WithSession("C_Login", hSession, [&](CSession& cs) -> CK_RV {
    if (pPin == nullptr) return CKR_ARGUMENTS_BAD;
    return ToRv(cs.session.Login(userType, Pin(pPin, ulPinLen)));
  });
}

CK_DEFINE_FUNCTION(CK_RV, C_LoginUser)
(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen,
 CK_UTF8CHAR_PTR pUsername, CK_ULONG ulUsernameLen) {
  return WithSession("C_LoginUser", hSession, [&](CSession& cs) -> CK_RV {
    if (pPin == nullptr || BadIn(pUsername, ulUsernameLen)) return CKR_ARGUMENTS_BAD;
    // The token has one user per role: the user name is not checked.
    return ToRv(cs.session.Login(userType, Pin(pPin, ulPinLen)));
  });
}

CK_DEFINE_FUNCTION(CK_RV, C_Logout)(CK_SESSION_HANDLE hSession) {
  return WithSession("C_Logout", hSession,
                     [&](CSession& cs) -> CK_RV { return ToRv(cs.session.Logout()); });
}

CK_DEFINE_FUNCTION(CK_RV, C_SessionCancel)(CK_SESSION_HANDLE hSession, CK_FLAGS flags) {
  return WithSession("C_SessionCancel", hSession, [&](CSession& cs) -> CK_RV {
    for (const auto& [flag, kind] : kCancelFlags)
      if (flags & flag) cs.session.Cancel(kind);
    if (flags & CKF_FIND_OBJECTS) (void)cs.session.FindFinal();
    return CKR_OK;
  });
}

// ---------------------------------------------------------------------------
// Objects.

CK_DEFINE_FUNCTION(CK_RV, C_CreateObject)
(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
 CK_OBJECT_HANDLE_PTR phObject) {
  return WithSession("C_CreateObject", hSession, [&](CSession& cs) -> CK_RV {
    if (phObject == nullptr) return CKR_ARGUMENTS_BAD;
    Template t;
    if (CK_RV rv = ToTemplate(pTemplate, ulCount, t); rv != CKR_OK) return rv;
    auto h = cs.session.CreateObject(t);
    if (!h) return ToRv(h.error());
    *phObject = h->value();
    return CKR_OK;
  });
}

CK_DEFINE_FUNCTION(CK_RV, C_CopyObject)
(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
 CK_OBJECT_HANDLE_PTR phNewObject) {
  return WithSession("C_CopyObject", hSession, [&](CSession& cs) -> CK_RV {
    if (phNewObject == nullptr) return CKR_ARGUMENTS_BAD;
    Template t;
    if (CK_RV rv = ToTemplate(pTemplate, ulCount, t); rv != CKR_OK) return rv;
    auto h = cs.session.CopyObject(ObjectHandle(hObject), t);
    if (!h) return ToRv(h.error());
    *phNewObject = h->value();
    return CKR_OK;
  });
}

CK_DEFINE_FUNCTION(CK_RV, C_DestroyObject)(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject) {
  return WithSession("C_DestroyObject", hSession, [&](CSession& cs) -> CK_RV {
    return ToRv(cs.session.DestroyObject(ObjectHandle(hObject)));
  });
}

CK_DEFINE_FUNCTION(CK_RV, C_GetObjectSize)
(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ULONG_PTR pulSize) {
  return WithSession("C_GetObjectSize", hSession, [&](CSession& cs) -> CK_RV {
    if (pulSize == nullptr) return CKR_ARGUMENTS_BAD;
    auto n = cs.session.GetObjectSize(ObjectHandle(hObject));
    if (!n) return ToRv(n.error());
    *pulSize = *n;
    return CKR_OK;
  });
}

CK_DEFINE_FUNCTION(CK_RV, C_GetAttributeValue)
(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate,
 CK_ULONG ulCount) {
  return WithSession("C_GetAttributeValue", hSession, [&](CSession& cs) -> CK_RV {
    if (pTemplate == nullptr && ulCount > 0) return CKR_ARGUMENTS_BAD;
    // Read in place: no reference to the object, which threads reading it
    // would pass between their cores.
    CK_RV rv = CKR_OK;
    auto read = cs.session.ReadObject(ObjectHandle(hObject), [&](const cryptoki::Object& o) {
      rv = GetAttributeValues(o, pTemplate, ulCount);
    });
    if (!read) return ToRv(read.error());
    return rv;
  });
}

CK_DEFINE_FUNCTION(CK_RV, C_SetAttributeValue)
(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate,
 CK_ULONG ulCount) {
  return WithSession("C_SetAttributeValue", hSession, [&](CSession& cs) -> CK_RV {
    Template t;
    if (CK_RV rv = ToTemplate(pTemplate, ulCount, t); rv != CKR_OK) return rv;
    return ToRv(cs.session.SetAttributes(ObjectHandle(hObject), t));
  });
}

CK_DEFINE_FUNCTION(CK_RV, C_FindObjectsInit)
(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount) {
  return WithSession("C_FindObjectsInit", hSession, [&](CSession& cs) -> CK_RV {
    Template t;
    if (CK_RV rv = ToTemplate(pTemplate, ulCount, t); rv != CKR_OK) return rv;
    return ToRv(cs.session.FindInit(t));
  });
}

CK_DEFINE_FUNCTION(CK_RV, C_FindObjects)
(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE_PTR phObject, CK_ULONG ulMaxObjectCount,
 CK_ULONG_PTR pulObjectCount) {
  return WithSession("C_FindObjects", hSession, [&](CSession& cs) -> CK_RV {
    if (pulObjectCount == nullptr || (phObject == nullptr && ulMaxObjectCount > 0)) {
      return CKR_ARGUMENTS_BAD;
    }
    std::vector<ObjectHandle> found(std::min<CK_ULONG>(ulMaxObjectCount, 4096));
    auto n = cs.session.FindNext(std::span<ObjectHandle>(found));
    if (!n) return ToRv(n.error());
    for (size_t i = 0; i < *n; ++i) phObject[i] = found[i].value();
    *pulObjectCount = *n;
    return CKR_OK;
  });
}

CK_DEFINE_FUNCTION(CK_RV, C_FindObjectsFinal)(CK_SESSION_HANDLE hSession) {
  return WithSession("C_FindObjectsFinal", hSession,
                     [&](CSession& cs) -> CK_RV { return ToRv(cs.session.FindFinal()); });
}

// ---------------------------------------------------------------------------
// Encryption and decryption.

CK_DEFINE_FUNCTION(CK_RV, C_EncryptInit)
(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey) {
  return InitOp("C_EncryptInit", hSession, OpKind::kEncrypt, pMechanism,
                [&](CSession& cs, const Mechanism& m) {
                  return cryptoki::EncryptInit(cs.session, m, ObjectHandle(hKey));
                });
}

CK_DEFINE_FUNCTION(CK_RV, C_Encrypt)
(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pEncryptedData,
 CK_ULONG_PTR pulEncryptedDataLen) {
  return OutputOp("C_Encrypt", hSession, OpKind::kEncrypt, Step::kOneShot, pData, ulDataLen,
                  pEncryptedData, pulEncryptedDataLen);
}

CK_DEFINE_FUNCTION(CK_RV, C_EncryptUpdate)
(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen, CK_BYTE_PTR pEncryptedPart,
 CK_ULONG_PTR pulEncryptedPartLen) {
  return OutputOp("C_EncryptUpdate", hSession, OpKind::kEncrypt, Step::kUpdate, pPart, ulPartLen,
                  pEncryptedPart, pulEncryptedPartLen);
}

CK_DEFINE_FUNCTION(CK_RV, C_EncryptFinal)
(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pLastEncryptedPart, CK_ULONG_PTR pulLastEncryptedPartLen) {
  return OutputOp("C_EncryptFinal", hSession, OpKind::kEncrypt, Step::kFinal, nullptr, 0,
                  pLastEncryptedPart, pulLastEncryptedPartLen);
}

CK_DEFINE_FUNCTION(CK_RV, C_DecryptInit)
(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey) {
  return InitOp("C_DecryptInit", hSession, OpKind::kDecrypt, pMechanism,
                [&](CSession& cs, const Mechanism& m) {
                  return cryptoki::DecryptInit(cs.session, m, ObjectHandle(hKey));
                });
}

CK_DEFINE_FUNCTION(CK_RV, C_Decrypt)
(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedData, CK_ULONG ulEncryptedDataLen,
 CK_BYTE_PTR pData, CK_ULONG_PTR pulDataLen) {
  return OutputOp("C_Decrypt", hSession, OpKind::kDecrypt, Step::kOneShot, pEncryptedData,
                  ulEncryptedDataLen, pData, pulDataLen);
}

CK_DEFINE_FUNCTION(CK_RV, C_DecryptUpdate)
(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart, CK_ULONG ulEncryptedPartLen,
 CK_BYTE_PTR pPart, CK_ULONG_PTR pulPartLen) {
  return OutputOp("C_DecryptUpdate", hSession, OpKind::kDecrypt, Step::kUpdate, pEncryptedPart,
                  ulEncryptedPartLen, pPart, pulPartLen);
}

CK_DEFINE_FUNCTION(CK_RV, C_DecryptFinal)
(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pLastPart, CK_ULONG_PTR pulLastPartLen) {
  return OutputOp("C_DecryptFinal", hSession, OpKind::kDecrypt, Step::kFinal, nullptr, 0, pLastPart,
                  pulLastPartLen);
}

// ---------------------------------------------------------------------------
// Digests.

CK_DEFINE_FUNCTION(CK_RV, C_DigestInit)(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism) {
  return InitOp(
      "C_DigestInit", hSession, OpKind::kDigest, pMechanism,
      [&](CSession& cs, const Mechanism& m) { return cryptoki::DigestInit(cs.session, m); });
}

CK_DEFINE_FUNCTION(CK_RV, C_Digest)
(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pDigest,
 CK_ULONG_PTR pulDigestLen) {
  return OutputOp("C_Digest", hSession, OpKind::kDigest, Step::kOneShot, pData, ulDataLen, pDigest,
                  pulDigestLen);
}

CK_DEFINE_FUNCTION(CK_RV, C_DigestUpdate)
(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen) {
  return InputUpdate("C_DigestUpdate", hSession, OpKind::kDigest, pPart, ulPartLen);
}

CK_DEFINE_FUNCTION(CK_RV, C_DigestKey)(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hKey) {
  return WithSession("C_DigestKey", hSession, [&](CSession& cs) -> CK_RV {
    return ToRv(cryptoki::DigestKey(cs.session, ObjectHandle(hKey)));
  });
}

CK_DEFINE_FUNCTION(CK_RV, C_DigestFinal)
(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pDigest, CK_ULONG_PTR pulDigestLen) {
  return OutputOp("C_DigestFinal", hSession, OpKind::kDigest, Step::kFinal, nullptr, 0, pDigest,
                  pulDigestLen);
}

// ---------------------------------------------------------------------------
// Signatures and MACs.

CK_DEFINE_FUNCTION(CK_RV, C_SignInit)
(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey) {
  return InitOp("C_SignInit", hSession, OpKind::kSign, pMechanism,
                [&](CSession& cs, const Mechanism& m) {
                  return cryptoki::SignInit(cs.session, m, ObjectHandle(hKey));
                });
}

CK_DEFINE_FUNCTION(CK_RV, C_Sign)
(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
 CK_ULONG_PTR pulSignatureLen) {
  return OutputOp("C_Sign", hSession, OpKind::kSign, Step::kOneShot, pData, ulDataLen, pSignature,
                  pulSignatureLen);
}

CK_DEFINE_FUNCTION(CK_RV, C_SignUpdate)
(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen) {
  return InputUpdate("C_SignUpdate", hSession, OpKind::kSign, pPart, ulPartLen);
}

CK_DEFINE_FUNCTION(CK_RV, C_SignFinal)
(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen) {
  return OutputOp("C_SignFinal", hSession, OpKind::kSign, Step::kFinal, nullptr, 0, pSignature,
                  pulSignatureLen);
}

CK_DEFINE_FUNCTION(CK_RV, C_SignRecoverInit)
(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey) {
  return InitOp("C_SignRecoverInit", hSession, OpKind::kSignRecover, pMechanism,
                [&](CSession& cs, const Mechanism& m) {
                  return cryptoki::SignRecoverInit(cs.session, m, ObjectHandle(hKey));
                });
}

CK_DEFINE_FUNCTION(CK_RV, C_SignRecover)
(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
 CK_ULONG_PTR pulSignatureLen) {
  return OutputOp("C_SignRecover", hSession, OpKind::kSignRecover, Step::kOneShot, pData, ulDataLen,
                  pSignature, pulSignatureLen);
}

CK_DEFINE_FUNCTION(CK_RV, C_VerifyInit)
(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey) {
  return InitOp("C_VerifyInit", hSession, OpKind::kVerify, pMechanism,
                [&](CSession& cs, const Mechanism& m) {
                  return cryptoki::VerifyInit(cs.session, m, ObjectHandle(hKey));
                });
}

CK_DEFINE_FUNCTION(CK_RV, C_Verify)
(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
 CK_ULONG ulSignatureLen) {
  return WithSession("C_Verify", hSession, [&](CSession& cs) -> CK_RV {
    if (BadIn(pData, ulDataLen) || BadIn(pSignature, ulSignatureLen)) {
      return BadArgs(cs.session, OpKind::kVerify);
    }
    return ToRv(cs.session.VerifyOneShot(OpKind::kVerify, In(pData, ulDataLen),
                                         In(pSignature, ulSignatureLen)));
  });
}

CK_DEFINE_FUNCTION(CK_RV, C_VerifyUpdate)
(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen) {
  return InputUpdate("C_VerifyUpdate", hSession, OpKind::kVerify, pPart, ulPartLen);
}

CK_DEFINE_FUNCTION(CK_RV, C_VerifyFinal)
(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen) {
  return WithSession("C_VerifyFinal", hSession, [&](CSession& cs) -> CK_RV {
    if (BadIn(pSignature, ulSignatureLen)) return BadArgs(cs.session, OpKind::kVerify);
    return ToRv(cs.session.VerifyFinal(OpKind::kVerify, In(pSignature, ulSignatureLen)));
  });
}

CK_DEFINE_FUNCTION(CK_RV, C_VerifyRecoverInit)
(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey) {
  return InitOp("C_VerifyRecoverInit", hSession, OpKind::kVerifyRecover, pMechanism,
                [&](CSession& cs, const Mechanism& m) {
                  return cryptoki::VerifyRecoverInit(cs.session, m, ObjectHandle(hKey));
                });
}

CK_DEFINE_FUNCTION(CK_RV, C_VerifyRecover)
(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen, CK_BYTE_PTR pData,
 CK_ULONG_PTR pulDataLen) {
  return OutputOp("C_VerifyRecover", hSession, OpKind::kVerifyRecover, Step::kOneShot, pSignature,
                  ulSignatureLen, pData, pulDataLen);
}

// ---------------------------------------------------------------------------
// Dual-function updates: the cipher half writes, then the other half is fed
// (the plaintext: the input for encryption, the output for decryption).

CK_DEFINE_FUNCTION(CK_RV, C_DigestEncryptUpdate)
(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen, CK_BYTE_PTR pEncryptedPart,
 CK_ULONG_PTR pulEncryptedPartLen) {
  return DualUpdate("C_DigestEncryptUpdate", hSession, OpKind::kEncrypt, OpKind::kDigest, false,
                    pPart, ulPartLen, pEncryptedPart, pulEncryptedPartLen);
}

CK_DEFINE_FUNCTION(CK_RV, C_DecryptDigestUpdate)
(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart, CK_ULONG ulEncryptedPartLen,
 CK_BYTE_PTR pPart, CK_ULONG_PTR pulPartLen) {
  return DualUpdate("C_DecryptDigestUpdate", hSession, OpKind::kDecrypt, OpKind::kDigest, true,
                    pEncryptedPart, ulEncryptedPartLen, pPart, pulPartLen);
}

CK_DEFINE_FUNCTION(CK_RV, C_SignEncryptUpdate)
(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen, CK_BYTE_PTR pEncryptedPart,
 CK_ULONG_PTR pulEncryptedPartLen) {
  return DualUpdate("C_SignEncryptUpdate", hSession, OpKind::kEncrypt, OpKind::kSign, false, pPart,
                    ulPartLen, pEncryptedPart, pulEncryptedPartLen);
}

CK_DEFINE_FUNCTION(CK_RV, C_DecryptVerifyUpdate)
(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart, CK_ULONG ulEncryptedPartLen,
 CK_BYTE_PTR pPart, CK_ULONG_PTR pulPartLen) {
  return DualUpdate("C_DecryptVerifyUpdate", hSession, OpKind::kDecrypt, OpKind::kVerify, true,
                    pEncryptedPart, ulEncryptedPartLen, pPart, pulPartLen);
}

// ---------------------------------------------------------------------------
// Keys.

CK_DEFINE_FUNCTION(CK_RV, C_GenerateKey)
(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_ATTRIBUTE_PTR pTemplate,
 CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phKey) {
  return WithSession("C_GenerateKey", hSession, [&](CSession& cs) -> CK_RV {
    if (phKey == nullptr) return CKR_ARGUMENTS_BAD;
    Mechanism m;
    if (CK_RV rv = GetMechanism(pMechanism, m); rv != CKR_OK) return rv;
    Template t;
    if (CK_RV rv = ToTemplate(pTemplate, ulCount, t); rv != CKR_OK) return rv;
    auto h = cryptoki::GenerateKey(cs.session, m, t);
    if (!h) return ToRv(h.error());
    *phKey = h->value();
    return CKR_OK;
  });
}

CK_DEFINE_FUNCTION(CK_RV, C_GenerateKeyPair)
(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_ATTRIBUTE_PTR pPublicKeyTemplate,
 CK_ULONG ulPublicKeyAttributeCount, CK_ATTRIBUTE_PTR pPrivateKeyTemplate,
 CK_ULONG ulPrivateKeyAttributeCount, CK_OBJECT_HANDLE_PTR phPublicKey,
 CK_OBJECT_HANDLE_PTR phPrivateKey) {
  return WithSession("C_GenerateKeyPair", hSession, [&](CSession& cs) -> CK_RV {
    if (phPublicKey == nullptr || phPrivateKey == nullptr) return CKR_ARGUMENTS_BAD;
    Mechanism m;
    if (CK_RV rv = GetMechanism(pMechanism, m); rv != CKR_OK) return rv;
    Template pub, priv;
    if (CK_RV rv = ToTemplate(pPublicKeyTemplate, ulPublicKeyAttributeCount, pub); rv != CKR_OK) {
      return rv;
    }
    if (CK_RV rv = ToTemplate(pPrivateKeyTemplate, ulPrivateKeyAttributeCount, priv);
        rv != CKR_OK) {
      return rv;
    }
    auto h = cryptoki::GenerateKeyPair(cs.session, m, pub, priv);
    if (!h) return ToRv(h.error());
    *phPublicKey = h->first.value();
    *phPrivateKey = h->second.value();
    return CKR_OK;
  });
}

CK_DEFINE_FUNCTION(CK_RV, C_WrapKey)
(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hWrappingKey,
 CK_OBJECT_HANDLE hKey, CK_BYTE_PTR pWrappedKey, CK_ULONG_PTR pulWrappedKeyLen) {
  return WithSession("C_WrapKey", hSession, [&](CSession& cs) -> CK_RV {
    if (pulWrappedKeyLen == nullptr) return CKR_ARGUMENTS_BAD;
    Mechanism m;
    if (CK_RV rv = GetMechanism(pMechanism, m); rv != CKR_OK) return rv;
    Output o = Out(pWrappedKey, pulWrappedKeyLen);
    Result<> r =
        cryptoki::WrapKey(cs.session, m, ObjectHandle(hWrappingKey), ObjectHandle(hKey), o);
    return Finish(r, o, pulWrappedKeyLen);
  });
}

CK_DEFINE_FUNCTION(CK_RV, C_UnwrapKey)
(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hUnwrappingKey,
 CK_BYTE_PTR pWrappedKey, CK_ULONG ulWrappedKeyLen, CK_ATTRIBUTE_PTR pTemplate,
 CK_ULONG ulAttributeCount, CK_OBJECT_HANDLE_PTR phKey) {
  return WithSession("C_UnwrapKey", hSession, [&](CSession& cs) -> CK_RV {
    if (phKey == nullptr || BadIn(pWrappedKey, ulWrappedKeyLen)) return CKR_ARGUMENTS_BAD;
    Mechanism m;
    if (CK_RV rv = GetMechanism(pMechanism, m); rv != CKR_OK) return rv;
    Template t;
    if (CK_RV rv = ToTemplate(pTemplate, ulAttributeCount, t); rv != CKR_OK) return rv;
    auto h = cryptoki::UnwrapKey(cs.session, m, ObjectHandle(hUnwrappingKey),
                                 In(pWrappedKey, ulWrappedKeyLen), t);
    if (!h) return ToRv(h.error());
    *phKey = h->value();
    return CKR_OK;
  });
}

CK_DEFINE_FUNCTION(CK_RV, C_DeriveKey)
(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hBaseKey,
 CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulAttributeCount, CK_OBJECT_HANDLE_PTR phKey) {
  return WithSession("C_DeriveKey", hSession, [&](CSession& cs) -> CK_RV {
    Mechanism m;
    if (CK_RV rv = GetMechanism(pMechanism, m); rv != CKR_OK) return rv;
    // phKey may be NULL only for mechanisms that make no primary key (SP
    // 800-108 with additional keys); the core decides.
    Template t;
    if (CK_RV rv = ToTemplate(pTemplate, ulAttributeCount, t); rv != CKR_OK) return rv;
    auto h = cryptoki::DeriveKey(cs.session, m, ObjectHandle(hBaseKey), t);
    if (!h) return ToRv(h.error());
    cryptoki::CopyDerivedHandles(pMechanism, m);
    if (phKey == nullptr) {
      if (h->valid()) (void)cs.session.DestroyObject(*h);
      return CKR_ARGUMENTS_BAD;
    }
    *phKey = h->value();
    return CKR_OK;
  });
}

// ---------------------------------------------------------------------------
// Random numbers.

CK_DEFINE_FUNCTION(CK_RV, C_SeedRandom)
(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSeed, CK_ULONG ulSeedLen) {
  return WithSession("C_SeedRandom", hSession, [&](CSession& cs) -> CK_RV {
    if (BadIn(pSeed, ulSeedLen)) return CKR_ARGUMENTS_BAD;
    return ToRv(cs.session.SeedRandom(In(pSeed, ulSeedLen)));
  });
}

CK_DEFINE_FUNCTION(CK_RV, C_GenerateRandom)
(CK_SESSION_HANDLE hSession, CK_BYTE_PTR RandomData, CK_ULONG ulRandomLen) {
  return WithSession("C_GenerateRandom", hSession, [&](CSession& cs) -> CK_RV {
    if (BadIn(RandomData, ulRandomLen)) return CKR_ARGUMENTS_BAD;
    std::span<uint8_t> out;
    if (ulRandomLen > 0) out = std::span<uint8_t>(RandomData, ulRandomLen);
    return ToRv(cs.session.GenerateRandom(out));
  });
}

// ---------------------------------------------------------------------------
// Legacy parallel functions and slot events.

CK_DEFINE_FUNCTION(CK_RV, C_GetFunctionStatus)(CK_SESSION_HANDLE hSession) {
  return WithSession("C_GetFunctionStatus", hSession,
                     [](CSession&) -> CK_RV { return CKR_FUNCTION_NOT_PARALLEL; });
}

CK_DEFINE_FUNCTION(CK_RV, C_CancelFunction)(CK_SESSION_HANDLE hSession) {
  return WithSession("C_CancelFunction", hSession,
                     [](CSession&) -> CK_RV { return CKR_FUNCTION_NOT_PARALLEL; });
}

CK_DEFINE_FUNCTION(CK_RV, C_WaitForSlotEvent)
(CK_FLAGS flags, CK_SLOT_ID_PTR pSlot, CK_VOID_PTR pReserved) {
  return Guard("C_WaitForSlotEvent", [&]() -> CK_RV {
    uint64_t generation;
    std::mutex* mu;
    std::condition_variable* cv;
    {
      SharedLock l(*g_mu);
      if (g_state == nullptr || g_state->pid != CurrentPid()) return CKR_CRYPTOKI_NOT_INITIALIZED;
      if (pSlot == nullptr || pReserved != nullptr) return CKR_ARGUMENTS_BAD;
      // Slots never change while the library runs (a token is never removed):
      // there is never an event to report.
      if (flags & CKF_DONT_BLOCK) return CKR_NO_EVENT;
      mu = g_event_mu;
      cv = g_event_cv;
      std::lock_guard<std::mutex> el(*mu);
      generation = g_generation;
    }
    // Blocks until C_Finalize, as the standard asks of a blocking wait.
    std::unique_lock<std::mutex> el(*mu);
    cv->wait(el, [&] { return g_generation != generation; });
    return CKR_CRYPTOKI_NOT_INITIALIZED;
  });
}

// ---------------------------------------------------------------------------
// The message API (3.0): encryption and decryption (AES-GCM,
// ChaCha20-Poly1305), signing and verification (every signature mechanism,
// no per-message parameter). An error ends only the message it happened in.

}  // extern "C"

namespace {

bool IsEncryption(OpKind kind) {
  return kind == OpKind::kMessageEncrypt || kind == OpKind::kMessageDecrypt;
}

std::atomic<CK_MECHANISM_TYPE>& MessageMechanism(CSession& cs, OpKind kind) {
  return kind == OpKind::kMessageEncrypt ? cs.message_encrypt : cs.message_decrypt;
}

// MessageInit begins the message operation |kind| and remembers its
// mechanism (to read the per-message parameters).
CK_RV MessageInit(const char* name, CK_SESSION_HANDLE h, CK_MECHANISM_PTR pm, CK_OBJECT_HANDLE key,
                  OpKind kind) {
  return InitOp(name, h, kind, pm, [&](CSession& cs, const Mechanism& m) -> Result<> {
    const ObjectHandle k(key);
    switch (kind) {
      case OpKind::kMessageEncrypt:
        CRYPTOKI_TRY(cryptoki::MessageEncryptInit(cs.session, m, k));
        break;
      case OpKind::kMessageDecrypt:
        CRYPTOKI_TRY(cryptoki::MessageDecryptInit(cs.session, m, k));
        break;
      case OpKind::kMessageSign:
        return cryptoki::MessageSignInit(cs.session, m, k);
      default:
        return cryptoki::MessageVerifyInit(cs.session, m, k);
    }
    MessageMechanism(cs, kind) = m.type;
    return {};
  });
}

// ReadMessageParams reads the per-message parameter of the operation |kind|:
// the AEAD's structure, or nothing for signatures (a parameter given to a
// signature is CKR_MECHANISM_PARAM_INVALID).
CK_RV ReadMessageParams(CSession& cs, OpKind kind, CK_VOID_PTR p, CK_ULONG len,
                        MessageParams& out) {
  if (!cs.session.IsActive(kind)) return CKR_OPERATION_NOT_INITIALIZED;
  if (IsEncryption(kind)) return ToMessageParams(MessageMechanism(cs, kind), p, len, out);
  if (p != nullptr || len != 0) return CKR_MECHANISM_PARAM_INVALID;
  out = std::monostate{};
  return CKR_OK;
}

// WholeMessage runs C_EncryptMessage / C_DecryptMessage (|in| to |out|) and
// C_SignMessage (|in| signed into |out|).
CK_RV WholeMessage(const char* name, CK_SESSION_HANDLE h, OpKind kind, CK_VOID_PTR p,
                   CK_ULONG p_len, CK_BYTE_PTR aad, CK_ULONG aad_len, CK_BYTE_PTR in,
                   CK_ULONG in_len, CK_BYTE_PTR out, CK_ULONG_PTR out_len) noexcept {
  return WithSession(name, h, [&](CSession& cs) -> CK_RV {
    if (out_len == nullptr || BadIn(aad, aad_len) || BadIn(in, in_len)) return CKR_ARGUMENTS_BAD;
    MessageParams params;
    if (CK_RV rv = ReadMessageParams(cs, kind, p, p_len, params); rv != CKR_OK) return rv;
    Output o = Out(out, out_len);
    Result<> r;
    switch (kind) {
      case OpKind::kMessageEncrypt:
        r = cryptoki::EncryptMessage(cs.session, params, In(aad, aad_len), In(in, in_len), o);
        break;
      case OpKind::kMessageDecrypt:
        r = cryptoki::DecryptMessage(cs.session, params, In(aad, aad_len), In(in, in_len), o);
        break;
      default:
        r = cryptoki::SignMessage(cs.session, params, In(in, in_len), o);
        break;
    }
    return Finish(r, o, out_len);
  });
}

// BeginMessage runs C_{Encrypt,Decrypt,Sign,Verify}MessageBegin.
CK_RV BeginMessage(const char* name, CK_SESSION_HANDLE h, OpKind kind, CK_VOID_PTR p,
                   CK_ULONG p_len, CK_BYTE_PTR aad, CK_ULONG aad_len) noexcept {
  return WithSession(name, h, [&](CSession& cs) -> CK_RV {
    if (BadIn(aad, aad_len)) return CKR_ARGUMENTS_BAD;
    MessageParams params;
    if (CK_RV rv = ReadMessageParams(cs, kind, p, p_len, params); rv != CKR_OK) return rv;
    switch (kind) {
      case OpKind::kMessageEncrypt:
        return ToRv(cryptoki::EncryptMessageBegin(cs.session, params, In(aad, aad_len)));
      case OpKind::kMessageDecrypt:
        return ToRv(cryptoki::DecryptMessageBegin(cs.session, params, In(aad, aad_len)));
      case OpKind::kMessageSign:
        return ToRv(cryptoki::SignMessageBegin(cs.session, params));
      default:
        return ToRv(cryptoki::VerifyMessageBegin(cs.session, params));
    }
  });
}

// CipherMessageNext runs C_EncryptMessageNext / C_DecryptMessageNext.
CK_RV CipherMessageNext(const char* name, CK_SESSION_HANDLE h, OpKind kind, CK_VOID_PTR p,
                        CK_ULONG p_len, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out,
                        CK_ULONG_PTR out_len, CK_FLAGS flags) noexcept {
  return WithSession(name, h, [&](CSession& cs) -> CK_RV {
    if (out_len == nullptr || BadIn(in, in_len) || (flags & ~CKF_END_OF_MESSAGE) != 0) {
      return CKR_ARGUMENTS_BAD;
    }
    const bool last = flags & CKF_END_OF_MESSAGE;
    MessageParams params;
    // Only the last part needs the parameter (its tag); others may omit it.
    if (last || p != nullptr) {
      if (CK_RV rv = ReadMessageParams(cs, kind, p, p_len, params); rv != CKR_OK) return rv;
    }
    Output o = Out(out, out_len);
    Result<> r = kind == OpKind::kMessageEncrypt
                     ? cryptoki::EncryptMessageNext(cs.session, params, In(in, in_len), o, last)
                     : cryptoki::DecryptMessageNext(cs.session, params, In(in, in_len), o, last);
    return Finish(r, o, out_len);
  });
}

CK_RV EndMessages(const char* name, CK_SESSION_HANDLE h, OpKind kind) noexcept {
  return WithSession(name, h, [&](CSession& cs) -> CK_RV {
    switch (kind) {
      case OpKind::kMessageEncrypt:
        return ToRv(cryptoki::MessageEncryptFinal(cs.session));
      case OpKind::kMessageDecrypt:
        return ToRv(cryptoki::MessageDecryptFinal(cs.session));
      case OpKind::kMessageSign:
        return ToRv(cryptoki::MessageSignFinal(cs.session));
      default:
        return ToRv(cryptoki::MessageVerifyFinal(cs.session));
    }
  });
}

}  // namespace

extern "C" {

CK_DEFINE_FUNCTION(CK_RV, C_MessageEncryptInit)
(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey) {
  return MessageInit("C_MessageEncryptInit", hSession, pMechanism, hKey, OpKind::kMessageEncrypt);
}

CK_DEFINE_FUNCTION(CK_RV, C_EncryptMessage)
(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
 CK_BYTE_PTR pAssociatedData, CK_ULONG ulAssociatedDataLen, CK_BYTE_PTR pPlaintext,
 CK_ULONG ulPlaintextLen, CK_BYTE_PTR pCiphertext, CK_ULONG_PTR pulCiphertextLen) {
  return WholeMessage("C_EncryptMessage", hSession, OpKind::kMessageEncrypt, pParameter,
                      ulParameterLen, pAssociatedData, ulAssociatedDataLen, pPlaintext,
                      ulPlaintextLen, pCiphertext, pulCiphertextLen);
}

CK_DEFINE_FUNCTION(CK_RV, C_EncryptMessageBegin)
(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
 CK_BYTE_PTR pAssociatedData, CK_ULONG ulAssociatedDataLen) {
  return BeginMessage("C_EncryptMessageBegin", hSession, OpKind::kMessageEncrypt, pParameter,
                      ulParameterLen, pAssociatedData, ulAssociatedDataLen);
}

CK_DEFINE_FUNCTION(CK_RV, C_EncryptMessageNext)
(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
 CK_BYTE_PTR pPlaintextPart, CK_ULONG ulPlaintextPartLen, CK_BYTE_PTR pCiphertextPart,
 CK_ULONG_PTR pulCiphertextPartLen, CK_FLAGS flags) {
  return CipherMessageNext("C_EncryptMessageNext", hSession, OpKind::kMessageEncrypt, pParameter,
                           ulParameterLen, pPlaintextPart, ulPlaintextPartLen, pCiphertextPart,
                           pulCiphertextPartLen, flags);
}

CK_DEFINE_FUNCTION(CK_RV, C_MessageEncryptFinal)(CK_SESSION_HANDLE hSession) {
  return EndMessages("C_MessageEncryptFinal", hSession, OpKind::kMessageEncrypt);
}

CK_DEFINE_FUNCTION(CK_RV, C_MessageDecryptInit)
(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey) {
  return MessageInit("C_MessageDecryptInit", hSession, pMechanism, hKey, OpKind::kMessageDecrypt);
}

CK_DEFINE_FUNCTION(CK_RV, C_DecryptMessage)
(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
 CK_BYTE_PTR pAssociatedData, CK_ULONG ulAssociatedDataLen, CK_BYTE_PTR pCiphertext,
 CK_ULONG ulCiphertextLen, CK_BYTE_PTR pPlaintext, CK_ULONG_PTR pulPlaintextLen) {
  return WholeMessage("C_DecryptMessage", hSession, OpKind::kMessageDecrypt, pParameter,
                      ulParameterLen, pAssociatedData, ulAssociatedDataLen, pCiphertext,
                      ulCiphertextLen, pPlaintext, pulPlaintextLen);
}

CK_DEFINE_FUNCTION(CK_RV, C_DecryptMessageBegin)
(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
 CK_BYTE_PTR pAssociatedData, CK_ULONG ulAssociatedDataLen) {
  return BeginMessage("C_DecryptMessageBegin", hSession, OpKind::kMessageDecrypt, pParameter,
                      ulParameterLen, pAssociatedData, ulAssociatedDataLen);
}

CK_DEFINE_FUNCTION(CK_RV, C_DecryptMessageNext)
(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
 CK_BYTE_PTR pCiphertextPart, CK_ULONG ulCiphertextPartLen, CK_BYTE_PTR pPlaintextPart,
 CK_ULONG_PTR pulPlaintextPartLen, CK_FLAGS flags) {
  return CipherMessageNext("C_DecryptMessageNext", hSession, OpKind::kMessageDecrypt, pParameter,
                           ulParameterLen, pCiphertextPart, ulCiphertextPartLen, pPlaintextPart,
                           pulPlaintextPartLen, flags);
}

CK_DEFINE_FUNCTION(CK_RV, C_MessageDecryptFinal)(CK_SESSION_HANDLE hSession) {
  return EndMessages("C_MessageDecryptFinal", hSession, OpKind::kMessageDecrypt);
}

CK_DEFINE_FUNCTION(CK_RV, C_MessageSignInit)
(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey) {
  return MessageInit("C_MessageSignInit", hSession, pMechanism, hKey, OpKind::kMessageSign);
}

CK_DEFINE_FUNCTION(CK_RV, C_SignMessage)
(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pData,
 CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen) {
  return WholeMessage("C_SignMessage", hSession, OpKind::kMessageSign, pParameter, ulParameterLen,
                      nullptr, 0, pData, ulDataLen, pSignature, pulSignatureLen);
}

CK_DEFINE_FUNCTION(CK_RV, C_SignMessageBegin)
(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen) {
  return BeginMessage("C_SignMessageBegin", hSession, OpKind::kMessageSign, pParameter,
                      ulParameterLen, nullptr, 0);
}

// C_SignMessageNext: without pulSignatureLen a part, with it the last part
// (pSignature NULL asks for the signature's length and consumes nothing).
CK_DEFINE_FUNCTION(CK_RV, C_SignMessageNext)
(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pData,
 CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen) {
  return WithSession("C_SignMessageNext", hSession, [&](CSession& cs) -> CK_RV {
    if (BadIn(pData, ulDataLen)) return CKR_ARGUMENTS_BAD;
    MessageParams params;
    if (CK_RV rv = ReadMessageParams(cs, OpKind::kMessageSign, pParameter, ulParameterLen, params);
        rv != CKR_OK) {
      return rv;
    }
    if (pulSignatureLen == nullptr) {
      return ToRv(cryptoki::SignMessageNext(cs.session, params, In(pData, ulDataLen), nullptr));
    }
    Output o = Out(pSignature, pulSignatureLen);
    return Finish(cryptoki::SignMessageNext(cs.session, params, In(pData, ulDataLen), &o), o,
                  pulSignatureLen);
  });
}

CK_DEFINE_FUNCTION(CK_RV, C_MessageSignFinal)(CK_SESSION_HANDLE hSession) {
  return EndMessages("C_MessageSignFinal", hSession, OpKind::kMessageSign);
}

CK_DEFINE_FUNCTION(CK_RV, C_MessageVerifyInit)
(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey) {
  return MessageInit("C_MessageVerifyInit", hSession, pMechanism, hKey, OpKind::kMessageVerify);
}

}  // extern "C"

namespace {
// VerifyPart runs C_VerifyMessage (|whole|) and C_VerifyMessageNext (the
// last part when |sig| is given).
CK_RV VerifyPart(const char* name, CK_SESSION_HANDLE h, bool whole, CK_VOID_PTR p, CK_ULONG p_len,
                 CK_BYTE_PTR data, CK_ULONG data_len, CK_BYTE_PTR sig, CK_ULONG sig_len) noexcept {
  return WithSession(name, h, [&](CSession& cs) -> CK_RV {
    if (BadIn(data, data_len) || (whole && sig == nullptr)) return CKR_ARGUMENTS_BAD;
    MessageParams params;
    if (CK_RV rv = ReadMessageParams(cs, OpKind::kMessageVerify, p, p_len, params); rv != CKR_OK) {
      return rv;
    }
    const ByteView signature(sig, sig == nullptr ? 0 : sig_len);
    if (whole)
      return ToRv(cryptoki::VerifyMessage(cs.session, params, In(data, data_len), signature));
    return ToRv(cryptoki::VerifyMessageNext(
        cs.session, params, In(data, data_len),
        sig == nullptr ? std::nullopt : std::optional<ByteView>(signature)));
  });
}
}  // namespace

extern "C" {

CK_DEFINE_FUNCTION(CK_RV, C_VerifyMessage)
(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pData,
 CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen) {
  return VerifyPart("C_VerifyMessage", hSession, true, pParameter, ulParameterLen, pData, ulDataLen,
                    pSignature, ulSignatureLen);
}

CK_DEFINE_FUNCTION(CK_RV, C_VerifyMessageBegin)
(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen) {
  return BeginMessage("C_VerifyMessageBegin", hSession, OpKind::kMessageVerify, pParameter,
                      ulParameterLen, nullptr, 0);
}

// C_VerifyMessageNext: pSignature NULL feeds a part; a signature ends the
// message and is checked.
CK_DEFINE_FUNCTION(CK_RV, C_VerifyMessageNext)
(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pData,
 CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen) {
  return VerifyPart("C_VerifyMessageNext", hSession, false, pParameter, ulParameterLen, pData,
                    ulDataLen, pSignature, ulSignatureLen);
}

CK_DEFINE_FUNCTION(CK_RV, C_MessageVerifyFinal)(CK_SESSION_HANDLE hSession) {
  return EndMessages("C_MessageVerifyFinal", hSession, OpKind::kMessageVerify);
}

}  // extern "C"
