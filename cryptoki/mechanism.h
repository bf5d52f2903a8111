// mechanism.h: typed mechanisms, the mechanism registry, and the calls that
// start operations and make keys on a Session.
//
//   CRYPTOKI_TRY(DigestInit(session, Mechanism{CKM_SHA256}));
//   Output out = Output::Into(digest);
//   CRYPTOKI_TRY(session.OneShot(OpKind::kDigest, data, out));
//
// Every function returns the exact PKCS#11 code: kMechanismInvalid for a
// mechanism the registry lacks (or the config denies) or that does not offer
// the operation, kMechanismParamInvalid for a missing or malformed parameter,
// kKeyHandleInvalid, kKeyTypeInconsistent, kKeyFunctionNotPermitted (the
// key's CKA_ENCRYPT/SIGN/... is false), kKeySizeRange,
// kOperationActive (an operation of that kind runs already).
#ifndef CRYPTOKI_MECHANISM_H_
#define CRYPTOKI_MECHANISM_H_

#include <array>
#include <memory>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include "cryptoki/config.h"
#include "cryptoki/session.h"

namespace cryptoki {

// Mechanism parameters, one type per parameter structure. The C adapter
// turns CK_MECHANISM parameters into these (cryptoki_c/mechanism_params.h);
// C++ callers build them directly. Pointers of the C structures become owned
// bytes; handles become ObjectHandle.
namespace mech {

// Raw bytes: an IV (CBC, CBC_PAD, CTS), or any parameter a mechanism takes as
// plain bytes (CK_KEY_DERIVATION_STRING_DATA for CONCATENATE_*_DATA and
// XOR_BASE_AND_DATA; the data of AES_ECB_ENCRYPT_DATA).
struct RawParams {
  Bytes bytes;
};
// One CK_ULONG: *_HMAC_GENERAL / CMAC_GENERAL output length
// (CK_MAC_GENERAL_PARAMS), CK_EXTRACT_PARAMS.
struct UlongParams {
  CK_ULONG value = 0;
};
// A key handle: CKM_CONCATENATE_BASE_AND_KEY (CK_OBJECT_HANDLE).
struct KeyHandleParams {
  ObjectHandle key;
};
// CK_AES_CTR_PARAMS.
struct AesCtrParams {
  CK_ULONG counter_bits = 0;
  std::array<uint8_t, 16> cb{};
};
// CK_GCM_PARAMS (and CK_AES_GCM_PARAMS).
struct GcmParams {
  Bytes iv;
  Bytes aad;
  CK_ULONG tag_bits = 128;
};
// CK_SALSA20_CHACHA20_POLY1305_PARAMS.
struct ChaCha20Poly1305Params {
  Bytes nonce;
  Bytes aad;
};
// CK_AES_CBC_ENCRYPT_DATA_PARAMS.
struct CbcEncryptDataParams {
  std::array<uint8_t, 16> iv{};
  Bytes data;
};
// CK_HKDF_PARAMS. |salt_type| is one of CKF_HKDF_SALT_*.
struct HkdfParams {
  bool extract = false;
  bool expand = false;
  CK_MECHANISM_TYPE prf = CKM_SHA256;
  CK_ULONG salt_type = CKF_HKDF_SALT_NULL;
  Bytes salt;
  ObjectHandle salt_key;
  Bytes info;
};
// One CK_PRF_DATA_PARAM. For ITERATION_VARIABLE / OPTIONAL_COUNTER the
// format fields describe the counter; for DKM_LENGTH, the length.
struct PrfDataParam {
  CK_PRF_DATA_TYPE type = CK_SP800_108_BYTE_ARRAY;
  Bytes bytes;                 // BYTE_ARRAY
  bool has_format = false;     // ITERATION_VARIABLE may come without a format (feedback mode)
  bool little_endian = false;  // counter / DKM length format
  CK_ULONG width_bits = 0;
  CK_ULONG dkm_method = 0;  // CK_SP800_108_DKM_LENGTH_SUM_OF_*
};
// An extra key of an SP 800-108 derivation (CK_DERIVED_KEY). DeriveKey
// writes the new handle into |*handle|.
struct AdditionalKey {
  Template tmpl;
  std::shared_ptr<ObjectHandle> handle = std::make_shared<ObjectHandle>();
};
// CK_SP800_108_KDF_PARAMS and CK_SP800_108_FEEDBACK_KDF_PARAMS (|feedback|).
struct Sp800108Params {
  CK_MECHANISM_TYPE prf = CKM_SHA256_HMAC;
  std::vector<PrfDataParam> data;
  bool feedback = false;
  Bytes iv;  // feedback only
  std::vector<AdditionalKey> additional_keys;
};
// CK_PKCS5_PBKD2_PARAMS2 (and the older CK_PKCS5_PBKD2_PARAMS).
struct Pbkdf2Params {
  Bytes salt;  // saltSource must be CKZ_SALT_SPECIFIED
  CK_ULONG iterations = 0;
  CK_ULONG prf = CKP_PKCS5_PBKD2_HMAC_SHA1;
  SecretBytes password;
};
// Asymmetric parameters (issue 6, rsa.cc / ec.cc / eddsa.cc).
// CK_RSA_PKCS_OAEP_PARAMS.
struct RsaOaepParams {
  CK_MECHANISM_TYPE hash = CKM_SHA_1;
  CK_RSA_PKCS_MGF_TYPE mgf = CKG_MGF1_SHA1;
  Bytes source_data;  // CKZ_DATA_SPECIFIED label; empty for none
};
// CK_RSA_PKCS_PSS_PARAMS.
struct RsaPssParams {
  CK_MECHANISM_TYPE hash = CKM_SHA_1;
  CK_RSA_PKCS_MGF_TYPE mgf = CKG_MGF1_SHA1;
  CK_ULONG salt_len = 0;
};
// CK_ECDH1_DERIVE_PARAMS.
struct Ecdh1DeriveParams {
  CK_EC_KDF_TYPE kdf = CKD_NULL;
  Bytes shared_data;
  Bytes public_data;
};
// CK_EDDSA_PARAMS.
struct EddsaParams {
  bool ph = false;
  Bytes context;
};
// CK_RSA_AES_KEY_WRAP_PARAMS (issue 6, rsa.cc).
struct RsaAesKeyWrapParams {
  CK_ULONG aes_key_bits = 256;
  RsaOaepParams oaep;
};

}  // namespace mech

// MechanismParams holds the parameter of one mechanism; monostate for none.
// Add a type per parameter structure, at the end.
using MechanismParams =
    std::variant<std::monostate, mech::RawParams, mech::UlongParams, mech::KeyHandleParams,
                 mech::AesCtrParams, mech::GcmParams, mech::ChaCha20Poly1305Params,
                 mech::CbcEncryptDataParams, mech::HkdfParams, mech::Sp800108Params,
                 mech::Pbkdf2Params, mech::RsaOaepParams, mech::RsaPssParams,
                 mech::Ecdh1DeriveParams, mech::EddsaParams, mech::RsaAesKeyWrapParams>;

struct Mechanism {
  CK_MECHANISM_TYPE type = CKM_VENDOR_DEFINED;
  MechanismParams params;
};

struct MechanismInfo {
  CK_ULONG min_key_size = 0;
  CK_ULONG max_key_size = 0;
  CK_FLAGS flags = 0;
};

// Mechanisms returns the mechanisms |config| allows, in ascending order.
std::vector<CK_MECHANISM_TYPE> Mechanisms(const Config& config);
// GetMechanismInfo returns a mechanism's info: kMechanismInvalid if unknown
// or not allowed by |config|.
Result<MechanismInfo> GetMechanismInfo(const Config& config, CK_MECHANISM_TYPE type);

// RunSelfTests runs one known-answer test per mechanism family. Returns
// kGeneralError (after a log line on stderr) if any fails.
Result<> RunSelfTests();

// Begin an operation on |session| with |key|.
Result<> EncryptInit(Session& session, const Mechanism& m, ObjectHandle key);
Result<> DecryptInit(Session& session, const Mechanism& m, ObjectHandle key);
Result<> DigestInit(Session& session, const Mechanism& m);
Result<> SignInit(Session& session, const Mechanism& m, ObjectHandle key);
Result<> VerifyInit(Session& session, const Mechanism& m, ObjectHandle key);
Result<> SignRecoverInit(Session& session, const Mechanism& m, ObjectHandle key);
Result<> VerifyRecoverInit(Session& session, const Mechanism& m, ObjectHandle key);
// DigestKey feeds a secret key's value to the active digest:
// kOperationNotInitialized without one, kKeyHandleInvalid, kKeyIndigestible
// for a key that is not a secret key.
Result<> DigestKey(Session& session, ObjectHandle key);

// Dual-function updates (C_DigestEncryptUpdate, C_DecryptDigestUpdate,
// C_SignEncryptUpdate, C_DecryptVerifyUpdate): both operations must be
// active (kOperationNotInitialized otherwise). The cipher runs first with
// the two-call convention on |out|; only when it wrote its output does the
// digest / signature see the plaintext.
Result<> DigestEncryptUpdate(Session& session, ByteView part, Output& out);
Result<> DecryptDigestUpdate(Session& session, ByteView encrypted_part, Output& out);
Result<> SignEncryptUpdate(Session& session, ByteView part, Output& out);
Result<> DecryptVerifyUpdate(Session& session, ByteView encrypted_part, Output& out);

// Make keys.
Result<ObjectHandle> GenerateKey(Session& session, const Mechanism& m, const Template& tmpl);
Result<std::pair<ObjectHandle, ObjectHandle>> GenerateKeyPair(Session& session, const Mechanism& m,
                                                              const Template& public_tmpl,
                                                              const Template& private_tmpl);
// WrapKey writes |key| wrapped with |wrapping_key| into |out| (two-call
// length convention, kBufferTooSmall). kWrappingKeyHandleInvalid,
// kWrappingKeyTypeInconsistent, kWrappingKeySizeRange, kKeyHandleInvalid,
// kKeyUnextractable (CKA_EXTRACTABLE false), kKeyNotWrappable (the key
// needs a trusted wrapping key, or the wrapping key's CKA_WRAP_TEMPLATE
// does not match it), kKeyFunctionNotPermitted (CKA_WRAP false).
Result<> WrapKey(Session& session, const Mechanism& m, ObjectHandle wrapping_key, ObjectHandle key,
                 Output& out);
// UnwrapKey makes a key from |wrapped|: kUnwrappingKeyHandleInvalid,
// kUnwrappingKeyTypeInconsistent, kWrappedKeyLenRange, kWrappedKeyInvalid,
// kTemplateInconsistent (|tmpl| contradicts CKA_UNWRAP_TEMPLATE).
Result<ObjectHandle> UnwrapKey(Session& session, const Mechanism& m, ObjectHandle unwrapping_key,
                               ByteView wrapped, const Template& tmpl);
// DeriveKey makes a key from |base_key|. For SP 800-108 with additional
// keys, their handles are written through the parameter's pointers.
Result<ObjectHandle> DeriveKey(Session& session, const Mechanism& m, ObjectHandle base_key,
                               const Template& tmpl);

// The message API (PKCS#11 3.0 C_MessageEncryptInit ... C_MessageVerifyFinal).
// Encryption: AES-GCM and ChaCha20-Poly1305, with per-message parameters
// (for encryption the IV is generated into params.iv under the CKG_GENERATE*
// policies, and the tag is written to params.tag; decryption reads both).
// Signing: every signature and MAC mechanism, with no per-message parameter
// (MessageParams holds monostate); each message is signed as C_Sign would.
//
// One message at a time: a whole message (EncryptMessage, SignMessage ...),
// or a multi-part one from *MessageBegin through the *MessageNext that ends
// it. Errors: kOperationNotInitialized without the init call, or for a Next
// with no message begun; kOperationActive for a message call while a
// multi-part message runs; kMechanismParamInvalid for bad |params|. An error
// ends only the message it happened in (a multi-part one is abandoned), never
// the message operation: that ends with Message*Final. Multi-part decryption
// releases no plaintext before the tag is checked: its parts write nothing
// and the last writes the whole message.
Result<> MessageEncryptInit(Session& session, const Mechanism& m, ObjectHandle key);
Result<> EncryptMessage(Session& session, MessageParams& params, ByteView aad, ByteView plaintext,
                        Output& out);
Result<> EncryptMessageBegin(Session& session, MessageParams& params, ByteView aad);
// EncryptMessageNext encrypts a part into |out|; |last| ends the message and
// writes the tag.
Result<> EncryptMessageNext(Session& session, MessageParams& params, ByteView part, Output& out,
                            bool last);
Result<> MessageEncryptFinal(Session& session);

Result<> MessageDecryptInit(Session& session, const Mechanism& m, ObjectHandle key);
// DecryptMessage: kAeadDecryptFailed if the tag does not verify.
Result<> DecryptMessage(Session& session, MessageParams& params, ByteView aad, ByteView ciphertext,
                        Output& out);
Result<> DecryptMessageBegin(Session& session, MessageParams& params, ByteView aad);
Result<> DecryptMessageNext(Session& session, MessageParams& params, ByteView part, Output& out,
                            bool last);
Result<> MessageDecryptFinal(Session& session);

Result<> MessageSignInit(Session& session, const Mechanism& m, ObjectHandle key);
Result<> SignMessage(Session& session, MessageParams& params, ByteView data, Output& signature);
Result<> SignMessageBegin(Session& session, MessageParams& params);
// SignMessageNext feeds |data|; with |signature| it ends the message and
// writes the signature there (a length query or kBufferTooSmall consumes
// nothing: call again with the same data).
Result<> SignMessageNext(Session& session, MessageParams& params, ByteView data, Output* signature);
Result<> MessageSignFinal(Session& session);

Result<> MessageVerifyInit(Session& session, const Mechanism& m, ObjectHandle key);
// VerifyMessage: kSignatureInvalid / kSignatureLenRange.
Result<> VerifyMessage(Session& session, MessageParams& params, ByteView data, ByteView signature);
Result<> VerifyMessageBegin(Session& session, MessageParams& params);
// VerifyMessageNext feeds |data|; a |signature| ends the message and checks it.
Result<> VerifyMessageNext(Session& session, MessageParams& params, ByteView data,
                           std::optional<ByteView> signature);
Result<> MessageVerifyFinal(Session& session);

}  // namespace cryptoki

#endif  // CRYPTOKI_MECHANISM_H_
