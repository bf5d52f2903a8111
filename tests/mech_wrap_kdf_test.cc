#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/digest.h>
#include <openssl/hkdf.h>
#include <openssl/hmac.h>

#include "cryptoki/mechanism.h"
#include "tests/mech_test_util.h"
#include "tests/wycheproof.h"

namespace cryptoki::testing {
namespace {

using WrapTest = MechTest;

void RunKw(WrapTest& t, const char* file, CK_MECHANISM_TYPE mech) {
  auto cases = LoadWycheproof(file);
  ASSERT_FALSE(cases.empty());
  int valid = 0;
  for (const WycheproofCase& c : cases) {
    SCOPED_TRACE(::testing::Message() << file << " tcId " << c.tc_id);
    const Bytes kek = c.GetBytes("key"), msg = c.GetBytes("msg"), ct = c.GetBytes("ct");
    const ObjectHandle w = t.SecretKey(CKK_AES, kek);
    const Template unwrap_tmpl{attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_GENERIC_SECRET},
                               attr::Sensitive{false}};
    auto u = UnwrapKey(t.s(), Mechanism{mech}, w, ct, unwrap_tmpl);
    if (c.Valid() && !msg.empty()) {
      ASSERT_TRUE(u.has_value()) << to_string(u.error());
      EXPECT_THAT(t.s().Get<attr::Value>(*u), ::testing::Optional(msg));
      const ObjectHandle target = t.SecretKey(CKK_GENERIC_SECRET, msg);
      Output q = Output::Query();
      ASSERT_THAT(WrapKey(t.s(), Mechanism{mech}, w, target, q), IsOk());
      Bytes out(q.length);
      Output o = Output::Into(out);
      ASSERT_THAT(WrapKey(t.s(), Mechanism{mech}, w, target, o), IsOk());
      out.resize(o.length);
      EXPECT_EQ(ToHex(out), ToHex(ct));
      EXPECT_EQ(q.length, ct.size());  // the query is exact
      ++valid;
    } else if (c.Invalid()) {
      ASSERT_FALSE(u.has_value());
      EXPECT_THAT(u.error(), ::testing::AnyOf(Rv::kWrappedKeyInvalid, Rv::kWrappedKeyLenRange));
    }
  }
  EXPECT_GT(valid, 10);
}

TEST_F(WrapTest, KeyWrapWycheproof) { RunKw(*this, "kw_test.txt", CKM_AES_KEY_WRAP); }
TEST_F(WrapTest, KeyWrapKwpWycheproof) { RunKw(*this, "kwp_test.txt", CKM_AES_KEY_WRAP_KWP); }
TEST_F(WrapTest, KeyWrapPadIsRfc5649) { RunKw(*this, "kwp_test.txt", CKM_AES_KEY_WRAP_PAD); }

TEST_F(WrapTest, Rules) {
  const ObjectHandle w = SecretKey(CKK_AES, Bytes(16, 1));
  const ObjectHandle plain = SecretKey(CKK_AES, Bytes(16, 2));
  Bytes buf(64);
  Output o = Output::Into(buf);
  const Mechanism kw{CKM_AES_KEY_WRAP};
  const ObjectHandle unextractable = SecretKey(CKK_AES, Bytes(16, 2), {attr::Extractable{false}});
  EXPECT_THAT(WrapKey(s(), kw, w, unextractable, o), RvIs(Rv::kKeyUnextractable));
  const ObjectHandle sensitive = SecretKey(CKK_AES, Bytes(16, 2), {attr::Sensitive{true}});
  EXPECT_THAT(WrapKey(s(), kw, w, sensitive, o), IsOk());
  const ObjectHandle no_wrap = SecretKey(CKK_AES, Bytes(16, 1), {attr::Wrap{false}});
  EXPECT_THAT(WrapKey(s(), kw, no_wrap, plain, o), RvIs(Rv::kKeyFunctionNotPermitted));
  const ObjectHandle hmac = SecretKey(CKK_GENERIC_SECRET, Bytes(16, 1));
  EXPECT_THAT(WrapKey(s(), kw, hmac, plain, o), RvIs(Rv::kWrappingKeyTypeInconsistent));
  EXPECT_THAT(WrapKey(s(), kw, ObjectHandle(99999), plain, o), RvIs(Rv::kWrappingKeyHandleInvalid));
  EXPECT_THAT(WrapKey(s(), kw, w, ObjectHandle(99999), o), RvIs(Rv::kKeyHandleInvalid));
  const ObjectHandle trusted_only = SecretKey(CKK_AES, Bytes(16, 2), {attr::WrapWithTrusted{true}});
  EXPECT_THAT(WrapKey(s(), kw, w, trusted_only, o), RvIs(Rv::kKeyNotWrappable));
  const ObjectHandle templated = SecretKey(
      CKK_AES, Bytes(16, 1), {attr::WrapTemplate{Template{attr::KeyType{CKK_GENERIC_SECRET}}}});
  EXPECT_THAT(WrapKey(s(), kw, templated, plain, o), RvIs(Rv::kKeyNotWrappable));
  const ObjectHandle generic = SecretKey(CKK_GENERIC_SECRET, Bytes(24, 2));
  Output o2 = Output::Into(buf);
  EXPECT_THAT(WrapKey(s(), kw, templated, generic, o2), IsOk());
  Bytes small(8);
  Output o3 = Output::Into(small);
  EXPECT_THAT(WrapKey(s(), kw, w, plain, o3), RvIs(Rv::kBufferTooSmall));
  EXPECT_EQ(o3.length, 24u);
}

// A length query (answered without wrapping) gives the length and the
// errors the wrap itself gives.
TEST_F(WrapTest, LengthQueryIsExactAndFailsAsTheWrapDoes) {
  const ObjectHandle w = SecretKey(CKK_AES, Bytes(32, 1));
  Bytes buf(64);
  for (CK_MECHANISM_TYPE mech : {CKM_AES_KEY_WRAP, CKM_AES_KEY_WRAP_KWP, CKM_AES_KEY_WRAP_PAD}) {
    for (size_t n : {1, 8, 9, 16, 20, 24, 32, 40}) {
      SCOPED_TRACE(::testing::Message() << "mechanism " << mech << ", " << n << " bytes");
      const ObjectHandle target = SecretKey(CKK_GENERIC_SECRET, Bytes(n, 3));
      Output q = Output::Query();
      auto queried = WrapKey(s(), Mechanism{mech}, w, target, q);
      Output o = Output::Into(buf);
      auto wrapped = WrapKey(s(), Mechanism{mech}, w, target, o);
      if (mech == CKM_AES_KEY_WRAP && (n < 16 || n % 8 != 0)) {
        EXPECT_THAT(queried, RvIs(Rv::kKeySizeRange));
        EXPECT_THAT(wrapped, RvIs(Rv::kKeySizeRange));
        continue;
      }
      ASSERT_THAT(queried, IsOk());
      ASSERT_THAT(wrapped, IsOk());
      // RFC 3394: n + 8; RFC 5649: n padded to 8-byte blocks, + 8.
      EXPECT_EQ(q.length, mech == CKM_AES_KEY_WRAP ? n + 8 : (n + 7) / 8 * 8 + 8);
      EXPECT_EQ(q.length, o.length);
    }
  }
  const ObjectHandle target = SecretKey(CKK_GENERIC_SECRET, Bytes(16, 3));
  Output q = Output::Query();
  EXPECT_THAT(WrapKey(s(), Mechanism{CKM_AES_KEY_WRAP, mech::RawParams{Bytes(7)}}, w, target, q),
              RvIs(Rv::kMechanismParamInvalid));
  EXPECT_THAT(
      WrapKey(s(), Mechanism{CKM_AES_KEY_WRAP_KWP, mech::RawParams{Bytes(4)}}, w, target, q),
      RvIs(Rv::kMechanismParamInvalid));
  const ObjectHandle odd_kek = SecretKey(CKK_AES, Bytes(24, 1));
  ASSERT_THAT(WrapKey(s(), Mechanism{CKM_AES_KEY_WRAP}, odd_kek, target, q), IsOk());
  EXPECT_EQ(q.length, 24u);
  const ObjectHandle hmac = SecretKey(CKK_GENERIC_SECRET, Bytes(16, 1));
  EXPECT_THAT(WrapKey(s(), Mechanism{CKM_AES_KEY_WRAP}, hmac, target, q),
              RvIs(Rv::kWrappingKeyTypeInconsistent));
}

TEST_F(WrapTest, UnwrapRulesAndAttributes) {
  const ObjectHandle w =
      SecretKey(CKK_AES, Bytes(16, 1), {attr::UnwrapTemplate{Template{attr::Sensitive{true}}}});
  const ObjectHandle target = SecretKey(CKK_AES, Bytes(32, 2));
  Bytes wrapped(40);
  Output o = Output::Into(wrapped);
  ASSERT_THAT(WrapKey(s(), Mechanism{CKM_AES_KEY_WRAP_KWP}, w, target, o), IsOk());
  wrapped.resize(o.length);
  EXPECT_THAT(
      UnwrapKey(s(), Mechanism{CKM_AES_KEY_WRAP_KWP}, w, wrapped,
                {attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_AES}, attr::Sensitive{false}}),
      RvIs(Rv::kTemplateInconsistent));
  ASSERT_OK_AND_ASSIGN(ObjectHandle u,
                       UnwrapKey(s(), Mechanism{CKM_AES_KEY_WRAP_KWP}, w, wrapped,
                                 {attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_AES}}));
  EXPECT_THAT(s().Get<attr::Sensitive>(u), ::testing::Optional(true));
  EXPECT_THAT(s().Get<attr::Local>(u), ::testing::Optional(false));
  EXPECT_THAT(s().Get<attr::AlwaysSensitive>(u), ::testing::Optional(false));
  EXPECT_THAT(s().Get<attr::ValueLen>(u), ::testing::Optional(32u));
  EXPECT_THAT(UnwrapKey(s(), Mechanism{CKM_AES_KEY_WRAP_KWP}, w, Bytes(13),
                        {attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_AES}}),
              RvIs(Rv::kWrappedKeyLenRange));
  EXPECT_THAT(UnwrapKey(s(), Mechanism{CKM_AES_KEY_WRAP_KWP}, ObjectHandle(4242), wrapped,
                        {attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_AES}}),
              RvIs(Rv::kUnwrappingKeyHandleInvalid));
  // A 32-byte value unwrapped as DES3 is not a DES3 key.
  EXPECT_THAT(UnwrapKey(s(), Mechanism{CKM_AES_KEY_WRAP_KWP}, w, wrapped,
                        {attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_DES3}}),
              RvIs(Rv::kWrappedKeyInvalid));
}

// One Wycheproof HKDF file run through one derivation mechanism:
// CKM_HKDF_DERIVE makes a secret key, CKM_HKDF_DATA a data object; either
// holds the OKM.
struct HkdfVectors {
  const char* file;
  CK_MECHANISM_TYPE hash;
  CK_MECHANISM_TYPE mech;
};

void PrintTo(const HkdfVectors& v, std::ostream* os) {
  *os << v.file << " through " << (v.mech == CKM_HKDF_DATA ? "CKM_HKDF_DATA" : "CKM_HKDF_DERIVE");
}

class HkdfWycheproofTest : public MechTest, public ::testing::WithParamInterface<HkdfVectors> {};

TEST_P(HkdfWycheproofTest, MatchesVectors) {
  const HkdfVectors& v = GetParam();
  auto cases = LoadWycheproof(v.file);
  ASSERT_FALSE(cases.empty());
  const bool data = v.mech == CKM_HKDF_DATA;
  int valid = 0;
  for (const WycheproofCase& c : cases) {
    SCOPED_TRACE(::testing::Message() << v.file << " tcId " << c.tc_id);
    const Bytes ikm = c.GetBytes("ikm"), salt = c.GetBytes("salt"), info = c.GetBytes("info");
    const CK_ULONG size = std::stoul(c.Get("size"));
    if (ikm.empty() || size == 0) continue;
    const ObjectHandle base = SecretKey(CKK_GENERIC_SECRET, ikm, {attr::Derive{true}});
    mech::HkdfParams p;
    p.extract = p.expand = true;
    p.prf = v.hash;
    p.salt_type = salt.empty() ? CKF_HKDF_SALT_NULL : CKF_HKDF_SALT_DATA;
    p.salt = salt;
    p.info = info;
    const Template tmpl =
        data ? Template{attr::Class{CKO_DATA}, attr::ValueLen{size}}
             : Template{attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_GENERIC_SECRET},
                        attr::ValueLen{size}, attr::Sensitive{false}};
    auto d = DeriveKey(s(), Mechanism{v.mech, p}, base, tmpl);
    if (c.Valid()) {
      ASSERT_TRUE(d.has_value()) << to_string(d.error());
      EXPECT_THAT(s().Get<attr::Value>(*d), ::testing::Optional(c.GetBytes("okm")));
      EXPECT_THAT(s().Get<attr::Class>(*d), ::testing::Optional(data ? CKO_DATA : CKO_SECRET_KEY));
      ASSERT_THAT(s().DestroyObject(*d), IsOk());
      ++valid;
    } else {
      EXPECT_THAT(d, RvIs(Rv::kKeySizeRange));
    }
    ASSERT_THAT(s().DestroyObject(base), IsOk());
  }
  EXPECT_GT(valid, 20);
}

INSTANTIATE_TEST_SUITE_P(
    Hkdf, HkdfWycheproofTest,
    ::testing::Values(HkdfVectors{"hkdf_sha1_test.txt", CKM_SHA_1, CKM_HKDF_DERIVE},
                      HkdfVectors{"hkdf_sha256_test.txt", CKM_SHA256, CKM_HKDF_DERIVE},
                      HkdfVectors{"hkdf_sha384_test.txt", CKM_SHA384, CKM_HKDF_DERIVE},
                      HkdfVectors{"hkdf_sha512_test.txt", CKM_SHA512, CKM_HKDF_DERIVE},
                      HkdfVectors{"hkdf_sha1_test.txt", CKM_SHA_1, CKM_HKDF_DATA},
                      HkdfVectors{"hkdf_sha256_test.txt", CKM_SHA256, CKM_HKDF_DATA},
                      HkdfVectors{"hkdf_sha384_test.txt", CKM_SHA384, CKM_HKDF_DATA},
                      HkdfVectors{"hkdf_sha512_test.txt", CKM_SHA512, CKM_HKDF_DATA}),
    [](const ::testing::TestParamInfo<HkdfVectors>& i) {
      // "hkdf_sha256_test.txt" through CKM_HKDF_DATA → "Data_sha256".
      const std::string file = i.param.file;
      return (i.param.mech == CKM_HKDF_DATA ? "Data_" : "Derive_") +
             file.substr(5, file.find("_test") - 5);
    });

using KdfTest = MechTest;

TEST_F(KdfTest, HkdfExtractOnlyAndParamErrors) {
  const ObjectHandle base =
      SecretKey(CKK_GENERIC_SECRET, Bytes(22, 0x0b), {attr::Derive{true}, attr::Sensitive{true}});
  mech::HkdfParams p;
  p.extract = true;
  p.prf = CKM_SHA256;
  p.salt_type = CKF_HKDF_SALT_DATA;
  p.salt = Hex("000102030405060708090a0b0c");
  ASSERT_OK_AND_ASSIGN(ObjectHandle prk, DeriveKey(s(), Mechanism{CKM_HKDF_DERIVE, p}, base,
                                                   {attr::Sensitive{false}}));
  // RFC 5869 A.1 PRK.
  EXPECT_THAT(
      s().Get<attr::Value>(prk),
      ::testing::Optional(Hex("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5")));
  EXPECT_THAT(s().Get<attr::AlwaysSensitive>(prk), ::testing::Optional(false));
  p.prf = CKM_MD5;
  EXPECT_THAT(DeriveKey(s(), Mechanism{CKM_HKDF_DERIVE, p}, base, {}),
              RvIs(Rv::kMechanismParamInvalid));
  p.prf = CKM_SHA256;
  p.extract = false;
  EXPECT_THAT(DeriveKey(s(), Mechanism{CKM_HKDF_DERIVE, p}, base, {}),
              RvIs(Rv::kMechanismParamInvalid));
  EXPECT_THAT(DeriveKey(s(), Mechanism{CKM_HKDF_DERIVE}, base, {}),
              RvIs(Rv::kMechanismParamInvalid));
  const ObjectHandle no_derive = SecretKey(CKK_GENERIC_SECRET, Bytes(22, 0x0b));
  p.extract = true;
  EXPECT_THAT(DeriveKey(s(), Mechanism{CKM_HKDF_DERIVE, p}, no_derive, {}),
              RvIs(Rv::kKeyFunctionNotPermitted));
}

// RFC 5869 A.1 through CKM_HKDF_DATA, and what the mechanism refuses.
TEST_F(KdfTest, HkdfDataRulesAndErrors) {
  const Bytes ikm(22, 0x0b);
  const ObjectHandle base = SecretKey(CKK_GENERIC_SECRET, ikm, {attr::Derive{true}});
  mech::HkdfParams p;
  p.extract = p.expand = true;
  p.prf = CKM_SHA256;
  p.salt_type = CKF_HKDF_SALT_DATA;
  p.salt = Hex("000102030405060708090a0b0c");
  p.info = Hex("f0f1f2f3f4f5f6f7f8f9");
  const Mechanism m{CKM_HKDF_DATA, p};
  const Bytes okm =
      Hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
  // The class may be left out; CKA_VALUE_LEN is consumed, not stored.
  ASSERT_OK_AND_ASSIGN(ObjectHandle d,
                       DeriveKey(s(), m, base, {attr::ValueLen{42}, attr::Label{"iv"}}));
  EXPECT_THAT(s().Get<attr::Class>(d), ::testing::Optional(CKO_DATA));
  EXPECT_THAT(s().Get<attr::Value>(d), ::testing::Optional(okm));
  EXPECT_THAT(s().Get<attr::Label>(d), ::testing::Optional(std::string("iv")));
  EXPECT_THAT(s().Get<attr::Private>(d), ::testing::Optional(true));
  EXPECT_THAT(s().Get<attr::ValueLen>(d), RvIs(Rv::kAttributeTypeInvalid));
  ASSERT_OK_AND_ASSIGN(
      ObjectHandle pub,
      DeriveKey(s(), m, base, {attr::Class{CKO_DATA}, attr::ValueLen{10}, attr::Private{false}}));
  EXPECT_THAT(s().Get<attr::Value>(pub), ::testing::Optional(Bytes(okm.begin(), okm.begin() + 10)));
  EXPECT_THAT(s().Get<attr::Private>(pub), ::testing::Optional(false));

  // Template: a key class, no length when expanding, a zero length, more than
  // 255 hash lengths, a key attribute, two different lengths.
  EXPECT_THAT(DeriveKey(s(), m, base, {attr::Class{CKO_SECRET_KEY}, attr::ValueLen{16}}),
              RvIs(Rv::kTemplateInconsistent));
  EXPECT_THAT(DeriveKey(s(), m, base, {attr::Class{CKO_DATA}}), RvIs(Rv::kTemplateIncomplete));
  EXPECT_THAT(DeriveKey(s(), m, base, {attr::ValueLen{0}}), RvIs(Rv::kAttributeValueInvalid));
  EXPECT_THAT(DeriveKey(s(), m, base, {attr::ValueLen{255 * 32 + 1}}), RvIs(Rv::kKeySizeRange));
  EXPECT_THAT(DeriveKey(s(), m, base, {attr::ValueLen{16}, attr::KeyType{CKK_GENERIC_SECRET}}),
              RvIs(Rv::kAttributeTypeInvalid));
  EXPECT_THAT(DeriveKey(s(), m, base, {attr::ValueLen{16}, attr::ValueLen{17}}),
              RvIs(Rv::kTemplateInconsistent));

  // Extract only: the PRK (one hash long), or its first CKA_VALUE_LEN bytes.
  mech::HkdfParams extract = p;
  extract.expand = false;
  const Bytes prk = Hex("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
  ASSERT_OK_AND_ASSIGN(ObjectHandle e, DeriveKey(s(), Mechanism{CKM_HKDF_DATA, extract}, base, {}));
  EXPECT_THAT(s().Get<attr::Value>(e), ::testing::Optional(prk));
  ASSERT_OK_AND_ASSIGN(ObjectHandle e16, DeriveKey(s(), Mechanism{CKM_HKDF_DATA, extract}, base,
                                                   {attr::ValueLen{16}}));
  EXPECT_THAT(s().Get<attr::Value>(e16), ::testing::Optional(Bytes(prk.begin(), prk.begin() + 16)));
  EXPECT_THAT(DeriveKey(s(), Mechanism{CKM_HKDF_DATA, extract}, base, {attr::ValueLen{33}}),
              RvIs(Rv::kKeySizeRange));

  // Parameters, as for CKM_HKDF_DERIVE.
  EXPECT_THAT(DeriveKey(s(), Mechanism{CKM_HKDF_DATA}, base, {attr::ValueLen{16}}),
              RvIs(Rv::kMechanismParamInvalid));
  mech::HkdfParams neither = p;
  neither.extract = neither.expand = false;
  EXPECT_THAT(DeriveKey(s(), Mechanism{CKM_HKDF_DATA, neither}, base, {attr::ValueLen{16}}),
              RvIs(Rv::kMechanismParamInvalid));
  mech::HkdfParams md5 = p;
  md5.prf = CKM_MD5;
  EXPECT_THAT(DeriveKey(s(), Mechanism{CKM_HKDF_DATA, md5}, base, {attr::ValueLen{16}}),
              RvIs(Rv::kMechanismParamInvalid));

  // Base keys: CKK_HKDF and CKK_GENERIC_SECRET only, with CKA_DERIVE.
  ASSERT_OK_AND_ASSIGN(
      ObjectHandle hkdf_key,
      GenerateKey(s(), Mechanism{CKM_HKDF_KEY_GEN}, {attr::ValueLen{32}, attr::Derive{true}}));
  EXPECT_THAT(s().Get<attr::KeyType>(hkdf_key), ::testing::Optional(CKK_HKDF));
  EXPECT_THAT(DeriveKey(s(), m, hkdf_key, {attr::ValueLen{16}}), IsOk());
  const ObjectHandle aes = SecretKey(CKK_AES, Bytes(32, 1), {attr::Derive{true}});
  EXPECT_THAT(DeriveKey(s(), m, aes, {attr::ValueLen{16}}), RvIs(Rv::kKeyTypeInconsistent));
  const ObjectHandle no_derive = SecretKey(CKK_GENERIC_SECRET, ikm, {attr::Derive{false}});
  EXPECT_THAT(DeriveKey(s(), m, no_derive, {attr::ValueLen{16}}),
              RvIs(Rv::kKeyFunctionNotPermitted));

  // Listed, for C_DeriveKey only.
  EXPECT_THAT(Mechanisms(TestConfig()), ::testing::Contains(CKM_HKDF_DATA));
  ASSERT_OK_AND_ASSIGN(MechanismInfo info, GetMechanismInfo(TestConfig(), CKM_HKDF_DATA));
  EXPECT_EQ(info.flags, CKF_DERIVE);
}

// BoringSslHkdf is the oracle: RFC 5869 HKDF (extract then expand to |n|
// bytes) by BoringSSL, or the PRK alone when |n| is 0.
Bytes BoringSslHkdf(const EVP_MD* md, ByteView ikm, ByteView salt, ByteView info, size_t n) {
  Bytes prk(EVP_MAX_MD_SIZE);
  size_t prk_len = 0;
  if (!HKDF_extract(prk.data(), &prk_len, md, ikm.data(), ikm.size(), salt.data(), salt.size())) {
    return {};
  }
  prk.resize(prk_len);
  if (n == 0) return prk;
  Bytes okm(n);
  if (!HKDF_expand(okm.data(), n, md, prk.data(), prk.size(), info.data(), info.size())) return {};
  return okm;
}

// PKCS #11 3.0 §2.43 "HKDF derive": a CKO_DATA object one hash long may be
// the input key when extracting with a salt; otherwise it is no key.
TEST_F(KdfTest, HkdfTakesADataObjectOfOneHashWhenExtractingWithASalt) {
  const Bytes ikm = Hex("00112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210");
  const Bytes salt = Hex("000102030405060708090a0b0c"), info = Hex("f0f1f2f3f4f5f6f7f8f9");
  ASSERT_OK_AND_ASSIGN(ObjectHandle data, s().CreateObject({attr::Class{CKO_DATA}, attr::Value{ikm},
                                                            attr::Private{false}}));
  mech::HkdfParams p;
  p.extract = p.expand = true;
  p.prf = CKM_SHA256;
  p.salt_type = CKF_HKDF_SALT_DATA;
  p.salt = salt;
  p.info = info;
  const Bytes want = BoringSslHkdf(EVP_sha256(), ikm, salt, info, 42);
  ASSERT_EQ(want.size(), 42u);

  // CKM_HKDF_DERIVE: a secret key, never always-sensitive nor
  // never-extractable (the base is neither).
  ASSERT_OK_AND_ASSIGN(ObjectHandle k, DeriveKey(s(), Mechanism{CKM_HKDF_DERIVE, p}, data,
                                                 {attr::ValueLen{42}, attr::Sensitive{false}}));
  EXPECT_THAT(s().Get<attr::Value>(k), ::testing::Optional(want));
  EXPECT_THAT(s().Get<attr::AlwaysSensitive>(k), ::testing::Optional(false));
  EXPECT_THAT(s().Get<attr::NeverExtractable>(k), ::testing::Optional(false));
  ASSERT_OK_AND_ASSIGN(ObjectHandle locked, DeriveKey(s(), Mechanism{CKM_HKDF_DERIVE, p}, data,
                                                      {attr::ValueLen{16}, attr::Sensitive{true},
                                                       attr::Extractable{false}}));
  EXPECT_THAT(s().Get<attr::AlwaysSensitive>(locked), ::testing::Optional(false));
  EXPECT_THAT(s().Get<attr::NeverExtractable>(locked), ::testing::Optional(false));
  // CKM_HKDF_DATA: the same bytes as a data object.
  ASSERT_OK_AND_ASSIGN(ObjectHandle d,
                       DeriveKey(s(), Mechanism{CKM_HKDF_DATA, p}, data, {attr::ValueLen{42}}));
  EXPECT_THAT(s().Get<attr::Value>(d), ::testing::Optional(want));

  // TLS 1.3's shape: a zero IKM of one hash, the secret as a salt key,
  // extract only (the PRK).
  ASSERT_OK_AND_ASSIGN(
      ObjectHandle zeros,
      s().CreateObject({attr::Class{CKO_DATA}, attr::Value{Bytes(48, 0)}, attr::Private{false}}));
  const Bytes secret(48, 0x5a);
  mech::HkdfParams tls;
  tls.extract = true;
  tls.prf = CKM_SHA384;
  tls.salt_type = CKF_HKDF_SALT_KEY;
  tls.salt_key = SecretKey(CKK_GENERIC_SECRET, secret);
  ASSERT_OK_AND_ASSIGN(ObjectHandle prk, DeriveKey(s(), Mechanism{CKM_HKDF_DERIVE, tls}, zeros,
                                                   {attr::Sensitive{false}}));
  EXPECT_THAT(s().Get<attr::Value>(prk),
              ::testing::Optional(BoringSslHkdf(EVP_sha384(), Bytes(48, 0), secret, {}, 0)));

  // Not one hash long: 32 bytes for SHA-384, 33 or none for SHA-256.
  mech::HkdfParams p384 = p;
  p384.prf = CKM_SHA384;
  EXPECT_THAT(DeriveKey(s(), Mechanism{CKM_HKDF_DERIVE, p384}, data, {attr::ValueLen{16}}),
              RvIs(Rv::kKeySizeRange));
  ASSERT_OK_AND_ASSIGN(ObjectHandle long_data,
                       s().CreateObject({attr::Class{CKO_DATA}, attr::Value{Bytes(33, 1)}}));
  EXPECT_THAT(DeriveKey(s(), Mechanism{CKM_HKDF_DATA, p}, long_data, {attr::ValueLen{16}}),
              RvIs(Rv::kKeySizeRange));
  ASSERT_OK_AND_ASSIGN(ObjectHandle empty, s().CreateObject({attr::Class{CKO_DATA}}));
  EXPECT_THAT(DeriveKey(s(), Mechanism{CKM_HKDF_DERIVE, p}, empty, {attr::ValueLen{16}}),
              RvIs(Rv::kKeySizeRange));
  // No extract, or no salt: the exception does not apply, and a data object
  // is no key.
  mech::HkdfParams expand_only = p;
  expand_only.extract = false;
  EXPECT_THAT(DeriveKey(s(), Mechanism{CKM_HKDF_DERIVE, expand_only}, data, {attr::ValueLen{16}}),
              RvIs(Rv::kKeyHandleInvalid));
  EXPECT_THAT(DeriveKey(s(), Mechanism{CKM_HKDF_DATA, expand_only}, data, {attr::ValueLen{16}}),
              RvIs(Rv::kKeyHandleInvalid));
  mech::HkdfParams no_salt = p;
  no_salt.salt_type = CKF_HKDF_SALT_NULL;
  no_salt.salt.clear();
  EXPECT_THAT(DeriveKey(s(), Mechanism{CKM_HKDF_DERIVE, no_salt}, data, {attr::ValueLen{16}}),
              RvIs(Rv::kKeyHandleInvalid));
  // The same key bytes as a generic secret key do take the unsalted path.
  const ObjectHandle key = SecretKey(CKK_GENERIC_SECRET, ikm, {attr::Derive{true}});
  ASSERT_OK_AND_ASSIGN(ObjectHandle unsalted,
                       DeriveKey(s(), Mechanism{CKM_HKDF_DERIVE, no_salt}, key,
                                 {attr::ValueLen{16}, attr::Sensitive{false}}));
  EXPECT_THAT(s().Get<attr::Value>(unsalted),
              ::testing::Optional(BoringSslHkdf(EVP_sha256(), ikm, {}, info, 16)));

  // Other mechanisms and operations take no data object: not a key.
  EXPECT_THAT(DeriveKey(s(), Mechanism{CKM_CONCATENATE_BASE_AND_DATA, mech::RawParams{Bytes{1}}},
                        data, {attr::ValueLen{16}}),
              RvIs(Rv::kKeyHandleInvalid));
  EXPECT_THAT(EncryptInit(s(), Mechanism{CKM_AES_ECB}, data), RvIs(Rv::kKeyHandleInvalid));
  Output q = Output::Query();
  EXPECT_THAT(WrapKey(s(), Mechanism{CKM_AES_KEY_WRAP}, data, key, q),
              RvIs(Rv::kWrappingKeyHandleInvalid));
}

TEST_F(KdfTest, HkdfDataObjectBaseFollowsObjectVisibility) {
  const Bytes ikm(32, 0x42), salt(16, 0x24);
  ASSERT_OK_AND_ASSIGN(ObjectHandle priv,
                       s().CreateObject({attr::Class{CKO_DATA}, attr::Token{true},
                                         attr::Private{true}, attr::Value{ikm}}));
  ASSERT_OK_AND_ASSIGN(ObjectHandle pub,
                       s().CreateObject({attr::Class{CKO_DATA}, attr::Token{true},
                                         attr::Private{false}, attr::Value{ikm}}));
  mech::HkdfParams p;
  p.extract = p.expand = true;
  p.prf = CKM_SHA256;
  p.salt_type = CKF_HKDF_SALT_DATA;
  p.salt = salt;
  const Template out{attr::ValueLen{32}, attr::Private{false}, attr::Sensitive{false}};
  ASSERT_THAT(s().Logout(), IsOk());
  // A private data object is not there without a login; a public one is.
  EXPECT_THAT(DeriveKey(s(), Mechanism{CKM_HKDF_DERIVE, p}, priv, out),
              RvIs(Rv::kKeyHandleInvalid));
  EXPECT_THAT(DeriveKey(s(), Mechanism{CKM_HKDF_DATA, p}, priv, out), RvIs(Rv::kKeyHandleInvalid));
  ASSERT_OK_AND_ASSIGN(ObjectHandle k, DeriveKey(s(), Mechanism{CKM_HKDF_DERIVE, p}, pub, out));
  const Bytes want = BoringSslHkdf(EVP_sha256(), ikm, salt, {}, 32);
  EXPECT_THAT(s().Get<attr::Value>(k), ::testing::Optional(want));
  // Logged in again, the object is found again (the old handle stays dead).
  ASSERT_THAT(s().Login(CKU_USER, kUserPin), IsOk());
  ASSERT_OK_AND_ASSIGN(std::vector<ObjectHandle> found,
                       s().Find({attr::Class{CKO_DATA}, attr::Private{true}}));
  ASSERT_EQ(found.size(), 1u);
  ASSERT_OK_AND_ASSIGN(ObjectHandle k2,
                       DeriveKey(s(), Mechanism{CKM_HKDF_DERIVE, p}, found[0], out));
  EXPECT_THAT(s().Get<attr::Value>(k2), ::testing::Optional(want));
}

// CKK_HKDF (PKCS #11 3.0 §2.43): CKM_HKDF_KEY_GEN needs CKA_VALUE_LEN, and
// its keys are HKDF bases.
TEST_F(KdfTest, HkdfKeyGenMakesHkdfBaseKeys) {
  EXPECT_THAT(GenerateKey(s(), Mechanism{CKM_HKDF_KEY_GEN}, {attr::Derive{true}}),
              RvIs(Rv::kTemplateIncomplete));
  ASSERT_OK_AND_ASSIGN(ObjectHandle k,
                       GenerateKey(s(), Mechanism{CKM_HKDF_KEY_GEN},
                                   {attr::ValueLen{32}, attr::Derive{true}, attr::Sensitive{false},
                                    attr::Extractable{true}}));
  EXPECT_THAT(s().Get<attr::KeyType>(k), ::testing::Optional(CKK_HKDF));
  EXPECT_THAT(s().Get<attr::Class>(k), ::testing::Optional(CKO_SECRET_KEY));
  ASSERT_OK_AND_ASSIGN(Bytes value, s().Get<attr::Value>(k));
  EXPECT_EQ(value.size(), 32u);
  mech::HkdfParams p;
  p.extract = p.expand = true;
  p.prf = CKM_SHA256;
  p.salt_type = CKF_HKDF_SALT_DATA;
  p.salt = Bytes{1, 2, 3};
  p.info = Bytes{4, 5};
  ASSERT_OK_AND_ASSIGN(ObjectHandle d, DeriveKey(s(), Mechanism{CKM_HKDF_DERIVE, p}, k,
                                                 {attr::ValueLen{20}, attr::Sensitive{false}}));
  EXPECT_THAT(s().Get<attr::Value>(d),
              ::testing::Optional(BoringSslHkdf(EVP_sha256(), value, p.salt, p.info, 20)));
  // An HKDF key is for HKDF (and SP 800-108), not for HMAC or AES.
  EXPECT_THAT(SignInit(s(), Mechanism{CKM_SHA256_HMAC}, k), RvIs(Rv::kKeyTypeInconsistent));
}

TEST_F(KdfTest, DerivedKeyKeepsSensitivityFromBase) {
  ASSERT_OK_AND_ASSIGN(ObjectHandle base,
                       GenerateKey(s(), Mechanism{CKM_GENERIC_SECRET_KEY_GEN},
                                   {attr::ValueLen{32}, attr::Derive{true}, attr::Sensitive{true},
                                    attr::Extractable{false}}));
  ASSERT_OK_AND_ASSIGN(
      ObjectHandle d,
      DeriveKey(s(), Mechanism{CKM_CONCATENATE_BASE_AND_DATA, mech::RawParams{Bytes{1, 2}}}, base,
                {attr::Sensitive{true}, attr::Extractable{false}}));
  EXPECT_THAT(s().Get<attr::AlwaysSensitive>(d), ::testing::Optional(true));
  EXPECT_THAT(s().Get<attr::NeverExtractable>(d), ::testing::Optional(true));
  EXPECT_THAT(s().Get<attr::Local>(d), ::testing::Optional(false));
  EXPECT_THAT(s().Get<attr::ValueLen>(d), ::testing::Optional(34u));
  ASSERT_OK_AND_ASSIGN(
      ObjectHandle d2,
      DeriveKey(s(), Mechanism{CKM_CONCATENATE_BASE_AND_DATA, mech::RawParams{Bytes{1, 2}}}, base,
                {attr::Sensitive{false}}));
  EXPECT_THAT(s().Get<attr::AlwaysSensitive>(d2), ::testing::Optional(false));
}

TEST_F(KdfTest, SimpleDerivations) {
  const ObjectHandle base = SecretKey(CKK_GENERIC_SECRET, Hex("0102030405"), {attr::Derive{true}});
  const ObjectHandle other = SecretKey(CKK_GENERIC_SECRET, Hex("aabb"));
  auto value = [&](const Mechanism& m, Template t) -> Bytes {
    t.Add(attr::Sensitive{false});
    auto h = DeriveKey(s(), m, base, t);
    if (!h) {
      ADD_FAILURE() << to_string(h.error());
      return {};
    }
    return s().Get<attr::Value>(*h).value_or(Bytes{});
  };
  EXPECT_EQ(ToHex(value(Mechanism{CKM_CONCATENATE_BASE_AND_KEY, mech::KeyHandleParams{other}}, {})),
            "0102030405aabb");
  EXPECT_EQ(ToHex(value(Mechanism{CKM_CONCATENATE_DATA_AND_BASE, mech::RawParams{Hex("ff")}}, {})),
            "ff0102030405");
  EXPECT_EQ(ToHex(value(Mechanism{CKM_XOR_BASE_AND_DATA, mech::RawParams{Hex("ffff")}}, {})),
            "fefd");
  EXPECT_EQ(ToHex(value(Mechanism{CKM_CONCATENATE_BASE_AND_DATA, mech::RawParams{Hex("ff")}},
                        {attr::ValueLen{3}})),
            "010203");
  // Bits 4.. of 0102030405: 0x10 0x20.
  EXPECT_EQ(
      ToHex(value(Mechanism{CKM_EXTRACT_KEY_FROM_KEY, mech::UlongParams{4}}, {attr::ValueLen{2}})),
      "1020");
  // Wraps around: bits 36..39 then 0..11.
  EXPECT_EQ(
      ToHex(value(Mechanism{CKM_EXTRACT_KEY_FROM_KEY, mech::UlongParams{36}}, {attr::ValueLen{2}})),
      "5010");
  EXPECT_THAT(DeriveKey(s(), Mechanism{CKM_EXTRACT_KEY_FROM_KEY, mech::UlongParams{4}}, base, {}),
              RvIs(Rv::kTemplateIncomplete));
  EXPECT_THAT(
      DeriveKey(s(),
                Mechanism{CKM_CONCATENATE_BASE_AND_KEY, mech::KeyHandleParams{ObjectHandle(9999)}},
                base, {}),
      RvIs(Rv::kKeyHandleInvalid));
}

Bytes HmacSha256(ByteView key, ByteView data) {
  Bytes out(32);
  unsigned n = 0;
  HMAC(EVP_sha256(), key.data(), key.size(), data.data(), data.size(), out.data(), &n);
  return out;
}

TEST_F(KdfTest, Sp800108CounterHmacMatchesConstruction) {
  const Bytes key(32, 0x42);
  const ObjectHandle base = SecretKey(CKK_GENERIC_SECRET, key, {attr::Derive{true}});
  mech::Sp800108Params p;
  p.prf = CKM_SHA256_HMAC;
  mech::PrfDataParam ctr{CK_SP800_108_ITERATION_VARIABLE};
  ctr.has_format = true, ctr.width_bits = 16;
  mech::PrfDataParam label{CK_SP800_108_BYTE_ARRAY, Hex("6c6162656c00")};
  mech::PrfDataParam dkm{CK_SP800_108_DKM_LENGTH};
  dkm.has_format = true, dkm.width_bits = 32, dkm.dkm_method = CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS;
  p.data = {ctr, label, dkm};
  mech::AdditionalKey extra;
  extra.tmpl = Template{attr::KeyType{CKK_AES}, attr::ValueLen{16}, attr::Sensitive{false}};
  p.additional_keys.push_back(extra);
  ASSERT_OK_AND_ASSIGN(ObjectHandle d, DeriveKey(s(), Mechanism{CKM_SP800_108_COUNTER_KDF, p}, base,
                                                 {attr::ValueLen{40}, attr::Sensitive{false}}));
  // L = (40 + 16) * 8 = 448 bits; two PRF blocks.
  Bytes stream;
  for (uint16_t i = 1; i <= 2; ++i) {
    Bytes in = {static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
    Bytes l = Hex("6c6162656c00000001c0");
    in.insert(in.end(), l.begin(), l.end());
    Bytes k = HmacSha256(key, in);
    stream.insert(stream.end(), k.begin(), k.end());
  }
  EXPECT_THAT(s().Get<attr::Value>(d),
              ::testing::Optional(Bytes(stream.begin(), stream.begin() + 40)));
  ASSERT_TRUE(p.additional_keys[0].handle->valid());
  EXPECT_THAT(s().Get<attr::Value>(*p.additional_keys[0].handle),
              ::testing::Optional(Bytes(stream.begin() + 40, stream.begin() + 56)));
  EXPECT_THAT(s().Get<attr::KeyType>(*p.additional_keys[0].handle), ::testing::Optional(CKK_AES));
}

TEST_F(KdfTest, Sp800108FeedbackAndErrors) {
  const Bytes key(16, 0x11);
  const ObjectHandle base = SecretKey(CKK_GENERIC_SECRET, key, {attr::Derive{true}});
  mech::Sp800108Params p;
  p.feedback = true;
  p.prf = CKM_SHA256_HMAC;
  p.iv = Bytes(32, 7);
  p.data = {mech::PrfDataParam{CK_SP800_108_ITERATION_VARIABLE},
            mech::PrfDataParam{CK_SP800_108_BYTE_ARRAY, Bytes{9}}};
  ASSERT_OK_AND_ASSIGN(ObjectHandle d,
                       DeriveKey(s(), Mechanism{CKM_SP800_108_FEEDBACK_KDF, p}, base,
                                 {attr::ValueLen{48}, attr::Sensitive{false}}));
  Bytes in = p.iv;
  in.push_back(9);
  Bytes k1 = HmacSha256(key, in);
  Bytes in2 = k1;
  in2.push_back(9);
  Bytes k2 = HmacSha256(key, in2);
  Bytes want = k1;
  want.insert(want.end(), k2.begin(), k2.begin() + 16);
  EXPECT_THAT(s().Get<attr::Value>(d), ::testing::Optional(want));
  // Counter mode without an iteration variable, or with two.
  mech::Sp800108Params bad;
  bad.data = {mech::PrfDataParam{CK_SP800_108_BYTE_ARRAY, Bytes{1}}};
  EXPECT_THAT(DeriveKey(s(), Mechanism{CKM_SP800_108_COUNTER_KDF, bad}, base, {attr::ValueLen{16}}),
              RvIs(Rv::kMechanismParamInvalid));
  bad.prf = CKM_SHA256;
  EXPECT_THAT(DeriveKey(s(), Mechanism{CKM_SP800_108_COUNTER_KDF, bad}, base, {attr::ValueLen{16}}),
              RvIs(Rv::kMechanismParamInvalid));
  // CMAC needs an AES key.
  mech::Sp800108Params c;
  c.prf = CKM_AES_CMAC;
  mech::PrfDataParam ctr{CK_SP800_108_ITERATION_VARIABLE};
  ctr.has_format = true, ctr.width_bits = 8;
  c.data = {ctr};
  EXPECT_THAT(DeriveKey(s(), Mechanism{CKM_SP800_108_COUNTER_KDF, c}, base, {attr::ValueLen{16}}),
              RvIs(Rv::kKeyTypeInconsistent));
  const ObjectHandle aes = SecretKey(CKK_AES, Bytes(16, 3), {attr::Derive{true}});
  EXPECT_THAT(DeriveKey(s(), Mechanism{CKM_SP800_108_COUNTER_KDF, c}, aes,
                        {attr::ValueLen{16}, attr::KeyType{CKK_AES}}),
              IsOk());
}

TEST_F(KdfTest, Pbkdf2Rfc6070) {
  mech::Pbkdf2Params p;
  p.salt = Bytes{'s', 'a', 'l', 't'};
  p.iterations = 2;
  p.prf = CKP_PKCS5_PBKD2_HMAC_SHA1;
  p.password = SecretBytes{'p', 'a', 's', 's', 'w', 'o', 'r', 'd'};
  ASSERT_OK_AND_ASSIGN(ObjectHandle k, GenerateKey(s(), Mechanism{CKM_PKCS5_PBKD2, p},
                                                   {attr::ValueLen{20}, attr::Sensitive{false}}));
  EXPECT_THAT(s().Get<attr::Value>(k),
              ::testing::Optional(Hex("ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957")));
  p.iterations = 0;
  EXPECT_THAT(GenerateKey(s(), Mechanism{CKM_PKCS5_PBKD2, p}, {attr::ValueLen{20}}),
              RvIs(Rv::kMechanismParamInvalid));
  p.iterations = 1;
  p.prf = 99;
  EXPECT_THAT(GenerateKey(s(), Mechanism{CKM_PKCS5_PBKD2, p}, {attr::ValueLen{20}}),
              RvIs(Rv::kMechanismParamInvalid));
}

}  // namespace
}  // namespace cryptoki::testing
