#!/usr/bin/env python3
"""bench_report.py turns module_bench's JSON into a Markdown table and a chart.

    python3 tools/bench_report.py results.json --markdown results.md --png results.png

Everything comes from the one JSON file (one run): ops/s per op and target,
the ratios ours/raw BoringSSL and ours/other module, the per-call overhead
over BoringSSL, 2-thread scaling, and the issue-8 targets with pass/miss.

Benchmarks are named BM_<Op>/<target>/[min_time:<S>/]real_time/threads:<n>
(min_time for the slow asymmetric ops added after issue 8), target one of
boringssl, cpp (the C++ API), module (our libcryptoki.so through the C ABI),
other (another module, e.g. SoftHSM). One-thread ops/s are 1 / CPU time per
operation (robust when the machine is shared); two-thread ops/s and the
scaling ratio use wall-clock time (the only clock that shows threads waiting
on a lock), summed over the threads.

A run of the extended op set (module_bench --extended, context op_set
"extended") gets a simpler report: ops/s per target with 1 and 2 threads and
the ratios module / BoringSSL and module / other.
"""
import argparse
import json
import math
import re
import sys

TARGETS = ["boringssl", "cpp", "module", "other"]

SYMMETRIC_8K = ["SHA256_8KiB", "AES256_GCM_Encrypt_8KiB", "AES256_CBC_PAD_Encrypt_8KiB"]
ASYMMETRIC = [
    "ECDSA_P256_Sign", "ECDSA_P256_Verify", "RSA2048_PKCS1_SHA256_Sign",
    "RSA2048_PKCS1_SHA256_Verify", "RSA2048_PSS_SHA256_Sign", "RSA2048_PSS_SHA256_Verify",
    "Ed25519_Sign", "Ed25519_Verify", "X25519_Derive", "ECDH_P256_Derive",
    "EC_P256_GenerateKeyPair",
]
SMALL = ["SHA256_64B", "HMAC_SHA256_64B", "AES256_GCM_Encrypt_1KiB", "Random_32B"]
SCALING = [
    "ECDSA_P256_Sign", "ECDSA_P256_Verify", "RSA2048_PKCS1_SHA256_Sign",
    "RSA2048_PKCS1_SHA256_Verify", "Ed25519_Sign", "Ed25519_Verify",
    "AES256_GCM_Encrypt_1KiB", "AES256_GCM_Encrypt_8KiB",
]
# The ops of issue 8; "never slower than the other module" is judged on
# these. The ops added later (RSA-3072/4096, OAEP, P-384/P-521, decryption,
# CMAC, the message API, ...) are in the table and chart without targets.
ISSUE8_OPS = set(SYMMETRIC_8K + ASYMMETRIC + SMALL + [
    "ChaCha20_Poly1305_Encrypt_1KiB", "GetAttribute", "SessionOpenClose"])


def is_issue8(op):
    return op in ISSUE8_OPS or op.startswith("Find_")


TIME_UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


class Result:
    """One benchmark: ops/s (1 thread: CPU time; more: wall time) or an error."""

    def __init__(self, b):
        self.error = b.get("error_message") if b.get("error_occurred") else None
        self.threads = int(b.get("threads", 1))
        unit = TIME_UNIT_NS.get(b.get("time_unit", "ns"), 1.0)
        self.cpu_ns = b.get("cpu_time", 0.0) * unit
        self.real_ns = b.get("real_time", 0.0) * unit
        self.wall_ops = b.get("items_per_second")  # real time, summed over threads
        self.iterations = b.get("iterations", 0)

    @property
    def ops(self):
        """Throughput used in the tables."""
        if self.error:
            return None
        if self.threads == 1:
            return 1e9 / self.cpu_ns if self.cpu_ns > 0 else None
        return self.wall_ops


def load(path):
    with open(path) as f:
        data = json.load(f)
    results = {}  # (op, target, threads) -> Result
    order = []
    for b in data.get("benchmarks", []):
        if b.get("run_type", "iteration") != "iteration":
            continue
        parts = b["name"].split("/")
        if len(parts) < 2 or not parts[0].startswith("BM_"):
            continue
        op, target = parts[0][3:], parts[1]
        r = Result(b)
        results[(op, target, r.threads)] = r
        if op not in order:
            order.append(op)
    return data.get("context", {}), results, order


def fmt_ops(v):
    if v is None:
        return "n/a"
    for div, suffix in ((1e6, "M"), (1e3, "k")):
        if v >= div:
            return f"{v / div:.3g}{suffix}"
    return f"{v:.3g}"


def fmt_ratio(a, b):
    if a is None or b is None or b == 0:
        return "—"
    r = a / b
    return f"{r:.2f}×" if r < 10 else f"{r:.0f}×"


def cell(results, op, target, threads=1):
    r = results.get((op, target, threads))
    if r is None:
        return None, "—"
    if r.error:
        return None, ("n/a" if r.error.startswith("n/a") else "FAIL")
    return r.ops, fmt_ops(r.ops)


def ops_of(results, op, target, threads=1):
    r = results.get((op, target, threads))
    return r.ops if r and not r.error else None


def overhead_us(results, op, target):
    ours, raw = ops_of(results, op, target), ops_of(results, op, "boringssl")
    if ours is None or raw is None:
        return None
    return (1e6 / ours) - (1e6 / raw)


def scaling(results, op, target):
    one, two = results.get((op, target, 1)), results.get((op, target, 2))
    if not one or not two or one.error or two.error or not one.wall_ops or not two.wall_ops:
        return None
    return two.wall_ops / one.wall_ops


def check_targets(results, other_name):
    """Yields (target text, verdict, evidence) for issue 8's targets."""
    rows = []

    def add(text, ok, evidence, verdict=None):
        if verdict is None:
            verdict = "—" if ok is None else ("holds" if ok else "MISS")
        rows.append((text, verdict, evidence))

    for op in SYMMETRIC_8K + ASYMMETRIC:
        m, raw = ops_of(results, op, "module"), ops_of(results, op, "boringssl")
        ok = None if m is None or raw is None else m >= 0.9 * raw
        add(f"{op}: C ABI ≥ 0.9× BoringSSL", ok, f"{fmt_ops(m)} vs {fmt_ops(raw)} ({fmt_ratio(m, raw)})")
    for op in SMALL:
        m, o = ops_of(results, op, "module"), ops_of(results, op, "other")
        ok = None if m is None or o is None else m >= 10 * o
        add(f"{op}: ≥ 10× {other_name}", ok, f"{fmt_ops(m)} vs {fmt_ops(o)} ({fmt_ratio(m, o)})")
        ov = overhead_us(results, op, "module")
        add(f"{op}: overhead over BoringSSL < 0.3 µs", None if ov is None else ov < 0.3,
            "—" if ov is None else f"{ov:.3f} µs per call")
    for op, factor in (("SessionOpenClose", 3), ("GetAttribute", 10), ("Find_1000", 100)):
        m, o = ops_of(results, op, "module"), ops_of(results, op, "other")
        ok = None if m is None or o is None else m >= factor * o
        add(f"{op}: ≥ {factor}× {other_name}", ok, f"{fmt_ops(m)} vs {fmt_ops(o)} ({fmt_ratio(m, o)})")
    finds = sorted(
        {int(op.split("_")[1]) for (op, _, _) in results if op.startswith("Find_")})
    if len(finds) >= 2:
        lo, hi = f"Find_{finds[0]}", f"Find_{finds[-1]}"
        a, b = ops_of(results, lo, "module"), ops_of(results, hi, "module")
        ok = None if a is None or b is None else b * 2 >= a
        add(f"find among {finds[-1]} within 2× of among {finds[0]}", ok,
            f"{fmt_ops(b)} vs {fmt_ops(a)} ops/s")
    for op in SCALING:
        s, b = scaling(results, op, "module"), scaling(results, op, "boringssl")
        # When BoringSSL alone does not reach 1.8x, the machine had no second
        # core to give: the run cannot tell whether the module serialises.
        verdict = None
        if s is not None and s < 1.8 and b is not None and b < 1.8:
            verdict = "inconclusive (no free core)"
        add(f"{op}: 2 threads ≥ 1.8× 1 thread", None if s is None else s >= 1.8,
            "—" if s is None else
            f"{s:.2f}× (wall clock; BoringSSL alone {'—' if b is None else f'{b:.2f}×'})",
            verdict)
    slower = []
    compared = 0
    for (op, target, threads), r in sorted(results.items()):
        if target != "module" or threads != 1 or not is_issue8(op):
            continue
        m, o = ops_of(results, op, "module"), ops_of(results, op, "other")
        if m is None or o is None:
            continue
        compared += 1
        if m < o:
            slower.append(f"{op} ({fmt_ratio(m, o)})")
    add(f"never slower than {other_name} (1 thread)", None if compared == 0 else not slower,
        ", ".join(slower) if slower else f"{compared} ops compared")
    return rows


def header(context, other_name, title):
    """The title, machine, command and other-module lines of a report."""
    out = [f"# {title}\n"]
    host = context.get("host_name", "?")
    cpus = context.get("num_cpus", "?")
    mhz = context.get("mhz_per_cpu", "?")
    load = context.get("load_avg", [])
    out.append(f"Machine: `{host}`, {cpus} CPUs at {mhz} MHz; load average at start "
               f"{', '.join(f'{x:.2f}' for x in load) if load else '?'}; run {context.get('date', '?')}.")
    if "command" in context:
        out.append(f"Command: `{context['command']}`")
    if "other_description" in context or "other_path" in context:
        out.append(f"Other module ({other_name}): `{context.get('other_path', '?')}` "
                   f"{context.get('other_description', '')}".rstrip())
    out.append("")
    return out


def not_measured(results):
    """The "Not measured" list: each 1-thread error with its reason."""
    notes = [f"- `{op}` / {target}: {r.error}"
             for (op, target, threads), r in sorted(results.items()) if r.error and threads == 1]
    return ["Not measured:\n"] + notes + [""] if notes else []


def slower_than_other(results, ops):
    """The ops of |ops| where the module (1 thread) is slower than the other module,
    each with the ratio: ["SHA384_8KiB (0.82×)", ...]."""
    out = []
    for op in ops:
        m, o = ops_of(results, op, "module"), ops_of(results, op, "other")
        if m is not None and o is not None and m < o:
            out.append(f"{op} ({fmt_ratio(m, o)})")
    return out


FLOOR_NOTE = ("The BoringSSL floors do the token's work: EC key-pair generation includes "
              "encoding the public point (CKA_EC_POINT; BoringSSL converts the point to "
              "affine coordinates, a field inversion, only when it is encoded), and DH over "
              "ffdhe2048 uses the token's default private length, 225 bits (RFC 7919 §5.2).\n")


def extended_markdown(context, results, order, other_name):
    """The report of the extended op set (module_bench --extended)."""
    out = header(context, other_name, "module_bench extended op set")
    out.append("Ops/s with 1 thread (1 / CPU time per operation) and with 2 threads (wall clock, "
               "summed over the threads, own session each); each result checked against "
               "BoringSSL before timing. `module` is our `libcryptoki.so` through "
               "`C_GetFunctionList`; `cpp` the same core through its C++ API. The default "
               "set (results.md) is not repeated here.\n")
    out.append(FLOOR_NOTE)
    head = ["operation", "BoringSSL", "C++ API", "module (C ABI)", other_name,
            "module / BoringSSL", f"module / {other_name}", "2T BoringSSL", "2T module",
            f"2T {other_name}", "2T module / BoringSSL", f"2T module / {other_name}"]
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "---|" * len(head))
    for op in order:
        one = {t: cell(results, op, t) for t in TARGETS}
        two = {t: cell(results, op, t, 2) for t in TARGETS}
        row = [op] + [one[t][1] for t in TARGETS] + [
            fmt_ratio(one["module"][0], one["boringssl"][0]),
            fmt_ratio(one["module"][0], one["other"][0]),
            two["boringssl"][1], two["module"][1], two["other"][1],
            fmt_ratio(two["module"][0], two["boringssl"][0]),
            fmt_ratio(two["module"][0], two["other"][0]),
        ]
        out.append("| " + " | ".join(row) + " |")
    out.append("")
    slower = slower_than_other(results, order)
    out.append(f"The module is slower than {other_name} (1 thread) on: "
               f"{', '.join(slower) if slower else 'none'}.\n")
    out.extend(not_measured(results))
    return "\n".join(out)


def markdown(context, results, order, other_name):
    out = header(context, other_name, "module_bench results")
    out.append("Ops/s with 1 thread (1 / CPU time per operation; each result checked against "
               "BoringSSL before timing). `module` is our `libcryptoki.so` through "
               "`C_GetFunctionList`; `cpp` the same core through its C++ API; overhead is "
               "the extra time per operation of the module over BoringSSL. "
               "2T/1T is the wall-clock throughput of 2 threads (own session each) over 1; "
               "BoringSSL's own 2T/1T shows what the machine allowed during the run "
               "(other processes share its cores).\n")
    out.append(FLOOR_NOTE)
    head = ["operation", "BoringSSL", "C++ API", "module (C ABI)", other_name,
            "module / BoringSSL", f"module / {other_name}", "cpp / BoringSSL",
            "overhead (µs)", "2T/1T BoringSSL", "2T/1T module", f"2T/1T {other_name}"]
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "---|" * len(head))
    for op in order:
        vals = {t: cell(results, op, t) for t in TARGETS}
        ov = overhead_us(results, op, "module")
        s_b = scaling(results, op, "boringssl")
        s_m, s_o = scaling(results, op, "module"), scaling(results, op, "other")
        row = [op] + [vals[t][1] for t in TARGETS] + [
            fmt_ratio(vals["module"][0], vals["boringssl"][0]),
            fmt_ratio(vals["module"][0], vals["other"][0]),
            fmt_ratio(vals["cpp"][0], vals["boringssl"][0]),
            "—" if ov is None else f"{ov:.2f}",
            "—" if s_b is None else f"{s_b:.2f}",
            "—" if s_m is None else f"{s_m:.2f}",
            "—" if s_o is None else f"{s_o:.2f}",
        ]
        out.append("| " + " | ".join(row) + " |")
    out.append("")
    extra = [op for op in order if not is_issue8(op)]
    if extra:
        out.append("Added after issue 8 (no issue-8 target; the slow asymmetric ones ran with "
                   f"a shorter time per benchmark{', ' + context['extra_min_time'] + ' s' if 'extra_min_time' in context else ''}): "
                   + ", ".join(f"`{op}`" for op in extra) + ".")
        slower = slower_than_other(results, extra)
        if slower:
            out.append(f"Of these, the module is slower than {other_name} on: {', '.join(slower)}.")
        out.append("")
    out.extend(not_measured(results))
    rsa = context.get("openssl_rsa2048")
    if rsa:
        b = ops_of(results, "RSA2048_PKCS1_SHA256_Sign", "boringssl")
        m = ops_of(results, "RSA2048_PKCS1_SHA256_Sign", "module")
        out.append(f"RSA-2048 signing is bounded by BoringSSL here: `openssl speed rsa2048` "
                   f"(OpenSSL 3, which uses AVX-512 IFMA on this CPU) signs {fmt_ops(rsa[0])}/s "
                   f"and verifies {fmt_ops(rsa[1])}/s, against BoringSSL's {fmt_ops(b)}/s "
                   f"signatures (ours through the C ABI: {fmt_ops(m)}/s).\n")
    for bits, (sign, verify) in sorted(context.get("openssl_ecdsa", {}).items()):
        op = f"ECDSA_P{bits}_Sign"
        b, m = ops_of(results, op, "boringssl"), ops_of(results, op, "module")
        if b is None or m is None or sign <= b:
            continue  # only where OpenSSL is the faster one
        bv = ops_of(results, f"ECDSA_P{bits}_Verify", "boringssl")
        out.append(f"ECDSA P-{bits} is bounded by BoringSSL here: `openssl speed ecdsap{bits}` "
                   f"(OpenSSL 3, the library {other_name} uses) signs {fmt_ops(sign)}/s and "
                   f"verifies {fmt_ops(verify)}/s, against BoringSSL's {fmt_ops(b)}/s and "
                   f"{fmt_ops(bv)}/s (ours through the C ABI signs {fmt_ops(m)}/s); BoringSSL "
                   f"has no specialised code for this curve and runs its generic field "
                   f"arithmetic.\n")
    out.append("## Issue 8 targets\n")
    out.append("| target | verdict | evidence |")
    out.append("|---|---|---|")
    for text, verdict, evidence in check_targets(results, other_name):
        out.append(f"| {text} | {verdict} | {evidence} |")
    out.append("")
    return "\n".join(out)


def chart(results, order, other_name, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = {"boringssl": "BoringSSL (raw)", "cpp": "ours, C++ API",
              "module": "ours, C ABI (libcryptoki.so)", "other": other_name}
    colors = {"boringssl": "#555555", "cpp": "#1f77b4", "module": "#2ca02c", "other": "#d62728"}
    ops = list(order)
    fig, ax = plt.subplots(figsize=(11, 0.55 * len(ops) + 1.5))
    height = 0.2
    for i, t in enumerate(TARGETS):
        ys, xs = [], []
        for j, op in enumerate(ops):
            v = ops_of(results, op, t)
            if v:
                ys.append(j + (i - 1.5) * height)
                xs.append(v)
        ax.barh(ys, xs, height=height, label=labels[t], color=colors[t])
    ax.set_yticks(range(len(ops)))
    ax.set_yticklabels(ops, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("operations per second, 1 thread (log scale; longer is faster)")
    ax.grid(axis="x", which="both", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("module_bench: per mechanism, raw BoringSSL vs ours vs " + other_name)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("json")
    ap.add_argument("--markdown", help="write the table here (default: stdout)")
    ap.add_argument("--png", help="write the chart here")
    ap.add_argument("--other_name", help="name of the other module (default: from the JSON)")
    ap.add_argument("--command", help="the command line to quote in the table")
    ap.add_argument("--openssl_speed", help="output of `openssl speed rsa2048`, for the RSA note")
    args = ap.parse_args()
    context, results, order = load(args.json)
    if args.command:
        context["command"] = args.command
    if args.openssl_speed:
        with open(args.openssl_speed) as f:
            for line in f:
                parts = line.split()
                if parts[:3] == ["rsa", "2048", "bits"] and len(parts) >= 7:
                    context["openssl_rsa2048"] = (float(parts[5]), float(parts[6]))
                # " 521 bits ecdsa (nistp521)   0.0003s   0.0005s   3011.0   1906.3"
                m = re.match(r"\s*(\d+) bits ecdsa \(nistp\d+\)\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)",
                             line)
                if m:
                    context.setdefault("openssl_ecdsa", {})[m.group(1)] = (float(m.group(2)),
                                                                          float(m.group(3)))
    other_name = args.other_name or context.get("other_name", "other")
    if context.get("op_set") == "extended":
        md = extended_markdown(context, results, order, other_name)
    else:
        md = markdown(context, results, order, other_name)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(md)
    else:
        sys.stdout.write(md)
    if args.png:
        chart(results, order, other_name, args.png)


if __name__ == "__main__":
    main()
