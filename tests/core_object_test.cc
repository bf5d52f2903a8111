// Objects: the attribute rules table and its exact return codes; find.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <string>

#include "cryptoki/cryptoki.h"
#include "tests/test_util.h"

namespace cryptoki {
namespace {

using ::cryptoki::testing::InitializedToken;
using ::cryptoki::testing::IsOk;
using ::cryptoki::testing::kSoPin;
using ::cryptoki::testing::kUserPin;
using ::cryptoki::testing::NewLibrary;
using ::cryptoki::testing::RvIs;
using ::testing::Optional;

class ObjectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    token_ = InitializedToken(*lib_);
    auto s = token_->OpenSession(SessionKind::kReadWrite);
    ASSERT_TRUE(s.has_value());
    session_.emplace(std::move(*s));
    ASSERT_THAT(session_->Login(CKU_USER, kUserPin), IsOk());
  }
  Session& s() { return *session_; }

  static Template AesKey(Bytes value = Bytes(32, 7)) {
    return Template{attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_AES},
                    attr::Value{std::move(value)}};
  }

  std::unique_ptr<Library> lib_ = NewLibrary();
  std::shared_ptr<Token> token_;
  std::optional<Session> session_;
};

TEST_F(ObjectTest, MissingClassIsTemplateIncomplete) {
  EXPECT_THAT(s().CreateObject({attr::Label{"x"}}), RvIs(Rv::kTemplateIncomplete));
}

TEST_F(ObjectTest, UnknownClassIsAttributeValueInvalid) {
  EXPECT_THAT(s().CreateObject({attr::Class{CKO_HW_FEATURE}}), RvIs(Rv::kAttributeValueInvalid));
}

TEST_F(ObjectTest, KeyWithoutKeyTypeIsTemplateIncomplete) {
  EXPECT_THAT(s().CreateObject({attr::Class{CKO_SECRET_KEY}, attr::Value{Bytes(16)}}),
              RvIs(Rv::kTemplateIncomplete));
}

TEST_F(ObjectTest, KeyWithoutValueIsTemplateIncomplete) {
  EXPECT_THAT(s().CreateObject({attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_AES}}),
              RvIs(Rv::kTemplateIncomplete));
}

TEST_F(ObjectTest, UnsupportedKeyTypeIsAttributeValueInvalid) {
  EXPECT_THAT(s().CreateObject(
                  {attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_RC4}, attr::Value{Bytes(16)}}),
              RvIs(Rv::kAttributeValueInvalid));
}

TEST_F(ObjectTest, AttributeForeignToClassIsAttributeTypeInvalid) {
  EXPECT_THAT(s().CreateObject({attr::Class{CKO_DATA}, attr::Modulus{Bytes{1}}}),
              RvIs(Rv::kAttributeTypeInvalid));
}

TEST_F(ObjectTest, MalformedBoolIsAttributeValueInvalid) {
  Template t{attr::Class{CKO_DATA}, Attribute(CKA_TOKEN, Bytes{1, 0})};
  EXPECT_THAT(s().CreateObject(t), RvIs(Rv::kAttributeValueInvalid));
}

TEST_F(ObjectTest, ConflictingDuplicateIsTemplateInconsistent) {
  EXPECT_THAT(s().CreateObject({attr::Class{CKO_DATA}, attr::Label{"a"}, attr::Label{"b"}}),
              RvIs(Rv::kTemplateInconsistent));
  EXPECT_THAT(s().CreateObject({attr::Class{CKO_DATA}, attr::Label{"a"}, attr::Label{"a"}}),
              IsOk());
}

TEST_F(ObjectTest, BadAesKeyLengthIsAttributeValueInvalid) {
  EXPECT_THAT(s().CreateObject(AesKey(Bytes(15))), RvIs(Rv::kAttributeValueInvalid));
}

TEST_F(ObjectTest, TokenComputedAttributesAreReadOnlyOnCreate) {
  Template t = AesKey();
  t.Add(attr::Local{true});
  EXPECT_THAT(s().CreateObject(t), RvIs(Rv::kAttributeReadOnly));
  Template u = AesKey();
  u.Add(attr::ValueLen{32});
  EXPECT_THAT(s().CreateObject(u), RvIs(Rv::kAttributeReadOnly));
}

TEST_F(ObjectTest, CreatedKeyGetsDefaultsAndComputedAttributes) {
  ASSERT_OK_AND_ASSIGN(ObjectHandle h, s().CreateObject(AesKey()));
  EXPECT_THAT(s().Get<attr::Private>(h), Optional(true));
  EXPECT_THAT(s().Get<attr::Token>(h), Optional(false));
  EXPECT_THAT(s().Get<attr::Local>(h), Optional(false));
  EXPECT_THAT(s().Get<attr::ValueLen>(h), Optional(32ul));
  EXPECT_THAT(s().Get<attr::AlwaysSensitive>(h), Optional(false));
  EXPECT_THAT(s().Get<attr::NeverExtractable>(h), Optional(false));
  EXPECT_THAT(s().Get<attr::KeyGenMechanism>(h), Optional(CK_UNAVAILABLE_INFORMATION));
  EXPECT_THAT(s().Get<attr::Encrypt>(h), Optional(true));
  EXPECT_THAT(s().Get<attr::Derive>(h), Optional(false));
  EXPECT_THAT(s().Get<attr::Label>(h), Optional(std::string()));
  auto uid = s().Get<attr::UniqueId>(h);
  ASSERT_THAT(uid, IsOk());
  EXPECT_EQ(uid->size(), 32u);
}

TEST_F(ObjectTest, RsaPublicKeyGetsModulusBits) {
  Bytes modulus(256, 0xff);
  ASSERT_OK_AND_ASSIGN(
      ObjectHandle h,
      s().CreateObject({attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_RSA}, attr::Modulus{modulus},
                        attr::PublicExponent{Bytes{1, 0, 1}}}));
  EXPECT_THAT(s().Get<attr::ModulusBits>(h), Optional(2048ul));
  EXPECT_THAT(s().Get<attr::Private>(h), Optional(false));
}

TEST_F(ObjectTest, SensitiveValueIsNotRevealed) {
  Template t = AesKey();
  t.Add(attr::Sensitive{true});
  ASSERT_OK_AND_ASSIGN(ObjectHandle h, s().CreateObject(t));
  EXPECT_THAT(s().GetAttribute(h, CKA_VALUE), RvIs(Rv::kAttributeSensitive));
  EXPECT_THAT(s().Get<attr::ValueLen>(h), Optional(32ul));
  ASSERT_OK_AND_ASSIGN(ObjectHandle open, s().CreateObject(AesKey()));
  EXPECT_THAT(s().Get<attr::Value>(open), Optional(Bytes(32, 7)));
}

TEST_F(ObjectTest, UnextractableValueIsNotRevealed) {
  Template t = AesKey();
  t.Add(attr::Extractable{false});
  ASSERT_OK_AND_ASSIGN(ObjectHandle h, s().CreateObject(t));
  EXPECT_THAT(s().GetAttribute(h, CKA_VALUE), RvIs(Rv::kAttributeSensitive));
}

TEST_F(ObjectTest, AbsentAttributeIsAttributeTypeInvalid) {
  ASSERT_OK_AND_ASSIGN(ObjectHandle h, s().CreateObject({attr::Class{CKO_DATA}}));
  EXPECT_THAT(s().GetAttribute(h, CKA_MODULUS), RvIs(Rv::kAttributeTypeInvalid));
}

TEST_F(ObjectTest, ReadObjectSeesTheObjectOnlyWhileItExists) {
  ASSERT_OK_AND_ASSIGN(ObjectHandle h,
                       s().CreateObject({attr::Class{CKO_DATA}, attr::Label{"read me"}}));
  std::string label;
  ASSERT_THAT(s().ReadObject(h, [&](const Object& o) { label = o.Find(CKA_LABEL)->AsString(); }),
              IsOk());
  EXPECT_EQ(label, "read me");
  ASSERT_THAT(s().DestroyObject(h), IsOk());
  bool called = false;
  EXPECT_THAT(s().ReadObject(h, [&](const Object&) { called = true; }),
              RvIs(Rv::kObjectHandleInvalid));
  EXPECT_FALSE(called);
}

TEST_F(ObjectTest, SensitiveOnlyTurnsOn) {
  ASSERT_OK_AND_ASSIGN(ObjectHandle h, s().CreateObject(AesKey()));
  EXPECT_THAT(s().SetAttributes(h, {attr::Sensitive{true}}), IsOk());
  EXPECT_THAT(s().SetAttributes(h, {attr::Sensitive{false}}), RvIs(Rv::kAttributeReadOnly));
  EXPECT_THAT(s().Get<attr::AlwaysSensitive>(h), Optional(false));
}

TEST_F(ObjectTest, ExtractableOnlyTurnsOff) {
  ASSERT_OK_AND_ASSIGN(ObjectHandle h, s().CreateObject(AesKey()));
  EXPECT_THAT(s().SetAttributes(h, {attr::Extractable{false}}), IsOk());
  EXPECT_THAT(s().SetAttributes(h, {attr::Extractable{true}}), RvIs(Rv::kAttributeReadOnly));
  EXPECT_THAT(s().Get<attr::NeverExtractable>(h), Optional(false));
}

TEST_F(ObjectTest, ReadOnlyAttributesCannotBeSet) {
  ASSERT_OK_AND_ASSIGN(ObjectHandle h, s().CreateObject(AesKey()));
  EXPECT_THAT(s().SetAttributes(h, {attr::KeyType{CKK_DES3}}), RvIs(Rv::kAttributeReadOnly));
  EXPECT_THAT(s().SetAttributes(h, {attr::Token{true}}), RvIs(Rv::kAttributeReadOnly));
  EXPECT_THAT(s().SetAttributes(h, {attr::Local{true}}), RvIs(Rv::kAttributeReadOnly));
  EXPECT_THAT(s().SetAttributes(h, {attr::Modulus{Bytes{1}}}), RvIs(Rv::kAttributeTypeInvalid));
  EXPECT_THAT(s().SetAttributes(h, {attr::Label{"renamed"}, attr::Id{Bytes{9}}}), IsOk());
  EXPECT_THAT(s().Get<attr::Label>(h), Optional(std::string("renamed")));
}

TEST_F(ObjectTest, UnmodifiableObjectIsActionProhibited) {
  Template t = AesKey();
  t.Add(attr::Modifiable{false});
  ASSERT_OK_AND_ASSIGN(ObjectHandle h, s().CreateObject(t));
  EXPECT_THAT(s().SetAttributes(h, {attr::Label{"x"}}), RvIs(Rv::kActionProhibited));
}

TEST_F(ObjectTest, UndestroyableObjectIsActionProhibited) {
  ASSERT_OK_AND_ASSIGN(ObjectHandle h,
                       s().CreateObject({attr::Class{CKO_DATA}, attr::Destroyable{false}}));
  EXPECT_THAT(s().DestroyObject(h), RvIs(Rv::kActionProhibited));
  EXPECT_THAT(s().GetObject(h), IsOk());
}

TEST_F(ObjectTest, UncopyableObjectIsActionProhibited) {
  ASSERT_OK_AND_ASSIGN(ObjectHandle h,
                       s().CreateObject({attr::Class{CKO_DATA}, attr::Copyable{false}}));
  EXPECT_THAT(s().CopyObject(h, {}), RvIs(Rv::kActionProhibited));
  EXPECT_THAT(s().SetAttributes(h, {attr::Copyable{true}}), RvIs(Rv::kAttributeReadOnly));
}

TEST_F(ObjectTest, CopyMayChangeTokenPrivateAndModifiable) {
  ASSERT_OK_AND_ASSIGN(ObjectHandle h,
                       s().CreateObject({attr::Class{CKO_DATA}, attr::Label{"orig"}}));
  ASSERT_OK_AND_ASSIGN(ObjectHandle c,
                       s().CopyObject(h, {attr::Token{true}, attr::Private{true},
                                          attr::Modifiable{false}, attr::Label{"copy"}}));
  EXPECT_NE(c, h);
  EXPECT_THAT(s().Get<attr::Token>(c), Optional(true));
  EXPECT_THAT(s().Get<attr::Private>(c), Optional(true));
  EXPECT_THAT(s().Get<attr::Modifiable>(c), Optional(false));
  EXPECT_THAT(s().Get<attr::Label>(h), Optional(std::string("orig")));
  EXPECT_THAT(s().CopyObject(h, {attr::Class{CKO_SECRET_KEY}}), RvIs(Rv::kAttributeReadOnly));
}

TEST_F(ObjectTest, CopiedKeyGetsNewUniqueId) {
  ASSERT_OK_AND_ASSIGN(ObjectHandle h, s().CreateObject(AesKey()));
  ASSERT_OK_AND_ASSIGN(ObjectHandle c, s().CopyObject(h, {}));
  EXPECT_NE(*s().Get<attr::UniqueId>(h), *s().Get<attr::UniqueId>(c));
}

TEST_F(ObjectTest, CopiedUniqueIdIsThirtyTwoHexDigits) {
  ASSERT_OK_AND_ASSIGN(ObjectHandle h, s().CreateObject(AesKey()));
  ASSERT_OK_AND_ASSIGN(ObjectHandle c, s().CopyObject(h, {attr::Label{"copy"}}));
  ASSERT_OK_AND_ASSIGN(std::string id, s().Get<attr::UniqueId>(c));
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
}

// Unique IDs are a per-process random half and a counter: never repeated in
// a process, and a forked child (which inherits the counter) draws its own
// random half, so parent and child never hand out the same ID.
TEST(UniqueIdTest, NeverRepeatsAndAForkedChildDrawsItsOwn) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto id = RandomUniqueId().AsString();
    ASSERT_EQ(id.size(), 32u);
    EXPECT_TRUE(seen.insert(id).second) << id;
  }
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const std::string id = RandomUniqueId().AsString();
    _exit(write(fds[1], id.data(), id.size()) == static_cast<ssize_t>(id.size()) ? 0 : 1);
  }
  const std::string mine = RandomUniqueId().AsString();
  char buf[32];
  ASSERT_EQ(read(fds[0], buf, sizeof buf), 32);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  close(fds[0]);
  close(fds[1]);
  const std::string child(buf, sizeof buf);
  EXPECT_NE(child, mine);
  EXPECT_NE(child.substr(0, 16), mine.substr(0, 16));  // the random half
  EXPECT_EQ(mine.substr(0, 16), seen.begin()->substr(0, 16));
}

// The search index keeps a key selecting one object inline and makes a set
// for a second: finds stay exact as keys gain and lose objects, by label,
// CKA_ID and CKA_UNIQUE_ID, and a key no object has any more finds nothing.
TEST_F(ObjectTest, FindStaysExactAsIndexKeysGainAndLoseObjects) {
  auto data = [](std::string label, Bytes id) {
    return Template{attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_AES}, attr::Value{Bytes(16, 1)},
                    attr::Label{std::move(label)}, attr::Id{std::move(id)}};
  };
  ASSERT_OK_AND_ASSIGN(ObjectHandle a, s().CreateObject(data("shared", Bytes{1})));
  ASSERT_OK_AND_ASSIGN(ObjectHandle b, s().CreateObject(data("shared", Bytes{2})));
  ASSERT_OK_AND_ASSIGN(ObjectHandle c, s().CreateObject(data("alone", Bytes(40, 3))));
  auto found = [&](Template t) { return *s().Find(t); };
  EXPECT_THAT(found({attr::Label{"shared"}}), ::testing::UnorderedElementsAre(a, b));
  EXPECT_THAT(found({attr::Label{"alone"}}), ::testing::ElementsAre(c));
  EXPECT_THAT(found({attr::Id{Bytes(40, 3)}}), ::testing::ElementsAre(c));  // a long key
  ASSERT_OK_AND_ASSIGN(std::string uid, s().Get<attr::UniqueId>(b));
  EXPECT_THAT(found({attr::UniqueId{uid}}), ::testing::ElementsAre(b));
  ASSERT_THAT(s().DestroyObject(a), IsOk());
  EXPECT_THAT(found({attr::Label{"shared"}}), ::testing::ElementsAre(b));
  EXPECT_THAT(found({attr::Id{Bytes{1}}}), ::testing::IsEmpty());
  ASSERT_THAT(s().SetAttributes(b, {attr::Label{"alone"}}), IsOk());
  EXPECT_THAT(found({attr::Label{"shared"}}), ::testing::IsEmpty());
  EXPECT_THAT(found({attr::Label{"alone"}}), ::testing::UnorderedElementsAre(b, c));
  ASSERT_THAT(s().DestroyObject(c), IsOk());
  EXPECT_THAT(found({attr::Label{"alone"}, attr::Id{Bytes{2}}}), ::testing::ElementsAre(b));
  ASSERT_THAT(s().DestroyObject(b), IsOk());
  EXPECT_THAT(found({attr::Label{"alone"}}), ::testing::IsEmpty());
  EXPECT_THAT(found({attr::UniqueId{uid}}), ::testing::IsEmpty());
}

// The boolean attributes Object reads once at construction answer exactly
// as the attributes themselves, including absent ones (the default given).
TEST_F(ObjectTest, BooleanAttributesAnswerAsStored) {
  ASSERT_OK_AND_ASSIGN(ObjectHandle h,
                       s().CreateObject(AesKey().Add(attr::Encrypt{false}).Add(attr::Sign{true})));
  ASSERT_OK_AND_ASSIGN(auto obj, s().GetObject(h));
  EXPECT_FALSE(obj->Bool(CKA_ENCRYPT, true));
  EXPECT_TRUE(obj->Bool(CKA_SIGN, false));
  EXPECT_TRUE(obj->Bool(CKA_TOKEN, false) == *s().Get<attr::Token>(h));
  EXPECT_TRUE(obj->Bool(CKA_VENDOR_DEFINED | 1, true));  // absent, not tracked
  EXPECT_FALSE(obj->Bool(CKA_VENDOR_DEFINED | 1, false));
  ASSERT_NE(obj->Find(CKA_VALUE), nullptr);
  EXPECT_EQ(obj->Find(CKA_VALUE)->value().size(), 32u);
  for (const Attribute& a : obj->attributes()) {
    if (auto b = a.AsBool(); b && a.type() < CKA_VENDOR_DEFINED) {
      EXPECT_EQ(obj->Bool(a.type(), !*b), *b) << std::hex << a.type();
    }
  }
}

// CKA_VALUE_BITS of a DH private key (footnotes 2,6): computed on creation,
// never given to C_CreateObject, and read-only afterwards.
TEST_F(ObjectTest, DhPrivateValueBitsIsComputedAndNotGivenToCreateObject) {
  Template t{attr::Class{CKO_PRIVATE_KEY}, attr::KeyType{CKK_DH},
             Attribute(CKA_PRIME, ByteView(Bytes(256, 0xff))),
             Attribute(CKA_BASE, ByteView(Bytes{2})), attr::Value{Bytes{0x01, 0x23}}};
  ASSERT_OK_AND_ASSIGN(ObjectHandle h, s().CreateObject(t));
  ASSERT_OK_AND_ASSIGN(Attribute bits, s().GetAttribute(h, CKA_VALUE_BITS));
  EXPECT_EQ(bits.AsUlong(), 9u);
  EXPECT_THAT(s().SetAttributes(h, {Attribute::Ulong(CKA_VALUE_BITS, 8)}),
              RvIs(Rv::kAttributeReadOnly));
  t.Add(Attribute::Ulong(CKA_VALUE_BITS, 9));
  EXPECT_THAT(s().CreateObject(t), RvIs(Rv::kAttributeReadOnly));
}

TEST_F(ObjectTest, TrustedOnlyBySo) {
  Template t{attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_EC},
             attr::EcParams{Bytes{6, 8, 42, 134, 72, 206, 61, 3, 1, 7}},
             attr::EcPoint{Bytes{4, 65, 4}}, attr::Trusted{true}};
  EXPECT_THAT(s().CreateObject(t), RvIs(Rv::kAttributeReadOnly));
  Template untrusted{attr::Class{CKO_PUBLIC_KEY}, attr::KeyType{CKK_EC},
                     attr::EcParams{Bytes{6, 8, 42, 134, 72, 206, 61, 3, 1, 7}},
                     attr::EcPoint{Bytes{4, 65, 4}}, attr::Token{true}};
  ASSERT_OK_AND_ASSIGN(ObjectHandle h, s().CreateObject(untrusted));
  EXPECT_THAT(s().SetAttributes(h, {attr::Trusted{true}}), RvIs(Rv::kAttributeReadOnly));
  ASSERT_THAT(s().Logout(), IsOk());
  ASSERT_THAT(s().Login(CKU_SO, kSoPin), IsOk());
  EXPECT_THAT(s().SetAttributes(h, {attr::Trusted{true}}), IsOk());
  EXPECT_THAT(s().Get<attr::Trusted>(h), Optional(true));
}

TEST_F(ObjectTest, CertificateNeedsSubjectAndValue) {
  EXPECT_THAT(s().CreateObject({attr::Class{CKO_CERTIFICATE}, attr::CertificateType{CKC_X_509},
                                attr::Value{Bytes{0x30}}}),
              RvIs(Rv::kTemplateIncomplete));
  EXPECT_THAT(s().CreateObject({attr::Class{CKO_CERTIFICATE}, attr::CertificateType{CKC_X_509},
                                attr::Subject{Bytes{0x30}}, attr::Value{Bytes{0x30}}}),
              IsOk());
  EXPECT_THAT(s().CreateObject({attr::Class{CKO_CERTIFICATE}, attr::CertificateType{CKC_WTLS},
                                attr::Value{Bytes{0x30}}}),
              RvIs(Rv::kAttributeValueInvalid));
}

TEST_F(ObjectTest, VendorAttributesAreKept) {
  const AttributeType vendor = CKA_VENDOR_DEFINED | 0x42;
  ASSERT_OK_AND_ASSIGN(ObjectHandle h,
                       s().CreateObject({attr::Class{CKO_DATA}, Attribute(vendor, Bytes{5, 6})}));
  auto a = s().GetAttribute(h, vendor);
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(Bytes(a->value().begin(), a->value().end()), (Bytes{5, 6}));
}

TEST_F(ObjectTest, ObjectSizeCountsValues) {
  ASSERT_OK_AND_ASSIGN(ObjectHandle small, s().CreateObject({attr::Class{CKO_DATA}}));
  ASSERT_OK_AND_ASSIGN(ObjectHandle big,
                       s().CreateObject({attr::Class{CKO_DATA}, attr::Value{Bytes(1000)}}));
  ASSERT_OK_AND_ASSIGN(size_t a, s().GetObjectSize(small));
  ASSERT_OK_AND_ASSIGN(size_t b, s().GetObjectSize(big));
  EXPECT_GE(b, a + 1000);
}

TEST_F(ObjectTest, DestroyedHandleIsObjectHandleInvalid) {
  ASSERT_OK_AND_ASSIGN(ObjectHandle h, s().CreateObject({attr::Class{CKO_DATA}}));
  ASSERT_THAT(s().DestroyObject(h), IsOk());
  EXPECT_THAT(s().DestroyObject(h), RvIs(Rv::kObjectHandleInvalid));
  EXPECT_THAT(s().GetAttribute(h, CKA_CLASS), RvIs(Rv::kObjectHandleInvalid));
  ASSERT_OK_AND_ASSIGN(ObjectHandle next, s().CreateObject({attr::Class{CKO_DATA}}));
  EXPECT_NE(next, h);
  EXPECT_TRUE(next.valid());
}

TEST_F(ObjectTest, FindMatchesExactValuesAndUsesIndexes) {
  for (int i = 0; i < 50; ++i) {
    ASSERT_THAT(s().CreateObject({attr::Class{CKO_DATA}, attr::Label{"n" + std::to_string(i)},
                                  attr::Application{i % 2 ? "odd" : "even"}}),
                IsOk());
  }
  ASSERT_THAT(s().CreateObject(AesKey()), IsOk());
  EXPECT_THAT(s().Find({attr::Label{"n7"}}), Optional(::testing::SizeIs(1)));
  EXPECT_THAT(s().Find({attr::Label{"n7"}, attr::Application{"even"}}),
              Optional(::testing::IsEmpty()));
  EXPECT_THAT(s().Find({attr::Application{"odd"}}), Optional(::testing::SizeIs(25)));
  EXPECT_THAT(s().Find({attr::Class{CKO_DATA}}), Optional(::testing::SizeIs(50)));
  EXPECT_THAT(s().Find({attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_AES}}),
              Optional(::testing::SizeIs(1)));
  EXPECT_THAT(s().Find({}), Optional(::testing::SizeIs(51)));
  EXPECT_THAT(s().Find({attr::Label{"absent"}}), Optional(::testing::IsEmpty()));
}

TEST_F(ObjectTest, FindNeverMatchesOnSensitiveValues) {
  Template t = AesKey();
  t.Add(attr::Sensitive{true});
  ASSERT_THAT(s().CreateObject(t), IsOk());
  EXPECT_THAT(s().Find({attr::Value{Bytes(32, 7)}}), Optional(::testing::IsEmpty()));
}

TEST_F(ObjectTest, FindSeesRenamedObjectUnderNewLabel) {
  ASSERT_OK_AND_ASSIGN(ObjectHandle h,
                       s().CreateObject({attr::Class{CKO_DATA}, attr::Label{"before"}}));
  ASSERT_THAT(s().SetAttributes(h, {attr::Label{"after"}}), IsOk());
  EXPECT_THAT(s().Find({attr::Label{"before"}}), Optional(::testing::IsEmpty()));
  EXPECT_THAT(s().Find({attr::Label{"after"}}), Optional(::testing::ElementsAre(h)));
}

TEST_F(ObjectTest, AllowedMechanismsAreStored) {
  Template t = AesKey();
  t.Add(attr::AllowedMechanisms{{CKM_AES_GCM, CKM_AES_CBC}});
  ASSERT_OK_AND_ASSIGN(ObjectHandle h, s().CreateObject(t));
  EXPECT_THAT(s().Get<attr::AllowedMechanisms>(h),
              Optional(std::vector<CK_MECHANISM_TYPE>{CKM_AES_GCM, CKM_AES_CBC}));
}

TEST_F(ObjectTest, WrapAndUnwrapTemplatesRoundTrip) {
  Template t = AesKey();
  t.Add(attr::WrapTemplate{{attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_AES}}});
  t.Add(attr::UnwrapTemplate{{attr::Sensitive{true}}});
  ASSERT_OK_AND_ASSIGN(ObjectHandle h, s().CreateObject(t));
  auto wrap = s().Get<attr::WrapTemplate>(h);
  ASSERT_THAT(wrap, IsOk());
  ASSERT_EQ(wrap->size(), 2u);
  EXPECT_EQ(wrap->Find(CKA_KEY_TYPE)->AsUlong(), CKK_AES);
  auto unwrap = s().Get<attr::UnwrapTemplate>(h);
  ASSERT_THAT(unwrap, IsOk());
  EXPECT_EQ(unwrap->Find(CKA_SENSITIVE)->AsBool(), true);
  EXPECT_THAT(s().Get<attr::DeriveTemplate>(h),
              Optional(::testing::Property(&Template::empty, true)));
}

TEST_F(ObjectTest, MalformedAttributeArrayIsAttributeValueInvalid) {
  Template t = AesKey();
  t.Add(Attribute(CKA_WRAP_TEMPLATE, Bytes{1, 2, 3}));
  EXPECT_THAT(s().CreateObject(t), RvIs(Rv::kAttributeValueInvalid));
}

}  // namespace
}  // namespace cryptoki
