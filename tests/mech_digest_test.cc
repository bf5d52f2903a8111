#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cryptoki/mechanism.h"
#include "tests/mech_test_util.h"

namespace cryptoki::testing {
namespace {

struct DigestCase {
  CK_MECHANISM_TYPE mech;
  const char* abc;  // digest of "abc"
};

// FIPS 180-4 / RFC 1321 examples.
constexpr DigestCase kCases[] = {
    {CKM_MD5, "900150983cd24fb0d6963f7d28e17f72"},
    {CKM_SHA_1, "a9993e364706816aba3e25717850c26c9cd0d89d"},
    {CKM_SHA224, "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"},
    {CKM_SHA256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {CKM_SHA384,
     "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c82"
     "5"
     "a7"},
    {CKM_SHA512,
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3fee"
     "b"
     "bd454d4423643ce80e2a9ac94fa54ca49f"},
    {CKM_SHA512_224, "4634270f707b6a54daae7530460842e20e37ed265ceee9a43e8924aa"},
    {CKM_SHA512_256, "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23"},
};

class DigestTest : public MechTest, public ::testing::WithParamInterface<DigestCase> {};

TEST_P(DigestTest, OneShotMatchesKnownAnswer) {
  ASSERT_THAT(DigestInit(s(), Mechanism{GetParam().mech}), IsOk());
  ASSERT_OK_AND_ASSIGN(Bytes d, RunOneShot(OpKind::kDigest, AsBytes("abc")));
  EXPECT_EQ(ToHex(d), GetParam().abc);
}

TEST_P(DigestTest, MultiPartMatchesKnownAnswer) {
  ASSERT_THAT(DigestInit(s(), Mechanism{GetParam().mech}), IsOk());
  ASSERT_OK_AND_ASSIGN(Bytes d, RunMultiPart(OpKind::kDigest, AsBytes("abc"), 1));
  EXPECT_EQ(ToHex(d), GetParam().abc);
}

TEST_P(DigestTest, DigestKeyFeedsTheKeyValue) {
  const ObjectHandle k = SecretKey(CKK_GENERIC_SECRET, AsBytes("bc"));
  ASSERT_THAT(DigestInit(s(), Mechanism{GetParam().mech}), IsOk());
  Output none = Output::Query();
  ASSERT_THAT(s().Update(OpKind::kDigest, AsBytes("a"), none), IsOk());
  ASSERT_THAT(DigestKey(s(), k), IsOk());
  Bytes d(64);
  Output o = Output::Into(d);
  ASSERT_THAT(s().Final(OpKind::kDigest, o), IsOk());
  d.resize(o.length);
  EXPECT_EQ(ToHex(d), GetParam().abc);
}

INSTANTIATE_TEST_SUITE_P(All, DigestTest, ::testing::ValuesIn(kCases));

using DigestRulesTest = MechTest;

TEST_F(DigestRulesTest, UnknownMechanismIsMechanismInvalid) {
  EXPECT_THAT(DigestInit(s(), Mechanism{CKM_VENDOR_DEFINED + 77}), RvIs(Rv::kMechanismInvalid));
}

TEST_F(DigestRulesTest, CipherMechanismCannotDigest) {
  EXPECT_THAT(DigestInit(s(), Mechanism{CKM_AES_ECB}), RvIs(Rv::kMechanismInvalid));
}

TEST_F(DigestRulesTest, ParameterIsMechanismParamInvalid) {
  EXPECT_THAT(DigestInit(s(), Mechanism{CKM_SHA256, mech::RawParams{Bytes{1}}}),
              RvIs(Rv::kMechanismParamInvalid));
}

TEST_F(DigestRulesTest, SecondInitIsOperationActive) {
  ASSERT_THAT(DigestInit(s(), Mechanism{CKM_SHA256}), IsOk());
  EXPECT_THAT(DigestInit(s(), Mechanism{CKM_SHA1_RSA_PKCS}), RvIs(Rv::kOperationActive));
}

TEST_F(DigestRulesTest, ShortBufferKeepsTheOperation) {
  ASSERT_THAT(DigestInit(s(), Mechanism{CKM_SHA256}), IsOk());
  Bytes small(31);
  Output o = Output::Into(small);
  EXPECT_THAT(s().OneShot(OpKind::kDigest, AsBytes("abc"), o), RvIs(Rv::kBufferTooSmall));
  EXPECT_EQ(o.length, 32u);
  Bytes d(32);
  Output o2 = Output::Into(d);
  EXPECT_THAT(s().OneShot(OpKind::kDigest, AsBytes("abc"), o2), IsOk());
  EXPECT_EQ(ToHex(d), kCases[3].abc);
}

TEST_F(DigestRulesTest, DigestKeyWithoutDigestIsNotInitialized) {
  const ObjectHandle k = SecretKey(CKK_GENERIC_SECRET, AsBytes("k"));
  EXPECT_THAT(DigestKey(s(), k), RvIs(Rv::kOperationNotInitialized));
}

TEST_F(DigestRulesTest, DigestKeyOfDataObjectIsKeyIndigestible) {
  ASSERT_OK_AND_ASSIGN(ObjectHandle data,
                       s().CreateObject({attr::Class{CKO_DATA}, attr::Value{Bytes{1, 2}}}));
  ASSERT_THAT(DigestInit(s(), Mechanism{CKM_SHA256}), IsOk());
  EXPECT_THAT(DigestKey(s(), data), RvIs(Rv::kKeyIndigestible));
}

TEST_F(DigestRulesTest, DigestKeyBadHandleIsKeyHandleInvalid) {
  ASSERT_THAT(DigestInit(s(), Mechanism{CKM_SHA256}), IsOk());
  EXPECT_THAT(DigestKey(s(), ObjectHandle(999999)), RvIs(Rv::kKeyHandleInvalid));
}

TEST(MechanismRegistryTest, ListsDigestsWithDigestFlagOnly) {
  Config c = TestConfig();
  auto list = Mechanisms(c);
  EXPECT_THAT(list, ::testing::IsSupersetOf({CKM_SHA256, CKM_SHA512_224, CKM_MD5}));
  EXPECT_TRUE(std::is_sorted(list.begin(), list.end()));
  auto info = GetMechanismInfo(c, CKM_SHA256);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->flags, CKF_DIGEST);
  EXPECT_EQ(info->min_key_size, 0u);
}

TEST(MechanismRegistryTest, ConfigDenyListHidesMechanism) {
  auto c = ParseConfig("slots.mechanisms = -CKM_SHA256,CKM_MD5\n", "t");
  ASSERT_TRUE(c.has_value());
  auto list = Mechanisms(*c);
  EXPECT_THAT(list, ::testing::Not(::testing::Contains(CKM_SHA256)));
  EXPECT_THAT(list, ::testing::Contains(CKM_SHA_1));
  EXPECT_THAT(GetMechanismInfo(*c, CKM_MD5), RvIs(Rv::kMechanismInvalid));
}

TEST(MechanismRegistryTest, ConfigAllowListDeniesInit) {
  Config c = *ParseConfig("pin.kdf_log2n = 4\nslots.mechanisms = CKM_SHA_1\n", "t");
  auto lib = NewLibrary(c);
  auto token = InitializedToken(*lib, false);
  auto s = token->OpenSession(SessionKind::kReadOnly);
  ASSERT_TRUE(s.has_value());
  EXPECT_THAT(DigestInit(*s, Mechanism{CKM_SHA256}), RvIs(Rv::kMechanismInvalid));
  EXPECT_THAT(DigestInit(*s, Mechanism{CKM_SHA_1}), IsOk());
}

TEST(MechanismRegistryTest, SelfTestsPass) { EXPECT_THAT(RunSelfTests(), IsOk()); }

}  // namespace
}  // namespace cryptoki::testing

namespace cryptoki::testing {
namespace {

using OperationStateTest = MechTest;

TEST_F(OperationStateTest, DigestStateMovesToAnotherSession) {
  ASSERT_THAT(DigestInit(s(), Mechanism{CKM_SHA256}), IsOk());
  Output none = Output::Query();
  ASSERT_THAT(s().Update(OpKind::kDigest, AsBytes("a"), none), IsOk());
  ASSERT_OK_AND_ASSIGN(Bytes state, s().GetOperationState());
  auto other = token_->OpenSession(SessionKind::kReadWrite);
  ASSERT_TRUE(other.has_value());
  ASSERT_THAT(other->SetOperationState(state, ObjectHandle(), ObjectHandle()), IsOk());
  ASSERT_THAT(other->Update(OpKind::kDigest, AsBytes("bc"), none), IsOk());
  Bytes d(32);
  Output o = Output::Into(d);
  ASSERT_THAT(other->Final(OpKind::kDigest, o), IsOk());
  EXPECT_EQ(ToHex(d), kCases[3].abc);
  state[state.size() / 2] ^= 1;
  EXPECT_THAT(other->SetOperationState(state, ObjectHandle(), ObjectHandle()),
              RvIs(Rv::kSavedStateInvalid));
}

TEST_F(OperationStateTest, HmacCmacAndCipherStatesResume) {
  const ObjectHandle hk = SecretKey(CKK_GENERIC_SECRET, AsBytes("Jefe"));
  const ObjectHandle ak = SecretKey(CKK_AES, Bytes(16, 5));
  struct Case {
    OpKind kind;
    Mechanism m;
    ObjectHandle key;
  } cases[] = {
      {OpKind::kSign, Mechanism{CKM_SHA256_HMAC}, hk},
      {OpKind::kSign, Mechanism{CKM_AES_CMAC}, ak},
      {OpKind::kEncrypt, Mechanism{CKM_AES_CBC_PAD, mech::RawParams{Bytes(16, 1)}}, ak},
  };
  const Bytes data(45, 0x33);
  for (const Case& c : cases) {
    // Reference: all in one go.
    auto init = [&](Session& ss) {
      return c.kind == OpKind::kSign ? SignInit(ss, c.m, c.key) : EncryptInit(ss, c.m, c.key);
    };
    ASSERT_THAT(init(s()), IsOk());
    ASSERT_OK_AND_ASSIGN(Bytes want, RunOneShot(c.kind, data));
    // Half, save, restore in another session, the rest.
    ASSERT_THAT(init(s()), IsOk());
    Bytes first(64);
    Output o1 = Output::Into(first);
    ASSERT_THAT(s().Update(c.kind, ByteView(data).first(20), o1), IsOk());
    first.resize(c.kind == OpKind::kEncrypt ? o1.length : 0);
    ASSERT_OK_AND_ASSIGN(Bytes state, s().GetOperationState());
    s().Cancel(c.kind);
    auto other = token_->OpenSession(SessionKind::kReadWrite);
    ASSERT_TRUE(other.has_value());
    const ObjectHandle enc_key = c.kind == OpKind::kEncrypt ? c.key : ObjectHandle();
    const ObjectHandle auth_key = c.kind == OpKind::kSign ? c.key : ObjectHandle();
    ASSERT_THAT(other->SetOperationState(state, enc_key, auth_key), IsOk());
    Bytes rest(64);
    Output o2 = Output::Into(rest);
    ASSERT_THAT(other->Update(c.kind, ByteView(data).subspan(20), o2), IsOk());
    rest.resize(c.kind == OpKind::kEncrypt ? o2.length : 0);
    Bytes last(64);
    Output o3 = Output::Into(last);
    ASSERT_THAT(other->Final(c.kind, o3), IsOk());
    last.resize(o3.length);
    Bytes got = first;
    got.insert(got.end(), rest.begin(), rest.end());
    got.insert(got.end(), last.begin(), last.end());
    EXPECT_EQ(ToHex(got), ToHex(want));
  }
}

TEST_F(OperationStateTest, AeadIsUnsaveable) {
  const ObjectHandle ak = SecretKey(CKK_AES, Bytes(16, 5));
  ASSERT_THAT(EncryptInit(s(), Mechanism{CKM_AES_GCM, mech::GcmParams{Bytes(12), {}, 128}}, ak),
              IsOk());
  EXPECT_THAT(s().GetOperationState(), RvIs(Rv::kStateUnsaveable));
}

}  // namespace
}  // namespace cryptoki::testing
