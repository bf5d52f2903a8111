// token.h: Token, one token in one slot: its info and flags, SO and user PIN
// state with lockout, the login state this application shares across its
// sessions, and the object table with its search index.
#ifndef CRYPTOKI_TOKEN_H_
#define CRYPTOKI_TOKEN_H_

#include <atomic>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "cryptoki/config.h"
#include "cryptoki/info.h"
#include "cryptoki/mutex.h"
#include "cryptoki/object.h"
#include "cryptoki/session.h"
#include "cryptoki/store.h"

namespace cryptoki {

enum class LoginState : uint8_t { kPublic, kUser, kSo };

// HandleCounters hands out session and object handles for a whole Library:
// never 0, never reused.
struct HandleCounters {
  HandleCounters();
  std::atomic<CK_ULONG> next_session{1};
  std::atomic<CK_ULONG> next_object{1};
  // Seals saved operation states (Session::GetOperationState).
  SecretBytes state_key;
};

// SessionState is the inside of a Session, shared with the C adapter's
// handle table.
struct SessionState {
  SessionHandle handle = 0;
  CK_SLOT_ID slot = 0;
  bool rw = false;
  std::atomic<bool> closed{false};
  // Guarded by the token's lock: the token's list of open sessions (linked
  // from OpenSession until CloseSession or CloseAllSessions unlinks it),
  // and whether this session ever owned a session object (its close then
  // looks for them).
  SessionState* prev = nullptr;
  SessionState* next = nullptr;
  bool linked = false;
  bool owned_objects = false;
  // Set (under mu) once the session has operations or a search to release:
  // its close finds out without taking mu whether there are any.
  std::atomic<bool> has_state{false};
  mutable ExclusiveMutex mu;
  // The running search (C_FindObjectsInit .. Final).
  bool finding ABSL_GUARDED_BY(mu) = false;
  std::vector<ObjectHandle> found ABSL_GUARDED_BY(mu);
  size_t found_pos ABSL_GUARDED_BY(mu) = 0;
  // The key of each kind's last operation, kept for the next init of that
  // kind with the same handle (Session::TakeKey): used again only while the
  // token's object generation is still |generation|, so no object, login or
  // attribute has changed since it was looked up. A key in use by a running
  // operation is out of its slot (|key| null). The next init or the
  // session's close releases a kept key; until then a destroyed key's
  // memory (its values wiped when released) outlives C_DestroyObject in it.
  struct KeySlot {
    CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
    uint64_t generation = 0;
    const Object* expected = nullptr;  // the object the slot's handle named
    std::shared_ptr<const Object> key;
  };
  // Work is a session's operations: the active one of each kind and its
  // kind's key slot. It is made by the session's first operation, so a
  // session that runs none (opened and closed, or only for objects) neither
  // builds nor tears down the twenty-two slots.
  struct Work {
    std::unique_ptr<Operation> ops[kOpKinds];
    KeySlot key_slots[kOpKinds];
  };
  std::unique_ptr<Work> work ABSL_GUARDED_BY(mu);

  // op returns the active operation of |kind|, nullptr if none.
  Operation* op(size_t kind) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return work == nullptr ? nullptr : work->ops[kind].get();
  }
  // GetWork returns the operations, made on first use.
  Work& GetWork() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (work == nullptr) {
      work = std::make_unique<Work>();
      has_state.store(true, std::memory_order_release);
    }
    return *work;
  }
};

class Token : public std::enable_shared_from_this<Token> {
 public:
  // Token is made by the Library. |store| is null for a token that was never
  // initialised (it is created on InitToken).
  Token(CK_SLOT_ID slot_id, const Config& config, std::shared_ptr<HandleCounters> handles,
        Store* factory, std::unique_ptr<TokenStore> store);
  ~Token();

  // Load reads the token's record and public objects from its store.
  Result<> Load();

  CK_SLOT_ID slot_id() const { return slot_id_; }
  bool initialized() const;
  TokenInfo Info() const;
  LoginState login_state() const;

  // InitToken initialises or re-initialises the token: |so_pin| becomes the
  // SO PIN (for a used token it must be the current one: kPinIncorrect,
  // kPinLocked), every object is destroyed, the user PIN is unset. Errors:
  // kSessionExists if sessions are open, kPinLenRange.
  Result<> InitToken(std::string_view so_pin, std::string_view label);

  // OpenSession opens a session: kTokenNotRecognized on an uninitialised
  // token, kSessionReadWriteSoExists for a read-only session while the SO
  // is logged in.
  Result<Session> OpenSession(SessionKind kind);
  // OpenSession with C_OpenSession's flags: kSessionParallelNotSupported
  // without CKF_SERIAL_SESSION.
  Result<Session> OpenSession(CK_FLAGS flags);
  // CloseAllSessions closes every session on the token.
  void CloseAllSessions();
  // Shutdown closes every session and makes the token refuse new ones.
  void Shutdown();

  // OnInitialized is called once when an uninitialised token is
  // initialised (the Library then offers a new free slot).
  void set_on_initialized(std::function<void()> f) { on_initialized_ = std::move(f); }

  const Config& config() const { return config_; }

  // ObjectGeneration changes whenever what a handle lookup can return
  // changes: an object added, removed or replaced, a login or logout. One
  // plain load (no lock), for the sessions' key slots.
  uint64_t ObjectGeneration() const { return generation_.load(std::memory_order_acquire); }

 private:
  friend class Session;
  class Index;

  // Session-facing implementations (see session.h for the contracts).
  Result<> CloseSession(SessionState& s);
  Result<SessionInfo> SessionInfoOf(const SessionState& s) const;
  Result<> Login(SessionState& s, CK_USER_TYPE user, std::string_view pin);
  Result<> Logout();
  Result<> InitPin(SessionState& s, std::string_view pin);
  Result<> SetPin(SessionState& s, std::string_view old_pin, std::string_view new_pin);
  Result<ObjectHandle> CreateObject(SessionState& s, const Template& tmpl);
  // AddObject stores a built object; |cache| (if any) primes its Cache.
  Result<ObjectHandle> AddObject(SessionState& s, std::vector<Attribute> attrs,
                                 std::shared_ptr<const KeyCache> cache = nullptr);
  Result<ObjectHandle> CopyObject(SessionState& s, ObjectHandle h, const Template& changes);
  Result<> DestroyObject(SessionState& s, ObjectHandle h);
  Result<std::shared_ptr<const Object>> GetObject(ObjectHandle h) const;
  // ReadObject runs |read| on the object under the token's read lock: no
  // reference to it is taken (see Session::ReadObject).
  Result<> ReadObject(ObjectHandle h, absl::FunctionRef<void(const Object&)> read) const;
  Result<> SetAttributes(SessionState& s, ObjectHandle h, const Template& changes);
  Result<std::vector<ObjectHandle>> Find(const Template& tmpl, size_t max) const;

  // Locked helpers.
  // ResetLocked wipes the token and makes |so_pin| its SO PIN record.
  Result<> ResetLocked(PinRecord so_pin, std::string_view label) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Visible(const Object& o) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // FindVisible returns the object of |h| if it exists and is Visible, else
  // nullptr (the callers' kObjectHandleInvalid).
  const std::shared_ptr<const Object>* FindVisible(ObjectHandle h) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  Result<> CheckPinLength(std::string_view pin) const;
  // VerifyPin checks |pin| for |role| outside the lock, counting failures.
  Result<SecretBytes> VerifyPin(bool so, std::string_view pin) ABSL_LOCKS_EXCLUDED(mu_);
  // Insert gives |o| a new handle; Erase forgets a handle.
  ObjectHandle Insert(std::shared_ptr<const Object> o) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Erase(ObjectHandle h) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // UnlinkSession takes |s| off the list of open sessions (if it is still
  // on it) and destroys its session objects.
  void UnlinkSession(SessionState& s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // EndLogin is logout's work: drops private session objects, re-handles
  // private token objects, forgets the data key.
  void EndLogin() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Refresh reloads objects the store reports changed by another process.
  void RefreshIfChanged() const ABSL_LOCKS_EXCLUDED(mu_);
  Result<> ReloadObjects() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  ObjectHandle NewHandle() { return ObjectHandle(handles_->next_object.fetch_add(1)); }

  const CK_SLOT_ID slot_id_;
  const Config config_;
  std::shared_ptr<HandleCounters> handles_;
  Store* factory_;
  std::function<void()> on_initialized_;

  mutable Mutex mu_;
  // Bumped (under mu_, before the change is visible to a reader of mu_'s
  // state) by ObjectsChanged.
  std::atomic<uint64_t> generation_{1};
  void ObjectsChanged() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }
  std::unique_ptr<TokenStore> store_ ABSL_GUARDED_BY(mu_);
  TokenRecord record_ ABSL_GUARDED_BY(mu_);
  std::string serial_ ABSL_GUARDED_BY(mu_);
  LoginState login_ ABSL_GUARDED_BY(mu_) = LoginState::kPublic;
  SecretBytes data_key_ ABSL_GUARDED_BY(mu_);  // while someone is logged in
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<CK_OBJECT_HANDLE, std::shared_ptr<const Object>> objects_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, ObjectHandle> token_handles_ ABSL_GUARDED_BY(mu_);
  // The session objects of each session, so closing one costs what it owns.
  absl::flat_hash_map<SessionHandle, absl::flat_hash_set<CK_OBJECT_HANDLE>> session_objects_
      ABSL_GUARDED_BY(mu_);
  std::unique_ptr<Index> index_ ABSL_GUARDED_BY(mu_);
  // The open sessions, linked through SessionState::prev / next (a list, not
  // a table: opening and closing a session is then a few pointer writes).
  SessionState* sessions_ ABSL_GUARDED_BY(mu_) = nullptr;
  size_t session_count_ ABSL_GUARDED_BY(mu_) = 0;
  size_t rw_sessions_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<uint64_t> next_session_object_id_{uint64_t{1} << 63};
};

}  // namespace cryptoki

#endif  // CRYPTOKI_TOKEN_H_
