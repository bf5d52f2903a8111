// block_mode.h: BlockModeOperation, the multi-part engine the block cipher
// modes of aes.cc (16-byte blocks) and des3.cc (8-byte blocks) share:
// buffering between updates, PKCS#7 padding (CBC_PAD), CBC with ciphertext
// stealing (CTS, CBC-CS3), the data length rules and the saved state layout.
// A cipher supplies ECB and CBC over whole blocks; a stream mode (AES CTR)
// overrides Transform and CheckInput.
#ifndef CRYPTOKI_MECH_BLOCK_MODE_H_
#define CRYPTOKI_MECH_BLOCK_MODE_H_

#include <optional>

#include "cryptoki/mech/registry.h"

namespace cryptoki::mech {

// BlockMode is a BlockModeOperation's mode; its value is kept in saved
// operation states.
enum class BlockMode : uint8_t { kEcb, kCbc, kCbcPad, kCtr, kCts };

class BlockModeOperation : public Operation {
 public:
  static constexpr size_t kMaxBlock = 16;

  ~BlockModeOperation() override { OPENSSL_cleanse(iv_, sizeof iv_); }

  // SetIv sets the IV (|iv| is one block).
  void SetIv(ByteView iv) { memcpy(iv_, iv.data(), block_); }

  // Update writes the output of every block it can complete (CBC_PAD
  // decryption keeps the last block back, CTS the last two):
  // kBufferTooSmall, or CheckInput's error.
  Result<> Update(ByteView in, Output& out) override;
  // Final writes the last output: kDataLenRange / kEncryptedDataLenRange for
  // a partial block (ECB, CBC, CBC_PAD decryption) or less than a block
  // (CTS); kEncryptedDataInvalid for bad CBC_PAD padding.
  Result<> Final(Output& out) override;
  // OneShot encrypts or decrypts all of |in| with the exact output length
  // (CBC_PAD decryption reads the padding first): Update's and Final's
  // errors, and the length errors up front.
  Result<> OneShot(ByteView in, Output& out) override;
  // SaveState writes: |tag|, mode, direction, IV, SaveExtra, pending bytes.
  Result<> SaveState(SecretBytes& out) const override;
  // Load restores SaveState's body after the tag: false if it is malformed
  // or of another mode or direction.
  bool Load(ByteView b);

 protected:
  // |block| is the cipher's block size (at most kMaxBlock); |tag| starts the
  // saved state.
  BlockModeOperation(BlockMode mode, bool encrypt, size_t block, StateTag tag)
      : mode_(mode), enc_(encrypt), block_(block), tag_(tag) {}

  // EcbBlocks runs the cipher, in this operation's direction, over |n| bytes
  // (whole blocks). CbcBlocks does CBC, chaining through (and updating) |iv|.
  virtual void EcbBlocks(const uint8_t* in, uint8_t* out, size_t n) const = 0;
  virtual void CbcBlocks(const uint8_t* in, uint8_t* out, size_t n, uint8_t* iv) const = 0;

  // CheckInput checks that |n| more bytes may come (|whole|: |n| is all of a
  // single-part input): kDataLenRange / kEncryptedDataLenRange.
  virtual Result<> CheckInput(size_t n, bool whole) const;
  // Transform processes |n| bytes (UpdateLength's amount), advancing the
  // chaining state. The block modes run here; a stream mode (CTR) overrides.
  virtual void Transform(const uint8_t* in, uint8_t* out, size_t n);
  // SaveExtra / LoadExtra keep a subclass's state between the IV and the
  // pending bytes; LoadExtra consumes its part of |b| (false if malformed).
  virtual void SaveExtra(SecretBytes& out) const {}
  virtual bool LoadExtra(ByteView& b) { return true; }

  Rv LenError() const { return enc_ ? Rv::kDataLenRange : Rv::kEncryptedDataLenRange; }

  const BlockMode mode_;
  const bool enc_;
  const size_t block_;
  uint8_t iv_[kMaxBlock] = {0};

 private:
  // UpdateLength is what Update writes when |total| bytes are buffered.
  size_t UpdateLength(size_t total) const;
  // ExactLength is the single-part output length for |in|.
  Result<size_t> ExactLength(ByteView in) const;
  // PadLength returns the PKCS#7 padding length of |block|, nullopt if bad.
  std::optional<size_t> PadLength(const uint8_t* block) const;
  // DoUpdate consumes |in| after the pending bytes, writing UpdateLength bytes.
  void DoUpdate(ByteView in, uint8_t* dst);
  // DoFinal returns the last output; the state is left unchanged.
  Result<SecretBytes> DoFinal() const;

  const StateTag tag_;
  SecretBytes pending_;
};

}  // namespace cryptoki::mech

#endif  // CRYPTOKI_MECH_BLOCK_MODE_H_
