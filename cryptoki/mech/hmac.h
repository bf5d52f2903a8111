// hmac.h: HMAC (RFC 2104) over Hash, with keys cached as pre-keyed states.
// Used by the HMAC mechanisms and by the KDFs.
#ifndef CRYPTOKI_MECH_HMAC_H_
#define CRYPTOKI_MECH_HMAC_H_

#include <memory>
#include <optional>

#include "cryptoki/mech/hash.h"
#include "cryptoki/object.h"
#include "cryptoki/rv.h"

namespace cryptoki::mech {

// HmacState is a running HMAC: the inner hash fed so far, and the outer hash
// keyed and waiting for the inner digest.
struct HmacState {
  Hash inner;
  Hash outer;

  // New keys an HMAC with |digest| (CKM_SHA256 ...): nullopt for an unknown digest.
  static std::optional<HmacState> New(CK_MECHANISM_TYPE digest, ByteView key);
  void Update(ByteView in) { inner.Update(in); }
  // Final writes size() bytes to |out|.
  void Final(uint8_t* out);
  size_t size() const { return inner.size(); }
};

// HmacKeyCache is a key object's pre-keyed HMAC state for one digest.
class HmacKeyCache : public KeyCache {
 public:
  HmacKeyCache(CK_MECHANISM_TYPE digest, const HmacState& s) : digest(digest), state(s) {}
  const CK_MECHANISM_TYPE digest;
  const HmacState state;
};

// HmacFor returns a fresh HMAC state keyed with |key|'s CKA_VALUE, from the
// key's cache when it holds one for |digest| (the cache is filled on first
// use).
std::optional<HmacState> HmacFor(const Object& key, CK_MECHANISM_TYPE digest);

// Hmac computes HMAC(|key|, |data|) with |digest| into |out| (resized).
bool Hmac(CK_MECHANISM_TYPE digest, ByteView key, ByteView data, SecretBytes& out);

}  // namespace cryptoki::mech

#endif  // CRYPTOKI_MECH_HMAC_H_
