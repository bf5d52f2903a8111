// Many threads, many sessions, one token: open, log in and out, create,
// find, read, change, destroy and close at once. Every call must end with a
// code the rules allow; run under --config=tsan to check the locking.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

#include "cryptoki/cryptoki.h"
#include "tests/test_util.h"

namespace cryptoki {
namespace {

using ::cryptoki::testing::InitializedToken;
using ::cryptoki::testing::kUserPin;
using ::cryptoki::testing::NewLibrary;

bool OneOf(Rv rv, std::initializer_list<Rv> allowed) {
  for (Rv a : allowed)
    if (rv == a) return true;
  return false;
}

template <class T>
Rv RvOf(const Result<T>& r) {
  return r.has_value() ? Rv::kOk : r.error();
}

TEST(StressTest, ThreadsOpenLoginCreateFindDestroyAndCloseAtOnce) {
  auto lib = NewLibrary();
  auto token = InitializedToken(*lib);
  constexpr int kThreads = 8;
  constexpr int kRounds = 300;
  std::atomic<int> unexpected{0};
  std::atomic<int> created{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      // Another thread's CloseAllSessions may close this session at any point.
      auto check = [&](Rv rv, std::initializer_list<Rv> allowed, const char* what) {
        if (!OneOf(rv, allowed) && rv != Rv::kSessionHandleInvalid) {
          ++unexpected;
          ADD_FAILURE() << what << " returned " << to_string(rv);
        }
      };
      for (int round = 0; round < kRounds; ++round) {
        auto s = token->OpenSession(rng() % 2 ? SessionKind::kReadWrite : SessionKind::kReadOnly);
        if (!s) {
          ++unexpected;
          ADD_FAILURE() << "OpenSession returned " << to_string(s.error());
        }
        if (!s) continue;
        switch (rng() % 4) {
          case 0:
            check(RvOf(s->Login(CKU_USER, kUserPin)), {Rv::kOk, Rv::kUserAlreadyLoggedIn}, "Login");
            break;
          case 1:
            check(RvOf(s->Logout()), {Rv::kOk, Rv::kUserNotLoggedIn}, "Logout");
            break;
          default:
            break;
        }
        const bool priv = rng() % 2;
        auto h = s->CreateObject({attr::Class{CKO_DATA}, attr::Private{priv},
                                  attr::Token{rng() % 3 == 0},
                                  attr::Label{"stress-" + std::to_string(t)}});
        check(RvOf(h), {Rv::kOk, Rv::kUserNotLoggedIn, Rv::kSessionReadOnly}, "CreateObject");
        if (h) ++created;
        auto found = s->Find({attr::Label{"stress-" + std::to_string(t)}});
        check(RvOf(found), {Rv::kOk}, "Find");
        if (found) {
          for (ObjectHandle f : *found) {
            // Another thread's logout or close may pull an object away.
            check(RvOf(s->Get<attr::Label>(f)), {Rv::kOk, Rv::kObjectHandleInvalid}, "Get");
            check(RvOf(s->SetAttributes(f, {attr::Application{"x"}})),
                  {Rv::kOk, Rv::kObjectHandleInvalid, Rv::kSessionReadOnly}, "SetAttributes");
            if (rng() % 2) {
              check(RvOf(s->DestroyObject(f)),
                    {Rv::kOk, Rv::kObjectHandleInvalid, Rv::kSessionReadOnly}, "DestroyObject");
            }
          }
        }
        check(RvOf(s->Info()), {Rv::kOk}, "Info");
        if (rng() % 50 == 0) token->CloseAllSessions();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(unexpected.load(), 0);
  EXPECT_GT(created.load(), kThreads * kRounds / 4);
  // Every session is gone, and with them the login.
  EXPECT_EQ(token->Info().session_count, 0u);
  EXPECT_EQ(token->login_state(), LoginState::kPublic);
}

}  // namespace
}  // namespace cryptoki
