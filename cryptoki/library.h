// library.h: Library, the process-wide state: configuration, slots, tokens.
//
//   auto lib = cryptoki::Library::Create();            // from $CRYPTOKI_CONF
//   for (CK_SLOT_ID slot : (*lib)->Slots()) ...
//
// There is always one slot holding an uninitialised token, so a new token can
// be made; a slot's ID never changes once its token is initialised.
// Destroying the Library closes every session; no session may be in use
// meanwhile. A Session object left over is closed (its calls return
// kSessionHandleInvalid, and destroying it is safe) but its token() is gone.
#ifndef CRYPTOKI_LIBRARY_H_
#define CRYPTOKI_LIBRARY_H_

#include <memory>
#include <vector>

#include "cryptoki/config.h"
#include "cryptoki/info.h"
#include "cryptoki/mutex.h"
#include "cryptoki/store.h"
#include "cryptoki/token.h"

namespace cryptoki {

class Library {
 public:
  // Create builds a library from |config|, opening its token store. Errors:
  // kGeneralError if the store cannot be opened (the reason is logged, log.h).
  static Result<std::unique_ptr<Library>> Create(Config config);
  // Create with the configuration from $CRYPTOKI_CONF; a malformed file is
  // kGeneralError, with "FILE:LINE: reason" on stderr.
  static Result<std::unique_ptr<Library>> Create();
  // Create over a given store (tests; other backends).
  static Result<std::unique_ptr<Library>> Create(Config config, std::unique_ptr<Store> store);
  ~Library();

  LibraryInfo Info() const;
  const Config& config() const { return config_; }

  // Slots returns every slot ID, in ascending order.
  std::vector<CK_SLOT_ID> Slots() const;
  Result<SlotInfo> GetSlotInfo(CK_SLOT_ID slot) const;
  // GetToken returns the token in |slot|, kSlotIdInvalid if there is none.
  Result<std::shared_ptr<Token>> GetToken(CK_SLOT_ID slot) const;
  // FindToken is GetToken without taking a reference: a slot, once there,
  // stays until the library is destroyed, and the pointer with it.
  Result<Token*> FindToken(CK_SLOT_ID slot) const;

 private:
  Library(Config config, std::unique_ptr<Store> store);
  Result<> LoadTokens();
  // AddFreeSlot adds a slot holding a fresh uninitialised token.
  void AddFreeSlot() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Config config_;
  std::unique_ptr<Store> store_;
  std::shared_ptr<HandleCounters> handles_ = std::make_shared<HandleCounters>();
  // Exclusive: every section is a scan of a few slots (a reader/writer lock
  // cost more than the scan), and slots are added only by C_InitToken.
  mutable ExclusiveMutex mu_;
  std::vector<std::shared_ptr<Token>> tokens_ ABSL_GUARDED_BY(mu_);  // sorted by slot ID
};

}  // namespace cryptoki

#endif  // CRYPTOKI_LIBRARY_H_
