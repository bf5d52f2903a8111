#include "cryptoki/mech/asym.h"

#include <openssl/bytestring.h>
#include <openssl/mem.h>
#include <openssl/sha.h>

#include "cryptoki/session.h"

namespace cryptoki::mech {

const EVP_MD* MgfDigestOf(CK_ULONG mgf) {
  switch (mgf) {
    case CKG_MGF1_SHA1:
      return EVP_sha1();
    case CKG_MGF1_SHA224:
      return EVP_sha224();
    case CKG_MGF1_SHA256:
      return EVP_sha256();
    case CKG_MGF1_SHA384:
      return EVP_sha384();
    case CKG_MGF1_SHA512:
      return EVP_sha512();
    default:
      return nullptr;
  }
}

Bytes BnBytes(const BIGNUM* bn, size_t len) {
  const size_t n = std::max(len, static_cast<size_t>(BN_num_bytes(bn)));
  Bytes out(n);
  if (!BN_bn2bin_padded(out.data(), out.size(), bn)) return {};
  return out;
}

SecretBytes BnSecretBytes(const BIGNUM* bn, size_t len) {
  const size_t n = std::max(len, static_cast<size_t>(BN_num_bytes(bn)));
  SecretBytes out(n);
  if (!BN_bn2bin_padded(out.data(), out.size(), bn)) return {};
  return out;
}

bssl::UniquePtr<BIGNUM> NewBn(ByteView b) {
  return bssl::UniquePtr<BIGNUM>(BN_bin2bn(b.data(), b.size(), nullptr));
}

Bytes Spki(const EVP_PKEY* pkey) {
  bssl::ScopedCBB cbb;
  uint8_t* der = nullptr;
  size_t len = 0;
  if (!CBB_init(cbb.get(), 0) || !EVP_marshal_public_key(cbb.get(), pkey) ||
      !CBB_finish(cbb.get(), &der, &len)) {
    return {};
  }
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

ByteView AttrValue(const Object& o, AttributeType type) {
  const Attribute* a = o.Find(type);
  return a ? a->value() : ByteView();
}

SignVerifyOp::SignVerifyOp(const EVP_MD* md, size_t signature_len)
    : md_(md), signature_len_(signature_len) {
  if (md_ != nullptr) EVP_DigestInit_ex(ctx_.get(), md_, nullptr);
}

Result<> SignVerifyOp::Absorb(ByteView in) {
  if (md_ != nullptr) {
    if (!EVP_DigestUpdate(ctx_.get(), in.data(), in.size())) return Fail(Rv::kFunctionFailed);
  } else {
    buffer_.insert(buffer_.end(), in.begin(), in.end());
  }
  return {};
}

Result<SecretBytes> SignVerifyOp::Input(ByteView one_shot, bool multipart) {
  if (!multipart) CRYPTOKI_TRY(Absorb(one_shot));
  if (md_ == nullptr) return std::move(buffer_);
  SecretBytes digest(EVP_MD_size(md_));
  unsigned len = 0;
  if (!EVP_DigestFinal_ex(ctx_.get(), digest.data(), &len)) return Fail(Rv::kFunctionFailed);
  digest.resize(len);
  return digest;
}

Result<> SignVerifyOp::Update(ByteView in, Output&) { return Absorb(in); }

Result<> SignVerifyOp::Final(Output& out) {
  CRYPTOKI_TRY(out.Fits(signature_len_));
  if (!out.Ready()) return {};
  auto input = Input({}, true);
  if (!input) return Fail(input.error());
  return Sign(*input, out.buffer.first(signature_len_));
}

Result<> SignVerifyOp::OneShot(ByteView in, Output& out) {
  CRYPTOKI_TRY(out.Fits(signature_len_));
  if (!out.Ready()) return {};
  auto input = Input(in, false);
  if (!input) return Fail(input.error());
  return Sign(*input, out.buffer.first(signature_len_));
}

Result<> SignVerifyOp::VerifyFinal(ByteView signature) {
  if (signature.size() != signature_len_) return Fail(Rv::kSignatureLenRange);
  auto input = Input({}, true);
  if (!input) return Fail(input.error());
  return Verify(*input, signature);
}

Result<> SignVerifyOp::VerifyOneShot(ByteView data, ByteView signature) {
  if (signature.size() != signature_len_) return Fail(Rv::kSignatureLenRange);
  auto input = Input(data, false);
  if (!input) return Fail(input.error());
  return Verify(*input, signature);
}

Template WithClassAndType(const Template& tmpl, CK_OBJECT_CLASS cls, CK_KEY_TYPE key_type) {
  Template t = tmpl;
  t.Add(Attribute::Ulong(CKA_CLASS, cls));
  t.Add(Attribute::Ulong(CKA_KEY_TYPE, key_type));
  return t;
}

Result<std::pair<ObjectHandle, ObjectHandle>> StoreKeyPair(
    Session& session, CK_MECHANISM_TYPE mechanism, const Template& pub_tmpl,
    const Template& priv_tmpl, Template pub_gen, Template priv_gen, ByteView id_source) {
  const Attribute* pub_id = pub_tmpl.Find(CKA_ID);
  const Attribute* priv_id = priv_tmpl.Find(CKA_ID);
  if (pub_id == nullptr && priv_id != nullptr) {
    pub_gen.Add(*priv_id);
  } else if (priv_id == nullptr && pub_id != nullptr) {
    priv_gen.Add(*pub_id);
  } else if (pub_id == nullptr && priv_id == nullptr && !id_source.empty()) {
    uint8_t id[SHA_DIGEST_LENGTH];
    SHA1(id_source.data(), id_source.size(), id);
    pub_gen.Add(Attribute(CKA_ID, ByteView(id, sizeof id)));
    priv_gen.Add(Attribute(CKA_ID, ByteView(id, sizeof id)));
  }
  BuildContext ctx;
  ctx.op = ObjectOp::kGenerate;
  ctx.is_so = session.IsSo();
  ctx.mechanism = mechanism;
  auto pub = BuildAttributes(pub_tmpl, ctx, pub_gen);
  if (!pub) return Fail(pub.error());
  auto priv = BuildAttributes(priv_tmpl, ctx, priv_gen);
  if (!priv) return Fail(priv.error());
  auto pub_h = session.CreateBuiltObject(std::move(*pub));
  if (!pub_h) return Fail(pub_h.error());
  auto priv_h = session.CreateBuiltObject(std::move(*priv));
  if (!priv_h) {
    (void)session.DestroyObject(*pub_h);
    return Fail(priv_h.error());
  }
  return std::make_pair(*pub_h, *priv_h);
}

}  // namespace cryptoki::mech
