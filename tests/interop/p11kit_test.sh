#!/usr/bin/env bash
# p11-kit sees the module through a .module file.
#
# p11-kit reads ~/.config/pkcs11/modules only for non-root users. As root the
# test bind-mounts a directory holding only our .module file over p11-kit's
# system module directory in a private mount namespace (unshare), so the
# machine's configuration is never touched.
set -euo pipefail
# The scripts live in tests/interop/ (runfiles under Bazel, or run by hand).
HERE=${TEST_SRCDIR:+$TEST_SRCDIR/${TEST_WORKSPACE:-cryptoki}/tests/interop}
HERE=${HERE:-$(dirname "$0")}
source "$HERE/common.sh" "$1"
need p11-kit pkcs11-tool

init_token
mods="$HOME/.config/pkcs11/modules"
mkdir -p "$mods"
cat > "$mods/cryptoki.module" <<MOD
module: $MODULE
MOD

step p11-kit list-modules
if [[ $(id -u) -ne 0 ]]; then
  p11-kit list-modules > "$WORK/modules.txt"
else
  sysdir=/usr/share/p11-kit/modules
  unshare -m --propagation private \
    sh -c "mount --bind '$mods' '$sysdir' && p11-kit list-modules" > "$WORK/modules.txt"
fi
cat "$WORK/modules.txt"
grep -q "^cryptoki: " "$WORK/modules.txt"
grep -q "library-manufacturer: cryptoki project" "$WORK/modules.txt"
grep -q "token: $LABEL" "$WORK/modules.txt"
echo PASS
