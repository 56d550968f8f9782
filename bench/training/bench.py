"""gmmc train against scikit-learn's GaussianMixture.fit, side by side, on the same data.

Run through `bench/training/run`, which builds gmmc and prepares the Python environment. Every
measurement runs in a process of its own (its peak memory is the process's peak resident set,
as GNU time reports it; gmmc's wall time is from a second run, started directly); the two
tools alternate within every round, and the tables report medians over
the rounds and the median of the per-round ratios (robust to load that changes between
rounds). Writes results.md and results.json next to this file (or into --out).
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

from blobs import blobs

HERE = os.path.dirname(os.path.abspath(__file__))


class Case:
    def __init__(self, n, d, k, cov, em_target):
        self.n, self.d, self.k, self.cov, self.em_target = n, d, k, cov, em_target

    @property
    def name(self):
        def count(n):
            return "%dM" % (n // 10**6) if n >= 10**6 else "%dk" % (n // 1000)

        return "%s×%d, K=%d, %s" % (count(self.n), self.d, self.k, self.cov)

    @property
    def stem(self):
        return "%dx%d-k%d" % (self.n, self.d, self.k)


# The cases: at least 5× scikit-learn on the EM loop, 10× where D ≤ 16.
CASES = [
    Case(100_000, 32, 8, "full", 5),
    Case(100_000, 32, 8, "diag", 5),
    Case(1_000_000, 8, 4, "full", 10),
    Case(10_000, 16, 4, "full", 10),
]
SCALING_N = [10_000, 100_000, 1_000_000]
SCALING_D = [4, 8, 16, 32, 64]
EM_ITERATIONS = 10


GNU_TIME = "/usr/bin/time"


def run_measured(argv, env=None):
    """Runs a command and returns (stdout, wall seconds, peak resident MB, stderr).

    The peak memory is measured by GNU time (Debian package `time`), which forks the command
    from its own small process: a child forked from this Python process would report this
    process's resident set (NumPy, the data) as its own peak, since the peak survives exec."""
    if not os.path.exists(GNU_TIME):
        raise SystemExit("the benchmark needs GNU time at %s (apt-get install time)" % GNU_TIME)
    with tempfile.NamedTemporaryFile("r") as rss_file:
        started = time.perf_counter()
        proc = subprocess.run([GNU_TIME, "-f", "%M", "-o", rss_file.name, *argv],
                              capture_output=True, env=env)
        wall = time.perf_counter() - started
        stdout, stderr = proc.stdout.decode(), proc.stderr.decode()
        if proc.returncode != 0:
            raise SystemExit("%s failed (%d):\n%s" % (" ".join(argv), proc.returncode, stderr))
        lines = [line for line in rss_file.read().splitlines() if line.strip()]
        peak_kb = float(lines[-1])
    return stdout, wall, peak_kb / 1024.0, stderr


def run_gmmc(argv):
    """Runs gmmc twice: under GNU time for its peak memory, then directly for its wall time
    (GNU time's own fork and exec would add about 1.4 ms to it). Returns what
    `run_measured` does, the output and wall time being the second run's."""
    _, _, rss, _ = run_measured(argv)
    started = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True)
    wall = time.perf_counter() - started
    stdout, stderr = proc.stdout.decode(), proc.stderr.decode()
    if proc.returncode != 0:
        raise SystemExit("%s failed (%d):\n%s" % (" ".join(argv), proc.returncode, stderr))
    return stdout, wall, rss, stderr


def data_files(case_or_shape, out_dir):
    """The case's data as .npy and .csv (generated once, cached in out_dir/data)."""
    n, d, k = case_or_shape
    folder = os.path.join(out_dir, "data")
    os.makedirs(folder, exist_ok=True)
    stem = os.path.join(folder, "%dx%d-k%d" % (n, d, k))
    npy, csv = stem + ".npy", stem + ".csv"
    if not (os.path.exists(npy) and os.path.exists(csv)):
        x = blobs(n, d, k)
        np.save(npy, x)
        header = ",".join("x%d" % j for j in range(d))
        np.savetxt(csv + ".tmp", x, delimiter=",", header=header, comments="", fmt="%.17g")
        os.replace(csv + ".tmp", csv)
    return npy, csv


def start_point(npy, k, cov, out_dir, stem):
    """One starting point for both tools: K distinct rows as means, equal weights, and every
    component's covariance the data's own (plus scikit-learn's reg_covar). Written for
    scikit-learn (precisions) and for gmmc (an export that `gmmc import sklearn` reads)."""
    x = np.load(npy)
    n, d = x.shape
    rng = np.random.default_rng([1, n, d, k])
    means = x[rng.choice(n, size=k, replace=False)]
    weights = np.full(k, 1.0 / k)
    if cov == "full":
        sigma = np.cov(x.T, bias=True) + 1e-6 * np.eye(d)
        lower = np.linalg.cholesky(sigma)
        upper = np.linalg.inv(lower).T  # precision = U·Uᵀ, U upper (scikit-learn's layout)
        factors = np.array([upper] * k)
        precisions = np.array([upper @ upper.T] * k)
    elif cov == "diag":
        var = x.var(axis=0) + 1e-6
        factors = np.array([1.0 / np.sqrt(var)] * k)
        precisions = np.array([1.0 / var] * k)
    else:
        raise SystemExit("no start point for %s" % cov)
    sk = os.path.join(out_dir, stem + "-%s-start-sklearn.json" % cov)
    export = os.path.join(out_dir, stem + "-%s-start-export.json" % cov)
    with open(sk, "w") as f:
        json.dump({"weights": weights.tolist(), "means": means.tolist(),
                   "precisions": precisions.tolist()}, f)
    with open(export, "w") as f:
        json.dump({"covariance_type": cov, "weights": weights.tolist(),
                   "means": means.tolist(), "precisions_cholesky": factors.tolist(),
                   "feature_names": ["x%d" % j for j in range(d)]}, f)
    return sk, export


def sklearn(python, job, out_dir):
    path = os.path.join(out_dir, "job.json")
    with open(path, "w") as f:
        json.dump(job, f)
    stdout, wall, rss, _ = run_measured([python, os.path.join(HERE, "sklearn_child.py"), path])
    result = json.loads(stdout)
    result["peak_mb"] = rss
    result["wall"] = wall
    return result


def gmmc_train(gmmc, args, out_dir):
    report = os.path.join(out_dir, "report.json")
    model = os.path.join(out_dir, "model.json")
    _, wall, rss, _ = run_gmmc([gmmc, "train", *args, "--quiet", "--report", report, "-o", model])
    with open(report) as f:
        r = json.load(f)
    init = sum(i["init_seconds"] for i in r["inits"])
    em = sum(i["em_seconds"] for i in r["inits"])
    kmeans_iter = sum(i.get("kmeans_iterations", 0) for i in r["inits"])
    kmeans = sum(i.get("kmeans_seconds", 0.0) for i in r["inits"])
    return {"wall": wall, "peak_mb": rss, "fit_seconds": r["fit_seconds"], "init_seconds": init,
            "em_seconds": em, "n_iter": r["n_iter"], "lower_bound": r["lower_bound"],
            "kmeans_n_iter": kmeans_iter, "kmeans_seconds": kmeans}


def median(values):
    return statistics.median(values)


def alternate(rounds, first, second):
    """Runs `first` and `second` `rounds` times, alternating which goes first."""
    a, b = [], []
    for r in range(rounds):
        if r % 2 == 0:
            a.append(first())
            b.append(second())
        else:
            b.append(second())
            a.append(first())
        print(".", end="", flush=True)
    return a, b


def flops_per_iteration(n, d, k, cov):
    """The floating-point operations one EM iteration needs (2 flops a multiply-add): for full
    covariance, the E-step's triangular product (x − μ)ᵀU and the M-step's triangular scatter
    are D(D+1)/2 multiply-adds each per row and component (the issue's "about N·K·D² each"
    counts the full squares, twice this); for diag, about 2·D multiply-adds per row and
    component for the two steps together."""
    if cov == "full":
        return 2 * 2 * n * k * d * (d + 1) // 2
    return 2 * 2 * n * k * d


def machine():
    model, mhz = "unknown", None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and model == "unknown":
                    model = line.split(":", 1)[1].strip()
                if line.startswith("cpu MHz") and mhz is None:
                    mhz = float(line.split(":", 1)[1])
    except OSError:
        pass
    flags = ""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line for line in f if line.startswith("flags")), "")
    except OSError:
        pass
    cores = os.cpu_count() or 1
    words = set(flags.split())
    # The widest kernels gmmc picks at run time (pulp's x86-64-v4, then v3), and their nominal
    # peak: two fused multiply-add pipes of that width per core (AVX-512: 2 × 8 lanes × 2
    # flops = 32 per cycle; AVX2: 16). Some CPUs run 512-bit operations at half that rate.
    if {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"} <= words:
        simd, per_cycle = "avx512", 32
    elif {"avx2", "fma"} <= words:
        simd, per_cycle = "avx2", 16
    else:
        simd, per_cycle = "sse2", 4
    peak = cores * (mhz or 0) / 1000.0 * per_cycle
    return {"model": model, "mhz": mhz, "cores": cores, "simd": simd, "peak_gflops": peak,
            "load": os.getloadavg(), "python": platform.python_version()}


def fmt(v, digits=3):
    if v is None:
        return "n/a"
    if abs(v) >= 100:
        return "%.1f" % v
    return "%.*f" % (digits, v)


def em_loop(case, gmmc, python, rounds, out_dir, peak):
    """Comparison (a): the same start, --tol 0, 10 iterations: the EM loops alone."""
    npy, _ = data_files((case.n, case.d, case.k), out_dir)
    sk_start, export = start_point(npy, case.k, case.cov, out_dir, case.stem)
    start_model = os.path.join(out_dir, case.stem + "-%s-start-model.json" % case.cov)
    run_measured([gmmc, "import", "sklearn", export, "-o", start_model])
    job = {"kind": "gmm", "data": npy, "start": sk_start,
           "params": {"n_components": case.k, "covariance_type": case.cov, "tol": 0.0,
                      "max_iter": EM_ITERATIONS, "random_state": 0}}
    args = [npy, "--init-model", start_model, "--tol", "0", "--max-iter", str(EM_ITERATIONS)]
    sk, gm = alternate(rounds, lambda: sklearn(python, job, out_dir),
                       lambda: gmmc_train(gmmc, args, out_dir))
    ratios = [s["seconds"] / g["em_seconds"] for s, g in zip(sk, gm)]
    sk_s, gm_s = median([s["seconds"] for s in sk]), median([g["em_seconds"] for g in gm])
    gflops = flops_per_iteration(case.n, case.d, case.k, case.cov) * EM_ITERATIONS / gm_s / 1e9
    return {
        "case": case.name, "target": case.em_target,
        "sklearn_seconds": sk_s, "gmmc_seconds": gm_s, "ratio": median(ratios),
        "sklearn_n_iter": sk[0]["n_iter"], "gmmc_n_iter": gm[0]["n_iter"],
        "sklearn_lower_bound": sk[0]["lower_bound"], "gmmc_lower_bound": gm[0]["lower_bound"],
        "sklearn_peak_mb": median([s["peak_mb"] for s in sk]),
        "gmmc_peak_mb": median([g["peak_mb"] for g in gm]),
        "gmmc_wall": median([g["wall"] for g in gm]),
        "gflops": gflops, "peak_fraction": gflops / peak if peak else None,
    }


def defaults(case, gmmc, python, rounds, out_dir):
    """Comparison (b): each with its default k-means initialisation; gmmc also timed as a whole
    process on the CSV file (parsing included), and the two k-means alone."""
    npy, csv = data_files((case.n, case.d, case.k), out_dir)
    job = {"kind": "gmm", "data": npy,
           "params": {"n_components": case.k, "covariance_type": case.cov, "random_state": 0}}
    args = [csv, "-k", str(case.k), "--covariance", case.cov]
    fits, gm = alternate(rounds, lambda: sklearn(python, job, out_dir),
                         lambda: gmmc_train(gmmc, args, out_dir))
    return {
        "case": case.name,
        "sklearn_seconds": median([f["seconds"] for f in fits]),
        "sklearn_n_iter": fits[0]["n_iter"], "sklearn_lower_bound": fits[0]["lower_bound"],
        "sklearn_peak_mb": median([f["peak_mb"] for f in fits]),
        "gmmc_fit_seconds": median([g["fit_seconds"] for g in gm]),
        "gmmc_wall": median([g["wall"] for g in gm]),
        "gmmc_n_iter": gm[0]["n_iter"], "gmmc_lower_bound": gm[0]["lower_bound"],
        "gmmc_peak_mb": median([g["peak_mb"] for g in gm]),
        "fit_ratio": median([f["seconds"] / g["fit_seconds"] for f, g in zip(fits, gm)]),
        "process_ratio": median([f["seconds"] / g["wall"] for f, g in zip(fits, gm)]),
        "gmmc_init_seconds": median([g["init_seconds"] for g in gm]),
    }


def kmeans_compare(case, gmmc, python, rounds, out_dir):
    """k-means alone: scikit-learn's `KMeans(K, n_init=1, random_state=r).fit(X)` against the
    k-means of `gmmc train DATA.npy -k K --seed r --max-iter 0` (its `kmeans_seconds`), for
    seeds r = 0 … rounds − 1. The number of Lloyd iterations depends on the seed, and the two
    tools draw different seeds from the same number, so the comparison is of medians over the
    seeds (and per Lloyd iteration)."""
    npy, _ = data_files((case.n, case.d, case.k), out_dir)
    sk, gm = [], []
    for r in range(rounds):
        job = {"kind": "kmeans", "data": npy, "k": case.k, "seed": r}
        args = [npy, "-k", str(case.k), "--seed", str(r), "--max-iter", "0"]
        a, b = alternate(1, lambda: sklearn(python, job, out_dir),
                         lambda: gmmc_train(gmmc, args, out_dir))
        sk += a
        gm += b
    sk_s, gm_s = median([k["seconds"] for k in sk]), median([g["kmeans_seconds"] for g in gm])
    sk_it = median([k["n_iter"] for k in sk])
    gm_it = median([g["kmeans_n_iter"] for g in gm])
    return {
        "case": "%s×%d, K=%d" % (case.name.split("×")[0], case.d, case.k),
        "seeds": rounds,
        "sklearn_seconds": sk_s, "sklearn_n_iter": sk_it,
        "sklearn_iterations": [k["n_iter"] for k in sk],
        "gmmc_seconds": gm_s, "gmmc_n_iter": gm_it,
        "gmmc_iterations": [g["kmeans_n_iter"] for g in gm],
        "ratio": gm_s / sk_s,
        "per_iteration_ratio": (gm_s / gm_it) / (sk_s / sk_it),
    }


def scaling(gmmc, rounds, out_dir):
    """gmmc's EM loop (10 iterations from one start) against N and against D, K = 4, full."""
    rows = []
    shapes = [(n, 16) for n in SCALING_N] + [(100_000, d) for d in SCALING_D if d != 16]
    for n, d in sorted(set(shapes), key=lambda s: (s[1] != 16, s)):
        npy, _ = data_files((n, d, 4), out_dir)
        _, export = start_point(npy, 4, "full", out_dir, "%dx%d-k4" % (n, d))
        start_model = os.path.join(out_dir, "%dx%d-k4-scaling-start.json" % (n, d))
        run_measured([gmmc, "import", "sklearn", export, "-o", start_model])
        args = [npy, "--init-model", start_model, "--tol", "0", "--max-iter", str(EM_ITERATIONS)]
        runs = [gmmc_train(gmmc, args, out_dir) for _ in range(rounds)]
        print(".", end="", flush=True)
        em = median([r["em_seconds"] for r in runs])
        per_iter = em / EM_ITERATIONS
        rows.append({"n": n, "d": d, "seconds_per_iteration": per_iter,
                     "ns_per_nkd2": per_iter / (n * 4 * d * d) * 1e9,
                     "peak_mb": median([r["peak_mb"] for r in runs])})
    return rows


def scoring(gmmc, python, rounds, out_dir):
    """gmmc score on 1M rows (whole process: reading, scoring, writing the CSV) against
    scikit-learn's score_samples alone, on the same fitted model."""
    n, d, k = 1_000_000, 8, 4
    npy, csv = data_files((n, d, k), out_dir)
    fit = sklearn(python, {"kind": "gmm", "data": npy, "export": True,
                           "params": {"n_components": k, "covariance_type": "full",
                                      "random_state": 0}}, out_dir)
    export = os.path.join(out_dir, "score-export.json")
    with open(export, "w") as f:
        json.dump(dict(fit["model"], feature_names=["x%d" % j for j in range(d)]), f)
    model = os.path.join(out_dir, "score-model.json")
    run_measured([gmmc, "import", "sklearn", export, "-o", model])
    scores = os.path.join(out_dir, "scores.csv")
    job = {"kind": "score", "data": npy, "model": export}
    results = {}
    def scored_seconds(stderr):
        # "timings: read R s, scored S s, wrote W s (N rows)"
        line = next(l for l in stderr.splitlines() if l.startswith("timings:"))
        return float(line.split("scored ")[1].split(" s")[0])

    for label, data in (("npy", npy), ("csv", csv)):
        sk, gm = alternate(rounds, lambda: sklearn(python, job, out_dir),
                           lambda: run_gmmc([gmmc, "score", model, data, "-o", scores,
                                             "--timings"]))
        results[label] = {
            "sklearn_seconds": median([s["seconds"] for s in sk]),
            "gmmc_seconds": median([g[1] for g in gm]),
            "ratio": median([s["seconds"] / g[1] for s, g in zip(sk, gm)]),
            "gmmc_scoring_seconds": median([scored_seconds(g[3]) for g in gm]),
            "scoring_ratio": median([s["seconds"] / scored_seconds(g[3])
                                     for s, g in zip(sk, gm)]),
            "sklearn_peak_mb": median([s["peak_mb"] for s in sk]),
            "gmmc_peak_mb": median([g[2] for g in gm]),
        }
    return {"n": n, "d": d, "k": k, "results": results}


def peak_of(res):
    return res["machine"]["peak_gflops"] or 0.0


def table_markdown(res):
    m = res["machine"]
    lines = []
    lines.append("Machine: %s, %d cores, %s MHz, %s; load average at the start %s; Python %s, "
                 "scikit-learn %s, NumPy %s; %d rounds, the tools alternating."
                 % (m["model"], m["cores"], fmt(m["mhz"], 0), m["simd"],
                    " ".join("%.1f" % v for v in m["load"]), m["python"], res["sklearn"],
                    res["numpy"], res["rounds"]))
    lines.append("")
    lines.append("**(a) EM loop, same start** (scikit-learn's `*_init`, gmmc's `--init-model`; "
                 "`--tol 0 --max-iter %d`; scikit-learn `fit()` against gmmc's EM time from "
                 "`--report`):" % EM_ITERATIONS)
    lines.append("")
    lines.append("| case | scikit-learn s | gmmc s | speed-up | target | s/iter sklearn | "
                 "s/iter gmmc | final lower bound sklearn | gmmc | peak MB sklearn | gmmc | "
                 "gmmc GFLOP/s | of peak (%.0f GFLOP/s) |" % peak_of(res))
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in res["em_loop"]:
        met = "met" if r["ratio"] >= r["target"] else "**not met**"
        lines.append("| %s | %s | %s | %.1f× | ≥ %d× %s | %s | %s | %.10f | %.10f | %.0f | %.0f | "
                     "%.1f | %s |" % (
                         r["case"], fmt(r["sklearn_seconds"]), fmt(r["gmmc_seconds"]),
                         r["ratio"], r["target"], met,
                         fmt(r["sklearn_seconds"] / r["sklearn_n_iter"], 4),
                         fmt(r["gmmc_seconds"] / r["gmmc_n_iter"], 4),
                         r["sklearn_lower_bound"], r["gmmc_lower_bound"],
                         r["sklearn_peak_mb"], r["gmmc_peak_mb"], r["gflops"],
                         "%.0f %%" % (100 * r["peak_fraction"]) if r["peak_fraction"] else "n/a"))
    lines.append("")
    lines.append("**(b) Default settings**, each with its own k-means initialisation "
                 "(scikit-learn `GaussianMixture(K, covariance_type, random_state=0).fit(X)`; "
                 "`gmmc train DATA.csv -k K --covariance TYPE`):")
    lines.append("")
    lines.append("| case | scikit-learn fit() s | iter | lower bound | gmmc fit s | iter | lower "
                 "bound | speed-up | gmmc whole process on CSV s | speed-up (≥ 3×) | peak MB "
                 "sklearn | gmmc |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in res["defaults"]:
        lines.append("| %s | %s | %d | %.6f | %s | %d | %.6f | %.1f× | %s | %.1f× %s | %.0f | %.0f |"
                     % (r["case"], fmt(r["sklearn_seconds"]), r["sklearn_n_iter"],
                        r["sklearn_lower_bound"], fmt(r["gmmc_fit_seconds"]), r["gmmc_n_iter"],
                        r["gmmc_lower_bound"], r["fit_ratio"], fmt(r["gmmc_wall"]),
                        r["process_ratio"],
                        "met" if r["process_ratio"] >= 3 else "**not met**",
                        r["sklearn_peak_mb"], r["gmmc_peak_mb"]))
    if res.get("kmeans"):
        lines.append("")
        lines.append("**k-means alone** (scikit-learn `KMeans(K, n_init=1, random_state=r)`; gmmc's "
                     "k-means inside `gmmc train --seed r --max-iter 0`, from its report), "
                     "medians over seeds r = 0 … %d (iterations per seed in brackets):"
                     % (res["kmeans"][0]["seeds"] - 1))
        lines.append("")
        lines.append("| data | scikit-learn s | iterations | gmmc s | iterations | gmmc / "
                     "scikit-learn (≤ 0.2×) | per Lloyd iteration |")
        lines.append("|---|---:|---|---:|---|---:|---:|")
        for r in res["kmeans"]:
            lines.append("| %s | %s | %g %s | %s | %g %s | %.2f× %s | %.2f× |" % (
                r["case"], fmt(r["sklearn_seconds"]), r["sklearn_n_iter"],
                r["sklearn_iterations"], fmt(r["gmmc_seconds"]), r["gmmc_n_iter"],
                r["gmmc_iterations"], r["ratio"],
                "met" if r["ratio"] <= 0.2 else "**not met**", r["per_iteration_ratio"]))
    if res.get("scaling"):
        lines.append("")
        lines.append("**Scaling** (gmmc, K = 4, full, EM loop from one start, %d iterations): "
                     "time per iteration, and the same divided by N·K·D²:" % EM_ITERATIONS)
        lines.append("")
        lines.append("| N | D | s per iteration | ns per N·K·D² | peak MB |")
        lines.append("|---:|---:|---:|---:|---:|")
        for r in res["scaling"]:
            lines.append("| %d | %d | %.4f | %.3f | %.0f |" % (
                r["n"], r["d"], r["seconds_per_iteration"], r["ns_per_nkd2"], r["peak_mb"]))
    if res.get("scoring"):
        s = res["scoring"]
        lines.append("")
        lines.append("**Batch scoring**, %d rows × %d, K = %d, full, against scikit-learn's "
                     "`score_samples` call alone (data already in memory): gmmc's scoring step "
                     "(`gmmc score --timings`: log-likelihood, score and decision of every row, "
                     "data in memory), and `gmmc score MODEL DATA -o OUT.csv` as a whole "
                     "process (reading the file, scoring, writing the CSV):"
                     % (s["n"], s["d"], s["k"]))
        lines.append("")
        lines.append("| gmmc input | scikit-learn s | gmmc scoring s | ratio (≥ 3×) | "
                     "gmmc whole process s | ratio | peak MB sklearn | gmmc |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        for label, r in s["results"].items():
            lines.append("| .%s | %s | %s | %.1f× %s | %s | %.1f× | %.0f | %.0f |" % (
                label, fmt(r["sklearn_seconds"]), fmt(r["gmmc_scoring_seconds"]),
                r["scoring_ratio"], "met" if r["scoring_ratio"] >= 3 else "**not met**",
                fmt(r["gmmc_seconds"]), r["ratio"], r["sklearn_peak_mb"], r["gmmc_peak_mb"]))
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gmmc", required=True)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", default=HERE)
    parser.add_argument("--work", default=os.path.join(HERE, "..", "out", "training"))
    parser.add_argument("--only", choices=["em", "defaults", "kmeans", "scaling", "scoring"],
                        action="append", help="run only these parts (repeatable)")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    os.makedirs(args.out, exist_ok=True)
    parts = args.only or ["em", "defaults", "kmeans", "scaling", "scoring"]
    import sklearn as sk

    res = {"machine": machine(), "rounds": args.rounds, "sklearn": sk.__version__,
           "numpy": np.__version__}
    peak = res["machine"]["peak_gflops"]
    if "em" in parts:
        res["em_loop"] = []
        for case in CASES:
            print("EM loop:", case.name, end=" ", flush=True)
            res["em_loop"].append(em_loop(case, args.gmmc, args.python, args.rounds, args.work,
                                          peak))
            print()
    if "defaults" in parts:
        res["defaults"] = []
        for case in CASES:
            print("defaults:", case.name, end=" ", flush=True)
            res["defaults"].append(defaults(case, args.gmmc, args.python, args.rounds,
                                            args.work))
            print()
    if "kmeans" in parts:
        res["kmeans"] = []
        seen = set()
        for case in CASES:
            if (case.n, case.d, case.k) in seen:
                continue
            seen.add((case.n, case.d, case.k))
            print("k-means:", case.name, end=" ", flush=True)
            # At least 9 seeds: the number of Lloyd iterations varies a lot from seed to seed.
            res["kmeans"].append(kmeans_compare(case, args.gmmc, args.python,
                                                max(args.rounds, 9), args.work))
            print()
    if "scaling" in parts:
        print("scaling", end=" ", flush=True)
        res["scaling"] = scaling(args.gmmc, max(1, args.rounds // 2), args.work)
        print()
    if "scoring" in parts:
        print("scoring", end=" ", flush=True)
        res["scoring"] = scoring(args.gmmc, args.python, args.rounds, args.work)
        print()
    res.setdefault("em_loop", [])
    res.setdefault("defaults", [])
    text = table_markdown(res)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(res, f, indent=1)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
