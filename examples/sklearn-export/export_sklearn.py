#!/usr/bin/env python3
"""Write a fitted scikit-learn GaussianMixture as the JSON that `gmmc import sklearn` reads.

As a library:

    from export_sklearn import export
    export(gm, "export.json", feature_names=names, X=X_train)

As a command, fit a GaussianMixture on a CSV file's feature columns and export it:

    python3 export_sklearn.py TRAIN.csv -k 4 --covariance full --label-column label -o export.json

The JSON holds scikit-learn's own arrays in scikit-learn's own shapes (see README.md next to
this file). Python's json module prints every float with repr(), the shortest text that reads
back as the same double, so the numbers survive the trip exactly.
"""

import argparse
import csv
import json
import os
import sys
import tempfile

# Hyper-parameters that describe how the model was fitted; exported under "params".
FIT_PARAMS = ("n_components", "tol", "reg_covar", "max_iter", "n_init", "init_params",
              "random_state")


def to_dict(gm, feature_names=None, X=None):
    """The export as a dict of plain Python values (lists, floats, ints, strings, bools)."""
    if not hasattr(gm, "precisions_cholesky_"):
        raise ValueError("the GaussianMixture is not fitted: call fit() before exporting")
    import sklearn

    n_features = gm.means_.shape[1]
    if feature_names is None and hasattr(gm, "feature_names_in_"):
        feature_names = gm.feature_names_in_
    doc = {
        "covariance_type": gm.covariance_type,
        "weights": gm.weights_.tolist(),
        "means": gm.means_.tolist(),
        "precisions_cholesky": gm.precisions_cholesky_.tolist(),
        "covariances": gm.covariances_.tolist(),
    }
    if feature_names is not None:
        feature_names = [str(name) for name in feature_names]
        if len(feature_names) != n_features:
            raise ValueError("%d feature names for a model of %d features"
                             % (len(feature_names), n_features))
        doc["feature_names"] = feature_names
    doc["n_features_in"] = int(n_features)
    doc["sklearn_version"] = sklearn.__version__
    doc["n_iter"] = int(gm.n_iter_)
    doc["converged"] = bool(gm.converged_)
    doc["lower_bound"] = float(gm.lower_bound_)
    params = gm.get_params()
    doc["params"] = {name: params[name] for name in FIT_PARAMS
                     if isinstance(params.get(name), (int, float, str, bool, type(None)))}
    if X is not None:
        doc["train_log_likelihood"] = gm.score_samples(X).tolist()
    return doc


def to_json(doc):
    """JSON text: one top-level key per line, matrices one row per line, exact floats."""
    def value(v, indent):
        if isinstance(v, list) and v and isinstance(v[0], list):
            pad = " " * (indent + 2)
            rows = (pad + value(row, indent + 2) for row in v)
            return "[\n" + ",\n".join(rows) + "\n" + " " * indent + "]"
        if isinstance(v, list) and len(v) > 16:
            pad = " " * (indent + 2)
            chunks = (", ".join(json.dumps(x, allow_nan=False) for x in v[i:i + 8])
                      for i in range(0, len(v), 8))
            return "[\n" + ",\n".join(pad + c for c in chunks) + "\n" + " " * indent + "]"
        return json.dumps(v, allow_nan=False)

    try:
        body = ",\n".join("  %s: %s" % (json.dumps(k), value(v, 2)) for k, v in doc.items())
    except ValueError as err:  # json's message for NaN/inf
        raise ValueError("cannot export a model with non-finite numbers (%s)" % err) from None
    return "{\n" + body + "\n}\n"


def write_text(path, text):
    """Write text to path ("-": stdout) through a temporary file, so no partial file is left."""
    if path == "-":
        sys.stdout.write(text)
        return
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".export-", suffix=".tmp")
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes the file private; give it the usual mode
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def export(gm, path, feature_names=None, X=None):
    """Write gm to path as `gmmc import sklearn` JSON and return the exported dict.

    feature_names: one name per feature (default: gm.feature_names_in_ when fitted on a
    DataFrame). X: the training data; when given, its per-sample log-likelihoods
    (gm.score_samples(X)) are exported as "train_log_likelihood" for gmmc to calibrate its
    anomaly score and threshold with.
    """
    doc = to_dict(gm, feature_names, X)
    write_text(path, to_json(doc))
    return doc


def read_csv(path, label_column=None):
    """Feature names and rows of floats from a CSV file with a header row."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            raise ValueError("%s: the file is empty" % path)
        header = [name.strip() for name in header]
        if label_column is not None and label_column not in header:
            raise ValueError("%s:1: no column named %r (columns: %s)"
                             % (path, label_column, ", ".join(header)))
        keep = [i for i, name in enumerate(header) if name != label_column]
        rows = []
        for line, record in enumerate(reader, start=2):
            if not record or all(not cell.strip() for cell in record):
                continue
            if len(record) != len(header):
                raise ValueError("%s:%d: %d fields, the header has %d"
                                 % (path, line, len(record), len(header)))
            row = []
            for i in keep:
                try:
                    row.append(float(record[i]))
                except ValueError:
                    hint = "" if label_column else " (pass --label-column for a label column)"
                    raise ValueError("%s:%d: column %r: %r is not a number%s"
                                     % (path, line, header[i], record[i], hint)) from None
            rows.append(row)
    if not rows:
        raise ValueError("%s: no data rows" % path)
    return [header[i] for i in keep], rows


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Fit a scikit-learn GaussianMixture on a CSV file and export it as the "
                    "JSON that `gmmc import sklearn` reads.")
    parser.add_argument("data", metavar="TRAIN.csv",
                        help="CSV with a header row; every column but the label is a feature")
    parser.add_argument("-k", "--components", type=int, default=4, metavar="N",
                        help="number of mixture components (default 4)")
    parser.add_argument("--covariance", choices=("full", "tied", "diag", "spherical"),
                        default="full", help="covariance type (default full)")
    parser.add_argument("--label-column", metavar="NAME",
                        help="column to leave out of the features")
    parser.add_argument("--seed", type=int, default=0, help="random_state (default 0)")
    parser.add_argument("--n-init", type=int, default=1, metavar="N",
                        help="EM restarts; the best lower bound wins (default 1)")
    parser.add_argument("--max-iter", type=int, default=100, metavar="N",
                        help="EM iterations per restart (default 100)")
    parser.add_argument("--tol", type=float, default=1e-3, metavar="F",
                        help="convergence tolerance (default 1e-3)")
    parser.add_argument("--reg-covar", type=float, default=1e-6, metavar="F",
                        help="added to covariance diagonals (default 1e-6)")
    parser.add_argument("--no-train-log-likelihood", action="store_true",
                        help="leave out the per-sample training log-likelihoods")
    parser.add_argument("-o", "--output", default="-", metavar="EXPORT.json",
                        help="output file (default: standard output)")
    args = parser.parse_args(argv)

    try:
        names, rows = read_csv(args.data, args.label_column)
    except (OSError, ValueError) as err:
        parser.exit(1, "error: %s\n" % err)

    import numpy as np
    from sklearn.mixture import GaussianMixture
    from threadpoolctl import threadpool_limits

    X = np.array(rows, dtype=np.float64)
    gm = GaussianMixture(n_components=args.components, covariance_type=args.covariance,
                         tol=args.tol, reg_covar=args.reg_covar, max_iter=args.max_iter,
                         n_init=args.n_init, random_state=args.seed)
    # One BLAS thread: on matrices this small, more threads only oversubscribe the cores and
    # make EM many times slower.
    with threadpool_limits(limits=1):
        try:
            gm.fit(X)
        except ValueError as err:
            parser.exit(1, "error: fitting failed: %s\n" % err)
    try:
        export(gm, args.output, feature_names=names,
               X=None if args.no_train_log_likelihood else X)
    except (OSError, ValueError) as err:
        parser.exit(1, "error: %s\n" % err)
    if args.output != "-":
        print("%s: K=%d %s, D=%d, %d samples, %d iterations, converged %s, lower bound %.6g"
              % (args.output, args.components, args.covariance, X.shape[1], X.shape[0],
                 gm.n_iter_, gm.converged_, gm.lower_bound_), file=sys.stderr)


if __name__ == "__main__":
    main()
