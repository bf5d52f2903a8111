#!/usr/bin/env bash
# Runs the C++ example against a fresh token directory and checks its output.
set -euo pipefail
dir=$(mktemp -d "${TEST_TMPDIR:-/tmp}/hello.XXXXXX")
out=$("$1" "$dir")
echo "$out"
grep -q "read the key's value *CKR_ATTRIBUTE_SENSITIVE" <<<"$out"
grep -q "it says *hi!" <<<"$out"
