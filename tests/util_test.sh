#!/bin/bash
# util_test.sh: cryptoki-util end to end, against a fresh token directory.
# Usage: util_test.sh PATH_TO_CRYPTOKI_UTIL
set -u
UTIL="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
WORK="${TEST_TMPDIR:-$(mktemp -d)}/util_test"
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1
printf 'directories.tokendir = %s/tokens\npin.kdf_log2n = 4\n' "$WORK" > cryptoki.conf
export CRYPTOKI_CONF="$WORK/cryptoki.conf"
unset CRYPTOKI_PIN CRYPTOKI_SO_PIN CRYPTOKI_NEW_PIN

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

# run EXPECTED_STATUS NAME ARGS...: runs the tool with stdin from /dev/null,
# output in out.txt / err.txt, and checks the exit status.
run() {
  local want=$1 name=$2
  shift 2
  "$UTIL" "$@" </dev/null >out.txt 2>err.txt
  local got=$?
  if [ "$got" -ne "$want" ]; then
    fail "$name: exit $got, want $want; stderr: $(cat err.txt)"
    return 1
  fi
  pass "$name"
}

# one_line_error NAME: stderr is exactly one "cryptoki-util: ..." line.
one_line_error() {
  if [ "$(wc -l <err.txt)" -ne 1 ] || ! grep -q '^cryptoki-util: ' err.txt; then
    fail "$1: stderr is not one 'cryptoki-util: ...' line: $(cat err.txt)"
  fi
}

count_objects() { "$UTIL" list --pin "$1" </dev/null | wc -l; }

# --- keys made at test time ---
openssl genrsa -traditional -out rsa_pkcs1.pem 2048 2>/dev/null || fail "openssl genrsa"
grep -q 'BEGIN RSA PRIVATE KEY' rsa_pkcs1.pem || fail "rsa_pkcs1.pem is not PKCS#1"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa_pkcs8.pem 2>/dev/null
openssl pkey -in rsa_pkcs8.pem -outform DER -out rsa_pkcs8.der
openssl ecparam -name prime256v1 -genkey -out ec.pem   # "EC PRIVATE KEY" after "EC PARAMETERS"
openssl genpkey -algorithm ed25519 -out ed25519.pem
openssl genpkey -algorithm x25519 -out x25519.pem
openssl req -x509 -new -key rsa_pkcs8.pem -subj /CN=util-test -days 30 -out cert.pem 2>/dev/null
openssl x509 -in cert.pem -outform DER -out cert.der
head -c 32 /dev/urandom >aes.bin

# --- help and usage ---
run 0 "--help" --help && grep -q '^usage: cryptoki-util' out.txt || fail "--help text"
run 0 "import-key --help" import-key --help && grep -q 'usage: cryptoki-util import-key' out.txt ||
  fail "import-key --help text"
run 0 "help list" help list
run 2 "no command"; one_line_error "no command"
run 2 "unknown command" frobnicate; one_line_error "unknown command"
run 2 "unknown option" list --frob; one_line_error "unknown option"
run 2 "missing operand" import-key --label x; one_line_error "missing operand"
run 2 "missing --label" import-key rsa_pkcs1.pem; one_line_error "missing --label"
run 2 "bad --id" import-key rsa_pkcs1.pem --label x --id zz; one_line_error "bad --id"
run 2 "bad URI" delete 'pkcs11:bogus=1'; one_line_error "bad URI"
run 2 "PIN needed, no terminal" init-token --label alpha; one_line_error "PIN needed"
run 1 "no token yet" list; one_line_error "no token yet"

# --- tokens ---
run 0 "init-token" init-token --label alpha --so-pin 87654321 --pin 1234
run 0 "slots" slots
grep -q 'slot 0: token "alpha"' out.txt || fail "slots does not show alpha: $(cat out.txt)"
grep -q 'slot 1: free' out.txt || fail "slots does not show the free slot: $(cat out.txt)"
run 1 "init-token duplicate label" init-token --label alpha --so-pin 87654321 --pin 1234
one_line_error "duplicate label"

# --- imports ---
run 0 "import RSA PKCS#1 PEM" import-key rsa_pkcs1.pem --label rsa1 --id 01 --pin 1234
run 0 "import RSA PKCS#8 DER" import-key rsa_pkcs8.der --label rsa8 --id 02 --pin 1234
run 0 "import EC P-256 SEC1 PEM" import-key ec.pem --label ec --id 03 --pin 1234
grep -q 'EC P-256 private key' out.txt || fail "EC import message: $(cat out.txt)"
export CRYPTOKI_PIN=1234
run 0 "import Ed25519 PKCS#8 (PIN from CRYPTOKI_PIN)" import-key ed25519.pem --label ed --id 04
unset CRYPTOKI_PIN
run 0 "import certificate" import-cert cert.pem --label cert --id 02
run 0 "import AES secret" import-secret aes.bin --type aes --label aes --id 05 --pin 1234
run 0 "import generic secret --hex" import-secret --hex 00112233445566778899 --type generic \
  --label gen --pin 1234

before=$(count_objects 1234)
[ "$before" -eq 11 ] || fail "expected 11 objects after imports, got $before"

# Failures change nothing.
run 1 "import with a duplicate id" import-key ec.pem --label again --id 03 --pin 1234
one_line_error "duplicate id"
run 1 "import unknown key type (X25519)" import-key x25519.pem --label x --pin 1234
one_line_error "unknown key type"
run 1 "import unreadable file" import-key "$WORK/missing.pem" --label x --pin 1234
one_line_error "unreadable file"
chmod 000 aes.bin
if [ "$(id -u)" -ne 0 ]; then
  run 1 "import-secret unreadable file" import-secret aes.bin --type aes --label x --pin 1234
  one_line_error "unreadable secret"
fi
chmod 600 aes.bin
run 1 "import a certificate as a key" import-key cert.pem --label x --pin 1234
one_line_error "cert as key"
run 1 "import AES of a bad length" import-secret --hex 0011 --type aes --label x --pin 1234
run 1 "import-key wrong PIN" import-key rsa_pkcs8.pem --label x --id 09 --pin 9999
one_line_error "import wrong PIN"
after=$(count_objects 1234)
[ "$after" -eq "$before" ] || fail "failed imports changed the object count: $before -> $after"

# --- list ---
run 0 "list public" list
grep -q 'private-key' out.txt && fail "list without a PIN shows private keys"
grep -q 'public-key   RSA 2048     pkcs11:token=alpha;object=rsa1;id=%01;type=public' out.txt ||
  fail "list public: $(cat out.txt)"
run 0 "list with PIN" list --pin 1234
for want in 'private-key  RSA 2048     pkcs11:token=alpha;object=rsa1;id=%01;type=private' \
  'private-key  EC P-256     pkcs11:token=alpha;object=ec;id=%03;type=private' \
  'private-key  Ed25519      pkcs11:token=alpha;object=ed;id=%04;type=private' \
  'certificate  X.509        pkcs11:token=alpha;object=cert;id=%02;type=cert' \
  'secret-key   AES 256      pkcs11:token=alpha;object=aes;id=%05;type=secret-key' \
  'secret-key   generic 80   pkcs11:token=alpha;object=gen;type=secret-key'; do
  grep -qF "$want" out.txt || fail "list lacks: $want"
done
run 0 "list by URI" list 'pkcs11:token=alpha;type=private' --pin 1234
[ "$(wc -l <out.txt)" -eq 4 ] || fail "list by URI type=private: $(cat out.txt)"

# --- export ---
for k in rsa_pkcs1:rsa1 rsa_pkcs8:rsa8 ec:ec ed25519:ed; do
  file=${k%%:*} label=${k##*:}
  openssl pkey -in "$file.pem" -pubout -out "$file.expected.pub" 2>/dev/null
  run 0 "export-pubkey $label" export-pubkey --label "$label" --type public
  cmp -s out.txt "$file.expected.pub" || fail "export-pubkey $label differs from openssl pkey -pubout"
done
run 0 "export-pubkey --out" export-pubkey 'pkcs11:object=ec;id=%03' --out ec.out.pem
cmp -s ec.out.pem ec.expected.pub || fail "export-pubkey --out differs"
[ -s out.txt ] && fail "export-pubkey --out also wrote to stdout"
run 0 "export-pubkey from a private key" export-pubkey 'pkcs11:object=ed;type=private' --pin 1234
cmp -s out.txt ed25519.expected.pub || fail "export-pubkey of the Ed25519 private key differs"
run 0 "export-cert" export-cert --id 02
cmp -s out.txt cert.pem || fail "export-cert differs from the imported certificate"
run 1 "export-pubkey no match" export-pubkey --label nothing; one_line_error "export no match"
run 1 "export-pubkey into a missing directory" export-pubkey --label ec --out "$WORK/no/dir/x.pem"
one_line_error "export bad --out"

# --- import public key and DER certificate on a second token ---
run 0 "init-token beta" init-token --label beta --so-pin 87654321 --pin 4321
run 2 "two tokens need a selection" list; one_line_error "several tokens"
run 0 "import-pubkey" import-pubkey ec.expected.pub --label ecpub --token beta
run 0 "import-cert DER" import-cert cert.der --label certder --token beta
run 0 "list beta" list --token beta
[ "$(wc -l <out.txt)" -eq 2 ] || fail "beta should hold 2 objects: $(cat out.txt)"
run 0 "export imported pubkey" export-pubkey 'pkcs11:token=beta;object=ecpub'
cmp -s out.txt ec.expected.pub || fail "import-pubkey/export-pubkey round trip differs"

# --- delete ---
run 2 "delete without a selection" delete --token alpha --pin 1234
run 0 "delete by URI" delete 'pkcs11:token=alpha;object=rsa1;id=%01' --pin 1234
[ "$(wc -l <out.txt)" -eq 2 ] || fail "delete by URI should delete the key pair: $(cat out.txt)"
run 0 "delete by label" delete --token alpha --label ed --pin 1234
run 0 "delete by type URI" delete 'pkcs11:token=alpha;type=secret-key' --pin 1234
[ "$(wc -l <out.txt)" -eq 2 ] || fail "delete type=secret-key: $(cat out.txt)"
run 1 "delete no match" delete --token alpha --label ed --pin 1234; one_line_error "delete no match"
left=$("$UTIL" list --token alpha --pin 1234 </dev/null | wc -l)
[ "$left" -eq 5 ] || fail "expected 5 objects left on alpha, got $left"

# --- PINs ---
run 1 "wrong PIN" list --token alpha --pin 0000; one_line_error "wrong PIN"
grep -q 'wrong PIN' err.txt || fail "wrong PIN message: $(cat err.txt)"
run 0 "change-pin" change-pin --token alpha --pin 1234 --new-pin 5678
run 1 "old PIN fails" list --token alpha --pin 1234
run 0 "new PIN works" list --token alpha --pin 5678
[ "$(wc -l <out.txt)" -eq 5 ] || fail "objects after change-pin: $(cat out.txt)"
CRYPTOKI_SO_PIN=87654321 CRYPTOKI_NEW_PIN=11223344 run 0 "change-pin --so" change-pin --so --token alpha
run 1 "old SO PIN fails" init-pin --token alpha --so-pin 87654321 --pin 2222
run 0 "new SO PIN resets the user PIN" init-pin --token alpha --so-pin 11223344 --pin 2222
run 0 "reset user PIN works" list --token alpha --pin 2222

# --- --config instead of CRYPTOKI_CONF ---
run 0 "--config" --config "$WORK/cryptoki.conf" slots
CRYPTOKI_CONF=/nonexistent run 1 "unreadable config" slots; one_line_error "unreadable config"

# --- delete-token ---
run 2 "delete-token needs a name" delete-token
run 1 "delete-token unknown" delete-token --token gamma; one_line_error "delete-token unknown"
run 0 "delete-token" delete-token --token beta
[ -e "$WORK/tokens/slot-1" ] && fail "slot-1 still exists after delete-token"
ls -A "$WORK/tokens" | grep -q deleted && fail "delete-token left a .deleted directory"
run 0 "slots after delete-token" slots
grep -q beta out.txt && fail "beta still listed: $(cat out.txt)"
run 0 "alpha survives" list --token alpha --pin 2222
[ "$(wc -l <out.txt)" -eq 5 ] || fail "alpha after delete-token: $(cat out.txt)"

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
