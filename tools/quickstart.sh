#!/usr/bin/env bash
# quickstart.sh shows cryptoki working end to end on a fresh Debian 12
# machine: it installs what it needs (tools/setup.sh), builds the module and
# the C++ example, then, against a new token in a scratch directory:
#   1. runs the C++ example (make a token, log in, store and find objects);
#   2. has pkcs11-tool show the module, make a token, set the user PIN,
#      generate a P-256 key pair, sign with it;
#   3. verifies that signature with the openssl command.
# Idempotent; leaves everything under ${CRYPTOKI_QUICKSTART_DIR:-/tmp/cryptoki-quickstart}.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tools/setup.sh

echo "== building libcryptoki.so and the examples" >&2
bazel build -c opt //cryptoki_c:libcryptoki.so //examples:hello_token 2>&1 | grep -vE 'linux-sandbox' >&2
module="$PWD/bazel-bin/cryptoki_c/libcryptoki.so"

work="${CRYPTOKI_QUICKSTART_DIR:-/tmp/cryptoki-quickstart}"
rm -rf "$work"
mkdir -p "$work/tokens"
cat >"$work/cryptoki.conf" <<CONF
directories.tokendir = $work/tokens
CONF
export CRYPTOKI_CONF="$work/cryptoki.conf"

echo
echo "== 1. the C++ API (examples/cpp/hello_token.cc)"
bazel-bin/examples/hello_token "$work/cpp-tokens"

echo
echo "== 2. the module through pkcs11-tool"
p11() { pkcs11-tool --module "$module" "$@"; }
p11 --show-info
p11 --init-token --label quickstart --so-pin 87654321
p11 --list-slots
p11 --token-label quickstart --login --login-type so --so-pin 87654321 --init-pin --pin 123456
p11 --token-label quickstart --login --pin 123456 --keypairgen --key-type EC:prime256v1 \
  --id 01 --label quickstart-key
printf 'signed by a cryptoki token\n' >"$work/data.txt"
p11 --token-label quickstart --login --pin 123456 --sign --id 01 -m ECDSA-SHA256 \
  --signature-format openssl --input-file "$work/data.txt" --output-file "$work/data.sig"
p11 --token-label quickstart --read-object --type pubkey --id 01 --output-file "$work/pub.der"
p11 --token-label quickstart --login --pin 123456 --list-objects

echo
echo "== 3. the signature, verified by openssl"
openssl dgst -sha256 -verify "$work/pub.der" -keyform DER -signature "$work/data.sig" "$work/data.txt"
