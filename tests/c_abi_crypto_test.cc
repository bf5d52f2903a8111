// Cryptographic functions through the C function table: the two-call size
// query, CKR_BUFFER_TOO_SMALL, multi-part operations, dual-function updates,
// the 3.0 message API, key pairs and signatures.
//
// NEEDS MECHANISMS: AES (aes.cc, keygen.cc), AES-GCM (aes_gcm.cc, aead.cc),
// EC (ec.cc) and the digests of //cryptoki:mechanisms.
#include <openssl/sha.h>

#include "tests/c_abi_test_util.h"

namespace cryptoki::testing {
namespace {

class CAbiCryptoTest : public CAbiTest {
 protected:
  void SetUp() override {
    CAbiTest::SetUp();
    h_ = Open();
    ASSERT_THAT(LoginUser(h_), CkrIs(CKR_OK));
  }

  CK_OBJECT_HANDLE AesKey(CK_ULONG len = 32) {
    CK_MECHANISM m{CKM_AES_KEY_GEN, nullptr, 0};
    CK_BBOOL yes = CK_TRUE;
    CK_ATTRIBUTE t[] = {{CKA_VALUE_LEN, &len, sizeof len},
                        {CKA_ENCRYPT, &yes, sizeof yes},
                        {CKA_DECRYPT, &yes, sizeof yes}};
    CK_OBJECT_HANDLE k = CK_INVALID_HANDLE;
    EXPECT_THAT(F()->C_GenerateKey(h_, &m, t, 3, &k), CkrIs(CKR_OK));
    return k;
  }

  CK_SESSION_HANDLE h_ = 0;
  CK_BYTE iv_[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
};

TEST_F(CAbiCryptoTest, EncryptSizeQueryDoesNotEndTheOperation) {
  CK_OBJECT_HANDLE k = AesKey();
  CK_MECHANISM m{CKM_AES_CBC_PAD, iv_, sizeof iv_};
  ASSERT_THAT(F()->C_EncryptInit(h_, &m, k), CkrIs(CKR_OK));
  CK_BYTE plain[20] = {'x'};
  CK_ULONG len = 0;
  ASSERT_THAT(F()->C_Encrypt(h_, plain, sizeof plain, nullptr, &len), CkrIs(CKR_OK));
  EXPECT_EQ(len, 32u);
  CK_BYTE cipher[32];
  CK_ULONG small = 16;
  ASSERT_THAT(F()->C_Encrypt(h_, plain, sizeof plain, cipher, &small), CkrIs(CKR_BUFFER_TOO_SMALL));
  EXPECT_EQ(small, 32u);
  ASSERT_THAT(F()->C_Encrypt(h_, plain, sizeof plain, cipher, &len), CkrIs(CKR_OK));
  EXPECT_EQ(len, 32u);

  ASSERT_THAT(F()->C_DecryptInit(h_, &m, k), CkrIs(CKR_OK));
  CK_BYTE back[32];
  CK_ULONG back_len = sizeof back;
  ASSERT_THAT(F()->C_Decrypt(h_, cipher, len, back, &back_len), CkrIs(CKR_OK));
  ASSERT_EQ(back_len, sizeof plain);
  EXPECT_EQ(memcmp(back, plain, sizeof plain), 0);
}

TEST_F(CAbiCryptoTest, MultipartEncryptMatchesOneShot) {
  CK_OBJECT_HANDLE k = AesKey();
  CK_MECHANISM m{CKM_AES_CBC_PAD, iv_, sizeof iv_};
  CK_BYTE plain[40];
  for (size_t i = 0; i < sizeof plain; ++i) plain[i] = static_cast<CK_BYTE>(i);

  ASSERT_THAT(F()->C_EncryptInit(h_, &m, k), CkrIs(CKR_OK));
  CK_BYTE one[48];
  CK_ULONG one_len = sizeof one;
  ASSERT_THAT(F()->C_Encrypt(h_, plain, sizeof plain, one, &one_len), CkrIs(CKR_OK));

  ASSERT_THAT(F()->C_EncryptInit(h_, &m, k), CkrIs(CKR_OK));
  CK_BYTE multi[64];
  CK_ULONG total = 0;
  for (size_t off = 0; off < sizeof plain; off += 10) {
    CK_ULONG n = sizeof multi - total;
    ASSERT_THAT(F()->C_EncryptUpdate(h_, plain + off, 10, multi + total, &n), CkrIs(CKR_OK));
    total += n;
  }
  CK_ULONG n = 0;
  ASSERT_THAT(F()->C_EncryptFinal(h_, nullptr, &n), CkrIs(CKR_OK));
  ASSERT_THAT(F()->C_EncryptFinal(h_, multi + total, &n), CkrIs(CKR_OK));
  total += n;
  ASSERT_EQ(total, one_len);
  EXPECT_EQ(memcmp(one, multi, total), 0);
}

TEST_F(CAbiCryptoTest, EncryptErrorOtherThanShortBufferEndsTheOperation) {
  CK_OBJECT_HANDLE k = AesKey();
  CK_MECHANISM m{CKM_AES_CBC, iv_, sizeof iv_};  // no padding: 16-byte blocks only
  ASSERT_THAT(F()->C_EncryptInit(h_, &m, k), CkrIs(CKR_OK));
  CK_BYTE plain[15] = {};
  CK_BYTE out[32];
  CK_ULONG len = sizeof out;
  EXPECT_THAT(F()->C_Encrypt(h_, plain, sizeof plain, out, &len), CkrIs(CKR_DATA_LEN_RANGE));
  EXPECT_THAT(F()->C_Encrypt(h_, plain, 16, out, &len), CkrIs(CKR_OPERATION_NOT_INITIALIZED));
}

TEST_F(CAbiCryptoTest, DigestEncryptUpdateFeedsBothOperations) {
  CK_OBJECT_HANDLE k = AesKey();
  CK_MECHANISM enc{CKM_AES_CBC_PAD, iv_, sizeof iv_};
  CK_MECHANISM dig{CKM_SHA256, nullptr, 0};
  ASSERT_THAT(F()->C_EncryptInit(h_, &enc, k), CkrIs(CKR_OK));
  ASSERT_THAT(F()->C_DigestInit(h_, &dig), CkrIs(CKR_OK));
  CK_BYTE plain[32];
  for (size_t i = 0; i < sizeof plain; ++i) plain[i] = static_cast<CK_BYTE>(i * 3);
  CK_BYTE cipher[64];
  CK_ULONG len = sizeof cipher;
  ASSERT_THAT(F()->C_DigestEncryptUpdate(h_, plain, sizeof plain, cipher, &len), CkrIs(CKR_OK));
  CK_ULONG last = sizeof cipher - len;
  ASSERT_THAT(F()->C_EncryptFinal(h_, cipher + len, &last), CkrIs(CKR_OK));
  CK_BYTE digest[32];
  CK_ULONG dlen = sizeof digest;
  ASSERT_THAT(F()->C_DigestFinal(h_, digest, &dlen), CkrIs(CKR_OK));
  CK_BYTE want[32];
  SHA256(plain, sizeof plain, want);
  EXPECT_EQ(memcmp(digest, want, 32), 0);

  // And back: DecryptDigestUpdate digests the recovered plaintext.
  const CK_ULONG cipher_len = len + last;
  ASSERT_THAT(F()->C_DecryptInit(h_, &enc, k), CkrIs(CKR_OK));
  ASSERT_THAT(F()->C_DigestInit(h_, &dig), CkrIs(CKR_OK));
  CK_BYTE plain2[64];
  CK_ULONG p2 = sizeof plain2;
  ASSERT_THAT(F()->C_DecryptDigestUpdate(h_, cipher, cipher_len, plain2, &p2), CkrIs(CKR_OK));
  CK_ULONG p2last = sizeof plain2 - p2;
  ASSERT_THAT(F()->C_DecryptFinal(h_, plain2 + p2, &p2last), CkrIs(CKR_OK));
  ASSERT_EQ(p2 + p2last, sizeof plain);
  EXPECT_EQ(memcmp(plain2, plain, sizeof plain), 0);
}

TEST_F(CAbiCryptoTest, DualUpdateWithoutBothOperationsFailsNotInitialized) {
  CK_BYTE in[16] = {}, out[32];
  CK_ULONG len = sizeof out;
  EXPECT_THAT(F()->C_DigestEncryptUpdate(h_, in, sizeof in, out, &len),
              CkrIs(CKR_OPERATION_NOT_INITIALIZED));
}

TEST_F(CAbiCryptoTest, MessageEncryptAesGcmRoundTrip) {
  CK_OBJECT_HANDLE k = AesKey();
  CK_MECHANISM m{CKM_AES_GCM, nullptr, 0};
  ASSERT_THAT(F()->C_MessageEncryptInit(h_, &m, k), CkrIs(CKR_OK));
  CK_BYTE iv[12] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2};
  CK_BYTE tag[16] = {};
  CK_GCM_MESSAGE_PARAMS p{iv, sizeof iv, 0, CKG_NO_GENERATE, tag, 128};
  CK_BYTE aad[] = {'h', 'd', 'r'};
  CK_BYTE plain[] = "message one";
  CK_BYTE cipher[64];
  CK_ULONG len = sizeof cipher;
  ASSERT_THAT(
      F()->C_EncryptMessage(h_, &p, sizeof p, aad, sizeof aad, plain, sizeof plain, cipher, &len),
      CkrIs(CKR_OK));
  ASSERT_THAT(F()->C_MessageEncryptFinal(h_), CkrIs(CKR_OK));

  ASSERT_THAT(F()->C_MessageDecryptInit(h_, &m, k), CkrIs(CKR_OK));
  CK_BYTE back[64];
  CK_ULONG back_len = sizeof back;
  ASSERT_THAT(
      F()->C_DecryptMessage(h_, &p, sizeof p, aad, sizeof aad, cipher, len, back, &back_len),
      CkrIs(CKR_OK));
  ASSERT_EQ(back_len, sizeof plain);
  EXPECT_EQ(memcmp(back, plain, sizeof plain), 0);
  ASSERT_THAT(F()->C_MessageDecryptFinal(h_), CkrIs(CKR_OK));
}

TEST_F(CAbiCryptoTest, EncryptMessageWithoutInitFailsNotInitialized) {
  CK_BYTE iv[12] = {}, tag[16] = {};
  CK_GCM_MESSAGE_PARAMS p{iv, sizeof iv, 0, CKG_NO_GENERATE, tag, 128};
  CK_BYTE out[16];
  CK_ULONG len = sizeof out;
  EXPECT_THAT(F()->C_EncryptMessage(h_, &p, sizeof p, nullptr, 0, nullptr, 0, out, &len),
              CkrIs(CKR_OPERATION_NOT_INITIALIZED));
  EXPECT_THAT(F()->C_MessageEncryptFinal(h_), CkrIs(CKR_OPERATION_NOT_INITIALIZED));
}

TEST_F(CAbiCryptoTest, EcKeyPairSignsAndVerifies) {
  CK_BYTE p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
  CK_BBOOL yes = CK_TRUE;
  CK_ATTRIBUTE pub_t[] = {{CKA_EC_PARAMS, p256, sizeof p256}, {CKA_VERIFY, &yes, sizeof yes}};
  CK_ATTRIBUTE priv_t[] = {{CKA_SIGN, &yes, sizeof yes}, {CKA_SENSITIVE, &yes, sizeof yes}};
  CK_MECHANISM gen{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
  CK_OBJECT_HANDLE pub = 0, priv = 0;
  ASSERT_THAT(F()->C_GenerateKeyPair(h_, &gen, pub_t, 2, priv_t, 2, &pub, &priv), CkrIs(CKR_OK));
  EXPECT_THAT(F()->C_GenerateKeyPair(h_, &gen, pub_t, 2, priv_t, 2, &pub, nullptr),
              CkrIs(CKR_ARGUMENTS_BAD));

  CK_MECHANISM m{CKM_ECDSA_SHA256, nullptr, 0};
  CK_BYTE data[] = "to be signed";
  ASSERT_THAT(F()->C_SignInit(h_, &m, priv), CkrIs(CKR_OK));
  CK_ULONG len = 0;
  ASSERT_THAT(F()->C_Sign(h_, data, sizeof data, nullptr, &len), CkrIs(CKR_OK));
  EXPECT_EQ(len, 64u);
  CK_BYTE sig[64];
  ASSERT_THAT(F()->C_Sign(h_, data, sizeof data, sig, &len), CkrIs(CKR_OK));

  ASSERT_THAT(F()->C_VerifyInit(h_, &m, pub), CkrIs(CKR_OK));
  EXPECT_THAT(F()->C_Verify(h_, data, sizeof data, sig, len), CkrIs(CKR_OK));
  ASSERT_THAT(F()->C_VerifyInit(h_, &m, pub), CkrIs(CKR_OK));
  ASSERT_THAT(F()->C_VerifyUpdate(h_, data, 5), CkrIs(CKR_OK));
  ASSERT_THAT(F()->C_VerifyUpdate(h_, data + 5, sizeof data - 5), CkrIs(CKR_OK));
  EXPECT_THAT(F()->C_VerifyFinal(h_, sig, len), CkrIs(CKR_OK));
  sig[10] ^= 1;
  ASSERT_THAT(F()->C_VerifyInit(h_, &m, pub), CkrIs(CKR_OK));
  EXPECT_THAT(F()->C_Verify(h_, data, sizeof data, sig, len), CkrIs(CKR_SIGNATURE_INVALID));

  // The private value stays hidden; the public point is readable.
  CK_ATTRIBUTE get[] = {{CKA_VALUE, nullptr, 0}, {CKA_EC_POINT, nullptr, 0}};
  EXPECT_THAT(F()->C_GetAttributeValue(h_, priv, get, 1), CkrIs(CKR_ATTRIBUTE_SENSITIVE));
  EXPECT_THAT(F()->C_GetAttributeValue(h_, pub, get + 1, 1), CkrIs(CKR_OK));
  EXPECT_EQ(get[1].ulValueLen, 67u);  // DER OCTET STRING of a 65-byte point
}

TEST_F(CAbiCryptoTest, SignWithPublicKeyFailsKeyTypeOrFunction) {
  CK_BYTE p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
  CK_ATTRIBUTE pub_t[] = {{CKA_EC_PARAMS, p256, sizeof p256}};
  CK_MECHANISM gen{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
  CK_OBJECT_HANDLE pub = 0, priv = 0;
  ASSERT_THAT(F()->C_GenerateKeyPair(h_, &gen, pub_t, 1, nullptr, 0, &pub, &priv), CkrIs(CKR_OK));
  CK_MECHANISM m{CKM_ECDSA, nullptr, 0};
  const CK_RV rv = F()->C_SignInit(h_, &m, pub);
  EXPECT_TRUE(rv == CKR_KEY_TYPE_INCONSISTENT || rv == CKR_KEY_FUNCTION_NOT_PERMITTED)
      << CkrName(rv);
  EXPECT_THAT(F()->C_SignInit(h_, &m, 0xdead), CkrIs(CKR_KEY_HANDLE_INVALID));
}

}  // namespace
}  // namespace cryptoki::testing
