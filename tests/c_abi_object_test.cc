// The adapter's C conventions through the function table: templates,
// C_GetAttributeValue's per-attribute rules, attribute arrays, the two-call
// size query and CKR_BUFFER_TOO_SMALL, NULL arguments.
#include <openssl/sha.h>

#include <cstring>

#include "tests/c_abi_test_util.h"

namespace cryptoki::testing {
namespace {

class CAbiObjectTest : public CAbiTest {
 protected:
  void SetUp() override {
    CAbiTest::SetUp();
    h_ = Open();
    ASSERT_THAT(LoginUser(h_), CkrIs(CKR_OK));
  }

  // SecretKey makes a generic secret session key holding |value|.
  CK_OBJECT_HANDLE SecretKey(bool sensitive, std::vector<CK_ATTRIBUTE> extra = {}) {
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
    CK_BBOOL sens = sensitive ? CK_TRUE : CK_FALSE;
    std::vector<CK_ATTRIBUTE> tmpl = {
        {CKA_CLASS, &cls, sizeof cls},
        {CKA_KEY_TYPE, &kt, sizeof kt},
        {CKA_SENSITIVE, &sens, sizeof sens},
        {CKA_VALUE, value_, sizeof value_},
    };
    tmpl.insert(tmpl.end(), extra.begin(), extra.end());
    CK_OBJECT_HANDLE o = CK_INVALID_HANDLE;
    EXPECT_THAT(F()->C_CreateObject(h_, tmpl.data(), tmpl.size(), &o), CkrIs(CKR_OK));
    return o;
  }

  CK_SESSION_HANDLE h_ = 0;
  CK_BYTE value_[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
};

TEST_F(CAbiObjectTest, GetAttributeValueWithNullValueReturnsLengths) {
  CK_OBJECT_HANDLE o = CreateData(h_, false, false, "hello");
  CK_ATTRIBUTE t[] = {{CKA_LABEL, nullptr, 0}, {CKA_VALUE, nullptr, 0}};
  ASSERT_THAT(F()->C_GetAttributeValue(h_, o, t, 2), CkrIs(CKR_OK));
  EXPECT_EQ(t[0].ulValueLen, 5u);
  EXPECT_EQ(t[1].ulValueLen, 3u);
  char label[5];
  t[0].pValue = label;
  ASSERT_THAT(F()->C_GetAttributeValue(h_, o, t, 1), CkrIs(CKR_OK));
  EXPECT_EQ(std::string(label, 5), "hello");
}

TEST_F(CAbiObjectTest, GetAttributeValueMarksShortBufferAndFillsTheRest) {
  CK_OBJECT_HANDLE o = CreateData(h_, false, false, "hello");
  char label[2];
  CK_BYTE value[8];
  CK_ATTRIBUTE t[] = {{CKA_LABEL, label, sizeof label}, {CKA_VALUE, value, sizeof value}};
  EXPECT_THAT(F()->C_GetAttributeValue(h_, o, t, 2), CkrIs(CKR_BUFFER_TOO_SMALL));
  EXPECT_EQ(t[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
  EXPECT_EQ(t[1].ulValueLen, 3u);
  EXPECT_EQ(value[2], 3);
}

TEST_F(CAbiObjectTest, GetAttributeValueMarksInvalidTypeAndFillsTheRest) {
  CK_OBJECT_HANDLE o = CreateData(h_, false, false, "hello");
  CK_BYTE modulus[8];
  char label[8];
  CK_ATTRIBUTE t[] = {{CKA_MODULUS, modulus, sizeof modulus}, {CKA_LABEL, label, sizeof label}};
  EXPECT_THAT(F()->C_GetAttributeValue(h_, o, t, 2), CkrIs(CKR_ATTRIBUTE_TYPE_INVALID));
  EXPECT_EQ(t[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
  EXPECT_EQ(t[1].ulValueLen, 5u);
}

TEST_F(CAbiObjectTest, GetAttributeValueHidesSensitiveValue) {
  CK_OBJECT_HANDLE key = SecretKey(/*sensitive=*/true);
  CK_BYTE value[32];
  CK_KEY_TYPE kt = 0;
  CK_ATTRIBUTE t[] = {{CKA_VALUE, value, sizeof value}, {CKA_KEY_TYPE, &kt, sizeof kt}};
  EXPECT_THAT(F()->C_GetAttributeValue(h_, key, t, 2), CkrIs(CKR_ATTRIBUTE_SENSITIVE));
  EXPECT_EQ(t[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
  EXPECT_EQ(t[1].ulValueLen, sizeof kt);
  EXPECT_EQ(kt, CKK_GENERIC_SECRET);
}

TEST_F(CAbiObjectTest, GetAttributeValueRanksSensitiveOverInvalidOverTooSmall) {
  CK_OBJECT_HANDLE key = SecretKey(/*sensitive=*/true);
  CK_BYTE buf[1];
  CK_ATTRIBUTE t[] = {
      {CKA_KEY_TYPE, buf, sizeof buf}, {CKA_MODULUS, nullptr, 0}, {CKA_VALUE, nullptr, 0}};
  EXPECT_THAT(F()->C_GetAttributeValue(h_, key, t, 3), CkrIs(CKR_ATTRIBUTE_SENSITIVE));
  CK_ATTRIBUTE u[] = {{CKA_KEY_TYPE, buf, sizeof buf}, {CKA_MODULUS, nullptr, 0}};
  EXPECT_THAT(F()->C_GetAttributeValue(h_, key, u, 2), CkrIs(CKR_ATTRIBUTE_TYPE_INVALID));
  for (const auto& a : t) EXPECT_EQ(a.ulValueLen, CK_UNAVAILABLE_INFORMATION);
}

TEST_F(CAbiObjectTest, GetAttributeValueFailsOnUnknownObject) {
  CK_ATTRIBUTE t[] = {{CKA_LABEL, nullptr, 0}};
  EXPECT_THAT(F()->C_GetAttributeValue(h_, 0xdead, t, 1), CkrIs(CKR_OBJECT_HANDLE_INVALID));
  CK_OBJECT_HANDLE o = CreateData(h_, false, false);
  EXPECT_THAT(F()->C_GetAttributeValue(h_, o, nullptr, 1), CkrIs(CKR_ARGUMENTS_BAD));
}

TEST_F(CAbiObjectTest, WrapTemplateRoundTripsAsNestedAttributeArray) {
  CK_OBJECT_CLASS want_class = CKO_SECRET_KEY;
  CK_BBOOL want_extractable = CK_TRUE;
  CK_ATTRIBUTE nested[] = {{CKA_CLASS, &want_class, sizeof want_class},
                           {CKA_EXTRACTABLE, &want_extractable, sizeof want_extractable}};
  CK_OBJECT_HANDLE key = SecretKey(false, {{CKA_WRAP_TEMPLATE, nested, sizeof nested}});

  CK_ATTRIBUTE get = {CKA_WRAP_TEMPLATE, nullptr, 0};
  ASSERT_THAT(F()->C_GetAttributeValue(h_, key, &get, 1), CkrIs(CKR_OK));
  ASSERT_EQ(get.ulValueLen, 2 * sizeof(CK_ATTRIBUTE));

  CK_ATTRIBUTE out[2] = {};
  get.pValue = out;
  ASSERT_THAT(F()->C_GetAttributeValue(h_, key, &get, 1), CkrIs(CKR_OK));
  EXPECT_EQ(out[0].type, CKA_CLASS);
  EXPECT_EQ(out[0].ulValueLen, sizeof(CK_OBJECT_CLASS));
  EXPECT_EQ(out[1].type, CKA_EXTRACTABLE);
  EXPECT_EQ(out[1].ulValueLen, sizeof(CK_BBOOL));

  CK_OBJECT_CLASS got_class = 0;
  CK_BBOOL got_extractable = CK_FALSE;
  out[0].pValue = &got_class;
  out[1].pValue = &got_extractable;
  ASSERT_THAT(F()->C_GetAttributeValue(h_, key, &get, 1), CkrIs(CKR_OK));
  EXPECT_EQ(got_class, CKO_SECRET_KEY);
  EXPECT_EQ(got_extractable, CK_TRUE);
}

TEST_F(CAbiObjectTest, AttributeArrayWithShortOuterBufferIsTooSmall) {
  CK_OBJECT_CLASS c = CKO_SECRET_KEY;
  CK_ATTRIBUTE nested[] = {{CKA_CLASS, &c, sizeof c}};
  CK_OBJECT_HANDLE key = SecretKey(false, {{CKA_WRAP_TEMPLATE, nested, sizeof nested}});
  CK_ATTRIBUTE out[1] = {};
  CK_ATTRIBUTE get = {CKA_WRAP_TEMPLATE, out, sizeof(CK_ATTRIBUTE) - 1};
  EXPECT_THAT(F()->C_GetAttributeValue(h_, key, &get, 1), CkrIs(CKR_BUFFER_TOO_SMALL));
  EXPECT_EQ(get.ulValueLen, CK_UNAVAILABLE_INFORMATION);
}

TEST_F(CAbiObjectTest, MalformedAttributeArrayIsRefused) {
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
  CK_BYTE junk[5] = {};
  CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof cls},
                         {CKA_KEY_TYPE, &kt, sizeof kt},
                         {CKA_VALUE, value_, sizeof value_},
                         {CKA_WRAP_TEMPLATE, junk, sizeof junk}};
  CK_OBJECT_HANDLE o;
  EXPECT_THAT(F()->C_CreateObject(h_, tmpl, 4, &o), CkrIs(CKR_ATTRIBUTE_VALUE_INVALID));
}

TEST_F(CAbiObjectTest, TemplateWithNullValueAndLengthFailsWithArgumentsBad) {
  CK_ATTRIBUTE tmpl[] = {{CKA_LABEL, nullptr, 4}};
  CK_OBJECT_HANDLE o;
  EXPECT_THAT(F()->C_CreateObject(h_, tmpl, 1, &o), CkrIs(CKR_ARGUMENTS_BAD));
  EXPECT_THAT(F()->C_CreateObject(h_, nullptr, 1, &o), CkrIs(CKR_ARGUMENTS_BAD));
  CK_OBJECT_CLASS cls = CKO_DATA;
  CK_ATTRIBUTE ok[] = {{CKA_CLASS, &cls, sizeof cls}};
  EXPECT_THAT(F()->C_CreateObject(h_, ok, 1, nullptr), CkrIs(CKR_ARGUMENTS_BAD));
}

TEST_F(CAbiObjectTest, SetAttributeValueChangesTheLabel) {
  CK_OBJECT_HANDLE o = CreateData(h_, false, false, "old");
  CK_ATTRIBUTE set = {CKA_LABEL, const_cast<char*>("newer"), 5};
  ASSERT_THAT(F()->C_SetAttributeValue(h_, o, &set, 1), CkrIs(CKR_OK));
  char label[16];
  CK_ATTRIBUTE get = {CKA_LABEL, label, sizeof label};
  ASSERT_THAT(F()->C_GetAttributeValue(h_, o, &get, 1), CkrIs(CKR_OK));
  EXPECT_EQ(std::string(label, get.ulValueLen), "newer");
}

TEST_F(CAbiObjectTest, CopyAndDestroyObject) {
  CK_OBJECT_HANDLE o = CreateData(h_, false, false, "orig");
  CK_OBJECT_HANDLE copy = CK_INVALID_HANDLE;
  CK_ATTRIBUTE set = {CKA_LABEL, const_cast<char*>("copy"), 4};
  ASSERT_THAT(F()->C_CopyObject(h_, o, &set, 1, &copy), CkrIs(CKR_OK));
  EXPECT_NE(copy, o);
  EXPECT_THAT(F()->C_DestroyObject(h_, o), CkrIs(CKR_OK));
  EXPECT_THAT(F()->C_DestroyObject(h_, o), CkrIs(CKR_OBJECT_HANDLE_INVALID));
  EXPECT_THAT(FindAll(h_), ::testing::ElementsAre(copy));
}

TEST_F(CAbiObjectTest, FindObjectsReturnsMatchesInBatches) {
  for (int i = 0; i < 5; ++i) CreateData(h_, false, false, "batch");
  CreateData(h_, false, false, "other");
  CK_ATTRIBUTE t = {CKA_LABEL, const_cast<char*>("batch"), 5};
  ASSERT_THAT(F()->C_FindObjectsInit(h_, &t, 1), CkrIs(CKR_OK));
  EXPECT_THAT(F()->C_FindObjectsInit(h_, &t, 1), CkrIs(CKR_OPERATION_ACTIVE));
  CK_OBJECT_HANDLE found[3];
  CK_ULONG n = 0, total = 0;
  do {
    ASSERT_THAT(F()->C_FindObjects(h_, found, 3, &n), CkrIs(CKR_OK));
    total += n;
  } while (n > 0);
  EXPECT_EQ(total, 5u);
  EXPECT_THAT(F()->C_FindObjects(h_, found, 3, nullptr), CkrIs(CKR_ARGUMENTS_BAD));
  EXPECT_THAT(F()->C_FindObjectsFinal(h_), CkrIs(CKR_OK));
  EXPECT_THAT(F()->C_FindObjects(h_, found, 3, &n), CkrIs(CKR_OPERATION_NOT_INITIALIZED));
}

TEST_F(CAbiObjectTest, GetObjectSizeNeedsAPointer) {
  CK_OBJECT_HANDLE o = CreateData(h_, false, false);
  CK_ULONG size = 0;
  EXPECT_THAT(F()->C_GetObjectSize(h_, o, &size), CkrIs(CKR_OK));
  EXPECT_GT(size, 0u);
  EXPECT_THAT(F()->C_GetObjectSize(h_, o, nullptr), CkrIs(CKR_ARGUMENTS_BAD));
}

TEST_F(CAbiObjectTest, GenerateRandomFillsTheBuffer) {
  CK_BYTE a[32] = {}, b[32] = {};
  ASSERT_THAT(F()->C_GenerateRandom(h_, a, sizeof a), CkrIs(CKR_OK));
  ASSERT_THAT(F()->C_GenerateRandom(h_, b, sizeof b), CkrIs(CKR_OK));
  EXPECT_NE(memcmp(a, b, sizeof a), 0);
  EXPECT_THAT(F()->C_GenerateRandom(h_, nullptr, 4), CkrIs(CKR_ARGUMENTS_BAD));
  EXPECT_THAT(F()->C_GenerateRandom(h_, nullptr, 0), CkrIs(CKR_OK));
  EXPECT_THAT(F()->C_SeedRandom(h_, a, sizeof a), CkrIs(CKR_RANDOM_SEED_NOT_SUPPORTED));
}

// Digests (needs the digest mechanisms of //cryptoki:mechanisms).
TEST_F(CAbiObjectTest, DigestSizeQueryThenTooSmallThenResult) {
  CK_MECHANISM m{CKM_SHA256, nullptr, 0};
  const CK_BYTE data[] = "abc";
  ASSERT_THAT(F()->C_DigestInit(h_, &m), CkrIs(CKR_OK));
  EXPECT_THAT(F()->C_DigestInit(h_, &m), CkrIs(CKR_OPERATION_ACTIVE));
  CK_ULONG len = 0;
  ASSERT_THAT(F()->C_Digest(h_, const_cast<CK_BYTE*>(data), 3, nullptr, &len), CkrIs(CKR_OK));
  EXPECT_EQ(len, 32u);
  CK_BYTE out[32];
  len = 31;
  ASSERT_THAT(F()->C_Digest(h_, const_cast<CK_BYTE*>(data), 3, out, &len),
              CkrIs(CKR_BUFFER_TOO_SMALL));
  EXPECT_EQ(len, 32u);
  ASSERT_THAT(F()->C_Digest(h_, const_cast<CK_BYTE*>(data), 3, out, &len), CkrIs(CKR_OK));
  CK_BYTE want[32];
  SHA256(data, 3, want);
  EXPECT_EQ(memcmp(out, want, 32), 0);
  // The operation ended with the successful call.
  EXPECT_THAT(F()->C_Digest(h_, const_cast<CK_BYTE*>(data), 3, out, &len),
              CkrIs(CKR_OPERATION_NOT_INITIALIZED));
}

TEST_F(CAbiObjectTest, MultipartDigestMatchesOneShot) {
  CK_MECHANISM m{CKM_SHA256, nullptr, 0};
  ASSERT_THAT(F()->C_DigestInit(h_, &m), CkrIs(CKR_OK));
  CK_BYTE a[] = {'a'}, bc[] = {'b', 'c'};
  ASSERT_THAT(F()->C_DigestUpdate(h_, a, 1), CkrIs(CKR_OK));
  ASSERT_THAT(F()->C_DigestUpdate(h_, bc, 2), CkrIs(CKR_OK));
  // A one-shot call cannot be mixed into a multi-part operation.
  CK_BYTE out[32];
  CK_ULONG len = sizeof out;
  EXPECT_THAT(F()->C_Digest(h_, a, 1, out, &len), CkrIs(CKR_OPERATION_ACTIVE));
  ASSERT_THAT(F()->C_DigestInit(h_, &m), CkrIs(CKR_OK));
  ASSERT_THAT(F()->C_DigestUpdate(h_, a, 1), CkrIs(CKR_OK));
  ASSERT_THAT(F()->C_DigestUpdate(h_, bc, 2), CkrIs(CKR_OK));
  len = 0;
  ASSERT_THAT(F()->C_DigestFinal(h_, nullptr, &len), CkrIs(CKR_OK));
  EXPECT_EQ(len, 32u);
  ASSERT_THAT(F()->C_DigestFinal(h_, out, &len), CkrIs(CKR_OK));
  CK_BYTE want[32];
  const CK_BYTE abc[] = {'a', 'b', 'c'};
  SHA256(abc, 3, want);
  EXPECT_EQ(memcmp(out, want, 32), 0);
}

TEST_F(CAbiObjectTest, NullLengthPointerEndsTheOperationWithArgumentsBad) {
  CK_MECHANISM m{CKM_SHA256, nullptr, 0};
  ASSERT_THAT(F()->C_DigestInit(h_, &m), CkrIs(CKR_OK));
  CK_BYTE d[1] = {0};
  EXPECT_THAT(F()->C_Digest(h_, d, 1, nullptr, nullptr), CkrIs(CKR_ARGUMENTS_BAD));
  CK_ULONG len = 32;
  CK_BYTE out[32];
  EXPECT_THAT(F()->C_Digest(h_, d, 1, out, &len), CkrIs(CKR_OPERATION_NOT_INITIALIZED));
}

// PKCS#11 3.0: "C_EncryptInit can be called with pMechanism set to NULL_PTR
// to terminate an active encryption operation" (and so every init function).
TEST_F(CAbiObjectTest, InitWithNullMechanismTerminatesTheOperation) {
  CK_MECHANISM m{CKM_SHA256, nullptr, 0};
  ASSERT_THAT(F()->C_DigestInit(h_, &m), CkrIs(CKR_OK));
  EXPECT_THAT(F()->C_DigestInit(h_, nullptr), CkrIs(CKR_OK));
  CK_BYTE d[1] = {0}, out[32];
  CK_ULONG len = sizeof out;
  EXPECT_THAT(F()->C_Digest(h_, d, 1, out, &len), CkrIs(CKR_OPERATION_NOT_INITIALIZED));
  ASSERT_THAT(F()->C_DigestInit(h_, &m), CkrIs(CKR_OK));  // a new one may begin
  // With nothing active there is nothing to terminate.
  EXPECT_THAT(F()->C_SignInit(h_, nullptr, 1), CkrIs(CKR_OK));
  EXPECT_THAT(F()->C_EncryptInit(h_, nullptr, 1), CkrIs(CKR_OK));
  EXPECT_THAT(F()->C_MessageEncryptInit(h_, nullptr, 1), CkrIs(CKR_OK));
}

TEST_F(CAbiObjectTest, UnknownMechanismFailsWithMechanismInvalid) {
  CK_MECHANISM m{CKM_VENDOR_DEFINED + 99, nullptr, 0};
  EXPECT_THAT(F()->C_DigestInit(h_, &m), CkrIs(CKR_MECHANISM_INVALID));
}

TEST_F(CAbiObjectTest, SessionCancelEndsTheDigest) {
  CK_MECHANISM m{CKM_SHA256, nullptr, 0};
  ASSERT_THAT(F()->C_DigestInit(h_, &m), CkrIs(CKR_OK));
  ASSERT_THAT(F()->C_SessionCancel(h_, CKF_DIGEST), CkrIs(CKR_OK));
  EXPECT_THAT(F()->C_DigestInit(h_, &m), CkrIs(CKR_OK));
}

TEST_F(CAbiObjectTest, DigestStateMovesToAnotherSession) {
  CK_MECHANISM m{CKM_SHA256, nullptr, 0};
  ASSERT_THAT(F()->C_DigestInit(h_, &m), CkrIs(CKR_OK));
  CK_BYTE a[] = {'a'}, bc[] = {'b', 'c'};
  ASSERT_THAT(F()->C_DigestUpdate(h_, a, 1), CkrIs(CKR_OK));

  CK_ULONG len = 0;
  ASSERT_THAT(F()->C_GetOperationState(h_, nullptr, &len), CkrIs(CKR_OK));
  ASSERT_GT(len, 0u);
  std::vector<CK_BYTE> state(len);
  CK_ULONG small = len - 1;
  EXPECT_THAT(F()->C_GetOperationState(h_, state.data(), &small), CkrIs(CKR_BUFFER_TOO_SMALL));
  EXPECT_EQ(small, len);
  ASSERT_THAT(F()->C_GetOperationState(h_, state.data(), &len), CkrIs(CKR_OK));

  CK_SESSION_HANDLE other = Open();
  ASSERT_THAT(
      F()->C_SetOperationState(other, state.data(), len, CK_INVALID_HANDLE, CK_INVALID_HANDLE),
      CkrIs(CKR_OK));
  ASSERT_THAT(F()->C_DigestUpdate(other, bc, 2), CkrIs(CKR_OK));
  CK_BYTE out[32];
  CK_ULONG out_len = sizeof out;
  ASSERT_THAT(F()->C_DigestFinal(other, out, &out_len), CkrIs(CKR_OK));
  CK_BYTE want[32];
  const CK_BYTE abc[] = {'a', 'b', 'c'};
  SHA256(abc, 3, want);
  EXPECT_EQ(memcmp(out, want, 32), 0);
}

TEST_F(CAbiObjectTest, SetOperationStateRefusesForgedState) {
  CK_BYTE junk[64] = {1, 2, 3};
  EXPECT_THAT(F()->C_SetOperationState(h_, junk, sizeof junk, CK_INVALID_HANDLE, CK_INVALID_HANDLE),
              CkrIs(CKR_SAVED_STATE_INVALID));
  EXPECT_THAT(F()->C_SetOperationState(h_, nullptr, 0, CK_INVALID_HANDLE, CK_INVALID_HANDLE),
              CkrIs(CKR_ARGUMENTS_BAD));
}

// Key objects are checked when created and get CKA_PUBLIC_KEY_INFO: the
// RFC 8032 test 1 Ed25519 public key.
TEST_F(CAbiObjectTest, CreatedKeysAreCheckedAndGetTheirPublicKeyInfo) {
  static const CK_BYTE kPub[32] = {0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe,
                                   0xd3, 0xc9, 0x64, 0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6,
                                   0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a};
  static const CK_BYTE kSpkiHead[12] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                        0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
  CK_BYTE ed25519[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
  CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
  CK_KEY_TYPE kt = CKK_EC_EDWARDS;
  CK_BYTE point[32];
  memcpy(point, kPub, sizeof point);
  CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof cls},
                         {CKA_KEY_TYPE, &kt, sizeof kt},
                         {CKA_EC_PARAMS, ed25519, sizeof ed25519},
                         {CKA_EC_POINT, point, sizeof point}};
  CK_OBJECT_HANDLE o = CK_INVALID_HANDLE;
  ASSERT_THAT(F()->C_CreateObject(h_, tmpl, 4, &o), CkrIs(CKR_OK));
  CK_BYTE spki[44] = {};
  CK_BYTE der_point[34] = {};
  CK_ATTRIBUTE get[] = {{CKA_PUBLIC_KEY_INFO, spki, sizeof spki},
                        {CKA_EC_POINT, der_point, sizeof der_point}};
  ASSERT_THAT(F()->C_GetAttributeValue(h_, o, get, 2), CkrIs(CKR_OK));
  ASSERT_EQ(get[0].ulValueLen, 44u);
  EXPECT_EQ(memcmp(spki, kSpkiHead, sizeof kSpkiHead), 0);
  EXPECT_EQ(memcmp(spki + 12, kPub, 32), 0);
  ASSERT_EQ(get[1].ulValueLen, 34u);  // stored as a DER OCTET STRING
  EXPECT_EQ(der_point[0], 0x04);
  EXPECT_EQ(memcmp(der_point + 2, kPub, 32), 0);

  // The public key from its CKA_PUBLIC_KEY_INFO alone.
  CK_ATTRIBUTE from_info[] = {{CKA_CLASS, &cls, sizeof cls},
                              {CKA_KEY_TYPE, &kt, sizeof kt},
                              {CKA_PUBLIC_KEY_INFO, spki, sizeof spki}};
  CK_OBJECT_HANDLE o2 = CK_INVALID_HANDLE;
  ASSERT_THAT(F()->C_CreateObject(h_, from_info, 3, &o2), CkrIs(CKR_OK));
  CK_BYTE point2[34] = {};
  CK_ATTRIBUTE get2[] = {{CKA_EC_POINT, point2, sizeof point2}};
  ASSERT_THAT(F()->C_GetAttributeValue(h_, o2, get2, 1), CkrIs(CKR_OK));
  EXPECT_EQ(memcmp(point2, der_point, sizeof der_point), 0);

  // A 31-byte key; a curve the token does not have (secp256k1 on CKK_EC).
  tmpl[3].ulValueLen = 31;
  EXPECT_THAT(F()->C_CreateObject(h_, tmpl, 4, &o), CkrIs(CKR_ATTRIBUTE_VALUE_INVALID));
  CK_KEY_TYPE ec = CKK_EC;
  CK_BYTE secp256k1[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a};
  CK_BYTE ec_point[65] = {0x04};
  CK_ATTRIBUTE k1[] = {{CKA_CLASS, &cls, sizeof cls},
                       {CKA_KEY_TYPE, &ec, sizeof ec},
                       {CKA_EC_PARAMS, secp256k1, sizeof secp256k1},
                       {CKA_EC_POINT, ec_point, sizeof ec_point}};
  EXPECT_THAT(F()->C_CreateObject(h_, k1, 4, &o), CkrIs(CKR_CURVE_NOT_SUPPORTED));
}

}  // namespace
}  // namespace cryptoki::testing
