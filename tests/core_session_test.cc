// The seed documents' session rules (shared/seeds), one named test each,
// through the C++ API.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cryptoki/cryptoki.h"
#include "tests/test_util.h"

namespace cryptoki {
namespace {

using ::cryptoki::testing::InitializedToken;
using ::cryptoki::testing::IsOk;
using ::cryptoki::testing::kSoPin;
using ::cryptoki::testing::kUserPin;
using ::cryptoki::testing::NewLibrary;
using ::cryptoki::testing::RvIs;

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override { token_ = InitializedToken(*lib_); }

  Session Open(SessionKind kind) {
    auto s = token_->OpenSession(kind);
    EXPECT_TRUE(s.has_value());
    return std::move(*s);
  }
  CK_STATE StateOf(const Session& s) { return s.Info()->state; }
  Template DataObject(bool token, bool priv, std::string label = "d") {
    return Template{attr::Class{CKO_DATA}, attr::Token{token}, attr::Private{priv},
                    attr::Label{std::move(label)}, attr::Value{Bytes{1, 2, 3}}};
  }

  std::unique_ptr<Library> lib_ = NewLibrary();
  std::shared_ptr<Token> token_;
};

TEST_F(SessionTest, OpenSessionWithoutSerialFlagIsParallelNotSupported) {
  EXPECT_THAT(token_->OpenSession(CK_FLAGS{CKF_RW_SESSION}),
              RvIs(Rv::kSessionParallelNotSupported));
  EXPECT_THAT(token_->OpenSession(CK_FLAGS{CKF_SERIAL_SESSION}), IsOk());
}

TEST_F(SessionTest, OpenSessionOnUninitializedTokenIsTokenNotRecognized) {
  auto free_token = lib_->GetToken(lib_->Slots().back());
  ASSERT_THAT(free_token, IsOk());
  ASSERT_FALSE((*free_token)->initialized());
  EXPECT_THAT((*free_token)->OpenSession(SessionKind::kReadOnly), RvIs(Rv::kTokenNotRecognized));
}

TEST_F(SessionTest, PublicSessionStatesFollowReadWriteFlag) {
  Session ro = Open(SessionKind::kReadOnly);
  Session rw = Open(SessionKind::kReadWrite);
  EXPECT_EQ(StateOf(ro), CKS_RO_PUBLIC_SESSION);
  EXPECT_EQ(StateOf(rw), CKS_RW_PUBLIC_SESSION);
  EXPECT_EQ(ro.Info()->flags, CKF_SERIAL_SESSION);
  EXPECT_EQ(rw.Info()->flags, CKF_SERIAL_SESSION | CKF_RW_SESSION);
  EXPECT_EQ(rw.Info()->slot_id, token_->slot_id());
}

TEST_F(SessionTest, UserLoginAppliesToEverySessionOfTheToken) {
  Session ro = Open(SessionKind::kReadOnly);
  Session rw = Open(SessionKind::kReadWrite);
  ASSERT_THAT(ro.Login(CKU_USER, kUserPin), IsOk());
  EXPECT_EQ(StateOf(ro), CKS_RO_USER_FUNCTIONS);
  EXPECT_EQ(StateOf(rw), CKS_RW_USER_FUNCTIONS);
  Session later = Open(SessionKind::kReadOnly);
  EXPECT_EQ(StateOf(later), CKS_RO_USER_FUNCTIONS);
}

TEST_F(SessionTest, SoLoginGivesRwSoFunctions) {
  Session rw = Open(SessionKind::kReadWrite);
  ASSERT_THAT(rw.Login(CKU_SO, kSoPin), IsOk());
  EXPECT_EQ(StateOf(rw), CKS_RW_SO_FUNCTIONS);
}

TEST_F(SessionTest, SoLoginFailsWhileReadOnlySessionExists) {
  Session ro = Open(SessionKind::kReadOnly);
  Session rw = Open(SessionKind::kReadWrite);
  EXPECT_THAT(rw.Login(CKU_SO, kSoPin), RvIs(Rv::kSessionReadOnlyExists));
  EXPECT_EQ(StateOf(rw), CKS_RW_PUBLIC_SESSION);
}

TEST_F(SessionTest, ReadOnlySessionCannotOpenWhileSoLoggedIn) {
  Session rw = Open(SessionKind::kReadWrite);
  ASSERT_THAT(rw.Login(CKU_SO, kSoPin), IsOk());
  EXPECT_THAT(token_->OpenSession(SessionKind::kReadOnly), RvIs(Rv::kSessionReadWriteSoExists));
  EXPECT_THAT(token_->OpenSession(SessionKind::kReadWrite), IsOk());
}

TEST_F(SessionTest, LoginTwiceIsUserAlreadyLoggedIn) {
  Session s = Open(SessionKind::kReadWrite);
  ASSERT_THAT(s.Login(CKU_USER, kUserPin), IsOk());
  EXPECT_THAT(s.Login(CKU_USER, kUserPin), RvIs(Rv::kUserAlreadyLoggedIn));
  Session other = Open(SessionKind::kReadWrite);
  EXPECT_THAT(other.Login(CKU_USER, kUserPin), RvIs(Rv::kUserAlreadyLoggedIn));
}

TEST_F(SessionTest, SoLoginTwiceIsUserAlreadyLoggedIn) {
  Session s = Open(SessionKind::kReadWrite);
  ASSERT_THAT(s.Login(CKU_SO, kSoPin), IsOk());
  EXPECT_THAT(s.Login(CKU_SO, kSoPin), RvIs(Rv::kUserAlreadyLoggedIn));
}

TEST_F(SessionTest, UserLoginWhileSoLoggedInIsAnotherAlreadyLoggedIn) {
  Session s = Open(SessionKind::kReadWrite);
  ASSERT_THAT(s.Login(CKU_SO, kSoPin), IsOk());
  EXPECT_THAT(s.Login(CKU_USER, kUserPin), RvIs(Rv::kUserAnotherAlreadyLoggedIn));
}

TEST_F(SessionTest, SoLoginWhileUserLoggedInIsAnotherAlreadyLoggedIn) {
  Session s = Open(SessionKind::kReadWrite);
  ASSERT_THAT(s.Login(CKU_USER, kUserPin), IsOk());
  EXPECT_THAT(s.Login(CKU_SO, kSoPin), RvIs(Rv::kUserAnotherAlreadyLoggedIn));
}

TEST_F(SessionTest, WrongPinIsPinIncorrect) {
  Session s = Open(SessionKind::kReadOnly);
  EXPECT_THAT(s.Login(CKU_USER, "wrong-pin"), RvIs(Rv::kPinIncorrect));
  EXPECT_EQ(StateOf(s), CKS_RO_PUBLIC_SESSION);
}

TEST_F(SessionTest, UnknownUserTypeIsUserTypeInvalid) {
  Session s = Open(SessionKind::kReadOnly);
  EXPECT_THAT(s.Login(CK_USER_TYPE{7}, kUserPin), RvIs(Rv::kUserTypeInvalid));
}

TEST_F(SessionTest, UserLoginBeforeInitPinIsUserPinNotInitialized) {
  auto lib = NewLibrary();
  auto token = InitializedToken(*lib, /*with_user=*/false);
  auto s = token->OpenSession(SessionKind::kReadOnly);
  ASSERT_THAT(s, IsOk());
  EXPECT_THAT(s->Login(CKU_USER, kUserPin), RvIs(Rv::kUserPinNotInitialized));
}

TEST_F(SessionTest, ContextSpecificLoginWithoutUserIsUserNotLoggedIn) {
  Session s = Open(SessionKind::kReadOnly);
  EXPECT_THAT(s.Login(CKU_CONTEXT_SPECIFIC, kUserPin), RvIs(Rv::kUserNotLoggedIn));
}

TEST_F(SessionTest, ContextSpecificLoginWithoutOperationIsOperationNotInitialized) {
  Session s = Open(SessionKind::kReadOnly);
  ASSERT_THAT(s.Login(CKU_USER, kUserPin), IsOk());
  EXPECT_THAT(s.Login(CKU_CONTEXT_SPECIFIC, kUserPin), RvIs(Rv::kOperationNotInitialized));
}

// An operation on a key with CKA_ALWAYS_AUTHENTICATE waits for a
// context-specific login: running it first is kUserNotLoggedIn and leaves it
// waiting, as does a wrong PIN; the right PIN lets it run.
TEST_F(SessionTest, ContextSpecificLoginAuthorisesPendingOperation) {
  Session s = Open(SessionKind::kReadOnly);
  ASSERT_THAT(s.Login(CKU_USER, kUserPin), IsOk());
  auto op = std::make_unique<Operation>();
  op->needs_context_login = true;
  ASSERT_THAT(s.Begin(OpKind::kSign, std::move(op)), IsOk());
  Output out = Output::Query();
  EXPECT_THAT(s.OneShot(OpKind::kSign, Bytes{1}, out), RvIs(Rv::kUserNotLoggedIn));
  EXPECT_TRUE(s.IsActive(OpKind::kSign));
  EXPECT_THAT(s.Login(CKU_CONTEXT_SPECIFIC, "wrong-pin"), RvIs(Rv::kPinIncorrect));
  EXPECT_THAT(s.OneShot(OpKind::kSign, Bytes{1}, out), RvIs(Rv::kUserNotLoggedIn));
  EXPECT_THAT(s.Login(CKU_CONTEXT_SPECIFIC, kUserPin), IsOk());
  // Authorised now: the base Operation then reports what it cannot do.
  EXPECT_THAT(s.OneShot(OpKind::kSign, Bytes{1}, out), RvIs(Rv::kFunctionNotSupported));
}

TEST_F(SessionTest, LogoutWithNobodyLoggedInIsUserNotLoggedIn) {
  Session s = Open(SessionKind::kReadOnly);
  EXPECT_THAT(s.Logout(), RvIs(Rv::kUserNotLoggedIn));
}

TEST_F(SessionTest, LogoutRevertsEverySessionToPublic) {
  Session ro = Open(SessionKind::kReadOnly);
  Session rw = Open(SessionKind::kReadWrite);
  ASSERT_THAT(rw.Login(CKU_USER, kUserPin), IsOk());
  ASSERT_THAT(ro.Logout(), IsOk());
  EXPECT_EQ(StateOf(ro), CKS_RO_PUBLIC_SESSION);
  EXPECT_EQ(StateOf(rw), CKS_RW_PUBLIC_SESSION);
  EXPECT_THAT(ro.Logout(), RvIs(Rv::kUserNotLoggedIn));
}

TEST_F(SessionTest, LogoutDestroysPrivateSessionObjectsOnly) {
  Session s = Open(SessionKind::kReadOnly);
  ASSERT_THAT(s.Login(CKU_USER, kUserPin), IsOk());
  ASSERT_OK_AND_ASSIGN(ObjectHandle priv, s.CreateObject(DataObject(false, true)));
  ASSERT_OK_AND_ASSIGN(ObjectHandle pub, s.CreateObject(DataObject(false, false)));
  ASSERT_THAT(s.Logout(), IsOk());
  EXPECT_THAT(s.GetObject(priv), RvIs(Rv::kObjectHandleInvalid));
  EXPECT_THAT(s.GetObject(pub), IsOk());
  ASSERT_THAT(s.Login(CKU_USER, kUserPin), IsOk());
  EXPECT_THAT(s.GetObject(priv), RvIs(Rv::kObjectHandleInvalid));
  auto found = s.Find({attr::Class{CKO_DATA}, attr::Private{true}});
  ASSERT_THAT(found, IsOk());
  EXPECT_TRUE(found->empty());
}

TEST_F(SessionTest, PrivateTokenObjectHandlesStayInvalidAfterNewLogin) {
  Session s = Open(SessionKind::kReadWrite);
  ASSERT_THAT(s.Login(CKU_USER, kUserPin), IsOk());
  ASSERT_OK_AND_ASSIGN(ObjectHandle h, s.CreateObject(DataObject(true, true, "secret")));
  ASSERT_THAT(s.Logout(), IsOk());
  EXPECT_THAT(s.GetObject(h), RvIs(Rv::kObjectHandleInvalid));
  auto hidden = s.Find({attr::Label{"secret"}});
  ASSERT_THAT(hidden, IsOk());
  EXPECT_TRUE(hidden->empty());
  ASSERT_THAT(s.Login(CKU_USER, kUserPin), IsOk());
  EXPECT_THAT(s.GetObject(h), RvIs(Rv::kObjectHandleInvalid));
  auto found = s.Find({attr::Label{"secret"}});
  ASSERT_THAT(found, IsOk());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_NE((*found)[0], h);
  EXPECT_THAT(s.Get<attr::Value>((*found)[0]), IsOk());
}

TEST_F(SessionTest, PrivateObjectsAreInvisibleWithoutLogin) {
  {
    Session s = Open(SessionKind::kReadWrite);
    ASSERT_THAT(s.Login(CKU_USER, kUserPin), IsOk());
    ASSERT_THAT(s.CreateObject(DataObject(true, true, "p")), IsOk());
    ASSERT_THAT(s.CreateObject(DataObject(true, false, "q")), IsOk());
  }
  Session s = Open(SessionKind::kReadOnly);
  auto found = s.Find({attr::Class{CKO_DATA}});
  ASSERT_THAT(found, IsOk());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_THAT(s.Get<attr::Label>((*found)[0]), ::testing::Optional(std::string("q")));
}

TEST_F(SessionTest, SoCannotSeePrivateObjects) {
  {
    Session s = Open(SessionKind::kReadWrite);
    ASSERT_THAT(s.Login(CKU_USER, kUserPin), IsOk());
    ASSERT_THAT(s.CreateObject(DataObject(true, true, "p")), IsOk());
  }
  Session so = Open(SessionKind::kReadWrite);
  ASSERT_THAT(so.Login(CKU_SO, kSoPin), IsOk());
  auto found = so.Find({attr::Label{"p"}});
  ASSERT_THAT(found, IsOk());
  EXPECT_TRUE(found->empty());
  EXPECT_THAT(so.CreateObject(DataObject(false, true)), RvIs(Rv::kUserNotLoggedIn));
}

TEST_F(SessionTest, CreatingPrivateObjectWithoutLoginIsUserNotLoggedIn) {
  Session s = Open(SessionKind::kReadWrite);
  EXPECT_THAT(s.CreateObject(DataObject(false, true)), RvIs(Rv::kUserNotLoggedIn));
}

TEST_F(SessionTest, SessionObjectsAreSharedByAllSessionsOfTheApplication) {
  Session a = Open(SessionKind::kReadOnly);
  Session b = Open(SessionKind::kReadOnly);
  ASSERT_OK_AND_ASSIGN(ObjectHandle h, a.CreateObject(DataObject(false, false, "shared")));
  EXPECT_THAT(b.Get<attr::Label>(h), ::testing::Optional(std::string("shared")));
  auto found = b.Find({attr::Label{"shared"}});
  ASSERT_THAT(found, IsOk());
  EXPECT_EQ(found->size(), 1u);
}

TEST_F(SessionTest, ClosingSessionDestroysItsObjectsEvenIfOthersUseThem) {
  Session b = Open(SessionKind::kReadOnly);
  ObjectHandle h;
  {
    Session a = Open(SessionKind::kReadOnly);
    ASSERT_OK_AND_ASSIGN(h, a.CreateObject(DataObject(false, false, "mine")));
    ASSERT_THAT(b.GetObject(h), IsOk());
    ASSERT_THAT(b.FindInit({attr::Label{"mine"}}), IsOk());
  }  // a closes
  EXPECT_THAT(b.GetObject(h), RvIs(Rv::kObjectHandleInvalid));
  EXPECT_THAT(b.FindFinal(), IsOk());
}

TEST_F(SessionTest, ClosingSessionKeepsTokenObjects) {
  ObjectHandle h;
  {
    Session a = Open(SessionKind::kReadWrite);
    ASSERT_OK_AND_ASSIGN(h, a.CreateObject(DataObject(true, false, "kept")));
  }
  Session b = Open(SessionKind::kReadOnly);
  EXPECT_THAT(b.GetObject(h), IsOk());
}

TEST_F(SessionTest, ClosingLastSessionEndsLogin) {
  {
    Session s = Open(SessionKind::kReadOnly);
    ASSERT_THAT(s.Login(CKU_USER, kUserPin), IsOk());
  }
  EXPECT_EQ(token_->login_state(), LoginState::kPublic);
  Session s = Open(SessionKind::kReadOnly);
  EXPECT_EQ(StateOf(s), CKS_RO_PUBLIC_SESSION);
}

TEST_F(SessionTest, ClosingOneOfTwoSessionsKeepsLogin) {
  Session a = Open(SessionKind::kReadOnly);
  ASSERT_THAT(a.Login(CKU_USER, kUserPin), IsOk());
  { Session b = Open(SessionKind::kReadOnly); }
  EXPECT_EQ(StateOf(a), CKS_RO_USER_FUNCTIONS);
}

TEST_F(SessionTest, CloseTwiceIsSessionHandleInvalid) {
  Session s = Open(SessionKind::kReadOnly);
  EXPECT_THAT(s.Close(), IsOk());
  EXPECT_THAT(s.Close(), RvIs(Rv::kSessionHandleInvalid));
  EXPECT_THAT(s.Info(), RvIs(Rv::kSessionHandleInvalid));
}

TEST_F(SessionTest, CloseAllSessionsClosesEverySessionAndEndsLogin) {
  Session a = Open(SessionKind::kReadOnly);
  Session b = Open(SessionKind::kReadWrite);
  ASSERT_THAT(b.Login(CKU_USER, kUserPin), IsOk());
  ASSERT_OK_AND_ASSIGN(ObjectHandle h, b.CreateObject(DataObject(false, false)));
  token_->CloseAllSessions();
  EXPECT_THAT(a.Info(), RvIs(Rv::kSessionHandleInvalid));
  EXPECT_THAT(b.Info(), RvIs(Rv::kSessionHandleInvalid));
  EXPECT_EQ(token_->Info().session_count, 0u);
  EXPECT_EQ(token_->login_state(), LoginState::kPublic);
  Session c = Open(SessionKind::kReadOnly);
  EXPECT_THAT(c.GetObject(h), RvIs(Rv::kObjectHandleInvalid));
}

TEST_F(SessionTest, CloseAllSessionsEndsOperationsAndLaterSessionsCountAgain) {
  // The token keeps its open sessions in a list: closing one in the middle,
  // then all of them, must leave the counts right and later sessions usable.
  Session a = Open(SessionKind::kReadOnly);
  Session b = Open(SessionKind::kReadWrite);
  Session c = Open(SessionKind::kReadWrite);
  ASSERT_THAT(a.Begin(OpKind::kDigest, std::make_unique<Operation>()), IsOk());
  ASSERT_THAT(b.Close(), IsOk());
  EXPECT_EQ(token_->Info().session_count, 2u);
  EXPECT_EQ(token_->Info().rw_session_count, 1u);
  token_->CloseAllSessions();
  EXPECT_EQ(token_->Info().session_count, 0u);
  EXPECT_EQ(token_->Info().rw_session_count, 0u);
  EXPECT_FALSE(a.IsActive(OpKind::kDigest));
  Output none = Output::Query();
  EXPECT_THAT(a.Update(OpKind::kDigest, Bytes(1), none), RvIs(Rv::kSessionHandleInvalid));
  EXPECT_THAT(a.Close(), RvIs(Rv::kSessionHandleInvalid));
  EXPECT_THAT(c.Close(), RvIs(Rv::kSessionHandleInvalid));
  Session d = Open(SessionKind::kReadWrite);
  EXPECT_EQ(token_->Info().session_count, 1u);
  EXPECT_EQ(token_->Info().rw_session_count, 1u);
  ASSERT_THAT(d.Begin(OpKind::kDigest, std::make_unique<Operation>()), IsOk());
  EXPECT_TRUE(d.IsActive(OpKind::kDigest));
}

TEST_F(SessionTest, SessionLeftOverByItsLibraryIsClosedAndSafeToDestroy) {
  // The session does not own its token: destroying the Library closes it,
  // and then neither its calls nor its destruction reach the token (the
  // token is freed here with its last holder,
  std::unique_ptr<Library> lib = NewLibrary();
  std::shared_ptr<Token> token = InitializedToken(*lib);
  auto opened = token->OpenSession(SessionKind::kReadWrite);
  ASSERT_THAT(opened, IsOk());
  Session s = std::move(*opened);
  const CK_SLOT_ID slot = token->slot_id();
  ASSERT_THAT(s.Begin(OpKind::kDigest, std::make_unique<Operation>()), IsOk());
  lib.reset();
  token.reset();
  EXPECT_FALSE(s.is_open());
  EXPECT_EQ(s.slot_id(), slot);
  EXPECT_THAT(s.Info(), RvIs(Rv::kSessionHandleInvalid));
  EXPECT_THAT(s.Close(), RvIs(Rv::kSessionHandleInvalid));
  Output none = Output::Query();
  EXPECT_THAT(s.Update(OpKind::kDigest, Bytes(1), none), RvIs(Rv::kSessionHandleInvalid));
}

TEST_F(SessionTest, SessionHandlesAreNeverZeroNorReused) {
  SessionHandle first;
  {
    Session s = Open(SessionKind::kReadOnly);
    first = s.handle();
    EXPECT_NE(first, 0u);
  }
  Session s = Open(SessionKind::kReadOnly);
  EXPECT_NE(s.handle(), first);
}

TEST_F(SessionTest, ReadOnlySessionCreatesSessionObjectsButNotTokenObjects) {
  Session s = Open(SessionKind::kReadOnly);
  EXPECT_THAT(s.CreateObject(DataObject(false, false)), IsOk());
  EXPECT_THAT(s.CreateObject(DataObject(true, false)), RvIs(Rv::kSessionReadOnly));
}

TEST_F(SessionTest, ReadOnlySessionReadsButCannotChangeTokenObjects) {
  ObjectHandle h;
  {
    Session rw = Open(SessionKind::kReadWrite);
    ASSERT_OK_AND_ASSIGN(h, rw.CreateObject(DataObject(true, false, "t")));
  }
  Session ro = Open(SessionKind::kReadOnly);
  EXPECT_THAT(ro.Get<attr::Label>(h), ::testing::Optional(std::string("t")));
  EXPECT_THAT(ro.SetAttributes(h, {attr::Label{"u"}}), RvIs(Rv::kSessionReadOnly));
  EXPECT_THAT(ro.DestroyObject(h), RvIs(Rv::kSessionReadOnly));
  EXPECT_THAT(ro.CopyObject(h, {}), RvIs(Rv::kSessionReadOnly));
  ASSERT_OK_AND_ASSIGN(ObjectHandle copy, ro.CopyObject(h, {attr::Token{false}}));
  EXPECT_THAT(ro.Get<attr::Token>(copy), ::testing::Optional(false));
}

TEST_F(SessionTest, TokenInfoCountsSessions) {
  Session a = Open(SessionKind::kReadOnly);
  Session b = Open(SessionKind::kReadWrite);
  TokenInfo i = token_->Info();
  EXPECT_EQ(i.session_count, 2u);
  EXPECT_EQ(i.rw_session_count, 1u);
}

TEST_F(SessionTest, FindInitTwiceIsOperationActive) {
  Session s = Open(SessionKind::kReadOnly);
  ASSERT_THAT(s.FindInit({}), IsOk());
  EXPECT_THAT(s.FindInit({}), RvIs(Rv::kOperationActive));
  EXPECT_THAT(s.FindFinal(), IsOk());
  EXPECT_THAT(s.FindFinal(), RvIs(Rv::kOperationNotInitialized));
  EXPECT_THAT(s.FindNext(10), RvIs(Rv::kOperationNotInitialized));
}

TEST_F(SessionTest, FindReturnsResultsInPieces) {
  Session s = Open(SessionKind::kReadOnly);
  for (int i = 0; i < 5; ++i) ASSERT_THAT(s.CreateObject(DataObject(false, false, "x")), IsOk());
  ASSERT_THAT(s.FindInit({attr::Label{"x"}}), IsOk());
  auto first = s.FindNext(3);
  auto second = s.FindNext(3);
  auto third = s.FindNext(3);
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  ASSERT_THAT(third, IsOk());
  EXPECT_EQ(first->size(), 3u);
  EXPECT_EQ(second->size(), 2u);
  EXPECT_EQ(third->size(), 0u);
  EXPECT_THAT(s.FindFinal(), IsOk());
}

TEST_F(SessionTest, OperationRulesOneAtATimeAndEndOnError) {
  Session s = Open(SessionKind::kReadOnly);
  Output out = Output::Query();
  EXPECT_THAT(s.Update(OpKind::kDigest, Bytes{1}, out), RvIs(Rv::kOperationNotInitialized));
  ASSERT_THAT(s.Begin(OpKind::kDigest, std::make_unique<Operation>()), IsOk());
  EXPECT_THAT(s.Begin(OpKind::kDigest, std::make_unique<Operation>()), RvIs(Rv::kOperationActive));
  EXPECT_TRUE(s.IsActive(OpKind::kDigest));
  EXPECT_THAT(s.Update(OpKind::kDigest, Bytes{1}, out), RvIs(Rv::kFunctionNotSupported));
  EXPECT_FALSE(s.IsActive(OpKind::kDigest));
}

TEST_F(SessionTest, GenerateRandomFillsBuffer) {
  Session s = Open(SessionKind::kReadOnly);
  Bytes a(32), b(32);
  ASSERT_THAT(s.GenerateRandom(a), IsOk());
  ASSERT_THAT(s.GenerateRandom(b), IsOk());
  EXPECT_NE(a, b);
  EXPECT_THAT(s.SeedRandom(Bytes{1, 2}), RvIs(Rv::kRandomSeedNotSupported));
}

TEST_F(SessionTest, MovedFromSessionIsClosedAndTargetStaysOpen) {
  Session a = Open(SessionKind::kReadOnly);
  const SessionHandle h = a.handle();
  Session b = std::move(a);
  EXPECT_EQ(b.handle(), h);
  EXPECT_TRUE(b.is_open());
  EXPECT_EQ(token_->Info().session_count, 1u);
}

// CountingOp is a digest-like operation whose whole state is a byte count.
class CountingOp : public Operation {
 public:
  explicit CountingOp(uint64_t n = 0) : n_(n) {}
  Result<> Update(ByteView in, Output&) override {
    n_ += in.size();
    return {};
  }
  Result<> Final(Output& out) override {
    CRYPTOKI_TRY(out.Fits(1));
    if (out.Ready()) out.buffer[0] = static_cast<uint8_t>(n_);
    return {};
  }
  Result<> SaveState(SecretBytes& out) const override {
    out.push_back(static_cast<uint8_t>(n_));
    return {};
  }

 private:
  uint64_t n_;
};

Result<std::unique_ptr<Operation>> RestoreCounting(OpKind, ByteView state,
                                                   std::shared_ptr<const Object>) {
  if (state.size() != 1) return Fail(Rv::kSavedStateInvalid);
  return std::unique_ptr<Operation>(std::make_unique<CountingOp>(state[0]));
}

class OperationStateTest : public SessionTest {
 protected:
  void SetUp() override {
    SessionTest::SetUp();
    SetOperationRestorer(RestoreCounting);
  }
  uint8_t Finish(Session& s) {
    uint8_t b = 0;
    Output out = Output::Into(std::span<uint8_t>(&b, 1));
    EXPECT_THAT(s.Final(OpKind::kDigest, out), IsOk());
    return b;
  }
};

TEST_F(OperationStateTest, SavedStateResumesInAnotherSession) {
  Session a = Open(SessionKind::kReadOnly);
  ASSERT_THAT(a.Begin(OpKind::kDigest, std::make_unique<CountingOp>()), IsOk());
  Output none = Output::Query();
  ASSERT_THAT(a.Update(OpKind::kDigest, Bytes(5), none), IsOk());
  ASSERT_OK_AND_ASSIGN(Bytes state, a.GetOperationState());
  Session b = Open(SessionKind::kReadOnly);
  ASSERT_THAT(b.SetOperationState(state, ObjectHandle(), ObjectHandle()), IsOk());
  ASSERT_THAT(b.Update(OpKind::kDigest, Bytes(2), none), IsOk());
  EXPECT_EQ(Finish(b), 7);
  EXPECT_EQ(Finish(a), 5);
}

TEST_F(OperationStateTest, NoActiveOperationIsOperationNotInitialized) {
  Session a = Open(SessionKind::kReadOnly);
  EXPECT_THAT(a.GetOperationState(), RvIs(Rv::kOperationNotInitialized));
}

TEST_F(OperationStateTest, UnsaveableOperationIsStateUnsaveable) {
  Session a = Open(SessionKind::kReadOnly);
  ASSERT_THAT(a.Begin(OpKind::kDigest, std::make_unique<Operation>()), IsOk());
  EXPECT_THAT(a.GetOperationState(), RvIs(Rv::kStateUnsaveable));
}

TEST_F(OperationStateTest, ForgedOrForeignStateIsSavedStateInvalid) {
  Session a = Open(SessionKind::kReadOnly);
  ASSERT_THAT(a.Begin(OpKind::kDigest, std::make_unique<CountingOp>(3)), IsOk());
  ASSERT_OK_AND_ASSIGN(Bytes state, a.GetOperationState());
  Bytes forged = state;
  forged[forged.size() / 2] ^= 1;
  EXPECT_THAT(a.SetOperationState(forged, ObjectHandle(), ObjectHandle()),
              RvIs(Rv::kSavedStateInvalid));
  EXPECT_THAT(a.SetOperationState(Bytes(3), ObjectHandle(), ObjectHandle()),
              RvIs(Rv::kSavedStateInvalid));
  // Another library (another process) has another sealing key.
  auto other_lib = NewLibrary();
  auto other = InitializedToken(*other_lib)->OpenSession(SessionKind::kReadOnly);
  ASSERT_THAT(other, IsOk());
  EXPECT_THAT(other->SetOperationState(state, ObjectHandle(), ObjectHandle()),
              RvIs(Rv::kSavedStateInvalid));
}

TEST_F(OperationStateTest, KeyGivenForKeylessStateIsKeyNotNeeded) {
  Session a = Open(SessionKind::kReadOnly);
  ASSERT_THAT(a.Begin(OpKind::kDigest, std::make_unique<CountingOp>(3)), IsOk());
  ASSERT_OK_AND_ASSIGN(Bytes state, a.GetOperationState());
  ASSERT_OK_AND_ASSIGN(ObjectHandle key, a.CreateObject(DataObject(false, false)));
  EXPECT_THAT(a.SetOperationState(state, key, ObjectHandle()), RvIs(Rv::kKeyNotNeeded));
}

TEST_F(OperationStateTest, KeyedStateNeedsTheSameKey) {
  Session a = Open(SessionKind::kReadOnly);
  ASSERT_OK_AND_ASSIGN(ObjectHandle k1,
                       a.CreateObject({attr::Class{CKO_SECRET_KEY}, attr::Private{false},
                                       attr::KeyType{CKK_GENERIC_SECRET}, attr::Value{Bytes(16)}}));
  ASSERT_OK_AND_ASSIGN(ObjectHandle k2, a.CopyObject(k1, {}));
  auto op = std::make_unique<CountingOp>(1);
  op->key = *a.GetKey(k1);
  ASSERT_THAT(a.Begin(OpKind::kSign, std::move(op)), IsOk());
  ASSERT_OK_AND_ASSIGN(Bytes state, a.GetOperationState());
  EXPECT_THAT(a.SetOperationState(state, ObjectHandle(), ObjectHandle()), RvIs(Rv::kKeyNeeded));
  EXPECT_THAT(a.SetOperationState(state, ObjectHandle(), k2), RvIs(Rv::kKeyChanged));
  EXPECT_THAT(a.SetOperationState(state, ObjectHandle(), k1), IsOk());
  EXPECT_TRUE(a.IsActive(OpKind::kSign));
}

}  // namespace
}  // namespace cryptoki
