#!/usr/bin/env bash
# GnuTLS p11tool: --list-all and --test-sign on a token key.
set -euo pipefail
# The scripts live in tests/interop/ (runfiles under Bazel, or run by hand).
HERE=${TEST_SRCDIR:+$TEST_SRCDIR/${TEST_WORKSPACE:-cryptoki}/tests/interop}
HERE=${HERE:-$(dirname "$0")}
source "$HERE/common.sh" "$1"
need p11tool pkcs11-tool

init_token
pkcs11-tool --module "$MODULE" --token-label "$LABEL" --login --pin "$USER_PIN" \
  --keypairgen --key-type EC:prime256v1 --id 01 --label eckey
pkcs11-tool --module "$MODULE" --token-label "$LABEL" --login --pin "$USER_PIN" \
  --keypairgen --key-type rsa:2048 --id 02 --label rsakey

export GNUTLS_PIN="$USER_PIN" GNUTLS_SO_PIN="$SO_PIN"
step list-tokens
p11tool --provider "$MODULE" --list-tokens | tee "$WORK/tokens.txt"
grep -q "Label: $LABEL" "$WORK/tokens.txt"

step list-all
p11tool --provider "$MODULE" --login --list-all "pkcs11:token=$LABEL" | tee "$WORK/all.txt"
grep -q "object=eckey;type=private" "$WORK/all.txt"
grep -q "object=rsakey;type=public" "$WORK/all.txt"

step test-sign EC
p11tool --provider "$MODULE" --login --test-sign "pkcs11:token=$LABEL;object=eckey" 2>&1 |
  tee "$WORK/sign-ec.txt"
grep -q "Verifying against public key in the token... ok" "$WORK/sign-ec.txt"

step test-sign RSA
p11tool --provider "$MODULE" --login --test-sign "pkcs11:token=$LABEL;object=rsakey" 2>&1 |
  tee "$WORK/sign-rsa.txt"
grep -q "Verifying against public key in the token... ok" "$WORK/sign-rsa.txt"
echo PASS
