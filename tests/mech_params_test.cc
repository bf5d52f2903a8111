#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cryptoki_c/mechanism_params.h"
#include "tests/test_util.h"

namespace cryptoki::testing {
namespace {

TEST(ToMechanismTest, NoParameter) {
  CK_MECHANISM m{CKM_SHA256, nullptr, 0};
  auto r = ToMechanism(&m);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->type, CK_MECHANISM_TYPE{CKM_SHA256});
  EXPECT_TRUE(std::holds_alternative<std::monostate>(r->params));
  EXPECT_THAT(ToMechanism(nullptr), RvIs(Rv::kArgumentsBad));
  CK_MECHANISM bad{CKM_SHA256, nullptr, 4};
  EXPECT_THAT(ToMechanism(&bad), RvIs(Rv::kMechanismParamInvalid));
}

TEST(ToMechanismTest, GcmCopiesPointersAndChecksSize) {
  uint8_t iv[12] = {1, 2, 3}, aad[3] = {9, 8, 7};
  CK_GCM_PARAMS p{iv, sizeof iv, 96, aad, sizeof aad, 96};
  CK_MECHANISM m{CKM_AES_GCM, &p, sizeof p};
  auto r = ToMechanism(&m);
  ASSERT_TRUE(r.has_value());
  const auto& g = std::get<mech::GcmParams>(r->params);
  EXPECT_EQ(g.iv, Bytes(iv, iv + 12));
  EXPECT_EQ(g.aad, Bytes(aad, aad + 3));
  EXPECT_EQ(g.tag_bits, 96u);
  CK_MECHANISM short_len{CKM_AES_GCM, &p, sizeof p - 1};
  EXPECT_THAT(ToMechanism(&short_len), RvIs(Rv::kMechanismParamInvalid));
  CK_GCM_PARAMS null_iv{nullptr, 12, 96, nullptr, 0, 128};
  CK_MECHANISM m2{CKM_AES_GCM, &null_iv, sizeof null_iv};
  EXPECT_THAT(ToMechanism(&m2), RvIs(Rv::kMechanismParamInvalid));
}

// ToMechanismInto reuses a Mechanism across calls (the C adapter keeps one
// per thread): each conversion gives exactly its own parameter, whatever the
// previous one held, and refuses the same bad input as ToMechanism.
TEST(ToMechanismTest, IntoReusesAndReplacesEveryKindOfParameter) {
  Mechanism m;
  uint8_t iv12[12] = {1, 2, 3}, iv16[16] = {4, 5, 6}, aad[5] = {9, 8, 7, 6, 5};
  CK_GCM_PARAMS g1{iv16, sizeof iv16, 0, aad, sizeof aad, 128};
  CK_MECHANISM gcm1{CKM_AES_GCM, &g1, sizeof g1};
  ASSERT_TRUE(ToMechanismInto(&gcm1, m).has_value());
  CK_GCM_PARAMS g2{iv12, sizeof iv12, 96, nullptr, 0, 96};
  CK_MECHANISM gcm2{CKM_AES_GCM, &g2, sizeof g2};
  ASSERT_TRUE(ToMechanismInto(&gcm2, m).has_value());
  EXPECT_EQ(m.type, CK_MECHANISM_TYPE{CKM_AES_GCM});
  const auto& g = std::get<mech::GcmParams>(m.params);
  EXPECT_EQ(g.iv, Bytes(iv12, iv12 + 12));
  EXPECT_TRUE(g.aad.empty());
  EXPECT_EQ(g.tag_bits, 96u);

  CK_MECHANISM cbc{CKM_AES_CBC_PAD, iv16, sizeof iv16};
  ASSERT_TRUE(ToMechanismInto(&cbc, m).has_value());
  EXPECT_EQ(m.type, CK_MECHANISM_TYPE{CKM_AES_CBC_PAD});
  EXPECT_EQ(std::get<mech::RawParams>(m.params).bytes, Bytes(iv16, iv16 + 16));

  CK_SALSA20_CHACHA20_POLY1305_PARAMS c{iv12, sizeof iv12, aad, sizeof aad};
  CK_MECHANISM chacha{CKM_CHACHA20_POLY1305, &c, sizeof c};
  ASSERT_TRUE(ToMechanismInto(&chacha, m).has_value());
  EXPECT_EQ(std::get<mech::ChaCha20Poly1305Params>(m.params).aad, Bytes(aad, aad + 5));

  CK_MECHANISM sha{CKM_SHA256, nullptr, 0};
  ASSERT_TRUE(ToMechanismInto(&sha, m).has_value());
  EXPECT_EQ(m.type, CK_MECHANISM_TYPE{CKM_SHA256});
  EXPECT_TRUE(std::holds_alternative<std::monostate>(m.params));

  CK_GCM_PARAMS null_iv{nullptr, 12, 96, nullptr, 0, 128};
  CK_MECHANISM bad_gcm{CKM_AES_GCM, &null_iv, sizeof null_iv};
  EXPECT_THAT(ToMechanismInto(&bad_gcm, m), RvIs(Rv::kMechanismParamInvalid));
  CK_GCM_PARAMS bad_bits{iv12, sizeof iv12, 64, nullptr, 0, 128};
  CK_MECHANISM bad_gcm2{CKM_AES_GCM, &bad_bits, sizeof bad_bits};
  EXPECT_THAT(ToMechanismInto(&bad_gcm2, m), RvIs(Rv::kMechanismParamInvalid));
  EXPECT_THAT(ToMechanismInto(nullptr, m), RvIs(Rv::kArgumentsBad));
}

TEST(ToMechanismTest, CtrHmacGeneralAndDerivationStrings) {
  CK_AES_CTR_PARAMS ctr{32, {0}};
  ctr.cb[15] = 7;
  CK_MECHANISM m{CKM_AES_CTR, &ctr, sizeof ctr};
  auto r = ToMechanism(&m);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(std::get<mech::AesCtrParams>(r->params).counter_bits, 32u);
  EXPECT_EQ(std::get<mech::AesCtrParams>(r->params).cb[15], 7);
  CK_ULONG len = 10;
  CK_MECHANISM g{CKM_SHA256_HMAC_GENERAL, &len, sizeof len};
  ASSERT_TRUE(ToMechanism(&g).has_value());
  EXPECT_EQ(std::get<mech::UlongParams>(ToMechanism(&g)->params).value, 10u);
  uint8_t data[2] = {1, 2};
  CK_KEY_DERIVATION_STRING_DATA s{data, 2};
  CK_MECHANISM c{CKM_CONCATENATE_BASE_AND_DATA, &s, sizeof s};
  EXPECT_EQ(std::get<mech::RawParams>(ToMechanism(&c)->params).bytes, Bytes({1, 2}));
}

TEST(ToMechanismTest, Sp800108AdditionalKeyHandlesComeBack) {
  CK_SP800_108_COUNTER_FORMAT fmt{CK_FALSE, 16};
  CK_PRF_DATA_PARAM data[] = {{CK_SP800_108_ITERATION_VARIABLE, &fmt, sizeof fmt}};
  CK_KEY_TYPE kt = CKK_AES;
  CK_ATTRIBUTE tmpl[] = {{CKA_KEY_TYPE, &kt, sizeof kt}};
  CK_OBJECT_HANDLE out = 0;
  CK_DERIVED_KEY extra{tmpl, 1, &out};
  CK_SP800_108_KDF_PARAMS p{CKM_SHA256_HMAC, 1, data, 1, &extra};
  CK_MECHANISM m{CKM_SP800_108_COUNTER_KDF, &p, sizeof p};
  auto r = ToMechanism(&m);
  ASSERT_TRUE(r.has_value());
  auto& sp = std::get<mech::Sp800108Params>(r->params);
  ASSERT_EQ(sp.data.size(), 1u);
  EXPECT_EQ(sp.data[0].width_bits, 16u);
  ASSERT_EQ(sp.additional_keys.size(), 1u);
  *sp.additional_keys[0].handle = ObjectHandle(77);
  CopyDerivedHandles(&m, *r);
  EXPECT_EQ(out, 77u);
  CK_PRF_DATA_PARAM bad[] = {{99, nullptr, 0}};
  CK_SP800_108_KDF_PARAMS p2{CKM_SHA256_HMAC, 1, bad, 0, nullptr};
  CK_MECHANISM m2{CKM_SP800_108_COUNTER_KDF, &p2, sizeof p2};
  EXPECT_THAT(ToMechanism(&m2), RvIs(Rv::kMechanismParamInvalid));
}

TEST(ToMechanismTest, HkdfAndPbkdf2) {
  uint8_t salt[4] = {1, 2, 3, 4}, info[2] = {5, 6};
  CK_HKDF_PARAMS h{CK_TRUE, CK_TRUE, CKM_SHA256, CKF_HKDF_SALT_DATA, salt, 4, 0, info, 2};
  CK_MECHANISM m{CKM_HKDF_DERIVE, &h, sizeof h};
  auto r = ToMechanism(&m);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(std::get<mech::HkdfParams>(r->params).salt, Bytes(salt, salt + 4));
  char pw[] = "password";
  CK_PKCS5_PBKD2_PARAMS2 p2{CKZ_SALT_SPECIFIED,
                            salt,
                            4,
                            1000,
                            CKP_PKCS5_PBKD2_HMAC_SHA256,
                            nullptr,
                            0,
                            reinterpret_cast<CK_UTF8CHAR_PTR>(pw),
                            8};
  CK_MECHANISM pm{CKM_PKCS5_PBKD2, &p2, sizeof p2};
  auto pr = ToMechanism(&pm);
  ASSERT_TRUE(pr.has_value());
  EXPECT_EQ(std::get<mech::Pbkdf2Params>(pr->params).password.size(), 8u);
  // The old layout: ulPasswordLen points at the length.
  CK_ULONG len = 8;
  CK_PKCS5_PBKD2_PARAMS p1{CKZ_SALT_SPECIFIED,
                           salt,
                           4,
                           1000,
                           CKP_PKCS5_PBKD2_HMAC_SHA256,
                           nullptr,
                           0,
                           reinterpret_cast<CK_UTF8CHAR_PTR>(pw),
                           &len};
  CK_MECHANISM pm1{CKM_PKCS5_PBKD2, &p1, sizeof p1};
  auto pr1 = ToMechanism(&pm1);
  ASSERT_TRUE(pr1.has_value());
  EXPECT_EQ(std::get<mech::Pbkdf2Params>(pr1->params).password.size(), 8u);
}

}  // namespace
}  // namespace cryptoki::testing
