// The locks on the hot paths: ExclusiveMutex (a session's state, the handle
// table's shards), Mutex (the token's reader/writer lock) and
// ShardedSharedMutex (the C library's state). Each test
// makes threads race on a plain counter or flag that only the lock protects:
// a lost update or a torn section fails the assertions, and under TSan
// (these run in the tsan configuration too) any missing happens-before is a
// report.
#include <atomic>
#include <chrono>
#include <shared_mutex>
#include <thread>
#include <vector>

#include "cryptoki/mutex.h"
#include "cryptoki_c/handle_map.h"
#include "cryptoki_c/sharded_mutex.h"
#include "gtest/gtest.h"

namespace cryptoki {
namespace {

constexpr int kThreads = 4;

// SharedLockFor runs |f| with |mu| held shared through SharedLock, the
// C adapter's own guard.
// StartWaiter starts a thread that takes |mu| exclusively and then sets
// |got|, and returns once that thread has been waiting long enough (50 ms)
// to have spun out and gone to sleep in the kernel.
template <class M>
std::thread StartWaiter(M& mu, std::atomic<bool>& got) {
  std::atomic<bool> waiting{false};
  std::thread t([&mu, &got, &waiting] {
    waiting = true;
    MutexLock l(&mu);
    got = true;
  });
  while (!waiting) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  return t;
}

template <class F>
void SharedLockFor(c::ShardedSharedMutex& mu, F f) {
  c::SharedLock l(mu);
  f();
}

TEST(ExclusiveMutexTest, NoUpdateIsLost) {
  ExclusiveMutex mu;
  long counter = 0;  // guarded by mu
  constexpr int kIterations = 100000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIterations; ++i) {
        MutexLock l(&mu);
        ++counter;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter, long{kThreads} * kIterations);
}

TEST(ExclusiveMutexTest, SleepingWaiterIsWoken) {
  // The holder keeps the lock long past the waiter's spin, so the waiter
  // sleeps in the kernel; the unlock must wake it.
  ExclusiveMutex mu;
  std::atomic<bool> got{false};
  mu.Lock();
  std::thread waiter = StartWaiter(mu, got);
  EXPECT_FALSE(got);
  mu.Unlock();
  waiter.join();
  EXPECT_TRUE(got);
}

// Each ShardedSharedMutex test runs with plain reader counts (the writer's
// membarrier orders them; where the kernel lacks it, or under TSan, the lock
// falls back by itself) and with atomic counts everywhere.
class ShardedSharedMutexTest : public testing::TestWithParam<bool> {};
INSTANTIATE_TEST_SUITE_P(Counts, ShardedSharedMutexTest, testing::Values(true, false),
                         [](const testing::TestParamInfo<bool>& i) {
                           return i.param ? "Asymmetric" : "Atomic";
                         });

TEST_P(ShardedSharedMutexTest, ReadersShareWritersExclude) {
  c::ShardedSharedMutex mu(GetParam());
  std::atomic<int> readers_inside{0};
  int value = 0;  // written only under the exclusive lock
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int t = 0; t < kThreads; ++t) {
    readers.emplace_back([&] {
      while (!stop) {
        std::shared_lock<c::ShardedSharedMutex> l(mu);
        readers_inside.fetch_add(1);
        const int v = value;
        EXPECT_EQ(v % 2, 0) << "a reader saw a writer's section half done";
        readers_inside.fetch_sub(1);
      }
    });
  }
  for (int i = 0; i < 200; ++i) {
    std::unique_lock<c::ShardedSharedMutex> l(mu);
    EXPECT_EQ(readers_inside.load(), 0) << "a reader inside the exclusive section";
    ++value;  // odd: a section half done
    ++value;
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(value, 400);
}

TEST_P(ShardedSharedMutexTest, WriterWaitsForALongReader) {
  c::ShardedSharedMutex mu(GetParam());
  std::atomic<bool> reading{false};
  std::atomic<bool> reader_done{false};
  std::thread reader([&] {
    std::shared_lock<c::ShardedSharedMutex> l(mu);
    reading = true;
    // Long enough that the writer runs out of spins and yields, then sleeps.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    reader_done = true;
  });
  while (!reading) std::this_thread::yield();
  {
    std::unique_lock<c::ShardedSharedMutex> l(mu);
    EXPECT_TRUE(reader_done);
  }
  reader.join();
}

TEST_P(ShardedSharedMutexTest, ReaderArrivingDuringAWriterWaitsForIt) {
  c::ShardedSharedMutex mu(GetParam());
  bool written = false;  // guarded by mu
  std::atomic<bool> writer_in{false};
  std::thread writer([&] {
    std::unique_lock<c::ShardedSharedMutex> l(mu);
    writer_in = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    written = true;
  });
  while (!writer_in) std::this_thread::yield();
  {
    std::shared_lock<c::ShardedSharedMutex> l(mu);
    EXPECT_TRUE(written);
  }
  writer.join();
}

TEST_P(ShardedSharedMutexTest, ThreadsPastTheSlotsShareACounter) {
  // More threads than slots: the late ones count in the shared counter. A
  // writer racing them must still exclude every one.
  c::ShardedSharedMutex mu(GetParam());
  constexpr int kMany = static_cast<int>(c::ShardedSharedMutex::kSlots) + 16;
  std::atomic<int> readers_inside{0};
  int value = 0;  // written only under the exclusive lock
  std::atomic<bool> stop{false};
  std::atomic<size_t> highest_shard{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < kMany; ++t) {
    readers.emplace_back([&] {
      size_t seen = highest_shard.load();
      const size_t mine = c::ThreadShard();
      while (mine > seen && !highest_shard.compare_exchange_weak(seen, mine)) {
      }
      do {
        SharedLockFor(mu, [&] {
          readers_inside.fetch_add(1);
          EXPECT_EQ(value % 2, 0) << "a reader saw a writer's section half done";
          readers_inside.fetch_sub(1);
        });
      } while (!stop);
    });
  }
  for (int i = 0; i < 100; ++i) {
    std::unique_lock<c::ShardedSharedMutex> l(mu);
    EXPECT_EQ(readers_inside.load(), 0) << "a reader inside the exclusive section";
    ++value;
    ++value;
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(value, 200);
  EXPECT_GE(highest_shard.load(), c::ShardedSharedMutex::kSlots) << "no thread past the slots";
}

TEST(ShardedSharedMutexModeTest, PlainCountsWhereTheKernelHasMembarrier) {
  // On this machine's kernel (membarrier since Linux 4.14) the default lock
  // counts readers with plain stores; asking for atomic counts gets them.
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "ThreadSanitizer does not model membarrier: always atomic";
#else
  EXPECT_TRUE(c::ShardedSharedMutex().asymmetric());
#endif
  EXPECT_FALSE(c::ShardedSharedMutex(false).asymmetric());
}

// Mutex is the token's reader/writer lock.
TEST(MutexTest, ReadersShareWritersExclude) {
  Mutex mu;
  std::atomic<int> readers_inside{0};
  long value = 0;  // written only under the exclusive lock
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20000; ++i) {
        if ((i + t) % 4 == 0) {
          MutexLock l(&mu);
          EXPECT_EQ(readers_inside.load(), 0) << "a reader inside the exclusive section";
          ++value;
          ++value;
        } else {
          ReaderMutexLock l(&mu);
          readers_inside.fetch_add(1);
          EXPECT_EQ(value % 2, 0) << "a reader saw a writer's section half done";
          readers_inside.fetch_sub(1);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(value, 2L * kThreads * 20000 / 4);
}

TEST(MutexTest, ReadersHoldTogether) {
  // Two readers inside at once: the second does not wait for the first.
  Mutex mu;
  ReaderMutexLock outer(&mu);
  std::atomic<bool> in{false};
  std::thread other([&] {
    ReaderMutexLock l(&mu);
    in = true;
  });
  other.join();
  EXPECT_TRUE(in);
}

TEST(MutexTest, SleepingWriterIsWokenByTheLastReader) {
  Mutex mu;
  std::atomic<bool> got{false};
  mu.ReaderLock();
  mu.ReaderLock();  // two holds: the first release must not wake it in
  std::thread writer = StartWaiter(mu, got);
  mu.ReaderUnlock();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(got);
  mu.ReaderUnlock();
  writer.join();
  EXPECT_TRUE(got);
}

TEST(MutexTest, SleepingReadersAndWritersAreWokenByTheWriter) {
  Mutex mu;
  std::atomic<int> started{0};
  std::atomic<int> done{0};
  mu.Lock();
  std::vector<std::thread> waiters;
  for (int t = 0; t < kThreads; ++t) {
    waiters.emplace_back([&, t] {
      started.fetch_add(1);
      if (t % 2 == 0) {
        ReaderMutexLock l(&mu);
        done.fetch_add(1);
      } else {
        MutexLock l(&mu);
        done.fetch_add(1);
      }
    });
  }
  while (started.load() < kThreads) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(done.load(), 0);
  mu.Unlock();
  for (auto& t : waiters) t.join();
  EXPECT_EQ(done.load(), kThreads);
}

TEST(MutexTest, ReaderMayReenterWhileAWriterWaits) {
  // Readers go ahead of waiting writers, so a thread that takes the read
  // side again while a writer waits does not deadlock.
  Mutex mu;
  std::atomic<bool> writer_waiting{false};
  mu.ReaderLock();
  std::thread writer([&] {
    writer_waiting = true;
    MutexLock l(&mu);
  });
  while (!writer_waiting) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  { ReaderMutexLock again(&mu); }
  mu.ReaderUnlock();
  writer.join();
}

TEST(ThreadShardTest, FixedPerThreadAndDistinctAcrossThreads) {
  const size_t mine = c::ThreadShard();
  EXPECT_EQ(c::ThreadShard(), mine);
  size_t other = mine;
  std::thread([&] { other = c::ThreadShard(); }).join();
  EXPECT_NE(other, mine);
}

TEST(HandleMapTest, GetRemoveRaceKeepsObjectsAlive) {
  // Readers hold what Get returned while the handle is removed under them:
  // the object must stay valid until they drop it.
  struct Value {
    explicit Value(int v) : v(v) {}
    ~Value() { v = -1; }
    int v;
  };
  c::HandleMap<Value> map;
  constexpr int kHandles = 2000;
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      while (!stop) {
        for (CK_ULONG h = 1; h <= kHandles; ++h) {
          if (auto v = map.Get(h)) EXPECT_EQ(v->v, static_cast<int>(h));
        }
      }
    });
  }
  for (CK_ULONG h = 1; h <= kHandles; ++h) ASSERT_TRUE(map.Add(h, std::make_shared<Value>(h)));
  EXPECT_FALSE(map.Add(1, std::make_shared<Value>(1)));
  EXPECT_FALSE(map.Add(CK_INVALID_HANDLE, std::make_shared<Value>(0)));
  for (CK_ULONG h = 1; h <= kHandles; h += 2) EXPECT_NE(map.Remove(h), nullptr);
  EXPECT_EQ(map.Remove(1), nullptr);
  EXPECT_EQ(map.size(), size_t{kHandles / 2});
  auto even = map.RemoveIf([](const Value& v) { return v.v % 2 == 0; });
  EXPECT_EQ(even.size(), size_t{kHandles / 2});
  EXPECT_EQ(map.size(), 0u);
  stop = true;
  for (auto& t : readers) t.join();
}

}  // namespace
}  // namespace cryptoki
