// The locks on the hot paths: ExclusiveMutex (a session's state, the handle
// table's shards) and ShardedSharedMutex (the C library's state). Each test
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
  std::atomic<bool> waiting{false};
  std::atomic<bool> got{false};
  mu.Lock();
  std::thread waiter([&] {
    waiting = true;
    MutexLock l(&mu);
    got = true;
  });
  while (!waiting) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(got);
  mu.Unlock();
  waiter.join();
  EXPECT_TRUE(got);
}

TEST(ShardedSharedMutexTest, ReadersShareWritersExclude) {
  c::ShardedSharedMutex mu;
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

TEST(ShardedSharedMutexTest, WriterWaitsForALongReader) {
  c::ShardedSharedMutex mu;
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

TEST(ShardedSharedMutexTest, ReaderArrivingDuringAWriterWaitsForIt) {
  c::ShardedSharedMutex mu;
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
