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
#include <shared_mutex>

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
    internal::SpinThen([this] { return m_.try_lock(); }, [this] { m_.lock(); });
  }
  void Unlock() ABSL_UNLOCK_FUNCTION() { m_.unlock(); }
  void ReaderLock() ABSL_SHARED_LOCK_FUNCTION() {
    internal::SpinThen([this] { return m_.try_lock_shared(); }, [this] { m_.lock_shared(); });
  }
  void ReaderUnlock() ABSL_UNLOCK_FUNCTION() { m_.unlock_shared(); }

 private:
  std::shared_mutex m_;
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
