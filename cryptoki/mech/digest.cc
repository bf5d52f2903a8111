// digest.cc: CKM_MD5, CKM_SHA_1, CKM_SHA224/256/384/512, CKM_SHA512_224/256.
#include "cryptoki/mech/digest.h"

#include "cryptoki/mech/hash.h"
#include "cryptoki/mech/registry.h"

namespace cryptoki::mech {
namespace {

Result<std::unique_ptr<Operation>> BeginDigest(OpKind kind, const Mechanism& m,
                                               const std::shared_ptr<const Object>&) {
  if (kind != OpKind::kDigest) return Fail(Rv::kMechanismInvalid);
  auto h = Hash::New(m.type);
  if (!h) return Fail(Rv::kMechanismInvalid);
  return std::unique_ptr<Operation>(new DigestOperation(*h));
}

constexpr CK_FLAGS kDigestFlags = CKF_DIGEST;
constexpr MechanismEntry kEntries[] = {
    {.type = CKM_MD5, .info = {0, 0, kDigestFlags}, .begin = BeginDigest},
    {.type = CKM_SHA_1, .info = {0, 0, kDigestFlags}, .begin = BeginDigest},
    {.type = CKM_SHA224, .info = {0, 0, kDigestFlags}, .begin = BeginDigest},
    {.type = CKM_SHA256, .info = {0, 0, kDigestFlags}, .begin = BeginDigest},
    {.type = CKM_SHA384, .info = {0, 0, kDigestFlags}, .begin = BeginDigest},
    {.type = CKM_SHA512, .info = {0, 0, kDigestFlags}, .begin = BeginDigest},
    {.type = CKM_SHA512_224, .info = {0, 0, kDigestFlags}, .begin = BeginDigest},
    {.type = CKM_SHA512_256, .info = {0, 0, kDigestFlags}, .begin = BeginDigest},
};

}  // namespace

DigestOperation::DigestOperation(const Hash& h) : hash_(std::make_unique<Hash>(h)) {}
DigestOperation::~DigestOperation() = default;

Result<> DigestOperation::Update(ByteView in, Output&) {
  hash_->Update(in);
  return {};
}

Result<> DigestOperation::Final(Output& out) {
  CRYPTOKI_TRY(out.Fits(hash_->size()));
  if (out.Ready()) hash_->Final(out.buffer.data());
  return {};
}

Result<> DigestOperation::OneShot(ByteView in, Output& out) {
  CRYPTOKI_TRY(out.Fits(hash_->size()));
  if (!out.Ready()) return {};
  hash_->Update(in);
  hash_->Final(out.buffer.data());
  return {};
}

Result<> DigestOperation::SaveState(SecretBytes& out) const {
  out.push_back(static_cast<uint8_t>(StateTag::kDigest));
  const auto* p = reinterpret_cast<const uint8_t*>(hash_.get());
  out.insert(out.end(), p, p + sizeof(Hash));
  return {};
}

Result<std::unique_ptr<Operation>> DigestOperation::Restore(ByteView state) {
  if (state.size() != sizeof(Hash)) return Fail(Rv::kSavedStateInvalid);
  auto h = Hash::New(CKM_SHA256);
  memcpy(static_cast<void*>(&*h), state.data(), sizeof(Hash));
  // The blob is authenticated, so its contents are ours; check the kind anyway.
  if (!Hash::New(h->mechanism())) return Fail(Rv::kSavedStateInvalid);
  return std::unique_ptr<Operation>(new DigestOperation(*h));
}

std::span<const MechanismEntry> DigestMechanisms() { return kEntries; }

Result<std::unique_ptr<Operation>> RestoreDigest(ByteView state) {
  return DigestOperation::Restore(state);
}

Result<> DigestSelfTest() {
  // FIPS 180-4 example "abc".
  static constexpr uint8_t kAbcSha256[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
                                             0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
                                             0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
                                             0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
  auto op = BeginDigest(OpKind::kDigest, Mechanism{CKM_SHA256}, nullptr);
  if (!op) return Fail(op.error());
  uint8_t got[32];
  Output out = Output::Into(got);
  CRYPTOKI_TRY((*op)->OneShot(AsBytes("abc"), out));
  if (!Equal(got, kAbcSha256)) return Fail(Rv::kGeneralError);
  return {};
}

}  // namespace cryptoki::mech
