#!/usr/bin/env bash
# Runs pykcs11_test.py (Debian's python3-pykcs11) against a fresh token.
set -euo pipefail
# The scripts live in tests/interop/ (runfiles under Bazel, or run by hand).
HERE=${TEST_SRCDIR:+$TEST_SRCDIR/${TEST_WORKSPACE:-cryptoki}/tests/interop}
HERE=${HERE:-$(dirname "$0")}
source "$HERE/common.sh" "$1"
need pkcs11-tool /usr/bin/python3
/usr/bin/python3 -c "import PyKCS11" || { echo "FAIL: python3-pykcs11 is not installed" >&2; exit 1; }
init_token
export LABEL USER_PIN
/usr/bin/python3 "$HERE/pykcs11_test.py" "$MODULE"
