// mechanism_params.h: CK_MECHANISM (with its parameter structures and their
// pointers) to the typed cryptoki::Mechanism, for the C adapter.
#ifndef CRYPTOKI_C_MECHANISM_PARAMS_H_
#define CRYPTOKI_C_MECHANISM_PARAMS_H_

#include "cryptoki/mechanism.h"
#include "pkcs11.h"

namespace cryptoki {

// ToMechanism copies |m| and its parameter into a Mechanism. Each known
// mechanism's parameter must be its structure, of exactly its size, with
// every pointer non-null where its length is non-zero:
// kMechanismParamInvalid otherwise; kArgumentsBad for a null |m|. A mechanism
// this function does not know keeps its parameter as RawParams (none if
// pParameter is null), so the registry decides. For SP 800-108 additional
// keys, the CK_DERIVED_KEY phKey pointers are kept: DeriveKey writes through
// AdditionalKey::handle, and ToMechanism points them at |handles| storage in
// the returned params, which CopyDerivedHandles copies back.
Result<Mechanism> ToMechanism(const CK_MECHANISM* m);
// ToMechanismInto is ToMechanism written into |out|: where |out| already
// holds the same kind of parameter (AES-GCM, ChaCha20-Poly1305, an IV), its
// buffers are reused, so a caller that keeps one Mechanism per thread
// converts those without allocating. On failure |out| is unspecified.
Result<> ToMechanismInto(const CK_MECHANISM* m, Mechanism& out);
// ReleaseUnreused drops |m|'s parameter unless ToMechanismInto reuses that
// kind (so a kept Mechanism holds no other parameter past its call).
void ReleaseUnreused(Mechanism& m);

// ToTemplate copies a CK_ATTRIBUTE array: kArgumentsBad for a null array
// with a non-zero count or a null value with a non-zero length.
Result<Template> ToTemplate(const CK_ATTRIBUTE* attrs, CK_ULONG count);

// CopyDerivedHandles writes the handles DeriveKey produced for SP 800-108
// additional keys back to the caller's CK_DERIVED_KEY phKey pointers.
void CopyDerivedHandles(const CK_MECHANISM* m, const Mechanism& converted);

}  // namespace cryptoki

#endif  // CRYPTOKI_C_MECHANISM_PARAMS_H_
