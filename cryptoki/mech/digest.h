// digest.h: DigestOperation, a running digest (C_DigestInit ... C_DigestFinal).
#ifndef CRYPTOKI_MECH_DIGEST_H_
#define CRYPTOKI_MECH_DIGEST_H_

#include <memory>

#include "cryptoki/operation.h"

namespace cryptoki::mech {

class Hash;

class DigestOperation : public Operation {
 public:
  explicit DigestOperation(const Hash& h);
  ~DigestOperation() override;

  Result<> Update(ByteView in, Output& out) override;
  Result<> Final(Output& out) override;
  Result<> OneShot(ByteView in, Output& out) override;
  Result<> SaveState(SecretBytes& out) const override;
  // Restore rebuilds a digest from SaveState's bytes: kSavedStateInvalid.
  static Result<std::unique_ptr<Operation>> Restore(ByteView state);

 private:
  std::unique_ptr<Hash> hash_;
};

}  // namespace cryptoki::mech

#endif  // CRYPTOKI_MECH_DIGEST_H_
