#!/usr/bin/env python3
"""gmmc's C header against emlearn's C code for the same scikit-learn GaussianMixture.

Run through ./run (which prepares a Python environment and builds gmmc). For each size
(K=4, D=8 and K=8, D=32; full covariance):

1. fit scikit-learn's GaussianMixture on simulated clustered data (seeded);
2. gmmc: export it with examples/sklearn-export/export_sklearn.py, `gmmc import sklearn`,
   `gmmc emit c` (f32); emlearn: `emlearn.convert(gm, method="inline").save(...)`;
3. host: both compiled with gcc -O2 into one program, each scorer in its own translation unit,
   timed alternately over the same rows (median ns per score over the rounds);
4. Cortex-M4F: both compiled with arm-none-eabi-gcc -O2 (hard float) into one firmware image,
   run under qemu-system-arm with the insn_count plugin: instructions executed per score
   between marker functions (exact, deterministic);
5. data bytes: sizes of the .rodata* and .data* sections of each scorer's object file for the
   Cortex-M4F (-fdata-sections): the model's tables in flash, plus, for .data, the same bytes
   again in RAM (gmmc has none; emlearn's model struct is not const);
6. accuracy: both scorers' log-likelihoods against scikit-learn's score_samples on the rows,
   and on the scaled-full reference case (features ~1e4 in magnitude).

Writes a Markdown table (results.md next to this file, or --out) and prints it.
"""
import argparse
import json
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "examples", "sklearn-export"))
from export_sklearn import export  # noqa: E402

SIZES = [(4, 8), (8, 32)]
N_TRAIN = 4000
HOST_ROWS = 1024
M4_ROWS = 128
ARCH = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"]
# Targets of issue 3 (gmmc / emlearn), checked at D = 8.
TARGETS = {"ns": 0.5, "insns": 0.6, "flash": 0.6}


def sh(cmd, cwd=None, capture=True):
    """Run a command; on failure print its output and stop."""
    res = subprocess.run(cmd, cwd=cwd, text=True, capture_output=capture)
    if res.returncode != 0:
        sys.exit("command failed (%d): %s\n%s\n%s" % (res.returncode, shlex.join(cmd),
                                                      res.stdout or "", res.stderr or ""))
    return res.stdout


def blobs(rng, n, d, k):
    """Clustered data: k Gaussian blobs with random orientations and scales."""
    centers = rng.uniform(-3.0, 3.0, size=(k, d))
    parts = []
    for j in range(k):
        q, _ = np.linalg.qr(rng.standard_normal((d, d)))
        a = q * rng.uniform(0.3, 1.5, size=d)
        m = n // k + (1 if j < n % k else 0)
        parts.append(centers[j] + rng.standard_normal((m, d)) @ a.T)
    x = np.concatenate(parts)
    return x[rng.permutation(len(x))]


def eval_rows(rng, x, n):
    """n rows: 90 % drawn from the training rows' distribution (held-out blobs rows), 10 %
    uniform outliers around the data."""
    inliers = x[rng.choice(len(x), size=n - n // 10, replace=False)]
    lo, hi = x.min(axis=0), x.max(axis=0)
    out = rng.uniform(lo - (hi - lo) * 0.5, hi + (hi - lo) * 0.5, size=(n // 10, x.shape[1]))
    rows = np.concatenate([inliers, out])
    return rows[rng.permutation(len(rows))].astype(np.float32)


def write_rows(folder, rows):
    """rows.h / rows.c: the rows as exact hexadecimal float literals."""
    n, d = rows.shape
    with open(os.path.join(folder, "rows.h"), "w") as f:
        f.write("#define N_ROWS %d\n#define N_FEATURES %d\n"
                "extern const float rows[N_ROWS][N_FEATURES];\n" % (n, d))
    with open(os.path.join(folder, "rows.c"), "w") as f:
        f.write('#include "rows.h"\nconst float rows[N_ROWS][N_FEATURES] = {\n')
        for r in rows:
            f.write("  {%s},\n" % ", ".join(float(v).hex() + "f" for v in r))
        f.write("};\n")


def write_impls(folder, k, d):
    with open(os.path.join(folder, "impl_gmmc.c"), "w") as f:
        f.write('#include "gmmc_model.h"\n'
                "float score_gmmc(const float *x);\n"
                "float score_gmmc(const float *x) { return gmmc_log_likelihood(x); }\n")
    with open(os.path.join(folder, "impl_emlearn.c"), "w") as f:
        f.write('#include "eml_model.h"\n'
                "float score_emlearn(const float *x);\n"
                "float score_emlearn(const float *x)\n{\n"
                "    float probabilities[%d];\n    float score = 0.0f;\n"
                "    eml_model_score(x, %d, probabilities, &score);\n"
                "    return score;\n}\n" % (k, d))


def section_bytes(obj):
    """(.rodata*, .data*, .text*) byte totals of an object file (arm-none-eabi-size -A)."""
    totals = {"rodata": 0, "data": 0, "text": 0}
    details = []
    for line in sh(["arm-none-eabi-size", "-A", obj]).splitlines():
        parts = line.split()
        if len(parts) < 2 or not parts[1].isdigit():
            continue
        name, size = parts[0], int(parts[1])
        for kind in totals:
            if name == "." + kind or name.startswith("." + kind + "."):
                totals[kind] += size
                if kind != "text" and size:
                    details.append("%s %d" % (name, size))
    return totals, details


def symbol_address(elf, name):
    for line in sh(["arm-none-eabi-nm", elf]).splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return int(parts[0], 16)
    sys.exit("symbol %s not in %s" % (name, elf))


def count_instructions(elf, plugin, begin, end, folder):
    out = os.path.join(folder, "count-%s.txt" % begin)
    sh(["qemu-system-arm", "-M", "mps2-an386", "-nographic", "-monitor", "none",
        "-serial", "none", "-semihosting-config", "enable=on,target=native",
        "-plugin", "%s,from=0x%x,to=0x%x,out=%s" % (
            plugin, symbol_address(elf, begin), symbol_address(elf, end), out),
        "-kernel", elf])
    text = open(out).read()
    m = re.search(r"instructions=(\d+) windows=(\d+)", text)
    if not m or m.group(2) != "1":
        sys.exit("unexpected plugin output: %s" % text)
    return int(m.group(1))


def bench_size(k, d, args, folder, plugin):
    import emlearn
    from sklearn.mixture import GaussianMixture
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(1000 * k + d)
    x = blobs(rng, N_TRAIN, d, k)
    names = ["f%d" % j for j in range(d)]
    gm = GaussianMixture(n_components=k, covariance_type="full", random_state=0)
    with threadpool_limits(limits=1):
        gm.fit(x)

    # gmmc: the documented path, export -> import -> emit.
    export(gm, os.path.join(folder, "export.json"), feature_names=names, X=x)
    gmmc = shlex.split(args.gmmc)
    sh(gmmc + ["import", "sklearn", os.path.join(folder, "export.json"),
               "-o", os.path.join(folder, "model.json")], cwd=ROOT)
    sh(gmmc + ["emit", "c", os.path.join(folder, "model.json"), "--prefix", "gmmc",
               "-o", os.path.join(folder, "gmmc_model.h")], cwd=ROOT)
    # emlearn: its own converter on the same fitted model.
    emlearn.convert(gm, method="inline").save(name="eml_model",
                                               file=os.path.join(folder, "eml_model.h"))
    eml_include = emlearn.common.get_include_dir()
    write_impls(folder, k, d)

    rows = eval_rows(rng, x, HOST_ROWS)
    with np.errstate(under="ignore"):  # exp of far outliers' components underflows to 0
        expected = gm.score_samples(rows.astype(np.float64))
    write_rows(folder, rows)

    # Host: build once, check values, time.
    exe = os.path.join(folder, "host_bench")
    sh([args.cc, "-std=c99", "-O2", "-I", folder, "-I", eml_include,
        os.path.join(HERE, "host_bench.c"), os.path.join(folder, "impl_gmmc.c"),
        os.path.join(folder, "impl_emlearn.c"), os.path.join(folder, "rows.c"),
        "-lm", "-o", exe])
    values = np.array([[float(v) for v in line.split()]
                       for line in sh([exe, "values"]).splitlines()])
    scale = np.maximum(1.0, np.abs(expected))
    err_gmmc = float(np.max(np.abs(values[:, 0] - expected) / scale))
    err_eml = float(np.max(np.abs(values[:, 1] - expected) / scale))
    timing = {}
    for line in sh([exe, str(args.rounds)]).splitlines():
        name, *ts = line.split()
        timing[name] = [float(t) for t in ts]
    # Each round times both scorers back to back: the ratio within a round is robust to load
    # that changes between rounds (the machine is shared).
    ns_ratio = statistics.median(a / b for a, b in zip(timing["gmmc"], timing["emlearn"]))

    # Cortex-M4F: one image with both scorers, counted separately.
    m4 = os.path.join(folder, "m4")
    os.makedirs(m4, exist_ok=True)
    write_rows(m4, rows[:M4_ROWS])
    objs = []
    for src in [os.path.join(HERE, "m4_bench.c"), os.path.join(folder, "impl_gmmc.c"),
                os.path.join(folder, "impl_emlearn.c"), os.path.join(m4, "rows.c"),
                os.path.join(ROOT, "tests", "firmware", "startup.c")]:
        obj = os.path.join(m4, os.path.basename(src)[:-2] + ".o")
        sh(["arm-none-eabi-gcc"] + ARCH + ["-std=c99", "-O2", "-ffunction-sections",
                                           "-fdata-sections", "-I", m4, "-I", folder,
                                           "-I", eml_include, "-c", src, "-o", obj])
        objs.append(obj)
    elf = os.path.join(m4, "bench.elf")
    sh(["arm-none-eabi-gcc"] + ARCH + ["-nostartfiles", "--specs=rdimon.specs",
                                       "-Wl,--gc-sections", "-T",
                                       os.path.join(ROOT, "tests", "firmware", "cortex-m4.ld")]
       + objs + ["-lm", "-o", elf])
    insns_gmmc = count_instructions(elf, plugin, "gmmc_begin", "gmmc_end", m4)
    insns_eml = count_instructions(elf, plugin, "emlearn_begin", "emlearn_end", m4)
    bytes_gmmc, detail_gmmc = section_bytes(os.path.join(m4, "impl_gmmc.o"))
    bytes_eml, detail_eml = section_bytes(os.path.join(m4, "impl_emlearn.o"))
    soft_double = sorted(set(
        line.split()[-1] for obj in ("impl_gmmc.o", "impl_emlearn.o")
        for line in sh(["arm-none-eabi-nm", "-u", os.path.join(m4, obj)]).splitlines()
        if "__aeabi_d" in line))

    return {
        "k": k, "d": d,
        "ns": (statistics.median(timing["gmmc"]), statistics.median(timing["emlearn"])),
        "ns_ratio": ns_ratio,
        "insns": (insns_gmmc / M4_ROWS, insns_eml / M4_ROWS),
        "flash": (bytes_gmmc["rodata"] + bytes_gmmc["data"],
                  bytes_eml["rodata"] + bytes_eml["data"]),
        "rodata": (bytes_gmmc["rodata"], bytes_eml["rodata"]),
        "data": (bytes_gmmc["data"], bytes_eml["data"]),
        "text": (bytes_gmmc["text"], bytes_eml["text"]),
        "error": (err_gmmc, err_eml),
        "sections": (detail_gmmc, detail_eml),
        "soft_double": soft_double,
    }


def accuracy_scaled(args, folder):
    """Both scorers on the scaled-full reference case (features ~1e4 in magnitude): the largest
    and the median relative error of their log-likelihoods against scikit-learn's."""
    import emlearn
    from sklearn.mixture import GaussianMixture

    case = os.path.join(ROOT, "tests", "fixtures", "sklearn", "scaled-full")
    doc = json.load(open(os.path.join(case, "case.json")))
    fitted = doc["fitted"]
    k, d = doc["n_components"], doc["n_features"]
    gm = GaussianMixture(n_components=k, covariance_type="full")
    gm.weights_ = np.array(fitted["weights"])
    gm.means_ = np.array(fitted["means"])
    gm.precisions_cholesky_ = np.array(fitted["precisions_cholesky"])
    gm.covariances_ = np.array(fitted["covariances"])
    gm.n_iter_, gm.converged_ = doc["n_iter"], doc["converged"]
    gm.lower_bound_ = doc["lower_bounds"][-1]
    export(gm, os.path.join(folder, "export.json"))
    gmmc = shlex.split(args.gmmc)
    sh(gmmc + ["import", "sklearn", os.path.join(folder, "export.json"),
               "-o", os.path.join(folder, "model.json")], cwd=ROOT)
    sh(gmmc + ["emit", "c", os.path.join(folder, "model.json"), "--prefix", "gmmc",
               "-o", os.path.join(folder, "gmmc_model.h")], cwd=ROOT)
    emlearn.convert(gm, method="inline").save(name="eml_model",
                                               file=os.path.join(folder, "eml_model.h"))
    write_impls(folder, k, d)
    rows = np.loadtxt(os.path.join(case, "eval.csv"), delimiter=",", skiprows=1, ndmin=2)
    write_rows(folder, rows.astype(np.float32))
    exe = os.path.join(folder, "values")
    sh([args.cc, "-std=c99", "-O2", "-I", folder, "-I", emlearn.common.get_include_dir(),
        os.path.join(HERE, "host_bench.c"), os.path.join(folder, "impl_gmmc.c"),
        os.path.join(folder, "impl_emlearn.c"), os.path.join(folder, "rows.c"),
        "-lm", "-o", exe])
    values = np.array([[float(v) for v in line.split()]
                       for line in sh([exe, "values"]).splitlines()])
    expected = np.array(doc["eval_score_samples"])
    errors = np.abs(values - expected[:, None]) / np.maximum(1.0, np.abs(expected))[:, None]
    return {"k": k, "d": d, "max": errors.max(axis=0).tolist(),
            "median": np.median(errors, axis=0).tolist(), "rows": len(rows)}


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    first = lambda cmd: sh(cmd).splitlines()[0]
    return "%s, %d cores; %s; %s; %s" % (
        cpu, os.cpu_count() or 0, first(["gcc", "--version"]),
        first(["arm-none-eabi-gcc", "--version"]), first(["qemu-system-arm", "--version"]))


def table(results, rounds, scaled):
    import emlearn
    import sklearn
    eml_version = open(os.path.join(emlearn.common.get_include_dir(), "VERSION.txt")).read().strip()
    lines = [
        "| K, D | measure | gmmc | emlearn %s | gmmc / emlearn | target |" % eml_version,
        "|---|---|---:|---:|---:|---|",
    ]
    for r in results:
        size = "K=%d, D=%d" % (r["k"], r["d"])
        at_d8 = r["d"] == 8

        def row(key, label, fmt):
            a, b = r[key]
            ratio = r.get(key + "_ratio", a / b if b else float("nan"))
            target = ""
            if key in TARGETS and at_d8:
                ok = ratio <= TARGETS[key]
                target = "≤ %.1f× %s" % (TARGETS[key], "met" if ok else "**not met**")
            lines.append("| %s | %s | %s | %s | %.2f× | %s |" % (
                size, label, fmt(a), fmt(b), ratio, target))

        row("ns", "host ns per score (medians of %d rounds; ratio: median of per-round "
            "ratios)" % rounds, lambda v: "%.1f" % v)
        row("insns", "Cortex-M4F instructions per score", lambda v: "%.0f" % v)
        row("flash", "model data bytes in flash (.rodata + .data image)", lambda v: "%d" % v)
        row("rodata", "of which constant (.rodata)", lambda v: "%d" % v)
        a, b = r["data"]
        lines.append("| %s | of which mutable (.data: also copied to RAM) | %d | %d | | |"
                     % (size, a, b))
        a, b = r["text"]
        lines.append("| %s | code bytes (.text, Cortex-M4F) | %d | %d | %.2f× | |"
                     % (size, a, b, a / b))
        a, b = r["error"]
        lines.append("| %s | max error vs scikit-learn (relative to max(1, \\|ll\\|)) "
                     "| %.1e | %.1e | | |" % (size, a, b))
    lines.append("| K=%d, D=%d, features ~1e4 (`scaled-full` case) | max (median) error vs "
                 "scikit-learn over %d rows | %.1e (%.1e) | %.1e (%.1e) | | |" % (
                     scaled["k"], scaled["d"], scaled["rows"], scaled["max"][0],
                     scaled["median"][0], scaled["max"][1], scaled["median"][1]))
    lines.append("")
    lines.append("Machine: %s." % machine())
    lines.append("scikit-learn %s; full covariance; %d training rows; host timing over %d rows "
                 "(10 %% outliers), instruction counts over the first %d of them."
                 % (sklearn.__version__, N_TRAIN, HOST_ROWS, M4_ROWS))
    soft = sorted(set(s for r in results for s in r["soft_double"]))
    if soft:
        lines.append("Soft-float double helpers called on the Cortex-M4F (emlearn's `-0.5 * ...` "
                     "double literals): %s." % ", ".join("`%s`" % s for s in soft))
    return "\n".join(lines) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--gmmc", default="cargo run --quiet --release --bin gmmc --",
                   help="command that runs gmmc (default: build it from this repository)")
    p.add_argument("--cc", default="gcc", help="host C compiler (default gcc)")
    p.add_argument("--rounds", type=int, default=41, help="timed rounds per scorer (default 41)")
    p.add_argument("--out", default=os.path.join(HERE, "results.md"),
                   help="where to write the Markdown table")
    p.add_argument("--keep", metavar="DIR", help="build in DIR and keep it (default: a temporary folder)")
    args = p.parse_args()

    work = args.keep or tempfile.mkdtemp(prefix="gmmc-bench-")
    os.makedirs(work, exist_ok=True)
    plugin = os.path.join(work, "libinsn_count.so")
    sh([args.cc, "-O2", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC",
        "-fvisibility=hidden", os.path.join(HERE, "insn_count.c"), "-o", plugin])
    results = []
    for k, d in SIZES:
        folder = os.path.join(work, "k%d-d%d" % (k, d))
        os.makedirs(folder, exist_ok=True)
        print("K=%d, D=%d ..." % (k, d), file=sys.stderr)
        results.append(bench_size(k, d, args, folder, plugin))
    folder = os.path.join(work, "scaled")
    os.makedirs(folder, exist_ok=True)
    print("accuracy on features ~1e4 ...", file=sys.stderr)
    scaled = accuracy_scaled(args, folder)
    text = table(results, args.rounds, scaled)
    with open(args.out, "w") as f:
        f.write(text)
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump({"sizes": results, "scaled": scaled}, f, indent=1)
    print(text)
    if not args.keep:
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
