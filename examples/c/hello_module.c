/* hello_module.c: load the cryptoki PKCS#11 module from C.
 *
 *   cc -I cryptoki_c/include examples/c/hello_module.c -ldl -o hello_module
 *   CRYPTOKI_CONF=my.conf ./hello_module bazel-bin/cryptoki_c/libcryptoki.so
 *
 * It dlopens the module, asks for the PKCS#11 3.0 interface (falling back to
 * C_GetFunctionList's 2.40 table), initialises the library, prints the
 * library and slot information, fills a buffer with random bytes if a token
 * is initialised, and finalises. The header is cryptoki's own pkcs11.h.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* Only function pointer types are needed when loading a module at run time. */
#define CRYPTOKI_NO_PROTOTYPES
#include "pkcs11.h"

/* print_field prints a blank-padded fixed-width field without its padding. */
static void print_field(const char* name, const CK_UTF8CHAR* field, size_t n) {
  while (n > 0 && field[n - 1] == ' ') --n;
  printf("%s%.*s\n", name, (int)n, (const char*)field);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s path/to/libcryptoki.so\n", argv[0]);
    return 2;
  }
  void* module = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (module == NULL) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 1;
  }

  /* Prefer the 3.0 interface; every 3.0 table starts like the 2.40 one. */
  CK_FUNCTION_LIST_PTR f = NULL;
  CK_C_GetInterface get_interface = (CK_C_GetInterface)dlsym(module, "C_GetInterface");
  CK_INTERFACE_PTR iface = NULL;
  CK_VERSION v30 = {3, 0};
  if (get_interface != NULL &&
      get_interface((CK_UTF8CHAR_PTR) "PKCS 11", &v30, &iface, 0) == CKR_OK) {
    f = (CK_FUNCTION_LIST_PTR)iface->pFunctionList;
  } else {
    CK_C_GetFunctionList get_list = (CK_C_GetFunctionList)dlsym(module, "C_GetFunctionList");
    if (get_list == NULL || get_list(&f) != CKR_OK) {
      fprintf(stderr, "no PKCS#11 function list in %s\n", argv[1]);
      return 1;
    }
  }
  printf("interface version %d.%d\n", f->version.major, f->version.minor);

  CK_C_INITIALIZE_ARGS args;
  memset(&args, 0, sizeof args);
  args.flags = CKF_OS_LOCKING_OK; /* config from $CRYPTOKI_CONF */
  CK_RV rv = f->C_Initialize(&args);
  if (rv != CKR_OK) {
    fprintf(stderr, "C_Initialize: 0x%lx\n", rv);
    return 1;
  }

  CK_INFO info;
  if (f->C_GetInfo(&info) == CKR_OK) {
    print_field("manufacturer: ", info.manufacturerID, sizeof info.manufacturerID);
    print_field("library:      ", info.libraryDescription, sizeof info.libraryDescription);
  }

  CK_SLOT_ID slots[16];
  CK_ULONG count = 16;
  rv = f->C_GetSlotList(CK_TRUE, slots, &count);
  if (rv != CKR_OK) {
    fprintf(stderr, "C_GetSlotList: 0x%lx\n", rv);
    f->C_Finalize(NULL);
    return 1;
  }
  for (CK_ULONG i = 0; i < count; ++i) {
    CK_TOKEN_INFO t;
    if (f->C_GetTokenInfo(slots[i], &t) != CKR_OK) continue;
    printf("slot %lu: ", slots[i]);
    if (!(t.flags & CKF_TOKEN_INITIALIZED)) {
      printf("(uninitialised token)\n");
      continue;
    }
    print_field("token ", t.label, sizeof t.label);
    CK_SESSION_HANDLE h;
    if (f->C_OpenSession(slots[i], CKF_SERIAL_SESSION, NULL, NULL, &h) == CKR_OK) {
      CK_BYTE random[8];
      if (f->C_GenerateRandom(h, random, sizeof random) == CKR_OK) {
        printf("  random:");
        for (size_t j = 0; j < sizeof random; ++j) printf(" %02x", random[j]);
        printf("\n");
      }
      f->C_CloseSession(h);
    }
  }

  f->C_Finalize(NULL);
  dlclose(module);
  return 0;
}
