// fork(): a child that calls C_Initialize gets a fresh, working library and
// never the parent's sessions; the parent is unaffected.
#include <sys/wait.h>
#include <unistd.h>

#include "tests/c_abi_test_util.h"

namespace cryptoki::testing {
namespace {

class CAbiForkTest : public CAbiTest {};

// Child runs in the forked process; its exit code names the first failed step.
int Child(CK_SESSION_HANDLE parent_session) {
  CK_FUNCTION_LIST_3_0* f = F();
  CK_SESSION_INFO info;
  // Before C_Initialize the child has no library.
  if (f->C_GetSessionInfo(parent_session, &info) != CKR_CRYPTOKI_NOT_INITIALIZED) return 10;
  CK_C_INITIALIZE_ARGS a = InitArgs();
  if (f->C_Initialize(&a) != CKR_OK) return 11;
  // The parent's session does not exist here.
  if (f->C_GetSessionInfo(parent_session, &info) != CKR_SESSION_HANDLE_INVALID) return 12;
  if (f->C_CloseSession(parent_session) != CKR_SESSION_HANDLE_INVALID) return 13;
  // The fresh library works: a token, a session, random bytes, a digest.
  std::string label = Label32("child");
  if (f->C_InitToken(0, Pin(kCSoPin), Len(kCSoPin), Pin(label.c_str())) != CKR_OK) return 14;
  CK_SESSION_HANDLE h;
  if (f->C_OpenSession(0, CKF_SERIAL_SESSION, nullptr, nullptr, &h) != CKR_OK) return 15;
  CK_BYTE buf[16];
  if (f->C_GenerateRandom(h, buf, sizeof buf) != CKR_OK) return 16;
  CK_MECHANISM m{CKM_SHA256, nullptr, 0};
  CK_ULONG len = sizeof buf;
  if (f->C_DigestInit(h, &m) != CKR_OK) return 17;
  CK_BYTE digest[32];
  len = sizeof digest;
  if (f->C_Digest(h, buf, sizeof buf, digest, &len) != CKR_OK) return 18;
  if (f->C_Finalize(nullptr) != CKR_OK) return 19;
  return 0;
}

TEST_F(CAbiForkTest, ChildGetsAFreshLibraryAndParentKeepsItsSessions) {
  CK_SESSION_HANDLE h = Open();
  ASSERT_THAT(LoginUser(h), CkrIs(CKR_OK));
  CreateData(h, false, false);

  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) _exit(Child(h));
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the child failed at step " << WEXITSTATUS(status);

  // The parent is unaffected.
  EXPECT_EQ(State(h), CKS_RW_USER_FUNCTIONS);
  EXPECT_EQ(FindAll(h).size(), 1u);
  CK_BYTE buf[8];
  EXPECT_THAT(F()->C_GenerateRandom(h, buf, sizeof buf), CkrIs(CKR_OK));
}

TEST_F(CAbiForkTest, ChildThatNeverInitializesSeesNotInitialized) {
  CK_SESSION_HANDLE h = Open();
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    CK_BYTE buf[8];
    _exit(F()->C_GenerateRandom(h, buf, sizeof buf) == CKR_CRYPTOKI_NOT_INITIALIZED ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace cryptoki::testing
