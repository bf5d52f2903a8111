#include "cryptoki/session.h"

#include <openssl/aead.h>
#include <openssl/rand.h>

#include <atomic>
#include <cstring>

#include "cryptoki/token.h"

namespace cryptoki {

Result<> Operation::Update(ByteView, Output&) { return Fail(Rv::kFunctionNotSupported); }
Result<> Operation::Final(Output&) { return Fail(Rv::kFunctionNotSupported); }
Result<> Operation::OneShot(ByteView, Output&) { return Fail(Rv::kFunctionNotSupported); }
Result<> Operation::VerifyFinal(ByteView) { return Fail(Rv::kFunctionNotSupported); }
Result<> Operation::VerifyOneShot(ByteView, ByteView) { return Fail(Rv::kFunctionNotSupported); }
Result<> Operation::Message(MessageParams&, ByteView, ByteView, Output&) {
  return Fail(Rv::kFunctionNotSupported);
}
Result<> Operation::VerifyMessage(MessageParams&, ByteView, ByteView) {
  return Fail(Rv::kFunctionNotSupported);
}
Result<> Operation::MessageBegin(MessageParams&, ByteView) {
  return Fail(Rv::kFunctionNotSupported);
}
Result<> Operation::MessageNext(MessageParams&, ByteView, Output&, bool) {
  return Fail(Rv::kFunctionNotSupported);
}
Result<> Operation::VerifyMessageNext(MessageParams&, ByteView, std::optional<ByteView>) {
  return Fail(Rv::kFunctionNotSupported);
}

Session::Session(Token* token, std::shared_ptr<SessionState> state)
    : token_(token), state_(std::move(state)) {}

Session& Session::operator=(Session&& other) noexcept {
  if (this != &other) {
    if (state_ != nullptr && !state_->closed.load()) (void)token_->CloseSession(*state_);
    token_ = other.token_;
    state_ = std::move(other.state_);
  }
  return *this;
}

Session::~Session() {
  if (state_ != nullptr && !state_->closed.load()) (void)token_->CloseSession(*state_);
}

SessionHandle Session::handle() const { return state_ ? state_->handle : 0; }
CK_SLOT_ID Session::slot_id() const { return state_ ? state_->slot : 0; }
Token& Session::token() const { return *token_; }
bool Session::is_open() const { return state_ != nullptr && !state_->closed.load(); }

Result<SessionState*> Session::Open() const {
  if (!is_open()) return Fail(Rv::kSessionHandleInvalid);
  return state_.get();
}

Result<> Session::Close() {
  auto s = Open();
  if (!s) return Fail(s.error());
  return token_->CloseSession(**s);
}

Result<SessionInfo> Session::Info() const {
  auto s = Open();
  if (!s) return Fail(s.error());
  return token_->SessionInfoOf(**s);
}

Result<> Session::Login(CK_USER_TYPE user_type, std::string_view pin) {
  auto s = Open();
  if (!s) return Fail(s.error());
  return token_->Login(**s, user_type, pin);
}

Result<> Session::Logout() {
  auto s = Open();
  if (!s) return Fail(s.error());
  return token_->Logout();
}

Result<> Session::InitPin(std::string_view pin) {
  auto s = Open();
  if (!s) return Fail(s.error());
  return token_->InitPin(**s, pin);
}

Result<> Session::SetPin(std::string_view old_pin, std::string_view new_pin) {
  auto s = Open();
  if (!s) return Fail(s.error());
  return token_->SetPin(**s, old_pin, new_pin);
}

bool Session::IsSo() const { return token_->login_state() == LoginState::kSo; }

Result<ObjectHandle> Session::CreateObject(const Template& tmpl) {
  auto s = Open();
  if (!s) return Fail(s.error());
  return token_->CreateObject(**s, tmpl);
}

Result<ObjectHandle> Session::CreateBuiltObject(std::vector<Attribute> attrs) {
  auto s = Open();
  if (!s) return Fail(s.error());
  return token_->AddObject(**s, std::move(attrs));
}

Result<ObjectHandle> Session::CopyObject(ObjectHandle object, const Template& changes) {
  auto s = Open();
  if (!s) return Fail(s.error());
  return token_->CopyObject(**s, object, changes);
}

Result<> Session::DestroyObject(ObjectHandle object) {
  auto s = Open();
  if (!s) return Fail(s.error());
  return token_->DestroyObject(**s, object);
}

Result<std::shared_ptr<const Object>> Session::GetObject(ObjectHandle object) const {
  auto s = Open();
  if (!s) return Fail(s.error());
  return token_->GetObject(object);
}

Result<std::shared_ptr<const Object>> Session::GetKey(ObjectHandle key) const {
  auto o = GetObject(key);
  if (!o) return Fail(o.error() == Rv::kObjectHandleInvalid ? Rv::kKeyHandleInvalid : o.error());
  return o;
}

Result<std::shared_ptr<const Object>> Session::TakeKey(SessionState& st, OpKind kind,
                                                       ObjectHandle key) {
  // Read before the lookup: a change after this read makes the slot stale.
  const uint64_t generation = token_->ObjectGeneration();
  SessionState::KeySlot& slot = st.GetWork().key_slots[static_cast<size_t>(kind)];
  if (slot.key != nullptr && slot.handle == key.value() && slot.generation == generation) {
    return std::move(slot.key);
  }
  auto o = GetKey(key);
  if (!o) return Fail(o.error());
  slot.key.reset();
  slot.handle = key.value();
  slot.generation = generation;
  slot.expected = o->get();
  return o;
}

Result<> Session::Start(OpKind kind, std::optional<ObjectHandle> key,
                        absl::FunctionRef<Result<>()> check, MakeOperation make) {
  auto s = Open();
  if (!s) return Fail(s.error());
  SessionState& st = **s;
  MutexLock l(&st.mu);
  auto& active = st.GetWork().ops[static_cast<size_t>(kind)];
  if (active != nullptr) return Fail(Rv::kOperationActive);
  CRYPTOKI_TRY(check());
  std::shared_ptr<const Object> k;
  if (key) {
    auto got = TakeKey(st, kind, *key);
    if (!got) return Fail(got.error());
    k = std::move(*got);
  }
  auto op = make(std::move(k));
  if (!op) return Fail(op.error());
  active = std::move(*op);
  return {};
}

Result<size_t> Session::GetObjectSize(ObjectHandle object) {
  auto o = GetObject(object);
  if (!o) return Fail(o.error());
  return (*o)->Size();
}

Result<> Session::ReadObject(ObjectHandle object,
                             absl::FunctionRef<void(const Object&)> read) const {
  CRYPTOKI_TRY(Open());
  return token_->ReadObject(object, read);
}

Result<Attribute> Session::GetAttribute(ObjectHandle object, AttributeType type) const {
  Result<Attribute> out = Fail(Rv::kAttributeTypeInvalid);
  CRYPTOKI_TRY(ReadObject(object, [&](const Object& o) {
    if (o.IsSensitive(type)) {
      out = Fail(Rv::kAttributeSensitive);
    } else if (const Attribute* a = o.Find(type)) {
      out = *a;
    }
  }));
  return out;
}

Result<> Session::SetAttributes(ObjectHandle object, const Template& changes) {
  auto s = Open();
  if (!s) return Fail(s.error());
  return token_->SetAttributes(**s, object, changes);
}

Result<std::vector<ObjectHandle>> Session::Find(const Template& tmpl, size_t max) const {
  auto s = Open();
  if (!s) return Fail(s.error());
  return token_->Find(tmpl, max);
}

Result<> Session::FindInit(const Template& tmpl) {
  auto s = Open();
  if (!s) return Fail(s.error());
  SessionState& st = **s;
  MutexLock l(&st.mu);
  if (st.finding) return Fail(Rv::kOperationActive);
  auto found = token_->Find(tmpl, SIZE_MAX);
  if (!found) return Fail(found.error());
  st.found = std::move(*found);
  st.found_pos = 0;
  st.finding = true;
  st.has_state.store(true, std::memory_order_release);
  return {};
}

Result<size_t> Session::FindNext(std::span<ObjectHandle> out) {
  auto s = Open();
  if (!s) return Fail(s.error());
  SessionState& st = **s;
  MutexLock l(&st.mu);
  if (!st.finding) return Fail(Rv::kOperationNotInitialized);
  const size_t n = std::min(out.size(), st.found.size() - st.found_pos);
  std::copy_n(st.found.begin() + st.found_pos, n, out.begin());
  st.found_pos += n;
  return n;
}

Result<std::vector<ObjectHandle>> Session::FindNext(size_t max) {
  std::vector<ObjectHandle> out(std::min<size_t>(max, 4096));
  auto n = FindNext(std::span<ObjectHandle>(out));
  if (!n) return Fail(n.error());
  out.resize(*n);
  return out;
}

Result<> Session::FindFinal() {
  auto s = Open();
  if (!s) return Fail(s.error());
  SessionState& st = **s;
  MutexLock l(&st.mu);
  if (!st.finding) return Fail(Rv::kOperationNotInitialized);
  st.finding = false;
  st.found.clear();
  st.found.shrink_to_fit();
  return {};
}

Result<> Session::GenerateRandom(std::span<uint8_t> out) {
  CRYPTOKI_TRY(Open());
  if (!out.empty() && !RAND_bytes(out.data(), out.size())) return Fail(Rv::kFunctionFailed);
  return {};
}

Result<> Session::SeedRandom(ByteView) {
  CRYPTOKI_TRY(Open());
  // BoringSSL's generator seeds itself from the OS (and reseeds after fork);
  // it takes no application seed, as the README documents.
  return Fail(Rv::kRandomSeedNotSupported);
}

Result<> Session::Begin(OpKind kind, std::unique_ptr<Operation> op) {
  return Start(
      kind, std::nullopt, [] { return Result<>(); },
      [&](std::shared_ptr<const Object>) -> Result<std::unique_ptr<Operation>> {
        return std::move(op);
      });
}

bool Session::IsActive(OpKind kind) const {
  if (!is_open()) return false;
  MutexLock l(&state_->mu);
  return state_->op(static_cast<size_t>(kind)) != nullptr;
}

namespace {

// EndOperation ends the operation of |kind|, putting its key back in the
// kind's slot when the slot is waiting for it and nothing changed since it
// was looked up (TakeKey).
void EndOperation(SessionState& st, OpKind kind, uint64_t generation)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(st.mu) {
  if (st.op(static_cast<size_t>(kind)) == nullptr) return;
  auto& op = st.work->ops[static_cast<size_t>(kind)];
  SessionState::KeySlot& slot = st.work->key_slots[static_cast<size_t>(kind)];
  if (op->key != nullptr && slot.key == nullptr && op->key.get() == slot.expected &&
      slot.generation == generation) {
    slot.key = std::move(op->key);
  }
  op.reset();
}

// Run calls |f| on the active operation of |kind| and ends the operation
// when |f| finishes it or fails for a reason other than the caller's buffer.
template <class F>
Result<> Run(SessionState& st, const Token& token, OpKind kind, const Output& out, bool finishes,
             F&& f) {
  MutexLock l(&st.mu);
  Operation* op = st.op(static_cast<size_t>(kind));
  if (op == nullptr) return Fail(Rv::kOperationNotInitialized);
  if (op->needs_context_login) return Fail(Rv::kUserNotLoggedIn);
  Result<> r = f(*op);
  if (!r) {
    if (r.error() != Rv::kBufferTooSmall) EndOperation(st, kind, token.ObjectGeneration());
  } else if (finishes && !out.query) {
    EndOperation(st, kind, token.ObjectGeneration());
  }
  return r;
}

}  // namespace

void Session::Cancel(OpKind kind) {
  if (!is_open()) return;
  MutexLock l(&state_->mu);
  EndOperation(*state_, kind, token_->ObjectGeneration());
}

Result<> Session::WithOperation(OpKind kind, absl::FunctionRef<Result<>(Operation&)> f) {
  auto s = Open();
  if (!s) return Fail(s.error());
  SessionState& st = **s;
  MutexLock l(&st.mu);
  Operation* op = st.op(static_cast<size_t>(kind));
  if (op == nullptr) return Fail(Rv::kOperationNotInitialized);
  if (op->needs_context_login) return Fail(Rv::kUserNotLoggedIn);
  return f(*op);
}

Result<> Session::Update(OpKind kind, ByteView in, Output& out) {
  auto s = Open();
  if (!s) return Fail(s.error());
  return Run(**s, *token_, kind, out, false, [&](Operation& op) {
    op.multipart = true;
    return op.Update(in, out);
  });
}

Result<> Session::Final(OpKind kind, Output& out) {
  auto s = Open();
  if (!s) return Fail(s.error());
  return Run(**s, *token_, kind, out, true, [&](Operation& op) { return op.Final(out); });
}

Result<> Session::OneShot(OpKind kind, ByteView in, Output& out) {
  auto s = Open();
  if (!s) return Fail(s.error());
  return Run(**s, *token_, kind, out, true, [&](Operation& op) -> Result<> {
    if (op.multipart) return Fail(Rv::kOperationActive);
    return op.OneShot(in, out);
  });
}

Result<> Session::VerifyFinal(OpKind kind, ByteView signature) {
  auto s = Open();
  if (!s) return Fail(s.error());
  Output none = Output::Query();
  none.query = false;
  return Run(**s, *token_, kind, none, true,
             [&](Operation& op) { return op.VerifyFinal(signature); });
}

Result<> Session::VerifyOneShot(OpKind kind, ByteView data, ByteView signature) {
  auto s = Open();
  if (!s) return Fail(s.error());
  Output none = Output::Query();
  none.query = false;
  return Run(**s, *token_, kind, none, true, [&](Operation& op) -> Result<> {
    if (op.multipart) return Fail(Rv::kOperationActive);
    return op.VerifyOneShot(data, signature);
  });
}

namespace {

std::atomic<OperationRestorer> g_restorer{nullptr};

constexpr uint8_t kStateVersion = 1;
constexpr char kStateAad[] = "cryptoki operation state v1";

bool UsesEncryptionKey(OpKind k) { return k == OpKind::kEncrypt || k == OpKind::kDecrypt; }

void PutU64(Bytes& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// Reader walks a byte string; any overrun makes it fail.
struct Reader {
  ByteView in;
  bool ok = true;
  uint64_t Uint(size_t n) {
    if (in.size() < n) {
      ok = false;
      return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= uint64_t{in[i]} << (8 * i);
    in = in.subspan(n);
    return v;
  }
  ByteView Take(size_t n) {
    if (in.size() < n) {
      ok = false;
      return {};
    }
    ByteView v = in.first(n);
    in = in.subspan(n);
    return v;
  }
};

}  // namespace

void SetOperationRestorer(OperationRestorer restorer) { g_restorer.store(restorer); }

Result<Bytes> Session::GetOperationState() const {
  auto s = Open();
  if (!s) return Fail(s.error());
  SessionState& st = **s;
  SecretBytes plain = {kStateVersion};
  size_t count = 0;
  {
    MutexLock l(&st.mu);
    for (size_t k = 0; k < kOpKinds; ++k) {
      const Operation* op = st.op(k);
      if (op == nullptr) continue;
      ++count;
      SecretBytes body;
      CRYPTOKI_TRY(op->SaveState(body));
      Bytes head = {static_cast<uint8_t>(k), static_cast<uint8_t>(op->key != nullptr)};
      PutU64(head, op->key != nullptr ? op->key->id() : 0);
      PutU64(head, body.size());
      plain.insert(plain.end(), head.begin(), head.end());
      plain.insert(plain.end(), body.begin(), body.end());
    }
  }
  if (count == 0) return Fail(Rv::kOperationNotInitialized);
  const SecretBytes& key = token_->handles_->state_key;
  bssl::ScopedEVP_AEAD_CTX ctx;
  const EVP_AEAD* aead = EVP_aead_aes_256_gcm();
  if (!EVP_AEAD_CTX_init(ctx.get(), aead, key.data(), key.size(), EVP_AEAD_DEFAULT_TAG_LENGTH,
                         nullptr)) {
    return Fail(Rv::kGeneralError);
  }
  const size_t nonce_len = EVP_AEAD_nonce_length(aead);
  Bytes blob(nonce_len + plain.size() + EVP_AEAD_max_overhead(aead));
  RAND_bytes(blob.data(), nonce_len);
  size_t out_len = 0;
  if (!EVP_AEAD_CTX_seal(ctx.get(), blob.data() + nonce_len, &out_len, blob.size() - nonce_len,
                         blob.data(), nonce_len, plain.data(), plain.size(),
                         reinterpret_cast<const uint8_t*>(kStateAad), sizeof kStateAad)) {
    return Fail(Rv::kGeneralError);
  }
  blob.resize(nonce_len + out_len);
  return blob;
}

Result<> Session::SetOperationState(ByteView state, ObjectHandle encryption_key,
                                    ObjectHandle authentication_key) {
  auto s = Open();
  if (!s) return Fail(s.error());
  const OperationRestorer restore = g_restorer.load();
  if (restore == nullptr) return Fail(Rv::kSavedStateInvalid);
  const SecretBytes& key = token_->handles_->state_key;
  bssl::ScopedEVP_AEAD_CTX ctx;
  const EVP_AEAD* aead = EVP_aead_aes_256_gcm();
  if (!EVP_AEAD_CTX_init(ctx.get(), aead, key.data(), key.size(), EVP_AEAD_DEFAULT_TAG_LENGTH,
                         nullptr)) {
    return Fail(Rv::kGeneralError);
  }
  const size_t nonce_len = EVP_AEAD_nonce_length(aead);
  if (state.size() < nonce_len) return Fail(Rv::kSavedStateInvalid);
  SecretBytes plain(state.size());
  size_t plain_len = 0;
  if (!EVP_AEAD_CTX_open(ctx.get(), plain.data(), &plain_len, plain.size(), state.data(), nonce_len,
                         state.data() + nonce_len, state.size() - nonce_len,
                         reinterpret_cast<const uint8_t*>(kStateAad), sizeof kStateAad)) {
    return Fail(Rv::kSavedStateInvalid);
  }
  Reader r{ByteView(plain.data(), plain_len)};
  if (r.Uint(1) != kStateVersion || !r.ok) return Fail(Rv::kSavedStateInvalid);

  std::unique_ptr<Operation> restored[kOpKinds];
  bool used_enc = false, used_auth = false;
  while (!r.in.empty()) {
    const uint64_t kind = r.Uint(1);
    const bool has_key = r.Uint(1) != 0;
    const uint64_t key_id = r.Uint(8);
    const uint64_t len = r.Uint(8);
    const ByteView body = r.Take(len);
    if (!r.ok || kind >= kOpKinds || restored[kind] != nullptr) return Fail(Rv::kSavedStateInvalid);
    const OpKind k = static_cast<OpKind>(kind);
    std::shared_ptr<const Object> op_key;
    if (has_key) {
      const ObjectHandle h = UsesEncryptionKey(k) ? encryption_key : authentication_key;
      (UsesEncryptionKey(k) ? used_enc : used_auth) = true;
      if (!h.valid()) return Fail(Rv::kKeyNeeded);
      auto o = GetKey(h);
      if (!o) return Fail(o.error());
      if ((*o)->id() != key_id) return Fail(Rv::kKeyChanged);
      op_key = std::move(*o);
    }
    auto op = restore(k, body, op_key);
    if (!op) return Fail(op.error());
    (*op)->key = std::move(op_key);
    restored[kind] = std::move(*op);
  }
  if ((encryption_key.valid() && !used_enc) || (authentication_key.valid() && !used_auth)) {
    return Fail(Rv::kKeyNotNeeded);
  }
  SessionState& st = **s;
  MutexLock l(&st.mu);
  for (size_t k = 0; k < kOpKinds; ++k) st.GetWork().ops[k] = std::move(restored[k]);
  return {};
}

}  // namespace cryptoki
