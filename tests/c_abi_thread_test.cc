// Threads through the C ABI: C_CloseSession racing operations on the same
// session, sessions opened and closed concurrently, C_Finalize releasing a
// blocked C_WaitForSlotEvent. Run under --config=tsan too.
#include <atomic>
#include <set>
#include <thread>

#include "tests/c_abi_test_util.h"

namespace cryptoki::testing {
namespace {

class CAbiThreadTest : public CAbiTest {};

TEST_F(CAbiThreadTest, CloseSessionRacingOperationsNeverCrashes) {
  constexpr int kRounds = 50;
  constexpr int kWorkers = 3;
  for (int round = 0; round < kRounds; ++round) {
    CK_SESSION_HANDLE h = Open();
    std::atomic<bool> go{false};
    std::atomic<int> bad{0};
    std::vector<std::thread> workers;
    for (int w = 0; w < kWorkers; ++w) {
      workers.emplace_back([&, w] {
        while (!go.load()) std::this_thread::yield();
        for (int i = 0; i < 20; ++i) {
          CK_RV rv;
          if (w == 0) {
            CK_BYTE buf[32];
            rv = F()->C_GenerateRandom(h, buf, sizeof buf);
          } else if (w == 1) {
            CK_MECHANISM m{CKM_SHA256, nullptr, 0};
            rv = F()->C_DigestInit(h, &m);
            if (rv == CKR_OK) {
              CK_BYTE d[32];
              CK_ULONG len = sizeof d;
              rv = F()->C_Digest(h, d, sizeof d, d, &len);
              if (rv == CKR_OPERATION_NOT_INITIALIZED) rv = CKR_OK;  // closed in between
            }
          } else {
            rv = F()->C_FindObjectsInit(h, nullptr, 0);
            if (rv == CKR_OK || rv == CKR_OPERATION_ACTIVE) rv = F()->C_FindObjectsFinal(h);
            if (rv == CKR_OPERATION_NOT_INITIALIZED) rv = CKR_OK;
          }
          if (rv != CKR_OK && rv != CKR_SESSION_HANDLE_INVALID) bad.fetch_add(1);
        }
      });
    }
    go.store(true);
    std::this_thread::yield();
    EXPECT_THAT(F()->C_CloseSession(h), CkrIs(CKR_OK));
    for (auto& t : workers) t.join();
    EXPECT_EQ(bad.load(), 0);
    CK_SESSION_INFO info;
    EXPECT_THAT(F()->C_GetSessionInfo(h, &info), CkrIs(CKR_SESSION_HANDLE_INVALID));
  }
}

TEST_F(CAbiThreadTest, ConcurrentOpenAndCloseHandOutDistinctHandles) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100;
  std::vector<std::vector<CK_SESSION_HANDLE>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
        if (F()->C_OpenSession(slot_, CKF_SERIAL_SESSION, nullptr, nullptr, &h) != CKR_OK) continue;
        seen[t].push_back(h);
        if (i % 2 == 0) (void)F()->C_CloseSession(h);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<CK_SESSION_HANDLE> all;
  size_t total = 0;
  for (const auto& v : seen) {
    total += v.size();
    all.insert(v.begin(), v.end());
  }
  EXPECT_EQ(total, size_t{kThreads * kPerThread});
  EXPECT_EQ(all.size(), total);
  EXPECT_EQ(all.count(CK_INVALID_HANDLE), 0u);
  EXPECT_THAT(F()->C_CloseAllSessions(slot_), CkrIs(CKR_OK));
}

TEST_F(CAbiThreadTest, LoginStateIsSharedAcrossThreads) {
  CK_SESSION_HANDLE a = Open();
  CK_SESSION_HANDLE b = Open();
  std::thread t([&] { EXPECT_THAT(LoginUser(a), CkrIs(CKR_OK)); });
  t.join();
  EXPECT_EQ(State(b), CKS_RW_USER_FUNCTIONS);
}

TEST(CAbiWaitTest, FinalizeReleasesABlockedWaitForSlotEvent) {
  CK_C_INITIALIZE_ARGS a = InitArgs();
  ASSERT_THAT(F()->C_Initialize(&a), CkrIs(CKR_OK));
  std::atomic<CK_RV> got{CKR_OK};
  std::thread waiter([&] {
    CK_SLOT_ID slot;
    got = F()->C_WaitForSlotEvent(0, &slot, nullptr);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_THAT(F()->C_Finalize(nullptr), CkrIs(CKR_OK));
  waiter.join();
  EXPECT_THAT(got.load(), CkrIs(CKR_CRYPTOKI_NOT_INITIALIZED));
}

}  // namespace
}  // namespace cryptoki::testing
