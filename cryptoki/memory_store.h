// memory_store.h: MemoryStore keeps tokens in the process; they vanish with
// it. For tests, ephemeral tokens, and `objectstore.backend = memory`.
#ifndef CRYPTOKI_MEMORY_STORE_H_
#define CRYPTOKI_MEMORY_STORE_H_

#include "cryptoki/store.h"

namespace cryptoki {

class MemoryStore : public Store {
 public:
  Result<std::vector<std::unique_ptr<TokenStore>>> OpenTokens() override { return {}; }
  Result<std::unique_ptr<TokenStore>> CreateToken(CK_SLOT_ID slot_id) override;
};

}  // namespace cryptoki

#endif  // CRYPTOKI_MEMORY_STORE_H_
