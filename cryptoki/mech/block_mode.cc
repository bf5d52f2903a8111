// block_mode.cc: the shared block cipher mode engine (block_mode.h).
#include "cryptoki/mech/block_mode.h"

namespace cryptoki::mech {

Result<> BlockModeOperation::Update(ByteView in, Output& out) {
  CRYPTOKI_TRY(CheckInput(in.size(), false));
  CRYPTOKI_TRY(out.Fits(UpdateLength(pending_.size() + in.size())));
  if (!out.Ready()) return {};
  DoUpdate(in, out.buffer.data());
  return {};
}

Result<> BlockModeOperation::Final(Output& out) {
  auto last = DoFinal();
  if (!last) return Fail(last.error());
  return WriteOut(*last, out);
}

Result<> BlockModeOperation::OneShot(ByteView in, Output& out) {
  CRYPTOKI_TRY(CheckInput(in.size(), true));
  auto n = ExactLength(in);
  if (!n) return Fail(n.error());
  CRYPTOKI_TRY(out.Fits(*n));
  if (!out.Ready()) return {};
  const size_t head = UpdateLength(pending_.size() + in.size());
  DoUpdate(in, out.buffer.data());
  auto last = DoFinal();
  if (!last) return Fail(last.error());
  if (!last->empty()) memcpy(out.buffer.data() + head, last->data(), last->size());
  out.length = head + last->size();
  return {};
}

Result<> BlockModeOperation::SaveState(SecretBytes& out) const {
  out.push_back(static_cast<uint8_t>(tag_));
  out.push_back(static_cast<uint8_t>(mode_));
  out.push_back(enc_);
  out.insert(out.end(), iv_, iv_ + block_);
  SaveExtra(out);
  out.insert(out.end(), pending_.begin(), pending_.end());
  return {};
}

bool BlockModeOperation::Load(ByteView b) {
  if (b.size() < 2 + block_ || b[0] != static_cast<uint8_t>(mode_) || b[1] != enc_) return false;
  memcpy(iv_, b.data() + 2, block_);
  b = b.subspan(2 + block_);
  if (!LoadExtra(b)) return false;
  pending_.assign(b.begin(), b.end());
  // At most what UpdateLength holds back: two blocks for CTS, else one.
  return pending_.size() <= (mode_ == BlockMode::kCts ? 2 : 1) * block_;
}

Result<> BlockModeOperation::CheckInput(size_t n, bool whole) const {
  if (!whole) return {};
  switch (mode_) {
    case BlockMode::kEcb:
    case BlockMode::kCbc:
      if (n % block_) return Fail(LenError());
      break;
    case BlockMode::kCbcPad:
      if (!enc_ && (n == 0 || n % block_)) return Fail(LenError());
      break;
    case BlockMode::kCts:
      if (n < block_) return Fail(LenError());
      break;
    case BlockMode::kCtr:
      break;
  }
  return {};
}

size_t BlockModeOperation::UpdateLength(size_t total) const {
  const size_t b = block_;
  switch (mode_) {
    case BlockMode::kCtr:
      return total;
    case BlockMode::kCbcPad:
      // Decryption keeps the last block back: it holds the padding.
      if (!enc_) return total > b ? ((total - 1) / b) * b : 0;
      return total / b * b;
    case BlockMode::kCts:
      // Keep the last b+1..2b bytes for the stealing at the end.
      return total > 2 * b ? ((total - b - 1) / b) * b : 0;
    default:
      return total / b * b;
  }
}

Result<size_t> BlockModeOperation::ExactLength(ByteView in) const {
  if (mode_ != BlockMode::kCbcPad) return in.size();
  if (enc_) return (in.size() / block_ + 1) * block_;
  // Decrypt the last block alone to read its padding (CheckInput made sure
  // there is one).
  uint8_t p[kMaxBlock], iv[kMaxBlock];
  memcpy(iv, in.size() > block_ ? in.data() + in.size() - 2 * block_ : iv_, block_);
  CbcBlocks(in.data() + in.size() - block_, p, block_, iv);
  auto pad = PadLength(p);
  OPENSSL_cleanse(p, sizeof p);
  if (!pad) return Fail(Rv::kEncryptedDataInvalid);
  return in.size() - *pad;
}

std::optional<size_t> BlockModeOperation::PadLength(const uint8_t* block) const {
  const int b = static_cast<int>(block_);
  const uint8_t pad = block[b - 1];
  uint8_t bad = (pad == 0) | (pad > b);
  for (int i = 0; i < b; ++i) {
    const uint8_t in_pad = static_cast<uint8_t>(i >= b - pad);
    bad |= in_pad & (block[i] != pad);
  }
  if (bad) return std::nullopt;
  return pad;
}

void BlockModeOperation::Transform(const uint8_t* in, uint8_t* out, size_t n) {
  if (n == 0) return;
  switch (mode_) {
    case BlockMode::kEcb:
      EcbBlocks(in, out, n);
      break;
    case BlockMode::kCbc:
    case BlockMode::kCbcPad:
    case BlockMode::kCts:
      CbcBlocks(in, out, n, iv_);
      break;
    case BlockMode::kCtr:
      // A stream mode: the subclass's Transform runs it.
      break;
  }
}

void BlockModeOperation::DoUpdate(ByteView in, uint8_t* dst) {
  const size_t n = UpdateLength(pending_.size() + in.size());
  if (pending_.empty()) {
    Transform(in.data(), dst, n);
    pending_.assign(in.begin() + n, in.end());
    return;
  }
  SecretBytes all = std::move(pending_);
  all.insert(all.end(), in.begin(), in.end());
  Transform(all.data(), dst, n);
  pending_.assign(all.begin() + n, all.end());
}

Result<SecretBytes> BlockModeOperation::DoFinal() const {
  const size_t b = block_;
  SecretBytes out;
  uint8_t iv[kMaxBlock];
  memcpy(iv, iv_, b);
  switch (mode_) {
    case BlockMode::kEcb:
    case BlockMode::kCbc:
      if (!pending_.empty()) return Fail(LenError());
      break;
    case BlockMode::kCtr:
      break;
    case BlockMode::kCbcPad:
      if (enc_) {
        uint8_t block[kMaxBlock];
        const size_t p = pending_.size();
        if (p) memcpy(block, pending_.data(), p);
        memset(block + p, static_cast<int>(b - p), b - p);
        out.resize(b);
        CbcBlocks(block, out.data(), b, iv);
        OPENSSL_cleanse(block, sizeof block);
      } else {
        if (pending_.size() != b) return Fail(LenError());
        out.resize(b);
        CbcBlocks(pending_.data(), out.data(), b, iv);
        auto pad = PadLength(out.data());
        if (!pad) return Fail(Rv::kEncryptedDataInvalid);
        out.resize(b - *pad);
      }
      break;
    case BlockMode::kCts: {
      const size_t n = pending_.size();
      if (n < b) return Fail(LenError());
      out.resize(n);
      if (n == b) {
        CbcBlocks(pending_.data(), out.data(), b, iv);
        break;
      }
      const size_t d = n - b;  // bytes of the final partial (or full) block
      if (enc_) {
        // CBC over P(n-1) and P(n)||0, then swap: C(n) || C(n-1)[0..d).
        uint8_t buf[2 * kMaxBlock] = {0};
        memcpy(buf, pending_.data(), n);
        uint8_t c[2 * kMaxBlock];
        CbcBlocks(buf, c, 2 * b, iv);
        memcpy(out.data(), c + b, b);
        memcpy(out.data() + b, c, d);
        OPENSSL_cleanse(buf, sizeof buf);
      } else {
        const uint8_t* cn = pending_.data();         // C(n), full
        const uint8_t* cstar = pending_.data() + b;  // first d bytes of C(n-1)
        uint8_t x[kMaxBlock];
        EcbBlocks(cn, x, b);  // = C(n-1) xor (P(n) || 0)
        uint8_t cprev[kMaxBlock];
        memcpy(cprev, cstar, d);
        memcpy(cprev + d, x + d, b - d);
        for (size_t i = 0; i < d; ++i) out[b + i] = x[i] ^ cstar[i];
        CbcBlocks(cprev, out.data(), b, iv);
        OPENSSL_cleanse(x, sizeof x);
      }
      break;
    }
  }
  return out;
}

}  // namespace cryptoki::mech
