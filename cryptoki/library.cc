#include "cryptoki/library.h"

#include <algorithm>

#include "cryptoki/file_store.h"
#include "cryptoki/log.h"
#include "cryptoki/memory_store.h"

namespace cryptoki {

Library::Library(Config config, std::unique_ptr<Store> store)
    : config_(std::move(config)), store_(std::move(store)) {}

Library::~Library() {
  std::vector<std::shared_ptr<Token>> tokens;
  {
    MutexLock l(&mu_);
    tokens.swap(tokens_);
  }
  for (auto& t : tokens) t->Shutdown();
}

Result<std::unique_ptr<Library>> Library::Create() {
  auto config = LoadConfig();
  if (!config) {
    LogError("%s", config.error().message.c_str());
    return Fail(Rv::kGeneralError);
  }
  return Create(std::move(*config));
}

Result<std::unique_ptr<Library>> Library::Create(Config config) {
  ConfigureLog(config);  // before the store logs anything
  std::unique_ptr<Store> store;
  if (config.backend == Config::Backend::kMemory) {
    store = std::make_unique<MemoryStore>();
  } else {
    auto fs = MakeFileStore(config.token_dir);
    if (!fs) {
      LogError("cannot open the token directory %s", config.token_dir.c_str());
      return Fail(Rv::kGeneralError);
    }
    store = std::move(*fs);
  }
  return Create(std::move(config), std::move(store));
}

Result<std::unique_ptr<Library>> Library::Create(Config config, std::unique_ptr<Store> store) {
  ConfigureLog(config);
  std::unique_ptr<Library> lib(new Library(std::move(config), std::move(store)));
  CRYPTOKI_TRY(lib->LoadTokens());
  return lib;
}

Result<> Library::LoadTokens() {
  auto stores = store_->OpenTokens();
  if (!stores) return Fail(stores.error());
  MutexLock l(&mu_);
  for (auto& ts : *stores) {
    auto rec = ts->LoadRecord();
    if (!rec) {
      LogError("skipping a token whose record cannot be read: %s", to_string(rec.error()).c_str());
      continue;
    }
    if (!rec->initialized) continue;
    const CK_SLOT_ID slot = rec->slot_id;
    if (std::any_of(tokens_.begin(), tokens_.end(),
                    [&](const auto& t) { return t->slot_id() == slot; })) {
      LogError("two tokens claim slot %lu; skipping one", slot);
      continue;
    }
    auto t = std::make_shared<Token>(slot, config_, handles_, store_.get(), std::move(ts));
    if (auto r = t->Load(); !r) {
      LogError("cannot load the token in slot %lu: %s", slot, to_string(r.error()).c_str());
      continue;
    }
    tokens_.push_back(std::move(t));
  }
  AddFreeSlot();
  return {};
}

void Library::AddFreeSlot() {
  CK_SLOT_ID id = 0;
  for (;; ++id) {
    if (std::none_of(tokens_.begin(), tokens_.end(),
                     [&](const auto& t) { return t->slot_id() == id; })) {
      break;
    }
  }
  auto t = std::make_shared<Token>(id, config_, handles_, store_.get(), nullptr);
  t->set_on_initialized([this] {
    MutexLock l(&mu_);
    AddFreeSlot();
  });
  tokens_.push_back(std::move(t));
  std::sort(tokens_.begin(), tokens_.end(),
            [](const auto& a, const auto& b) { return a->slot_id() < b->slot_id(); });
}

LibraryInfo Library::Info() const { return LibraryInfo{}; }

std::vector<CK_SLOT_ID> Library::Slots() const {
  MutexLock l(&mu_);
  std::vector<CK_SLOT_ID> out;
  out.reserve(tokens_.size());
  for (const auto& t : tokens_) out.push_back(t->slot_id());
  return out;
}

Result<SlotInfo> Library::GetSlotInfo(CK_SLOT_ID slot) const {
  auto t = GetToken(slot);
  if (!t) return Fail(t.error());
  SlotInfo i;
  i.description = "cryptoki slot " + std::to_string(slot);
  i.flags = CKF_TOKEN_PRESENT | (config_.removable_slots ? CKF_REMOVABLE_DEVICE : 0);
  return i;
}

Result<Token*> Library::FindToken(CK_SLOT_ID slot) const {
  MutexLock l(&mu_);
  for (const auto& t : tokens_)
    if (t->slot_id() == slot) return t.get();
  return Fail(Rv::kSlotIdInvalid);
}

Result<std::shared_ptr<Token>> Library::GetToken(CK_SLOT_ID slot) const {
  auto t = FindToken(slot);
  if (!t) return Fail(t.error());
  return (*t)->shared_from_this();
}

}  // namespace cryptoki
