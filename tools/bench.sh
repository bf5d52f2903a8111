#!/usr/bin/env bash
# bench.sh is the one command of issue 8: it builds the per-mechanism
# benchmark and our module with -c opt, makes fresh tokens for our module
# (C ABI and C++ API) and for SoftHSM v2, runs every operation on all four
# targets (raw BoringSSL, C++ API, libcryptoki.so, SoftHSM), and writes from
# that one run:
#   docs/benchmarks/results.json   Google Benchmark's JSON
#   docs/benchmarks/results.md     ops/s, ratios, issue-8 targets (tools/bench_report.py)
#   docs/benchmarks/results.png    the chart per mechanism
#   docs/benchmarks/console.txt    the console table
#   docs/benchmarks/profile.txt    instructions per operation in the module (callgrind)
#   docs/benchmarks/openssl_speed.txt  OpenSSL's RSA-2048, P-384 and P-521 speeds, for comparison
# Progress goes to stderr. Takes about 13 minutes on 2 cores.
#
# Besides issue 8's set, the run covers RSA-3072/4096 PKCS#1, RSA-2048 OAEP,
# ECDSA P-384/P-521, ECDH P-384, AES-GCM / CBC-PAD decryption, HMAC 8 KiB,
# SHA-256 1 KiB, AES-CMAC, Ed25519 key generation and C_EncryptMessage (the
# 3.0 message API; n/a for a module without C_GetInterface, as SoftHSM 2.6).
# To stay within about 15 minutes, the slow asymmetric extras (RSA-3072/4096,
# OAEP, P-384, P-521, Ed25519 key generation) run with a shorter time per
# benchmark, BENCH_EXTRA_MIN_TIME; they are in the default run, no opt-in.
#
# BENCH_EXTENDED=1 runs the extended op set instead (module_bench --extended:
# MD5, SHA-1/224/384/512/512-224/512-256, HMAC with them, AES-128/256
# ECB/CBC/CTR/CTS, AES-192 ECB/CBC/CBC-PAD/CTR/GCM, AES-CMAC,
# ChaCha20-Poly1305 decryption and DES3 ECB/CBC/CBC-PAD at 64 B / 1 KiB /
# 8 KiB; AES key wrap, KWP and PAD (C_WrapKey of a 32-byte key, and
# C_UnwrapKey of it into a session key); HKDF-SHA256
# (a key and CKM_HKDF_DATA's data object), SP 800-108 counter mode with
# HMAC-SHA256 and PBKDF2-HMAC-SHA256 with 1000 iterations (as C_GenerateKey,
# which is how PKCS#11 makes CKM_PKCS5_PBKD2 keys); CONCATENATE_BASE_AND_KEY /
# _BASE_AND_DATA / _DATA_AND_BASE, XOR_BASE_AND_DATA, EXTRACT_KEY_FROM_KEY and
# AES_ECB / AES_CBC_ENCRYPT_DATA derivations; ECDSA P-224 and RSA-8192 PKCS#1
# sign/verify, RSA-2048 PKCS#1 v1.5 encrypt/decrypt, DH ffdhe2048 and ECDH
# P-521 derive, P-224 / P-384 / P-521 / X25519 / DH / RSA-2048/3072/4096/8192
# key-pair generation (all but P-384 and X25519 with BENCH_EXTRA_MIN_TIME,
# which Google Benchmark meets with one RSA-8192 key per thread: each
# RSA-8192 key takes seconds to tens of seconds, and every token makes one at
# set-up); no find, no profiles, no OpenSSL speed, no chart) and writes
#   docs/benchmarks/extended.json  Google Benchmark's JSON
#   docs/benchmarks/extended.md    ops/s per target, module / BoringSSL and
#                                  module / other (tools/bench_report.py)
#   docs/benchmarks/extended-console.txt
# instead of the results.* files, which it leaves as they are. About 975
# timed benchmarks (130 ops x 4 targets x 1,2 threads, less SoftHSM's 66 n/a):
# an estimated 25 minutes on 2 cores at the default BENCH_MIN_TIME, of which RSA-8192
# (the set-up keys and the key generation row) takes about 5.
#
# Environment (all optional):
#   BENCH_EXTENDED        1 runs the extended op set (see above)
#   BENCH_MIN_TIME        seconds per benchmark (default 1)
#   BENCH_EXTRA_MIN_TIME  seconds per benchmark of the slow asymmetric extras
#                         (default 0.3, or BENCH_MIN_TIME when that is less)
#   BENCH_FIND            find populations (default 1000,10000,100000)
#   BENCH_OTHER           other module (default /usr/lib/softhsm/libsofthsm2.so)
#   BENCH_OTHER_NAME      its name in the report (default softhsm)
#   BENCH_OTHER_FIND_MAX  largest find population made in the other module
#                         (default 0: no cap; SoftHSM 2.6.1 needs about 80 s
#                         to create 100k token objects and 5 s per search
#                         among them, which fits the budget)
#   BENCH_THREADS         thread counts (default 1,2)
#   BENCH_FILTER          --benchmark_filter (default all)
#   BENCH_OUT             output directory (default docs/benchmarks)
#   BENCH_WORK            scratch directory for tokens (default under /dev/shm)
#   BENCH_PROFILE         0 skips the callgrind profiles (tools/profile.sh)
#   BENCH_SKIP_BUILD      1 uses the -c opt outputs already built
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

min_time="${BENCH_MIN_TIME:-1}"
find_list="${BENCH_FIND:-1000,10000,100000}"
other="${BENCH_OTHER:-/usr/lib/softhsm/libsofthsm2.so}"
other_name="${BENCH_OTHER_NAME:-softhsm}"
other_find_max="${BENCH_OTHER_FIND_MAX:-0}"
threads="${BENCH_THREADS:-1,2}"
extra_min_time="${BENCH_EXTRA_MIN_TIME:-$(awk -v t="$min_time" 'BEGIN { print (t < 0.3 ? t : 0.3) }')}"
filter="${BENCH_FILTER:-all}"
out="${BENCH_OUT:-docs/benchmarks}"
extended="${BENCH_EXTENDED:-0}"
name=results
set_args=()
if [[ $extended == 1 ]]; then
  name=extended
  set_args=(--extended)
fi

if ! /usr/bin/python3 -c 'import matplotlib' 2>/dev/null || [[ ! -e $other ]]; then
  bash tools/setup.sh
fi

# The opt outputs by their own path. The bazel-bin and bazel-out symlinks
# follow whichever build ran last (another configuration or output base,
# possibly someone else's), and `bazel info` waits behind every other
# command on the server; the default output base is
# ~/.cache/bazel/_bazel_$USER/<md5 of the workspace path>.
output_base="${XDG_CACHE_HOME:-$HOME/.cache}/bazel/_bazel_$(id -un)/$(printf %s "$PWD" | md5sum | cut -c1-32)"
bin="$output_base/execroot/cryptoki/bazel-out/k8-opt/bin"
if [[ ${BENCH_SKIP_BUILD:-0} == 0 ]]; then
  echo "bench: building (-c opt)" >&2
  set +e
  bazel build -c opt //benchmarks:module_bench //cryptoki_c:libcryptoki.so 2>&1 |
    grep -vE '^(Loading|Analyzing|INFO: (Analyzed|Found|Elapsed|Build completed)|\[)' >&2
  build_status=${PIPESTATUS[0]}
  set -e
  if ((build_status != 0)); then
    echo "bench: build failed" >&2
    exit 1
  fi
fi
if [[ ! -x $bin/benchmarks/module_bench ]]; then bin="$(bazel info -c opt bazel-bin)"; fi

# Tokens live in a scratch directory on tmpfs when there is one, so the
# set-up (100k token objects, each written and synced) measures the CPU,
# not the disk. The binaries are copied so a concurrent rebuild cannot
# change them during the run.
base="${BENCH_WORK:-}"
if [[ -z $base ]]; then
  if [[ -d /dev/shm && -w /dev/shm ]]; then base=/dev/shm; else base="${TMPDIR:-/tmp}"; fi
  work="$(mktemp -d "$base/cryptoki-bench.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
else
  work="$base"
  rm -rf "$work/tokens-module" "$work/tokens-cpp" "$work/tokens-softhsm"
fi
mkdir -p "$work/tokens-module" "$work/tokens-cpp" "$work/tokens-softhsm"
cp -f "$bin/benchmarks/module_bench" "$bin/cryptoki_c/libcryptoki.so" "$work/"
cat >"$work/cryptoki.conf" <<CONF
directories.tokendir = $work/tokens-module
pin.kdf_log2n = 10
CONF
cat >"$work/cryptoki-cpp.conf" <<CONF
directories.tokendir = $work/tokens-cpp
pin.kdf_log2n = 10
CONF
cat >"$work/softhsm2.conf" <<CONF
directories.tokendir = $work/tokens-softhsm
objectstore.backend = file
log.level = ERROR
CONF

mkdir -p "$out"
out="$(cd "$out" && pwd)"
args=(
  --module="$work/libcryptoki.so"
  --cpp_conf="$work/cryptoki-cpp.conf"
  --other="$other" --other_name="$other_name" --other_find_max="$other_find_max"
  --find="$find_list" --threads="$threads" "${set_args[@]}"
  --benchmark_min_time="$min_time" --extra_min_time="$extra_min_time"
  --benchmark_filter="$filter"
  --benchmark_out="$out/$name.json" --benchmark_out_format=json
  --benchmark_counters_tabular=false
  --benchmark_color=false
)
echo "bench: running module_bench ${args[*]}" >&2
start=$(date +%s)
CRYPTOKI_CONF="$work/cryptoki.conf" SOFTHSM2_CONF="$work/softhsm2.conf" \
  "$work/module_bench" "${args[@]}" >"$out/$([[ $extended == 1 ]] && echo extended-console || echo console).txt"
echo "bench: run took $(($(date +%s) - start)) s" >&2

if [[ $extended == 1 ]]; then
  /usr/bin/python3 tools/bench_report.py "$out/extended.json" --markdown "$out/extended.md" \
    --other_name "$other_name" \
    --command "BENCH_EXTENDED=1 bash tools/bench.sh  (BENCH_MIN_TIME=$min_time BENCH_THREADS=$threads)"
  echo "bench: wrote $out/extended.json, $out/extended.md" >&2
  exit 0
fi

# RSA-2048 signing by OpenSSL 3 on this CPU, for the note on BoringSSL's own
# limit (OpenSSL uses AVX-512 IFMA where the CPU has it).
openssl_speed=()
if command -v openssl >/dev/null && openssl speed -seconds 3 rsa2048 ecdsap384 ecdsap521 >"$out/openssl_speed.txt" 2>/dev/null; then
  openssl_speed=(--openssl_speed "$out/openssl_speed.txt")
fi

/usr/bin/python3 tools/bench_report.py "$out/results.json" --markdown "$out/results.md" \
  --png "$out/results.png" --other_name "$other_name" "${openssl_speed[@]}" \
  --command "bash tools/bench.sh  (BENCH_MIN_TIME=$min_time BENCH_EXTRA_MIN_TIME=$extra_min_time BENCH_FIND=$find_list BENCH_OTHER_FIND_MAX=$other_find_max BENCH_THREADS=$threads)"
echo "bench: wrote $out/results.json, $out/results.md, $out/results.png" >&2

# Profile evidence for the per-call overhead: instructions per operation in
# the module on small operations and key generation, by callgrind
# (tools/profile.sh; BENCH_PROFILE=0 skips it).
if [[ ${BENCH_PROFILE:-1} != 0 ]]; then
  echo "bench: profiling (callgrind, tools/profile.sh)" >&2
  BENCH_SKIP_BUILD=1 bash tools/profile.sh >"$out/profile.txt"
  echo "bench: wrote $out/profile.txt" >&2
fi
