// handle_map.h: HandleMap, the C adapter's thread-safe table from PKCS#11
// handles to the objects behind them.
//
// Handles come from the core (never 0, never reused). Get hands out a
// shared_ptr, so a thread that is inside a call keeps its object alive even
// if another thread removes the handle (C_CloseSession) meanwhile.
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
  // Add registers |value| under |handle|, replacing nothing: returns false
  // (and keeps the table unchanged) if |handle| is 0 or already present.
  bool Add(CK_ULONG handle, std::shared_ptr<T> value) {
    if (handle == CK_INVALID_HANDLE) return false;
    MutexLock l(&mu_);
    return map_.emplace(handle, std::move(value)).second;
  }

  // Get returns the object of |handle|, or nullptr if there is none.
  std::shared_ptr<T> Get(CK_ULONG handle) const {
    ReaderMutexLock l(&mu_);
    auto it = map_.find(handle);
    return it == map_.end() ? nullptr : it->second;
  }

  // Remove unregisters |handle| and returns its object (nullptr if none).
  std::shared_ptr<T> Remove(CK_ULONG handle) {
    MutexLock l(&mu_);
    auto it = map_.find(handle);
    if (it == map_.end()) return nullptr;
    std::shared_ptr<T> v = std::move(it->second);
    map_.erase(it);
    return v;
  }

  // RemoveIf unregisters every object for which |pred| is true and returns
  // them, so the caller can release them outside the table's lock.
  template <class Pred>
  std::vector<std::shared_ptr<T>> RemoveIf(Pred pred) {
    std::vector<std::shared_ptr<T>> out;
    MutexLock l(&mu_);
    for (auto it = map_.begin(); it != map_.end();) {
      if (pred(*it->second)) {
        out.push_back(std::move(it->second));
        map_.erase(it++);
      } else {
        ++it;
      }
    }
    return out;
  }

  size_t size() const {
    ReaderMutexLock l(&mu_);
    return map_.size();
  }

 private:
  mutable Mutex mu_;
  absl::flat_hash_map<CK_ULONG, std::shared_ptr<T>> map_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cryptoki::c

#endif  // CRYPTOKI_C_HANDLE_MAP_H_
