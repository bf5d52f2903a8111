#!/usr/bin/env bash
# profile.sh: where our module's time goes, per operation, counted by
# callgrind. Instructions, not seconds: the counts do not depend on the
# machine's load, so they are the evidence for the per-call overhead that
# module_bench's timings show (and they stay comparable between runs).
#
#   bash tools/profile.sh [OP...] > docs/benchmarks/profile.txt
#
# OP is a module_bench op name (default: SHA256_64B AES256_GCM_Encrypt_1KiB
# EC_P256_GenerateKeyPair ECDH_P256_Derive SessionOpenClose). For each, module_bench runs the
# op alone on our module (target "module", 1 thread) under callgrind,
# collecting only inside the timed action (the C calls one operation makes,
# not the token's set-up or the check against BoringSSL), and this prints
# the instructions per operation: the total, then every function above 1.5%
# of it, inclusive of what it calls, so BoringSSL's own work (the floor) and
# the token's (everything else) can be read off. Uses the -c opt outputs of
# tools/bench.sh (BENCH_SKIP_BUILD=1 skips the build); needs valgrind.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ops=("$@")
if ((${#ops[@]} == 0)); then
  ops=(SHA256_64B AES256_GCM_Encrypt_1KiB EC_P256_GenerateKeyPair ECDH_P256_Derive SessionOpenClose)
fi
command -v valgrind >/dev/null || bash tools/setup.sh >&2

output_base="${XDG_CACHE_HOME:-$HOME/.cache}/bazel/_bazel_$(id -un)/$(printf %s "$PWD" | md5sum | cut -c1-32)"
bin="$output_base/execroot/cryptoki/bazel-out/k8-opt/bin"
if [[ ${BENCH_SKIP_BUILD:-0} == 0 ]]; then
  bazel build -c opt //benchmarks:module_bench //cryptoki_c:libcryptoki.so >&2 2>/dev/null ||
    bazel build -c opt //benchmarks:module_bench //cryptoki_c:libcryptoki.so >&2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/cryptoki-profile.XXXXXX")"
trap 'rm -rf "$work"' EXIT

echo "# Instructions per operation in our module (callgrind; module_bench, target module, 1 thread)"
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "# command: bash tools/profile.sh ${ops[*]}"
for op in "${ops[@]}"; do
  echo "profile: $op" >&2
  # The timed action: a token op's lambda (TokenThread), or for the ops
  # without a mechanism the C ABI target's own (one toggle only: toggles
  # nest, and the outer one would switch collection back off).
  case $op in
    Random_32B | GetAttribute | SessionOpenClose | Find_*) action='*Pkcs11Thread::PrepareOther' ;;
    *) action='TokenThread::' ;;
  esac
  rm -rf "$work/tokens" && mkdir -p "$work/tokens"
  printf 'directories.tokendir = %s\npin.kdf_log2n = 10\n' "$work/tokens" >"$work/cryptoki.conf"
  CRYPTOKI_CONF="$work/cryptoki.conf" valgrind --tool=callgrind \
    --callgrind-out-file="$work/callgrind.out" --collect-atstart=no \
    --toggle-collect="std::_Function_handler<bool (), cryptoki::bench::$action*_M_invoke*" \
    "$bin/benchmarks/module_bench" --module="$bin/cryptoki_c/libcryptoki.so" --targets=module \
    --threads=1 --find=1000 --benchmark_filter="^BM_$op/" --benchmark_min_time=0.02 \
    >/dev/null 2>"$work/valgrind.log" || { echo "profile: $op failed" >&2; continue; }
  callgrind_annotate --inclusive=yes "$work/callgrind.out" 2>/dev/null >"$work/annotated.txt"
  /usr/bin/python3 - "$work/callgrind.out" "$work/annotated.txt" "$op" <<'PY'
import re, sys

out_file, annotated, op = sys.argv[1:4]
# The number of operations: the calls into the timed action's _M_invoke.
ids, calls, cur = set(), 0, None
def timed(name):
    return (("TokenThread::" in name or "Pkcs11Thread::PrepareOther" in name)
            and "_M_invoke" in name)


for line in open(out_file, errors="replace"):
    # A function's name comes with its first "fn=" or "cfn=" line, the
    # number alone after that.
    m = re.match(r"(c?fn)=\((\d+)\)(?: (.*))?", line)
    if m:
        if m.group(3) and timed(m.group(3)):
            ids.add(m.group(2))
        if m.group(1) == "cfn":
            cur = m.group(2)
        continue
    if line.startswith("calls="):
        if cur in ids:
            calls += int(line.split()[0].split("=")[1])
        cur = None
if calls == 0:
    print(f"\n== {op}: no timed calls found")
    sys.exit(0)
rows, total = [], 0
for line in open(annotated, errors="replace"):
    if "PROGRAM TOTALS" in line:
        total = int(line.split()[0].replace(",", "")) / calls
        continue
    m = re.match(r"\s*([\d,]+) \(\s*([\d.]+)%\)\s+(?:\?\?\?:|\.?/\S*?\.\w+:)?(.*?)(?: \[[^\]]*\])?\s*$",
                 line)
    if not m:
        continue
    name = m.group(3)
    # The benchmark's own frames (the harness and its call into the module).
    if ("cryptoki::bench::" in name or "benchmark::" in name or "main" in name.split("(")[0]
            or name.startswith(("0x", "(below main)"))):
        continue
    rows.append((int(m.group(1).replace(",", "")) / calls, float(m.group(2)), name))
print(f"\n== {op}: {total:,.0f} instructions per operation ({calls} operations)")
for per_op, pct, name in rows:
    if pct < 1.5:
        continue
    name = re.sub(r"\(anonymous namespace\)::", "", name)
    name = re.sub(r"std::span<unsigned char const, 18446744073709551615ul>", "ByteView", name)
    print(f"{per_op:10,.0f}  {pct:5.1f}%  {name[:150]}")
PY
done
