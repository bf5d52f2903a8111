// SP 800-108 (CKM_SP800_108_COUNTER_KDF, CKM_SP800_108_FEEDBACK_KDF) against
// an external oracle: the openssl command's KBKDF (OpenSSL 3, EVP_KDF-KB).
//
// OpenSSL's layout, which the CK_PRF_DATA_PARAM lists below rebuild:
//   counter:  [i]_32 || Label || 0x00 || Context || [L]_32
//   feedback: K(i-1) || [i]_32 || Label || 0x00 || Context || [L]_32, K(0) = IV
// with big-endian 32-bit i and L, and L the bits of all the derived keys.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <string>
#include <vector>

#include "cryptoki/mechanism.h"
#include "tests/mech_test_util.h"

namespace cryptoki::testing {
namespace {

// RunCommand runs |cmd| (stderr joined to stdout) and returns its exit status
// and output.
std::pair<int, std::string> RunCommand(const std::string& cmd) {
  std::string out;
  FILE* f = popen((cmd + " 2>&1").c_str(), "r");
  if (f == nullptr) return {-1, "popen failed"};
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
  return {pclose(f), out};
}

// FromOpensslHex reads "3C:B2:5F..." (openssl kdf's output) as bytes.
Bytes FromOpensslHex(const std::string& s) {
  std::string hex;
  for (char c : s)
    if (isxdigit(static_cast<unsigned char>(c))) hex.push_back(c);
  return Hex(hex);
}

// Pattern returns |n| bytes that differ with |seed|.
Bytes Pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + 37 * i);
  return b;
}

struct Prf {
  CK_MECHANISM_TYPE mech;
  CK_KEY_TYPE key_type;
  size_t key_len;
  size_t out_len;  // bytes per PRF block
  const char* openssl;
};
// Key lengths: HMAC keys shorter than the hash, and one longer than its
// block (HMAC hashes it first).
constexpr Prf kPrfs[] = {
    {CKM_SHA_1_HMAC, CKK_GENERIC_SECRET, 20, 20, "-kdfopt mac:HMAC -kdfopt digest:SHA1"},
    {CKM_SHA256_HMAC, CKK_GENERIC_SECRET, 32, 32, "-kdfopt mac:HMAC -kdfopt digest:SHA256"},
    {CKM_SHA384_HMAC, CKK_GENERIC_SECRET, 13, 48, "-kdfopt mac:HMAC -kdfopt digest:SHA384"},
    {CKM_SHA512_HMAC, CKK_GENERIC_SECRET, 150, 64, "-kdfopt mac:HMAC -kdfopt digest:SHA512"},
    {CKM_AES_CMAC, CKK_AES, 16, 16, "-kdfopt mac:CMAC -kdfopt cipher:AES-128-CBC"},
    {CKM_AES_CMAC, CKK_AES, 24, 16, "-kdfopt mac:CMAC -kdfopt cipher:AES-192-CBC"},
    {CKM_AES_CMAC, CKK_AES, 32, 16, "-kdfopt mac:CMAC -kdfopt cipher:AES-256-CBC"},
};
// The keys of one derivation: the primary key, then additional keys. 65
// bytes take several blocks of every PRF.
const std::vector<std::vector<size_t>> kKeySets = {{7}, {32}, {65}, {20, 44}};

class KbkdfOpensslTest : public MechTest {
 public:
  void SetUp() override {
    MechTest::SetUp();
    auto [rc, out] = RunCommand("openssl version");
    ASSERT_EQ(rc, 0) << "the openssl command (the KBKDF oracle) is missing or broken: " << out;
    ASSERT_THAT(out, ::testing::StartsWith("OpenSSL 3")) << "KBKDF needs OpenSSL 3";
  }

  // Openssl derives |len| bytes with openssl's KBKDF.
  Bytes Openssl(const Prf& prf, bool feedback, ByteView key, ByteView label, ByteView context,
                ByteView iv, size_t len) {
    std::string cmd = "openssl kdf -keylen " + std::to_string(len) + " " + prf.openssl +
                      " -kdfopt mode:" + (feedback ? "FEEDBACK" : "COUNTER") +
                      " -kdfopt hexkey:" + ToHex(key) + " -kdfopt hexsalt:" + ToHex(label) +
                      " -kdfopt hexinfo:" + ToHex(context);
    if (feedback) cmd += " -kdfopt hexseed:" + ToHex(iv);
    cmd += " KBKDF";
    SCOPED_TRACE(cmd);
    auto [rc, out] = RunCommand(cmd);
    EXPECT_EQ(rc, 0) << out;
    Bytes b = FromOpensslHex(out);
    EXPECT_EQ(b.size(), len) << out;
    return b;
  }

  // Run derives every key set with every PRF in one mode and compares the
  // keys, concatenated, with openssl's output.
  void Run(bool feedback) {
    int cases = 0;
    for (const Prf& prf : kPrfs) {
      const Bytes key = Pattern(prf.key_len, static_cast<uint8_t>(prf.key_len));
      const Bytes label = AsBytesCopy("kbkdf label"), context = Pattern(9, 0xc0);
      const Bytes iv = Pattern(prf.out_len, 0x5a);
      const ObjectHandle base = SecretKey(prf.key_type, key, {attr::Derive{true}});
      for (const std::vector<size_t>& lens : kKeySets) {
        size_t total = 0;
        for (size_t n : lens) total += n;
        SCOPED_TRACE(::testing::Message()
                     << "PRF " << prf.mech << " key " << prf.key_len << " bytes, " << lens.size()
                     << " keys, " << total << " bytes");
        mech::Sp800108Params p;
        p.prf = prf.mech;
        p.feedback = feedback;
        mech::PrfDataParam counter{feedback ? CK_SP800_108_OPTIONAL_COUNTER
                                            : CK_SP800_108_ITERATION_VARIABLE};
        counter.has_format = true, counter.width_bits = 32;
        mech::PrfDataParam length{CK_SP800_108_DKM_LENGTH};
        length.has_format = true, length.width_bits = 32;
        length.dkm_method = CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS;
        if (feedback) {
          // The chaining value K(i-1) first (no format), then the counter.
          p.data.push_back(mech::PrfDataParam{CK_SP800_108_ITERATION_VARIABLE});
          p.iv = iv;
        }
        p.data.push_back(counter);
        p.data.push_back(mech::PrfDataParam{CK_SP800_108_BYTE_ARRAY, label});
        p.data.push_back(mech::PrfDataParam{CK_SP800_108_BYTE_ARRAY, Bytes{0}});
        p.data.push_back(mech::PrfDataParam{CK_SP800_108_BYTE_ARRAY, context});
        p.data.push_back(length);
        auto tmpl = [](size_t n) {
          return Template{attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_GENERIC_SECRET},
                          attr::ValueLen{n}, attr::Sensitive{false}};
        };
        for (size_t k = 1; k < lens.size(); ++k) {
          mech::AdditionalKey extra;
          extra.tmpl = tmpl(lens[k]);
          p.additional_keys.push_back(extra);
        }
        const Mechanism m{feedback ? CKM_SP800_108_FEEDBACK_KDF : CKM_SP800_108_COUNTER_KDF, p};
        auto primary = DeriveKey(s(), m, base, tmpl(lens[0]));
        ASSERT_TRUE(primary.has_value()) << to_string(primary.error());
        Bytes got = s().Get<attr::Value>(*primary).value_or(Bytes{});
        for (const mech::AdditionalKey& extra : p.additional_keys) {
          ASSERT_TRUE(extra.handle->valid());
          Bytes v = s().Get<attr::Value>(*extra.handle).value_or(Bytes{});
          got.insert(got.end(), v.begin(), v.end());
        }
        const Bytes want = Openssl(prf, feedback, key, label, context, iv, total);
        EXPECT_EQ(ToHex(got), ToHex(want));
        ++cases;
      }
    }
    EXPECT_EQ(cases, static_cast<int>(std::size(kPrfs) * kKeySets.size()));
  }

 private:
  static Bytes AsBytesCopy(std::string_view s) { return Bytes(s.begin(), s.end()); }
};

TEST_F(KbkdfOpensslTest, CounterModeMatchesOpenssl) { Run(false); }
TEST_F(KbkdfOpensslTest, FeedbackModeMatchesOpenssl) { Run(true); }

}  // namespace
}  // namespace cryptoki::testing
