// The seed documents' session rules, through the C function table.
#include "tests/c_abi_test_util.h"

namespace cryptoki::testing {
namespace {

constexpr CK_FLAGS kRo = CKF_SERIAL_SESSION;
constexpr CK_FLAGS kRw = CKF_SERIAL_SESSION | CKF_RW_SESSION;

class CAbiSessionTest : public CAbiTest {};

TEST_F(CAbiSessionTest, OpenSessionReadOnlyReportsRoPublicState) {
  CK_SESSION_HANDLE h = Open(kRo);
  CK_SESSION_INFO info{};
  ASSERT_THAT(F()->C_GetSessionInfo(h, &info), CkrIs(CKR_OK));
  EXPECT_EQ(info.slotID, slot_);
  EXPECT_EQ(info.state, CKS_RO_PUBLIC_SESSION);
  EXPECT_EQ(info.flags, CKF_SERIAL_SESSION);
  EXPECT_EQ(info.ulDeviceError, 0u);
}

TEST_F(CAbiSessionTest, OpenSessionReadWriteReportsRwPublicState) {
  CK_SESSION_HANDLE h = Open(kRw);
  CK_SESSION_INFO info{};
  ASSERT_THAT(F()->C_GetSessionInfo(h, &info), CkrIs(CKR_OK));
  EXPECT_EQ(info.state, CKS_RW_PUBLIC_SESSION);
  EXPECT_EQ(info.flags, CKF_SERIAL_SESSION | CKF_RW_SESSION);
}

TEST_F(CAbiSessionTest, OpenSessionFailsWithoutSerialFlag) {
  CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
  EXPECT_THAT(F()->C_OpenSession(slot_, CKF_RW_SESSION, nullptr, nullptr, &h),
              CkrIs(CKR_SESSION_PARALLEL_NOT_SUPPORTED));
}

TEST_F(CAbiSessionTest, OpenSessionFailsOnUnknownSlot) {
  CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
  EXPECT_THAT(F()->C_OpenSession(999, kRo, nullptr, nullptr, &h), CkrIs(CKR_SLOT_ID_INVALID));
}

TEST_F(CAbiSessionTest, OpenSessionFailsWithNullHandlePointer) {
  EXPECT_THAT(F()->C_OpenSession(slot_, kRo, nullptr, nullptr, nullptr), CkrIs(CKR_ARGUMENTS_BAD));
}

TEST_F(CAbiSessionTest, OpenSessionFailsOnUninitializedToken) {
  CK_ULONG n = 0;
  ASSERT_THAT(F()->C_GetSlotList(CK_TRUE, nullptr, &n), CkrIs(CKR_OK));
  std::vector<CK_SLOT_ID> slots(n);
  ASSERT_THAT(F()->C_GetSlotList(CK_TRUE, slots.data(), &n), CkrIs(CKR_OK));
  ASSERT_EQ(n, 2u);  // the token of the fixture, and a free slot
  CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
  EXPECT_THAT(F()->C_OpenSession(slots[1], kRo, nullptr, nullptr, &h),
              CkrIs(CKR_TOKEN_NOT_RECOGNIZED));
}

TEST_F(CAbiSessionTest, SessionHandlesAreNeverZeroAndNeverReused) {
  CK_SESSION_HANDLE a = Open(kRo);
  ASSERT_THAT(F()->C_CloseSession(a), CkrIs(CKR_OK));
  CK_SESSION_HANDLE b = Open(kRo);
  EXPECT_NE(a, CK_INVALID_HANDLE);
  EXPECT_NE(b, CK_INVALID_HANDLE);
  EXPECT_NE(a, b);
}

TEST_F(CAbiSessionTest, CloseSessionTwiceFailsWithHandleInvalid) {
  CK_SESSION_HANDLE h = Open(kRo);
  ASSERT_THAT(F()->C_CloseSession(h), CkrIs(CKR_OK));
  EXPECT_THAT(F()->C_CloseSession(h), CkrIs(CKR_SESSION_HANDLE_INVALID));
  CK_SESSION_INFO info;
  EXPECT_THAT(F()->C_GetSessionInfo(h, &info), CkrIs(CKR_SESSION_HANDLE_INVALID));
}

TEST_F(CAbiSessionTest, CloseAllSessionsClosesEverySessionOfTheSlot) {
  CK_SESSION_HANDLE a = Open(kRo);
  CK_SESSION_HANDLE b = Open(kRw);
  ASSERT_THAT(F()->C_CloseAllSessions(slot_), CkrIs(CKR_OK));
  CK_SESSION_INFO info;
  EXPECT_THAT(F()->C_GetSessionInfo(a, &info), CkrIs(CKR_SESSION_HANDLE_INVALID));
  EXPECT_THAT(F()->C_GetSessionInfo(b, &info), CkrIs(CKR_SESSION_HANDLE_INVALID));
  EXPECT_THAT(F()->C_CloseSession(a), CkrIs(CKR_SESSION_HANDLE_INVALID));
}

TEST_F(CAbiSessionTest, CloseAllSessionsFailsOnUnknownSlot) {
  EXPECT_THAT(F()->C_CloseAllSessions(999), CkrIs(CKR_SLOT_ID_INVALID));
}

TEST_F(CAbiSessionTest, GetSessionInfoFailsWithNullInfo) {
  CK_SESSION_HANDLE h = Open(kRo);
  EXPECT_THAT(F()->C_GetSessionInfo(h, nullptr), CkrIs(CKR_ARGUMENTS_BAD));
}

TEST_F(CAbiSessionTest, UserLoginMovesEverySessionToUserFunctions) {
  CK_SESSION_HANDLE ro = Open(kRo);
  CK_SESSION_HANDLE rw = Open(kRw);
  ASSERT_THAT(LoginUser(ro), CkrIs(CKR_OK));
  EXPECT_EQ(State(ro), CKS_RO_USER_FUNCTIONS);
  EXPECT_EQ(State(rw), CKS_RW_USER_FUNCTIONS);
  ASSERT_THAT(F()->C_Logout(rw), CkrIs(CKR_OK));
  EXPECT_EQ(State(ro), CKS_RO_PUBLIC_SESSION);
  EXPECT_EQ(State(rw), CKS_RW_PUBLIC_SESSION);
}

TEST_F(CAbiSessionTest, SoLoginGivesRwSoFunctions) {
  CK_SESSION_HANDLE rw = Open(kRw);
  ASSERT_THAT(LoginSo(rw), CkrIs(CKR_OK));
  EXPECT_EQ(State(rw), CKS_RW_SO_FUNCTIONS);
}

TEST_F(CAbiSessionTest, LoginSoFailsWithReadOnlySessionOpen) {
  CK_SESSION_HANDLE rw = Open(kRw);
  Open(kRo);
  EXPECT_THAT(LoginSo(rw), CkrIs(CKR_SESSION_READ_ONLY_EXISTS));
}

TEST_F(CAbiSessionTest, OpenReadOnlySessionFailsWhileSoLoggedIn) {
  CK_SESSION_HANDLE rw = Open(kRw);
  ASSERT_THAT(LoginSo(rw), CkrIs(CKR_OK));
  CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
  EXPECT_THAT(F()->C_OpenSession(slot_, kRo, nullptr, nullptr, &h),
              CkrIs(CKR_SESSION_READ_WRITE_SO_EXISTS));
}

TEST_F(CAbiSessionTest, LoginTwiceFailsWithUserAlreadyLoggedIn) {
  CK_SESSION_HANDLE h = Open(kRw);
  ASSERT_THAT(LoginUser(h), CkrIs(CKR_OK));
  EXPECT_THAT(LoginUser(h), CkrIs(CKR_USER_ALREADY_LOGGED_IN));
}

TEST_F(CAbiSessionTest, SoLoginWhileUserLoggedInFailsWithAnotherAlreadyLoggedIn) {
  CK_SESSION_HANDLE h = Open(kRw);
  ASSERT_THAT(LoginUser(h), CkrIs(CKR_OK));
  EXPECT_THAT(LoginSo(h), CkrIs(CKR_USER_ANOTHER_ALREADY_LOGGED_IN));
}

TEST_F(CAbiSessionTest, UserLoginWhileSoLoggedInFailsWithAnotherAlreadyLoggedIn) {
  CK_SESSION_HANDLE h = Open(kRw);
  ASSERT_THAT(LoginSo(h), CkrIs(CKR_OK));
  EXPECT_THAT(LoginUser(h), CkrIs(CKR_USER_ANOTHER_ALREADY_LOGGED_IN));
}

TEST_F(CAbiSessionTest, LoginWithWrongPinFailsWithPinIncorrect) {
  CK_SESSION_HANDLE h = Open(kRw);
  EXPECT_THAT(F()->C_Login(h, CKU_USER, Pin("wrong-pin"), Len("wrong-pin")),
              CkrIs(CKR_PIN_INCORRECT));
  EXPECT_EQ(State(h), CKS_RW_PUBLIC_SESSION);
}

TEST_F(CAbiSessionTest, LoginLocksAfterMaxFailures) {
  CK_SESSION_HANDLE h = Open(kRw);
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(F()->C_Login(h, CKU_USER, Pin("wrong-pin"), Len("wrong-pin")),
                CkrIs(CKR_PIN_INCORRECT));
  }
  EXPECT_THAT(LoginUser(h), CkrIs(CKR_PIN_LOCKED));
  CK_TOKEN_INFO info{};
  ASSERT_THAT(F()->C_GetTokenInfo(slot_, &info), CkrIs(CKR_OK));
  EXPECT_TRUE(info.flags & CKF_USER_PIN_LOCKED);
}

TEST_F(CAbiSessionTest, LoginFailsWithNullPin) {
  CK_SESSION_HANDLE h = Open(kRw);
  EXPECT_THAT(F()->C_Login(h, CKU_USER, nullptr, 4), CkrIs(CKR_ARGUMENTS_BAD));
}

TEST_F(CAbiSessionTest, LoginFailsOnInvalidSessionHandle) {
  EXPECT_THAT(F()->C_Login(12345, CKU_USER, Pin(kCUserPin), Len(kCUserPin)),
              CkrIs(CKR_SESSION_HANDLE_INVALID));
}

TEST_F(CAbiSessionTest, LogoutWithoutLoginFailsWithUserNotLoggedIn) {
  CK_SESSION_HANDLE h = Open(kRo);
  EXPECT_THAT(F()->C_Logout(h), CkrIs(CKR_USER_NOT_LOGGED_IN));
}

TEST_F(CAbiSessionTest, LoginUserBehavesAsLogin) {
  CK_SESSION_HANDLE h = Open(kRw);
  ASSERT_THAT(F()->C_LoginUser(h, CKU_USER, Pin(kCUserPin), Len(kCUserPin), Pin("anyone"), 6),
              CkrIs(CKR_OK));
  EXPECT_EQ(State(h), CKS_RW_USER_FUNCTIONS);
  EXPECT_THAT(F()->C_LoginUser(h, CKU_USER, Pin(kCUserPin), Len(kCUserPin), nullptr, 3),
              CkrIs(CKR_ARGUMENTS_BAD));
}

TEST_F(CAbiSessionTest, SessionObjectsAreDestroyedWhenTheirSessionCloses) {
  CK_SESSION_HANDLE a = Open(kRw);
  CK_SESSION_HANDLE b = Open(kRo);
  CK_OBJECT_HANDLE o = CreateData(a, /*token=*/false, /*priv=*/false);
  CK_ULONG size = 0;
  ASSERT_THAT(F()->C_GetObjectSize(b, o, &size), CkrIs(CKR_OK));  // visible from b
  ASSERT_THAT(F()->C_CloseSession(a), CkrIs(CKR_OK));
  EXPECT_THAT(F()->C_GetObjectSize(b, o, &size), CkrIs(CKR_OBJECT_HANDLE_INVALID));
  EXPECT_TRUE(FindAll(b).empty());
}

TEST_F(CAbiSessionTest, ReadOnlySessionCanCreateSessionObjectsButNotTokenObjects) {
  CK_SESSION_HANDLE h = Open(kRo);
  CreateData(h, /*token=*/false, /*priv=*/false);
  CK_OBJECT_CLASS cls = CKO_DATA;
  CK_BBOOL t = CK_TRUE;
  CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_TOKEN, &t, sizeof t}};
  CK_OBJECT_HANDLE o;
  EXPECT_THAT(F()->C_CreateObject(h, tmpl, 2, &o), CkrIs(CKR_SESSION_READ_ONLY));
}

TEST_F(CAbiSessionTest, PrivateObjectsAreInvisibleAfterLogout) {
  CK_SESSION_HANDLE h = Open(kRw);
  ASSERT_THAT(LoginUser(h), CkrIs(CKR_OK));
  CK_OBJECT_HANDLE priv_token = CreateData(h, true, true, "private token");
  CK_OBJECT_HANDLE priv_session = CreateData(h, false, true, "private session");
  CK_OBJECT_HANDLE pub = CreateData(h, true, false, "public");
  EXPECT_EQ(FindAll(h).size(), 3u);
  ASSERT_THAT(F()->C_Logout(h), CkrIs(CKR_OK));
  EXPECT_THAT(FindAll(h), ::testing::ElementsAre(pub));
  CK_ULONG size;
  EXPECT_THAT(F()->C_GetObjectSize(h, priv_token, &size), CkrIs(CKR_OBJECT_HANDLE_INVALID));
  EXPECT_THAT(F()->C_GetObjectSize(h, priv_session, &size), CkrIs(CKR_OBJECT_HANDLE_INVALID));
  // Logging in again shows the private token object (under a handle of its own).
  ASSERT_THAT(LoginUser(h), CkrIs(CKR_OK));
  EXPECT_EQ(FindAll(h).size(), 2u);
}

TEST_F(CAbiSessionTest, PrivateObjectCannotBeCreatedWithoutLogin) {
  CK_SESSION_HANDLE h = Open(kRw);
  CK_OBJECT_CLASS cls = CKO_DATA;
  CK_BBOOL t = CK_TRUE;
  CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_PRIVATE, &t, sizeof t}};
  CK_OBJECT_HANDLE o;
  EXPECT_THAT(F()->C_CreateObject(h, tmpl, 2, &o), CkrIs(CKR_USER_NOT_LOGGED_IN));
}

TEST_F(CAbiSessionTest, InitPinNeedsSoSession) {
  CK_SESSION_HANDLE h = Open(kRw);
  EXPECT_THAT(F()->C_InitPIN(h, Pin("new-pin-1"), Len("new-pin-1")), CkrIs(CKR_USER_NOT_LOGGED_IN));
}

TEST_F(CAbiSessionTest, SetPinChangesTheUserPin) {
  CK_SESSION_HANDLE h = Open(kRw);
  ASSERT_THAT(F()->C_SetPIN(h, Pin(kCUserPin), Len(kCUserPin), Pin("changed-1"), Len("changed-1")),
              CkrIs(CKR_OK));
  EXPECT_THAT(LoginUser(h), CkrIs(CKR_PIN_INCORRECT));
  EXPECT_THAT(F()->C_Login(h, CKU_USER, Pin("changed-1"), Len("changed-1")), CkrIs(CKR_OK));
}

TEST_F(CAbiSessionTest, SetPinFailsInReadOnlySession) {
  CK_SESSION_HANDLE h = Open(kRo);
  EXPECT_THAT(F()->C_SetPIN(h, Pin(kCUserPin), Len(kCUserPin), Pin("changed-1"), Len("changed-1")),
              CkrIs(CKR_SESSION_READ_ONLY));
}

TEST_F(CAbiSessionTest, InitTokenFailsWhileSessionsAreOpen) {
  Open(kRo);
  std::string label = Label32("again");
  EXPECT_THAT(F()->C_InitToken(slot_, Pin(kCSoPin), Len(kCSoPin), Pin(label.c_str())),
              CkrIs(CKR_SESSION_EXISTS));
}

TEST_F(CAbiSessionTest, TokenInfoCountsSessions) {
  Open(kRo);
  Open(kRw);
  CK_TOKEN_INFO info{};
  ASSERT_THAT(F()->C_GetTokenInfo(slot_, &info), CkrIs(CKR_OK));
  EXPECT_EQ(info.ulSessionCount, 2u);
  EXPECT_EQ(info.ulRwSessionCount, 1u);
  EXPECT_TRUE(info.flags & CKF_TOKEN_INITIALIZED);
  EXPECT_TRUE(info.flags & CKF_USER_PIN_INITIALIZED);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(info.label), 32), Label32("c-abi"));
}

class CAbiNoUserPinTest : public CAbiTest {
 protected:
  void SetUp() override {
    with_user_pin_ = false;
    CAbiTest::SetUp();
  }
};

TEST_F(CAbiNoUserPinTest, LoginFailsWithUserPinNotInitialized) {
  CK_SESSION_HANDLE h = Open(kRw);
  EXPECT_THAT(LoginUser(h), CkrIs(CKR_USER_PIN_NOT_INITIALIZED));
}

TEST_F(CAbiSessionTest, GetOperationStateWithoutOperationFailsNotInitialized) {
  CK_SESSION_HANDLE h = Open(kRo);
  CK_ULONG len = 0;
  EXPECT_THAT(F()->C_GetOperationState(h, nullptr, &len), CkrIs(CKR_OPERATION_NOT_INITIALIZED));
  EXPECT_THAT(F()->C_GetOperationState(h, nullptr, nullptr), CkrIs(CKR_ARGUMENTS_BAD));
}

TEST_F(CAbiSessionTest, SessionCancelEndsTheFind) {
  CK_SESSION_HANDLE h = Open(kRo);
  ASSERT_THAT(F()->C_FindObjectsInit(h, nullptr, 0), CkrIs(CKR_OK));
  ASSERT_THAT(F()->C_SessionCancel(h, CKF_FIND_OBJECTS), CkrIs(CKR_OK));
  EXPECT_THAT(F()->C_FindObjectsFinal(h), CkrIs(CKR_OPERATION_NOT_INITIALIZED));
}

TEST_F(CAbiSessionTest, LegacyParallelFunctionsReportNotParallel) {
  CK_SESSION_HANDLE h = Open(kRo);
  EXPECT_THAT(F()->C_GetFunctionStatus(h), CkrIs(CKR_FUNCTION_NOT_PARALLEL));
  EXPECT_THAT(F()->C_CancelFunction(h), CkrIs(CKR_FUNCTION_NOT_PARALLEL));
}

}  // namespace
}  // namespace cryptoki::testing
