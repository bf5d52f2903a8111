// sharded_mutex.h: ShardedSharedMutex, a reader/writer lock whose readers on
// different threads touch different cache lines.
//
// Every C call takes the library's lock shared (C_Initialize / C_Finalize
// take it exclusively). With one std::shared_mutex, each shared lock and
// unlock is an atomic read-modify-write of the same word, which two cores
// then pass back and forth on every call: measurable on small operations
// run from several threads. Here a reader locks only its thread's shard; a
// writer locks every shard, in order. Built on std::shared_mutex, so
// ThreadSanitizer models it exactly.
#ifndef CRYPTOKI_C_SHARDED_MUTEX_H_
#define CRYPTOKI_C_SHARDED_MUTEX_H_

#include <atomic>
#include <cstddef>
#include <shared_mutex>

namespace cryptoki::c {

// ThreadShard returns a small number fixed for the calling thread; threads
// get consecutive numbers in the order they first ask.
inline size_t ThreadShard() {
  static std::atomic<size_t> next{0};
  thread_local const size_t mine = next.fetch_add(1, std::memory_order_relaxed);
  return mine;
}

class ShardedSharedMutex {
 public:
  static constexpr size_t kShards = 16;

  void lock_shared() { shards_[ThreadShard() % kShards].mu.lock_shared(); }
  void unlock_shared() { shards_[ThreadShard() % kShards].mu.unlock_shared(); }
  void lock() {
    for (Shard& s : shards_) s.mu.lock();
  }
  void unlock() {
    for (size_t i = kShards; i-- > 0;) shards_[i].mu.unlock();
  }

 private:
  struct alignas(64) Shard {
    std::shared_mutex mu;
  };
  Shard shards_[kShards];
};

}  // namespace cryptoki::c

#endif  // CRYPTOKI_C_SHARDED_MUTEX_H_
