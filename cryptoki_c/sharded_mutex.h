// sharded_mutex.h: ShardedSharedMutex, a reader/writer lock whose readers on
// different threads touch different cache lines, and whose read side, on a
// kernel with membarrier(2), costs no atomic read-modify-write at all.
//
// Every C call takes the library's lock shared; only C_Initialize and
// C_Finalize take it exclusively. With one std::shared_mutex, each shared
// lock and unlock is an atomic read-modify-write of the same word, which two
// cores then pass back and forth on every call; a pthread rwlock per thread
// shard fixed that but still spent about a hundred instructions per call on
// lock and unlock (callgrind, C_EncryptInit + C_Encrypt). Here a reader
// counts itself in its thread's slot and checks that no writer is there; a
// writer announces itself, then waits for every slot to empty. The read
// side never blocks unless a writer is in (or waiting): readers then wait on
// the writer's mutex, so they sleep while C_Initialize runs.
//
// The count and the check are a store followed by a load, which the CPU may
// reorder; the classic fix is a locked instruction on each side (a
// read-modify-write each for lock and unlock, some 4-5 ns each here, a
// quarter of a C_OpenSession + C_CloseSession pair's cost). Since writers
// are rare, the barrier is moved to them instead: a thread's own slot (the
// first kSlots threads have one each) is counted with plain stores, and the
// writer, after raising its flag, has the kernel run a full barrier on every
// thread of the process (membarrier(2), MEMBARRIER_CMD_PRIVATE_EXPEDITED)
// before it reads the slots. Either the reader's count reached memory before
// that barrier, and the writer sees it, or the reader's check came after
// it, and the reader sees the flag. Threads past the first kSlots share one
// counter with atomic operations; without membarrier (an old kernel, a
// sandbox that refuses it) and under ThreadSanitizer (which does not model
// it) every count is atomic.
//
// A thread must not take the lock shared twice (a writer arriving in between
// would wait for the outer hold while the inner one waits for it); no C entry
// point calls another.
#ifndef CRYPTOKI_C_SHARDED_MUTEX_H_
#define CRYPTOKI_C_SHARDED_MUTEX_H_

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace cryptoki::c {

// ThreadShard returns a small number fixed for the calling thread; threads
// get consecutive numbers in the order they first ask. Its thread-local is
// constant-initialised (no guard variable, no destructor to register), so
// each use is one __tls_get_addr call. (Declared initial-exec, together
// with another initial-exec thread-local in bridge.cc, it read back that
// variable's value in the test build, and the C ABI tests hung on a reader
// count left behind; the cause was not pinned down, so neither is.)
inline size_t ThreadShard() {
  static constexpr size_t kUnset = ~size_t{0};
  static std::atomic<size_t> next{0};
  static thread_local size_t mine = kUnset;
  if (mine == kUnset) mine = next.fetch_add(1, std::memory_order_relaxed);
  return mine;
}

namespace internal {

// Membarrier runs membarrier(2)'s |cmd|; 0 on success.
inline long Membarrier(int cmd) { return syscall(SYS_membarrier, cmd, 0, 0); }

// CanUseHeavyBarrier says whether HeavyBarrier works here, registering the
// process for expedited barriers (once per process; idempotent).
inline bool CanUseHeavyBarrier() {
#if defined(__SANITIZE_THREAD__)
  return false;
#else
  const long cmds = Membarrier(MEMBARRIER_CMD_QUERY);
  const long needed = MEMBARRIER_CMD_PRIVATE_EXPEDITED | MEMBARRIER_CMD_GLOBAL;
  return cmds >= 0 && (cmds & needed) == needed &&
         Membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
#endif
}

// HeavyBarrier makes every running thread of the process execute a full
// memory barrier before it returns. The expedited command needs the
// registration, which a forked child may lack: it registers again, and
// falls back to the global command (slower: it waits for every CPU to
// schedule) if that fails too.
inline void HeavyBarrier() {
  if (Membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0) return;
  if (Membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0 &&
      Membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0) {
    return;
  }
  if (Membarrier(MEMBARRIER_CMD_GLOBAL) == 0) return;
  std::abort();  // the kernel took the barrier back: the lock cannot be kept
}

}  // namespace internal

class ShardedSharedMutex {
 public:
  static constexpr size_t kSlots = 64;

  // |asymmetric| false forces atomic counts everywhere (tests use it to
  // run both ways); otherwise they are plain where membarrier works.
  explicit ShardedSharedMutex(bool asymmetric = true)
      : asymmetric_(asymmetric && internal::CanUseHeavyBarrier()) {}

  bool asymmetric() const { return asymmetric_; }

  // Hold is a shared hold: the counter it counts in, and how.
  struct Hold {
    std::atomic<long>* readers;
    bool plain;  // the thread's own slot, counted with plain stores
  };

  // LockShared takes the lock shared; UnlockShared(hold) releases it (the
  // thread's slot is found once per hold). lock_shared / unlock_shared are
  // the same for std::shared_lock.
  Hold LockShared() {
    const Hold h = ThreadHold();
    for (;;) {
      if (h.plain) {
        // Only this thread writes its slot. The signal fence keeps the
        // compiler from moving the check above the count; the CPU's
        // reordering is the writer's barrier's business.
        h.readers->store(h.readers->load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        std::atomic_signal_fence(std::memory_order_seq_cst);
        if (!writer_.load(std::memory_order_acquire)) return h;
      } else {
        // seq_cst on both sides: either this reader sees the writer's flag,
        // or the writer sees this reader's count.
        h.readers->fetch_add(1, std::memory_order_seq_cst);
        if (!writer_.load(std::memory_order_seq_cst)) return h;
      }
      UnlockShared(h);
      // Sleep until the writer is done: it holds writer_mu_ throughout.
      std::lock_guard<std::mutex> wait(writer_mu_);
    }
  }
  static void UnlockShared(Hold h) {
    if (h.plain) {
      h.readers->store(h.readers->load(std::memory_order_relaxed) - 1, std::memory_order_release);
    } else {
      h.readers->fetch_sub(1, std::memory_order_release);
    }
  }
  void lock_shared() { LockShared(); }
  void unlock_shared() { UnlockShared(ThreadHold()); }

  void lock() {
    writer_mu_.lock();
    writer_.store(true, std::memory_order_seq_cst);
    if (asymmetric_) internal::HeavyBarrier();
    for (Slot& s : slots_) WaitForZero(s.readers);
    WaitForZero(shared_readers_);
  }
  void unlock() {
    writer_.store(false, std::memory_order_seq_cst);
    writer_mu_.unlock();
  }

 private:
  // ThreadHold is where the calling thread counts itself: its own slot,
  // plain where the writer's barrier allows it, or the shared counter.
  Hold ThreadHold() {
    const size_t me = ThreadShard();
    return me < kSlots ? Hold{&slots_[me].readers, asymmetric_} : Hold{&shared_readers_, false};
  }

  // Readers hold the lock for one C call; a long one (RSA-8192 key
  // generation) takes seconds, so the writer backs off from spinning to
  // sleeping.
  static void WaitForZero(const std::atomic<long>& readers) {
    for (int spins = 0; readers.load(std::memory_order_seq_cst) != 0; ++spins) {
      if (spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
      } else if (spins < 1024) {
        std::this_thread::yield();
      } else {
        std::this_thread::sleep_for(std::chrono::microseconds(100));
      }
    }
  }

  struct alignas(64) Slot {
    std::atomic<long> readers{0};
  };
  const bool asymmetric_;
  Slot slots_[kSlots];
  alignas(64) std::atomic<long> shared_readers_{0};
  alignas(64) std::atomic<bool> writer_{false};
  std::mutex writer_mu_;
};

// SharedLock holds a ShardedSharedMutex shared for its scope.
class SharedLock {
 public:
  explicit SharedLock(ShardedSharedMutex& mu) : hold_(mu.LockShared()) {}
  ~SharedLock() { ShardedSharedMutex::UnlockShared(hold_); }
  SharedLock(const SharedLock&) = delete;
  SharedLock& operator=(const SharedLock&) = delete;

 private:
  ShardedSharedMutex::Hold hold_;
};

}  // namespace cryptoki::c

#endif  // CRYPTOKI_C_SHARDED_MUTEX_H_
