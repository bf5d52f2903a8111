#!/usr/bin/env bash
# Runs the C example against the module with a fresh token.
set -euo pipefail
example=$(realpath "$1")
module=$(realpath "$2")
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/hello_module.XXXXXX")
printf 'directories.tokendir = %s\nobjectstore.backend = file\npin.kdf_log2n = 4\n' "$work" \
  > "$work/cryptoki.conf"
export CRYPTOKI_CONF="$work/cryptoki.conf"
out=$("$example" "$module")
echo "$out"
grep -q "^interface version 3.0" <<< "$out"
grep -q "^manufacturer: cryptoki project" <<< "$out"
grep -q "(uninitialised token)" <<< "$out"
echo PASS
