// session.h: Session, a PKCS#11 session as a move-only RAII object.
//
//   auto token = library->GetToken(slot);
//   auto session = (*token)->OpenSession(SessionKind::kReadWrite);
//   if (!session) return session.error();
//   CRYPTOKI_TRY(session->Login(CKU_USER, "1234"));
//   auto key = session->CreateObject({attr::Class{CKO_SECRET_KEY}, ...});
//
// Destroying a Session closes it (C_CloseSession): its session objects are
// destroyed and its operations end. Login state belongs to the token, shared
// by every session of the application on it, as PKCS#11 requires.
#ifndef CRYPTOKI_SESSION_H_
#define CRYPTOKI_SESSION_H_

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "cryptoki/attribute.h"
#include "cryptoki/info.h"
#include "cryptoki/object.h"
#include "cryptoki/operation.h"
#include "cryptoki/rv.h"

namespace cryptoki {

class Token;
struct SessionState;

// OperationRestorer rebuilds an operation of |kind| from the bytes its
// SaveState wrote, with |key| (null for keyless operations). The mechanism
// layer installs one; without it SetOperationState is kSavedStateInvalid.
using OperationRestorer = Result<std::unique_ptr<Operation>> (*)(OpKind kind, ByteView state,
                                                                 std::shared_ptr<const Object> key);
void SetOperationRestorer(OperationRestorer restorer);

enum class SessionKind { kReadOnly, kReadWrite };

class Session {
 public:
  Session(Session&&) noexcept = default;
  Session& operator=(Session&& other) noexcept;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session();

  // handle is this session's CK_SESSION_HANDLE: never 0, never reused.
  SessionHandle handle() const;
  CK_SLOT_ID slot_id() const;

  // Close closes the session now (the destructor does it otherwise).
  // Returns kSessionHandleInvalid if it was already closed.
  Result<> Close();
  bool is_open() const;

  // Info returns the session's state (one of the five CKS_ states) and flags.
  Result<SessionInfo> Info() const;

  // Login logs |user_type| (CKU_USER, CKU_SO, CKU_CONTEXT_SPECIFIC) in to the
  // token for every session of this application. Errors:
  // kUserAlreadyLoggedIn, kUserAnotherAlreadyLoggedIn,
  // kSessionReadOnlyExists (SO login while an RO session is open),
  // kUserPinNotInitialized, kPinIncorrect, kPinLocked, kUserTypeInvalid,
  // kOperationNotInitialized (context-specific login with nothing to
  // authorise), kUserNotLoggedIn (context-specific login before a user login).
  Result<> Login(CK_USER_TYPE user_type, std::string_view pin);
  // Logout ends the login of every session on the token; private session
  // objects are destroyed and handles to private objects become invalid for
  // good. kUserNotLoggedIn if nobody is logged in.
  Result<> Logout();
  // InitPin sets the user PIN (and unlocks a locked user); needs an RW SO
  // session: kUserNotLoggedIn otherwise; kPinLenRange for a bad length.
  Result<> InitPin(std::string_view pin);
  // SetPin changes the PIN of whoever is logged in (the user's when nobody
  // is); needs an RW session: kSessionReadOnly otherwise.
  Result<> SetPin(std::string_view old_pin, std::string_view new_pin);

  // Objects.
  Result<ObjectHandle> CreateObject(const Template& tmpl);
  Result<ObjectHandle> CopyObject(ObjectHandle object, const Template& changes);
  Result<> DestroyObject(ObjectHandle object);
  Result<size_t> GetObjectSize(ObjectHandle object);
  // GetObject returns the object if this session may see it
  // (kObjectHandleInvalid otherwise). The object is an immutable snapshot.
  Result<std::shared_ptr<const Object>> GetObject(ObjectHandle object) const;
  // ReadObject runs |read| on the object if this session may see it
  // (kObjectHandleInvalid otherwise), without taking a reference to it:
  // threads reading one object then write no shared reference count. |read|
  // runs under the token's read lock, so it must not call into the token.
  Result<> ReadObject(ObjectHandle object, absl::FunctionRef<void(const Object&)> read) const;
  // GetAttribute returns one attribute: kAttributeSensitive for a secret
  // part of a sensitive or unextractable key, kAttributeTypeInvalid if the
  // object has no such attribute.
  Result<Attribute> GetAttribute(ObjectHandle object, AttributeType type) const;
  // Get returns a typed attribute: session.Get<attr::Label>(h).
  template <class A>
  Result<typename A::value_type> Get(ObjectHandle object) const {
    auto a = GetAttribute(object, A::kType);
    if (!a) return Fail(a.error());
    auto v = A::Decode(*a);
    if (!v) return Fail(Rv::kAttributeValueInvalid);
    return std::move(*v);
  }
  Result<> SetAttributes(ObjectHandle object, const Template& changes);

  // Find returns the handles of the visible objects matching |tmpl| (all of
  // them for an empty template), at most |max|. It does not disturb a
  // search begun with FindInit.
  Result<std::vector<ObjectHandle>> Find(const Template& tmpl, size_t max = SIZE_MAX) const;
  // FindInit / FindNext / FindFinal are the three-step search of
  // C_FindObjectsInit, C_FindObjects and C_FindObjectsFinal.
  Result<> FindInit(const Template& tmpl);
  Result<std::vector<ObjectHandle>> FindNext(size_t max);
  Result<size_t> FindNext(std::span<ObjectHandle> out);
  Result<> FindFinal();

  // GenerateRandom fills |out| from BoringSSL's generator.
  Result<> GenerateRandom(std::span<uint8_t> out);
  // SeedRandom returns kRandomSeedNotSupported: BoringSSL's generator seeds
  // itself from the operating system and takes no application seed.
  Result<> SeedRandom(ByteView seed);

  // Operations: at most one active per kind (encrypt, digest, sign...).
  // Begin makes |op| the active operation of |kind|: kOperationActive if
  // one is running.
  Result<> Begin(OpKind kind, std::unique_ptr<Operation> op);
  // Update, Final and OneShot run the active operation of |kind|
  // (kOperationNotInitialized if none). The operation ends when Final or
  // OneShot succeed, and on any error except a length query or
  // kBufferTooSmall. OneShot after Update is kOperationActive.
  Result<> Update(OpKind kind, ByteView in, Output& out);
  Result<> Final(OpKind kind, Output& out);
  Result<> OneShot(OpKind kind, ByteView in, Output& out);
  // Verify checks |signature| against the data Update fed (VerifyFinal);
  // VerifyOneShot against |data|. Either ends the operation.
  Result<> VerifyFinal(OpKind kind, ByteView signature);
  Result<> VerifyOneShot(OpKind kind, ByteView data, ByteView signature);
  // WithOperation runs |f| on the active operation of |kind| under the
  // session's lock: kOperationNotInitialized if none, kUserNotLoggedIn while
  // it awaits a context-specific login. Whatever |f| returns, the operation
  // stays active: the message API's operations end only with Final or Cancel.
  Result<> WithOperation(OpKind kind, absl::FunctionRef<Result<>(Operation&)> f);
  // Cancel ends the active operation of |kind|, if any.
  void Cancel(OpKind kind);
  // IsActive says whether an operation of |kind| is running.
  bool IsActive(OpKind kind) const;

  // GetOperationState saves every active cryptographic operation into one
  // blob (C_GetOperationState): sealed with AES-256-GCM under a key that
  // lives only in this Library, so it carries nothing in the clear and a
  // forged or foreign blob is refused. kOperationNotInitialized with no
  // active operation, kStateUnsaveable if one cannot be saved.
  Result<Bytes> GetOperationState() const;
  // SetOperationState replaces the session's operations with those in
  // |state|. Encryption and decryption take |encryption_key|, signing and
  // verification |authentication_key| (CK_INVALID_HANDLE for none). Errors:
  // kSavedStateInvalid, kKeyNeeded, kKeyNotNeeded, kKeyChanged (not the key
  // the state was saved with).
  Result<> SetOperationState(ByteView state, ObjectHandle encryption_key,
                             ObjectHandle authentication_key);

  // The token this session is on (while its Library lives).
  Token& token() const;
  // GetKey returns a key object for an operation: kKeyHandleInvalid if it
  // does not exist or is not visible.
  Result<std::shared_ptr<const Object>> GetKey(ObjectHandle key) const;
  // Start is an operation's init, all under the session's lock (taken once):
  // kOperationActive if an operation of |kind| is running; else |check| runs
  // (the mechanism's checks, whose errors come before the key's), the key is
  // looked up if |key| is given, and the operation |make| builds from it
  // becomes the active one. The key the last operation of that kind used
  // comes back from the session's slot when nothing changed since (no
  // token-wide lock, no reference count change, which threads sharing a key
  // would pass between their cores); the operation's end puts it back (see
  // SessionState::KeySlot).
  using MakeOperation =
      absl::FunctionRef<Result<std::unique_ptr<Operation>>(std::shared_ptr<const Object> key)>;
  Result<> Start(OpKind kind, std::optional<ObjectHandle> key, absl::FunctionRef<Result<>()> check,
                 MakeOperation make);

  // CreateObjectWith makes an object from attributes a mechanism built
  // (BuildAttributes with op kGenerate, kDerive or kUnwrap).
  Result<ObjectHandle> CreateBuiltObject(std::vector<Attribute> attrs);
  // IsSo says whether the SO is logged in.
  bool IsSo() const;

 private:
  friend class Token;
  Session(Token* token, std::shared_ptr<SessionState> state);
  // Lock returns the open session's state, kSessionHandleInvalid if closed.
  Result<SessionState*> Open() const;
  // TakeKey is GetKey for Start, |st|'s lock held: the slot's key if it
  // still stands, else the token's (remembered in the slot).
  Result<std::shared_ptr<const Object>> TakeKey(SessionState& st, OpKind kind, ObjectHandle key);

  // The token, not owned: the Library keeps it while sessions may use it
  // (its destruction closes every session first; a closed session does not
  // touch its token), so opening a session writes no reference count that
  // every thread opening one would share.
  Token* token_ = nullptr;
  std::shared_ptr<SessionState> state_;
};

}  // namespace cryptoki

#endif  // CRYPTOKI_SESSION_H_
