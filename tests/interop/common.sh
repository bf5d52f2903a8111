# common.sh: shared setup for the interop tests (sourced; bash).
#
# Usage in a test script:  source "$HERE/common.sh" "$1" (HERE: this directory)
# where $1 is the module's runfiles path ($(location //cryptoki_c:libcryptoki.so)).
# Sets MODULE (absolute path), WORK (a fresh directory), CRYPTOKI_CONF (a
# config with a file store under $WORK/tokens), SO_PIN, USER_PIN, LABEL, and
# defines init_token, need and the p11 wrapper for pkcs11-tool.
set -euo pipefail

MODULE=$(realpath "${1:?usage: $0 path/to/libcryptoki.so}")
WORK=$(mktemp -d "${TEST_TMPDIR:-/tmp}/interop.XXXXXX")
mkdir -p "$WORK/tokens"
cat > "$WORK/cryptoki.conf" <<CONF
directories.tokendir = $WORK/tokens
objectstore.backend = file
pin.kdf_log2n = 4
CONF
export CRYPTOKI_CONF="$WORK/cryptoki.conf"
export HOME="$WORK/home"
mkdir -p "$HOME"
SO_PIN=12345678
USER_PIN=123456
LABEL=interop

# need TOOL... fails the test (with a clear message) if a tool is missing:
# tools/setup.sh installs them all.
need() {
  local t
  for t in "$@"; do
    command -v "$t" > /dev/null || { echo "FAIL: $t is not installed (run tools/setup.sh)" >&2; exit 1; }
  done
}

# p11 runs pkcs11-tool on the module.
p11() { pkcs11-tool --module "$MODULE" "$@"; }

# init_token makes a token labelled $LABEL with $SO_PIN and $USER_PIN.
init_token() {
  p11 --init-token --label "$LABEL" --so-pin "$SO_PIN"
  p11 --token-label "$LABEL" --init-pin --so-pin "$SO_PIN" --pin "$USER_PIN"
}

# step prints a banner so a failure's log shows where it happened.
step() { echo "=== $*"; }
