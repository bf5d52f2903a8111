#include "cryptoki/memory_store.h"

#include <map>

namespace cryptoki {
namespace {

class MemoryTokenStore : public TokenStore {
 public:
  explicit MemoryTokenStore(CK_SLOT_ID slot_id) { record_.slot_id = slot_id; }

  Result<TokenRecord> LoadRecord() override { return record_; }
  Result<> SaveRecord(const TokenRecord& record) override {
    record_ = record;
    return {};
  }
  Result<std::vector<ObjectRecord>> LoadObjects() override {
    std::vector<ObjectRecord> out;
    out.reserve(objects_.size());
    for (const auto& [id, o] : objects_) out.push_back(o);
    return out;
  }
  Result<> PutObject(const ObjectRecord& object) override {
    objects_[object.id] = object;
    return {};
  }
  Result<> RemoveObject(uint64_t id) override {
    objects_.erase(id);
    return {};
  }
  Result<> RemoveAllObjects() override {
    objects_.clear();
    return {};
  }
  uint64_t NewObjectId() override { return ++last_id_; }
  void SetDataKey(const SecretBytes&) override {}

 private:
  TokenRecord record_;
  std::map<uint64_t, ObjectRecord> objects_;
  uint64_t last_id_ = 0;
};

}  // namespace

Result<std::unique_ptr<TokenStore>> MemoryStore::CreateToken(CK_SLOT_ID slot_id) {
  return std::unique_ptr<TokenStore>(std::make_unique<MemoryTokenStore>(slot_id));
}

}  // namespace cryptoki
