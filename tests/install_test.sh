#!/bin/bash
# install_test.sh: tools/install.sh into a temporary prefix, from the dist
# tree Bazel built (no Bazel, no network inside the test), then the installed
# files work: p11-kit lists the module, pkcs11-tool loads it, cryptoki-util
# runs, and a C++ program builds against the headers and libcryptoki++.so
# with the flags of cryptoki.pc.
# Usage: install_test.sh INSTALL_SH DIST_TAR
set -u
INSTALL="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
DIST="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
WORK="${TEST_TMPDIR:-$(mktemp -d)}/install_test"
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
check() { # check NAME COMMAND...: the command succeeds
  local name=$1
  shift
  if "$@" >out.txt 2>err.txt; then pass "$name"; else fail "$name: $(cat out.txt err.txt)"; fi
}

PREFIX="$WORK/prefix"
check "install.sh --help" bash "$INSTALL" --help
bash "$INSTALL" --bogus >/dev/null 2>&1
[ $? -eq 2 ] && pass "install.sh bad usage exits 2" || fail "install.sh bad usage should exit 2"
check "install --from-dist" bash "$INSTALL" --from-dist "$DIST" --prefix "$PREFIX"
for f in lib/libcryptoki.so lib/libcryptoki++.so bin/cryptoki-util include/cryptoki/pkcs11.h \
  include/cryptoki/pkcs11_functions.inc include/cryptoki/cryptoki.h include/cryptoki/session.h \
  include/cryptoki/third_party/absl/container/flat_hash_map.h \
  share/p11-kit/modules/cryptoki.module lib/pkgconfig/cryptoki.pc; do
  [ -f "$PREFIX/$f" ] || fail "not installed: $f"
done
[ -x "$PREFIX/bin/cryptoki-util" ] || fail "cryptoki-util is not executable"
grep -qx "module: $PREFIX/lib/libcryptoki.so" "$PREFIX/share/p11-kit/modules/cryptoki.module" ||
  fail "module file: $(cat "$PREFIX/share/p11-kit/modules/cryptoki.module")"
ls -A "$PREFIX/lib" | grep -q tmp && fail "install left temporary files"

# Again over itself (upgrade), and from an unpacked tree.
mkdir tree && tar -C tree -xf "$DIST"
check "install --from-dir over an existing install" bash "$INSTALL" --from-dir tree --prefix "$PREFIX"

# DESTDIR stages under DESTDIR but the files name the prefix.
check "install with DESTDIR" env DESTDIR="$WORK/stage" bash "$INSTALL" --from-dist "$DIST" \
  --prefix /opt/cryptoki
[ -f "$WORK/stage/opt/cryptoki/lib/libcryptoki.so" ] || fail "DESTDIR: module not staged"
grep -qx "module: /opt/cryptoki/lib/libcryptoki.so" \
  "$WORK/stage/opt/cryptoki/share/p11-kit/modules/cryptoki.module" || fail "DESTDIR leaked into the module file"
grep -q "^prefix=/opt/cryptoki$" "$WORK/stage/opt/cryptoki/lib/pkgconfig/cryptoki.pc" ||
  fail "DESTDIR leaked into cryptoki.pc"

# A token directory for the module and the tool.
printf 'directories.tokendir = %s/tokens\npin.kdf_log2n = 4\n' "$WORK" >cryptoki.conf
export CRYPTOKI_CONF="$WORK/cryptoki.conf"
check "installed cryptoki-util --help" "$PREFIX/bin/cryptoki-util" --help
check "installed cryptoki-util init-token" "$PREFIX/bin/cryptoki-util" init-token --label inst \
  --so-pin 87654321 --pin 1234

# p11-kit finds the module through the user's module directory.
export HOME="$WORK/home"
export XDG_CONFIG_HOME="$HOME/.config"
mkdir -p "$HOME/.config/pkcs11/modules"
cp "$PREFIX/share/p11-kit/modules/cryptoki.module" "$HOME/.config/pkcs11/modules/cryptoki.module"
# p11-kit ignores the user's configuration when running as root; a user
# namespace without mappings makes it run as "nobody" with the same files.
as_user=()
if [ "$(id -u)" -eq 0 ]; then
  if unshare -U true 2>/dev/null; then as_user=(unshare -U); else echo "warning: root and no unshare -U"; fi
fi
check "p11-kit list-modules" "${as_user[@]}" p11-kit list-modules
grep -q '^cryptoki: ' out.txt || fail "p11-kit list-modules does not show cryptoki: $(cat out.txt)"
grep -A8 '^cryptoki: ' out.txt | grep -q 'token: inst' || fail "p11-kit does not show the token: $(cat out.txt)"

# pkcs11-tool loads the installed module.
check "pkcs11-tool --show-info" pkcs11-tool --module "$PREFIX/lib/libcryptoki.so" --show-info
grep -qi 'cryptoki' out.txt || fail "pkcs11-tool --show-info: $(cat out.txt)"
check "pkcs11-tool --list-slots" pkcs11-tool --module "$PREFIX/lib/libcryptoki.so" --list-slots
grep -q 'inst' out.txt || fail "pkcs11-tool does not see the token: $(cat out.txt)"

# pkg-config and the C++ API.
export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"
check "pkg-config" pkg-config --cflags --libs cryptoki
[ "$(pkg-config --variable=module cryptoki)" = "$PREFIX/lib/libcryptoki.so" ] ||
  fail "pkg-config --variable=module: $(pkg-config --variable=module cryptoki)"
cat >hello.cc <<'CC'
#include <cryptoki/cryptoki.h>
#include <cstdio>
using namespace cryptoki;
int main() {
  auto lib = Library::Create();
  if (!lib) return 1;
  auto slots = (*lib)->Slots();
  auto token = (*lib)->GetToken(slots.front());
  if (!token || !(*token)->initialized()) return 2;
  auto session = (*token)->OpenSession(SessionKind::kReadWrite);
  if (!session) return 3;
  if (!session->Login(CKU_USER, "1234")) return 4;
  auto h = session->CreateObject({attr::Class{CKO_DATA}, attr::Token{false}, attr::Label{"hi"}});
  if (!h) return 5;
  auto label = session->Get<attr::Label>(*h);
  if (!label || *label != "hi") return 6;
  std::printf("token %s: %zu slot(s), created \"%s\"\n", (*token)->Info().label.c_str(),
              slots.size(), label->c_str());
  return 0;
}
CC
cat >hello.c <<'C'
#include <cryptoki/pkcs11.h>
#include <stdio.h>
int main(void) { printf("CKR_PIN_INCORRECT=%lu\n", (unsigned long)CKR_PIN_INCORRECT); return 0; }
C
if command -v g++ >/dev/null; then
  # shellcheck disable=SC2046
  check "C++ program builds against the installed API" \
    g++ -std=c++20 -o hello hello.cc $(pkg-config --cflags --libs cryptoki)
  check "C++ program runs" env LD_LIBRARY_PATH="$PREFIX/lib" ./hello
  grep -q 'token inst: 2 slot(s), created "hi"' out.txt || fail "hello: $(cat out.txt)"
  # shellcheck disable=SC2046
  check "C program builds against pkcs11.h" gcc -o hello_c hello.c $(pkg-config --cflags cryptoki)
  check "C program runs" ./hello_c
else
  echo "skipped: no g++"
fi

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
