#!/usr/bin/env bash
# Java's SunPKCS11 provider (default-jdk-headless) through SunPkcs11Test.java.
set -euo pipefail
# The scripts live in tests/interop/ (runfiles under Bazel, or run by hand).
HERE=${TEST_SRCDIR:+$TEST_SRCDIR/${TEST_WORKSPACE:-cryptoki}/tests/interop}
HERE=${HERE:-$(dirname "$0")}
source "$HERE/common.sh" "$1"
need java pkcs11-tool
init_token
cat > "$WORK/sunpkcs11.cfg" <<CFG
name = cryptoki
library = $MODULE
slotListIndex = 0
CFG
java "$HERE/SunPkcs11Test.java" "$WORK/sunpkcs11.cfg" "$USER_PIN"
