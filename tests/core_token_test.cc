// Token lifecycle: InitToken, InitPIN, SetPIN, PIN lockout, slots.
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
using ::cryptoki::testing::TestConfig;

Config LockoutConfig(uint32_t max) {
  Config c = TestConfig();
  c.max_pin_failures = max;
  return c;
}

TEST(LibraryTest, FreshLibraryHasOneSlotWithUninitializedToken) {
  auto lib = NewLibrary();
  ASSERT_EQ(lib->Slots().size(), 1u);
  auto t = lib->GetToken(lib->Slots()[0]);
  ASSERT_THAT(t, IsOk());
  EXPECT_FALSE((*t)->initialized());
  EXPECT_EQ((*t)->Info().flags & CKF_TOKEN_INITIALIZED, 0u);
  EXPECT_NE((*t)->Info().flags & CKF_RNG, 0u);
}

TEST(LibraryTest, InitializingTheFreeTokenAddsANewFreeSlotAndKeepsItsId) {
  auto lib = NewLibrary();
  const CK_SLOT_ID first = lib->Slots()[0];
  auto token = InitializedToken(*lib);
  EXPECT_EQ(token->slot_id(), first);
  const auto slots = lib->Slots();
  ASSERT_EQ(slots.size(), 2u);
  EXPECT_EQ(slots[0], first);
  auto fresh = lib->GetToken(slots[1]);
  ASSERT_THAT(fresh, IsOk());
  EXPECT_FALSE((*fresh)->initialized());
  EXPECT_THAT(lib->GetToken(slots[0]), ::testing::Optional(token));
}

TEST(LibraryTest, UnknownSlotIsSlotIdInvalid) {
  auto lib = NewLibrary();
  EXPECT_THAT(lib->GetToken(9999), RvIs(Rv::kSlotIdInvalid));
  EXPECT_THAT(lib->GetSlotInfo(9999), RvIs(Rv::kSlotIdInvalid));
  auto info = lib->GetSlotInfo(lib->Slots()[0]);
  ASSERT_THAT(info, IsOk());
  EXPECT_NE(info->flags & CKF_TOKEN_PRESENT, 0u);
}

TEST(TokenTest, InitTokenSetsLabelFlagsAndPinLimits) {
  auto lib = NewLibrary();
  auto token = InitializedToken(*lib, /*with_user=*/false);
  TokenInfo i = token->Info();
  EXPECT_EQ(i.label, "test token");
  EXPECT_NE(i.flags & CKF_TOKEN_INITIALIZED, 0u);
  EXPECT_NE(i.flags & CKF_LOGIN_REQUIRED, 0u);
  EXPECT_EQ(i.flags & CKF_USER_PIN_INITIALIZED, 0u);
  EXPECT_EQ(i.min_pin_len, 4u);
  EXPECT_EQ(i.max_pin_len, 255u);
  EXPECT_EQ(i.serial.size(), 16u);
}

TEST(TokenTest, InitTokenWithOpenSessionIsSessionExists) {
  auto lib = NewLibrary();
  auto token = InitializedToken(*lib);
  auto s = token->OpenSession(SessionKind::kReadOnly);
  ASSERT_THAT(s, IsOk());
  EXPECT_THAT(token->InitToken(kSoPin, "again"), RvIs(Rv::kSessionExists));
}

TEST(TokenTest, ReinitWithWrongSoPinIsPinIncorrect) {
  auto lib = NewLibrary();
  auto token = InitializedToken(*lib);
  EXPECT_THAT(token->InitToken("not-the-so-pin", "again"), RvIs(Rv::kPinIncorrect));
}

TEST(TokenTest, ReinitWipesObjectsAndUserPin) {
  auto lib = NewLibrary();
  auto token = InitializedToken(*lib);
  {
    auto s = token->OpenSession(SessionKind::kReadWrite);
    ASSERT_THAT(s, IsOk());
    ASSERT_THAT(s->CreateObject({attr::Class{CKO_DATA}, attr::Token{true}}), IsOk());
  }
  ASSERT_THAT(token->InitToken(kSoPin, "fresh"), IsOk());
  EXPECT_EQ(token->Info().label, "fresh");
  EXPECT_EQ(token->Info().flags & CKF_USER_PIN_INITIALIZED, 0u);
  auto s = token->OpenSession(SessionKind::kReadOnly);
  ASSERT_THAT(s, IsOk());
  EXPECT_THAT(s->Find({}), ::testing::Optional(::testing::IsEmpty()));
  EXPECT_EQ(lib->Slots().size(), 2u);  // re-initialising adds no slot
}

TEST(TokenTest, InitTokenRejectsPinOfBadLength) {
  auto lib = NewLibrary();
  auto token = lib->GetToken(lib->Slots()[0]);
  EXPECT_THAT((*token)->InitToken("123", "x"), RvIs(Rv::kPinLenRange));
}

TEST(TokenTest, InitPinNeedsSoInReadWriteSession) {
  auto lib = NewLibrary();
  auto token = InitializedToken(*lib);
  auto s = token->OpenSession(SessionKind::kReadWrite);
  ASSERT_THAT(s, IsOk());
  EXPECT_THAT(s->InitPin("new-user-pin"), RvIs(Rv::kUserNotLoggedIn));
  ASSERT_THAT(s->Login(CKU_USER, kUserPin), IsOk());
  EXPECT_THAT(s->InitPin("new-user-pin"), RvIs(Rv::kUserNotLoggedIn));
  ASSERT_THAT(s->Logout(), IsOk());
  ASSERT_THAT(s->Login(CKU_SO, kSoPin), IsOk());
  EXPECT_THAT(s->InitPin("12"), RvIs(Rv::kPinLenRange));
  EXPECT_THAT(s->InitPin("new-user-pin"), IsOk());
  ASSERT_THAT(s->Logout(), IsOk());
  EXPECT_THAT(s->Login(CKU_USER, kUserPin), RvIs(Rv::kPinIncorrect));
  EXPECT_THAT(s->Login(CKU_USER, "new-user-pin"), IsOk());
}

TEST(TokenTest, SetPinInReadOnlySessionIsSessionReadOnly) {
  auto lib = NewLibrary();
  auto token = InitializedToken(*lib);
  auto s = token->OpenSession(SessionKind::kReadOnly);
  ASSERT_THAT(s, IsOk());
  EXPECT_THAT(s->SetPin(kUserPin, "other-pin"), RvIs(Rv::kSessionReadOnly));
}

TEST(TokenTest, SetPinChangesUserPinInPublicAndUserSessions) {
  auto lib = NewLibrary();
  auto token = InitializedToken(*lib);
  auto s = token->OpenSession(SessionKind::kReadWrite);
  ASSERT_THAT(s, IsOk());
  EXPECT_THAT(s->SetPin("wrong-pin", "second-pin"), RvIs(Rv::kPinIncorrect));
  EXPECT_THAT(s->SetPin(kUserPin, "12"), RvIs(Rv::kPinLenRange));
  ASSERT_THAT(s->SetPin(kUserPin, "second-pin"), IsOk());
  ASSERT_THAT(s->Login(CKU_USER, "second-pin"), IsOk());
  ASSERT_THAT(s->SetPin("second-pin", "third-pin"), IsOk());
  ASSERT_THAT(s->Logout(), IsOk());
  EXPECT_THAT(s->Login(CKU_USER, "second-pin"), RvIs(Rv::kPinIncorrect));
  EXPECT_THAT(s->Login(CKU_USER, "third-pin"), IsOk());
}

TEST(TokenTest, SetPinAsSoChangesSoPin) {
  auto lib = NewLibrary();
  auto token = InitializedToken(*lib);
  auto s = token->OpenSession(SessionKind::kReadWrite);
  ASSERT_THAT(s, IsOk());
  ASSERT_THAT(s->Login(CKU_SO, kSoPin), IsOk());
  ASSERT_THAT(s->SetPin(kSoPin, "new-so-pin"), IsOk());
  ASSERT_THAT(s->Logout(), IsOk());
  EXPECT_THAT(s->Login(CKU_SO, kSoPin), RvIs(Rv::kPinIncorrect));
  EXPECT_THAT(s->Login(CKU_SO, "new-so-pin"), IsOk());
  EXPECT_THAT(s->Login(CKU_USER, kUserPin), RvIs(Rv::kUserAnotherAlreadyLoggedIn));
}

// The user PIN still opens the data key after the SO resets it: objects
// made before stay usable.
TEST(TokenTest, UserPinLocksAfterConfiguredFailuresAndSoUnlocks) {
  auto lib = NewLibrary(LockoutConfig(3));
  auto token = InitializedToken(*lib);
  auto s = token->OpenSession(SessionKind::kReadWrite);
  ASSERT_THAT(s, IsOk());
  EXPECT_THAT(s->Login(CKU_USER, "bad-pin-1"), RvIs(Rv::kPinIncorrect));
  EXPECT_NE(token->Info().flags & CKF_USER_PIN_COUNT_LOW, 0u);
  EXPECT_EQ(token->Info().flags & CKF_USER_PIN_FINAL_TRY, 0u);
  EXPECT_THAT(s->Login(CKU_USER, "bad-pin-2"), RvIs(Rv::kPinIncorrect));
  EXPECT_NE(token->Info().flags & CKF_USER_PIN_FINAL_TRY, 0u);
  EXPECT_THAT(s->Login(CKU_USER, "bad-pin-3"), RvIs(Rv::kPinIncorrect));
  EXPECT_NE(token->Info().flags & CKF_USER_PIN_LOCKED, 0u);
  EXPECT_THAT(s->Login(CKU_USER, kUserPin), RvIs(Rv::kPinLocked));
  EXPECT_THAT(s->SetPin(kUserPin, "other-pin"), RvIs(Rv::kPinLocked));
  ASSERT_THAT(s->Login(CKU_SO, kSoPin), IsOk());
  ASSERT_THAT(s->InitPin("reset-pin"), IsOk());
  ASSERT_THAT(s->Logout(), IsOk());
  EXPECT_EQ(token->Info().flags & (CKF_USER_PIN_LOCKED | CKF_USER_PIN_COUNT_LOW), 0u);
  EXPECT_THAT(s->Login(CKU_USER, "reset-pin"), IsOk());
}

TEST(TokenTest, SuccessfulLoginResetsFailureCount) {
  auto lib = NewLibrary(LockoutConfig(3));
  auto token = InitializedToken(*lib);
  auto s = token->OpenSession(SessionKind::kReadWrite);
  ASSERT_THAT(s, IsOk());
  EXPECT_THAT(s->Login(CKU_USER, "bad-pin-1"), RvIs(Rv::kPinIncorrect));
  EXPECT_THAT(s->Login(CKU_USER, "bad-pin-2"), RvIs(Rv::kPinIncorrect));
  ASSERT_THAT(s->Login(CKU_USER, kUserPin), IsOk());
  EXPECT_EQ(token->Info().flags & CKF_USER_PIN_COUNT_LOW, 0u);
  ASSERT_THAT(s->Logout(), IsOk());
  EXPECT_THAT(s->Login(CKU_USER, "bad-pin-3"), RvIs(Rv::kPinIncorrect));
  EXPECT_THAT(s->Login(CKU_USER, kUserPin), IsOk());
}

TEST(TokenTest, SoPinLocksToo) {
  auto lib = NewLibrary(LockoutConfig(2));
  auto token = InitializedToken(*lib);
  auto s = token->OpenSession(SessionKind::kReadWrite);
  ASSERT_THAT(s, IsOk());
  EXPECT_THAT(s->Login(CKU_SO, "bad-pin-1"), RvIs(Rv::kPinIncorrect));
  EXPECT_NE(token->Info().flags & CKF_SO_PIN_FINAL_TRY, 0u);
  EXPECT_THAT(s->Login(CKU_SO, "bad-pin-2"), RvIs(Rv::kPinIncorrect));
  EXPECT_NE(token->Info().flags & CKF_SO_PIN_LOCKED, 0u);
  EXPECT_THAT(s->Login(CKU_SO, kSoPin), RvIs(Rv::kPinLocked));
  s->Close().value();
  EXPECT_THAT(token->InitToken(kSoPin, "x"), RvIs(Rv::kPinLocked));
}

TEST(TokenTest, UserPinInitializedFlagAfterInitPin) {
  auto lib = NewLibrary();
  auto token = InitializedToken(*lib);
  EXPECT_NE(token->Info().flags & CKF_USER_PIN_INITIALIZED, 0u);
}

}  // namespace
}  // namespace cryptoki
