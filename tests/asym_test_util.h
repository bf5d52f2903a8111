// asym_test_util.h: what the asymmetric mechanism tests share: a fixture
// that signs and verifies single-part through the C++ API, and one RSA key
// made once per test binary (generation is slow).
#ifndef CRYPTOKI_TESTS_ASYM_TEST_UTIL_H_
#define CRYPTOKI_TESTS_ASYM_TEST_UTIL_H_

#include <openssl/bn.h>
#include <openssl/rsa.h>

#include <cstdlib>

#include "tests/mech_test_util.h"

namespace cryptoki::testing {

// SharedRsa returns a 2048-bit key (with its CRT values) made on first use.
inline RSA* SharedRsa() {
  static RSA* rsa = [] {
    RSA* r = RSA_new();
    bssl::UniquePtr<BIGNUM> e(BN_new());
    BN_set_word(e.get(), RSA_F4);
    if (!RSA_generate_key_ex(r, 2048, e.get(), nullptr)) std::abort();
    return r;
  }();
  return rsa;
}

// RFC 8032 section 7.1, test 1: an Ed25519 seed, its public key, and the
// signature of the empty message.
struct Rfc8032Test1 {
  Bytes seed = Hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  Bytes pub = Hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  Bytes signature =
      Hex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
          "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
};

class AsymTest : public MechTest {
 protected:
  // Sign returns the single-part signature of |data| by |key| with |m|.
  Result<Bytes> Sign(ObjectHandle key, const Mechanism& m, ByteView data) {
    CRYPTOKI_TRY(SignInit(s(), m, key));
    return RunOneShot(OpKind::kSign, data);
  }
  // Verify checks |sig| over |data| with |key|: kSignatureInvalid, ...
  Result<> Verify(ObjectHandle key, const Mechanism& m, ByteView data, ByteView sig) {
    CRYPTOKI_TRY(VerifyInit(s(), m, key));
    return s().VerifyOneShot(OpKind::kVerify, data, sig);
  }
};

}  // namespace cryptoki::testing

#endif  // CRYPTOKI_TESTS_ASYM_TEST_UTIL_H_
