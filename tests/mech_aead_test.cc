#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cryptoki/mechanism.h"
#include "tests/mech_test_util.h"
#include "tests/wycheproof.h"

namespace cryptoki::testing {
namespace {

using AeadTest = MechTest;

Mechanism AeadMech(bool gcm, const Bytes& iv, const Bytes& aad, CK_ULONG tag_bits = 128) {
  if (gcm) return Mechanism{CKM_AES_GCM, mech::GcmParams{iv, aad, tag_bits}};
  return Mechanism{CKM_CHACHA20_POLY1305, mech::ChaCha20Poly1305Params{iv, aad}};
}

void RunWycheproof(AeadTest& t, const char* file, bool gcm) {
  auto cases = LoadWycheproof(file);
  ASSERT_FALSE(cases.empty());
  int valid = 0, invalid = 0;
  for (const WycheproofCase& c : cases) {
    SCOPED_TRACE(::testing::Message() << file << " tcId " << c.tc_id);
    const ObjectHandle k = t.SecretKey(gcm ? CKK_AES : CKK_CHACHA20, c.GetBytes("key"));
    const Bytes iv = c.GetBytes("iv"), aad = c.GetBytes("aad"), msg = c.GetBytes("msg");
    Bytes ct = c.GetBytes("ct");
    const Bytes tag = c.GetBytes("tag");
    ct.insert(ct.end(), tag.begin(), tag.end());
    const Mechanism m = AeadMech(gcm, iv, aad, tag.size() * 8);
    auto init = DecryptInit(t.s(), m, k);
    if (!init) {
      // Nonces the mechanism refuses (empty, or not 12 bytes for ChaCha20).
      EXPECT_EQ(init.error(), Rv::kMechanismParamInvalid);
      EXPECT_FALSE(c.Valid(false) && iv.size() == 12);
      ASSERT_THAT(t.s().DestroyObject(k), IsOk());
      continue;
    }
    auto pt = t.RunOneShot(OpKind::kDecrypt, ct);
    if (c.Valid()) {
      ASSERT_TRUE(pt.has_value()) << to_string(pt.error());
      EXPECT_EQ(ToHex(*pt), ToHex(msg));
      ASSERT_THAT(EncryptInit(t.s(), m, k), IsOk());
      ASSERT_OK_AND_ASSIGN(Bytes got, t.RunMultiPart(OpKind::kEncrypt, msg, 7));
      EXPECT_EQ(ToHex(got), ToHex(ct));
      ++valid;
    } else {
      ASSERT_FALSE(pt.has_value());
      EXPECT_THAT(pt.error(),
                  ::testing::AnyOf(Rv::kEncryptedDataInvalid, Rv::kEncryptedDataLenRange));
      ++invalid;
    }
    ASSERT_THAT(t.s().DestroyObject(k), IsOk());
  }
  EXPECT_GT(valid, 10);
  EXPECT_GT(invalid, 5);
}

TEST_F(AeadTest, AesGcmWycheproof) { RunWycheproof(*this, "aes_gcm_test.txt", true); }
TEST_F(AeadTest, ChaCha20Poly1305Wycheproof) {
  RunWycheproof(*this, "chacha20_poly1305_test.txt", false);
}

TEST_F(AeadTest, GcmShortTagsRoundTrip) {
  const ObjectHandle k = SecretKey(CKK_AES, Bytes(16, 9));
  for (CK_ULONG bits : {32ul, 64ul, 96ul, 104ul, 112ul, 120ul}) {
    const Mechanism m = AeadMech(true, Bytes(12, 1), Bytes(5, 2), bits);
    ASSERT_THAT(EncryptInit(s(), m, k), IsOk());
    ASSERT_OK_AND_ASSIGN(Bytes ct, RunOneShot(OpKind::kEncrypt, AsBytes("hello")));
    EXPECT_EQ(ct.size(), 5 + bits / 8);
    ASSERT_THAT(DecryptInit(s(), m, k), IsOk());
    ASSERT_OK_AND_ASSIGN(Bytes pt, RunOneShot(OpKind::kDecrypt, ct));
    EXPECT_EQ(AsStringView(pt), "hello");
    ct.back() ^= 1;
    ASSERT_THAT(DecryptInit(s(), m, k), IsOk());
    EXPECT_THAT(RunOneShot(OpKind::kDecrypt, ct), RvIs(Rv::kEncryptedDataInvalid));
  }
}

TEST_F(AeadTest, GcmParameterErrors) {
  const ObjectHandle k = SecretKey(CKK_AES, Bytes(16, 9));
  EXPECT_THAT(EncryptInit(s(), Mechanism{CKM_AES_GCM}, k), RvIs(Rv::kMechanismParamInvalid));
  EXPECT_THAT(EncryptInit(s(), AeadMech(true, {}, {}), k), RvIs(Rv::kMechanismParamInvalid));
  EXPECT_THAT(EncryptInit(s(), AeadMech(true, Bytes(12), {}, 100), k),
              RvIs(Rv::kMechanismParamInvalid));
  EXPECT_THAT(EncryptInit(s(), AeadMech(true, Bytes(12), {}, 136), k),
              RvIs(Rv::kMechanismParamInvalid));
  EXPECT_THAT(EncryptInit(s(), Mechanism{CKM_AES_GCM, mech::RawParams{Bytes(12)}}, k),
              RvIs(Rv::kMechanismParamInvalid));
  const ObjectHandle ck = SecretKey(CKK_CHACHA20, Bytes(32, 9));
  EXPECT_THAT(EncryptInit(s(), AeadMech(false, Bytes(8), {}), ck),
              RvIs(Rv::kMechanismParamInvalid));
  EXPECT_THAT(EncryptInit(s(), AeadMech(false, Bytes(12), {}), k), RvIs(Rv::kKeyTypeInconsistent));
}

TEST_F(AeadTest, ShortCiphertextIsEncryptedDataLenRange) {
  const ObjectHandle k = SecretKey(CKK_AES, Bytes(16, 9));
  ASSERT_THAT(DecryptInit(s(), AeadMech(true, Bytes(12), {}), k), IsOk());
  EXPECT_THAT(RunOneShot(OpKind::kDecrypt, Bytes(15)), RvIs(Rv::kEncryptedDataLenRange));
}

TEST_F(AeadTest, ChaChaKeyGen) {
  ASSERT_OK_AND_ASSIGN(ObjectHandle k, GenerateKey(s(), Mechanism{CKM_CHACHA20_KEY_GEN}, {}));
  EXPECT_THAT(s().Get<attr::ValueLen>(k), ::testing::Optional(32u));
  const Mechanism m = AeadMech(false, Bytes(12, 4), Bytes{1, 2, 3});
  ASSERT_THAT(EncryptInit(s(), m, k), IsOk());
}

void MessageRoundTrip(AeadTest& t, bool gcm, CK_GENERATOR_FUNCTION gen) {
  const ObjectHandle k =
      gcm ? t.SecretKey(CKK_AES, Bytes(32, 1)) : t.SecretKey(CKK_CHACHA20, Bytes(32, 1));
  const Mechanism m{gcm ? CKM_AES_GCM : CKM_CHACHA20_POLY1305};
  ASSERT_THAT(MessageEncryptInit(t.s(), m, k), IsOk());
  ASSERT_THAT(MessageDecryptInit(t.s(), m, k), IsOk());
  Bytes prev_iv;
  for (int i = 0; i < 3; ++i) {
    Bytes iv(12, 0xaa), tag(16);
    MessageParams p;
    if (gcm) {
      p = mech::GcmMessageParams{iv, 32, gen, tag};
    } else {
      p = mech::ChaCha20Poly1305MessageParams{iv, tag};
    }
    const std::string msg = "message " + std::to_string(i);
    Bytes ct(msg.size());
    Output o = Output::Into(ct);
    ASSERT_THAT(EncryptMessage(t.s(), p, AsBytes("hdr"), AsBytes(msg), o), IsOk());
    if (gcm && gen != CKG_NO_GENERATE) {
      EXPECT_EQ(ToHex(ByteView(iv).first(4)), "aaaaaaaa");  // fixed part kept
      EXPECT_NE(iv, prev_iv);
      prev_iv = iv;
    }
    MessageParams d;
    if (gcm) {
      d = mech::GcmMessageParams{iv, 32, CKG_NO_GENERATE, tag};
    } else {
      d = mech::ChaCha20Poly1305MessageParams{iv, tag};
    }
    Bytes pt(ct.size());
    Output o2 = Output::Into(pt);
    ASSERT_THAT(DecryptMessage(t.s(), d, AsBytes("hdr"), ct, o2), IsOk());
    EXPECT_EQ(AsStringView(pt), msg);
  }
  ASSERT_THAT(MessageEncryptFinal(t.s()), IsOk());
  EXPECT_FALSE(t.s().IsActive(OpKind::kMessageEncrypt));
  // A bad tag fails the message.
  Bytes iv(12), tag(16);
  MessageParams d;
  if (gcm) {
    d = mech::GcmMessageParams{iv, 0, CKG_NO_GENERATE, tag};
  } else {
    d = mech::ChaCha20Poly1305MessageParams{iv, tag};
  }
  Bytes pt(4);
  Output o = Output::Into(pt);
  EXPECT_THAT(DecryptMessage(t.s(), d, {}, Bytes(4), o), RvIs(Rv::kAeadDecryptFailed));
}

TEST_F(AeadTest, GcmMessageCounterIv) { MessageRoundTrip(*this, true, CKG_GENERATE_COUNTER); }
TEST_F(AeadTest, GcmMessageRandomIv) { MessageRoundTrip(*this, true, CKG_GENERATE_RANDOM); }
TEST_F(AeadTest, GcmMessageCallerIv) { MessageRoundTrip(*this, true, CKG_NO_GENERATE); }
TEST_F(AeadTest, ChaChaMessage) { MessageRoundTrip(*this, false, CKG_NO_GENERATE); }

TEST_F(AeadTest, MessageWithoutInitIsNotInitialized) {
  Bytes iv(12), tag(16);
  MessageParams p = mech::GcmMessageParams{iv, 0, CKG_NO_GENERATE, tag};
  Output o = Output::Query();
  EXPECT_THAT(EncryptMessage(s(), p, {}, {}, o), RvIs(Rv::kOperationNotInitialized));
}

TEST_F(AeadTest, InfoFlags) {
  auto info = GetMechanismInfo(TestConfig(), CKM_AES_GCM);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->flags, CKF_ENCRYPT | CKF_DECRYPT | CKF_MESSAGE_ENCRYPT | CKF_MESSAGE_DECRYPT |
                             CKF_MULTI_MESSAGE);
}

}  // namespace
}  // namespace cryptoki::testing
