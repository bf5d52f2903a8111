#include "tools/cryptoki_util/keys.h"

#include <openssl/base64.h>
#include <openssl/bio.h>
#include <openssl/bytestring.h>
#include <openssl/curve25519.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/nid.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "cryptoki/mech/asym.h"
#include "cryptoki/mech/ec.h"
#include "cryptoki/mech/rsa.h"

namespace cryptoki::util {
namespace {

using Error = unexpected<std::string>;

bool IsPem(ByteView file) {
  return AsStringView(file).find("-----BEGIN ") != std::string_view::npos;
}
bool Contains(ByteView file, std::string_view s) {
  return AsStringView(file).find(s) != std::string_view::npos;
}

// NoPassword refuses to decrypt: encrypted keys are detected and refused
// before parsing, and BoringSSL must never prompt on the terminal.
int NoPassword(char*, int, int, void*) { return -1; }

bssl::UniquePtr<BIO> MemBio(ByteView file) {
  return bssl::UniquePtr<BIO>(BIO_new_mem_buf(file.data(), static_cast<long>(file.size())));
}

const char* CurveName(int nid) {
  switch (nid) {
    case NID_secp224r1:
      return "P-224";
    case NID_X9_62_prime256v1:
      return "P-256";
    case NID_secp384r1:
      return "P-384";
    case NID_secp521r1:
      return "P-521";
    case NID_ED25519:
      return "Ed25519";
    case NID_X25519:
      return "X25519";
    default:
      return nullptr;
  }
}

// WrongKind names what |file| holds when it is not what the command takes.
std::optional<std::string> WrongKind(ByteView file, std::string_view wanted) {
  if (!IsPem(file)) return std::nullopt;
  const bool priv = Contains(file, "PRIVATE KEY-----");
  const bool pub = Contains(file, "PUBLIC KEY-----");
  const bool cert = Contains(file, "BEGIN CERTIFICATE-----");
  if (wanted != "private" && priv) return "the file holds a private key (use import-key)";
  if (wanted == "private" && !priv && pub) return "the file holds a public key (use import-pubkey)";
  if (wanted != "cert" && !priv && !pub && cert) {
    return "the file holds a certificate (use import-cert)";
  }
  return std::nullopt;
}

// FromPkey converts |pkey| (private when |with_private|) to attributes.
expected<KeyPair, std::string> FromPkey(EVP_PKEY* pkey, bool with_private) {
  KeyPair kp;
  kp.spki = mech::Spki(pkey);
  if (kp.spki.empty()) return Error("cannot encode the public key");
  switch (EVP_PKEY_id(pkey)) {
    case EVP_PKEY_RSA: {
      const RSA* rsa = EVP_PKEY_get0_RSA(pkey);
      kp.key_type = CKK_RSA;
      kp.description = "RSA " + std::to_string(RSA_bits(rsa));
      kp.public_attrs.Add(attr::Modulus{mech::BnBytes(RSA_get0_n(rsa))});
      kp.public_attrs.Add(attr::PublicExponent{mech::BnBytes(RSA_get0_e(rsa))});
      if (with_private) {
        if (RSA_get0_d(rsa) == nullptr) return Error("the RSA key has no private exponent");
        kp.private_attrs = mech::RsaPrivateKeyAttributes(rsa);
      }
      break;
    }
    case EVP_PKEY_EC: {
      const EC_KEY* ec = EVP_PKEY_get0_EC_KEY(pkey);
      const EC_GROUP* group = EC_KEY_get0_group(ec);
      const int nid = EC_GROUP_get_curve_name(group);
      const char* name = CurveName(nid);
      if (name == nullptr || nid == NID_ED25519 || nid == NID_X25519) {
        return Error("unsupported elliptic curve (supported: P-224, P-256, P-384, P-521)");
      }
      kp.key_type = CKK_EC;
      kp.description = std::string("EC ") + name;
      const Bytes params = mech::CurveOid(nid);
      uint8_t point[133];
      const size_t len =
          EC_POINT_point2oct(group, EC_KEY_get0_public_key(ec), POINT_CONVERSION_UNCOMPRESSED,
                             point, sizeof point, nullptr);
      if (len == 0) return Error("the EC key has no public point");
      kp.public_attrs.Add(attr::EcParams{params});
      kp.public_attrs.Add(attr::EcPoint{mech::DerOctetString(ByteView(point, len))});
      if (with_private) {
        if (EC_KEY_get0_private_key(ec) == nullptr) return Error("the EC key has no private value");
        kp.private_attrs = mech::EcPrivateKeyAttributes(ec);
      }
      break;
    }
    case EVP_PKEY_ED25519: {
      kp.key_type = CKK_EC_EDWARDS;
      kp.description = "Ed25519";
      uint8_t pub[32];
      size_t pub_len = sizeof pub;
      if (!EVP_PKEY_get_raw_public_key(pkey, pub, &pub_len) || pub_len != 32) {
        return Error("cannot read the Ed25519 public key");
      }
      const Bytes params = mech::CurveOid(NID_ED25519);
      kp.public_attrs.Add(attr::EcParams{params});
      kp.public_attrs.Add(attr::EcPoint{mech::DerOctetString(ByteView(pub, pub_len))});
      if (with_private) {
        SecretBytes seed(32);
        size_t seed_len = seed.size();
        if (!EVP_PKEY_get_raw_private_key(pkey, seed.data(), &seed_len) || seed_len != 32) {
          return Error("cannot read the Ed25519 private key");
        }
        kp.private_attrs.Add(attr::EcParams{params});
        kp.private_attrs.Add(Attribute(CKA_VALUE, std::move(seed)));
      }
      break;
    }
    default:
      return Error("unsupported key type (supported: RSA, EC, Ed25519)");
  }
  kp.public_attrs.Add(attr::PublicKeyInfo{kp.spki});
  if (with_private && kp.private_attrs.Find(CKA_PUBLIC_KEY_INFO) == nullptr) {
    kp.private_attrs.Add(attr::PublicKeyInfo{kp.spki});
  }
  return kp;
}

// ParseDer runs |parse| over all of |der|; nullptr unless it consumes it all.
template <class T, class F>
bssl::UniquePtr<T> ParseDer(ByteView der, F parse) {
  CBS cbs;
  CBS_init(&cbs, der.data(), der.size());
  bssl::UniquePtr<T> out(parse(&cbs));
  if (out && CBS_len(&cbs) != 0) out.reset();
  return out;
}

bssl::UniquePtr<EVP_PKEY> WrapRsa(bssl::UniquePtr<RSA> rsa) {
  if (!rsa) return nullptr;
  bssl::UniquePtr<EVP_PKEY> pkey(EVP_PKEY_new());
  if (!pkey || !EVP_PKEY_assign_RSA(pkey.get(), rsa.release())) return nullptr;
  return pkey;
}

size_t CountBits(ByteView b) {
  size_t i = 0;
  while (i < b.size() && b[i] == 0) ++i;
  if (i == b.size()) return 0;
  size_t bits = (b.size() - i) * 8;
  for (uint8_t top = b[i]; !(top & 0x80); top <<= 1) --bits;
  return bits;
}

}  // namespace

expected<KeyPair, std::string> ParsePrivateKey(ByteView file) {
  ERR_clear_error();
  if (auto wrong = WrongKind(file, "private")) return Error(*wrong);
  if (Contains(file, "ENCRYPTED PRIVATE KEY") || Contains(file, "Proc-Type: 4,ENCRYPTED")) {
    return Error("encrypted private keys are not supported (decrypt it with `openssl pkey` first)");
  }
  bssl::UniquePtr<EVP_PKEY> pkey;
  if (IsPem(file)) {
    auto bio = MemBio(file);
    pkey.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassword, nullptr));
  } else {
    pkey = ParseDer<EVP_PKEY>(file, EVP_parse_private_key);
    if (!pkey) pkey = WrapRsa(ParseDer<RSA>(file, RSA_parse_private_key));
    if (!pkey) {
      auto ec =
          ParseDer<EC_KEY>(file, [](CBS* cbs) { return EC_KEY_parse_private_key(cbs, nullptr); });
      if (ec) {
        pkey.reset(EVP_PKEY_new());
        if (pkey && !EVP_PKEY_assign_EC_KEY(pkey.get(), ec.release())) pkey.reset();
      }
    }
  }
  ERR_clear_error();
  if (!pkey) {
    return Error(
        "not a private key this tool reads (PEM or DER; PKCS#8, PKCS#1 RSA or SEC1 EC; RSA, EC or "
        "Ed25519)");
  }
  return FromPkey(pkey.get(), /*with_private=*/true);
}

expected<KeyPair, std::string> ParsePublicKey(ByteView file) {
  ERR_clear_error();
  if (auto wrong = WrongKind(file, "public")) return Error(*wrong);
  bssl::UniquePtr<EVP_PKEY> pkey;
  if (IsPem(file)) {
    auto bio = MemBio(file);
    if (Contains(file, "BEGIN RSA PUBLIC KEY")) {
      pkey = WrapRsa(
          bssl::UniquePtr<RSA>(PEM_read_bio_RSAPublicKey(bio.get(), nullptr, NoPassword, nullptr)));
    } else {
      pkey.reset(PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassword, nullptr));
    }
  } else {
    pkey = ParseDer<EVP_PKEY>(file, EVP_parse_public_key);
    if (!pkey) pkey = WrapRsa(ParseDer<RSA>(file, RSA_parse_public_key));
  }
  ERR_clear_error();
  if (!pkey)
    return Error(
        "not a public key this tool reads (SubjectPublicKeyInfo or PKCS#1 RSA, PEM or DER)");
  return FromPkey(pkey.get(), /*with_private=*/false);
}

expected<Certificate, std::string> ParseCertificate(ByteView file) {
  ERR_clear_error();
  if (auto wrong = WrongKind(file, "cert")) return Error(*wrong);
  bssl::UniquePtr<X509> x509;
  if (IsPem(file)) {
    auto bio = MemBio(file);
    x509.reset(PEM_read_bio_X509(bio.get(), nullptr, NoPassword, nullptr));
  } else {
    const uint8_t* p = file.data();
    x509.reset(d2i_X509(nullptr, &p, static_cast<long>(file.size())));
    if (x509 && p != file.data() + file.size()) x509.reset();
  }
  ERR_clear_error();
  if (!x509) return Error("not an X.509 certificate (PEM or DER)");

  auto der_of = [](auto* obj, auto i2d) -> Bytes {
    uint8_t* der = nullptr;
    const int len = i2d(obj, &der);
    if (len <= 0) return {};
    Bytes out(der, der + len);
    OPENSSL_free(der);
    return out;
  };
  Certificate cert;
  const Bytes value = der_of(x509.get(), i2d_X509);
  const Bytes subject = der_of(X509_get_subject_name(x509.get()), i2d_X509_NAME);
  const Bytes issuer = der_of(X509_get_issuer_name(x509.get()), i2d_X509_NAME);
  const Bytes serial = der_of(X509_get_serialNumber(x509.get()), i2d_ASN1_INTEGER);
  bssl::UniquePtr<EVP_PKEY> pkey(X509_get_pubkey(x509.get()));
  ERR_clear_error();
  if (pkey) cert.spki = mech::Spki(pkey.get());
  if (value.empty() || subject.empty() || issuer.empty() || serial.empty()) {
    return Error("cannot encode the certificate's fields");
  }
  cert.attrs.Add(attr::Subject{subject});
  cert.attrs.Add(attr::Issuer{issuer});
  cert.attrs.Add(attr::SerialNumber{serial});
  cert.attrs.Add(attr::Value{value});
  if (!cert.spki.empty()) cert.attrs.Add(attr::PublicKeyInfo{cert.spki});
  char line[256];
  X509_NAME_oneline(X509_get_subject_name(x509.get()), line, sizeof line);
  cert.subject = line;
  return cert;
}

expected<Bytes, std::string> PublicKeyInfoOf(const Object& key) {
  if (const Attribute* info = key.Find(CKA_PUBLIC_KEY_INFO); info && !info->value().empty()) {
    return Bytes(info->value().begin(), info->value().end());
  }
  const bool is_private = key.object_class() == CKO_PRIVATE_KEY;
  bssl::UniquePtr<EVP_PKEY> pkey(EVP_PKEY_new());
  if (!pkey) return Error("out of memory");
  switch (key.key_type()) {
    case CKK_RSA: {
      bssl::UniquePtr<RSA> rsa(RSA_new());
      auto n = mech::NewBn(mech::AttrValue(key, CKA_MODULUS));
      auto e = mech::NewBn(mech::AttrValue(key, CKA_PUBLIC_EXPONENT));
      if (!rsa || !n || !e || BN_is_zero(n.get()) || BN_is_zero(e.get()) ||
          !RSA_set0_key(rsa.get(), n.release(), e.release(), nullptr) ||
          !EVP_PKEY_assign_RSA(pkey.get(), rsa.release())) {
        return Error("the RSA key has no usable CKA_MODULUS and CKA_PUBLIC_EXPONENT");
      }
      break;
    }
    case CKK_EC_EDWARDS: {
      auto nid = mech::CurveOf(mech::AttrValue(key, CKA_EC_PARAMS));
      if (!nid || *nid != NID_ED25519) return Error("unsupported Edwards curve");
      uint8_t pub[32];
      if (is_private) {
        ByteView seed = mech::AttrValue(key, CKA_VALUE);
        if (seed.size() != 32) return Error("the Ed25519 key has no 32-byte CKA_VALUE");
        uint8_t expanded[64];
        ED25519_keypair_from_seed(pub, expanded, seed.data());
        OPENSSL_cleanse(expanded, sizeof expanded);
      } else {
        auto point = mech::PointOctets(mech::AttrValue(key, CKA_EC_POINT),
                                       [](ByteView v) { return v.size() == 32; });
        if (!point) return Error("the Ed25519 key has no usable CKA_EC_POINT");
        memcpy(pub, point->data(), 32);
      }
      pkey.reset(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, pub, sizeof pub));
      if (!pkey) return Error("the Ed25519 public key is invalid");
      break;
    }
    case CKK_EC: {
      auto nid = mech::CurveOf(mech::AttrValue(key, CKA_EC_PARAMS));
      if (!nid) return Error("unsupported or malformed CKA_EC_PARAMS");
      bssl::UniquePtr<EC_GROUP> group(EC_GROUP_new_by_curve_name(*nid));
      bssl::UniquePtr<EC_KEY> ec(EC_KEY_new());
      if (!group || !ec || !EC_KEY_set_group(ec.get(), group.get())) {
        return Error("unsupported elliptic curve");
      }
      bssl::UniquePtr<EC_POINT> point(EC_POINT_new(group.get()));
      bool ok = point != nullptr;
      if (ok && is_private) {
        auto d = mech::NewBn(mech::AttrValue(key, CKA_VALUE));
        ok = d && EC_POINT_mul(group.get(), point.get(), d.get(), nullptr, nullptr, nullptr);
      } else if (ok) {
        auto octets = mech::PointOctets(mech::AttrValue(key, CKA_EC_POINT), [&](ByteView v) {
          return EC_POINT_oct2point(group.get(), point.get(), v.data(), v.size(), nullptr) == 1;
        });
        ok = octets.has_value() &&
             EC_POINT_oct2point(group.get(), point.get(), octets->data(), octets->size(), nullptr);
      }
      ERR_clear_error();
      if (!ok || !EC_KEY_set_public_key(ec.get(), point.get()) ||
          !EVP_PKEY_assign_EC_KEY(pkey.get(), ec.release())) {
        return Error("the EC key has no usable public point");
      }
      break;
    }
    default:
      return Error("not an RSA, EC or Ed25519 key");
  }
  Bytes spki = mech::Spki(pkey.get());
  if (spki.empty()) return Error("cannot encode the public key");
  return spki;
}

std::string KeyDescription(const Object& object) {
  if (object.object_class() == CKO_CERTIFICATE) return "X.509";
  switch (object.key_type()) {
    case CKK_RSA:
      return "RSA " + std::to_string(CountBits(mech::AttrValue(object, CKA_MODULUS)));
    case CKK_EC:
    case CKK_EC_EDWARDS:
    case CKK_EC_MONTGOMERY: {
      auto nid = mech::CurveOf(mech::AttrValue(object, CKA_EC_PARAMS));
      const char* name = nid ? CurveName(*nid) : nullptr;
      if (object.key_type() != CKK_EC && name) return name;
      return std::string("EC ") + (name ? name : "?");
    }
    case CKK_AES:
      return "AES " + std::to_string(object.Ulong(CKA_VALUE_LEN, 0) * 8);
    case CKK_GENERIC_SECRET:
      return "generic " + std::to_string(object.Ulong(CKA_VALUE_LEN, 0) * 8);
    case CK_UNAVAILABLE_INFORMATION:
      return "";
    default:
      return "key type 0x" + [&] {
        char buf[32];
        snprintf(buf, sizeof buf, "%lx", object.key_type());
        return std::string(buf);
      }();
  }
}

Bytes Sha1(ByteView data) {
  Bytes out(SHA_DIGEST_LENGTH);
  SHA1(data.data(), data.size(), out.data());
  return out;
}

std::string Pem(std::string_view label, ByteView der) {
  size_t b64_len = 0;
  EVP_EncodedLength(&b64_len, der.size());
  std::string b64(b64_len, '\0');
  const size_t n = EVP_EncodeBlock(reinterpret_cast<uint8_t*>(b64.data()), der.data(), der.size());
  b64.resize(n);
  std::string out = "-----BEGIN " + std::string(label) + "-----\n";
  for (size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
  out += "-----END " + std::string(label) + "-----\n";
  return out;
}

}  // namespace cryptoki::util
