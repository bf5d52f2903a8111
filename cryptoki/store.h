// store.h: where tokens keep their state. The token logic never touches
// files: it talks to a TokenStore, one per token, which a Store creates and
// enumerates. MemoryStore (memory_store.h) keeps everything in the process;
// the durable, encrypted file store implements the same interface.
#ifndef CRYPTOKI_STORE_H_
#define CRYPTOKI_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cryptoki/attribute.h"
#include "cryptoki/rv.h"

namespace cryptoki {

// PinRecord is what a token keeps for one PIN: the scrypt salt and cost, the
// token data key sealed under the PIN-derived key (AES-256-GCM; opening it is
// how a PIN is checked), and the count of consecutive failures.
struct PinRecord {
  Bytes salt;
  uint32_t kdf_log2n = 0;
  Bytes sealed_data_key;  // empty: this PIN is not set
  uint32_t failures = 0;

  bool is_set() const { return !sealed_data_key.empty(); }
};

// TokenRecord is a token's persistent metadata.
struct TokenRecord {
  CK_SLOT_ID slot_id = 0;
  bool initialized = false;
  std::string label;   // up to 32 bytes, unpadded
  std::string serial;  // up to 16 characters
  PinRecord so_pin;
  PinRecord user_pin;
};

// ObjectRecord is one token object as stored: its id and attributes.
struct ObjectRecord {
  uint64_t id = 0;
  std::vector<Attribute> attributes;
};

// TokenStore persists one token. Every method is atomic: when it returns an
// error nothing changed. Calls come serialised by the token's lock.
class TokenStore {
 public:
  virtual ~TokenStore() = default;

  // LoadRecord returns the token's metadata.
  virtual Result<TokenRecord> LoadRecord() = 0;
  // SaveRecord replaces the token's metadata.
  virtual Result<> SaveRecord(const TokenRecord& record) = 0;
  // LoadObjects returns every token object.
  virtual Result<std::vector<ObjectRecord>> LoadObjects() = 0;
  // PutObject creates or replaces an object.
  virtual Result<> PutObject(const ObjectRecord& object) = 0;
  // RemoveObject deletes an object; removing an absent one is not an error.
  virtual Result<> RemoveObject(uint64_t id) = 0;
  // RemoveAllObjects deletes every object (C_InitToken on a used token).
  virtual Result<> RemoveAllObjects() = 0;
  // NewObjectId returns an id no object of this token has had.
  virtual uint64_t NewObjectId() = 0;
  // SetDataKey hands the store the token data key once a PIN opened it, so
  // that it can seal and open private values; an empty key forgets it.
  // LoadObjects returns only the objects it can open: after SetDataKey with a
  // key, the token calls LoadObjects again to see the private ones.
  virtual void SetDataKey(const SecretBytes& key) = 0;
  // Changed says whether another process changed the token's objects or
  // record since this store last loaded or wrote them; the token then calls
  // LoadRecord / LoadObjects again. Cheap: called before every search.
  virtual bool Changed() { return false; }
};

// Store enumerates and creates tokens.
class Store {
 public:
  virtual ~Store() = default;
  // OpenTokens returns the stores of all existing tokens.
  virtual Result<std::vector<std::unique_ptr<TokenStore>>> OpenTokens() = 0;
  // CreateToken makes storage for a new token in slot |slot_id|.
  virtual Result<std::unique_ptr<TokenStore>> CreateToken(CK_SLOT_ID slot_id) = 0;
};

}  // namespace cryptoki

#endif  // CRYPTOKI_STORE_H_
