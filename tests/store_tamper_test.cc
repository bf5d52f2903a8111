// Damaged FileStore files: every byte flipped and every truncation of every
// stored file is detected. The damaged object (or the record) is refused with
// a logged error, nothing crashes, and everything else keeps loading. Files of
// a newer format version are refused, never misread.
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include "cryptoki/attribute.h"
#include "cryptoki/file_store.h"
#include "cryptoki/store.h"
#include "tests/temp_dir.h"

namespace cryptoki {
namespace {

using ::cryptoki::test_support::TempDir;

namespace fs = std::filesystem;
using ::testing::AnyOf;
using ::testing::HasSubstr;

Bytes ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteFile(const fs::path& path, const Bytes& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), data.size());
}

uint64_t Le64(const Bytes& b, size_t at) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{b[at + i]} << (8 * i);
  return v;
}

SecretBytes DataKey() { return SecretBytes(32, 0x17); }

using Model = std::map<uint64_t, ObjectRecord>;

// Odd ids are public data objects, even ids sealed secret keys.
ObjectRecord Versioned(uint64_t id, int version) {
  const std::string v = std::to_string(version);
  if (id % 2) {
    return ObjectRecord{id,
                        {attr::Class{CKO_DATA}, attr::Token{true}, attr::Private{false},
                         attr::Label{"data " + std::to_string(id)}, attr::Application{v},
                         attr::Value{Bytes(20 + id, static_cast<uint8_t>(id))}}};
  }
  return ObjectRecord{id,
                      {attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_AES}, attr::Token{true},
                       attr::Private{true}, attr::Label{"key " + std::to_string(id)},
                       attr::Application{v}, attr::Value{Bytes(32, static_cast<uint8_t>(id))}}};
}

TokenRecord SampleRecord() {
  TokenRecord r;
  r.slot_id = 0;
  r.initialized = true;
  r.label = "tamper";
  r.serial = "00000000000000aa";
  r.so_pin.salt = Bytes(16, 1);
  r.so_pin.kdf_log2n = 15;
  r.so_pin.sealed_data_key = Bytes(60, 2);
  r.user_pin.salt = Bytes(16, 3);
  r.user_pin.kdf_log2n = 15;
  r.user_pin.sealed_data_key = Bytes(60, 4);
  r.user_pin.failures = 1;
  return r;
}

// Loaded is what a fresh FileStore finds in slot 0, and what it logged.
struct Loaded {
  bool ok = false;
  std::map<uint64_t, ObjectRecord> objects;
  std::string log;
};

Loaded LoadFresh(const std::string& dir) {
  Loaded out;
  testing::internal::CaptureStderr();
  auto store = MakeFileStore(dir);
  if (store.has_value()) {
    auto token = (*store)->CreateToken(0);
    if (token.has_value()) {
      (*token)->SetDataKey(DataKey());
      auto objects = (*token)->LoadObjects();
      if (objects.has_value()) {
        out.ok = true;
        for (ObjectRecord& o : *objects) out.objects.emplace(o.id, std::move(o));
      }
    }
  }
  out.log = testing::internal::GetCapturedStderr();
  return out;
}

// The fixture's token, slot 0: ten objects compacted into the pack (object
// 2 since updated by a loose file, object 5 since removed by a tombstone),
// four loose objects 11..14, and a record. Slot 1 holds one more token.
class StoreTamperTest : public testing::Test {
 protected:
  void SetUp() override {
    FileStoreOptions options;
    options.compact_min = 10;
    auto store = MakeFileStore(tmp_.path(), options);
    ASSERT_TRUE(store.has_value());
    auto token = (*store)->CreateToken(0);
    ASSERT_TRUE(token.has_value());
    TokenStore& t = **token;
    t.SetDataKey(DataKey());
    for (uint64_t id = 1; id <= 14; ++id) {
      model_[id] = Versioned(id, 1);
      ASSERT_TRUE(t.PutObject(model_[id]).has_value());
    }
    model_[2] = Versioned(2, 2);
    ASSERT_TRUE(t.PutObject(model_[2]).has_value());
    ASSERT_TRUE(t.RemoveObject(5).has_value());
    model_.erase(5);
    ASSERT_TRUE(t.SaveRecord(SampleRecord()).has_value());
    auto other = (*store)->CreateToken(1);
    ASSERT_TRUE(other.has_value());
    ASSERT_TRUE((*other)->PutObject(Versioned(1, 1)).has_value());

    slot_ = fs::path(tmp_.path()) / "slot-0";
    objects_ = slot_ / "objects";
    pack_ = objects_ / "pack";
    ASSERT_TRUE(fs::exists(pack_));
    for (const auto& e : fs::directory_iterator(objects_)) {
      const std::string name = e.path().filename().string();
      if (name.ends_with(".obj")) loose_.push_back(e.path());
    }
    std::sort(loose_.begin(), loose_.end());
    ASSERT_EQ(loose_.size(), 5u);  // 2 (updated) and 11..14
    ASSERT_TRUE(fs::exists(objects_ / "0000000000000005.del"));

    // The pack's index: which bytes hold which object.
    const Bytes pack = ReadFile(pack_);
    const size_t trailer = pack.size() - 52;
    const uint64_t count = Le64(pack, trailer);
    const uint64_t index = Le64(pack, trailer + 8);
    ASSERT_EQ(count, 10u);
    for (uint64_t i = 0; i < count; ++i) {
      const size_t at = index + i * 20;
      const uint64_t length = Le64(pack, at + 16) & 0xffffffff;
      packed_.push_back({Le64(pack, at), Le64(pack, at + 8), length});
    }
  }

  static uint64_t IdOfFile(const fs::path& p) {
    return std::stoull(p.filename().string().substr(0, 16), nullptr, 16);
  }

  // ExpectAllBut checks that |loaded| holds the model without |missing|,
  // every object whole.
  void ExpectAllBut(const Loaded& loaded, const std::set<uint64_t>& missing) {
    ASSERT_TRUE(loaded.ok) << loaded.log;
    for (const auto& [id, o] : model_) {
      if (missing.count(id)) {
        EXPECT_FALSE(loaded.objects.count(id)) << "damaged object " << id << " was returned";
        continue;
      }
      auto it = loaded.objects.find(id);
      ASSERT_TRUE(it != loaded.objects.end()) << "object " << id << " lost";
      EXPECT_TRUE(it->second.attributes == o.attributes) << "object " << id << " altered";
    }
    for (const auto& [id, o] : loaded.objects)
      EXPECT_TRUE(model_.count(id)) << "unexpected object " << id;
  }

  struct Packed {
    uint64_t id, offset, length;
  };

  TempDir tmp_{"store_tamper_test"};
  Model model_;
  fs::path slot_, objects_, pack_;
  std::vector<fs::path> loose_;
  std::vector<Packed> packed_;
};

// Flips one byte; a few patterns, so that single-bit and whole-byte damage
// both occur.
uint8_t Flip(size_t offset) {
  static constexpr uint8_t kPatterns[] = {0x01, 0x80, 0xff, 0x5a};
  return kPatterns[offset % 4];
}

TEST_F(StoreTamperTest, UntouchedFixtureLoadsWhole) {
  const Loaded loaded = LoadFresh(tmp_.path());
  EXPECT_EQ(loaded.log, "");
  ExpectAllBut(loaded, {});
}

TEST_F(StoreTamperTest, FlippedByteInObjectFileRefusesOnlyThatObject) {
  for (const fs::path& file : loose_) {
    const Bytes original = ReadFile(file);
    const uint64_t id = IdOfFile(file);
    for (size_t i = 0; i < original.size(); ++i) {
      SCOPED_TRACE(file.filename().string() + " byte " + std::to_string(i));
      Bytes damaged = original;
      damaged[i] ^= Flip(i);
      WriteFile(file, damaged);
      const Loaded loaded = LoadFresh(tmp_.path());
      // Object 2's damaged update must not fall back to its packed copy.
      ExpectAllBut(loaded, {id});
      EXPECT_THAT(loaded.log, HasSubstr("cryptoki: "));
      EXPECT_THAT(loaded.log, HasSubstr(file.filename().string() + ": refused"));
      if (testing::Test::HasFailure()) return;
    }
    WriteFile(file, original);
  }
  ExpectAllBut(LoadFresh(tmp_.path()), {});
}

TEST_F(StoreTamperTest, TruncatedObjectFileIsRefusedOthersLoad) {
  for (const fs::path& file : loose_) {
    const Bytes original = ReadFile(file);
    const uint64_t id = IdOfFile(file);
    for (size_t length = 0; length <= original.size() + 1; ++length) {
      if (length == original.size()) continue;
      SCOPED_TRACE(file.filename().string() + " length " + std::to_string(length));
      Bytes damaged(original.begin(), original.begin() + std::min(length, original.size()));
      if (length > original.size()) damaged.push_back(0);  // extended instead
      WriteFile(file, damaged);
      const Loaded loaded = LoadFresh(tmp_.path());
      ExpectAllBut(loaded, {id});
      EXPECT_THAT(loaded.log, HasSubstr(file.filename().string() + ": refused"));
      if (testing::Test::HasFailure()) return;
    }
    WriteFile(file, original);
  }
}

TEST_F(StoreTamperTest, ObjectFileUnderAnotherIdIsRefused) {
  // A public object's file renamed: intact checksum, wrong id.
  const fs::path from = objects_ / "000000000000000b.obj";
  const fs::path to = objects_ / "0000000000000063.obj";
  fs::rename(from, to);
  const Loaded loaded = LoadFresh(tmp_.path());
  ExpectAllBut(loaded, {11});
  EXPECT_THAT(loaded.log, HasSubstr("0000000000000063.obj: refused"));
}

TEST_F(StoreTamperTest, FlippedByteInPackRefusesOnlyTheObjectItHits) {
  const Bytes original = ReadFile(pack_);
  for (size_t i = 0; i < original.size(); ++i) {
    SCOPED_TRACE("pack byte " + std::to_string(i));
    Bytes damaged = original;
    damaged[i] ^= Flip(i);
    WriteFile(pack_, damaged);
    std::set<uint64_t> missing;
    bool unread = false;
    for (const Packed& p : packed_) {
      if (i < p.offset || i >= p.offset + p.length) continue;
      // Objects 2 and 5 are shadowed by a loose file and a tombstone: their
      // packed copies are not read.
      if (p.id == 2 || p.id == 5) {
        unread = true;
      } else {
        missing.insert(p.id);
      }
    }
    const Loaded loaded = LoadFresh(tmp_.path());
    ExpectAllBut(loaded, missing);
    if (!unread) {
      EXPECT_THAT(loaded.log, HasSubstr("pack"));  // every flip read is noticed
    }
    if (testing::Test::HasFailure()) return;
  }
  WriteFile(pack_, original);
  const Loaded loaded = LoadFresh(tmp_.path());
  EXPECT_EQ(loaded.log, "");
  ExpectAllBut(loaded, {});
}

TEST_F(StoreTamperTest, TruncatedPackKeepsTheObjectsBeforeTheCut) {
  const Bytes original = ReadFile(pack_);
  for (size_t length = 0; length < original.size(); ++length) {
    SCOPED_TRACE("pack length " + std::to_string(length));
    WriteFile(pack_, Bytes(original.begin(), original.begin() + length));
    std::set<uint64_t> missing;
    for (const Packed& p : packed_)
      if (p.offset + p.length > length && p.id != 2 && p.id != 5) missing.insert(p.id);
    const Loaded loaded = LoadFresh(tmp_.path());
    ExpectAllBut(loaded, missing);
    if (length > 0) {
      EXPECT_THAT(loaded.log, HasSubstr("pack"));
    }
    if (testing::Test::HasFailure()) return;
  }
  // Garbage appended: the index is lost, every object is recovered.
  Bytes extended = original;
  extended.insert(extended.end(), 100, 0xee);
  WriteFile(pack_, extended);
  const Loaded loaded = LoadFresh(tmp_.path());
  ExpectAllBut(loaded, {});
  EXPECT_THAT(loaded.log, HasSubstr("pack"));
}

TEST_F(StoreTamperTest, DamagedRecordIsRefusedObjectsStillLoad) {
  // A process that has the token open sees the record refused, and keeps
  // loading objects; a fresh one leaves the token out and will not
  // overwrite it.
  auto store = MakeFileStore(tmp_.path());
  ASSERT_TRUE(store.has_value());
  auto open_token = (*store)->CreateToken(0);
  ASSERT_TRUE(open_token.has_value());
  TokenStore& token = **open_token;
  token.SetDataKey(DataKey());

  const fs::path record = slot_ / "token.rec";
  const Bytes original = ReadFile(record);
  std::vector<Bytes> damages;
  for (size_t i = 0; i < original.size(); ++i) {
    Bytes damaged = original;
    damaged[i] ^= Flip(i);
    damages.push_back(damaged);
  }
  for (size_t length = 0; length < original.size(); ++length)
    damages.emplace_back(original.begin(), original.begin() + length);
  for (size_t n = 0; n < damages.size(); ++n) {
    SCOPED_TRACE("damage " + std::to_string(n));
    WriteFile(record, damages[n]);
    testing::internal::CaptureStderr();
    auto loaded = token.LoadRecord();
    const std::string log = testing::internal::GetCapturedStderr();
    ASSERT_FALSE(loaded.has_value());
    // Flips of the version field may read as "newer"; all else is damage.
    if (n == 4 || n == 5) {
      EXPECT_THAT(loaded.error(), AnyOf(Rv::kDeviceError, Rv::kTokenNotRecognized));
    } else {
      EXPECT_EQ(loaded.error(), Rv::kDeviceError);
    }
    EXPECT_THAT(log, HasSubstr("token.rec"));
    auto objects = token.LoadObjects();
    ASSERT_TRUE(objects.has_value());
    EXPECT_EQ(objects->size(), model_.size());
    if (n % 9 == 0) {
      testing::internal::CaptureStderr();
      auto fresh = MakeFileStore(tmp_.path());
      ASSERT_TRUE(fresh.has_value());
      auto tokens = (*fresh)->OpenTokens();
      auto created = (*fresh)->CreateToken(0);
      const std::string fresh_log = testing::internal::GetCapturedStderr();
      ASSERT_TRUE(tokens.has_value());
      ASSERT_EQ(tokens->size(), 1u);  // slot 1 only
      EXPECT_EQ((*tokens)[0]->LoadRecord()->slot_id, 1u);
      ASSERT_FALSE(created.has_value());
      EXPECT_EQ(created.error(), Rv::kDeviceError);
      EXPECT_THAT(fresh_log, HasSubstr("not overwriting"));
      EXPECT_EQ(ReadFile(record), damages[n]);
    }
    if (testing::Test::HasFailure()) return;
  }
  WriteFile(record, original);
  auto restored = token.LoadRecord();
  ASSERT_TRUE(restored.has_value());
  EXPECT_EQ(restored->label, "tamper");
}

// SetVersion rewrites a container's version field and fixes its checksum,
// as a newer cryptoki would have written it.
Bytes WithVersion(Bytes file, uint16_t version) {
  file[4] = version & 0xff;
  file[5] = version >> 8;
  SHA256(file.data(), file.size() - 32, file.data() + file.size() - 32);
  return file;
}

TEST_F(StoreTamperTest, NewerFormatVersionIsRefused) {
  // An object file.
  const fs::path file = objects_ / "000000000000000d.obj";  // object 13
  const Bytes original = ReadFile(file);
  WriteFile(file, WithVersion(original, 2));
  Loaded loaded = LoadFresh(tmp_.path());
  ExpectAllBut(loaded, {13});
  EXPECT_THAT(loaded.log, HasSubstr("format version 2 by a newer cryptoki"));
  WriteFile(file, original);

  // The record.
  const fs::path record = slot_ / "token.rec";
  const Bytes original_record = ReadFile(record);
  WriteFile(record, WithVersion(original_record, 7));
  {
    auto store = MakeFileStore(tmp_.path());
    ASSERT_TRUE(store.has_value());
    testing::internal::CaptureStderr();
    auto tokens = (*store)->OpenTokens();
    const std::string log = testing::internal::GetCapturedStderr();
    ASSERT_TRUE(tokens.has_value());
    EXPECT_EQ(tokens->size(), 1u);
    EXPECT_THAT(log, HasSubstr("format version 7 by a newer cryptoki"));
  }
  WriteFile(record, original_record);

  // The pack: every packed object is refused, loose ones still load.
  const Bytes original_pack = ReadFile(pack_);
  Bytes newer = original_pack;
  newer[4] = 2;
  const size_t trailer = newer.size() - 52;
  const uint64_t index = Le64(newer, trailer + 8);
  SHA256_CTX sha;
  SHA256_Init(&sha);
  SHA256_Update(&sha, newer.data(), 8);
  SHA256_Update(&sha, newer.data() + index, newer.size() - index - 32);
  SHA256_Final(newer.data() + newer.size() - 32, &sha);
  WriteFile(pack_, newer);
  loaded = LoadFresh(tmp_.path());
  ExpectAllBut(loaded, {1, 3, 4, 6, 7, 8, 9, 10});
  EXPECT_THAT(loaded.log, HasSubstr("pack: refused: written in format version 2"));

  // Nor is a newer pack compacted over: writes work, the pack stays as it is.
  {
    FileStoreOptions options;
    options.compact_min = 2;
    auto store = MakeFileStore(tmp_.path(), options);
    ASSERT_TRUE(store.has_value());
    auto token = (*store)->CreateToken(0);
    ASSERT_TRUE(token.has_value());
    (*token)->SetDataKey(DataKey());
    testing::internal::CaptureStderr();
    for (uint64_t id = 21; id <= 24; ++id)
      EXPECT_TRUE((*token)->PutObject(Versioned(id, 1)).has_value());
    EXPECT_THAT(testing::internal::GetCapturedStderr(), HasSubstr("not compacting"));
  }
  EXPECT_EQ(ReadFile(pack_), newer);
}

TEST_F(StoreTamperTest, DamagedStateAndLockFilesAreHarmless) {
  const fs::path state = slot_ / "generation";
  const fs::path lock = slot_ / "lock";
  const std::vector<Bytes> damages = {Bytes(), Bytes{1, 2, 3}, Bytes(32, 0xff), Bytes(100, 0x5a)};
  for (size_t n = 0; n < damages.size(); ++n) {
    SCOPED_TRACE("damage " + std::to_string(n));
    WriteFile(state, damages[n]);
    WriteFile(lock, damages[n]);
    const Loaded loaded = LoadFresh(tmp_.path());
    EXPECT_EQ(loaded.log, "");
    ExpectAllBut(loaded, {});
    // Writing, and noticing another store's writes, still work.
    auto store = MakeFileStore(tmp_.path());
    ASSERT_TRUE(store.has_value());
    auto a = (*store)->CreateToken(0);
    auto b = (*store)->CreateToken(0);
    ASSERT_TRUE(a.has_value() && b.has_value());
    ASSERT_TRUE((*a)->LoadObjects().has_value());
    EXPECT_FALSE((*a)->Changed());
    ASSERT_TRUE((*b)->PutObject(Versioned(31 + 2 * n, 1)).has_value());
    model_[31 + 2 * n] = Versioned(31 + 2 * n, 1);
    EXPECT_TRUE((*a)->Changed());
  }
  fs::remove(state);
  ExpectAllBut(LoadFresh(tmp_.path()), {});
}

}  // namespace
}  // namespace cryptoki
