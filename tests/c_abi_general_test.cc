// C_Initialize / C_Finalize, the function tables and interfaces, and the info
// functions, through the C ABI.
#include <fstream>

#include "tests/c_abi_test_util.h"

namespace cryptoki::testing {
namespace {

bool Blank(const CK_UTF8CHAR* p, size_t n) {
  // A fixed-width field: no NUL anywhere, printable.
  for (size_t i = 0; i < n; ++i)
    if (p[i] < 0x20) return false;
  return true;
}

TEST(CAbiInitializeTest, EveryFunctionFailsBeforeInitialize) {
  CK_FUNCTION_LIST_3_0* f = F();
  CK_INFO info;
  CK_ULONG n = 0;
  CK_SESSION_HANDLE h = 0;
  CK_MECHANISM m{CKM_SHA256, nullptr, 0};
  CK_BYTE buf[16];
  EXPECT_THAT(f->C_GetInfo(&info), CkrIs(CKR_CRYPTOKI_NOT_INITIALIZED));
  EXPECT_THAT(f->C_GetSlotList(CK_FALSE, nullptr, &n), CkrIs(CKR_CRYPTOKI_NOT_INITIALIZED));
  EXPECT_THAT(f->C_OpenSession(0, CKF_SERIAL_SESSION, nullptr, nullptr, &h),
              CkrIs(CKR_CRYPTOKI_NOT_INITIALIZED));
  EXPECT_THAT(f->C_CloseSession(1), CkrIs(CKR_CRYPTOKI_NOT_INITIALIZED));
  EXPECT_THAT(f->C_CloseAllSessions(0), CkrIs(CKR_CRYPTOKI_NOT_INITIALIZED));
  EXPECT_THAT(f->C_Login(1, CKU_USER, Pin("1234"), 4), CkrIs(CKR_CRYPTOKI_NOT_INITIALIZED));
  EXPECT_THAT(f->C_DigestInit(1, &m), CkrIs(CKR_CRYPTOKI_NOT_INITIALIZED));
  EXPECT_THAT(f->C_GenerateRandom(1, buf, sizeof buf), CkrIs(CKR_CRYPTOKI_NOT_INITIALIZED));
  EXPECT_THAT(f->C_FindObjectsInit(1, nullptr, 0), CkrIs(CKR_CRYPTOKI_NOT_INITIALIZED));
  EXPECT_THAT(f->C_MessageEncryptInit(1, &m, 1), CkrIs(CKR_CRYPTOKI_NOT_INITIALIZED));
  EXPECT_THAT(f->C_SessionCancel(1, 0), CkrIs(CKR_CRYPTOKI_NOT_INITIALIZED));
  EXPECT_THAT(f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &n, nullptr),
              CkrIs(CKR_CRYPTOKI_NOT_INITIALIZED));
  EXPECT_THAT(f->C_Finalize(nullptr), CkrIs(CKR_CRYPTOKI_NOT_INITIALIZED));
}

TEST(CAbiInitializeTest, InitializeTwiceFailsWithAlreadyInitialized) {
  CK_C_INITIALIZE_ARGS a = InitArgs();
  ASSERT_THAT(F()->C_Initialize(&a), CkrIs(CKR_OK));
  EXPECT_THAT(F()->C_Initialize(&a), CkrIs(CKR_CRYPTOKI_ALREADY_INITIALIZED));
  EXPECT_THAT(F()->C_Finalize(nullptr), CkrIs(CKR_OK));
  EXPECT_THAT(F()->C_Finalize(nullptr), CkrIs(CKR_CRYPTOKI_NOT_INITIALIZED));
}

TEST(CAbiInitializeTest, FinalizeWithNonNullReservedFailsWithArgumentsBad) {
  CK_C_INITIALIZE_ARGS a = InitArgs();
  ASSERT_THAT(F()->C_Initialize(&a), CkrIs(CKR_OK));
  int dummy;
  EXPECT_THAT(F()->C_Finalize(&dummy), CkrIs(CKR_ARGUMENTS_BAD));
  EXPECT_THAT(F()->C_Finalize(nullptr), CkrIs(CKR_OK));
}

CK_RV CreateMutexCb(CK_VOID_PTR_PTR m) {
  *m = new std::mutex;
  return CKR_OK;
}
CK_RV DestroyMutexCb(CK_VOID_PTR m) {
  delete static_cast<std::mutex*>(m);
  return CKR_OK;
}
CK_RV LockMutexCb(CK_VOID_PTR m) {
  static_cast<std::mutex*>(m)->lock();
  return CKR_OK;
}
CK_RV UnlockMutexCb(CK_VOID_PTR m) {
  static_cast<std::mutex*>(m)->unlock();
  return CKR_OK;
}

TEST(CAbiInitializeTest, SomeButNotAllMutexCallbacksFailWithArgumentsBad) {
  CK_C_INITIALIZE_ARGS a = InitArgs();
  a.CreateMutex = CreateMutexCb;
  a.LockMutex = LockMutexCb;
  EXPECT_THAT(F()->C_Initialize(&a), CkrIs(CKR_ARGUMENTS_BAD));
}

TEST(CAbiInitializeTest, AllMutexCallbacksAreAcceptedWithOrWithoutOsLocking) {
  for (CK_FLAGS flags :
       {CK_FLAGS{0}, CK_FLAGS{CKF_OS_LOCKING_OK}, CK_FLAGS{CKF_LIBRARY_CANT_CREATE_OS_THREADS}}) {
    CK_C_INITIALIZE_ARGS a = InitArgs();
    a.CreateMutex = CreateMutexCb;
    a.DestroyMutex = DestroyMutexCb;
    a.LockMutex = LockMutexCb;
    a.UnlockMutex = UnlockMutexCb;
    a.flags = flags;
    ASSERT_THAT(F()->C_Initialize(&a), CkrIs(CKR_OK)) << "flags " << flags;
    EXPECT_THAT(F()->C_Finalize(nullptr), CkrIs(CKR_OK));
  }
}

TEST(CAbiInitializeTest, NullArgsUseTheEnvironmentConfig) {
  const std::string path = std::string(getenv("TEST_TMPDIR")) + "/env.conf";
  std::ofstream(path) << kMemoryConfig;
  setenv("CRYPTOKI_CONF", path.c_str(), 1);
  EXPECT_THAT(F()->C_Initialize(nullptr), CkrIs(CKR_OK));
  EXPECT_THAT(F()->C_Finalize(nullptr), CkrIs(CKR_OK));
  unsetenv("CRYPTOKI_CONF");
}

TEST(CAbiInitializeTest, ReservedMayNameAConfigFile) {
  const std::string path = std::string(getenv("TEST_TMPDIR")) + "/reserved.conf";
  std::ofstream(path) << kMemoryConfig;
  CK_C_INITIALIZE_ARGS a = InitArgs(path.c_str());
  EXPECT_THAT(F()->C_Initialize(&a), CkrIs(CKR_OK));
  EXPECT_THAT(F()->C_Finalize(nullptr), CkrIs(CKR_OK));
}

TEST(CAbiInitializeTest, MalformedInlineConfigFailsWithArgumentsBad) {
  CK_C_INITIALIZE_ARGS a = InitArgs("objectstore.backend = floppy\n");
  EXPECT_THAT(F()->C_Initialize(&a), CkrIs(CKR_ARGUMENTS_BAD));
  EXPECT_THAT(F()->C_Finalize(nullptr), CkrIs(CKR_CRYPTOKI_NOT_INITIALIZED));
}

TEST(CAbiInitializeTest, MissingConfigFileFailsWithArgumentsBad) {
  CK_C_INITIALIZE_ARGS a = InitArgs("/nonexistent/cryptoki.conf");
  EXPECT_THAT(F()->C_Initialize(&a), CkrIs(CKR_ARGUMENTS_BAD));
}

TEST(CAbiInitializeTest, FinalizeClosesEverySession) {
  CK_C_INITIALIZE_ARGS a = InitArgs();
  ASSERT_THAT(F()->C_Initialize(&a), CkrIs(CKR_OK));
  std::string label = Label32("t");
  ASSERT_THAT(F()->C_InitToken(0, Pin(kCSoPin), Len(kCSoPin), Pin(label.c_str())), CkrIs(CKR_OK));
  CK_SESSION_HANDLE h;
  ASSERT_THAT(F()->C_OpenSession(0, CKF_SERIAL_SESSION, nullptr, nullptr, &h), CkrIs(CKR_OK));
  ASSERT_THAT(F()->C_Finalize(nullptr), CkrIs(CKR_OK));
  ASSERT_THAT(F()->C_Initialize(&a), CkrIs(CKR_OK));
  CK_SESSION_INFO info;
  EXPECT_THAT(F()->C_GetSessionInfo(h, &info), CkrIs(CKR_SESSION_HANDLE_INVALID));
  EXPECT_THAT(F()->C_Finalize(nullptr), CkrIs(CKR_OK));
}

TEST(CAbiFunctionListTest, GetFunctionListReturnsThe240Table) {
  CK_FUNCTION_LIST_PTR list = nullptr;
  ASSERT_THAT(C_GetFunctionList(&list), CkrIs(CKR_OK));
  EXPECT_EQ(list->version.major, 2);
  EXPECT_EQ(list->version.minor, 40);
  EXPECT_EQ(list->C_Initialize, &C_Initialize);
  EXPECT_EQ(list->C_WaitForSlotEvent, &C_WaitForSlotEvent);
  EXPECT_THAT(C_GetFunctionList(nullptr), CkrIs(CKR_ARGUMENTS_BAD));
}

TEST(CAbiFunctionListTest, EveryTableEntryIsSet) {
  CK_FUNCTION_LIST_3_0* f = F();
#define CRYPTOKI_FN(name, params, args, version) EXPECT_EQ(f->name, &name) << #name;
#include "pkcs11_functions.inc"
#undef CRYPTOKI_FN
  CK_FUNCTION_LIST_PTR list = nullptr;
  ASSERT_THAT(C_GetFunctionList(&list), CkrIs(CKR_OK));
#define CRYPTOKI_C_TEST_240(name) EXPECT_EQ(list->name, &name) << #name;
#define CRYPTOKI_C_TEST_300(name)
#define CRYPTOKI_FN(name, params, args, version) CRYPTOKI_C_TEST_##version(name)
#include "pkcs11_functions.inc"
#undef CRYPTOKI_FN
}

TEST(CAbiFunctionListTest, InterfaceListOffers30And240) {
  CK_ULONG n = 0;
  ASSERT_THAT(C_GetInterfaceList(nullptr, &n), CkrIs(CKR_OK));
  ASSERT_EQ(n, 2u);
  CK_INTERFACE list[2];
  CK_ULONG small = 1;
  EXPECT_THAT(C_GetInterfaceList(list, &small), CkrIs(CKR_BUFFER_TOO_SMALL));
  EXPECT_EQ(small, 2u);
  ASSERT_THAT(C_GetInterfaceList(list, &n), CkrIs(CKR_OK));
  for (const CK_INTERFACE& i : list)
    EXPECT_STREQ(reinterpret_cast<const char*>(i.pInterfaceName), "PKCS 11");
  auto* v0 = static_cast<CK_VERSION*>(list[0].pFunctionList);
  auto* v1 = static_cast<CK_VERSION*>(list[1].pFunctionList);
  EXPECT_EQ(v0->major, 3);
  EXPECT_EQ(v0->minor, 0);
  EXPECT_EQ(v1->major, 2);
  EXPECT_EQ(v1->minor, 40);
  EXPECT_THAT(C_GetInterfaceList(list, nullptr), CkrIs(CKR_ARGUMENTS_BAD));
}

TEST(CAbiFunctionListTest, GetInterfaceSelectsByNameVersionAndFlags) {
  CK_INTERFACE* i = nullptr;
  ASSERT_THAT(C_GetInterface(nullptr, nullptr, &i, 0), CkrIs(CKR_OK));
  EXPECT_EQ(static_cast<CK_VERSION*>(i->pFunctionList)->major, 3);
  CK_VERSION v240{2, 40};
  ASSERT_THAT(C_GetInterface(Pin("PKCS 11"), &v240, &i, 0), CkrIs(CKR_OK));
  EXPECT_EQ(static_cast<CK_VERSION*>(i->pFunctionList)->minor, 40);
  CK_VERSION v31{3, 1};
  EXPECT_THAT(C_GetInterface(Pin("PKCS 11"), &v31, &i, 0), CkrIs(CKR_ARGUMENTS_BAD));
  EXPECT_THAT(C_GetInterface(Pin("Vendor"), nullptr, &i, 0), CkrIs(CKR_ARGUMENTS_BAD));
  EXPECT_THAT(C_GetInterface(nullptr, nullptr, &i, CKF_INTERFACE_FORK_SAFE),
              CkrIs(CKR_ARGUMENTS_BAD));
  EXPECT_THAT(C_GetInterface(nullptr, nullptr, nullptr, 0), CkrIs(CKR_ARGUMENTS_BAD));
}

class CAbiInfoTest : public CAbiTest {};

TEST_F(CAbiInfoTest, GetInfoIsBlankPaddedWithoutNul) {
  CK_INFO info;
  memset(&info, 0, sizeof info);
  ASSERT_THAT(F()->C_GetInfo(&info), CkrIs(CKR_OK));
  EXPECT_EQ(info.cryptokiVersion.major, 3);
  EXPECT_EQ(info.cryptokiVersion.minor, 0);
  EXPECT_TRUE(Blank(info.manufacturerID, 32));
  EXPECT_TRUE(Blank(info.libraryDescription, 32));
  EXPECT_EQ(info.manufacturerID[31], ' ');
  EXPECT_EQ(info.flags, 0u);
  EXPECT_THAT(F()->C_GetInfo(nullptr), CkrIs(CKR_ARGUMENTS_BAD));
}

TEST_F(CAbiInfoTest, SlotAndTokenInfoAreBlankPadded) {
  CK_SLOT_INFO s;
  memset(&s, 0, sizeof s);
  ASSERT_THAT(F()->C_GetSlotInfo(slot_, &s), CkrIs(CKR_OK));
  EXPECT_TRUE(Blank(s.slotDescription, 64));
  EXPECT_TRUE(Blank(s.manufacturerID, 32));
  EXPECT_TRUE(s.flags & CKF_TOKEN_PRESENT);
  CK_TOKEN_INFO t;
  memset(&t, 0, sizeof t);
  ASSERT_THAT(F()->C_GetTokenInfo(slot_, &t), CkrIs(CKR_OK));
  EXPECT_TRUE(Blank(t.label, 32));
  EXPECT_TRUE(Blank(t.manufacturerID, 32));
  EXPECT_TRUE(Blank(t.model, 16));
  EXPECT_TRUE(Blank(t.serialNumber, 16));
  EXPECT_THAT(F()->C_GetSlotInfo(999, &s), CkrIs(CKR_SLOT_ID_INVALID));
  EXPECT_THAT(F()->C_GetTokenInfo(999, &t), CkrIs(CKR_SLOT_ID_INVALID));
  EXPECT_THAT(F()->C_GetTokenInfo(slot_, nullptr), CkrIs(CKR_ARGUMENTS_BAD));
}

TEST_F(CAbiInfoTest, SlotListUsesTheTwoCallConvention) {
  CK_ULONG n = 0;
  ASSERT_THAT(F()->C_GetSlotList(CK_FALSE, nullptr, &n), CkrIs(CKR_OK));
  ASSERT_EQ(n, 2u);
  CK_SLOT_ID slots[2] = {};
  CK_ULONG small = 1;
  EXPECT_THAT(F()->C_GetSlotList(CK_FALSE, slots, &small), CkrIs(CKR_BUFFER_TOO_SMALL));
  EXPECT_EQ(small, 2u);
  ASSERT_THAT(F()->C_GetSlotList(CK_TRUE, slots, &n), CkrIs(CKR_OK));
  EXPECT_EQ(slots[0], slot_);
  EXPECT_THAT(F()->C_GetSlotList(CK_FALSE, nullptr, nullptr), CkrIs(CKR_ARGUMENTS_BAD));
}

TEST_F(CAbiInfoTest, MechanismListUsesTheTwoCallConvention) {
  CK_ULONG n = 0;
  ASSERT_THAT(F()->C_GetMechanismList(slot_, nullptr, &n), CkrIs(CKR_OK));
  std::vector<CK_MECHANISM_TYPE> list(n);
  if (n > 0) {
    CK_ULONG small = n - 1;
    EXPECT_THAT(F()->C_GetMechanismList(slot_, list.data(), &small), CkrIs(CKR_BUFFER_TOO_SMALL));
    EXPECT_EQ(small, n);
    ASSERT_THAT(F()->C_GetMechanismList(slot_, list.data(), &n), CkrIs(CKR_OK));
    CK_MECHANISM_INFO info;
    EXPECT_THAT(F()->C_GetMechanismInfo(slot_, list[0], &info), CkrIs(CKR_OK));
  }
  CK_MECHANISM_INFO info;
  EXPECT_THAT(F()->C_GetMechanismInfo(slot_, CKM_VENDOR_DEFINED + 77, &info),
              CkrIs(CKR_MECHANISM_INVALID));
  EXPECT_THAT(F()->C_GetMechanismList(999, nullptr, &n), CkrIs(CKR_SLOT_ID_INVALID));
}

TEST_F(CAbiInfoTest, WaitForSlotEventWithoutBlockingReportsNoEvent) {
  CK_SLOT_ID slot;
  EXPECT_THAT(F()->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, nullptr), CkrIs(CKR_NO_EVENT));
  EXPECT_THAT(F()->C_WaitForSlotEvent(CKF_DONT_BLOCK, nullptr, nullptr), CkrIs(CKR_ARGUMENTS_BAD));
}

TEST_F(CAbiInfoTest, InitTokenFailsWithNullLabel) {
  EXPECT_THAT(F()->C_InitToken(slot_, Pin(kCSoPin), Len(kCSoPin), nullptr),
              CkrIs(CKR_ARGUMENTS_BAD));
}

}  // namespace
}  // namespace cryptoki::testing
