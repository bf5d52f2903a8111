#!/usr/bin/env bash
# test.sh runs the whole test suite on a fresh Debian 12 machine: it installs
# what it needs (tools/setup.sh), then runs every Bazel test target under
# ASan+UBSan with LeakSanitizer (config asan), except those tagged no_asan
# (real clients loading the module, the install, the module's link check),
# which run in a plain build; the concurrency tests (tag tsan) run again under
# TSan. Every other target (benchmarks, tools, examples) is built plain. Each
# test is built once, in its sanitizer build: a plain build of everything as
# well would double the CI time on 2 cores. It ends with one line
# "N passed, N failed" counting Bazel test targets over all runs, and exits
# non-zero if any failed.
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

run --config=asan --build_tests_only --test_tag_filters=-no_asan //...
run --build_tests_only --test_tag_filters=no_asan //...
run --config=tsan --build_tests_only --test_tag_filters=tsan //...
# Everything that is not test-only builds too, plain (the benchmarks, the
# tools, the examples); a failure counts as one failed target.
echo "== bazel build (every target that is not test-only)" >&2
mapfile -t targets < <(bazel query 'kind(rule, //...) except attr(testonly, 1, //...)' 2>/dev/null)
bazel build --keep_going "${targets[@]}" 2>&1 | grep -vE 'linux-sandbox' >&2
if ((PIPESTATUS[0] != 0 || ${#targets[@]} == 0)); then failed=$((failed + 1)); fi
rm -f "$log"
echo "$passed passed, $failed failed"
((failed == 0))
