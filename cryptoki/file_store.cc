#include "cryptoki/file_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include <openssl/aead.h>
#include <openssl/digest.h>
#include <openssl/hkdf.h>
#include <openssl/mem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "cryptoki/log.h"

namespace cryptoki {
namespace {

// Container layout (see file_store.h).
constexpr uint16_t kFlagSealed = 1;
constexpr size_t kHeaderSize = 20;
constexpr size_t kChecksumSize = SHA256_DIGEST_LENGTH;
constexpr size_t kContainerOverhead = kHeaderSize + kChecksumSize;
constexpr size_t kAadHeaderSize = 16;  // magic, version, flags, id
constexpr size_t kNonceSize = 12;
constexpr size_t kTagSize = 16;

// Pack layout (see file_store.h).
constexpr std::string_view kPackMagic = "CKPK";
constexpr std::string_view kPackTrailerMagic = "CKPX";
constexpr size_t kPackHeaderSize = 8;
constexpr size_t kPackIndexEntrySize = 20;
constexpr size_t kPackTrailerSize = 8 + 8 + 4 + kChecksumSize;

constexpr size_t kMaxFileSize = size_t{64} << 20;
constexpr size_t kMaxPackSize = size_t{4} << 30;
constexpr size_t kMaxAttributes = 1 << 16;

constexpr char kRecordFile[] = "token.rec";
constexpr char kObjectsLink[] = "objects";
constexpr char kObjectsDirPrefix[] = "objects-";
constexpr char kPackFile[] = "pack";
constexpr char kStateFile[] = "generation";
constexpr char kLockFile[] = "lock";
constexpr char kTempPrefix[] = ".tmp-";
constexpr char kSlotPrefix[] = "slot-";
constexpr std::string_view kObjectSuffix = ".obj";
constexpr std::string_view kTombstoneSuffix = ".del";
constexpr char kSealInfo[] = "cryptoki file store object sealing key v1";

// Stale temporary token directories (a crash during CreateToken) are removed
// once they are this old; younger ones may belong to a running CreateToken.
constexpr time_t kStaleTempSeconds = 600;

unsigned long long Ull(uint64_t v) { return static_cast<unsigned long long>(v); }

// Fd owns a file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    reset(std::exchange(other.fd_, -1));
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// WriteErrorRv maps a failed write's errno to the Rv the caller sees.
Rv WriteErrorRv(int err) {
  return (err == ENOSPC || err == EDQUOT) ? Rv::kDeviceMemory : Rv::kDeviceError;
}

std::string Hex(ByteView b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(b.size() * 2);
  for (uint8_t c : b) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string RandomHex(size_t bytes) {
  uint8_t buf[16];
  RAND_bytes(buf, bytes);
  return Hex(ByteView(buf, bytes));
}

std::string IdFileName(uint64_t id, std::string_view suffix) {
  char name[17];
  snprintf(name, sizeof name, "%016llx", Ull(id));
  return std::string(name).append(suffix);
}

// ParseIdFileName returns the id of a name "<16 hex digits><suffix>".
std::optional<uint64_t> ParseIdFileName(std::string_view name, std::string_view suffix) {
  if (name.size() != 16 + suffix.size() || name.substr(16) != suffix) return std::nullopt;
  uint64_t id = 0;
  for (size_t i = 0; i < 16; ++i) {
    const char c = name[i];
    unsigned digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else {
      return std::nullopt;
    }
    id = (id << 4) | digit;
  }
  return id;
}

// ParseSlotDirName returns the slot id of a token directory name
// ("slot-<decimal>", no leading zeros).
std::optional<CK_SLOT_ID> ParseSlotDirName(std::string_view name) {
  constexpr size_t kPrefixLen = sizeof(kSlotPrefix) - 1;
  if (name.size() <= kPrefixLen || name.substr(0, kPrefixLen) != kSlotPrefix) return std::nullopt;
  std::string_view digits = name.substr(kPrefixLen);
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;
  CK_SLOT_ID id = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    const CK_SLOT_ID next = id * 10 + static_cast<CK_SLOT_ID>(c - '0');
    if (next / 10 != id) return std::nullopt;  // overflow
    id = next;
  }
  return id;
}

std::string SlotDirName(CK_SLOT_ID slot_id) {
  return kSlotPrefix + std::to_string(static_cast<unsigned long long>(slot_id));
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// ListDir returns the names in the directory |fd| (without "." and "..").
Result<std::vector<std::string>> ListDir(int fd, const std::string& path) {
  const int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) {
    LogError("%s: cannot read directory: %s", path.c_str(), strerror(errno));
    return Fail(Rv::kDeviceError);
  }
  DIR* dir = fdopendir(dup_fd);
  if (dir == nullptr) {
    LogError("%s: cannot read directory: %s", path.c_str(), strerror(errno));
    close(dup_fd);
    return Fail(Rv::kDeviceError);
  }
  rewinddir(dir);
  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    const dirent* entry = readdir(dir);
    if (entry == nullptr) break;
    if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
    names.emplace_back(entry->d_name);
  }
  const int err = errno;
  closedir(dir);
  if (err != 0) {
    LogError("%s: cannot read directory: %s", path.c_str(), strerror(err));
    return Fail(Rv::kDeviceError);
  }
  return names;
}

// RemoveTree removes |name| in |dir_fd| and, if it is a directory, what it
// holds (never following symlinks). Best effort; returns false on an error.
bool RemoveTree(int dir_fd, const std::string& name, int depth = 0) {
  struct stat st;
  if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return errno == ENOENT;
  if (!S_ISDIR(st.st_mode)) return unlinkat(dir_fd, name.c_str(), 0) == 0 || errno == ENOENT;
  if (depth > 4) return false;
  Fd sub(openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!sub.valid()) return false;
  auto names = ListDir(sub.get(), name);
  if (!names.has_value()) return false;
  bool ok = true;
  for (const std::string& n : *names) ok &= RemoveTree(sub.get(), n, depth + 1);
  return ok && (unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) == 0 || errno == ENOENT);
}

// WriteAll writes |data| to |fd|, retrying short writes.
bool WriteAll(int fd, ByteView data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

// Lock holds a flock() on a token's lock file: exclusive for writers, shared
// for LoadObjects. Each Lock opens the file anew, so Locks exclude each other
// also within one process or across a fork that shares descriptors.
class Lock {
 public:
  // Acquire blocks until the lock is held.
  static Result<Lock> Acquire(int dir_fd, const std::string& dir_path, bool shared) {
    Fd fd(openat(dir_fd, kLockFile, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd.valid()) {
      LogError("%s/%s: cannot open lock file: %s", dir_path.c_str(), kLockFile, strerror(errno));
      return Fail(Rv::kDeviceError);
    }
    while (flock(fd.get(), shared ? LOCK_SH : LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      LogError("%s/%s: cannot lock: %s", dir_path.c_str(), kLockFile, strerror(errno));
      return Fail(Rv::kDeviceError);
    }
    return Lock(std::move(fd));
  }
  // TryAcquire takes the exclusive lock if it is free.
  static std::optional<Lock> TryAcquire(int dir_fd) {
    Fd fd(openat(dir_fd, kLockFile, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd.valid() || flock(fd.get(), LOCK_EX | LOCK_NB) != 0) return std::nullopt;
    return Lock(std::move(fd));
  }

 private:
  explicit Lock(Fd fd) : fd_(std::move(fd)) {}
  Fd fd_;  // closing it releases the lock
};

// Encoder appends little-endian integers and length-prefixed blobs.
class Encoder {
 public:
  void U8(uint8_t v) { out_.push_back(v); }
  void U16(uint16_t v) { Le(v, 2); }
  void U32(uint32_t v) { Le(v, 4); }
  void U64(uint64_t v) { Le(v, 8); }
  void Raw(ByteView b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void Blob(ByteView b) {
    U32(static_cast<uint32_t>(b.size()));
    Raw(b);
  }
  SecretBytes& out() { return out_; }

 private:
  void Le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  SecretBytes out_;
};

// Decoder reads what Encoder wrote; every read fails past the end.
class Decoder {
 public:
  explicit Decoder(ByteView in) : in_(in) {}
  bool U8(uint8_t* v) { return Le(1, v); }
  bool U16(uint16_t* v) { return Le(2, v); }
  bool U32(uint32_t* v) { return Le(4, v); }
  bool U64(uint64_t* v) { return Le(8, v); }
  bool Raw(size_t n, ByteView* v) {
    if (in_.size() - pos_ < n) return false;
    *v = in_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  bool Blob(ByteView* v) {
    uint32_t n;
    return U32(&n) && Raw(n, v);
  }
  bool done() const { return pos_ == in_.size(); }

 private:
  template <class T>
  bool Le(size_t n, T* v) {
    if (in_.size() - pos_ < n) return false;
    uint64_t x = 0;
    for (size_t i = 0; i < n; ++i) x |= uint64_t{in_[pos_ + i]} << (8 * i);
    pos_ += n;
    *v = static_cast<T>(x);
    return true;
  }
  ByteView in_;
  size_t pos_ = 0;
};

uint64_t LoadLe64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

Bytes ToBytes(ByteView b) { return Bytes(b.begin(), b.end()); }
std::string ToString(ByteView b) { return std::string(AsStringView(b)); }

// --- Containers -------------------------------------------------------------

// FileKind is what a container holds; each kind has its own magic.
enum class FileKind { kRecord, kObject };

std::string_view MagicOf(FileKind kind) { return kind == FileKind::kRecord ? "CKTR" : "CKOB"; }

// BuildContainer returns the file bytes holding |payload|.
SecretBytes BuildContainer(FileKind kind, uint16_t flags, uint64_t id, ByteView payload) {
  Encoder e;
  e.out().reserve(kContainerOverhead + payload.size());
  e.Raw(AsBytes(MagicOf(kind)));
  e.U16(kFileStoreFormatVersion);
  e.U16(flags);
  e.U64(id);
  e.U32(static_cast<uint32_t>(payload.size()));
  e.Raw(payload);
  uint8_t digest[kChecksumSize];
  SHA256(e.out().data(), e.out().size(), digest);
  e.Raw(ByteView(digest, sizeof digest));
  return std::move(e.out());
}

struct Container {
  uint16_t flags = 0;
  uint64_t id = 0;
  ByteView header;  // the first kAadHeaderSize bytes
  ByteView payload;
};

enum class Check {
  kOk,
  kTruncated,
  kBadMagic,
  kNewer,
  kDamagedOrNewer,
  kBadVersion,
  kBadSize,
  kBadChecksum,
  kBadFlags
};

// CheckContainer checks that |file| is exactly one intact container of
// |kind| and of this format version, and parses it into |out|.
Check CheckContainer(ByteView file, FileKind kind, Container* out, size_t* expected_size) {
  *expected_size = 0;
  if (file.size() < 8) return Check::kTruncated;
  if (AsStringView(file.first(4)) != MagicOf(kind)) return Check::kBadMagic;
  Decoder d(file.subspan(4));
  uint16_t version = 0, flags = 0;
  uint64_t id = 0;
  uint32_t length = 0;
  d.U16(&version);
  d.U16(&flags);
  const bool whole_header = d.U64(&id) && d.U32(&length);
  if (whole_header) *expected_size = size_t{length} + kContainerOverhead;
  const bool sized = whole_header && file.size() == *expected_size;
  bool checksum_ok = false;
  if (sized) {
    uint8_t digest[kChecksumSize];
    SHA256(file.data(), file.size() - kChecksumSize, digest);
    checksum_ok = memcmp(digest, file.data() + file.size() - kChecksumSize, kChecksumSize) == 0;
  }
  // A newer version is refused before anything else is read; the v1
  // checksum tells a genuine newer file from a damaged version field.
  if (version > kFileStoreFormatVersion)
    return checksum_ok ? Check::kNewer : Check::kDamagedOrNewer;
  if (version == 0) return Check::kBadVersion;
  if (!sized) return whole_header ? Check::kBadSize : Check::kTruncated;
  if (!checksum_ok) return Check::kBadChecksum;
  if ((flags & ~kFlagSealed) != 0 || (kind == FileKind::kRecord && flags != 0))
    return Check::kBadFlags;
  *out = Container{flags, id, file.first(kAadHeaderSize), file.subspan(kHeaderSize, length)};
  return Check::kOk;
}

// OpenContainer checks |file| (named |what| in messages) and returns its
// contents. Damage is Rv::kDeviceError, a newer format
// Rv::kTokenNotRecognized; both are logged.
Result<Container> OpenContainer(ByteView file, FileKind kind, uint64_t id,
                                const std::string& what) {
  Container c;
  size_t expected_size;
  const Check check = CheckContainer(file, kind, &c, &expected_size);
  switch (check) {
    case Check::kOk:
      break;
    case Check::kTruncated:
      LogError("%s: refused: truncated (%zu bytes)", what.c_str(), file.size());
      return Fail(Rv::kDeviceError);
    case Check::kBadMagic:
      LogError("%s: refused: not a cryptoki %s (bad magic)", what.c_str(),
               kind == FileKind::kRecord ? "token record" : "object");
      return Fail(Rv::kDeviceError);
    case Check::kNewer:
    case Check::kDamagedOrNewer: {
      const unsigned version = file[4] | (file[5] << 8);
      if (check == Check::kNewer) {
        LogError(
            "%s: refused: written in format version %u by a newer cryptoki; this one reads up "
            "to version %u",
            what.c_str(), version, kFileStoreFormatVersion);
      } else {
        LogError(
            "%s: refused: damaged, or format version %u of a newer cryptoki (this one reads up "
            "to version %u)",
            what.c_str(), version, kFileStoreFormatVersion);
      }
      return Fail(Rv::kTokenNotRecognized);
    }
    case Check::kBadVersion:
      LogError("%s: refused: damaged (format version 0)", what.c_str());
      return Fail(Rv::kDeviceError);
    case Check::kBadSize:
      LogError("%s: refused: truncated or extended (%zu bytes, header says %zu)", what.c_str(),
               file.size(), expected_size);
      return Fail(Rv::kDeviceError);
    case Check::kBadChecksum:
      LogError("%s: refused: damaged (checksum mismatch)", what.c_str());
      return Fail(Rv::kDeviceError);
    case Check::kBadFlags:
      LogError("%s: refused: unknown flags", what.c_str());
      return Fail(Rv::kDeviceError);
  }
  if (c.id != id) {
    LogError("%s: refused: holds id %llu, expected %llu (moved?)", what.c_str(), Ull(c.id),
             Ull(id));
    return Fail(Rv::kDeviceError);
  }
  return c;
}

// --- Records ------------------------------------------------------------------

void EncodePin(Encoder& e, const PinRecord& pin) {
  e.Blob(pin.salt);
  e.U32(pin.kdf_log2n);
  e.Blob(pin.sealed_data_key);
  e.U32(pin.failures);
}

bool DecodePin(Decoder& d, PinRecord* pin) {
  ByteView salt, sealed;
  if (!d.Blob(&salt) || !d.U32(&pin->kdf_log2n) || !d.Blob(&sealed) || !d.U32(&pin->failures))
    return false;
  pin->salt = ToBytes(salt);
  pin->sealed_data_key = ToBytes(sealed);
  return true;
}

SecretBytes EncodeRecord(const TokenRecord& r) {
  Encoder e;
  e.U64(r.slot_id);
  e.U8(r.initialized ? 1 : 0);
  e.Blob(AsBytes(r.label));
  e.Blob(AsBytes(r.serial));
  EncodePin(e, r.so_pin);
  EncodePin(e, r.user_pin);
  return std::move(e.out());
}

std::optional<TokenRecord> DecodeRecord(ByteView payload) {
  Decoder d(payload);
  TokenRecord r;
  uint64_t slot_id;
  uint8_t initialized;
  ByteView label, serial;
  if (!d.U64(&slot_id) || !d.U8(&initialized) || initialized > 1 || !d.Blob(&label) ||
      !d.Blob(&serial) || !DecodePin(d, &r.so_pin) || !DecodePin(d, &r.user_pin) || !d.done())
    return std::nullopt;
  r.slot_id = static_cast<CK_SLOT_ID>(slot_id);
  r.initialized = initialized != 0;
  r.label = ToString(label);
  r.serial = ToString(serial);
  return r;
}

SecretBytes EncodeAttributes(const std::vector<Attribute>& attributes) {
  size_t size = 4;
  for (const Attribute& a : attributes) size += 12 + a.value().size();
  Encoder e;
  e.out().reserve(size);
  e.U32(static_cast<uint32_t>(attributes.size()));
  for (const Attribute& a : attributes) {
    e.U64(a.type());
    e.Blob(a.value());
  }
  return std::move(e.out());
}

std::optional<std::vector<Attribute>> DecodeAttributes(ByteView payload) {
  Decoder d(payload);
  uint32_t count;
  if (!d.U32(&count) || count > kMaxAttributes || count > payload.size() / 12) return std::nullopt;
  std::vector<Attribute> attributes;
  attributes.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    uint64_t type;
    ByteView value;
    if (!d.U64(&type) || !d.Blob(&value)) return std::nullopt;
    attributes.emplace_back(static_cast<AttributeType>(type), value);
  }
  if (!d.done()) return std::nullopt;
  return attributes;
}

// MustSeal says whether an object's attributes are stored sealed: keys with
// secret material, private objects, and anything holding a private RSA
// component.
bool MustSeal(const std::vector<Attribute>& attributes) {
  for (const Attribute& a : attributes) {
    switch (a.type()) {
      case CKA_CLASS: {
        const std::optional<CK_ULONG> c = a.AsUlong();
        if (c && (*c == CKO_PRIVATE_KEY || *c == CKO_SECRET_KEY || *c == CKO_OTP_KEY)) return true;
        break;
      }
      case CKA_PRIVATE:
        if (a.AsBool().value_or(false)) return true;
        break;
      case CKA_PRIVATE_EXPONENT:
      case CKA_PRIME_1:
      case CKA_PRIME_2:
      case CKA_EXPONENT_1:
      case CKA_EXPONENT_2:
      case CKA_COEFFICIENT:
        return true;
      default:
        break;
    }
  }
  return false;
}

// --- Files --------------------------------------------------------------------

enum class ReadStatus { kOk, kMissing, kError };

// FileReader reads whole files into one reused buffer, which it wipes when
// done. The buffer is not zero-filled first: a pack can be large.
class FileReader {
 public:
  explicit FileReader(size_t max_size = kMaxFileSize) : max_size_(max_size) { Grow(16384, 0); }
  ~FileReader() { OPENSSL_cleanse(buf_.get(), capacity_); }
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  // Read reads |name| in |dir_fd|; on kOk, data() views its bytes until the
  // next Read. Errors other than a missing file are logged. |use_fstat|
  // sizes the buffer from the file's size first, for large files.
  ReadStatus Read(int dir_fd, const char* name, const std::string& path, bool use_fstat = false) {
    size_ = 0;
    Fd fd(openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd.valid()) {
      if (errno == ENOENT) return ReadStatus::kMissing;
      LogError("%s: cannot open: %s", path.c_str(), strerror(errno));
      return ReadStatus::kError;
    }
    if (use_fstat) {
      struct stat st;
      if (fstat(fd.get(), &st) == 0 && st.st_size >= 0 &&
          static_cast<uint64_t>(st.st_size) < max_size_ && capacity_ <= size_t(st.st_size)) {
        Grow(static_cast<size_t>(st.st_size) + 1, 0);
      }
    }
    size_t size = 0;
    for (;;) {
      if (size == capacity_) {
        if (capacity_ >= max_size_) {
          LogError("%s: refused: larger than %zu bytes", path.c_str(), max_size_);
          return ReadStatus::kError;
        }
        Grow(std::min(capacity_ * 2, max_size_), size);
      }
      const ssize_t n = read(fd.get(), buf_.get() + size, capacity_ - size);
      if (n < 0) {
        if (errno == EINTR) continue;
        LogError("%s: cannot read: %s", path.c_str(), strerror(errno));
        return ReadStatus::kError;
      }
      size += static_cast<size_t>(n);
      // A regular file's read is short only at its end.
      if (n == 0 || size < capacity_) break;
    }
    size_ = size;
    return ReadStatus::kOk;
  }

  ByteView data() const { return ByteView(buf_.get(), size_); }

 private:
  // Grow replaces the buffer by one of |capacity| bytes keeping the first
  // |keep| bytes.
  void Grow(size_t capacity, size_t keep) {
    std::unique_ptr<uint8_t[]> bigger(new uint8_t[capacity]);
    if (keep) memcpy(bigger.get(), buf_.get(), keep);
    if (buf_) OPENSSL_cleanse(buf_.get(), capacity_);
    buf_ = std::move(bigger);
    capacity_ = capacity;
  }

  std::unique_ptr<uint8_t[]> buf_;
  size_t capacity_ = 0;
  size_t size_ = 0;
  const size_t max_size_;
};

// --- Packs --------------------------------------------------------------------

struct PackEntry {
  uint64_t id;
  ByteView bytes;  // one object container, not yet checked (index mode)
};

struct PackContents {
  std::vector<PackEntry> entries;
  bool indexed = false;  // the index was intact; else entries were found by scanning
  bool newer = false;    // written by a newer format: nothing was read
};

SecretBytes BuildPack(const std::vector<PackEntry>& entries) {
  size_t size = kPackHeaderSize + kPackTrailerSize;
  for (const PackEntry& e : entries) size += e.bytes.size() + kPackIndexEntrySize;
  Encoder e;
  e.out().reserve(size);
  e.Raw(AsBytes(kPackMagic));
  e.U16(kFileStoreFormatVersion);
  e.U16(0);
  std::vector<uint64_t> offsets;
  offsets.reserve(entries.size());
  for (const PackEntry& entry : entries) {
    offsets.push_back(e.out().size());
    e.Raw(entry.bytes);
  }
  const size_t index_offset = e.out().size();
  for (size_t i = 0; i < entries.size(); ++i) {
    e.U64(entries[i].id);
    e.U64(offsets[i]);
    e.U32(static_cast<uint32_t>(entries[i].bytes.size()));
  }
  e.U64(entries.size());
  e.U64(index_offset);
  e.Raw(AsBytes(kPackTrailerMagic));
  SHA256_CTX sha;
  SHA256_Init(&sha);
  SHA256_Update(&sha, e.out().data(), kPackHeaderSize);
  SHA256_Update(&sha, e.out().data() + index_offset, e.out().size() - index_offset);
  uint8_t digest[kChecksumSize];
  SHA256_Final(digest, &sha);
  e.Raw(ByteView(digest, sizeof digest));
  return std::move(e.out());
}

// ReadPackIndex reads the index of an intact pack; false if the index,
// trailer or header is damaged or missing.
bool ReadPackIndex(ByteView pack, const std::string& path, PackContents* out) {
  if (pack.size() < kPackHeaderSize + kPackTrailerSize) return false;
  const uint8_t* trailer = pack.data() + pack.size() - kPackTrailerSize;
  const uint64_t count = LoadLe64(trailer);
  const uint64_t index_offset = LoadLe64(trailer + 8);
  if (AsStringView(ByteView(trailer + 16, 4)) != kPackTrailerMagic) return false;
  if (index_offset < kPackHeaderSize || index_offset > pack.size() - kPackTrailerSize ||
      count > pack.size() / kPackIndexEntrySize ||
      count * kPackIndexEntrySize != pack.size() - kPackTrailerSize - index_offset)
    return false;
  SHA256_CTX sha;
  SHA256_Init(&sha);
  SHA256_Update(&sha, pack.data(), kPackHeaderSize);
  SHA256_Update(&sha, pack.data() + index_offset, pack.size() - index_offset - kChecksumSize);
  uint8_t digest[kChecksumSize];
  SHA256_Final(digest, &sha);
  if (memcmp(digest, pack.data() + pack.size() - kChecksumSize, kChecksumSize) != 0) return false;
  if (AsStringView(pack.first(4)) != kPackMagic) return false;
  const unsigned version = pack[4] | (pack[5] << 8);
  const unsigned flags = pack[6] | (pack[7] << 8);
  if (version > kFileStoreFormatVersion || flags != 0) {
    LogError(
        "%s: refused: written in format version %u by a newer cryptoki; this one reads up to "
        "version %u",
        path.c_str(), version, kFileStoreFormatVersion);
    out->newer = true;
    return true;
  }
  if (version == 0) return false;
  out->indexed = true;
  out->entries.reserve(count);
  Decoder d(pack.subspan(index_offset, count * kPackIndexEntrySize));
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t id = 0, offset = 0;
    uint32_t length = 0;
    d.U64(&id);
    d.U64(&offset);
    d.U32(&length);
    if (offset < kPackHeaderSize || offset > index_offset || length > index_offset - offset) {
      LogError("%s: object %016llx refused: index entry out of bounds", path.c_str(), Ull(id));
      continue;
    }
    out->entries.push_back(PackEntry{id, pack.subspan(offset, length)});
  }
  return true;
}

// ScanPack recovers the intact entries of a pack whose index is unusable.
void ScanPack(ByteView pack, const std::string& path, PackContents* out) {
  LogError("%s: index damaged or missing (truncated?); recovering objects by scanning",
           path.c_str());
  const std::string_view magic = MagicOf(FileKind::kObject);
  std::unordered_set<uint64_t> seen;
  size_t pos = kPackHeaderSize;
  size_t damaged_from = SIZE_MAX;
  const auto report_damage = [&](size_t end) {
    if (damaged_from == SIZE_MAX) return;
    LogError("%s: %s bytes [%zu, %zu) skipped; objects stored there are refused", path.c_str(),
             end == pack.size() ? "unreadable trailing" : "damaged", damaged_from, end);
    damaged_from = SIZE_MAX;
  };
  while (pos < pack.size()) {
    Container c;
    size_t size = 0;
    const ByteView rest = pack.subspan(pos);
    const bool at_magic = rest.size() >= 4 && AsStringView(rest.first(4)) == magic;
    if (at_magic) {
      // Size the candidate from its header, then check it whole.
      CheckContainer(rest.first(std::min<size_t>(rest.size(), kHeaderSize)), FileKind::kObject, &c,
                     &size);
      if (size != 0 && size <= rest.size() &&
          CheckContainer(rest.first(size), FileKind::kObject, &c, &size) == Check::kOk) {
        report_damage(pos);
        if (seen.insert(c.id).second) out->entries.push_back(PackEntry{c.id, rest.first(size)});
        pos += size;
        continue;
      }
    }
    if (damaged_from == SIZE_MAX) damaged_from = pos;
    const void* next = memmem(pack.data() + pos + 1, pack.size() - pos - 1, magic.data(), 4);
    pos = next ? static_cast<const uint8_t*>(next) - pack.data() : pack.size();
  }
  // The tail holds the index and trailer, if they are still there.
  report_damage(pack.size());
}

PackContents ParsePack(ByteView pack, const std::string& path) {
  PackContents out;
  if (!ReadPackIndex(pack, path, &out)) {
    out = PackContents();
    ScanPack(pack, path, &out);
  }
  return out;
}

// --- Token --------------------------------------------------------------------

// State is the token's small, frequently read state file: the change
// counters, and the bookkeeping of compaction. It is a hint, never synced: a
// lost update only causes a spurious reload or a late compaction.
struct State {
  uint64_t objects_gen = 0;
  uint64_t record_gen = 0;
  uint64_t loose = 0;         // object and tombstone files written since compaction
  uint64_t pack_objects = 0;  // objects in the pack
};

// Listing is what an object directory holds.
struct Listing {
  std::vector<std::pair<uint64_t, std::string>> loose;       // <id>.obj
  std::vector<std::pair<uint64_t, std::string>> tombstones;  // <id>.del
  std::vector<std::string> strays;                           // .tmp-*
  bool has_pack = false;
};

Result<Listing> ListObjects(int objects_fd, const std::string& path) {
  auto names = ListDir(objects_fd, path);
  if (!names.has_value()) return Fail(names.error());
  Listing listing;
  for (std::string& name : *names) {
    if (std::optional<uint64_t> id = ParseIdFileName(name, kObjectSuffix)) {
      listing.loose.emplace_back(*id, std::move(name));
    } else if (std::optional<uint64_t> id = ParseIdFileName(name, kTombstoneSuffix)) {
      listing.tombstones.emplace_back(*id, std::move(name));
    } else if (name == kPackFile) {
      listing.has_pack = true;
    } else if (StartsWith(name, kTempPrefix)) {
      listing.strays.push_back(std::move(name));
    }
  }
  return listing;
}

class FileTokenStore : public TokenStore {
 public:
  // Open opens the token in directory slot-<slot_id> of |root_fd|.
  static Result<std::unique_ptr<FileTokenStore>> Open(int root_fd, const std::string& root_path,
                                                      CK_SLOT_ID slot_id,
                                                      const FileStoreOptions& options) {
    const std::string name = SlotDirName(slot_id);
    const std::string path = root_path + "/" + name;
    Fd dir(openat(root_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir.valid()) {
      LogError("%s: cannot open token directory: %s", path.c_str(), strerror(errno));
      return Fail(Rv::kDeviceError);
    }
    Fd state(openat(dir.get(), kStateFile, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!state.valid()) {
      LogError("%s/%s: cannot open: %s", path.c_str(), kStateFile, strerror(errno));
      return Fail(Rv::kDeviceError);
    }
    auto store = std::unique_ptr<FileTokenStore>(
        new FileTokenStore(path, slot_id, std::move(dir), std::move(state), options));
    store->CleanUpTokenDir();
    return store;
  }

  Result<TokenRecord> LoadRecord() override {
    const State s = ReadState();
    FileReader reader;
    const std::string path = dir_path_ + "/" + kRecordFile;
    switch (reader.Read(dir_fd_.get(), kRecordFile, path)) {
      case ReadStatus::kOk:
        break;
      case ReadStatus::kMissing:
        LogError("%s: token record missing", path.c_str());
        return Fail(Rv::kDeviceError);
      case ReadStatus::kError:
        return Fail(Rv::kDeviceError);
    }
    auto container = OpenContainer(reader.data(), FileKind::kRecord, slot_id_, path);
    if (!container.has_value()) return Fail(container.error());
    std::optional<TokenRecord> record = DecodeRecord(container->payload);
    if (!record.has_value()) {
      LogError("%s: refused: malformed token record", path.c_str());
      return Fail(Rv::kDeviceError);
    }
    known_record_gen_.store(s.record_gen);
    return std::move(*record);
  }

  Result<> SaveRecord(const TokenRecord& record) override {
    const SecretBytes file = BuildContainer(FileKind::kRecord, 0, slot_id_, EncodeRecord(record));
    return Write(&State::record_gen, [&](State&) -> Result<> {
      return WriteFileAtomic(dir_fd_.get(), dir_path_, kRecordFile, file);
    });
  }

  Result<std::vector<ObjectRecord>> LoadObjects() override {
    std::vector<ObjectRecord> objects;
    bool strays = false;
    bool compact = false;
    {
      // A shared lock: no writer, in particular no compaction, runs while
      // the directory and the pack are read.
      auto lock = Lock::Acquire(dir_fd_.get(), dir_path_, /*shared=*/true);
      if (!lock.has_value()) return Fail(lock.error());
      const State s = ReadState();
      auto objects_fd = OpenObjectsDir();
      if (!objects_fd.has_value()) return Fail(objects_fd.error());
      auto listing = ListObjects(objects_fd->get(), objects_path_);
      if (!listing.has_value()) return Fail(listing.error());
      strays = !listing->strays.empty();

      std::lock_guard<std::mutex> key_lock(key_mu_);
      if (listing->has_pack) {
        FileReader pack_reader(kMaxPackSize);
        const std::string pack_path = objects_path_ + "/" + kPackFile;
        if (pack_reader.Read(objects_fd->get(), kPackFile, pack_path, /*use_fstat=*/true) ==
            ReadStatus::kOk) {
          const PackContents pack = ParsePack(pack_reader.data(), pack_path);
          std::unordered_set<uint64_t> shadowed;
          for (const auto& [id, name] : listing->loose) shadowed.insert(id);
          for (const auto& [id, name] : listing->tombstones) shadowed.insert(id);
          objects.reserve(pack.entries.size() + listing->loose.size());
          for (const PackEntry& entry : pack.entries) {
            if (!shadowed.empty() && shadowed.count(entry.id)) continue;
            if (auto object = DecodeObject(entry.bytes, entry.id, pack_path, /*packed=*/true))
              objects.push_back(std::move(*object));
          }
          compact = listing->loose.size() + listing->tombstones.size() >=
                    CompactThreshold(pack.entries.size()) * 2;
        }
      } else {
        compact = listing->loose.size() + listing->tombstones.size() >= CompactThreshold(0) * 2;
      }
      FileReader reader;
      std::string path;
      for (const auto& [id, name] : listing->loose) {
        path.assign(objects_path_).append("/").append(name);
        if (reader.Read(objects_fd->get(), name.c_str(), path) != ReadStatus::kOk) continue;
        if (auto object = DecodeObject(reader.data(), id, path, /*packed=*/false))
          objects.push_back(std::move(*object));
      }
      known_objects_gen_.store(s.objects_gen);
    }
    // Housekeeping a writer did not do (after a crash): only if nobody
    // holds the lock, and never failing the load.
    if (strays || compact) {
      if (std::optional<Lock> lock = Lock::TryAcquire(dir_fd_.get())) {
        if (auto objects_fd = OpenObjectsDir(); objects_fd.has_value()) {
          if (auto listing = ListObjects(objects_fd->get(), objects_path_); listing.has_value())
            for (const std::string& name : listing->strays)
              unlinkat(objects_fd->get(), name.c_str(), 0);
          if (compact && !compact_failed_) {
            State s = ReadState();
            if (Compact(objects_fd->get(), s).has_value()) {
              WriteState(s);
            } else {
              compact_failed_ = true;  // not again from this store's loads
            }
          }
        }
      }
    }
    return objects;
  }

  Result<> PutObject(const ObjectRecord& object) override {
    size_t size = kContainerOverhead + kNonceSize + kTagSize + 4;
    for (const Attribute& a : object.attributes) size += 12 + a.value().size();
    if (size > kMaxFileSize) {
      LogError("%s: object %016llx refused: %zu bytes, more than the %zu a file may hold",
               objects_path_.c_str(), Ull(object.id), size, kMaxFileSize);
      return Fail(Rv::kDeviceMemory);
    }
    SecretBytes payload = EncodeAttributes(object.attributes);
    uint16_t flags = 0;
    if (MustSeal(object.attributes)) {
      flags = kFlagSealed;
      std::lock_guard<std::mutex> key_lock(key_mu_);
      if (!aead_) return Fail(Rv::kUserNotLoggedIn);
      auto sealed = Seal(object.id, flags, payload);
      if (!sealed.has_value()) return Fail(sealed.error());
      payload = std::move(*sealed);
    }
    const SecretBytes file = BuildContainer(FileKind::kObject, flags, object.id, payload);
    const std::string name = IdFileName(object.id, kObjectSuffix);
    const std::string tombstone = IdFileName(object.id, kTombstoneSuffix);
    return Write(&State::objects_gen, [&](State& s) -> Result<> {
      auto objects_fd = OpenObjectsDir();
      if (!objects_fd.has_value()) return Fail(objects_fd.error());
      CRYPTOKI_TRY(WriteFileAtomic(objects_fd->get(), objects_path_, name.c_str(), file));
      // The object file now takes precedence over a tombstone, which is
      // merely tidied away.
      unlinkat(objects_fd->get(), tombstone.c_str(), 0);
      ++s.loose;
      MaybeCompact(objects_fd->get(), s);
      return {};
    });
  }

  Result<> RemoveObject(uint64_t id) override {
    const std::string name = IdFileName(id, kObjectSuffix);
    const std::string tombstone = IdFileName(id, kTombstoneSuffix);
    return Write(&State::objects_gen, [&](State& s) -> Result<> {
      auto objects_fd = OpenObjectsDir();
      if (!objects_fd.has_value()) return Fail(objects_fd.error());
      // First the tombstone hiding the packed copy, then the object file:
      // until that is gone the object is still there, whole.
      Fd fd(openat(objects_fd->get(), tombstone.c_str(),
                   O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
      if (!fd.valid()) {
        const int err = errno;
        LogError("%s/%s: cannot create: %s", objects_path_.c_str(), tombstone.c_str(),
                 strerror(err));
        return Fail(WriteErrorRv(err));
      }
      fd.reset();
      CRYPTOKI_TRY(SyncDir(objects_fd->get(), objects_path_));
      if (unlinkat(objects_fd->get(), name.c_str(), 0) != 0) {
        if (errno != ENOENT) {
          LogError("%s/%s: cannot remove: %s", objects_path_.c_str(), name.c_str(),
                   strerror(errno));
          return Fail(Rv::kDeviceError);
        }
      } else {
        CRYPTOKI_TRY(SyncDir(objects_fd->get(), objects_path_));
      }
      ++s.loose;
      MaybeCompact(objects_fd->get(), s);
      return {};
    });
  }

  Result<> RemoveAllObjects() override {
    return Write(&State::objects_gen, [&](State& s) -> Result<> {
      // Point |objects| at a new empty directory in one rename, then delete
      // the old directory (a crash before that leaves it to CleanUpTokenDir).
      const std::string old_target = ReadObjectsLink();
      const std::string new_target = kObjectsDirPrefix + RandomHex(8);
      CRYPTOKI_TRY(MakeObjectsDir(dir_fd_.get(), dir_path_, new_target));
      if (Result<> r = PointObjectsLink(dir_fd_.get(), dir_path_, new_target, options_.sync);
          !r.has_value()) {
        RemoveTree(dir_fd_.get(), new_target);
        return r;
      }
      s.loose = 0;
      s.pack_objects = 0;
      if (!old_target.empty() && old_target != new_target &&
          !RemoveTree(dir_fd_.get(), old_target)) {
        LogWarning("%s/%s: could not remove the old objects (they are no longer used)",
                   dir_path_.c_str(), old_target.c_str());
      }
      return {};
    });
  }

  uint64_t NewObjectId() override {
    for (;;) {
      uint64_t id = 0;
      RAND_bytes(reinterpret_cast<uint8_t*>(&id), sizeof id);
      id &= ~(uint64_t{1} << 63);
      if (id == 0) continue;
      // Random 63-bit ids do not collide in practice; this check is cheap.
      const std::string rel = std::string(kObjectsLink) + "/" + IdFileName(id, kObjectSuffix);
      if (faccessat(dir_fd_.get(), rel.c_str(), F_OK, 0) != 0 && errno == ENOENT) return id;
    }
  }

  void SetDataKey(const SecretBytes& key) override {
    std::lock_guard<std::mutex> key_lock(key_mu_);
    aead_.reset();
    if (key.empty()) return;
    SecretBytes seal_key(32);
    if (!HKDF(seal_key.data(), seal_key.size(), EVP_sha256(), key.data(), key.size(), nullptr, 0,
              reinterpret_cast<const uint8_t*>(kSealInfo), sizeof(kSealInfo) - 1)) {
      LogError("%s: cannot derive the object sealing key", dir_path_.c_str());
      return;
    }
    auto ctx = std::make_unique<bssl::ScopedEVP_AEAD_CTX>();
    if (!EVP_AEAD_CTX_init(ctx->get(), EVP_aead_aes_256_gcm(), seal_key.data(), seal_key.size(),
                           kTagSize, nullptr)) {
      LogError("%s: cannot set up AES-256-GCM", dir_path_.c_str());
      return;
    }
    aead_ = std::move(ctx);
  }

  bool Changed() override {
    const State s = ReadState();
    return s.objects_gen != known_objects_gen_.load() || s.record_gen != known_record_gen_.load();
  }

  // MakeObjectsDir creates an empty object directory |name| in |dir_fd|.
  static Result<> MakeObjectsDir(int dir_fd, const std::string& dir_path, const std::string& name) {
    if (mkdirat(dir_fd, name.c_str(), 0700) != 0) {
      const int err = errno;
      LogError("%s/%s: cannot create: %s", dir_path.c_str(), name.c_str(), strerror(err));
      return Fail(WriteErrorRv(err));
    }
    return {};
  }

  // PointObjectsLink atomically makes |objects| in |dir_fd| point at |target|.
  static Result<> PointObjectsLink(int dir_fd, const std::string& dir_path,
                                   const std::string& target, bool sync) {
    const std::string temp = kTempPrefix + RandomHex(8);
    if (symlinkat(target.c_str(), dir_fd, temp.c_str()) != 0 ||
        renameat(dir_fd, temp.c_str(), dir_fd, kObjectsLink) != 0) {
      const int err = errno;
      LogError("%s/%s: cannot switch: %s", dir_path.c_str(), kObjectsLink, strerror(err));
      unlinkat(dir_fd, temp.c_str(), 0);
      return Fail(WriteErrorRv(err));
    }
    if (sync && fsync(dir_fd) != 0) {
      LogError("%s: cannot sync directory: %s", dir_path.c_str(), strerror(errno));
      return Fail(Rv::kDeviceError);
    }
    return {};
  }

 private:
  FileTokenStore(std::string dir_path, CK_SLOT_ID slot_id, Fd dir_fd, Fd state_fd,
                 const FileStoreOptions& options)
      : dir_path_(std::move(dir_path)),
        objects_path_(dir_path_ + "/" + kObjectsLink),
        slot_id_(slot_id),
        dir_fd_(std::move(dir_fd)),
        state_fd_(std::move(state_fd)),
        options_(options) {
    const State s = ReadState();
    known_objects_gen_.store(s.objects_gen);
    known_record_gen_.store(s.record_gen);
  }

  // ReadState reads the state file; a short or missing file counts as zeros.
  State ReadState() const {
    uint8_t buf[32] = {};
    ssize_t n;
    do {
      n = pread(state_fd_.get(), buf, sizeof buf, 0);
    } while (n < 0 && errno == EINTR);
    State s;
    Decoder d(ByteView(buf, sizeof buf));
    d.U64(&s.objects_gen);
    d.U64(&s.record_gen);
    d.U64(&s.loose);
    d.U64(&s.pack_objects);
    return s;
  }

  void WriteState(const State& s) {
    Encoder e;
    e.U64(s.objects_gen);
    e.U64(s.record_gen);
    e.U64(s.loose);
    e.U64(s.pack_objects);
    ssize_t n;
    do {
      n = pwrite(state_fd_.get(), e.out().data(), e.out().size(), 0);
    } while (n < 0 && errno == EINTR);
    if (n != static_cast<ssize_t>(e.out().size()))
      LogError("%s/%s: cannot update: %s", dir_path_.c_str(), kStateFile,
               n < 0 ? strerror(errno) : "short write");
  }

  // Write runs |write| under the exclusive lock and, if it succeeded, bumps
  // the counter |which|. The store keeps knowing the current state only if
  // nobody else wrote since it last loaded.
  template <class F>
  Result<> Write(uint64_t State::*which, F&& write) {
    auto lock = Lock::Acquire(dir_fd_.get(), dir_path_, /*shared=*/false);
    if (!lock.has_value()) return Fail(lock.error());
    State s = ReadState();
    const uint64_t before = s.*which;
    CRYPTOKI_TRY(write(s));
    s.*which = before + 1;
    WriteState(s);
    std::atomic<uint64_t>& known =
        which == &State::objects_gen ? known_objects_gen_ : known_record_gen_;
    uint64_t expected = before;
    known.compare_exchange_strong(expected, before + 1);
    return {};
  }

  // WriteFileAtomic replaces |name| in |dir_fd| with |data|: temporary file,
  // sync, rename, sync of the directory. Called under the lock.
  Result<> WriteFileAtomic(int dir_fd, const std::string& dir_path, const char* name,
                           ByteView data) {
    const std::string temp = kTempPrefix + RandomHex(8);
    Fd fd(openat(dir_fd, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd.valid()) {
      const int err = errno;
      LogError("%s/%s: cannot create: %s", dir_path.c_str(), temp.c_str(), strerror(err));
      return Fail(WriteErrorRv(err));
    }
    const auto fail = [&](const char* what) -> Result<> {
      const int err = errno;
      LogError("%s/%s: cannot %s: %s", dir_path.c_str(), name, what, strerror(err));
      fd.reset();
      unlinkat(dir_fd, temp.c_str(), 0);
      return Fail(WriteErrorRv(err));
    };
    if (!WriteAll(fd.get(), data)) return fail("write");
    if (options_.sync && fdatasync(fd.get()) != 0) return fail("sync");
    if (close(fd.release()) != 0) return fail("write");
    if (renameat(dir_fd, temp.c_str(), dir_fd, name) != 0) return fail("rename");
    return SyncDir(dir_fd, dir_path);
  }

  Result<> SyncDir(int dir_fd, const std::string& dir_path) {
    if (options_.sync && fsync(dir_fd) != 0) {
      LogError("%s: cannot sync directory: %s", dir_path.c_str(), strerror(errno));
      return Fail(Rv::kDeviceError);
    }
    return {};
  }

  Result<Fd> OpenObjectsDir() {
    Fd fd(openat(dir_fd_.get(), kObjectsLink, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid()) {
      LogError("%s: cannot open object directory: %s", objects_path_.c_str(), strerror(errno));
      return Fail(Rv::kDeviceError);
    }
    return fd;
  }

  std::string ReadObjectsLink() {
    char target[256];
    const ssize_t n = readlinkat(dir_fd_.get(), kObjectsLink, target, sizeof target - 1);
    if (n <= 0) return "";
    return std::string(target, static_cast<size_t>(n));
  }

  // CompactThreshold is how many loose files (objects and tombstones)
  // trigger a compaction of a pack of |pack_objects|. Loading costs some tens
  // of microseconds per loose file, against a fraction of one per packed
  // object; compaction rewrites the whole pack. A sixteenth of the pack, at
  // most 4,096 files, keeps both costs in bounds.
  size_t CompactThreshold(size_t pack_objects) const {
    return std::max<size_t>(std::max<size_t>(options_.compact_min, 1),
                            std::min<size_t>(pack_objects / 16, 4096));
  }

  // MaybeCompact compacts when enough loose files accumulated. A failed
  // compaction fails nothing: the write before it is done.
  void MaybeCompact(int objects_fd, State& s) {
    if (s.loose < CompactThreshold(s.pack_objects)) return;
    // After a failure, wait for as many writes again before the next try.
    if (!Compact(objects_fd, s).has_value()) s.loose = 0;
  }

  // Compact folds the loose object files and tombstones into a new pack.
  // Called under the exclusive lock. Every step leaves a valid state: the
  // new pack replaces the old one in one rename, and holds every object the
  // loose files still hold, so they can be removed after it (tombstones
  // first: a tombstone must not outlive its object file, which would then
  // hide the packed copy).
  Result<> Compact(int objects_fd, State& s) {
    auto listing = ListObjects(objects_fd, objects_path_);
    if (!listing.has_value()) return Fail(listing.error());
    const std::string pack_path = objects_path_ + "/" + kPackFile;
    FileReader pack_reader(kMaxPackSize);
    PackContents pack;
    if (listing->has_pack) {
      if (pack_reader.Read(objects_fd, kPackFile, pack_path, /*use_fstat=*/true) != ReadStatus::kOk)
        return Fail(Rv::kDeviceError);
      pack = ParsePack(pack_reader.data(), pack_path);
      bool intact = pack.indexed && !pack.newer;
      for (const PackEntry& entry : pack.entries) {
        Container c;
        size_t size;
        intact = intact &&
                 CheckContainer(entry.bytes, FileKind::kObject, &c, &size) == Check::kOk &&
                 c.id == entry.id;
      }
      if (!intact) {
        LogError("%s: not compacting: the pack is damaged or newer; it is kept as it is",
                 pack_path.c_str());
        return Fail(Rv::kDeviceError);
      }
    }
    std::unordered_set<uint64_t> shadowed;
    for (const auto& [id, name] : listing->loose) shadowed.insert(id);
    for (const auto& [id, name] : listing->tombstones) shadowed.insert(id);
    std::vector<PackEntry> entries;
    entries.reserve(pack.entries.size() + listing->loose.size());
    for (const PackEntry& entry : pack.entries)
      if (!shadowed.count(entry.id)) entries.push_back(entry);
    // Loose files that are intact join the pack; damaged ones stay as they
    // are (still refused on load, still shadowing an older packed copy).
    std::vector<SecretBytes> loose_bytes;
    loose_bytes.reserve(listing->loose.size());
    std::vector<const std::string*> merged;
    FileReader reader;
    for (const auto& [id, name] : listing->loose) {
      if (reader.Read(objects_fd, name.c_str(), objects_path_ + "/" + name) != ReadStatus::kOk)
        continue;
      Container c;
      size_t size;
      if (CheckContainer(reader.data(), FileKind::kObject, &c, &size) != Check::kOk || c.id != id)
        continue;
      loose_bytes.emplace_back(reader.data().begin(), reader.data().end());
      entries.push_back(PackEntry{id, loose_bytes.back()});
      merged.push_back(&name);
    }
    const SecretBytes new_pack = BuildPack(entries);
    CRYPTOKI_TRY(WriteFileAtomic(objects_fd, objects_path_, kPackFile, new_pack));
    for (const auto& [id, name] : listing->tombstones) unlinkat(objects_fd, name.c_str(), 0);
    CRYPTOKI_TRY(SyncDir(objects_fd, objects_path_));
    for (const std::string* name : merged) unlinkat(objects_fd, name->c_str(), 0);
    CRYPTOKI_TRY(SyncDir(objects_fd, objects_path_));
    s.loose = listing->loose.size() - merged.size();
    s.pack_objects = entries.size();
    return {};
  }

  // CleanUpTokenDir removes what interrupted writes left in the token
  // directory: temporary files and object directories no longer linked. It
  // does nothing while another process holds the lock.
  void CleanUpTokenDir() {
    std::optional<Lock> lock = Lock::TryAcquire(dir_fd_.get());
    if (!lock.has_value()) return;
    auto names = ListDir(dir_fd_.get(), dir_path_);
    if (!names.has_value()) return;
    const std::string current = ReadObjectsLink();
    for (const std::string& name : *names) {
      if (StartsWith(name, kTempPrefix) || (StartsWith(name, kObjectsDirPrefix) && name != current))
        RemoveTree(dir_fd_.get(), name);
    }
  }

  // SealAad is the additional data binding a sealed payload to its
  // container header and to this token.
  Bytes SealAad(ByteView header) const {
    Bytes aad(header.begin(), header.end());
    for (int i = 0; i < 8; ++i) aad.push_back(static_cast<uint8_t>(uint64_t{slot_id_} >> (8 * i)));
    return aad;
  }

  // Seal returns nonce || AES-256-GCM(payload). Needs key_mu_ and aead_.
  Result<SecretBytes> Seal(uint64_t id, uint16_t flags, ByteView payload) {
    Encoder header;
    header.Raw(AsBytes(MagicOf(FileKind::kObject)));
    header.U16(kFileStoreFormatVersion);
    header.U16(flags);
    header.U64(id);
    const Bytes aad = SealAad(header.out());
    SecretBytes out(kNonceSize + payload.size() + kTagSize);
    RAND_bytes(out.data(), kNonceSize);
    size_t out_len = 0;
    if (!EVP_AEAD_CTX_seal(aead_->get(), out.data() + kNonceSize, &out_len, out.size() - kNonceSize,
                           out.data(), kNonceSize, payload.data(), payload.size(), aad.data(),
                           aad.size())) {
      LogError("%s: cannot seal object %016llx", dir_path_.c_str(), Ull(id));
      return Fail(Rv::kGeneralError);
    }
    out.resize(kNonceSize + out_len);
    return out;
  }

  // DecodeObject checks and decodes one object container; nullopt when it
  // is refused (logged) or sealed while no data key is set (silent). Needs
  // key_mu_.
  // |where| names the file; a packed object is named "<pack path>[<id>]".
  std::optional<ObjectRecord> DecodeObject(ByteView file, uint64_t id, const std::string& where,
                                           bool packed) {
    const auto what = [&] { return packed ? where + "[" + IdFileName(id, "") + "]" : where; };
    Container container;
    size_t size;
    if (CheckContainer(file, FileKind::kObject, &container, &size) != Check::kOk ||
        container.id != id) {
      (void)OpenContainer(file, FileKind::kObject, id, what());  // logs why
      return std::nullopt;
    }
    ByteView payload = container.payload;
    SecretBytes opened;
    if (container.flags & kFlagSealed) {
      if (!aead_) return std::nullopt;
      if (payload.size() < kNonceSize + kTagSize) {
        LogError("%s: refused: sealed payload too short", what().c_str());
        return std::nullopt;
      }
      const Bytes aad = SealAad(container.header);
      opened.resize(payload.size() - kNonceSize);
      size_t opened_len = 0;
      if (!EVP_AEAD_CTX_open(aead_->get(), opened.data(), &opened_len, opened.size(),
                             payload.data(), kNonceSize, payload.data() + kNonceSize,
                             payload.size() - kNonceSize, aad.data(), aad.size())) {
        LogError(
            "%s: refused: cannot be opened with this token's data key (damaged, moved, or "
            "sealed under another key)",
            what().c_str());
        return std::nullopt;
      }
      opened.resize(opened_len);
      payload = opened;
    }
    std::optional<std::vector<Attribute>> attributes = DecodeAttributes(payload);
    if (!attributes.has_value()) {
      LogError("%s: refused: malformed attribute list", what().c_str());
      return std::nullopt;
    }
    return ObjectRecord{id, std::move(*attributes)};
  }

  const std::string dir_path_;
  const std::string objects_path_;
  const CK_SLOT_ID slot_id_;
  const Fd dir_fd_;
  const Fd state_fd_;
  const FileStoreOptions options_;
  std::atomic<uint64_t> known_objects_gen_{0};
  std::atomic<uint64_t> known_record_gen_{0};
  bool compact_failed_ = false;
  std::mutex key_mu_;
  std::unique_ptr<bssl::ScopedEVP_AEAD_CTX> aead_;  // guarded by key_mu_
};

// --- Store --------------------------------------------------------------------

class FileStore : public Store {
 public:
  FileStore(std::string root_path, Fd root_fd, const FileStoreOptions& options)
      : root_path_(std::move(root_path)), root_fd_(std::move(root_fd)), options_(options) {}

  Result<std::vector<std::unique_ptr<TokenStore>>> OpenTokens() override {
    auto names = ListDir(root_fd_.get(), root_path_);
    if (!names.has_value()) return Fail(names.error());
    std::vector<CK_SLOT_ID> slots;
    for (const std::string& name : *names) {
      if (std::optional<CK_SLOT_ID> slot = ParseSlotDirName(name)) {
        slots.push_back(*slot);
      } else if (StartsWith(name, kTempPrefix)) {
        RemoveIfStale(name);
      }
    }
    std::sort(slots.begin(), slots.end());
    std::vector<std::unique_ptr<TokenStore>> tokens;
    for (CK_SLOT_ID slot : slots) {
      auto token = FileTokenStore::Open(root_fd_.get(), root_path_, slot, options_);
      if (!token.has_value()) continue;  // logged
      if (!(*token)->LoadRecord().has_value()) {
        LogError("%s/%s: token left out", root_path_.c_str(), SlotDirName(slot).c_str());
        continue;
      }
      tokens.push_back(std::move(*token));
    }
    return tokens;
  }

  Result<std::unique_ptr<TokenStore>> CreateToken(CK_SLOT_ID slot_id) override {
    const std::string name = SlotDirName(slot_id);
    struct stat st;
    if (fstatat(root_fd_.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT) {
        LogError("%s/%s: %s", root_path_.c_str(), name.c_str(), strerror(errno));
        return Fail(Rv::kDeviceError);
      }
      CRYPTOKI_TRY(BuildToken(slot_id));
    }
    auto token = FileTokenStore::Open(root_fd_.get(), root_path_, slot_id, options_);
    if (!token.has_value()) return Fail(token.error());
    if (!(*token)->LoadRecord().has_value()) {
      LogError("%s/%s: a token exists there but cannot be read; not overwriting it",
               root_path_.c_str(), name.c_str());
      return Fail(Rv::kDeviceError);
    }
    return std::unique_ptr<TokenStore>(std::move(*token));
  }

 private:
  // BuildToken creates slot-<slot_id> complete, or not at all: it fills a
  // temporary directory and renames it into place. Losing the race to
  // another process is success.
  Result<> BuildToken(CK_SLOT_ID slot_id) {
    const std::string name = SlotDirName(slot_id);
    const std::string temp = kTempPrefix + name + "-" + RandomHex(8);
    const std::string temp_path = root_path_ + "/" + temp;
    if (mkdirat(root_fd_.get(), temp.c_str(), 0700) != 0) {
      const int err = errno;
      LogError("%s: cannot create: %s", temp_path.c_str(), strerror(err));
      return Fail(WriteErrorRv(err));
    }
    Result<> built = FillToken(temp, temp_path, slot_id);
    if (built.has_value()) {
      if (renameat(root_fd_.get(), temp.c_str(), root_fd_.get(), name.c_str()) != 0) {
        if (errno != EEXIST && errno != ENOTEMPTY) {
          const int err = errno;
          LogError("%s/%s: cannot create: %s", root_path_.c_str(), name.c_str(), strerror(err));
          built = Fail(WriteErrorRv(err));
        }
      } else if (options_.sync && fsync(root_fd_.get()) != 0) {
        LogError("%s: cannot sync directory: %s", root_path_.c_str(), strerror(errno));
        built = Fail(Rv::kDeviceError);
      }
    }
    RemoveTree(root_fd_.get(), temp);  // gone already if renamed
    return built;
  }

  Result<> FillToken(const std::string& dir, const std::string& dir_path, CK_SLOT_ID slot_id) {
    Fd fd(openat(root_fd_.get(), dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid()) {
      LogError("%s: cannot open: %s", dir_path.c_str(), strerror(errno));
      return Fail(Rv::kDeviceError);
    }
    const std::string objects = kObjectsDirPrefix + RandomHex(8);
    CRYPTOKI_TRY(FileTokenStore::MakeObjectsDir(fd.get(), dir_path, objects));
    CRYPTOKI_TRY(FileTokenStore::PointObjectsLink(fd.get(), dir_path, objects, false));
    TokenRecord record;
    record.slot_id = slot_id;
    const SecretBytes record_file =
        BuildContainer(FileKind::kRecord, 0, slot_id, EncodeRecord(record));
    const uint8_t zeros[32] = {};
    CRYPTOKI_TRY(WriteNewFile(fd.get(), dir_path, kRecordFile, record_file));
    CRYPTOKI_TRY(WriteNewFile(fd.get(), dir_path, kStateFile, ByteView(zeros, sizeof zeros)));
    CRYPTOKI_TRY(WriteNewFile(fd.get(), dir_path, kLockFile, ByteView()));
    if (options_.sync && fsync(fd.get()) != 0) {
      LogError("%s: cannot sync directory: %s", dir_path.c_str(), strerror(errno));
      return Fail(Rv::kDeviceError);
    }
    return {};
  }

  Result<> WriteNewFile(int dir_fd, const std::string& dir_path, const char* name, ByteView data) {
    Fd fd(openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd.valid() || !WriteAll(fd.get(), data) || (options_.sync && fdatasync(fd.get()) != 0) ||
        close(fd.release()) != 0) {
      const int err = errno;
      LogError("%s/%s: cannot write: %s", dir_path.c_str(), name, strerror(err));
      return Fail(WriteErrorRv(err));
    }
    return {};
  }

  // RemoveIfStale removes a temporary directory a crashed CreateToken left.
  void RemoveIfStale(const std::string& name) {
    struct stat st;
    if (fstatat(root_fd_.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return;
    if (time(nullptr) - st.st_mtime > kStaleTempSeconds) RemoveTree(root_fd_.get(), name);
  }

  const std::string root_path_;
  const Fd root_fd_;
  const FileStoreOptions options_;
};

// MakeDirs creates |path| and its missing parents with mode 0700.
bool MakeDirs(const std::string& path) {
  for (size_t pos = path.find('/', 1);; pos = path.find('/', pos + 1)) {
    const std::string prefix = path.substr(0, pos);
    if (!prefix.empty() && mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) return false;
    if (pos == std::string::npos) return true;
  }
}

}  // namespace

Result<std::unique_ptr<Store>> MakeFileStore(const std::string& token_dir) {
  return MakeFileStore(token_dir, FileStoreOptions());
}

Result<std::unique_ptr<Store>> MakeFileStore(const std::string& token_dir,
                                             const FileStoreOptions& options) {
  std::string path = token_dir;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (path.empty()) {
    LogError("token directory not set");
    return Fail(Rv::kDeviceError);
  }
  if (!MakeDirs(path)) {
    LogError("%s: cannot create token directory: %s", path.c_str(), strerror(errno));
    return Fail(Rv::kDeviceError);
  }
  Fd fd(open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    LogError("%s: cannot open token directory: %s", path.c_str(), strerror(errno));
    return Fail(Rv::kDeviceError);
  }
  if (faccessat(AT_FDCWD, path.c_str(), R_OK | W_OK | X_OK, AT_EACCESS) != 0) {
    LogError("%s: token directory not usable: %s", path.c_str(), strerror(errno));
    return Fail(Rv::kDeviceError);
  }
  return std::unique_ptr<Store>(std::make_unique<FileStore>(path, std::move(fd), options));
}

}  // namespace cryptoki
