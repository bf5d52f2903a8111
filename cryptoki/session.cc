#include "cryptoki/session.h"

#include <openssl/rand.h>

#include "cryptoki/token.h"

namespace cryptoki {

Result<> Operation::Update(ByteView, Output&) { return Fail(Rv::kFunctionNotSupported); }
Result<> Operation::Final(Output&) { return Fail(Rv::kFunctionNotSupported); }
Result<> Operation::OneShot(ByteView, Output&) { return Fail(Rv::kFunctionNotSupported); }
Result<> Operation::VerifyFinal(ByteView) { return Fail(Rv::kFunctionNotSupported); }
Result<> Operation::VerifyOneShot(ByteView, ByteView) { return Fail(Rv::kFunctionNotSupported); }

Session::Session(std::shared_ptr<Token> token, std::shared_ptr<SessionState> state)
    : token_(std::move(token)), state_(std::move(state)) {}

Session& Session::operator=(Session&& other) noexcept {
  if (this != &other) {
    if (state_ != nullptr && !state_->closed.load()) (void)token_->CloseSession(*state_);
    token_ = std::move(other.token_);
    state_ = std::move(other.state_);
  }
  return *this;
}

Session::~Session() {
  if (state_ != nullptr && !state_->closed.load()) (void)token_->CloseSession(*state_);
}

SessionHandle Session::handle() const { return state_ ? state_->handle : 0; }
CK_SLOT_ID Session::slot_id() const { return token_->slot_id(); }
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

Result<size_t> Session::GetObjectSize(ObjectHandle object) {
  auto o = GetObject(object);
  if (!o) return Fail(o.error());
  return (*o)->Size();
}

Result<Attribute> Session::GetAttribute(ObjectHandle object, AttributeType type) const {
  auto o = GetObject(object);
  if (!o) return Fail(o.error());
  if ((*o)->IsSensitive(type)) return Fail(Rv::kAttributeSensitive);
  const Attribute* a = (*o)->Find(type);
  if (a == nullptr) return Fail(Rv::kAttributeTypeInvalid);
  return *a;
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
  auto s = Open();
  if (!s) return Fail(s.error());
  SessionState& st = **s;
  MutexLock l(&st.mu);
  auto& slot = st.ops[static_cast<size_t>(kind)];
  if (slot != nullptr) return Fail(Rv::kOperationActive);
  slot = std::move(op);
  return {};
}

bool Session::IsActive(OpKind kind) const {
  if (!is_open()) return false;
  MutexLock l(&state_->mu);
  return state_->ops[static_cast<size_t>(kind)] != nullptr;
}

void Session::Cancel(OpKind kind) {
  if (!is_open()) return;
  MutexLock l(&state_->mu);
  state_->ops[static_cast<size_t>(kind)].reset();
}

namespace {

// Run calls |f| on the active operation of |kind| and ends the operation
// when |f| finishes it or fails for a reason other than the caller's buffer.
template <class F>
Result<> Run(SessionState& st, OpKind kind, const Output& out, bool finishes, F&& f) {
  MutexLock l(&st.mu);
  auto& op = st.ops[static_cast<size_t>(kind)];
  if (op == nullptr) return Fail(Rv::kOperationNotInitialized);
  if (op->needs_context_login) return Fail(Rv::kUserNotLoggedIn);
  Result<> r = f(*op);
  if (!r) {
    if (r.error() != Rv::kBufferTooSmall) op.reset();
  } else if (finishes && !out.query) {
    op.reset();
  }
  return r;
}

}  // namespace

Result<> Session::Update(OpKind kind, ByteView in, Output& out) {
  auto s = Open();
  if (!s) return Fail(s.error());
  return Run(**s, kind, out, false, [&](Operation& op) {
    op.multipart = true;
    return op.Update(in, out);
  });
}

Result<> Session::Final(OpKind kind, Output& out) {
  auto s = Open();
  if (!s) return Fail(s.error());
  return Run(**s, kind, out, true, [&](Operation& op) { return op.Final(out); });
}

Result<> Session::OneShot(OpKind kind, ByteView in, Output& out) {
  auto s = Open();
  if (!s) return Fail(s.error());
  return Run(**s, kind, out, true, [&](Operation& op) -> Result<> {
    if (op.multipart) return Fail(Rv::kOperationActive);
    return op.OneShot(in, out);
  });
}

Result<> Session::VerifyFinal(OpKind kind, ByteView signature) {
  auto s = Open();
  if (!s) return Fail(s.error());
  Output none = Output::Query();
  none.query = false;
  return Run(**s, kind, none, true, [&](Operation& op) { return op.VerifyFinal(signature); });
}

Result<> Session::VerifyOneShot(OpKind kind, ByteView data, ByteView signature) {
  auto s = Open();
  if (!s) return Fail(s.error());
  Output none = Output::Query();
  none.query = false;
  return Run(**s, kind, none, true, [&](Operation& op) -> Result<> {
    if (op.multipart) return Fail(Rv::kOperationActive);
    return op.VerifyOneShot(data, signature);
  });
}

}  // namespace cryptoki
