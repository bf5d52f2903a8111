// file_store.h: FileStore, the durable Store. Tokens live in files under one
// directory; several processes may use the same tokens at once.
//
//   Result<std::unique_ptr<Store>> store = MakeFileStore("/var/lib/cryptoki/tokens");
//   if (!store.has_value()) return Fail(store.error());
//   auto tokens = (*store)->OpenTokens();
//
// Layout under |token_dir|:
//
//   slot-<id>/                  one directory per token; <id> is the slot id
//                               in decimal, so slot ids are stable across
//                               processes and restarts
//     token.rec                 the TokenRecord
//     objects -> objects-<hex>  symlink to the current object directory
//     objects-<hex>/
//       pack                    most objects, compacted into one file
//       <hex16>.obj             an object written since the last compaction;
//                               it takes precedence over its packed copy
//       <hex16>.del             a tombstone: the object was removed since the
//                               last compaction (an .obj file still wins)
//     generation                change counters and compaction bookkeeping
//     lock                      flock()ed: exclusively by writers, shared by
//                               LoadObjects
//
// Object files and the token record are containers, integers little endian:
//
//   0   magic      4 bytes, "CKTR" (token record) or "CKOB" (object)
//   4   version    u16, kFileStoreFormatVersion
//   6   flags      u16, bit 0: the payload is sealed
//   8   id         u64, the object id (an object) or the slot id (the record)
//   16  length     u32, the payload length
//   20  payload    |length| bytes
//   ..  checksum   SHA-256 of every byte before it (32 bytes)
//
// An object payload is u32 count, then per attribute u64 type, u32 length,
// value bytes. A sealed payload is a 12-byte random nonce followed by that
// plaintext under AES-256-GCM with a 16-byte tag; the key is derived from the
// token data key with HKDF-SHA256, and the additional data is the first 16
// bytes of the container (magic, version, flags, object id) followed by the
// u64 slot id, so a sealed blob cannot be moved to another object, token or
// format version. Objects of class CKO_PRIVATE_KEY, CKO_SECRET_KEY or
// CKO_OTP_KEY, with CKA_PRIVATE true, or carrying a private RSA component are
// sealed (all their attributes).
//
// A pack is "CKPK", u16 version, u16 flags (0); then object containers, byte
// for byte as in .obj files, back to back; then an index of (u64 id, u64
// offset, u32 length) per container; then a trailer: u64 count, u64 index
// offset, "CKPX", and SHA-256 over the pack header, index and trailer. Every
// container keeps its own checksum (and seal), so damage costs only the
// objects whose bytes it hits; a damaged or missing index (a truncated pack)
// is recovered from by scanning for intact containers.
//
// Durability: every file is written to a temporary file (".tmp-" prefix,
// never read, removed when found by a process holding the lock), synced, and
// renamed over its target; the directory is then synced. A crash leaves each
// file in its old or its new state. Removing an object writes its tombstone
// before deleting its .obj file. Compaction writes the new pack (holding
// every object the loose files hold) before it deletes tombstones, then the
// merged .obj files, so every intermediate state loads the same objects.
// RemoveAllObjects switches the |objects| symlink to a new empty directory
// in one rename.
//
// Integrity: a file or packed object whose checksum, length, magic, id or
// seal does not match is refused with a one-line message in the log (log.h:
// stderr or syslog); the other objects keep loading. Data of a newer format
// version is refused, never misread.
//
// What is detected, and what is not, against someone who can write the
// token's files:
//  - Detected: accidental damage of any file (the checksum); any change to a
//    sealed object, and a sealed blob moved to another object id, token or
//    format version (the AEAD tag and its additional data).
//  - Not detected: a forged public object or token record (the checksum is
//    recomputed; there is no key to MAC them with before login), e.g. a
//    changed label, a replaced certificate or public key, a reset PIN
//    failure counter (such an attacker can guess PINs offline against the
//    sealed data key anyway); a file replaced by an older copy of itself
//    (a sealed object rolled back to an earlier value of the same object);
//    a removed object (its file deleted or a tombstone added); a removed
//    object brought back (its tombstone deleted, or its old .obj copied
//    back); the whole directory replaced by an older copy.
//
// Concurrency: writers hold the exclusive lock for the whole write and then
// bump a counter in |generation|; Changed() is one 32-byte pread of that
// file. LoadObjects holds the shared lock, so it never sees a compaction half
// done.
#ifndef CRYPTOKI_FILE_STORE_H_
#define CRYPTOKI_FILE_STORE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "cryptoki/rv.h"
#include "cryptoki/store.h"

namespace cryptoki {

// The current on-disk format version. Files of a higher version are refused.
inline constexpr uint16_t kFileStoreFormatVersion = 1;

struct FileStoreOptions {
  // sync makes every write durable (fsync of the file and of its directory)
  // before it returns. Only tests that build large stores quickly turn it off.
  bool sync = true;
  // A write compacts the token's objects once max(compact_min, min(objects
  // in the pack / 16, 4096)) object and tombstone files have accumulated
  // since the last compaction. Loading costs some tens of microseconds per
  // such file; compacting rewrites the pack. Tests lower it to exercise
  // compaction.
  size_t compact_min = 256;
};

// MakeFileStore returns a Store keeping its tokens under |token_dir|, which it
// creates (with its parents, mode 0700) if missing. It fails with
// Rv::kDeviceError, after logging the reason, if the directory
// cannot be created or is not a readable, writable directory.
//
// The returned Store's OpenTokens returns the tokens whose record loads,
// ordered by slot id (a token whose record is damaged or of a newer format is
// logged and left out). CreateToken(slot_id) creates slot-<slot_id> with an
// uninitialised TokenRecord for that slot. If slot-<slot_id> exists already
// (another process may just have created it) it returns that token as it is,
// or, if its record cannot be read, fails with Rv::kDeviceError rather than
// overwrite it.
//
// Its TokenStores behave as store.h says, and:
//  - LoadRecord fails with Rv::kDeviceError when the record is missing or
//    damaged and with Rv::kTokenNotRecognized when it has a newer format.
//  - LoadObjects skips (and logs) damaged objects and objects of a newer
//    format; it skips sealed objects silently while no data key is set, and
//    logs and skips those the data key cannot open. It fails with
//    Rv::kDeviceError only when the object directory cannot be read. The
//    order of the objects is unspecified.
//  - PutObject of an object that must be sealed fails with
//    Rv::kUserNotLoggedIn while no data key is set.
//  - PutObject of an object larger than 64 MiB fails with
//    Rv::kDeviceMemory.
//  - Write errors are Rv::kDeviceMemory when the disk is full, else
//    Rv::kDeviceError; nothing changed in either case.
//  - NewObjectId returns a random id in [1, 2^63) that no current object of
//    the token has; ids are unique across processes with overwhelming
//    probability.
//  - Changed reports writes by other processes, or other FileStore
//    instances, to the objects since the last LoadObjects, or to the record
//    since the last LoadRecord. It stays true until both are reloaded.
Result<std::unique_ptr<Store>> MakeFileStore(const std::string& token_dir);
Result<std::unique_ptr<Store>> MakeFileStore(const std::string& token_dir,
                                             const FileStoreOptions& options);

}  // namespace cryptoki

#endif  // CRYPTOKI_FILE_STORE_H_
