#!/usr/bin/env bash
# OpenSSL's pkcs11 engine (libengine-pkcs11-openssl): a self-signed
# certificate made with a token's RSA and EC keys, verified by openssl.
set -euo pipefail
# The scripts live in tests/interop/ (runfiles under Bazel, or run by hand).
HERE=${TEST_SRCDIR:+$TEST_SRCDIR/${TEST_WORKSPACE:-cryptoki}/tests/interop}
HERE=${HERE:-$(dirname "$0")}
source "$HERE/common.sh" "$1"
need openssl pkcs11-tool

ENGINE=$(ls /usr/lib/*/engines-3/pkcs11.so 2> /dev/null | head -1)
[[ -n "$ENGINE" ]] || { echo "FAIL: libengine-pkcs11-openssl is not installed" >&2; exit 1; }

init_token
pkcs11-tool --module "$MODULE" --token-label "$LABEL" --login --pin "$USER_PIN" \
  --keypairgen --key-type rsa:2048 --id 01 --label rsakey
pkcs11-tool --module "$MODULE" --token-label "$LABEL" --login --pin "$USER_PIN" \
  --keypairgen --key-type EC:prime256v1 --id 02 --label eckey

cat > "$WORK/openssl.cnf" <<CNF
openssl_conf = openssl_init
[openssl_init]
engines = engine_section
[engine_section]
pkcs11 = pkcs11_section
[pkcs11_section]
engine_id = pkcs11
dynamic_path = $ENGINE
MODULE_PATH = $MODULE
init = 0
[req]
distinguished_name = dn
[dn]
CNF
export OPENSSL_CONF="$WORK/openssl.cnf"

for key in rsakey eckey; do
  step "self-signed certificate with $key"
  openssl req -new -x509 -days 1 -subj "/CN=cryptoki $key" -sha256 \
    -engine pkcs11 -keyform engine \
    -key "pkcs11:token=$LABEL;object=$key;type=private;pin-value=$USER_PIN" \
    -out "$WORK/$key.pem"
  openssl x509 -in "$WORK/$key.pem" -noout -subject
  # The certificate's signature verifies with its own public key.
  env -u OPENSSL_CONF openssl verify -CAfile "$WORK/$key.pem" "$WORK/$key.pem"
done
echo PASS
