// rv.h: Rv, the PKCS#11 return code as a strong type.
//
// Rv keeps the ABI's numeric value (CK_RV), vendor-defined codes included: a
// code this list does not name still round-trips through Rv unchanged.
#ifndef CRYPTOKI_RV_H_
#define CRYPTOKI_RV_H_

#include <string>
#include <string_view>

#include "cryptoki/expected.h"
#include "pkcs11.h"

namespace cryptoki {

// CRYPTOKI_RV_LIST lists every return code of PKCS#11 3.0 as (Name, CKR_ value).
#define CRYPTOKI_RV_LIST(X)                                              \
  X(Ok, CKR_OK)                                                          \
  X(Cancel, CKR_CANCEL)                                                  \
  X(HostMemory, CKR_HOST_MEMORY)                                         \
  X(SlotIdInvalid, CKR_SLOT_ID_INVALID)                                  \
  X(GeneralError, CKR_GENERAL_ERROR)                                     \
  X(FunctionFailed, CKR_FUNCTION_FAILED)                                 \
  X(ArgumentsBad, CKR_ARGUMENTS_BAD)                                     \
  X(NoEvent, CKR_NO_EVENT)                                               \
  X(NeedToCreateThreads, CKR_NEED_TO_CREATE_THREADS)                     \
  X(CantLock, CKR_CANT_LOCK)                                             \
  X(AttributeReadOnly, CKR_ATTRIBUTE_READ_ONLY)                          \
  X(AttributeSensitive, CKR_ATTRIBUTE_SENSITIVE)                         \
  X(AttributeTypeInvalid, CKR_ATTRIBUTE_TYPE_INVALID)                    \
  X(AttributeValueInvalid, CKR_ATTRIBUTE_VALUE_INVALID)                  \
  X(ActionProhibited, CKR_ACTION_PROHIBITED)                             \
  X(DataInvalid, CKR_DATA_INVALID)                                       \
  X(DataLenRange, CKR_DATA_LEN_RANGE)                                    \
  X(DeviceError, CKR_DEVICE_ERROR)                                       \
  X(DeviceMemory, CKR_DEVICE_MEMORY)                                     \
  X(DeviceRemoved, CKR_DEVICE_REMOVED)                                   \
  X(EncryptedDataInvalid, CKR_ENCRYPTED_DATA_INVALID)                    \
  X(EncryptedDataLenRange, CKR_ENCRYPTED_DATA_LEN_RANGE)                 \
  X(AeadDecryptFailed, CKR_AEAD_DECRYPT_FAILED)                          \
  X(FunctionCanceled, CKR_FUNCTION_CANCELED)                             \
  X(FunctionNotParallel, CKR_FUNCTION_NOT_PARALLEL)                      \
  X(FunctionNotSupported, CKR_FUNCTION_NOT_SUPPORTED)                    \
  X(KeyHandleInvalid, CKR_KEY_HANDLE_INVALID)                            \
  X(KeySizeRange, CKR_KEY_SIZE_RANGE)                                    \
  X(KeyTypeInconsistent, CKR_KEY_TYPE_INCONSISTENT)                      \
  X(KeyNotNeeded, CKR_KEY_NOT_NEEDED)                                    \
  X(KeyChanged, CKR_KEY_CHANGED)                                         \
  X(KeyNeeded, CKR_KEY_NEEDED)                                           \
  X(KeyIndigestible, CKR_KEY_INDIGESTIBLE)                               \
  X(KeyFunctionNotPermitted, CKR_KEY_FUNCTION_NOT_PERMITTED)             \
  X(KeyNotWrappable, CKR_KEY_NOT_WRAPPABLE)                              \
  X(KeyUnextractable, CKR_KEY_UNEXTRACTABLE)                             \
  X(MechanismInvalid, CKR_MECHANISM_INVALID)                             \
  X(MechanismParamInvalid, CKR_MECHANISM_PARAM_INVALID)                  \
  X(ObjectHandleInvalid, CKR_OBJECT_HANDLE_INVALID)                      \
  X(OperationActive, CKR_OPERATION_ACTIVE)                               \
  X(OperationNotInitialized, CKR_OPERATION_NOT_INITIALIZED)              \
  X(PinIncorrect, CKR_PIN_INCORRECT)                                     \
  X(PinInvalid, CKR_PIN_INVALID)                                         \
  X(PinLenRange, CKR_PIN_LEN_RANGE)                                      \
  X(PinExpired, CKR_PIN_EXPIRED)                                         \
  X(PinLocked, CKR_PIN_LOCKED)                                           \
  X(SessionClosed, CKR_SESSION_CLOSED)                                   \
  X(SessionCount, CKR_SESSION_COUNT)                                     \
  X(SessionHandleInvalid, CKR_SESSION_HANDLE_INVALID)                    \
  X(SessionParallelNotSupported, CKR_SESSION_PARALLEL_NOT_SUPPORTED)     \
  X(SessionReadOnly, CKR_SESSION_READ_ONLY)                              \
  X(SessionExists, CKR_SESSION_EXISTS)                                   \
  X(SessionReadOnlyExists, CKR_SESSION_READ_ONLY_EXISTS)                 \
  X(SessionReadWriteSoExists, CKR_SESSION_READ_WRITE_SO_EXISTS)          \
  X(SignatureInvalid, CKR_SIGNATURE_INVALID)                             \
  X(SignatureLenRange, CKR_SIGNATURE_LEN_RANGE)                          \
  X(TemplateIncomplete, CKR_TEMPLATE_INCOMPLETE)                         \
  X(TemplateInconsistent, CKR_TEMPLATE_INCONSISTENT)                     \
  X(TokenNotPresent, CKR_TOKEN_NOT_PRESENT)                              \
  X(TokenNotRecognized, CKR_TOKEN_NOT_RECOGNIZED)                        \
  X(TokenWriteProtected, CKR_TOKEN_WRITE_PROTECTED)                      \
  X(UnwrappingKeyHandleInvalid, CKR_UNWRAPPING_KEY_HANDLE_INVALID)       \
  X(UnwrappingKeySizeRange, CKR_UNWRAPPING_KEY_SIZE_RANGE)               \
  X(UnwrappingKeyTypeInconsistent, CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT) \
  X(UserAlreadyLoggedIn, CKR_USER_ALREADY_LOGGED_IN)                     \
  X(UserNotLoggedIn, CKR_USER_NOT_LOGGED_IN)                             \
  X(UserPinNotInitialized, CKR_USER_PIN_NOT_INITIALIZED)                 \
  X(UserTypeInvalid, CKR_USER_TYPE_INVALID)                              \
  X(UserAnotherAlreadyLoggedIn, CKR_USER_ANOTHER_ALREADY_LOGGED_IN)      \
  X(UserTooManyTypes, CKR_USER_TOO_MANY_TYPES)                           \
  X(WrappedKeyInvalid, CKR_WRAPPED_KEY_INVALID)                          \
  X(WrappedKeyLenRange, CKR_WRAPPED_KEY_LEN_RANGE)                       \
  X(WrappingKeyHandleInvalid, CKR_WRAPPING_KEY_HANDLE_INVALID)           \
  X(WrappingKeySizeRange, CKR_WRAPPING_KEY_SIZE_RANGE)                   \
  X(WrappingKeyTypeInconsistent, CKR_WRAPPING_KEY_TYPE_INCONSISTENT)     \
  X(RandomSeedNotSupported, CKR_RANDOM_SEED_NOT_SUPPORTED)               \
  X(RandomNoRng, CKR_RANDOM_NO_RNG)                                      \
  X(DomainParamsInvalid, CKR_DOMAIN_PARAMS_INVALID)                      \
  X(CurveNotSupported, CKR_CURVE_NOT_SUPPORTED)                          \
  X(BufferTooSmall, CKR_BUFFER_TOO_SMALL)                                \
  X(SavedStateInvalid, CKR_SAVED_STATE_INVALID)                          \
  X(InformationSensitive, CKR_INFORMATION_SENSITIVE)                     \
  X(StateUnsaveable, CKR_STATE_UNSAVEABLE)                               \
  X(CryptokiNotInitialized, CKR_CRYPTOKI_NOT_INITIALIZED)                \
  X(CryptokiAlreadyInitialized, CKR_CRYPTOKI_ALREADY_INITIALIZED)        \
  X(MutexBad, CKR_MUTEX_BAD)                                             \
  X(MutexNotLocked, CKR_MUTEX_NOT_LOCKED)                                \
  X(NewPinMode, CKR_NEW_PIN_MODE)                                        \
  X(NextOtp, CKR_NEXT_OTP)                                               \
  X(ExceededMaxIterations, CKR_EXCEEDED_MAX_ITERATIONS)                  \
  X(FipsSelfTestFailed, CKR_FIPS_SELF_TEST_FAILED)                       \
  X(LibraryLoadFailed, CKR_LIBRARY_LOAD_FAILED)                          \
  X(PinTooWeak, CKR_PIN_TOO_WEAK)                                        \
  X(PublicKeyInvalid, CKR_PUBLIC_KEY_INVALID)                            \
  X(FunctionRejected, CKR_FUNCTION_REJECTED)                             \
  X(TokenResourceExceeded, CKR_TOKEN_RESOURCE_EXCEEDED)                  \
  X(OperationCancelFailed, CKR_OPERATION_CANCEL_FAILED)                  \
  X(VendorDefined, CKR_VENDOR_DEFINED)

// Rv is a CK_RV. Enumerators are k<Name>, e.g. Rv::kPinIncorrect.
enum class Rv : CK_RV {
#define CRYPTOKI_RV_ENUM(name, value) k##name = value,
  CRYPTOKI_RV_LIST(CRYPTOKI_RV_ENUM)
#undef CRYPTOKI_RV_ENUM
};

// to_string returns the standard name ("CKR_PIN_INCORRECT"); for a code with
// no standard name, "CKR_VENDOR_DEFINED+0x..." or "CKR_0x...".
std::string to_string(Rv rv);

// ToCkRv returns the numeric CK_RV of |rv|.
constexpr CK_RV ToCkRv(Rv rv) { return static_cast<CK_RV>(rv); }

// Result is the return type of every fallible call in the core.
template <class T = void>
using Result = expected<T, Rv>;

// Fail returns |rv| as the error of a Result.
inline unexpected<Rv> Fail(Rv rv) { return unexpected<Rv>(rv); }

}  // namespace cryptoki

// CRYPTOKI_TRY evaluates a Result<void> expression and returns its error from
// the enclosing function if it has one.
#define CRYPTOKI_TRY(expr)                                         \
  do {                                                             \
    if (auto cryptoki_try_r = (expr); !cryptoki_try_r.has_value()) \
      return ::cryptoki::Fail(cryptoki_try_r.error());             \
  } while (0)

#endif  // CRYPTOKI_RV_H_
