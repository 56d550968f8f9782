//! The README's table "What gmmc does with bad input", row by row, through the `gmmc` binary:
//! each failure is one line on stderr starting with `error: ` that names the file and the
//! line/column or field, the exit status is 1 (2 for wrong usage), and the folder the command
//! ran in is byte for byte as it was: no output file changed, none created, no temporary file
//! left. The last test checks that every test the README's table names exists.

mod c_support;
mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use c_support::{C_FLAGS, CXX_FLAGS};
use gmmc::model::Model;

/// A well-behaved training file: two features, eight rows.
const GOOD_CSV: &str =
    "a,b\n0.1,1.0\n0.4,1.3\n-0.2,0.8\n0.3,1.1\n0.0,0.7\n0.2,1.4\n-0.1,0.9\n0.5,1.2\n";

/// The same rows with a label column, two of them anomalous.
const LABELLED_CSV: &str = "a,b,label\n0.1,1.0,ok\n0.4,1.3,ok\n-0.2,0.8,ok\n0.3,1.1,ok\n\
                            0.0,0.7,ok\n0.2,1.4,ok\n9.0,9.0,anomaly\n-9.0,9.0,anomaly\n";

/// What a folder holds: every file (relative path) and its bytes.
type Contents = BTreeMap<PathBuf, Vec<u8>>;

fn contents(dir: &Path) -> Contents {
    fn walk(root: &Path, dir: &Path, out: &mut Contents) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
                out.insert(
                    path.strip_prefix(root).unwrap().to_path_buf(),
                    b"/".to_vec(),
                );
            } else {
                let bytes = std::fs::read(&path).unwrap();
                out.insert(path.strip_prefix(root).unwrap().to_path_buf(), bytes);
            }
        }
    }
    let mut out = Contents::new();
    walk(dir, dir, &mut out);
    out
}

/// A scratch folder that the command runs in.
struct Folder(tempfile::TempDir);

impl Folder {
    fn new(files: &[(&str, &[u8])]) -> Folder {
        let folder = Folder(tempfile::tempdir().unwrap());
        for (name, bytes) in files {
            let path = folder.path(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).unwrap();
            }
            std::fs::write(path, bytes).unwrap();
        }
        folder
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_gmmc"))
            .args(args)
            .current_dir(self.0.path())
            .env_remove("RUST_BACKTRACE")
            .output()
            .unwrap()
    }
}

/// Checks a failure: exit status `code`, one line on stderr that starts with `error: ` and
/// holds every `expected` text, no sign of a panic. Returns the line.
fn one_line_failure(out: &Output, code: i32, expected: &[&str]) -> String {
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "stderr: {stderr}\nstdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("internal error"),
        "{stderr}"
    );
    for e in expected {
        assert!(stderr.contains(e), "expected {e:?} in: {stderr}");
    }
    stderr.trim_end().to_string()
}

/// Runs `gmmc args` in a folder holding `files` and expects a failure with status `code`
/// whose one line holds every `expected` text, leaving the folder exactly as it was. Returns
/// the line.
fn refused(files: &[(&str, &[u8])], args: &[&str], code: i32, expected: &[&str]) -> String {
    let folder = Folder::new(files);
    let before = contents(folder.0.path());
    let out = folder.run(args);
    let line = one_line_failure(&out, code, expected);
    assert_eq!(
        contents(folder.0.path()),
        before,
        "{args:?} changed the folder"
    );
    line
}

/// Runs `gmmc train DATA …` on `data.csv` holding `csv` and expects exit status 1.
fn train_refuses(csv: &str, extra: &[&str], expected: &[&str]) -> String {
    let mut args = vec!["train", "data.csv", "-o", "model.json"];
    args.extend_from_slice(extra);
    refused(
        &[("data.csv", csv.as_bytes()), ("model.json", b"precious")],
        &args,
        1,
        expected,
    )
}

/// A model trained by gmmc on [`GOOD_CSV`] (features `a`, `b`).
fn good_model() -> &'static [u8] {
    static MODEL: OnceLock<Vec<u8>> = OnceLock::new();
    MODEL.get_or_init(|| {
        let folder = Folder::new(&[("good.csv", GOOD_CSV.as_bytes())]);
        let out = folder.run(&["train", "good.csv", "-o", "m.json", "--quiet"]);
        assert!(out.status.success(), "{out:?}");
        std::fs::read(folder.path("m.json")).unwrap()
    })
}

/// Runs a command that should succeed; returns stdout and stderr.
fn succeeds(folder: &Folder, args: &[&str]) -> (String, String) {
    let out = folder.run(args);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{args:?}: {stderr}");
    (stdout, stderr)
}

// ---------------------------------------------------------------------------------------------
// Usage

#[test]
fn wrong_usage_exits_2_on_one_line() {
    let files: &[(&str, &[u8])] = &[("data.csv", GOOD_CSV.as_bytes())];
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["train", "data.csv", "--frobnicate"],
            &[
                "unexpected argument '--frobnicate'",
                "see gmmc train --help",
            ],
        ),
        (&["fit", "data.csv"], &["unrecognized subcommand 'fit'"]),
        (
            &["test", "model.json", "data.csv"],
            &[
                "required arguments were not provided: --label-column <NAME>",
                "usage: gmmc test",
            ],
        ),
        (
            &["train", "data.csv", "-k", "0"],
            &["'--components", "at least 1"],
        ),
        (
            &["train", "data.csv", "--covariance", "round"],
            &["unknown covariance type `round`"],
        ),
        (
            &["train", "data.csv", "--tol", "-1"],
            &["'--tol <F>': must be a non-negative number, not -1"],
        ),
        (
            &["train", "data.csv", "--reg-covar", "nan"],
            &["'--reg-covar <F>': must be a non-negative number, not NaN"],
        ),
        (
            &["train", "data.csv", "--threshold-quantile", "1"],
            &["strictly between 0 and 1"],
        ),
        (
            &["train", "data.csv", "--n-init", "1000000000000"],
            &["'--n-init <N>': must be a whole number from 1 to 10000"],
        ),
        (
            &["emit", "c", "model.json", "--precision", "f16"],
            &["unknown precision `f16`", "see gmmc emit c --help"],
        ),
    ];
    for (args, expected) in cases {
        refused(files, args, 2, expected);
    }
    // Help and version are not errors.
    let folder = Folder::new(&[]);
    for args in [&["--help"][..], &["--version"], &["train", "-h"]] {
        let out = folder.run(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(!out.stdout.is_empty());
    }
}

// ---------------------------------------------------------------------------------------------
// Bad data

#[test]
fn empty_file() {
    train_refuses("", &[], &["data.csv: empty file: expected a header row"]);
}

#[test]
fn header_only() {
    train_refuses("a,b\n", &[], &["data.csv: no data rows"]);
    let model = good_model();
    refused(
        &[("m.json", model), ("data.csv", b"a,b\n")],
        &["score", "m.json", "data.csv", "-o", "m.json"],
        1,
        &["data.csv: no data rows"],
    );
}

#[test]
fn ragged_rows() {
    train_refuses(
        "a,b\n1,2\n3\n",
        &[],
        &["data.csv:3: the row has 1 field, but the header (line 1) has 2 fields"],
    );
}

#[test]
fn non_numeric_cells() {
    train_refuses(
        "a,b\n1,2\n3,x\n",
        &[],
        &["data.csv:3:2 (column \"b\"): cannot read \"x\" as a number"],
    );
    // A quoted cell may hold a line break: the message stays one line.
    train_refuses(
        "a,b\n1,\"x\ny\"\n",
        &[],
        &["data.csv:2:2 (column \"b\"): cannot read \"x y\" as a number"],
    );
    // Text in the first data row is probably a label column: the hint says how to name it.
    train_refuses(
        "a,state\n1,ok\n",
        &[],
        &["(if it holds labels, pass --label-column \"state\")"],
    );
}

#[test]
fn nan_and_inf_cells() {
    train_refuses(
        "a,b\n1,2\n3,NaN\n",
        &[],
        &["data.csv:3 (column \"b\"): NaN is not a finite number; training needs finite values"],
    );
    train_refuses(
        "a,b\n1,2\n-inf,3\n",
        &[],
        &["data.csv:3 (column \"a\"): -inf is not a finite number"],
    );
    // Scoring takes them: such a row is an anomaly with score +inf, never NaN.
    let folder = Folder::new(&[
        ("m.json", good_model()),
        ("data.csv", b"a,b\n0.1,1.0\nNaN,1\n0.1,inf\n"),
    ]);
    let (stdout, _) = succeeds(&folder, &["score", "m.json", "data.csv"]);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "log_likelihood,score,is_anomaly");
    assert!(lines[1].ends_with(",0"), "{stdout}");
    assert_eq!(lines[2..], ["-inf,inf,1", "-inf,inf,1"]);
}

#[test]
fn duplicate_column_names() {
    train_refuses(
        "a,b,a\n1,2,3\n",
        &[],
        &["data.csv:1: duplicate column name \"a\" (columns 1 and 3)"],
    );
}

#[test]
fn unknown_axes() {
    train_refuses(
        GOOD_CSV,
        &["--axes", "a,c"],
        &[
            "data.csv: --axes \"a,c\": no feature column named \"c\"; the feature columns are \"a\", \"b\" (indices 0 to 1)",
        ],
    );
    train_refuses(
        GOOD_CSV,
        &["--axes", "0,2"],
        &["data.csv: --axes \"0,2\": index 2 is out of range"],
    );
    // The two features of `plot explorer` are the model's.
    refused(
        &[("m.json", good_model()), ("data.csv", GOOD_CSV.as_bytes())],
        &[
            "plot", "explorer", "m.json", "data.csv", "--axes", "a,z", "-o", "p.svg",
        ],
        1,
        &["--axes: the model has no feature `z`"],
    );
}

#[test]
fn unknown_label_column() {
    let expected = "data.csv: no column named \"kind\" for --label-column; the columns are: \"a\", \"b\", \"label\"";
    let files: &[(&str, &[u8])] = &[
        ("data.csv", LABELLED_CSV.as_bytes()),
        ("m.json", good_model()),
    ];
    refused(
        files,
        &[
            "train",
            "data.csv",
            "--label-column",
            "kind",
            "-o",
            "m.json",
        ],
        1,
        &[expected],
    );
    refused(
        files,
        &["test", "m.json", "data.csv", "--label-column", "kind"],
        1,
        &[expected],
    );
}

#[test]
fn one_row() {
    // Documented recovery: the variance is --reg-covar alone, the model is valid.
    let folder = Folder::new(&[("data.csv", b"a,b\n1.5,-2\n")]);
    succeeds(&folder, &["train", "data.csv", "-o", "m.json"]);
    let model = Model::from_slice(&std::fs::read(folder.path("m.json")).unwrap()).unwrap();
    assert!(model.score.scale.is_finite() && model.score.scale > 0.0);
    // Without regularisation there is nothing to fit.
    train_refuses(
        "a,b\n1.5,-2\n",
        &["--reg-covar", "0"],
        &[
            "data.csv: one row: every column is constant",
            "increase --reg-covar",
        ],
    );
}

#[test]
fn identical_rows() {
    let csv = "a,b\n3,-1\n3,-1\n3,-1\n3,-1\n";
    let folder = Folder::new(&[("data.csv", csv.as_bytes())]);
    for cov in ["full", "tied", "diag", "spherical"] {
        succeeds(
            &folder,
            &["train", "data.csv", "--covariance", cov, "-o", "m.json"],
        );
        let bytes = std::fs::read(folder.path("m.json")).unwrap();
        Model::from_slice(&bytes).unwrap_or_else(|e| panic!("{cov}: {e}"));
    }
    train_refuses(
        csv,
        &["--reg-covar", "0"],
        &[
            "data.csv: columns `a`, `b` are constant",
            "increase --reg-covar or remove the constant columns `a`, `b`",
        ],
    );
}

#[test]
fn more_components_than_rows() {
    train_refuses(
        "a,b\n1,2\n3,4\n5,7\n",
        &["-k", "5"],
        &["data.csv: 3 sample(s) cannot fit 5 components: use at most 3 components or more data"],
    );
    // `auto` stops at the first K above the number of rows, however large the range.
    let folder = Folder::new(&[("data.csv", GOOD_CSV.as_bytes())]);
    let (stdout, _) = succeeds(
        &folder,
        &[
            "train",
            "data.csv",
            "-k",
            "auto:1..1000",
            "-o",
            "m.json",
            "--report",
            "r.json",
        ],
    );
    assert!(
        stdout.contains("    9  failed: 8 sample(s) cannot fit 9 components"),
        "{stdout}"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.path("r.json")).unwrap()).unwrap();
    assert_eq!(
        report["selection"]["candidates"].as_array().unwrap().len(),
        9
    );
}

#[test]
fn values_near_the_limits_of_f64() {
    train_refuses(
        "a,b\n1,2\n1e300,4\n5,6\n",
        &[],
        &[
            "data.csv:3: 1e300 in feature `a` is too large to fit a Gaussian to (its square overflows f64): rescale the feature",
        ],
    );
    train_refuses(
        "a,b\n1,2\n3,-1.7976931348623157e308\n",
        &[],
        &["data.csv:3:", "in feature `b` is too large"],
    );
    // Scored, such a row is an anomaly with score +inf, never NaN.
    let folder = Folder::new(&[
        ("m.json", good_model()),
        ("data.csv", b"a,b\n1e300,1\n-1e308,1e308\n"),
    ]);
    let (stdout, _) = succeeds(&folder, &["score", "m.json", "data.csv"]);
    assert_eq!(
        stdout.lines().skip(1).collect::<Vec<_>>(),
        ["-inf,inf,1", "-inf,inf,1"]
    );
}

// .npy files, written byte by byte as NumPy does.

/// A `.npy` file (version 1.0) with this header dict and data.
fn npy(dict: &str, data: &[u8]) -> Vec<u8> {
    let unpadded = 10 + dict.len() + 1;
    let header = format!("{dict}{}\n", " ".repeat((64 - unpadded % 64) % 64));
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((header.len() as u16).to_le_bytes());
    out.extend(header.as_bytes());
    out.extend(data);
    out
}

fn npy_dict(descr: &str, fortran: bool, shape: &str) -> String {
    let fortran = if fortran { "True" } else { "False" };
    format!("{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape}, }}")
}

fn npy_refused(bytes: &[u8], expected: &str) {
    refused(
        &[("x.npy", bytes), ("model.json", b"precious")],
        &["train", "x.npy", "-o", "model.json"],
        1,
        &["x.npy: not a usable .npy file: ", expected],
    );
}

#[test]
fn npy_1d() {
    npy_refused(
        &npy(&npy_dict("<f8", false, "(2,)"), &[0; 16]),
        "the array is 1-D, shape (2,); gmmc needs a 2-D array, one row per sample: save arr.reshape(-1, 1) for a single feature",
    );
}

#[test]
fn npy_3d() {
    npy_refused(
        &npy(&npy_dict("<f8", false, "(2, 2, 2)"), &[0; 64]),
        "the array is 3-D, shape (2, 2, 2); gmmc needs a 2-D array (rows × features)",
    );
}

#[test]
fn npy_integer() {
    npy_refused(
        &npy(&npy_dict("<i4", false, "(2, 2)"), &[0; 16]),
        "the array's dtype is '<i4'",
    );
}

#[test]
fn npy_fortran_order() {
    npy_refused(
        &npy(&npy_dict("<f8", true, "(2, 2)"), &[0; 32]),
        "the array is stored in Fortran (column-major) order; gmmc reads C order: save numpy.ascontiguousarray(arr) instead",
    );
}

#[test]
fn npy_truncated() {
    npy_refused(
        &npy(&npy_dict("<f8", false, "(2, 2)"), &[0; 29]),
        "truncated data: shape (2, 2) of <f8 needs 32 bytes, but the file holds only 29 after the header",
    );
    let whole = npy(&npy_dict("<f8", false, "(2, 2)"), &[0; 32]);
    npy_refused(&whole[..20], "truncated header");
    npy_refused(&whole[..7], "");
}

#[test]
fn npy_corrupt_header() {
    npy_refused(
        &npy("{'descr': '<f8', 'fortran_order': False}", &[0; 32]),
        "corrupt header: no 'shape' entry",
    );
    npy_refused(
        &npy(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2)",
            &[0; 32],
        ),
        "corrupt header",
    );
    npy_refused(
        &npy(&npy_dict("<f8", false, "(4294967296, 4294967296)"), &[]),
        "the array's shape (4294967296, 4294967296) is absurd",
    );
}

// ---------------------------------------------------------------------------------------------
// Degenerate fits

#[test]
fn a_component_that_loses_its_samples() {
    // Four identical rows, two components: one component keeps them all. scikit-learn's
    // recovery (weight 10ε/N, covariance reg_covar·I) keeps the model valid; gmmc warns.
    let folder = Folder::new(&[("data.csv", b"a,b\n3,-1\n3,-1\n3,-1\n3,-1\n")]);
    let (_, stderr) = succeeds(&folder, &["train", "data.csv", "-k", "2", "-o", "m.json"]);
    assert!(
        stderr.contains("warning: component 1 has weight")
            && stderr.contains("lost (almost) all its samples"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(folder.path("m.json")).unwrap();
    Model::from_slice(text.as_bytes()).unwrap();
    assert!(!text.contains("NaN") && !text.contains("null"), "{text}");
}

#[test]
fn collinear_features() {
    // b = 2a + 1 exactly: regularised, it fits; without, the error names the cause.
    let mut csv = String::from("a,b\n");
    for i in 0..40 {
        let a = f64::from(i) * 0.25 - 3.0;
        csv.push_str(&format!("{a},{}\n", 2.0 * a + 1.0));
    }
    let folder = Folder::new(&[("data.csv", csv.as_bytes())]);
    succeeds(&folder, &["train", "data.csv", "-o", "m.json"]);
    train_refuses(
        &csv,
        &["--reg-covar", "0"],
        &[
            "data.csv: component 0's covariance is not positive definite",
            "increase --reg-covar",
            "remove features that are linear combinations of others",
        ],
    );
}

#[test]
fn constant_feature_without_regularisation() {
    let csv = "temp,vib\n21.5,0.1\n21.5,0.4\n21.5,-0.3\n21.5,0.2\n21.5,0.0\n";
    let line = train_refuses(csv, &["--reg-covar", "0"], &[]);
    assert_eq!(
        line,
        "error: data.csv: column `temp` is constant (every row holds 21.5), so its variance is 0 \
         and --reg-covar 0 leaves no Gaussian to fit: increase --reg-covar or remove the \
         constant column `temp`"
    );
    for cov in ["tied", "diag"] {
        train_refuses(
            csv,
            &["--reg-covar", "0", "--covariance", cov],
            &["remove the constant column `temp`"],
        );
    }
    // A spherical covariance averages over the features: the other column carries it.
    let folder = Folder::new(&[("data.csv", csv.as_bytes())]);
    succeeds(
        &folder,
        &[
            "train",
            "data.csv",
            "--reg-covar",
            "0",
            "--covariance",
            "spherical",
            "-o",
            "m.json",
        ],
    );
    // With the default regularisation the column is fitted (its variance is reg_covar).
    succeeds(&folder, &["train", "data.csv", "-o", "m.json"]);
    Model::from_slice(&std::fs::read(folder.path("m.json")).unwrap()).unwrap();
}

#[test]
fn more_features_or_components_than_a_model_holds() {
    let names: Vec<String> = (0..1100).map(|j| format!("c{j}")).collect();
    let row: Vec<String> = (0..1100).map(|j| format!("{}", j % 7)).collect();
    let csv = format!(
        "{}\n{}\n{}\n",
        names.join(","),
        row.join(","),
        row.join(",")
    );
    train_refuses(
        &csv,
        &[],
        &[
            "data.csv: 1100 feature columns, but a model holds at most 1024: choose some with --axes",
        ],
    );
    train_refuses(
        GOOD_CSV,
        &["-k", "auto:1..1000000000"],
        &["--components: 1000000000 components asked for, but a model holds at most 1024"],
    );
}

// ---------------------------------------------------------------------------------------------
// Bad models: tests/hostile_models.rs has every defect; here, each command that reads a model.

#[test]
fn every_command_refuses_a_bad_model() {
    let bad = br#"{"format": "gmmc-model", "version": 1, "covariance_type": "full"}"#;
    let files: &[(&str, &[u8])] = &[
        ("bad.json", bad),
        ("data.csv", LABELLED_CSV.as_bytes()),
        ("out", b"precious"),
    ];
    let runs: &[&[&str]] = &[
        &["inspect", "bad.json"],
        &["score", "bad.json", "data.csv", "-o", "out"],
        &["test", "bad.json", "data.csv", "--label-column", "label"],
        &["threshold", "bad.json", "--set", "2", "-o", "out"],
        &["emit", "c", "bad.json", "-o", "out"],
        &["emit", "rust", "bad.json", "-o", "out"],
        &["plot", "scores", "bad.json", "data.csv", "-o", "out"],
        &["train", "data.csv", "--init-model", "bad.json", "-o", "out"],
    ];
    for args in runs {
        refused(
            files,
            args,
            1,
            &["bad.json: not a valid gmmc model file: missing field"],
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Pictures

/// A selection report (as `train --components auto --report` writes) with these candidates.
fn report(candidates: &[(u64, f64, f64)]) -> Vec<u8> {
    let candidates: Vec<serde_json::Value> = candidates
        .iter()
        .map(|&(k, bic, aic)| {
            serde_json::json!({"n_components": k, "n_parameters": 5, "bic": bic, "aic": aic,
                               "mean_log_likelihood": 0.0, "n_iter": 1, "converged": true})
        })
        .collect();
    serde_json::json!({"selection": {"criterion": "bic", "best": 1, "candidates": candidates}})
        .to_string()
        .into_bytes()
}

#[test]
fn values_too_far_apart_to_draw() {
    // A range of criteria or of data whose width overflows f64 (plotters used to loop
    // forever placing its ticks).
    refused(
        &[("r.json", &report(&[(1, 1e308, -1e308), (2, 0.0, 0.0)]))],
        &["plot", "selection", "r.json", "-o", "s.svg"],
        1,
        &["cannot draw s.svg: the y values span -1.010e308 to 1.010e308, too wide a range to draw"],
    );
    refused(
        &[
            ("m.json", good_model()),
            (
                "data.csv",
                b"a,b
-1.7e308,1
1.7e308,2
0.1,1
",
            ),
        ],
        &[
            "plot", "explorer", "m.json", "data.csv", "--axes", "a,b", "-o", "e.svg",
        ],
        1,
        &[
            "cannot draw e.svg: the x values span",
            "too wide a range to draw",
        ],
    );
    // Any K a report claims is drawn quickly.
    let folder = Folder::new(&[(
        "r.json",
        &report(&[(1, 3.0, 2.0), (1_000_000_000_000, 1.0, 2.5)]),
    )]);
    succeeds(&folder, &["plot", "selection", "r.json", "-o", "s.svg"]);
    assert!(folder.path("s.svg").exists());
}

// ---------------------------------------------------------------------------------------------
// No lost data

#[test]
fn failing_commands_leave_every_output_alone() {
    let model = good_model();
    let nan = b"a,b,label\n0.1,1.0,ok\nNaN,1,ok\n";
    let export = br#"{"covariance_type": "diag", "weights": [1.0]}"#;
    // Each command fails on its input; the output exists (and must keep its bytes) or not
    // (and must not appear).
    let runs: &[&[&str]] = &[
        &["train", "nan.csv", "--label-column", "label", "-o", "out"],
        &[
            "train",
            "nan.csv",
            "--label-column",
            "label",
            "-o",
            "m2.json",
            "--report",
            "out",
        ],
        &["score", "bad.json", "data.csv", "-o", "out"],
        &["emit", "c", "bad.json", "-o", "out"],
        &["emit", "rust", "bad.json", "-o", "out"],
        &[
            "threshold",
            "m.json",
            "--quantile",
            "0.5",
            "--data",
            "nan.csv",
            "-o",
            "out",
        ],
        &["import", "sklearn", "export.json", "-o", "out"],
        &["plot", "scores", "m.json", "missing.csv", "-o", "out"],
        &[
            "plot", "explorer", "m.json", "data.csv", "--axes", "a,a", "-o", "out",
        ],
        &["plot", "selection", "m.json", "-o", "out"],
    ];
    for args in runs {
        for existing in [true, false] {
            let mut files: Vec<(&str, &[u8])> = vec![
                ("m.json", model),
                ("bad.json", b"{}"),
                ("nan.csv", nan),
                ("data.csv", LABELLED_CSV.as_bytes()),
                ("export.json", export),
            ];
            if existing {
                files.push(("out", b"precious"));
            }
            refused(&files, args, 1, &[]);
        }
    }
}

#[test]
fn an_output_that_cannot_be_written_changes_no_other() {
    let files: &[(&str, &[u8])] = &[
        ("data.csv", GOOD_CSV.as_bytes()),
        ("model.json", b"precious"),
        ("sub/keep", b""),
    ];
    // The model could be written, the report cannot: neither is.
    refused(
        files,
        &[
            "train",
            "data.csv",
            "-o",
            "model.json",
            "--report",
            "missing/report.json",
        ],
        1,
        &["cannot write missing/report.json: No such file or directory"],
    );
    refused(
        files,
        &[
            "train",
            "data.csv",
            "-o",
            "model.json",
            "-k",
            "auto:1..2",
            "--plot",
            "sub",
        ],
        1,
        &["cannot write sub: it is a folder, not a file"],
    );
    refused(
        files,
        &[
            "train",
            "data.csv",
            "-o",
            "model.json",
            "--report",
            "./model.json",
        ],
        1,
        &["cannot write ./model.json: model.json is already one of the outputs"],
    );
    refused(
        &[("m.json", good_model()), ("sub/keep", b"")],
        &["emit", "c", "m.json", "-o", "sub"],
        1,
        &["cannot write sub: it is a folder, not a file"],
    );
}

// ---------------------------------------------------------------------------------------------
// Emitted code

/// Feature names and file names that try to break out of a comment or a string, in C and Rust.
const HOSTILE_NAMES: [&str; 8] = [
    "a */ int injected_c = 1; /*",
    "b\"); int injected_q = 1; (\"",
    "c \\",
    "d\n#include \"/etc/passwd\"\n",
    "e ??/",
    "f é \u{202e} 中",
    "g */ pub static INJECTED: u8 = 0; /*",
    "h \" ] fn injected() {} #[doc = \"",
];

/// A valid model whose feature names (and training notes) are [`HOSTILE_NAMES`].
fn hostile_model() -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(good_model()).unwrap();
    let d = HOSTILE_NAMES.len();
    // Eight features: unit precisions, zero means, one component.
    v["n_features"] = d.into();
    v["n_inputs"] = d.into();
    v["feature_names"] = serde_json::json!(HOSTILE_NAMES);
    v["axes"] = serde_json::json!((0..d).collect::<Vec<_>>());
    v["means"] = serde_json::json!([vec![0.0; d]]);
    let packed: Vec<f64> = (0..d)
        .flat_map(|j| (0..=j).map(move |i| if i == j { 1.0 } else { 0.0 }))
        .collect();
    v["precisions_cholesky"] = serde_json::json!([packed]);
    v["training"]["data"] = "*/ #include <stdio.h> /* \" \\".into();
    v["training"]["source"] = "x\r\n#error escaped".into();
    v["score"]["calibration"] = "*/ #error escaped /*".into();
    let text = v.to_string();
    Model::from_slice(text.as_bytes()).expect("the hostile model is valid");
    text.into_bytes()
}

/// `text` with its comments (`/* … */` and `// …`) removed.
fn without_comments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    loop {
        let block = rest.find("/*");
        let line = rest.find("//");
        match (block, line) {
            (Some(b), l) if l.is_none_or(|l| b < l) => {
                out.push_str(&rest[..b]);
                let end = rest[b + 2..].find("*/").expect("closed comment");
                rest = &rest[b + 2 + end + 2..];
            }
            (_, Some(l)) => {
                out.push_str(&rest[..l]);
                rest = rest[l..].find('\n').map_or("", |n| &rest[l + n..]);
            }
            _ => {
                out.push_str(rest);
                return out;
            }
        }
    }
}

#[test]
fn emitted_c_cannot_be_injected() {
    let folder = Folder::new(&[("hostile.json", &hostile_model())]);
    succeeds(
        &folder,
        &[
            "emit",
            "c",
            "hostile.json",
            "-o",
            "model.h",
            "--prefix",
            "det",
        ],
    );
    let header = std::fs::read_to_string(folder.path("model.h")).unwrap();
    // Outside its comments, the header holds none of the strings' code.
    let code = without_comments(&header);
    for fragment in ["injected", "passwd", "#error", "??/", "stdio", "\\"] {
        assert!(!code.contains(fragment), "{fragment:?} escaped:\n{code}");
    }
    let includes: Vec<&str> = code.lines().filter(|l| l.contains("#include")).collect();
    assert_eq!(includes, ["#include <math.h>", "#include <stdint.h>"]);
    assert!(header.is_ascii());
    // And the compilers agree, warnings as errors, trigraphs on: nothing got in.
    std::fs::write(
        folder.path("main.c"),
        "#include \"model.h\"\nint main(void) {\n  float x[DET_N_FEATURES] = {0};\n  \
         return det_is_anomaly(x);\n}\n",
    )
    .unwrap();
    // The flags the header tests use (warnings as errors), and trigraphs on in C.
    let c_flags: Vec<&str> = C_FLAGS.iter().copied().chain(["-trigraphs"]).collect();
    for (compiler, flags) in [("gcc", &c_flags[..]), ("g++", CXX_FLAGS)] {
        assert!(
            c_support::available(compiler),
            "`{compiler}` is needed to compile the emitted header (install gcc and g++)"
        );
        let out = Command::new(compiler)
            .args(flags)
            .arg("main.c")
            .args(["-lm", "-o", "main"])
            .current_dir(folder.0.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{compiler}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let run = Command::new(folder.path("main")).output().unwrap();
        assert!(
            matches!(run.status.code(), Some(0 | 1)),
            "{compiler}: {run:?}"
        );
    }
    // A prefix is an identifier, or refused.
    for prefix in ["x */ #include", "a\"b", "é", "a\nb", "a__b"] {
        refused(
            &[("hostile.json", &hostile_model())],
            &["emit", "c", "hostile.json", "--prefix", prefix, "-o", "x.h"],
            1,
            &["invalid prefix"],
        );
    }
}

#[test]
fn emitted_rust_cannot_be_injected() {
    let folder = Folder::new(&[("hostile.json", &hostile_model())]);
    succeeds(&folder, &["emit", "rust", "hostile.json", "-o", "model.rs"]);
    let source = std::fs::read_to_string(folder.path("model.rs")).unwrap();
    // One item: the detector; no other item got in.
    let file = syn::parse_file(&source).expect("the emitted Rust parses");
    assert_eq!(file.items.len(), 1, "{source}");
    let syn::Item::Static(item) = &file.items[0] else {
        panic!("not a static: {source}");
    };
    assert_eq!(item.ident, "DETECTOR");
    // The strings are text of its doc comment, escaped so that each stays on its line.
    let docs: Vec<String> = item
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => s.value(),
                _ => panic!("a doc attribute that is not a string: {source}"),
            },
            _ => panic!("a doc attribute that is not `doc = \"…\"`: {source}"),
        })
        .collect();
    let all = docs.join("\n");
    for name in HOSTILE_NAMES {
        assert!(
            all.contains(&name.escape_debug().to_string()),
            "{name:?} missing from the docs:\n{all}"
        );
    }
    assert!(
        docs.iter().all(|d| !d.contains(['\n', '\r', '\u{202e}'])),
        "{all}"
    );
    // The attributes that are not docs are the lint allowances gmmc writes, nothing else.
    for a in &item.attrs {
        assert!(
            a.path().is_ident("doc") || a.path().is_ident("allow"),
            "{source}"
        );
    }
    // A name is an identifier, or refused.
    for name in ["A: u8 = 0; static B", "fn", "a b", "x\"", "Ünïcode-é"] {
        refused(
            &[("hostile.json", &hostile_model())],
            &["emit", "rust", "hostile.json", "--name", name, "-o", "x.rs"],
            1,
            &["is not a valid Rust identifier"],
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The README's table

/// The README section "What gmmc does with bad input" names, for every row, the tests that
/// back it as `path::function`; each must exist (so a renamed or deleted test shows here).
#[test]
fn the_readme_table_names_existing_tests() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let start = readme
        .find("\n## What gmmc does with bad input\n")
        .expect("the README has the section");
    let section = &readme[start + 1..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |e| e + 3)];
    let mut rows = 0;
    for line in section.lines().filter(|l| l.starts_with("| ")) {
        let cells: Vec<&str> = line
            .trim()
            .trim_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        let last = cells[cells.len() - 1];
        // The header, the separator, and the rows that head a group.
        if last == "test"
            || last.starts_with("---")
            || (last.is_empty() && cells[0].starts_with("**"))
        {
            continue;
        }
        rows += 1;
        let tests: Vec<&str> = last
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|t| t.contains("::"))
            .collect();
        assert!(!tests.is_empty(), "no test named in: {line}");
        for test in tests {
            let (file, function) = test.rsplit_once("::").unwrap();
            let text = std::fs::read_to_string(root.join(file))
                .unwrap_or_else(|e| panic!("{file} (named in the README): {e}"));
            assert!(
                text.contains(&format!("fn {function}(")),
                "{file} has no test `{function}` (named in the README)"
            );
        }
    }
    assert!(rows >= 30, "only {rows} rows");
}
