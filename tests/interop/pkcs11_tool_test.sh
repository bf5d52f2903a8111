#!/usr/bin/env bash
# pkcs11-tool (OpenSC) against a fresh token: info, token and PIN setup,
# slots, mechanisms, RSA-2048 and P-256 key pairs, signatures verified by the
# openssl command, object listing.
set -euo pipefail
# The scripts live in tests/interop/ (runfiles under Bazel, or run by hand).
HERE=${TEST_SRCDIR:+$TEST_SRCDIR/${TEST_WORKSPACE:-cryptoki}/tests/interop}
HERE=${HERE:-$(dirname "$0")}
source "$HERE/common.sh" "$1"
need pkcs11-tool openssl

step show-info
p11 --show-info | tee "$WORK/info.txt"
grep -q "cryptoki" "$WORK/info.txt"

step init-token / init-pin
init_token
p11 --list-slots | tee "$WORK/slots.txt"
grep -q "token label *: $LABEL" "$WORK/slots.txt"
grep -q "PIN initialized" "$WORK/slots.txt"

step list-mechanisms
p11 --list-mechanisms | tee "$WORK/mechs.txt"
grep -q "RSA-PKCS-KEY-PAIR-GEN" "$WORK/mechs.txt"
grep -q "ECDSA" "$WORK/mechs.txt"

login=(--token-label "$LABEL" --login --pin "$USER_PIN")
echo "sign me" > "$WORK/data.txt"

step RSA-2048 key pair, sign, verify with openssl
p11 "${login[@]}" --keypairgen --key-type rsa:2048 --id 01 --label rsa
p11 "${login[@]}" --sign --mechanism SHA256-RSA-PKCS --id 01 \
  --input-file "$WORK/data.txt" --output-file "$WORK/rsa.sig"
p11 --token-label "$LABEL" --read-object --type pubkey --id 01 --output-file "$WORK/rsa.der"
openssl pkey -pubin -inform DER -in "$WORK/rsa.der" -out "$WORK/rsa.pem"
openssl dgst -sha256 -verify "$WORK/rsa.pem" -signature "$WORK/rsa.sig" "$WORK/data.txt"

step RSA-PSS signature, verify with openssl
p11 "${login[@]}" --sign --mechanism SHA256-RSA-PKCS-PSS --id 01 \
  --input-file "$WORK/data.txt" --output-file "$WORK/pss.sig"
openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:-1 \
  -verify "$WORK/rsa.pem" -signature "$WORK/pss.sig" "$WORK/data.txt"

step P-256 key pair, sign, verify with openssl
p11 "${login[@]}" --keypairgen --key-type EC:prime256v1 --id 02 --label ec
p11 "${login[@]}" --sign --mechanism ECDSA-SHA256 --signature-format openssl --id 02 \
  --input-file "$WORK/data.txt" --output-file "$WORK/ec.sig"
p11 --token-label "$LABEL" --read-object --type pubkey --id 02 --output-file "$WORK/ec.der"
openssl pkey -pubin -inform DER -in "$WORK/ec.der" -out "$WORK/ec.pem"
openssl dgst -sha256 -verify "$WORK/ec.pem" -signature "$WORK/ec.sig" "$WORK/data.txt"

step verify on the token
p11 "${login[@]}" --verify --mechanism ECDSA-SHA256 --signature-format openssl --id 02 \
  --input-file "$WORK/data.txt" --signature-file "$WORK/ec.sig"

step list-objects
p11 "${login[@]}" --list-objects | tee "$WORK/objects.txt"
test "$(grep -c '^Private Key Object' "$WORK/objects.txt")" -eq 2
test "$(grep -c '^Public Key Object' "$WORK/objects.txt")" -eq 2
# Without login only the public keys are listed.
p11 --token-label "$LABEL" --list-objects | tee "$WORK/public.txt"
test "$(grep -c '^Private Key Object' "$WORK/public.txt" || true)" -eq 0

step delete an object
p11 "${login[@]}" --delete-object --type privkey --id 02
p11 "${login[@]}" --list-objects | grep -c '^Private Key Object' | grep -qx 1

echo PASS
