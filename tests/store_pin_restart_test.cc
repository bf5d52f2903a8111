// PIN state is durable (issue 7, proof (d)): with the file store, every step
// below runs in a fresh Library over the same token directory, as after a
// restart of the application. A changed PIN stays changed; wrong PINs are
// counted across restarts (CKF_*_PIN_COUNT_LOW, CKF_*_PIN_FINAL_TRY,
// CKF_*_PIN_LOCKED in the token info); a lockout survives a restart; the
// SO's C_InitPIN, which unlocks the user, survives one too.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "cryptoki/cryptoki.h"
#include "tests/temp_dir.h"
#include "tests/test_util.h"

namespace cryptoki {
namespace {

using ::cryptoki::test_support::TempDir;
using ::cryptoki::testing::IsOk;
using ::cryptoki::testing::kSoPin;
using ::cryptoki::testing::kUserPin;
using ::cryptoki::testing::RvIs;

constexpr CK_FLAGS kUserPinFlags =
    CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED;
constexpr CK_FLAGS kSoPinFlags = CKF_SO_PIN_COUNT_LOW | CKF_SO_PIN_FINAL_TRY | CKF_SO_PIN_LOCKED;
constexpr CK_SLOT_ID kSlot = 0;

// Role is one PIN: who logs in with it, its right value, and its flags.
struct Role {
  CK_USER_TYPE user;
  const char* pin;
  CK_FLAGS count_low, final_try, locked;
  CK_FLAGS all() const { return count_low | final_try | locked; }
};
constexpr Role kUser{CKU_USER, kUserPin, CKF_USER_PIN_COUNT_LOW, CKF_USER_PIN_FINAL_TRY,
                     CKF_USER_PIN_LOCKED};
constexpr Role kSo{CKU_SO, kSoPin, CKF_SO_PIN_COUNT_LOW, CKF_SO_PIN_FINAL_TRY, CKF_SO_PIN_LOCKED};

class PinRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    // Three tries: the first failure sets COUNT_LOW, the second FINAL_TRY,
    // the third locks.
    auto config = ParseConfig(
        "directories.tokendir = " + dir_.path() + "\npin.kdf_log2n = 1\npin.max_failures = 3\n",
        "test");
    ASSERT_TRUE(config.has_value()) << config.error().message;
    config_ = *config;
    auto lib = Restart();
    ASSERT_NE(lib, nullptr);
    auto token = lib->GetToken(kSlot);
    ASSERT_TRUE(token.has_value());
    ASSERT_THAT((*token)->InitToken(kSoPin, "restart"), IsOk());
    auto s = (*token)->OpenSession(SessionKind::kReadWrite);
    ASSERT_TRUE(s.has_value());
    ASSERT_THAT(s->Login(CKU_SO, kSoPin), IsOk());
    ASSERT_THAT(s->InitPin(kUserPin), IsOk());
  }

  // Restart returns a new Library over the token directory (null on error).
  std::unique_ptr<Library> Restart() {
    auto lib = Library::Create(config_);
    return lib.has_value() ? std::move(*lib) : nullptr;
  }

  // Restarted is a fresh Library, its token and an RW session on it.
  struct Restarted {
    std::unique_ptr<Library> lib;
    std::shared_ptr<Token> token;
    std::optional<Session> session;  // empty if anything failed
  };
  Restarted RestartWithSession() {
    Restarted r;
    r.lib = Restart();
    if (r.lib == nullptr) return r;
    auto token = r.lib->GetToken(kSlot);
    if (!token) return r;
    r.token = *token;
    auto s = r.token->OpenSession(SessionKind::kReadWrite);
    if (s) r.session.emplace(std::move(*s));
    return r;
  }

  // LoginAfterRestart logs |user| in with |pin| in a new RW session of a
  // fresh Library and returns the outcome.
  Result<> LoginAfterRestart(CK_USER_TYPE user, std::string_view pin) {
    Restarted r = RestartWithSession();
    if (!r.session) return Fail(Rv::kGeneralError);
    return r.session->Login(user, pin);
  }

  // FlagsAfterRestart returns the token info flags a fresh Library reports,
  // masked to |mask|.
  CK_FLAGS FlagsAfterRestart(CK_FLAGS mask) {
    auto lib = Restart();
    if (lib == nullptr) return ~CK_FLAGS{0};
    auto token = lib->GetToken(kSlot);
    if (!token) return ~CK_FLAGS{0};
    return (*token)->Info().flags & mask;
  }

  // FailToLockout tries three wrong PINs for |role|, each in a fresh
  // Library, checking the flags a fresh Library reports after each; then the
  // right PIN, which the lock refuses (twice, without changing the flags).
  void FailToLockout(const Role& role) {
    EXPECT_EQ(FlagsAfterRestart(role.all()), 0u);
    EXPECT_THAT(LoginAfterRestart(role.user, "wrong-1"), RvIs(Rv::kPinIncorrect));
    EXPECT_EQ(FlagsAfterRestart(role.all()), role.count_low);
    EXPECT_THAT(LoginAfterRestart(role.user, "wrong-2"), RvIs(Rv::kPinIncorrect));
    EXPECT_EQ(FlagsAfterRestart(role.all()), role.count_low | role.final_try);
    EXPECT_THAT(LoginAfterRestart(role.user, "wrong-3"), RvIs(Rv::kPinIncorrect));
    EXPECT_EQ(FlagsAfterRestart(role.all()), role.locked);
    EXPECT_THAT(LoginAfterRestart(role.user, role.pin), RvIs(Rv::kPinLocked));
    EXPECT_THAT(LoginAfterRestart(role.user, role.pin), RvIs(Rv::kPinLocked));
    EXPECT_EQ(FlagsAfterRestart(role.all()), role.locked);
  }

  TempDir dir_{"pin_restart"};
  Config config_;
};

TEST_F(PinRestartTest, ChangedUserPinSurvivesRestart) {
  {
    Restarted r = RestartWithSession();
    ASSERT_TRUE(r.session.has_value());
    Session& s = *r.session;
    ASSERT_THAT(s.Login(CKU_USER, kUserPin), IsOk());
    // A private object sealed under the token data key, which the PIN
    // change must keep reachable.
    ASSERT_THAT(
        s.CreateObject({attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_AES}, attr::Token{true},
                        attr::Private{true}, attr::Label{"kept"}, attr::Value{Bytes(32, 7)}}),
        IsOk());
    ASSERT_THAT(s.SetPin(kUserPin, "new-user-pin"), IsOk());
  }
  EXPECT_THAT(LoginAfterRestart(CKU_USER, kUserPin), RvIs(Rv::kPinIncorrect));
  EXPECT_THAT(LoginAfterRestart(CKU_USER, "new-user-pin"), IsOk());

  auto lib = Restart();
  ASSERT_NE(lib, nullptr);
  ASSERT_OK_AND_ASSIGN(auto token, lib->GetToken(kSlot));
  ASSERT_OK_AND_ASSIGN(Session s, token->OpenSession(SessionKind::kReadOnly));
  ASSERT_THAT(s.Login(CKU_USER, "new-user-pin"), IsOk());
  ASSERT_OK_AND_ASSIGN(auto found, s.Find({attr::Label{"kept"}}));
  EXPECT_EQ(found.size(), 1u);
  // The successful login cleared the failure the old PIN cost.
  EXPECT_EQ(token->Info().flags & kUserPinFlags, 0u);
}

TEST_F(PinRestartTest, ChangedSoPinSurvivesRestart) {
  {
    Restarted r = RestartWithSession();
    ASSERT_TRUE(r.session.has_value());
    Session& s = *r.session;
    ASSERT_THAT(s.Login(CKU_SO, kSoPin), IsOk());
    ASSERT_THAT(s.SetPin(kSoPin, "new-so-pin"), IsOk());
  }
  EXPECT_THAT(LoginAfterRestart(CKU_SO, kSoPin), RvIs(Rv::kPinIncorrect));
  EXPECT_THAT(LoginAfterRestart(CKU_SO, "new-so-pin"), IsOk());
  // The user PIN is untouched.
  EXPECT_THAT(LoginAfterRestart(CKU_USER, kUserPin), IsOk());
}

TEST_F(PinRestartTest, UserFailuresCountAcrossRestartsAndLockoutSurvives) {
  FailToLockout(kUser);
  // The SO's counter is separate.
  EXPECT_EQ(FlagsAfterRestart(kSoPinFlags), 0u);
  EXPECT_THAT(LoginAfterRestart(CKU_SO, kSoPin), IsOk());
}

TEST_F(PinRestartTest, SuccessfulLoginResetsTheCountAcrossRestarts) {
  EXPECT_THAT(LoginAfterRestart(CKU_USER, "wrong-1"), RvIs(Rv::kPinIncorrect));
  EXPECT_THAT(LoginAfterRestart(CKU_USER, "wrong-2"), RvIs(Rv::kPinIncorrect));
  EXPECT_EQ(FlagsAfterRestart(kUserPinFlags), CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY);
  EXPECT_THAT(LoginAfterRestart(CKU_USER, kUserPin), IsOk());
  EXPECT_EQ(FlagsAfterRestart(kUserPinFlags), 0u);
  // A full count of tries again before the lock.
  EXPECT_THAT(LoginAfterRestart(CKU_USER, "wrong-3"), RvIs(Rv::kPinIncorrect));
  EXPECT_THAT(LoginAfterRestart(CKU_USER, "wrong-4"), RvIs(Rv::kPinIncorrect));
  EXPECT_THAT(LoginAfterRestart(CKU_USER, kUserPin), IsOk());
}

TEST_F(PinRestartTest, SoInitPinUnlocksTheUserAcrossRestarts) {
  FailToLockout(kUser);
  {
    Restarted r = RestartWithSession();
    ASSERT_TRUE(r.session.has_value());
    Session& s = *r.session;
    ASSERT_THAT(s.Login(CKU_SO, kSoPin), IsOk());
    ASSERT_THAT(s.InitPin("unlocked-pin"), IsOk());
  }
  EXPECT_EQ(FlagsAfterRestart(kUserPinFlags | CKF_USER_PIN_INITIALIZED), CKF_USER_PIN_INITIALIZED);
  EXPECT_THAT(LoginAfterRestart(CKU_USER, kUserPin), RvIs(Rv::kPinIncorrect));
  EXPECT_THAT(LoginAfterRestart(CKU_USER, "unlocked-pin"), IsOk());
  EXPECT_EQ(FlagsAfterRestart(kUserPinFlags), 0u);
}

TEST_F(PinRestartTest, SoFailuresCountAcrossRestartsAndLockoutSurvives) {
  FailToLockout(kSo);
  // C_InitToken checks the SO PIN too: a locked SO cannot re-initialise.
  {
    auto lib = Restart();
    ASSERT_NE(lib, nullptr);
    ASSERT_OK_AND_ASSIGN(auto token, lib->GetToken(kSlot));
    EXPECT_THAT(token->InitToken(kSoPin, "again"), RvIs(Rv::kPinLocked));
  }
  // The user is unaffected.
  EXPECT_EQ(FlagsAfterRestart(kUserPinFlags), 0u);
  EXPECT_THAT(LoginAfterRestart(CKU_USER, kUserPin), IsOk());
}

TEST_F(PinRestartTest, SetPinWithWrongOldPinCountsAcrossRestarts) {
  {
    Restarted r = RestartWithSession();
    ASSERT_TRUE(r.session.has_value());
    Session& s = *r.session;
    // Nobody logged in: C_SetPIN changes the user's PIN, and a wrong old
    // PIN is a failed try like a failed login.
    EXPECT_THAT(s.SetPin("wrong-old", "new-user-pin"), RvIs(Rv::kPinIncorrect));
  }
  EXPECT_EQ(FlagsAfterRestart(kUserPinFlags), CKF_USER_PIN_COUNT_LOW);
  EXPECT_THAT(LoginAfterRestart(CKU_USER, "new-user-pin"), RvIs(Rv::kPinIncorrect));
  EXPECT_THAT(LoginAfterRestart(CKU_USER, kUserPin), IsOk());
}

}  // namespace
}  // namespace cryptoki
