#include "cryptoki/token.h"

#include <openssl/mem.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdio>

#include "cryptoki/log.h"
#include "cryptoki/pin.h"

namespace cryptoki {

// Index finds candidate objects by the attributes searches use most: class,
// key type, CKA_ID, CKA_LABEL, CKA_UNIQUE_ID and CKA_PRIVATE. A search walks the
// smallest candidate set, so its cost does not grow with the token.
class Token::Index {
 public:
  // Set is the handles one index key selects. Most keys of a token (each
  // CKA_UNIQUE_ID, most CKA_IDs and labels) select one object: that handle
  // lives inline, and a hash set is made only for a second.
  class Set {
   public:
    bool empty() const { return many_ == nullptr && one_ == CK_INVALID_HANDLE; }
    size_t size() const { return many_ ? many_->size() : one_ != CK_INVALID_HANDLE; }
    void Insert(CK_OBJECT_HANDLE h) {
      if (many_ != nullptr) {
        many_->insert(h);
      } else if (one_ == CK_INVALID_HANDLE || one_ == h) {
        one_ = h;
      } else {
        many_ = std::make_unique<absl::flat_hash_set<CK_OBJECT_HANDLE>>();
        many_->insert(one_);
        many_->insert(h);
        one_ = CK_INVALID_HANDLE;
      }
    }
    void Erase(CK_OBJECT_HANDLE h) {
      if (many_ != nullptr) {
        many_->erase(h);
      } else if (one_ == h) {
        one_ = CK_INVALID_HANDLE;
      }
    }
    template <class F>
    void ForEach(F f) const {
      if (many_ == nullptr) {
        if (one_ != CK_INVALID_HANDLE) f(one_);
        return;
      }
      for (CK_OBJECT_HANDLE h : *many_) f(h);
    }

   private:
    CK_OBJECT_HANDLE one_ = CK_INVALID_HANDLE;
    std::unique_ptr<absl::flat_hash_set<CK_OBJECT_HANDLE>> many_;
  };

  void Add(ObjectHandle h, const Object& o) {
    for (AttributeType t : kIndexed) {
      const Attribute* a = o.Find(t);
      if (a == nullptr) continue;
      KeyBuffer k(t, a->value());
      auto it = sets_.find(k.view());
      if (it == sets_.end()) it = sets_.emplace(std::string(k.view()), Set()).first;
      it->second.Insert(h.value());
    }
  }
  void Remove(ObjectHandle h, const Object& o) {
    for (AttributeType t : kIndexed) {
      const Attribute* a = o.Find(t);
      if (a == nullptr) continue;
      auto it = sets_.find(KeyBuffer(t, a->value()).view());
      if (it == sets_.end()) continue;
      it->second.Erase(h.value());
      if (it->second.empty()) sets_.erase(it);
    }
  }
  // Candidates returns the smallest set any indexed attribute of |tmpl|
  // selects (an empty set if one matches nothing), or nullptr when |tmpl|
  // names no indexed attribute.
  const Set* Candidates(const Template& tmpl) const {
    static const Set kEmpty;
    const Set* best = nullptr;
    for (const Attribute& a : tmpl) {
      if (std::find(std::begin(kIndexed), std::end(kIndexed), a.type()) == std::end(kIndexed)) {
        continue;
      }
      auto it = sets_.find(KeyBuffer(a.type(), a.value()).view());
      if (it == sets_.end()) return &kEmpty;
      if (best == nullptr || it->second.size() < best->size()) best = &it->second;
    }
    return best;
  }

 private:
  static constexpr AttributeType kIndexed[] = {CKA_CLASS, CKA_KEY_TYPE,  CKA_ID,
                                               CKA_LABEL, CKA_UNIQUE_ID, CKA_PRIVATE};
  // KeyBuffer is an index key (the type's bytes, then the value) built on
  // the stack for lookups; only a key not yet in the map becomes a string.
  class KeyBuffer {
   public:
    KeyBuffer(AttributeType t, ByteView v) : size_(sizeof t + v.size()) {
      char* p = size_ <= sizeof small_ ? small_ : (large_ = std::make_unique<char[]>(size_)).get();
      memcpy(p, &t, sizeof t);
      if (!v.empty()) memcpy(p + sizeof t, v.data(), v.size());
    }
    std::string_view view() const {
      return std::string_view(large_ ? large_.get() : small_, size_);
    }

   private:
    size_t size_;
    char small_[64];
    std::unique_ptr<char[]> large_;
  };
  absl::flat_hash_map<std::string, Set> sets_;
};

namespace {

bool Matches(const Object& o, const Template& tmpl) {
  for (const Attribute& want : tmpl) {
    const Attribute* have = o.Find(want.type());
    if (have == nullptr || !Equal(have->value(), want.value()) || o.IsSensitive(want.type())) {
      return false;
    }
  }
  return true;
}

std::string RandomSerial() {
  uint8_t raw[8];
  RAND_bytes(raw, sizeof raw);
  char hex[17];
  for (size_t i = 0; i < sizeof raw; ++i) std::snprintf(hex + 2 * i, 3, "%02x", raw[i]);
  return std::string(hex, 16);
}

// PinFlags returns the COUNT_LOW / FINAL_TRY / LOCKED flags for |failures|.
CK_FLAGS PinFlags(uint32_t failures, uint32_t max, CK_FLAGS low, CK_FLAGS final_try,
                  CK_FLAGS locked) {
  if (failures == 0) return 0;
  if (failures >= max) return locked;
  CK_FLAGS f = low;
  if (failures + 1 == max) f |= final_try;
  return f;
}

}  // namespace

HandleCounters::HandleCounters() : state_key(32) { RAND_bytes(state_key.data(), state_key.size()); }

Token::Token(CK_SLOT_ID slot_id, const Config& config, std::shared_ptr<HandleCounters> handles,
             Store* factory, std::unique_ptr<TokenStore> store)
    : slot_id_(slot_id),
      config_(config),
      handles_(std::move(handles)),
      factory_(factory),
      store_(std::move(store)),
      index_(std::make_unique<Index>()) {
  record_.slot_id = slot_id;
  serial_ = RandomSerial();
}

Token::~Token() = default;

Result<> Token::Load() {
  MutexLock l(&mu_);
  if (store_ == nullptr) return {};
  auto rec = store_->LoadRecord();
  if (!rec) return Fail(rec.error());
  record_ = std::move(*rec);
  if (!record_.serial.empty()) serial_ = record_.serial;
  return ReloadObjects();
}

Result<> Token::ReloadObjects() {
  auto loaded = store_->LoadObjects();
  if (!loaded) return Fail(loaded.error());
  absl::flat_hash_set<uint64_t> seen;
  for (ObjectRecord& r : *loaded) {
    seen.insert(r.id);
    auto o = std::make_shared<const Object>(r.id, std::move(r.attributes), 0);
    auto it = token_handles_.find(r.id);
    if (it != token_handles_.end()) {
      // Known: replace if it changed.
      auto& cur = objects_[it->second.value()];
      if (cur->attributes() != o->attributes()) {
        index_->Remove(it->second, *cur);
        ObjectsChanged();
        cur = o;
        index_->Add(it->second, *o);
      }
      continue;
    }
    Insert(std::move(o));
  }
  std::vector<ObjectHandle> gone;
  for (const auto& [id, h] : token_handles_) {
    if (seen.contains(id)) continue;
    // A private object is absent from a load without the data key; it is
    // gone only if it is public or we hold the key.
    const auto& o = objects_.at(h.value());
    if (o->is_private() && login_ != LoginState::kUser) continue;
    gone.push_back(h);
  }
  for (ObjectHandle h : gone) Erase(h);
  return {};
}

void Token::RefreshIfChanged() const {
  auto* self = const_cast<Token*>(this);
  {
    ReaderMutexLock l(&self->mu_);
    if (store_ == nullptr || !store_->Changed()) return;
  }
  MutexLock l(&self->mu_);
  if (!store_->Changed()) return;
  if (auto rec = store_->LoadRecord()) {
    self->record_.so_pin.failures = rec->so_pin.failures;
    self->record_.user_pin = rec->user_pin;
    self->record_.label = rec->label;
  }
  if (auto r = self->ReloadObjects(); !r) {
    LogError("cannot reload the objects of slot %lu: %s", slot_id_, to_string(r.error()).c_str());
  }
}

bool Token::initialized() const {
  ReaderMutexLock l(&mu_);
  return record_.initialized;
}

LoginState Token::login_state() const {
  ReaderMutexLock l(&mu_);
  return login_;
}

TokenInfo Token::Info() const {
  RefreshIfChanged();
  ReaderMutexLock l(&mu_);
  TokenInfo i;
  i.label = record_.label;
  i.serial = serial_;
  i.flags = CKF_RNG | CKF_LOGIN_REQUIRED | CKF_RESTORE_KEY_NOT_NEEDED;
  if (record_.initialized) i.flags |= CKF_TOKEN_INITIALIZED;
  if (record_.user_pin.is_set()) i.flags |= CKF_USER_PIN_INITIALIZED;
  const uint32_t max = config_.max_pin_failures;
  i.flags |= PinFlags(record_.user_pin.failures, max, CKF_USER_PIN_COUNT_LOW,
                      CKF_USER_PIN_FINAL_TRY, CKF_USER_PIN_LOCKED);
  i.flags |= PinFlags(record_.so_pin.failures, max, CKF_SO_PIN_COUNT_LOW, CKF_SO_PIN_FINAL_TRY,
                      CKF_SO_PIN_LOCKED);
  i.session_count = session_count_;
  i.rw_session_count = rw_sessions_;
  i.max_pin_len = config_.max_pin_length;
  i.min_pin_len = config_.min_pin_length;
  return i;
}

Result<> Token::CheckPinLength(std::string_view pin) const {
  if (pin.size() < config_.min_pin_length || pin.size() > config_.max_pin_length) {
    return Fail(Rv::kPinLenRange);
  }
  return {};
}

Result<SecretBytes> Token::VerifyPin(bool so, std::string_view pin) {
  const PinRole role = so ? PinRole::kSo : PinRole::kUser;
  PinRecord rec;
  {
    MutexLock l(&mu_);
    if (store_ != nullptr && store_->Changed()) {
      if (auto r = store_->LoadRecord()) {  // another process may have counted failures
        record_.so_pin = r->so_pin;
        record_.user_pin = r->user_pin;
      }
    }
    rec = so ? record_.so_pin : record_.user_pin;
    if (rec.failures >= config_.max_pin_failures) return Fail(Rv::kPinLocked);
  }
  // The KDF runs without the lock: it is slow by design.
  auto key = OpenPinRecord(rec, pin, role);
  MutexLock l(&mu_);
  PinRecord& cur = so ? record_.so_pin : record_.user_pin;
  if (!key && key.error() != Rv::kPinIncorrect) return Fail(key.error());
  const uint32_t before = cur.failures;
  if (!key) {
    ++cur.failures;
  } else {
    cur.failures = 0;
  }
  if (cur.failures != before && store_ != nullptr) {
    if (auto r = store_->SaveRecord(record_); !r) {
      LogError("cannot save the PIN state of slot %lu: %s", slot_id_, to_string(r.error()).c_str());
    }
  }
  if (!key) return Fail(Rv::kPinIncorrect);
  return key;
}

Result<> Token::InitToken(std::string_view so_pin, std::string_view label) {
  CRYPTOKI_TRY(CheckPinLength(so_pin));
  if (label.size() > 32) return Fail(Rv::kArgumentsBad);
  bool was_initialized;
  {
    MutexLock l(&mu_);
    if (shut_down_) return Fail(Rv::kTokenNotPresent);
    if (session_count_ != 0) return Fail(Rv::kSessionExists);
    was_initialized = record_.initialized;
  }
  if (was_initialized) {
    auto key = VerifyPin(/*so=*/true, so_pin);
    if (!key) return Fail(key.error());
  }
  SecretBytes data_key = NewDataKey();
  auto so_rec = MakePinRecord(so_pin, data_key, config_.kdf_log2n, PinRole::kSo);
  if (!so_rec) return Fail(so_rec.error());

  {
    MutexLock l(&mu_);
    CRYPTOKI_TRY(ResetLocked(std::move(*so_rec), label));
  }
  // Outside the token lock: the Library takes its own lock to add a slot.
  if (!was_initialized && on_initialized_) on_initialized_();
  return {};
}

Result<> Token::ResetLocked(PinRecord so_pin, std::string_view label) {
  if (session_count_ != 0) return Fail(Rv::kSessionExists);
  if (store_ == nullptr) {
    auto created = factory_->CreateToken(slot_id_);
    if (!created) return Fail(created.error());
    store_ = std::move(*created);
  } else {
    CRYPTOKI_TRY(store_->RemoveAllObjects());
  }
  TokenRecord rec;
  rec.slot_id = slot_id_;
  rec.initialized = true;
  rec.label = std::string(label);
  while (!rec.label.empty() && rec.label.back() == ' ') rec.label.pop_back();
  rec.serial = serial_;
  rec.so_pin = std::move(so_pin);
  CRYPTOKI_TRY(store_->SaveRecord(rec));
  record_ = std::move(rec);
  ObjectsChanged();
  objects_.clear();
  token_handles_.clear();
  session_objects_.clear();
  index_ = std::make_unique<Index>();
  login_ = LoginState::kPublic;
  data_key_.clear();
  return {};
}

Result<Session> Token::OpenSession(CK_FLAGS flags) {
  if (!(flags & CKF_SERIAL_SESSION)) return Fail(Rv::kSessionParallelNotSupported);
  return OpenSession((flags & CKF_RW_SESSION) ? SessionKind::kReadWrite : SessionKind::kReadOnly);
}

Result<Session> Token::OpenSession(SessionKind kind) {
  auto state = std::make_shared<SessionState>();
  state->rw = kind == SessionKind::kReadWrite;
  state->slot = slot_id_;
  {
    MutexLock l(&mu_);
    if (shut_down_) return Fail(Rv::kTokenNotPresent);
    if (!record_.initialized) return Fail(Rv::kTokenNotRecognized);
    if (!state->rw && login_ == LoginState::kSo) return Fail(Rv::kSessionReadWriteSoExists);
    state->handle = handles_->next_session.fetch_add(1);
    state->next = sessions_;
    if (sessions_ != nullptr) sessions_->prev = state.get();
    sessions_ = state.get();
    state->linked = true;
    ++session_count_;
    if (state->rw) ++rw_sessions_;
  }
  return Session(this, std::move(state));
}

Result<> Token::CloseSession(SessionState& s) {
  if (s.closed.exchange(true)) return Fail(Rv::kSessionHandleInvalid);
  // Every call checks |closed| first, so nothing starts after this; an
  // operation begun just before it (one the check below may miss) is freed
  // with the state.
  if (s.has_state.load(std::memory_order_acquire)) {
    MutexLock sl(&s.mu);
    s.work.reset();
    s.finding = false;
    s.found = {};
  }
  MutexLock l(&mu_);
  UnlinkSession(s);
  if (session_count_ == 0 && login_ != LoginState::kPublic) EndLogin();
  return {};
}

void Token::UnlinkSession(SessionState& s) {
  if (!s.linked) return;
  s.linked = false;
  (s.prev != nullptr ? s.prev->next : sessions_) = s.next;
  if (s.next != nullptr) s.next->prev = s.prev;
  s.prev = s.next = nullptr;
  --session_count_;
  if (s.rw) --rw_sessions_;
  if (s.owned_objects) {
    if (auto it = session_objects_.find(s.handle); it != session_objects_.end()) {
      const absl::flat_hash_set<CK_OBJECT_HANDLE> owned = std::move(it->second);
      for (CK_OBJECT_HANDLE h : owned) Erase(ObjectHandle(h));
      session_objects_.erase(s.handle);
    }
  }
}

void Token::CloseAllSessions() {
  // Every session still linked is alive (its Session closes it, unlinking
  // it, before letting it go) and is closed here under the token's lock:
  // unlinked, its session objects destroyed, and marked closed (its Session
  // and the C adapter's handle then find it so). The mark is the last touch:
  // a Session that finds it closed frees the state at once. One whose own
  // close has begun (marked closed, waiting for this lock) then finds it
  // unlinked. The operations of the sessions closed here cannot be reached
  // any more and end when their Session lets the state go: the session's
  // lock, which they run under, comes before the token's.
  MutexLock l(&mu_);
  for (SessionState* s = sessions_; s != nullptr;) {
    SessionState* next = s->next;
    UnlinkSession(*s);
    s->closed.store(true);
    s = next;
  }
  if (login_ != LoginState::kPublic) EndLogin();
}

void Token::Shutdown() {
  CloseAllSessions();
  MutexLock l(&mu_);
  shut_down_ = true;
}

Result<SessionInfo> Token::SessionInfoOf(const SessionState& s) const {
  ReaderMutexLock l(&mu_);
  SessionInfo i;
  i.slot_id = slot_id_;
  i.flags = CKF_SERIAL_SESSION | (s.rw ? CKF_RW_SESSION : 0);
  switch (login_) {
    case LoginState::kPublic:
      i.state = s.rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION;
      break;
    case LoginState::kUser:
      i.state = s.rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS;
      break;
    case LoginState::kSo:
      i.state = CKS_RW_SO_FUNCTIONS;
      break;
  }
  return i;
}

Result<> Token::Login(SessionState& s, CK_USER_TYPE user, std::string_view pin) {
  if (user == CKU_CONTEXT_SPECIFIC) {
    {
      ReaderMutexLock l(&mu_);
      if (login_ != LoginState::kUser) return Fail(Rv::kUserNotLoggedIn);
    }
    {
      MutexLock sl(&s.mu);
      bool pending = false;
      for (size_t k = 0; k < kOpKinds; ++k) {
        pending |= s.op(k) != nullptr && s.op(k)->needs_context_login;
      }
      if (!pending) return Fail(Rv::kOperationNotInitialized);
    }
    auto key = VerifyPin(/*so=*/false, pin);
    if (!key) return Fail(key.error());
    MutexLock sl(&s.mu);
    for (size_t k = 0; k < kOpKinds; ++k)
      if (Operation* op = s.op(k)) op->needs_context_login = false;
    return {};
  }
  if (user != CKU_SO && user != CKU_USER) return Fail(Rv::kUserTypeInvalid);
  const bool so = user == CKU_SO;
  {
    ReaderMutexLock l(&mu_);
    if (login_ == (so ? LoginState::kSo : LoginState::kUser)) {
      return Fail(Rv::kUserAlreadyLoggedIn);
    }
    if (login_ != LoginState::kPublic) return Fail(Rv::kUserAnotherAlreadyLoggedIn);
    if (so && session_count_ != rw_sessions_) return Fail(Rv::kSessionReadOnlyExists);
    if (!so && !record_.user_pin.is_set()) return Fail(Rv::kUserPinNotInitialized);
  }
  auto key = VerifyPin(so, pin);
  if (!key) return Fail(key.error());
  MutexLock l(&mu_);
  // The state may have moved while the KDF ran.
  if (login_ != LoginState::kPublic) {
    return Fail(login_ == (so ? LoginState::kSo : LoginState::kUser)
                    ? Rv::kUserAlreadyLoggedIn
                    : Rv::kUserAnotherAlreadyLoggedIn);
  }
  if (so && session_count_ != rw_sessions_) return Fail(Rv::kSessionReadOnlyExists);
  ObjectsChanged();
  login_ = so ? LoginState::kSo : LoginState::kUser;
  data_key_ = std::move(*key);
  if (store_ != nullptr) {
    store_->SetDataKey(data_key_);
    if (!so) {
      if (auto r = ReloadObjects(); !r) {
        LogError("cannot load the private objects of slot %lu: %s", slot_id_,
                 to_string(r.error()).c_str());
      }
    }
  }
  return {};
}

Result<> Token::Logout() {
  MutexLock l(&mu_);
  if (login_ == LoginState::kPublic) return Fail(Rv::kUserNotLoggedIn);
  EndLogin();
  return {};
}

void Token::EndLogin() {
  ObjectsChanged();
  login_ = LoginState::kPublic;
  data_key_.clear();
  data_key_.shrink_to_fit();
  if (store_ != nullptr) store_->SetDataKey(SecretBytes());
  std::vector<ObjectHandle> priv;
  if (const Index::Set* set = index_->Candidates({attr::Private{true}})) {
    set->ForEach([&](CK_OBJECT_HANDLE h) { priv.push_back(ObjectHandle(h)); });
  }
  for (ObjectHandle h : priv) {
    std::shared_ptr<const Object> o = objects_.at(h.value());
    Erase(h);
    // Private token objects stay, under new handles: the old ones are dead
    // for good.
    if (o->owner() == 0) Insert(std::move(o));
  }
}

Result<> Token::InitPin(SessionState& s, std::string_view pin) {
  {
    ReaderMutexLock l(&mu_);
    if (login_ != LoginState::kSo || !s.rw) return Fail(Rv::kUserNotLoggedIn);
  }
  CRYPTOKI_TRY(CheckPinLength(pin));
  // The token holds the data key while someone is logged in.
  SecretBytes data_key;
  {
    ReaderMutexLock l(&mu_);
    data_key = data_key_;
  }
  auto rec = MakePinRecord(pin, data_key, config_.kdf_log2n, PinRole::kUser);
  if (!rec) return Fail(rec.error());
  MutexLock l(&mu_);
  if (login_ != LoginState::kSo) return Fail(Rv::kUserNotLoggedIn);
  TokenRecord next = record_;
  next.user_pin = std::move(*rec);
  CRYPTOKI_TRY(store_->SaveRecord(next));
  record_ = std::move(next);
  return {};
}

Result<> Token::SetPin(SessionState& s, std::string_view old_pin, std::string_view new_pin) {
  if (!s.rw) return Fail(Rv::kSessionReadOnly);
  bool so;
  {
    ReaderMutexLock l(&mu_);
    so = login_ == LoginState::kSo;
    if (!so && !record_.user_pin.is_set()) return Fail(Rv::kUserPinNotInitialized);
  }
  CRYPTOKI_TRY(CheckPinLength(new_pin));
  auto key = VerifyPin(so, old_pin);
  if (!key) return Fail(key.error());
  auto rec = MakePinRecord(new_pin, *key, config_.kdf_log2n, so ? PinRole::kSo : PinRole::kUser);
  if (!rec) return Fail(rec.error());
  MutexLock l(&mu_);
  TokenRecord next = record_;
  (so ? next.so_pin : next.user_pin) = std::move(*rec);
  CRYPTOKI_TRY(store_->SaveRecord(next));
  record_ = std::move(next);
  return {};
}

bool Token::Visible(const Object& o) const {
  return !o.is_private() || login_ == LoginState::kUser;
}

ObjectHandle Token::Insert(std::shared_ptr<const Object> o) {
  const ObjectHandle h = NewHandle();
  index_->Add(h, *o);
  if (o->owner() == 0) {
    token_handles_[o->id()] = h;
  } else {
    session_objects_[o->owner()].insert(h.value());
  }
  ObjectsChanged();
  objects_.emplace(h.value(), std::move(o));
  return h;
}

void Token::Erase(ObjectHandle h) {
  auto it = objects_.find(h.value());
  if (it == objects_.end()) return;
  index_->Remove(h, *it->second);
  if (it->second->owner() == 0) {
    token_handles_.erase(it->second->id());
  } else if (auto owned = session_objects_.find(it->second->owner());
             owned != session_objects_.end()) {
    owned->second.erase(h.value());
  }
  ObjectsChanged();
  objects_.erase(it);
}

Result<ObjectHandle> Token::CreateObject(SessionState& s, const Template& tmpl) {
  bool is_so;
  {
    ReaderMutexLock l(&mu_);
    is_so = login_ == LoginState::kSo;
  }
  BuildContext ctx;
  ctx.op = ObjectOp::kCreate;
  ctx.is_so = is_so;
  std::shared_ptr<const KeyCache> cache;
  auto attrs = BuildAttributes(tmpl, ctx, {}, &cache);
  if (!attrs) return Fail(attrs.error());
  return AddObject(s, std::move(*attrs), std::move(cache));
}

Result<ObjectHandle> Token::AddObject(SessionState& s, std::vector<Attribute> attrs,
                                      std::shared_ptr<const KeyCache> cache) {
  const auto flag = [&](AttributeType t) {
    for (const Attribute& a : attrs)
      if (a.type() == t) return a.AsBool().value_or(false);
    return false;
  };
  const bool token = flag(CKA_TOKEN);
  const bool priv = flag(CKA_PRIVATE);
  // A session object is built before the token's lock is taken (sorting
  // and allocating it is most of the work), so creations on other threads
  // wait only for the table update. A refused one is dropped unlocked too.
  std::shared_ptr<const Object> o;
  if (!token) {
    o = std::make_shared<const Object>(
        next_session_object_id_.fetch_add(1, std::memory_order_relaxed), std::move(attrs),
        s.handle);
  }
  MutexLock l(&mu_);
  if (token && !s.rw) return Fail(Rv::kSessionReadOnly);
  if (priv && login_ != LoginState::kUser) return Fail(Rv::kUserNotLoggedIn);
  if (s.closed.load()) return Fail(Rv::kSessionHandleInvalid);
  if (!token) s.owned_objects = true;
  if (token) {
    const uint64_t id = store_->NewObjectId();
    ObjectRecord rec{id, attrs};
    CRYPTOKI_TRY(store_->PutObject(rec));
    o = std::make_shared<const Object>(id, std::move(attrs), 0);
  }
  if (cache != nullptr) o->SetCache(std::move(cache));
  return Insert(std::move(o));
}

const std::shared_ptr<const Object>* Token::FindVisible(ObjectHandle h) const {
  auto it = objects_.find(h.value());
  return it == objects_.end() || !Visible(*it->second) ? nullptr : &it->second;
}

Result<std::shared_ptr<const Object>> Token::GetObject(ObjectHandle h) const {
  ReaderMutexLock l(&mu_);
  const auto* o = FindVisible(h);
  if (o == nullptr) return Fail(Rv::kObjectHandleInvalid);
  return *o;
}

Result<> Token::ReadObject(ObjectHandle h, absl::FunctionRef<void(const Object&)> read) const {
  ReaderMutexLock l(&mu_);
  const auto* o = FindVisible(h);
  if (o == nullptr) return Fail(Rv::kObjectHandleInvalid);
  read(**o);
  return {};
}

Result<ObjectHandle> Token::CopyObject(SessionState& s, ObjectHandle h, const Template& changes) {
  auto src = GetObject(h);
  if (!src) return Fail(src.error());
  bool is_so;
  {
    ReaderMutexLock l(&mu_);
    is_so = login_ == LoginState::kSo;
  }
  CRYPTOKI_TRY(CheckChanges(**src, changes, ObjectOp::kCopy, is_so));
  std::vector<Attribute> attrs;
  for (const Attribute& a : (*src)->attributes())
    if (a.type() != CKA_UNIQUE_ID) attrs.push_back(a);
  for (const Attribute& c : changes) {
    auto it = std::find_if(attrs.begin(), attrs.end(),
                           [&](const Attribute& a) { return a.type() == c.type(); });
    if (it != attrs.end()) {
      *it = c;
    } else {
      attrs.push_back(c);
    }
  }
  if ((*src)->object_class() != CKO_DATA) attrs.push_back(RandomUniqueId());
  // The copy's key material is the source's (no key part is changeable), so
  // it shares the parsed key.
  return AddObject(s, std::move(attrs), (*src)->Cache());
}

Result<> Token::DestroyObject(SessionState& s, ObjectHandle h) {
  // Declared before the lock: the object is freed (its values wiped) after
  // the lock is released.
  std::shared_ptr<const Object> o;
  MutexLock l(&mu_);
  const auto* found = FindVisible(h);
  if (found == nullptr) return Fail(Rv::kObjectHandleInvalid);
  o = *found;
  if (o->is_token() && !s.rw) return Fail(Rv::kSessionReadOnly);
  if (!o->Bool(CKA_DESTROYABLE, true)) return Fail(Rv::kActionProhibited);
  if (o->is_token()) CRYPTOKI_TRY(store_->RemoveObject(o->id()));
  Erase(h);
  return {};
}

Result<> Token::SetAttributes(SessionState& s, ObjectHandle h, const Template& changes) {
  MutexLock l(&mu_);
  auto it = objects_.find(h.value());  // written below: not FindVisible's const view
  if (it == objects_.end() || !Visible(*it->second)) return Fail(Rv::kObjectHandleInvalid);
  const std::shared_ptr<const Object> o = it->second;
  if (o->is_token() && !s.rw) return Fail(Rv::kSessionReadOnly);
  CRYPTOKI_TRY(CheckChanges(*o, changes, ObjectOp::kSet, login_ == LoginState::kSo));
  std::shared_ptr<const Object> next = o->WithChanges(changes);
  if (o->is_token()) CRYPTOKI_TRY(store_->PutObject(ObjectRecord{next->id(), next->attributes()}));
  index_->Remove(h, *o);
  index_->Add(h, *next);
  ObjectsChanged();
  it->second = std::move(next);
  return {};
}

Result<std::vector<ObjectHandle>> Token::Find(const Template& tmpl, size_t max) const {
  RefreshIfChanged();
  ReaderMutexLock l(&mu_);
  std::vector<ObjectHandle> out;
  const auto consider = [&](CK_OBJECT_HANDLE h, const Object& o) {
    if (out.size() < max && Visible(o) && Matches(o, tmpl)) out.push_back(ObjectHandle(h));
  };
  if (const Index::Set* cand = index_->Candidates(tmpl)) {
    cand->ForEach([&](CK_OBJECT_HANDLE h) { consider(h, *objects_.at(h)); });
  } else {
    for (const auto& [h, o] : objects_) consider(h, *o);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace cryptoki
