#include "cryptoki/file_store.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
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
#include "cryptoki/store.h"
#include "tests/temp_dir.h"

namespace cryptoki {
namespace {

using ::cryptoki::test_support::TempDir;

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::unique_ptr<Store> OpenStore(const std::string& dir, bool sync = true,
                                 size_t compact_min = 256) {
  FileStoreOptions options;
  options.sync = sync;
  options.compact_min = compact_min;
  auto store = MakeFileStore(dir, options);
  EXPECT_TRUE(store.has_value());
  return store.has_value() ? std::move(*store) : nullptr;
}

std::unique_ptr<TokenStore> Token(Store& store, CK_SLOT_ID slot = 0) {
  auto token = store.CreateToken(slot);
  EXPECT_TRUE(token.has_value());
  return token.has_value() ? std::move(*token) : nullptr;
}

SecretBytes Key(uint8_t fill) { return SecretBytes(32, fill); }

Bytes ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteFile(const fs::path& path, const Bytes& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), data.size());
}

bool Contains(const Bytes& haystack, ByteView needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
         haystack.end();
}

fs::path ObjectPath(const std::string& dir, CK_SLOT_ID slot, uint64_t id) {
  char name[32];
  snprintf(name, sizeof name, "%016llx.obj", static_cast<unsigned long long>(id));
  return fs::path(dir) / ("slot-" + std::to_string(slot)) / "objects" / name;
}

// FixChecksum recomputes a container's trailing SHA-256 after a test edits it.
void FixChecksum(Bytes& file) {
  SHA256(file.data(), file.size() - 32, file.data() + file.size() - 32);
}

ObjectRecord DataObject(uint64_t id, std::string label) {
  return ObjectRecord{id,
                      {attr::Class{CKO_DATA}, attr::Token{true}, attr::Private{false},
                       attr::Label{std::move(label)}, attr::Value{Bytes{1, 2, 3, 4}}}};
}

ObjectRecord SecretKey(uint64_t id, Bytes value) {
  return ObjectRecord{id,
                      {attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_AES}, attr::Token{true},
                       attr::Private{true}, attr::Label{"secret"}, attr::Value{std::move(value)}}};
}

std::map<uint64_t, ObjectRecord> ById(const std::vector<ObjectRecord>& objects) {
  std::map<uint64_t, ObjectRecord> out;
  for (const ObjectRecord& o : objects) out.emplace(o.id, o);
  return out;
}

void ExpectSameObject(const ObjectRecord& got, const ObjectRecord& want) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_TRUE(got.attributes == want.attributes) << "object " << want.id;
}

TokenRecord SampleRecord() {
  TokenRecord r;
  r.slot_id = 0;
  r.initialized = true;
  r.label = "My token with a 32-byte label!!!";
  r.serial = "0123456789abcdef";
  r.so_pin.salt = Bytes{1, 2, 3};
  r.so_pin.kdf_log2n = 15;
  r.so_pin.sealed_data_key = Bytes(60, 0xaa);
  r.so_pin.failures = 2;
  r.user_pin.salt = Bytes(16, 7);
  r.user_pin.kdf_log2n = 17;
  r.user_pin.sealed_data_key = Bytes(60, 0xbb);
  r.user_pin.failures = 9;
  return r;
}

void ExpectSameRecord(const TokenRecord& a, const TokenRecord& b) {
  EXPECT_EQ(a.slot_id, b.slot_id);
  EXPECT_EQ(a.initialized, b.initialized);
  EXPECT_EQ(a.label, b.label);
  EXPECT_EQ(a.serial, b.serial);
  for (auto [x, y] : {std::pair{&a.so_pin, &b.so_pin}, std::pair{&a.user_pin, &b.user_pin}}) {
    EXPECT_EQ(x->salt, y->salt);
    EXPECT_EQ(x->kdf_log2n, y->kdf_log2n);
    EXPECT_EQ(x->sealed_data_key, y->sealed_data_key);
    EXPECT_EQ(x->failures, y->failures);
  }
}

TEST(FileStoreTest, MakeFileStoreCreatesDirectoryWithParents) {
  TempDir tmp("file_store_test");
  const std::string dir = tmp.path() + "/a/b/tokens";
  ASSERT_TRUE(MakeFileStore(dir).has_value());
  struct stat st;
  ASSERT_EQ(stat(dir.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST(FileStoreTest, UnusableDirectoryIsDeviceError) {
  TempDir tmp("file_store_test");
  const std::string file = tmp.path() + "/not-a-dir";
  WriteFile(file, Bytes{1});
  testing::internal::CaptureStderr();
  auto store = MakeFileStore(file);
  const std::string log = testing::internal::GetCapturedStderr();
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error(), Rv::kDeviceError);
  EXPECT_THAT(log, HasSubstr("cryptoki: "));
  auto below = MakeFileStore(file + "/sub");
  ASSERT_FALSE(below.has_value());
  EXPECT_EQ(below.error(), Rv::kDeviceError);
}

TEST(FileStoreTest, NewTokenHasUninitialisedRecordForItsSlot) {
  TempDir tmp("file_store_test");
  auto store = OpenStore(tmp.path());
  auto token = Token(*store, 7);
  auto record = token->LoadRecord();
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->slot_id, 7u);
  EXPECT_FALSE(record->initialized);
  EXPECT_FALSE(record->user_pin.is_set());
  auto objects = token->LoadObjects();
  ASSERT_TRUE(objects.has_value());
  EXPECT_THAT(*objects, IsEmpty());
}

TEST(FileStoreTest, TokenRecordRoundTripsAllFields) {
  TempDir tmp("file_store_test");
  TokenRecord saved = SampleRecord();
  {
    auto store = OpenStore(tmp.path());
    auto token = Token(*store);
    ASSERT_TRUE(token->SaveRecord(saved).has_value());
    auto again = token->LoadRecord();
    ASSERT_TRUE(again.has_value());
    ExpectSameRecord(*again, saved);
  }
  auto store = OpenStore(tmp.path());
  auto tokens = store->OpenTokens();
  ASSERT_TRUE(tokens.has_value());
  ASSERT_EQ(tokens->size(), 1u);
  auto loaded = (*tokens)[0]->LoadRecord();
  ASSERT_TRUE(loaded.has_value());
  ExpectSameRecord(*loaded, saved);

  // A failure counter change is persisted too.
  saved.user_pin.failures = 0;
  saved.so_pin.failures = 3;
  ASSERT_TRUE((*tokens)[0]->SaveRecord(saved).has_value());
  auto reread = Token(*OpenStore(tmp.path()))->LoadRecord();
  ASSERT_TRUE(reread.has_value());
  ExpectSameRecord(*reread, saved);
}

TEST(FileStoreTest, OpenTokensListsEveryCreatedSlotInOrder) {
  TempDir tmp("file_store_test");
  {
    auto store = OpenStore(tmp.path());
    for (CK_SLOT_ID slot : {5u, 0u, 12u, 1u}) Token(*store, slot);
  }
  auto tokens = OpenStore(tmp.path())->OpenTokens();
  ASSERT_TRUE(tokens.has_value());
  std::vector<CK_SLOT_ID> slots;
  for (auto& t : *tokens) slots.push_back(t->LoadRecord()->slot_id);
  EXPECT_EQ(slots, (std::vector<CK_SLOT_ID>{0, 1, 5, 12}));
}

TEST(FileStoreTest, CreateTokenOnExistingSlotKeepsItsContents) {
  TempDir tmp("file_store_test");
  auto store = OpenStore(tmp.path());
  auto token = Token(*store, 3);
  TokenRecord record = SampleRecord();
  record.slot_id = 3;
  ASSERT_TRUE(token->SaveRecord(record).has_value());
  ASSERT_TRUE(token->PutObject(DataObject(42, "kept")).has_value());

  auto again = Token(*OpenStore(tmp.path()), 3);
  auto loaded = again->LoadRecord();
  ASSERT_TRUE(loaded.has_value());
  ExpectSameRecord(*loaded, record);
  auto objects = again->LoadObjects();
  ASSERT_TRUE(objects.has_value());
  ASSERT_EQ(objects->size(), 1u);
  EXPECT_EQ((*objects)[0].id, 42u);
}

TEST(FileStoreTest, ObjectRoundTripsAttributes) {
  TempDir tmp("file_store_test");
  Bytes big(100000);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i * 7);
  const std::vector<ObjectRecord> saved = {
      DataObject(1, "first"),
      ObjectRecord{2,
                   {attr::Class{CKO_CERTIFICATE}, attr::Label{""}, attr::Value{big},
                    Attribute(CKA_VENDOR_DEFINED | 7, ByteView()),
                    attr::AllowedMechanisms{{CKM_AES_GCM, CKM_SHA256}}}},
      ObjectRecord{3, {}},
  };
  {
    auto store = OpenStore(tmp.path());
    auto token = Token(*store);
    for (const ObjectRecord& o : saved) ASSERT_TRUE(token->PutObject(o).has_value());
  }
  auto loaded = Token(*OpenStore(tmp.path()))->LoadObjects();
  ASSERT_TRUE(loaded.has_value());
  auto by_id = ById(*loaded);
  ASSERT_EQ(by_id.size(), saved.size());
  for (const ObjectRecord& o : saved) ExpectSameObject(by_id.at(o.id), o);
}

TEST(FileStoreTest, OversizedObjectIsRefused) {
  TempDir tmp("file_store_test");
  auto store = OpenStore(tmp.path());
  auto token = Token(*store);
  ObjectRecord huge{1, {attr::Class{CKO_DATA}, attr::Value{Bytes(size_t{64} << 20)}}};
  testing::internal::CaptureStderr();
  auto put = token->PutObject(huge);
  EXPECT_THAT(testing::internal::GetCapturedStderr(), HasSubstr("refused"));
  ASSERT_FALSE(put.has_value());
  EXPECT_EQ(put.error(), Rv::kDeviceMemory);
  EXPECT_THAT(*token->LoadObjects(), IsEmpty());
}

TEST(FileStoreTest, PutObjectReplacesExistingObject) {
  TempDir tmp("file_store_test");
  auto store = OpenStore(tmp.path());
  auto token = Token(*store);
  ASSERT_TRUE(token->PutObject(DataObject(9, "old")).has_value());
  ASSERT_TRUE(token->PutObject(DataObject(9, "new")).has_value());
  auto loaded = Token(*OpenStore(tmp.path()))->LoadObjects();
  ASSERT_TRUE(loaded.has_value());
  ASSERT_EQ(loaded->size(), 1u);
  ExpectSameObject((*loaded)[0], DataObject(9, "new"));
}

TEST(FileStoreTest, SealedObjectNeedsDataKeyToBeWritten) {
  TempDir tmp("file_store_test");
  auto store = OpenStore(tmp.path());
  auto token = Token(*store);
  auto put = token->PutObject(SecretKey(1, Bytes(32, 0x11)));
  ASSERT_FALSE(put.has_value());
  EXPECT_EQ(put.error(), Rv::kUserNotLoggedIn);

  // A private data object and a public-but-secret key need it as well.
  ObjectRecord private_data = DataObject(2, "private");
  private_data.attributes.push_back(attr::Private{true});
  private_data.attributes.erase(private_data.attributes.begin() + 2);  // the Private{false}
  put = token->PutObject(private_data);
  ASSERT_FALSE(put.has_value());
  EXPECT_EQ(put.error(), Rv::kUserNotLoggedIn);
  ObjectRecord public_secret{3, {attr::Class{CKO_SECRET_KEY}, attr::Private{false}}};
  put = token->PutObject(public_secret);
  ASSERT_FALSE(put.has_value());
  EXPECT_EQ(put.error(), Rv::kUserNotLoggedIn);

  auto objects = token->LoadObjects();
  ASSERT_TRUE(objects.has_value());
  EXPECT_THAT(*objects, IsEmpty());

  // Public objects need no key.
  EXPECT_TRUE(token->PutObject(DataObject(4, "public")).has_value());
}

TEST(FileStoreTest, SealedFileDoesNotContainPlaintext) {
  TempDir tmp("file_store_test");
  const Bytes secret = {0xde, 0xad, 0xbe, 0xef, 0x50, 0x51, 0x52, 0x53,
                        0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b};
  const std::string label = "a-very-recognisable-label";
  auto store = OpenStore(tmp.path());
  auto token = Token(*store);
  token->SetDataKey(Key(1));
  ObjectRecord key = SecretKey(1, secret);
  key.attributes.push_back(attr::Application{label});
  ObjectRecord rsa{2,
                   {attr::Class{CKO_PRIVATE_KEY}, attr::Private{false},
                    attr::PrivateExponent{secret}, attr::Application{label}}};
  ObjectRecord data = DataObject(3, label);
  data.attributes.push_back(attr::Value{secret});
  for (const auto& o : {key, rsa, data}) ASSERT_TRUE(token->PutObject(o).has_value());

  const Bytes sealed = ReadFile(ObjectPath(tmp.path(), 0, 1));
  const Bytes sealed_rsa = ReadFile(ObjectPath(tmp.path(), 0, 2));
  const Bytes plain = ReadFile(ObjectPath(tmp.path(), 0, 3));
  ASSERT_FALSE(sealed.empty());
  EXPECT_FALSE(Contains(sealed, secret));
  EXPECT_FALSE(Contains(sealed, AsBytes(label)));
  EXPECT_FALSE(Contains(sealed_rsa, secret));
  EXPECT_FALSE(Contains(sealed_rsa, AsBytes(label)));
  // The check itself works: a public object is stored in the clear.
  EXPECT_TRUE(Contains(plain, secret));
  EXPECT_TRUE(Contains(plain, AsBytes(label)));

  // And the sealed objects come back intact with the key.
  auto reader = Token(*OpenStore(tmp.path()));
  reader->SetDataKey(Key(1));
  auto loaded = reader->LoadObjects();
  ASSERT_TRUE(loaded.has_value());
  auto by_id = ById(*loaded);
  ASSERT_EQ(by_id.size(), 3u);
  ExpectSameObject(by_id.at(1), key);
  ExpectSameObject(by_id.at(2), rsa);
  ExpectSameObject(by_id.at(3), data);
}

TEST(FileStoreTest, PrivateObjectsReturnedOnlyWithDataKey) {
  TempDir tmp("file_store_test");
  {
    auto store = OpenStore(tmp.path());
    auto token = Token(*store);
    token->SetDataKey(Key(1));
    ASSERT_TRUE(token->PutObject(SecretKey(1, Bytes(32, 0x11))).has_value());
    ASSERT_TRUE(token->PutObject(DataObject(2, "public")).has_value());
  }
  auto store = OpenStore(tmp.path());
  auto token = Token(*store);
  testing::internal::CaptureStderr();
  auto before = token->LoadObjects();
  // Not being logged in is normal: nothing is logged.
  EXPECT_THAT(testing::internal::GetCapturedStderr(), IsEmpty());
  ASSERT_TRUE(before.has_value());
  ASSERT_EQ(before->size(), 1u);
  EXPECT_EQ((*before)[0].id, 2u);

  token->SetDataKey(Key(1));
  auto after = token->LoadObjects();
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->size(), 2u);

  token->SetDataKey(SecretBytes());  // logout
  auto logged_out = token->LoadObjects();
  ASSERT_TRUE(logged_out.has_value());
  EXPECT_EQ(logged_out->size(), 1u);
  EXPECT_EQ(token->PutObject(SecretKey(5, Bytes(16, 1))).error(), Rv::kUserNotLoggedIn);
}

TEST(FileStoreTest, WrongDataKeyRefusesSealedObject) {
  TempDir tmp("file_store_test");
  {
    auto store = OpenStore(tmp.path());
    auto token = Token(*store);
    token->SetDataKey(Key(1));
    ASSERT_TRUE(token->PutObject(SecretKey(1, Bytes(32, 0x11))).has_value());
    ASSERT_TRUE(token->PutObject(DataObject(2, "public")).has_value());
  }
  auto token = Token(*OpenStore(tmp.path()));
  token->SetDataKey(Key(2));
  testing::internal::CaptureStderr();
  auto loaded = token->LoadObjects();
  const std::string log = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(loaded.has_value());
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_EQ((*loaded)[0].id, 2u);
  EXPECT_THAT(log, HasSubstr("cryptoki: "));
  EXPECT_THAT(log, HasSubstr(ObjectPath(tmp.path(), 0, 1).filename().string()));
}

TEST(FileStoreTest, SealedBlobCannotBeMovedToAnotherObjectOrToken) {
  TempDir tmp("file_store_test");
  {
    auto store = OpenStore(tmp.path());
    for (CK_SLOT_ID slot : {0u, 1u}) {
      auto token = Token(*store, slot);
      token->SetDataKey(Key(1));  // same key on both: only the binding protects
      ASSERT_TRUE(token->PutObject(SecretKey(1, Bytes(32, 0x11))).has_value());
      ASSERT_TRUE(token->PutObject(SecretKey(2, Bytes(32, 0x22))).has_value());
    }
  }
  // Copy object 1 over object 2, fixing the header id and checksum so that
  // only the seal can tell.
  Bytes moved = ReadFile(ObjectPath(tmp.path(), 0, 1));
  moved[8] = 2;
  FixChecksum(moved);
  WriteFile(ObjectPath(tmp.path(), 0, 2), moved);
  // Copy token 1's object 1 into token 0 as object 1 (no edit needed).
  fs::copy_file(ObjectPath(tmp.path(), 1, 1), ObjectPath(tmp.path(), 0, 1),
                fs::copy_options::overwrite_existing);

  auto token = Token(*OpenStore(tmp.path()), 0);
  token->SetDataKey(Key(1));
  testing::internal::CaptureStderr();
  auto loaded = token->LoadObjects();
  const std::string log = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(loaded.has_value());
  EXPECT_THAT(*loaded, IsEmpty());
  EXPECT_THAT(log, HasSubstr("0000000000000001.obj: refused"));
  EXPECT_THAT(log, HasSubstr("0000000000000002.obj: refused"));

  // Token 1 is untouched.
  auto other = Token(*OpenStore(tmp.path()), 1);
  other->SetDataKey(Key(1));
  EXPECT_EQ(other->LoadObjects()->size(), 2u);
}

TEST(FileStoreTest, RemoveObjectDeletesOnlyThatObject) {
  TempDir tmp("file_store_test");
  auto store = OpenStore(tmp.path());
  auto token = Token(*store);
  for (uint64_t id : {1, 2, 3}) ASSERT_TRUE(token->PutObject(DataObject(id, "x")).has_value());
  ASSERT_TRUE(token->RemoveObject(2).has_value());
  EXPECT_TRUE(token->RemoveObject(2).has_value());    // already gone
  EXPECT_TRUE(token->RemoveObject(999).has_value());  // never existed
  auto loaded = Token(*OpenStore(tmp.path()))->LoadObjects();
  ASSERT_TRUE(loaded.has_value());
  auto by_id = ById(*loaded);
  EXPECT_EQ(by_id.size(), 2u);
  EXPECT_TRUE(by_id.count(1) && by_id.count(3));
}

TEST(FileStoreTest, RemoveAllObjectsEmptiesTokenAndKeepsRecord) {
  TempDir tmp("file_store_test");
  auto store = OpenStore(tmp.path());
  auto token = Token(*store);
  token->SetDataKey(Key(1));
  TokenRecord record = SampleRecord();
  ASSERT_TRUE(token->SaveRecord(record).has_value());
  for (uint64_t id = 1; id <= 20; ++id)
    ASSERT_TRUE(
        token->PutObject(id % 2 ? DataObject(id, "x") : SecretKey(id, Bytes(16, 1))).has_value());
  ASSERT_TRUE(token->RemoveAllObjects().has_value());

  auto fresh = Token(*OpenStore(tmp.path()));
  fresh->SetDataKey(Key(1));
  auto loaded = fresh->LoadObjects();
  ASSERT_TRUE(loaded.has_value());
  EXPECT_THAT(*loaded, IsEmpty());
  ExpectSameRecord(*fresh->LoadRecord(), record);

  // The old object directory is gone: only one objects-* directory remains.
  int object_dirs = 0;
  for (const auto& e : fs::directory_iterator(fs::path(tmp.path()) / "slot-0"))
    if (e.path().filename().string().rfind("objects-", 0) == 0) ++object_dirs;
  EXPECT_EQ(object_dirs, 1);

  // The token keeps working.
  ASSERT_TRUE(token->PutObject(DataObject(50, "after")).has_value());
  EXPECT_EQ(fresh->LoadObjects()->size(), 1u);
}

TEST(FileStoreTest, StrayTempFilesAreIgnoredAndCleaned) {
  TempDir tmp("file_store_test");
  {
    auto store = OpenStore(tmp.path());
    auto token = Token(*store);
    ASSERT_TRUE(token->PutObject(DataObject(1, "real")).has_value());
  }
  const fs::path objects = fs::path(tmp.path()) / "slot-0" / "objects";
  const fs::path token_dir = fs::path(tmp.path()) / "slot-0";
  // A half-written temp file, a complete-looking one, and one in the token
  // directory (an interrupted SaveRecord).
  Bytes valid = ReadFile(objects / "0000000000000001.obj");
  WriteFile(objects / ".tmp-0123456789abcdef", Bytes(valid.begin(), valid.begin() + 10));
  WriteFile(objects / ".tmp-fedcba9876543210", valid);
  WriteFile(token_dir / ".tmp-00000000000000aa", Bytes{1, 2, 3});
  // A stale object directory (an interrupted RemoveAllObjects).
  fs::create_directory(token_dir / "objects-00000000deadbeef");
  WriteFile(token_dir / "objects-00000000deadbeef" / "0000000000000005.obj", valid);
  // Names that are not object files at all.
  WriteFile(objects / "README", Bytes{1});
  WriteFile(objects / "0000000000000002.obj.bak", valid);

  testing::internal::CaptureStderr();
  auto token = Token(*OpenStore(tmp.path()));
  auto loaded = token->LoadObjects();
  EXPECT_THAT(testing::internal::GetCapturedStderr(), IsEmpty());
  ASSERT_TRUE(loaded.has_value());
  ASSERT_EQ(loaded->size(), 1u);
  ExpectSameObject((*loaded)[0], DataObject(1, "real"));

  EXPECT_FALSE(fs::exists(objects / ".tmp-0123456789abcdef"));
  EXPECT_FALSE(fs::exists(objects / ".tmp-fedcba9876543210"));
  EXPECT_FALSE(fs::exists(token_dir / ".tmp-00000000000000aa"));
  EXPECT_FALSE(fs::exists(token_dir / "objects-00000000deadbeef"));
  EXPECT_TRUE(fs::exists(objects / "README"));  // not ours: left alone
}

TEST(FileStoreTest, NewObjectIdIsUniqueAndNeverZero) {
  TempDir tmp("file_store_test");
  auto store = OpenStore(tmp.path());
  auto token = Token(*store);
  std::set<uint64_t> ids;
  for (int i = 0; i < 10000; ++i) {
    const uint64_t id = token->NewObjectId();
    EXPECT_NE(id, 0u);
    EXPECT_LT(id, uint64_t{1} << 63);
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 10000u);
}

TEST(FileStoreTest, ChangedSeesOtherStoreWrites) {
  TempDir tmp("file_store_test");
  auto store_a = OpenStore(tmp.path());
  auto store_b = OpenStore(tmp.path());
  auto a = Token(*store_a);
  auto b = Token(*store_b);
  ASSERT_TRUE(a->LoadRecord().has_value());
  ASSERT_TRUE(a->LoadObjects().has_value());
  EXPECT_FALSE(a->Changed());

  // Own writes do not count.
  ASSERT_TRUE(a->PutObject(DataObject(1, "a")).has_value());
  EXPECT_FALSE(a->Changed());
  ASSERT_TRUE(a->SaveRecord(SampleRecord()).has_value());
  EXPECT_FALSE(a->Changed());

  // Another store's object write does, until a reloads its objects.
  ASSERT_TRUE(b->PutObject(DataObject(2, "b")).has_value());
  EXPECT_TRUE(a->Changed());
  ASSERT_TRUE(a->PutObject(DataObject(3, "a")).has_value());  // does not hide it
  EXPECT_TRUE(a->Changed());
  EXPECT_EQ(a->LoadObjects()->size(), 3u);
  EXPECT_FALSE(a->Changed());

  // Likewise the record, and removals.
  ASSERT_TRUE(b->SaveRecord(SampleRecord()).has_value());
  EXPECT_TRUE(a->Changed());
  ASSERT_TRUE(a->LoadRecord().has_value());
  EXPECT_FALSE(a->Changed());
  ASSERT_TRUE(b->RemoveObject(1).has_value());
  EXPECT_TRUE(a->Changed());
  ASSERT_TRUE(a->LoadObjects().has_value());
  EXPECT_FALSE(a->Changed());
  ASSERT_TRUE(b->RemoveAllObjects().has_value());
  EXPECT_TRUE(a->Changed());
  EXPECT_THAT(*a->LoadObjects(), IsEmpty());
  EXPECT_FALSE(a->Changed());
}

// Files in the token's object directory, by kind.
struct DirCounts {
  int loose = 0, tombstones = 0, packs = 0, other = 0;
};
DirCounts CountObjectFiles(const std::string& dir, CK_SLOT_ID slot = 0) {
  DirCounts c;
  for (const auto& e :
       fs::directory_iterator(fs::path(dir) / ("slot-" + std::to_string(slot)) / "objects")) {
    const std::string name = e.path().filename().string();
    if (name == "pack") {
      ++c.packs;
    } else if (name.size() == 20 && name.ends_with(".obj")) {
      ++c.loose;
    } else if (name.size() == 20 && name.ends_with(".del")) {
      ++c.tombstones;
    } else {
      ++c.other;
    }
  }
  return c;
}

// Model is the expected content of a token.
using Model = std::map<uint64_t, ObjectRecord>;

ObjectRecord Versioned(uint64_t id, int version) {
  ObjectRecord o = id % 2 ? DataObject(id, "v" + std::to_string(version))
                          : SecretKey(id, Bytes(16 + version, static_cast<uint8_t>(id)));
  o.attributes.push_back(attr::Application{std::to_string(version)});
  return o;
}

void ExpectModel(const std::string& dir, const Model& model) {
  auto token = Token(*OpenStore(dir));
  token->SetDataKey(Key(1));
  testing::internal::CaptureStderr();
  auto loaded = token->LoadObjects();
  EXPECT_THAT(testing::internal::GetCapturedStderr(), IsEmpty());
  ASSERT_TRUE(loaded.has_value());
  auto by_id = ById(*loaded);
  ASSERT_EQ(by_id.size(), model.size());
  for (const auto& [id, o] : model) {
    ASSERT_TRUE(by_id.count(id)) << id;
    ExpectSameObject(by_id.at(id), o);
  }
}

TEST(FileStoreTest, CompactionKeepsEveryObject) {
  TempDir tmp("file_store_test");
  auto store = OpenStore(tmp.path(), /*sync=*/true, /*compact_min=*/4);
  auto token = Token(*store);
  token->SetDataKey(Key(1));
  Model model;
  std::map<uint64_t, int> versions;
  for (int step = 0; step < 200; ++step) {
    const uint64_t id = 1 + (step * 7919) % 37;
    if (step % 5 == 4) {
      ASSERT_TRUE(token->RemoveObject(id).has_value());
      model.erase(id);
    } else {
      const ObjectRecord o = Versioned(id, ++versions[id]);
      ASSERT_TRUE(token->PutObject(o).has_value());
      model[id] = o;
    }
    if (step % 20 == 19) ExpectModel(tmp.path(), model);
  }
  ExpectModel(tmp.path(), model);
  const DirCounts counts = CountObjectFiles(tmp.path());
  EXPECT_EQ(counts.packs, 1);
  EXPECT_LT(counts.loose + counts.tombstones, 4);
  EXPECT_EQ(counts.other, 0);
}

TEST(FileStoreTest, RemovedPackedObjectStaysRemovedAndCanReturn) {
  TempDir tmp("file_store_test");
  auto store = OpenStore(tmp.path(), /*sync=*/true, /*compact_min=*/4);
  auto token = Token(*store);
  for (uint64_t id = 1; id <= 4; ++id)
    ASSERT_TRUE(token->PutObject(DataObject(id, "p")).has_value());
  ASSERT_EQ(CountObjectFiles(tmp.path()).packs, 1);
  ASSERT_EQ(CountObjectFiles(tmp.path()).loose, 0);
  ASSERT_TRUE(token->RemoveObject(2).has_value());
  EXPECT_EQ(CountObjectFiles(tmp.path()).tombstones, 1);
  Model model = {{1, DataObject(1, "p")}, {3, DataObject(3, "p")}, {4, DataObject(4, "p")}};
  ExpectModel(tmp.path(), model);
  // Put back after removal: the object file wins over the tombstone.
  ASSERT_TRUE(token->PutObject(DataObject(2, "back")).has_value());
  model[2] = DataObject(2, "back");
  ExpectModel(tmp.path(), model);
  // An update of a packed object shadows the packed copy.
  ASSERT_TRUE(token->PutObject(DataObject(3, "new")).has_value());
  model[3] = DataObject(3, "new");
  ExpectModel(tmp.path(), model);
}

// Copies the regular files of |from| into |to| (which it creates).
void CopyDir(const fs::path& from, const fs::path& to) {
  fs::create_directories(to);
  for (const auto& e : fs::directory_iterator(from))
    fs::copy_file(e.path(), to / e.path().filename(), fs::copy_options::overwrite_existing);
}

TEST(FileStoreTest, EveryIntermediateStateOfCompactionLoadsTheSame) {
  TempDir tmp("file_store_test");
  auto store = OpenStore(tmp.path(), /*sync=*/true, /*compact_min=*/10);
  auto token = Token(*store);
  token->SetDataKey(Key(1));
  Model model;
  for (uint64_t id = 1; id <= 10; ++id) {  // the 10th write compacts
    model[id] = Versioned(id, 1);
    ASSERT_TRUE(token->PutObject(model[id]).has_value());
  }
  ASSERT_EQ(CountObjectFiles(tmp.path()).loose, 0);
  // Nine more writes: updates, removals, a removal then a re-creation, a
  // creation then a removal.
  const auto put = [&](uint64_t id, int version) {
    model[id] = Versioned(id, version);
    ASSERT_TRUE(token->PutObject(model[id]).has_value());
  };
  const auto remove = [&](uint64_t id) {
    model.erase(id);
    ASSERT_TRUE(token->RemoveObject(id).has_value());
  };
  put(1, 2);
  put(2, 2);
  remove(3);
  remove(4);
  put(4, 3);
  put(11, 1);
  put(12, 1);
  remove(12);
  put(13, 1);
  const fs::path objects = fs::path(tmp.path()) / "slot-0" / "objects";
  const fs::path before = fs::path(tmp.path()) / "before";
  CopyDir(objects, before);
  ASSERT_GT(CountObjectFiles(tmp.path()).loose, 0);
  put(14, 1);  // the 10th write: compaction
  ASSERT_EQ(CountObjectFiles(tmp.path()).loose + CountObjectFiles(tmp.path()).tombstones, 0);
  const fs::path after = fs::path(tmp.path()) / "after";
  CopyDir(objects, after);
  ExpectModel(tmp.path(), model);

  // The states a crash during that compaction can leave: the new pack with
  // all the old loose files and tombstones (and the object just written);
  // then without the tombstones; then with only some loose files.
  std::vector<fs::path> loose, tombstones;
  for (const auto& e : fs::directory_iterator(before)) {
    const std::string name = e.path().filename().string();
    if (name.ends_with(".obj")) loose.push_back(e.path());
    if (name.ends_with(".del")) tombstones.push_back(e.path());
  }
  const auto restore = [&](bool with_tombstones, size_t loose_count) {
    fs::remove_all(objects);
    CopyDir(after, objects);
    if (with_tombstones)
      for (const auto& t : tombstones) fs::copy_file(t, objects / t.filename());
    for (size_t i = 0; i < loose_count && i < loose.size(); ++i)
      fs::copy_file(loose[i], objects / loose[i].filename());
  };
  for (size_t n = 0; n <= loose.size(); ++n) {
    SCOPED_TRACE("loose files kept: " + std::to_string(n));
    restore(/*with_tombstones=*/n == loose.size(), n);
    ExpectModel(tmp.path(), model);
    restore(/*with_tombstones=*/false, n);
    ExpectModel(tmp.path(), model);
  }
  // And a crash before the last write's rename: the old state and a stray
  // temporary file.
  fs::remove_all(objects);
  CopyDir(before, objects);
  fs::copy_file(after / "pack", objects / ".tmp-00000000000000ff");
  Model without_latest = model;
  without_latest.erase(14);
  ExpectModel(tmp.path(), without_latest);
}

TEST(FileStoreTest, LoadsHundredThousandObjectsQuickly) {
  TempDir tmp("file_store_test");
  constexpr int kObjects = 100000;
  {
    // Fast setup: no syncs, and a single compaction at the last object.
    auto store = OpenStore(tmp.path(), /*sync=*/false, /*compact_min=*/kObjects);
    auto token = Token(*store);
    for (int i = 0; i < kObjects; ++i) {
      ObjectRecord o{token->NewObjectId(),
                     {attr::Class{CKO_DATA}, attr::Token{true}, attr::Private{false},
                      attr::Label{"object " + std::to_string(i)}, attr::Value{Bytes(32, i & 255)},
                      attr::Application{"bench"}}};
      ASSERT_TRUE(token->PutObject(o).has_value());
    }
  }
  ASSERT_EQ(CountObjectFiles(tmp.path()).packs, 1);
  auto store = OpenStore(tmp.path());
  auto token = Token(*store);
  const auto start = std::chrono::steady_clock::now();
  auto loaded = token->LoadObjects();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->size(), static_cast<size_t>(kObjects));
  printf("LoadObjects of %d objects: %.3f s\n", kObjects, seconds);
  RecordProperty("load_seconds", std::to_string(seconds));
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  EXPECT_LT(seconds, 1.5);
#endif
}

}  // namespace
}  // namespace cryptoki
