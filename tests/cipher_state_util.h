// cipher_state_util.h: runs a multi-part cipher operation across two
// sessions, for the tests of saved operation states (C_GetOperationState /
// C_SetOperationState) of the block cipher modes.
#ifndef CRYPTOKI_TESTS_CIPHER_STATE_UTIL_H_
#define CRYPTOKI_TESTS_CIPHER_STATE_UTIL_H_

#include "tests/mech_test_util.h"

namespace cryptoki::testing {

// RunAcrossSessions starts |kind| (kEncrypt or kDecrypt) with |m| and |key| on
// t.s(), feeds the first |split| bytes of |in|, saves the state, cancels,
// restores the state in a new session and finishes there (Update with the
// rest, then Final). Returns all the output, or the first error.
inline Result<Bytes> RunAcrossSessions(MechTest& t, OpKind kind, const Mechanism& m,
                                       ObjectHandle key, ByteView in, size_t split) {
  CRYPTOKI_TRY(kind == OpKind::kEncrypt ? EncryptInit(t.s(), m, key) : DecryptInit(t.s(), m, key));
  Bytes all;
  auto step = [&](Session& ss, std::optional<ByteView> part) -> Result<> {
    Output q = Output::Query();
    CRYPTOKI_TRY(part ? ss.Update(kind, *part, q) : ss.Final(kind, q));
    Bytes out(q.length);
    Output o = Output::Into(out);
    CRYPTOKI_TRY(part ? ss.Update(kind, *part, o) : ss.Final(kind, o));
    all.insert(all.end(), out.begin(), out.begin() + o.length);
    return {};
  };
  CRYPTOKI_TRY(step(t.s(), in.first(split)));
  auto state = t.s().GetOperationState();
  if (!state) return Fail(state.error());
  t.s().Cancel(kind);
  auto other = t.token_->OpenSession(SessionKind::kReadWrite);
  if (!other) return Fail(other.error());
  CRYPTOKI_TRY(other->SetOperationState(*state, key, ObjectHandle()));
  CRYPTOKI_TRY(step(*other, in.subspan(split)));
  CRYPTOKI_TRY(step(*other, std::nullopt));
  return all;
}

// ExpectStatesResume checks that |m| with |key| gives the single-part
// results when the operation moves to another session after each of
// |splits| bytes: encrypting |plain|, and decrypting its ciphertext.
inline void ExpectStatesResume(MechTest& t, const Mechanism& m, ObjectHandle key, ByteView plain,
                               std::initializer_list<size_t> splits) {
  ASSERT_THAT(EncryptInit(t.s(), m, key), IsOk());
  ASSERT_OK_AND_ASSIGN(Bytes cipher, t.RunOneShot(OpKind::kEncrypt, plain));
  for (size_t split : splits) {
    SCOPED_TRACE(::testing::Message() << "split after " << split << " bytes");
    ASSERT_LE(split, std::min(plain.size(), cipher.size()));
    auto enc = RunAcrossSessions(t, OpKind::kEncrypt, m, key, plain, split);
    ASSERT_TRUE(enc.has_value()) << to_string(enc.error());
    EXPECT_EQ(ToHex(*enc), ToHex(cipher));
    auto dec = RunAcrossSessions(t, OpKind::kDecrypt, m, key, cipher, split);
    ASSERT_TRUE(dec.has_value()) << to_string(dec.error());
    EXPECT_EQ(ToHex(*dec), ToHex(plain));
  }
}

}  // namespace cryptoki::testing

#endif  // CRYPTOKI_TESTS_CIPHER_STATE_UTIL_H_
