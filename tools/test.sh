#!/usr/bin/env bash
# test.sh runs the whole test suite on a fresh Debian 12 machine: it installs
# what it needs (tools/setup.sh), then runs every Bazel test target, again
# under ASan+UBSan (config asan), and the concurrency tests under TSan. It
# ends with one line "N passed, N failed" counting Bazel test targets over
# all runs, and exits non-zero if any failed.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tools/setup.sh || { echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
log=$(mktemp)
# run CONFIG-ARGS... runs bazel test and adds its target results to the counts.
run() {
  echo "== bazel test $*" >&2
  bazel test --keep_going --test_output=errors "$@" 2>&1 | tee "$log" | grep -vE 'linux-sandbox' >&2
  local p f
  p=$(grep -cE '^//[^ ]+ +(\(cached\) )?PASSED' "$log")
  f=$(grep -cE '^//[^ ]+ +(\(cached\) )?(FAILED|TIMEOUT|FLAKY|NO STATUS|FAILED TO BUILD|INCOMPLETE)' "$log")
  # A build that fails before any test runs reports no targets: count it.
  if ((p + f == 0)) && grep -q 'FAILED: Build did NOT complete successfully' "$log"; then f=1; fi
  passed=$((passed + p))
  failed=$((failed + f))
}

run //...
run --config=asan --test_tag_filters=-no_asan //...
run --config=tsan --test_tag_filters=tsan //...
rm -f "$log"
echo "$passed passed, $failed failed"
((failed == 0))
