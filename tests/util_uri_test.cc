// util_uri_test.cc: PKCS#11 URIs (RFC 7512) as cryptoki-util parses and prints them.
#include "tools/cryptoki_util/uri.h"

#include <gtest/gtest.h>

namespace cryptoki::util {
namespace {

TEST(UriTest, ParsesTokenObjectIdAndType) {
  auto uri = ParsePkcs11Uri("pkcs11:token=my%20token;object=key%3b1;id=%01%FF;type=private");
  ASSERT_TRUE(uri.has_value()) << uri.error();
  EXPECT_EQ(uri->token, "my token");
  EXPECT_EQ(uri->object, "key;1");
  EXPECT_EQ(uri->id, (Bytes{0x01, 0xff}));
  EXPECT_EQ(uri->type, CKO_PRIVATE_KEY);
  EXPECT_FALSE(uri->serial.has_value());
  EXPECT_TRUE(uri->has_object_selector());
}

TEST(UriTest, ParsesEveryType) {
  for (auto [name, cls] : {std::pair{"public", CKO_PUBLIC_KEY},
                           {"private", CKO_PRIVATE_KEY},
                           {"cert", CKO_CERTIFICATE},
                           {"secret-key", CKO_SECRET_KEY},
                           {"data", CKO_DATA}}) {
    auto uri = ParsePkcs11Uri(std::string("pkcs11:type=") + name);
    ASSERT_TRUE(uri.has_value()) << name;
    EXPECT_EQ(uri->type, cls) << name;
  }
}

TEST(UriTest, ParsesSlotSerialAndPinValue) {
  auto uri = ParsePkcs11Uri("pkcs11:serial=abc;slot-id=7;x-vendor=1?pin-value=1234");
  ASSERT_TRUE(uri.has_value()) << uri.error();
  EXPECT_EQ(uri->serial, "abc");
  EXPECT_EQ(uri->slot_id, CK_SLOT_ID{7});
  EXPECT_EQ(uri->pin_value, "1234");
  EXPECT_FALSE(uri->has_object_selector());
}

TEST(UriTest, EmptySchemeMatchesEverything) {
  auto uri = ParsePkcs11Uri("pkcs11:");
  ASSERT_TRUE(uri.has_value());
  EXPECT_FALSE(uri->token || uri->object || uri->id || uri->type);
}

TEST(UriTest, RejectsMalformedUris) {
  for (const char* bad : {"token=a", "pkcs11:object", "pkcs11:id=%0", "pkcs11:id=%zz",
                          "pkcs11:type=key", "pkcs11:object=a;object=b", "pkcs11:bogus=1",
                          "pkcs11:slot-id=x", "pkcs11:token=a?pin-source=file"}) {
    EXPECT_FALSE(ParsePkcs11Uri(bad).has_value()) << bad;
  }
}

TEST(UriTest, FormatRoundTrips) {
  const Bytes id{0x00, 0x41, 0xfe};
  const std::string text = FormatObjectUri("tok en", "a;b/c", id, CKO_CERTIFICATE);
  EXPECT_EQ(text, "pkcs11:token=tok%20en;object=a%3Bb%2Fc;id=%00%41%FE;type=cert");
  auto uri = ParsePkcs11Uri(text);
  ASSERT_TRUE(uri.has_value()) << uri.error();
  EXPECT_EQ(uri->token, "tok en");
  EXPECT_EQ(uri->object, "a;b/c");
  EXPECT_EQ(uri->id, id);
  EXPECT_EQ(uri->type, CKO_CERTIFICATE);
}

TEST(UriTest, FormatLeavesOutEmptyLabelAndId) {
  EXPECT_EQ(FormatObjectUri("t", "", {}, CKO_SECRET_KEY), "pkcs11:token=t;type=secret-key");
}

}  // namespace
}  // namespace cryptoki::util
