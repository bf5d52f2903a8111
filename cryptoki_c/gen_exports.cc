// gen_exports prints, from pkcs11_functions.inc, either the linker version
// script of libcryptoki.so (no argument) or the bare list of C function
// names ("--names"), so the export map is the function table's own list.
#include <cstdio>
#include <cstring>

#include "pkcs11.h"

int main(int argc, char** argv) {
  const bool names = argc > 1 && strcmp(argv[1], "--names") == 0;
  if (!names) printf("{\n  global:\n");
#define CRYPTOKI_FN(name, params, args, version) printf(names ? "%s\n" : "    %s;\n", #name);
#include "pkcs11_functions.inc"
#undef CRYPTOKI_FN
  if (!names) printf("  local: *;\n};\n");
  return 0;
}
