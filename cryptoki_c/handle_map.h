// handle_map.h: HandleMap, the C adapter's thread-safe table from PKCS#11
// handles to the objects behind them.
//
// Handles come from the core (never 0, never reused). Get hands out a
// shared_ptr, so a thread that is inside a call keeps its object alive even
// if another thread removes the handle (C_CloseSession) meanwhile. The table
// is split by handle into shards with a lock each (on its own cache line),
// so threads working on different sessions do not share a lock word. The
// lock is exclusive even for Get: held for one hash lookup, it is one atomic
// operation each way, where a reader/writer lock's shared side cost a
// hundred instructions per call.
#ifndef CRYPTOKI_C_HANDLE_MAP_H_
#define CRYPTOKI_C_HANDLE_MAP_H_

#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "cryptoki/mutex.h"
#include "pkcs11.h"

namespace cryptoki::c {

template <class T>
class HandleMap {
 public:
  static constexpr size_t kShards = 16;

  // Add registers |value| under |handle|, replacing nothing: returns false
  // (and keeps the table unchanged) if |handle| is 0 or already present.
  bool Add(CK_ULONG handle, std::shared_ptr<T> value) {
    if (handle == CK_INVALID_HANDLE) return false;
    Shard& s = ShardOf(handle);
    MutexLock l(&s.mu);
    return s.map.emplace(handle, std::move(value)).second;
  }

  // Get returns the object of |handle|, or nullptr if there is none.
  std::shared_ptr<T> Get(CK_ULONG handle) const {
    const Shard& s = ShardOf(handle);
    MutexLock l(&s.mu);
    auto it = s.map.find(handle);
    return it == s.map.end() ? nullptr : it->second;
  }

  // Remove unregisters |handle| and returns its object (nullptr if none).
  std::shared_ptr<T> Remove(CK_ULONG handle) {
    Shard& s = ShardOf(handle);
    MutexLock l(&s.mu);
    auto it = s.map.find(handle);
    if (it == s.map.end()) return nullptr;
    std::shared_ptr<T> v = std::move(it->second);
    s.map.erase(it);
    return v;
  }

  // RemoveIf unregisters every object for which |pred| is true and returns
  // them, so the caller can release them outside the table's locks.
  template <class Pred>
  std::vector<std::shared_ptr<T>> RemoveIf(Pred pred) {
    std::vector<std::shared_ptr<T>> out;
    for (Shard& s : shards_) {
      MutexLock l(&s.mu);
      for (auto it = s.map.begin(); it != s.map.end();) {
        if (pred(*it->second)) {
          out.push_back(std::move(it->second));
          s.map.erase(it++);
        } else {
          ++it;
        }
      }
    }
    return out;
  }

  size_t size() const {
    size_t n = 0;
    for (const Shard& s : shards_) {
      MutexLock l(&s.mu);
      n += s.map.size();
    }
    return n;
  }

 private:
  struct alignas(64) Shard {
    mutable ExclusiveMutex mu;
    absl::flat_hash_map<CK_ULONG, std::shared_ptr<T>> map ABSL_GUARDED_BY(mu);
  };
  Shard& ShardOf(CK_ULONG handle) { return shards_[handle % kShards]; }
  const Shard& ShardOf(CK_ULONG handle) const { return shards_[handle % kShards]; }

  Shard shards_[kShards];
};

}  // namespace cryptoki::c

#endif  // CRYPTOKI_C_HANDLE_MAP_H_
