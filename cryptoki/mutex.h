// mutex.h: Mutex, a reader/writer lock with Abseil's thread-safety
// annotations, over std::shared_mutex (pthread rwlock), and ExclusiveMutex,
// a plain lock over std::mutex (cheaper to take, for state that is only ever
// locked exclusively, such as a session's). ThreadSanitizer models both
// exactly.
//
// Mutex spins a little (try_lock, then a pause) before it blocks: the
// token's lock is held for a microsecond or less at a time (an object added
// or removed, a session opened), and a pthread rwlock that blocks at once
// made two threads creating objects sleep and wake each other on every call
// (EC key generation on 2 threads: 1.3x of one thread, 1.8x with the spin).
// It does not make object creation scale: two threads deriving and
// destroying small keys still get less than one thread alone, the token's
// tables moving between the cores (README, "What is not done yet").
// absl::Mutex spins too, but its contended path cost more than it saved for
// the shortest sections (session open and close).
#ifndef CRYPTOKI_MUTEX_H_
#define CRYPTOKI_MUTEX_H_

#include <atomic>
#include <cstdint>

#include "absl/base/thread_annotations.h"

namespace cryptoki {

namespace internal {
// SpinThen tries |try_lock| a bounded number of times, pausing in between,
// and calls |lock| (which blocks) if every try failed.
template <class Try, class Block>
void SpinThen(Try try_lock, Block lock) {
  for (int i = 0; i < 64; ++i) {
    if (try_lock()) return;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
  lock();
}
}  // namespace internal

class ABSL_LOCKABLE Mutex {
 public:
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    uint32_t free = 0;
    if (!state_.compare_exchange_strong(free, kWriter, std::memory_order_acquire,
                                        std::memory_order_relaxed)) {
      Acquire([](uint32_t s) { return (s & ~kWaiters) == 0; }, kWriter);
    }
  }
  void Unlock() ABSL_UNLOCK_FUNCTION() {
    if (state_.fetch_and(~(kWriter | kWaiters), std::memory_order_release) & kWaiters) {
      state_.notify_all();
    }
  }
  void ReaderLock() ABSL_SHARED_LOCK_FUNCTION() {
    uint32_t s = state_.load(std::memory_order_relaxed);
    if ((s & kWriter) != 0 ||
        !state_.compare_exchange_weak(s, s + kReader, std::memory_order_acquire,
                                      std::memory_order_relaxed)) {
      Acquire([](uint32_t s) { return (s & kWriter) == 0; }, kReader);
    }
  }
  void ReaderUnlock() ABSL_UNLOCK_FUNCTION() {
    // The last reader out wakes the sleepers (writers waiting for it).
    uint32_t s = state_.fetch_sub(kReader, std::memory_order_release) - kReader;
    if (s == kWaiters && state_.compare_exchange_strong(s, 0, std::memory_order_relaxed,
                                                        std::memory_order_relaxed)) {
      state_.notify_all();
    }
  }

 private:
  // state_: bit 0 a writer holds the lock, bit 1 a thread may be asleep
  // waiting for it, the bits above the number of readers holding it.
  static constexpr uint32_t kWriter = 1, kWaiters = 2, kReader = 4;

  // Acquire adds |add| to the state once |free| says it may, spinning
  // first, then sleeping with the waiters bit set (whoever clears it wakes
  // every sleeper, who all try again).
  template <class Free>
  void Acquire(Free free, uint32_t add) {
    auto try_once = [&] {
      uint32_t s = state_.load(std::memory_order_relaxed);
      return free(s) && state_.compare_exchange_weak(s, s + add, std::memory_order_acquire,
                                                     std::memory_order_relaxed);
    };
    internal::SpinThen(try_once, [&] {
      for (;;) {
        uint32_t s = state_.load(std::memory_order_relaxed);
        if (free(s)) {
          if (state_.compare_exchange_weak(s, s + add, std::memory_order_acquire,
                                           std::memory_order_relaxed)) {
            return;
          }
          continue;
        }
        if ((s & kWaiters) == 0 &&
            !state_.compare_exchange_weak(s, s | kWaiters, std::memory_order_relaxed,
                                          std::memory_order_relaxed)) {
          continue;
        }
        state_.wait(s | kWaiters, std::memory_order_relaxed);
      }
    });
  }

  std::atomic<uint32_t> state_{0};
};

// ExclusiveMutex is a plain mutex for short sections that are rarely
// contended (a session's state, a handle table's shard): one compare-and-swap
// to lock and one exchange to unlock when no thread waits, where
// pthread_mutex_lock and unlock spent some fifty instructions a pair
// (callgrind: four pairs per C_EncryptInit + C_Encrypt). A contended lock
// spins briefly, then sleeps in the kernel (std::atomic::wait, a futex).
class ABSL_LOCKABLE ExclusiveMutex {
 public:
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    int free = kFree;
    if (!state_.compare_exchange_strong(free, kLocked, std::memory_order_acquire,
                                        std::memory_order_relaxed)) {
      LockSlow();
    }
  }
  void Unlock() ABSL_UNLOCK_FUNCTION() {
    if (state_.exchange(kFree, std::memory_order_release) == kWaited) state_.notify_one();
  }

 private:
  // kWaited: locked, and a thread may be asleep waiting for it.
  enum : int { kFree = 0, kLocked = 1, kWaited = 2 };

  void LockSlow() {
    internal::SpinThen(
        [this] {
          int free = kFree;
          return state_.compare_exchange_weak(free, kLocked, std::memory_order_acquire,
                                              std::memory_order_relaxed);
        },
        // Once asleep, the lock is taken as kWaited: the unlock that frees
        // it then wakes the next sleeper, who again takes it as kWaited.
        [this] {
          while (state_.exchange(kWaited, std::memory_order_acquire) != kFree) {
            state_.wait(kWaited);
          }
        });
  }

  std::atomic<int> state_{kFree};
};

// MutexLock holds |mu| (a Mutex or an ExclusiveMutex) exclusively for its
// scope.
template <class M>
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(M* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  M* mu_;
};

// ReaderMutexLock holds |mu| shared for its scope.
class ABSL_SCOPED_LOCKABLE ReaderMutexLock {
 public:
  explicit ReaderMutexLock(Mutex* mu) ABSL_SHARED_LOCK_FUNCTION(mu) : mu_(mu) { mu_->ReaderLock(); }
  ~ReaderMutexLock() ABSL_UNLOCK_FUNCTION() { mu_->ReaderUnlock(); }
  ReaderMutexLock(const ReaderMutexLock&) = delete;
  ReaderMutexLock& operator=(const ReaderMutexLock&) = delete;

 private:
  Mutex* mu_;
};

}  // namespace cryptoki

#endif  // CRYPTOKI_MUTEX_H_
