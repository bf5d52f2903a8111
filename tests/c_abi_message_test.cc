// The 3.0 message API through the C function table: multi-part messages
// (C_EncryptMessageBegin/Next, C_DecryptMessageBegin/Next), message signing
// (C_MessageSignInit ... C_MessageVerifyFinal), and the C conventions of
// these functions with their exact codes.
#include <cstring>

#include "tests/c_abi_test_util.h"

namespace cryptoki::testing {
namespace {

class CAbiMessageTest : public CAbiTest {
 protected:
  void SetUp() override {
    CAbiTest::SetUp();
    h_ = Open();
    ASSERT_THAT(LoginUser(h_), CkrIs(CKR_OK));
  }

  CK_OBJECT_HANDLE SecretKey(CK_KEY_TYPE type, CK_ULONG len) {
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_BBOOL yes = CK_TRUE;
    std::vector<CK_BYTE> value(len, 0x5a);
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof cls},   {CKA_KEY_TYPE, &type, sizeof type},
                        {CKA_VALUE, value.data(), len},  {CKA_ENCRYPT, &yes, sizeof yes},
                        {CKA_DECRYPT, &yes, sizeof yes}, {CKA_SIGN, &yes, sizeof yes},
                        {CKA_VERIFY, &yes, sizeof yes}};
    CK_OBJECT_HANDLE k = CK_INVALID_HANDLE;
    EXPECT_THAT(F()->C_CreateObject(h_, t, 7, &k), CkrIs(CKR_OK));
    return k;
  }

  CK_SESSION_HANDLE h_ = 0;
};

TEST_F(CAbiMessageTest, GcmMultiPartMessageEqualsWholeMessage) {
  CK_OBJECT_HANDLE k = SecretKey(CKK_AES, 32);
  CK_MECHANISM m{CKM_AES_GCM, nullptr, 0};
  ASSERT_THAT(F()->C_MessageEncryptInit(h_, &m, k), CkrIs(CKR_OK));
  CK_BYTE iv[12] = {1, 2, 3};
  CK_BYTE aad[] = {'h', 'd', 'r'};
  CK_BYTE plain[40];
  for (int i = 0; i < 40; ++i) plain[i] = static_cast<CK_BYTE>(i);

  CK_BYTE whole_tag[16];
  CK_GCM_MESSAGE_PARAMS p{iv, sizeof iv, 0, CKG_NO_GENERATE, whole_tag, 128};
  CK_BYTE whole[40];
  CK_ULONG len = sizeof whole;
  ASSERT_THAT(
      F()->C_EncryptMessage(h_, &p, sizeof p, aad, sizeof aad, plain, sizeof plain, whole, &len),
      CkrIs(CKR_OK));
  ASSERT_EQ(len, 40u);

  CK_BYTE tag[16] = {};
  CK_GCM_MESSAGE_PARAMS q{iv, sizeof iv, 0, CKG_NO_GENERATE, tag, 128};
  ASSERT_THAT(F()->C_EncryptMessageBegin(h_, &q, sizeof q, aad, sizeof aad), CkrIs(CKR_OK));
  CK_BYTE parts[40];
  // Two-call convention on a part: the query, then the part.
  CK_ULONG n = 0;
  ASSERT_THAT(F()->C_EncryptMessageNext(h_, &q, sizeof q, plain, 25, nullptr, &n, 0),
              CkrIs(CKR_OK));
  EXPECT_EQ(n, 25u);
  CK_ULONG small = 10;
  EXPECT_THAT(F()->C_EncryptMessageNext(h_, &q, sizeof q, plain, 25, parts, &small, 0),
              CkrIs(CKR_BUFFER_TOO_SMALL));
  EXPECT_EQ(small, 25u);
  ASSERT_THAT(F()->C_EncryptMessageNext(h_, &q, sizeof q, plain, 25, parts, &n, 0), CkrIs(CKR_OK));
  CK_ULONG n2 = 15;
  ASSERT_THAT(F()->C_EncryptMessageNext(h_, &q, sizeof q, plain + 25, 15, parts + 25, &n2,
                                        CKF_END_OF_MESSAGE),
              CkrIs(CKR_OK));
  EXPECT_EQ(memcmp(parts, whole, 40), 0);
  EXPECT_EQ(memcmp(tag, whole_tag, 16), 0);
  ASSERT_THAT(F()->C_MessageEncryptFinal(h_), CkrIs(CKR_OK));

  // Decryption in parts: nothing comes out before the tag is checked.
  ASSERT_THAT(F()->C_MessageDecryptInit(h_, &m, k), CkrIs(CKR_OK));
  ASSERT_THAT(F()->C_DecryptMessageBegin(h_, &q, sizeof q, aad, sizeof aad), CkrIs(CKR_OK));
  CK_BYTE back[40];
  CK_ULONG b1 = sizeof back;
  ASSERT_THAT(F()->C_DecryptMessageNext(h_, nullptr, 0, whole, 30, back, &b1, 0), CkrIs(CKR_OK));
  EXPECT_EQ(b1, 0u);
  CK_ULONG b2 = 0;
  ASSERT_THAT(
      F()->C_DecryptMessageNext(h_, &q, sizeof q, whole + 30, 10, nullptr, &b2, CKF_END_OF_MESSAGE),
      CkrIs(CKR_OK));
  EXPECT_EQ(b2, 40u);
  ASSERT_THAT(
      F()->C_DecryptMessageNext(h_, &q, sizeof q, whole + 30, 10, back, &b2, CKF_END_OF_MESSAGE),
      CkrIs(CKR_OK));
  EXPECT_EQ(memcmp(back, plain, 40), 0);
  // A wrong tag: CKR_AEAD_DECRYPT_FAILED, and the operation goes on.
  tag[0] ^= 1;
  CK_ULONG b3 = sizeof back;
  EXPECT_THAT(F()->C_DecryptMessage(h_, &q, sizeof q, aad, sizeof aad, whole, 40, back, &b3),
              CkrIs(CKR_AEAD_DECRYPT_FAILED));
  tag[0] ^= 1;
  b3 = sizeof back;
  EXPECT_THAT(F()->C_DecryptMessage(h_, &q, sizeof q, aad, sizeof aad, whole, 40, back, &b3),
              CkrIs(CKR_OK));
  ASSERT_THAT(F()->C_MessageDecryptFinal(h_), CkrIs(CKR_OK));
}

TEST_F(CAbiMessageTest, ChaChaMultiPartMessageRoundTrip) {
  CK_OBJECT_HANDLE k = SecretKey(CKK_CHACHA20, 32);
  CK_MECHANISM m{CKM_CHACHA20_POLY1305, nullptr, 0};
  ASSERT_THAT(F()->C_MessageEncryptInit(h_, &m, k), CkrIs(CKR_OK));
  ASSERT_THAT(F()->C_MessageDecryptInit(h_, &m, k), CkrIs(CKR_OK));
  CK_BYTE nonce[12] = {7}, tag[16];
  CK_SALSA20_CHACHA20_POLY1305_MSG_PARAMS p{nonce, sizeof nonce, tag};
  CK_BYTE plain[100], cipher[100], back[100];
  memset(plain, 'p', sizeof plain);
  ASSERT_THAT(F()->C_EncryptMessageBegin(h_, &p, sizeof p, nullptr, 0), CkrIs(CKR_OK));
  for (int i = 0; i < 100; i += 20) {
    CK_ULONG n = 20;
    ASSERT_THAT(F()->C_EncryptMessageNext(h_, &p, sizeof p, plain + i, 20, cipher + i, &n,
                                          i == 80 ? CKF_END_OF_MESSAGE : 0),
                CkrIs(CKR_OK));
  }
  CK_ULONG len = sizeof back;
  ASSERT_THAT(F()->C_DecryptMessage(h_, &p, sizeof p, nullptr, 0, cipher, 100, back, &len),
              CkrIs(CKR_OK));
  EXPECT_EQ(memcmp(back, plain, 100), 0);
}

TEST_F(CAbiMessageTest, MessageFunctionsCheckTheirArguments) {
  CK_OBJECT_HANDLE k = SecretKey(CKK_AES, 16);
  CK_MECHANISM m{CKM_AES_GCM, nullptr, 0};
  CK_BYTE iv[12] = {}, tag[16], buf[16];
  CK_GCM_MESSAGE_PARAMS p{iv, sizeof iv, 0, CKG_NO_GENERATE, tag, 128};
  CK_ULONG len = sizeof buf;
  // Nothing active yet.
  EXPECT_THAT(F()->C_EncryptMessageBegin(h_, &p, sizeof p, nullptr, 0),
              CkrIs(CKR_OPERATION_NOT_INITIALIZED));
  EXPECT_THAT(F()->C_EncryptMessageNext(h_, &p, sizeof p, buf, 1, buf, &len, 0),
              CkrIs(CKR_OPERATION_NOT_INITIALIZED));
  ASSERT_THAT(F()->C_MessageEncryptInit(h_, &m, k), CkrIs(CKR_OK));
  // A part without a message begun.
  EXPECT_THAT(F()->C_EncryptMessageNext(h_, &p, sizeof p, buf, 1, buf, &len, 0),
              CkrIs(CKR_OPERATION_NOT_INITIALIZED));
  ASSERT_THAT(F()->C_EncryptMessageBegin(h_, &p, sizeof p, nullptr, 0), CkrIs(CKR_OK));
  EXPECT_THAT(F()->C_EncryptMessageNext(h_, &p, sizeof p, buf, 1, buf, nullptr, 0),
              CkrIs(CKR_ARGUMENTS_BAD));
  EXPECT_THAT(F()->C_EncryptMessageNext(h_, &p, sizeof p, nullptr, 1, buf, &len, 0),
              CkrIs(CKR_ARGUMENTS_BAD));
  EXPECT_THAT(F()->C_EncryptMessageNext(h_, &p, sizeof p, buf, 1, buf, &len, 0x80),
              CkrIs(CKR_ARGUMENTS_BAD));
  // The last part needs its parameter (the tag goes there).
  EXPECT_THAT(F()->C_EncryptMessageNext(h_, nullptr, 0, buf, 1, buf, &len, CKF_END_OF_MESSAGE),
              CkrIs(CKR_ARGUMENTS_BAD));
  EXPECT_THAT(
      F()->C_EncryptMessageNext(h_, &p, sizeof p - 1, buf, 1, buf, &len, CKF_END_OF_MESSAGE),
      CkrIs(CKR_MECHANISM_PARAM_INVALID));
  // A whole message while one is in parts: the operation is busy.
  len = sizeof buf;
  EXPECT_THAT(F()->C_EncryptMessage(h_, &p, sizeof p, nullptr, 0, buf, 1, buf, &len),
              CkrIs(CKR_OPERATION_ACTIVE));
  // Tags in whole bytes only.
  CK_GCM_MESSAGE_PARAMS odd{iv, sizeof iv, 0, CKG_NO_GENERATE, tag, 100};
  EXPECT_THAT(F()->C_EncryptMessage(h_, &odd, sizeof odd, nullptr, 0, buf, 1, buf, &len),
              CkrIs(CKR_MECHANISM_PARAM_INVALID));
  ASSERT_THAT(F()->C_MessageEncryptFinal(h_), CkrIs(CKR_OK));
  EXPECT_THAT(F()->C_MessageEncryptFinal(h_), CkrIs(CKR_OPERATION_NOT_INITIALIZED));
}

TEST_F(CAbiMessageTest, HmacMessageSignAndVerify) {
  CK_OBJECT_HANDLE k = SecretKey(CKK_GENERIC_SECRET, 32);
  CK_MECHANISM m{CKM_SHA256_HMAC, nullptr, 0};
  CK_MECHANISM_INFO info;
  ASSERT_THAT(F()->C_GetMechanismInfo(slot_, CKM_SHA256_HMAC, &info), CkrIs(CKR_OK));
  EXPECT_EQ(info.flags & (CKF_MESSAGE_SIGN | CKF_MESSAGE_VERIFY),
            CKF_MESSAGE_SIGN | CKF_MESSAGE_VERIFY);
  CK_BYTE data[] = "data to sign as messages";
  // The ordinary signature, to compare with.
  ASSERT_THAT(F()->C_SignInit(h_, &m, k), CkrIs(CKR_OK));
  CK_BYTE want[32];
  CK_ULONG want_len = sizeof want;
  ASSERT_THAT(F()->C_Sign(h_, data, sizeof data, want, &want_len), CkrIs(CKR_OK));

  EXPECT_THAT(F()->C_SignMessageBegin(h_, nullptr, 0), CkrIs(CKR_OPERATION_NOT_INITIALIZED));
  ASSERT_THAT(F()->C_MessageSignInit(h_, &m, k), CkrIs(CKR_OK));
  CK_ULONG len = 0;
  ASSERT_THAT(F()->C_SignMessage(h_, nullptr, 0, data, sizeof data, nullptr, &len), CkrIs(CKR_OK));
  EXPECT_EQ(len, 32u);
  CK_BYTE sig[32];
  ASSERT_THAT(F()->C_SignMessage(h_, nullptr, 0, data, sizeof data, sig, &len), CkrIs(CKR_OK));
  EXPECT_EQ(memcmp(sig, want, 32), 0);
  // A parameter is refused: signatures take none.
  CK_BYTE junk[8];
  EXPECT_THAT(F()->C_SignMessage(h_, junk, sizeof junk, data, sizeof data, sig, &len),
              CkrIs(CKR_MECHANISM_PARAM_INVALID));
  // In parts: without pulSignatureLen a part, with it the last part.
  ASSERT_THAT(F()->C_SignMessageBegin(h_, nullptr, 0), CkrIs(CKR_OK));
  ASSERT_THAT(F()->C_SignMessageNext(h_, nullptr, 0, data, 10, nullptr, nullptr), CkrIs(CKR_OK));
  CK_ULONG q = 0;
  ASSERT_THAT(F()->C_SignMessageNext(h_, nullptr, 0, data + 10, sizeof data - 10, nullptr, &q),
              CkrIs(CKR_OK));
  EXPECT_EQ(q, 32u);
  memset(sig, 0, sizeof sig);
  ASSERT_THAT(F()->C_SignMessageNext(h_, nullptr, 0, data + 10, sizeof data - 10, sig, &q),
              CkrIs(CKR_OK));
  EXPECT_EQ(memcmp(sig, want, 32), 0);
  ASSERT_THAT(F()->C_MessageSignFinal(h_), CkrIs(CKR_OK));

  ASSERT_THAT(F()->C_MessageVerifyInit(h_, &m, k), CkrIs(CKR_OK));
  EXPECT_THAT(F()->C_VerifyMessage(h_, nullptr, 0, data, sizeof data, want, 32), CkrIs(CKR_OK));
  EXPECT_THAT(F()->C_VerifyMessage(h_, nullptr, 0, data, sizeof data, nullptr, 0),
              CkrIs(CKR_ARGUMENTS_BAD));
  want[5] ^= 1;
  EXPECT_THAT(F()->C_VerifyMessage(h_, nullptr, 0, data, sizeof data, want, 32),
              CkrIs(CKR_SIGNATURE_INVALID));
  want[5] ^= 1;
  ASSERT_THAT(F()->C_VerifyMessageBegin(h_, nullptr, 0), CkrIs(CKR_OK));
  ASSERT_THAT(F()->C_VerifyMessageNext(h_, nullptr, 0, data, 3, nullptr, 0), CkrIs(CKR_OK));
  EXPECT_THAT(F()->C_VerifyMessageNext(h_, nullptr, 0, data + 3, sizeof data - 3, want, 32),
              CkrIs(CKR_OK));
  ASSERT_THAT(F()->C_MessageVerifyFinal(h_), CkrIs(CKR_OK));
  EXPECT_THAT(F()->C_MessageVerifyFinal(h_), CkrIs(CKR_OPERATION_NOT_INITIALIZED));
}

}  // namespace
}  // namespace cryptoki::testing
