// The 3.0 message API through the C++ API: whole and multi-part messages for
// AES-GCM and ChaCha20-Poly1305 (checked against the Wycheproof vectors),
// message signing for the signature mechanisms, and the one-message-at-a-time
// rules with their exact codes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cryptoki/mechanism.h"
#include "tests/mech_test_util.h"
#include "tests/wycheproof.h"

namespace cryptoki::testing {
namespace {

using MessageTest = MechTest;

MessageParams Params(bool gcm, std::span<uint8_t> iv, std::span<uint8_t> tag,
                     CK_GENERATOR_FUNCTION gen = CKG_NO_GENERATE, CK_ULONG fixed_bits = 0) {
  if (gcm) return mech::GcmMessageParams{iv, fixed_bits, gen, tag};
  return mech::ChaCha20Poly1305MessageParams{iv, tag};
}

// RunParts feeds |in| to the begun message of |kind| in |chunk|-byte parts
// (two calls each: the length, then the part) and returns what came out.
// Decryption must release nothing before the last part.
Result<Bytes> RunParts(Session& s, OpKind kind, MessageParams& p, ByteView in, size_t chunk) {
  auto next = kind == OpKind::kMessageEncrypt ? EncryptMessageNext : DecryptMessageNext;
  Bytes out;
  size_t i = 0;
  do {
    const size_t n = std::min(chunk, in.size() - i);
    const bool last = i + n == in.size();
    Output q = Output::Query();
    CRYPTOKI_TRY(next(s, p, in.subspan(i, n), q, last));
    if (kind == OpKind::kMessageDecrypt && !last && q.length != 0) return Fail(Rv::kGeneralError);
    Bytes part(q.length);
    Output o = Output::Into(part);
    CRYPTOKI_TRY(next(s, p, in.subspan(i, n), o, last));
    out.insert(out.end(), part.begin(), part.begin() + o.length);
    i += n;
  } while (i < in.size());
  return out;
}

// StreamEncrypt encrypts |msg| as one multi-part message in |chunk|-byte
// parts; returns ciphertext || tag.
Result<Bytes> StreamEncrypt(Session& s, bool gcm, Bytes iv, ByteView aad, ByteView msg,
                            size_t chunk, size_t tag_len = 16) {
  Bytes tag(tag_len);
  MessageParams p = Params(gcm, iv, tag);
  CRYPTOKI_TRY(EncryptMessageBegin(s, p, aad));
  auto out = RunParts(s, OpKind::kMessageEncrypt, p, msg, chunk);
  if (out) out->insert(out->end(), tag.begin(), tag.end());
  return out;
}

// StreamDecrypt decrypts ciphertext || tag (|tag_len| bytes) in parts.
Result<Bytes> StreamDecrypt(Session& s, bool gcm, Bytes iv, ByteView aad, ByteView ct_tag,
                            size_t chunk, size_t tag_len = 16) {
  if (ct_tag.size() < tag_len) return Fail(Rv::kEncryptedDataLenRange);
  Bytes tag(ct_tag.end() - tag_len, ct_tag.end());
  MessageParams p = Params(gcm, iv, tag);
  CRYPTOKI_TRY(DecryptMessageBegin(s, p, aad));
  return RunParts(s, OpKind::kMessageDecrypt, p, ct_tag.first(ct_tag.size() - tag_len), chunk);
}

// The Wycheproof AEAD vectors through multi-part messages, in several part
// sizes: valid cases give the vector's ciphertext and tag and decrypt back;
// invalid ones fail at the last part with kAeadDecryptFailed, and the
// operation goes on to the next message.
void RunWycheproofStreams(MessageTest& t, const char* file, bool gcm) {
  int valid = 0, invalid = 0;
  for (const WycheproofCase& c : LoadWycheproof(file)) {
    const Bytes iv = c.GetBytes("iv"), aad = c.GetBytes("aad"), msg = c.GetBytes("msg");
    const Bytes tag = c.GetBytes("tag");
    // The message parameters carry whole-byte tags of 4 to 16 bytes, and
    // ChaCha20-Poly1305 takes 12-byte nonces only.
    if (iv.empty() || tag.size() < 12 || (!gcm && iv.size() != 12)) continue;
    SCOPED_TRACE(::testing::Message() << file << " tcId " << c.tc_id);
    Bytes ct = c.GetBytes("ct");
    ct.insert(ct.end(), tag.begin(), tag.end());
    const ObjectHandle k = t.SecretKey(gcm ? CKK_AES : CKK_CHACHA20, c.GetBytes("key"));
    const Mechanism m{gcm ? CKM_AES_GCM : CKM_CHACHA20_POLY1305};
    ASSERT_THAT(MessageEncryptInit(t.s(), m, k), IsOk());
    ASSERT_THAT(MessageDecryptInit(t.s(), m, k), IsOk());
    for (size_t chunk : {size_t{1}, size_t{7}, size_t{64}, size_t{1000}}) {
      auto pt = StreamDecrypt(t.s(), gcm, iv, aad, ct, chunk, tag.size());
      if (c.Valid()) {
        ASSERT_THAT(pt, IsOk());
        EXPECT_EQ(ToHex(*pt), ToHex(msg));
        ASSERT_OK_AND_ASSIGN(Bytes got, StreamEncrypt(t.s(), gcm, iv, aad, msg, chunk, tag.size()));
        EXPECT_EQ(ToHex(got), ToHex(ct));
      } else {
        EXPECT_THAT(pt, RvIs(Rv::kAeadDecryptFailed));
      }
    }
    c.Valid() ? ++valid : ++invalid;
    ASSERT_THAT(MessageEncryptFinal(t.s()), IsOk());
    ASSERT_THAT(MessageDecryptFinal(t.s()), IsOk());
    ASSERT_THAT(t.s().DestroyObject(k), IsOk());
  }
  EXPECT_GT(valid, 10);
  EXPECT_GT(invalid, 5);
}

TEST_F(MessageTest, AesGcmMultiPartMessagesMatchWycheproof) {
  RunWycheproofStreams(*this, "aes_gcm_test.txt", true);
}

TEST_F(MessageTest, ChaCha20Poly1305MultiPartMessagesMatchWycheproof) {
  RunWycheproofStreams(*this, "chacha20_poly1305_test.txt", false);
}

// A long ChaCha20-Poly1305 message in odd part sizes (crossing block
// boundaries) gives what the whole-message call gives.
TEST_F(MessageTest, ChaChaStreamMatchesWholeMessageAcrossBlocks) {
  const ObjectHandle k = SecretKey(CKK_CHACHA20, Bytes(32, 5));
  ASSERT_THAT(MessageEncryptInit(s(), Mechanism{CKM_CHACHA20_POLY1305}, k), IsOk());
  Bytes msg(1000);
  for (size_t i = 0; i < msg.size(); ++i) msg[i] = static_cast<uint8_t>(i * 7);
  Bytes iv(12, 3), tag(16), ct(msg.size());
  MessageParams p = Params(false, iv, tag);
  Output o = Output::Into(ct);
  ASSERT_THAT(EncryptMessage(s(), p, AsBytes("aad"), msg, o), IsOk());
  ct.insert(ct.end(), tag.begin(), tag.end());
  for (size_t chunk : {size_t{3}, size_t{63}, size_t{65}, size_t{130}, size_t{999}}) {
    ASSERT_OK_AND_ASSIGN(Bytes got, StreamEncrypt(s(), false, iv, AsBytes("aad"), msg, chunk));
    EXPECT_EQ(ToHex(got), ToHex(ct)) << chunk;
  }
}

// A GCM tag shorter than 16 bytes: the message API agrees with C_Encrypt.
TEST_F(MessageTest, GcmShortTagAgreesWithSinglePartEncrypt) {
  const ObjectHandle k = SecretKey(CKK_AES, Bytes(16, 8));
  const Bytes iv(12, 1), aad = {1, 2, 3}, msg(40, 9);
  ASSERT_THAT(EncryptInit(s(), Mechanism{CKM_AES_GCM, mech::GcmParams{iv, aad, 96}}, k), IsOk());
  ASSERT_OK_AND_ASSIGN(Bytes want, RunOneShot(OpKind::kEncrypt, msg));
  ASSERT_THAT(MessageEncryptInit(s(), Mechanism{CKM_AES_GCM}, k), IsOk());
  ASSERT_THAT(MessageDecryptInit(s(), Mechanism{CKM_AES_GCM}, k), IsOk());
  ASSERT_OK_AND_ASSIGN(Bytes got, StreamEncrypt(s(), true, iv, aad, msg, 16, 12));
  EXPECT_EQ(ToHex(got), ToHex(want));
  Bytes ivc = iv, tag(12), ct(msg.size());
  MessageParams p = Params(true, ivc, tag);
  Output o = Output::Into(ct);
  ASSERT_THAT(EncryptMessage(s(), p, aad, msg, o), IsOk());
  ct.insert(ct.end(), tag.begin(), tag.end());
  EXPECT_EQ(ToHex(ct), ToHex(want));
  ASSERT_OK_AND_ASSIGN(Bytes back, StreamDecrypt(s(), true, iv, aad, want, 5, 12));
  EXPECT_EQ(back, msg);
  // Tags of other sizes are refused.
  Bytes bad_tag(11);
  MessageParams bad = Params(true, ivc, bad_tag);
  EXPECT_THAT(EncryptMessageBegin(s(), bad, {}), RvIs(Rv::kMechanismParamInvalid));
}

TEST_F(MessageTest, OneMessageAtATime) {
  const ObjectHandle k = SecretKey(CKK_AES, Bytes(32, 2));
  Bytes iv(12), tag(16), out(8);
  MessageParams p = Params(true, iv, tag);
  Output o = Output::Into(out);
  // Nothing before the init call.
  EXPECT_THAT(EncryptMessageBegin(s(), p, {}), RvIs(Rv::kOperationNotInitialized));
  ASSERT_THAT(MessageEncryptInit(s(), Mechanism{CKM_AES_GCM}, k), IsOk());
  EXPECT_THAT(MessageEncryptInit(s(), Mechanism{CKM_AES_GCM}, k), RvIs(Rv::kOperationActive));
  // A part needs a message begun.
  EXPECT_THAT(EncryptMessageNext(s(), p, Bytes(8), o, false), RvIs(Rv::kOperationNotInitialized));
  ASSERT_THAT(EncryptMessageBegin(s(), p, {}), IsOk());
  EXPECT_THAT(EncryptMessageBegin(s(), p, {}), RvIs(Rv::kOperationActive));
  EXPECT_THAT(EncryptMessage(s(), p, {}, Bytes(8), o), RvIs(Rv::kOperationActive));
  // A short buffer keeps the message; the retry works.
  Bytes small(3);
  Output short_out = Output::Into(small);
  EXPECT_THAT(EncryptMessageNext(s(), p, Bytes(8), short_out, false), RvIs(Rv::kBufferTooSmall));
  EXPECT_EQ(short_out.length, 8u);
  ASSERT_THAT(EncryptMessageNext(s(), p, Bytes(8), o, true), IsOk());
  // The message ended: a whole message now works, and a part does not.
  EXPECT_THAT(EncryptMessageNext(s(), p, Bytes(8), o, true), RvIs(Rv::kOperationNotInitialized));
  Output o2 = Output::Into(out);
  EXPECT_THAT(EncryptMessage(s(), p, {}, Bytes(8), o2), IsOk());
  // Final ends the operation, even in the middle of a message.
  ASSERT_THAT(EncryptMessageBegin(s(), p, {}), IsOk());
  ASSERT_THAT(MessageEncryptFinal(s()), IsOk());
  EXPECT_FALSE(s().IsActive(OpKind::kMessageEncrypt));
  EXPECT_THAT(MessageEncryptFinal(s()), RvIs(Rv::kOperationNotInitialized));
}

TEST_F(MessageTest, FailedMessageLeavesTheOperationActive) {
  const ObjectHandle k = SecretKey(CKK_CHACHA20, Bytes(32, 4));
  ASSERT_THAT(MessageDecryptInit(s(), Mechanism{CKM_CHACHA20_POLY1305}, k), IsOk());
  Bytes iv(12), tag(16), out(4);
  MessageParams p = Params(false, iv, tag);
  Output o = Output::Into(out);
  EXPECT_THAT(DecryptMessage(s(), p, {}, Bytes(4), o), RvIs(Rv::kAeadDecryptFailed));
  EXPECT_TRUE(s().IsActive(OpKind::kMessageDecrypt));
  // A multi-part message that fails is abandoned; the next one may begin.
  ASSERT_THAT(DecryptMessageBegin(s(), p, {}), IsOk());
  Output none = Output::Into(out);
  ASSERT_THAT(DecryptMessageNext(s(), p, Bytes(2), none, false), IsOk());
  EXPECT_EQ(none.length, 0u);
  Output o2 = Output::Into(out);
  EXPECT_THAT(DecryptMessageNext(s(), p, Bytes(2), o2, true), RvIs(Rv::kAeadDecryptFailed));
  EXPECT_THAT(DecryptMessageNext(s(), p, Bytes(2), o2, true), RvIs(Rv::kOperationNotInitialized));
  EXPECT_THAT(DecryptMessageBegin(s(), p, {}), IsOk());
  // A parameter of the other mechanism is refused, and the message abandoned.
  Bytes gcm_tag(16);
  MessageParams wrong = Params(true, iv, gcm_tag);
  EXPECT_THAT(DecryptMessageNext(s(), wrong, {}, o2, true), RvIs(Rv::kMechanismParamInvalid));
  EXPECT_THAT(DecryptMessageNext(s(), p, {}, o2, true), RvIs(Rv::kOperationNotInitialized));
  // Decryption never generates IVs.
  MessageParams gen = Params(true, iv, gcm_tag, CKG_GENERATE_RANDOM, 32);
  const ObjectHandle aes = SecretKey(CKK_AES, Bytes(16, 4));
  ASSERT_THAT(MessageDecryptInit(s(), Mechanism{CKM_AES_GCM}, aes), RvIs(Rv::kOperationActive));
  ASSERT_THAT(MessageDecryptFinal(s()), IsOk());
  ASSERT_THAT(MessageDecryptInit(s(), Mechanism{CKM_AES_GCM}, aes), IsOk());
  EXPECT_THAT(DecryptMessageBegin(s(), gen, {}), RvIs(Rv::kMechanismParamInvalid));
}

TEST_F(MessageTest, BeginGeneratesCounterIvs) {
  const ObjectHandle k = SecretKey(CKK_AES, Bytes(16, 6));
  ASSERT_THAT(MessageEncryptInit(s(), Mechanism{CKM_AES_GCM}, k), IsOk());
  ASSERT_THAT(MessageDecryptInit(s(), Mechanism{CKM_AES_GCM}, k), IsOk());
  Bytes last_iv;
  for (int i = 0; i < 3; ++i) {
    Bytes iv(12, 0xfe), tag(16), ct(5);
    MessageParams p = Params(true, iv, tag, CKG_GENERATE_COUNTER, 64);
    ASSERT_THAT(EncryptMessageBegin(s(), p, AsBytes("h")), IsOk());
    EXPECT_EQ(ToHex(iv), "fefefefefefefefe0000000" + std::to_string(i));
    Output o = Output::Into(ct);
    ASSERT_THAT(EncryptMessageNext(s(), p, AsBytes("hello"), o, true), IsOk());
    ct.insert(ct.end(), tag.begin(), tag.end());
    ASSERT_OK_AND_ASSIGN(Bytes back, StreamDecrypt(s(), true, iv, AsBytes("h"), ct, 2));
    EXPECT_EQ(AsStringView(back), "hello");
  }
}

// Message signing: every signature mechanism offers it.
TEST_F(MessageTest, SignatureMechanismsOfferMessageSigning) {
  for (CK_MECHANISM_TYPE t :
       {CKM_SHA256_HMAC, CKM_AES_CMAC, CKM_ECDSA_SHA256, CKM_EDDSA, CKM_SHA256_RSA_PKCS_PSS}) {
    auto info = GetMechanismInfo(TestConfig(), t);
    ASSERT_TRUE(info.has_value()) << t;
    EXPECT_EQ(info->flags & (CKF_MESSAGE_SIGN | CKF_MESSAGE_VERIFY),
              CKF_MESSAGE_SIGN | CKF_MESSAGE_VERIFY)
        << t;
  }
  auto digest = GetMechanismInfo(TestConfig(), CKM_SHA256);
  ASSERT_TRUE(digest.has_value());
  EXPECT_EQ(digest->flags & CKF_MESSAGE_SIGN, 0u);
  EXPECT_THAT(MessageSignInit(s(), Mechanism{CKM_SHA256}, SecretKey(CKK_GENERIC_SECRET, Bytes(32))),
              RvIs(Rv::kMechanismInvalid));
}

TEST_F(MessageTest, HmacMessagesEqualSignAndVerify) {
  const ObjectHandle k = SecretKey(CKK_GENERIC_SECRET, Bytes(32, 0x11));
  const Mechanism m{CKM_SHA256_HMAC};
  const ByteView msg = AsBytes("the message to authenticate, in three parts");
  ASSERT_THAT(SignInit(s(), m, k), IsOk());
  ASSERT_OK_AND_ASSIGN(Bytes want, RunOneShot(OpKind::kSign, msg));

  ASSERT_THAT(MessageSignInit(s(), m, k), IsOk());
  MessageParams none;
  for (int i = 0; i < 2; ++i) {  // the operation signs message after message
    Output q = Output::Query();
    ASSERT_THAT(SignMessage(s(), none, msg, q), IsOk());
    EXPECT_EQ(q.length, 32u);
    Bytes sig(32);
    Output o = Output::Into(sig);
    ASSERT_THAT(SignMessage(s(), none, msg, o), IsOk());
    EXPECT_EQ(ToHex(sig), ToHex(want));
  }
  // Multi-part: a query or a short buffer on the last part consumes nothing.
  ASSERT_THAT(SignMessageBegin(s(), none), IsOk());
  ASSERT_THAT(SignMessageNext(s(), none, ByteView(msg).first(10), nullptr), IsOk());
  ASSERT_THAT(SignMessageNext(s(), none, ByteView(msg).subspan(10, 10), nullptr), IsOk());
  Output q = Output::Query();
  ASSERT_THAT(SignMessageNext(s(), none, ByteView(msg).subspan(20), &q), IsOk());
  EXPECT_EQ(q.length, 32u);
  Bytes small(31);
  Output short_out = Output::Into(small);
  EXPECT_THAT(SignMessageNext(s(), none, ByteView(msg).subspan(20), &short_out),
              RvIs(Rv::kBufferTooSmall));
  Bytes sig(32);
  Output o = Output::Into(sig);
  ASSERT_THAT(SignMessageNext(s(), none, ByteView(msg).subspan(20), &o), IsOk());
  EXPECT_EQ(ToHex(sig), ToHex(want));
  ASSERT_THAT(MessageSignFinal(s()), IsOk());

  ASSERT_THAT(MessageVerifyInit(s(), m, k), IsOk());
  EXPECT_THAT(VerifyMessage(s(), none, msg, want), IsOk());
  Bytes bad = want;
  bad[0] ^= 1;
  EXPECT_THAT(VerifyMessage(s(), none, msg, bad), RvIs(Rv::kSignatureInvalid));
  EXPECT_THAT(VerifyMessage(s(), none, msg, ByteView(want).first(31)),
              RvIs(Rv::kSignatureLenRange));
  // A failed verification leaves the operation for the next message.
  ASSERT_THAT(VerifyMessageBegin(s(), none), IsOk());
  ASSERT_THAT(VerifyMessageNext(s(), none, ByteView(msg).first(5), std::nullopt), IsOk());
  EXPECT_THAT(VerifyMessageNext(s(), none, ByteView(msg).subspan(5), want), IsOk());
  EXPECT_THAT(VerifyMessageNext(s(), none, {}, want), RvIs(Rv::kOperationNotInitialized));
  ASSERT_THAT(MessageVerifyFinal(s()), IsOk());
  EXPECT_THAT(MessageVerifyFinal(s()), RvIs(Rv::kOperationNotInitialized));
}

TEST_F(MessageTest, EdDsaAndEcdsaMessagesVerifyAsOrdinarySignatures) {
  ASSERT_OK_AND_ASSIGN(auto ed, GenerateKeyPair(s(), Mechanism{CKM_EC_EDWARDS_KEY_PAIR_GEN},
                                                {attr::EcParams{Hex("06032b6570")}}, {}));
  ASSERT_OK_AND_ASSIGN(auto ec, GenerateKeyPair(s(), Mechanism{CKM_EC_KEY_PAIR_GEN},
                                                {attr::EcParams{Hex("06082a8648ce3d030107")}}, {}));
  const ByteView msg = AsBytes("sign me as a message");
  MessageParams none;
  for (auto [mech, pair] : {std::pair{CKM_EDDSA, ed}, std::pair{CKM_ECDSA_SHA256, ec}}) {
    SCOPED_TRACE(mech);
    ASSERT_THAT(MessageSignInit(s(), Mechanism{mech}, pair.second), IsOk());
    Bytes sig(64);
    Output o = Output::Into(sig);
    ASSERT_THAT(SignMessage(s(), none, msg, o), IsOk());
    ASSERT_THAT(MessageSignFinal(s()), IsOk());
    ASSERT_THAT(VerifyInit(s(), Mechanism{mech}, pair.first), IsOk());
    EXPECT_THAT(s().VerifyOneShot(OpKind::kVerify, msg, ByteView(sig).first(o.length)), IsOk());
    // And the message verifier accepts it, whole or in parts.
    ASSERT_THAT(MessageVerifyInit(s(), Mechanism{mech}, pair.first), IsOk());
    EXPECT_THAT(VerifyMessage(s(), none, msg, ByteView(sig).first(o.length)), IsOk());
    ASSERT_THAT(VerifyMessageBegin(s(), none), IsOk());
    ASSERT_THAT(VerifyMessageNext(s(), none, ByteView(msg).first(4), std::nullopt), IsOk());
    EXPECT_THAT(
        VerifyMessageNext(s(), none, ByteView(msg).subspan(4), ByteView(sig).first(o.length)),
        IsOk());
    ASSERT_THAT(MessageVerifyFinal(s()), IsOk());
  }
}

TEST_F(MessageTest, MessageSigningKeepsTheKeyRules) {
  const ObjectHandle no_sign = SecretKey(CKK_GENERIC_SECRET, Bytes(32), {attr::Sign{false}});
  EXPECT_THAT(MessageSignInit(s(), Mechanism{CKM_SHA256_HMAC}, no_sign),
              RvIs(Rv::kKeyFunctionNotPermitted));
  const ObjectHandle aes = SecretKey(CKK_AES, Bytes(16));
  EXPECT_THAT(MessageSignInit(s(), Mechanism{CKM_SHA256_HMAC}, aes),
              RvIs(Rv::kKeyTypeInconsistent));
  EXPECT_FALSE(s().IsActive(OpKind::kMessageSign));
  // A per-message parameter is refused: signatures take none.
  const ObjectHandle k = SecretKey(CKK_GENERIC_SECRET, Bytes(32));
  ASSERT_THAT(MessageSignInit(s(), Mechanism{CKM_SHA256_HMAC}, k), IsOk());
  Bytes iv(12), tag(16), sig(32);
  MessageParams gcm = Params(true, iv, tag);
  Output o = Output::Into(sig);
  EXPECT_THAT(SignMessage(s(), gcm, AsBytes("x"), o), RvIs(Rv::kMechanismParamInvalid));
  MessageParams none;
  EXPECT_THAT(SignMessage(s(), none, AsBytes("x"), o), IsOk());
}

}  // namespace
}  // namespace cryptoki::testing
