"""One scikit-learn measurement in a process of its own (so that its peak memory is its own).

    python sklearn_child.py JOB.json

JOB.json names the data (.npy), what to run and its parameters; the result is printed as one
JSON object on stdout: the seconds of the timed call alone (data loading and imports are not
timed), and what scikit-learn reports about the fit. Threads are pinned to one before NumPy
loads: with more, the two OpenBLAS copies of a NumPy/SciPy install oversubscribe the cores and
scikit-learn gets slower, not faster.
"""

import os

os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"

import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402


def main():
    with open(sys.argv[1]) as f:
        job = json.load(f)
    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture

    warnings.simplefilter("ignore", ConvergenceWarning)
    x = np.load(job["data"])
    kind = job["kind"]
    out = {}
    if kind == "gmm":
        params = dict(job["params"])
        start = job.get("start")
        if start is not None:
            with open(start) as f:
                s = json.load(f)
            params["weights_init"] = np.array(s["weights"])
            params["means_init"] = np.array(s["means"])
            params["precisions_init"] = np.array(s["precisions"])
        gm = GaussianMixture(**params)
        t = time.perf_counter()
        gm.fit(x)
        out["seconds"] = time.perf_counter() - t
        out["n_iter"] = int(gm.n_iter_)
        out["lower_bound"] = float(gm.lower_bound_)
        out["converged"] = bool(gm.converged_)
        if job.get("export"):
            out["model"] = {
                "covariance_type": gm.covariance_type,
                "weights": gm.weights_.tolist(),
                "means": gm.means_.tolist(),
                "precisions_cholesky": gm.precisions_cholesky_.tolist(),
            }
    elif kind == "kmeans":
        km = KMeans(n_clusters=job["k"], n_init=1, random_state=job.get("seed", 0))
        t = time.perf_counter()
        km.fit(x)
        out["seconds"] = time.perf_counter() - t
        out["n_iter"] = int(km.n_iter_)
    elif kind == "score":
        with open(job["model"]) as f:
            m = json.load(f)
        gm = GaussianMixture(n_components=len(m["weights"]), covariance_type=m["covariance_type"])
        gm.weights_ = np.array(m["weights"])
        gm.means_ = np.array(m["means"])
        gm.precisions_cholesky_ = np.array(m["precisions_cholesky"])
        t = time.perf_counter()
        ll = gm.score_samples(x)
        out["seconds"] = time.perf_counter() - t
        out["mean_log_likelihood"] = float(ll.mean())
    else:
        raise SystemExit("unknown job kind %r" % kind)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
