#!/usr/bin/env bash
# ssh-keygen -D lists the public keys on the token in OpenSSH format, equal
# to what ssh-keygen derives from the key exported by pkcs11-tool.
set -euo pipefail
# The scripts live in tests/interop/ (runfiles under Bazel, or run by hand).
HERE=${TEST_SRCDIR:+$TEST_SRCDIR/${TEST_WORKSPACE:-cryptoki}/tests/interop}
HERE=${HERE:-$(dirname "$0")}
source "$HERE/common.sh" "$1"
need ssh-keygen pkcs11-tool openssl

init_token
login=(--token-label "$LABEL" --login --pin "$USER_PIN")
p11 "${login[@]}" --keypairgen --key-type rsa:2048 --id 01 --label rsakey
p11 "${login[@]}" --keypairgen --key-type EC:prime256v1 --id 02 --label eckey

step ssh-keygen -D
ssh-keygen -D "$MODULE" | tee "$WORK/ssh.txt"
grep -q "^ssh-rsa " "$WORK/ssh.txt"
grep -q "^ecdsa-sha2-nistp256 " "$WORK/ssh.txt"

step the listed RSA key is the token key
p11 --token-label "$LABEL" --read-object --type pubkey --id 01 --output-file "$WORK/rsa.der"
openssl pkey -pubin -inform DER -in "$WORK/rsa.der" -out "$WORK/rsa.pem"
want=$(ssh-keygen -i -m PKCS8 -f "$WORK/rsa.pem" | awk '{print $2}')
grep -q "$want" "$WORK/ssh.txt"
echo PASS
