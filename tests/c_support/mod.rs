//! Emitted C headers built into small programs and run: the scikit-learn reference cases as
//! models, their evaluation rows (plus hostile rows) as compiled-in data, and a driver that
//! prints every result's bits. Shared by the host test and the Cortex-M4F test.
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gmmc::em::Samples;
use gmmc::emit::{self, COptions, Precision};
use gmmc::import::{self, Calibration};
use gmmc_model::device::DeviceModel;
use gmmc_model::{CovarianceType, Model, ScoreKind, packed, scoring};
use serde_json::json;

use crate::common::{self, f64s};

/// Warning flags the issue demands of the header in C.
pub const C_FLAGS: &[&str] = &[
    "-std=c99",
    "-O2",
    "-Wall",
    "-Wextra",
    "-Wpedantic",
    "-Wconversion",
    "-Wdouble-promotion",
    "-Wshadow",
    "-Werror",
];

/// Warning flags for the header compiled as C++ (Arduino sketches are C++).
pub const CXX_FLAGS: &[&str] = &[
    "-std=c++11",
    "-O2",
    "-Wall",
    "-Wextra",
    "-Wpedantic",
    "-Werror",
    "-x",
    "c++",
];

/// How a test model reads its features out of the input vector.
#[derive(Clone, Copy, Debug)]
pub enum Layout {
    /// `axes = 0..D`, `n_inputs = D`.
    Identity,
    /// `axes = 2..D+2`, `n_inputs = D + 3` (a contiguous run inside a longer vector).
    Offset,
    /// A permutation spread over `n_inputs = D + 3` (needs the emitted table of axes).
    Scattered,
}

/// One reference case prepared for the C tests.
pub struct Setup {
    /// Fixture name.
    pub name: String,
    /// The model: scikit-learn's fitted parameters, imported and calibrated on train.csv.
    pub model: Model,
    /// Rows to score, D values each (as f64; the program gets them rounded to its precision):
    /// eval.csv, then [`hostile_rows`].
    pub rows: Vec<f64>,
    /// D.
    pub d: usize,
    /// scikit-learn's `score_samples` for the eval.csv rows (the hostile rows have none).
    pub expected: Vec<f64>,
}

impl Setup {
    /// Number of rows (eval.csv plus hostile).
    pub fn n_rows(&self) -> usize {
        self.rows.len() / self.d
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.rows[i * self.d..(i + 1) * self.d]
    }

    /// Whether row `i` is one of the appended hostile rows.
    pub fn is_hostile(&self, i: usize) -> bool {
        i >= self.expected.len()
    }
}

/// Rows that must score +inf and be anomalies: NaN, ±inf and values so large that the
/// quadratic form overflows f32. Built around `base` (a normal row) so that only the broken
/// values are out of place.
pub fn hostile_rows(base: &[f64]) -> Vec<Vec<f64>> {
    let d = base.len();
    let with = |j: usize, v: f64| {
        let mut r = base.to_vec();
        r[j] = v;
        r
    };
    vec![
        vec![f64::NAN; d],
        with(d - 1, f64::NAN),
        with(0, f64::INFINITY),
        with(d / 2, f64::NEG_INFINITY),
        vec![1e30; d],
        with(d - 1, -1e30),
        with(0, 3e38),
        vec![f32::MAX as f64; d],
        vec![-(f32::MAX as f64); d],
    ]
}

/// Prepares a reference case: imports scikit-learn's fitted parameters with the given score
/// kind (calibrated on the case's training rows) and axes layout.
pub fn setup(name: &str, kind: ScoreKind, layout: Layout) -> Setup {
    let c = common::case(name);
    let fitted = &c.json["fitted"];
    let export = json!({
        "covariance_type": c.json["covariance_type"],
        "weights": fitted["weights"],
        "means": fitted["means"],
        "precisions_cholesky": fitted["precisions_cholesky"],
    });
    let train = Samples::new(&c.train, c.d).unwrap();
    let mut model =
        import::import(&export.to_string(), kind, 0.99, Calibration::Data(train)).unwrap();
    let d = c.d;
    match layout {
        Layout::Identity => {}
        Layout::Offset => {
            model.axes = (2..d + 2).collect();
            model.n_inputs = d + 3;
        }
        Layout::Scattered => {
            // Feature j sits at input (3j + 1) mod (D + 3): every index distinct since D + 3
            // is not a multiple of 3 for the sizes used here.
            let n = d + 3;
            assert_ne!(n % 3, 0);
            model.axes = (0..d).map(|j| (3 * j + 1) % n).collect();
            model.n_inputs = n;
        }
    }
    model.validate().unwrap();
    let mut rows = c.eval.clone();
    let expected = f64s(&c.json["eval_score_samples"]);
    assert_eq!(expected.len() * d, rows.len(), "{name}: eval rows");
    for r in hostile_rows(&c.eval[..d]) {
        rows.extend(r);
    }
    Setup {
        name: name.to_string(),
        model,
        rows,
        d,
        expected,
    }
}

/// The log-likelihood the device computes were its arithmetic exact: the f32 model data
/// (constants, means, factors exactly as the header stores them) applied in f64 to the
/// f32-rounded input. The C result may differ from this only by float rounding in the
/// arithmetic; the difference from scikit-learn additionally holds the rounding of the model
/// and of the input to f32.
pub fn device_exact_log_likelihood(dev: &DeviceModel<f32>, x: &[f64]) -> f64 {
    let d = dev.n_features;
    let xr: Vec<f64> = x.iter().map(|&v| v as f32 as f64).collect();
    if xr.iter().any(|v| !v.is_finite()) {
        return f64::NEG_INFINITY;
    }
    let wide = |v: &[f32]| v.iter().map(|&a| a as f64).collect::<Vec<f64>>();
    let means = wide(&dev.means);
    let factors = wide(&dev.factors);
    let lp: Vec<f64> = (0..dev.n_components)
        .map(|k| {
            let mean = &means[k * d..(k + 1) * d];
            let q = match dev.covariance_type {
                CovarianceType::Full => {
                    let p = packed::len(d);
                    scoring::mahalanobis_packed(&xr, mean, &factors[k * p..(k + 1) * p])
                }
                CovarianceType::Tied => scoring::mahalanobis_packed(&xr, mean, &factors),
                CovarianceType::Diag => (0..d)
                    .map(|i| ((xr[i] - mean[i]) * factors[k * d + i]).powi(2))
                    .sum(),
                CovarianceType::Spherical => {
                    let ss: f64 = (0..d).map(|i| (xr[i] - mean[i]).powi(2)).sum();
                    ss * factors[k] * factors[k]
                }
            };
            dev.constants[k] as f64 - 0.5 * q
        })
        .collect();
    scoring::log_sum_exp(&lp)
}

/// What the driver printed for one row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Output {
    pub log_likelihood: f64,
    pub score: f64,
    pub is_anomaly: bool,
    /// `*_score_inputs` on the row spread over the whole input vector (from a second
    /// translation unit).
    pub score_inputs: f64,
    pub is_anomaly_inputs: bool,
}

/// A C literal of `v` in the given precision, including NaN and infinities (through
/// `<math.h>` macros).
fn c_value(v: f64, precision: Precision) -> String {
    match precision {
        Precision::F32 => {
            let f = v as f32;
            if f.is_nan() {
                "NAN".into()
            } else if f.is_infinite() {
                if f > 0.0 { "HUGE_VALF" } else { "-HUGE_VALF" }.into()
            } else {
                format!("{f:?}f")
            }
        }
        Precision::F64 => {
            if v.is_nan() {
                "(double)NAN".into()
            } else if v.is_infinite() {
                if v > 0.0 { "HUGE_VAL" } else { "-HUGE_VAL" }.into()
            } else {
                format!("{v:?}")
            }
        }
    }
}

/// Writes `model.h`, `rows.h`, `rows.c` (the rows, as features and as input vectors whose
/// other entries are NaN, so reading a wrong index shows), `tu2.c` (a second translation unit
/// including the header) and `main.c` (the driver) into `dir`. Returns the C file names.
pub fn write_program(dir: &Path, setup: &Setup, options: &COptions) -> Vec<PathBuf> {
    let header = emit::c(&setup.model, options).unwrap();
    std::fs::write(dir.join("model.h"), &header).unwrap();
    let p = &options.prefix;
    let m = p.to_ascii_uppercase();
    let (real, bits) = match options.precision {
        Precision::F32 => ("float", "uint32_t"),
        Precision::F64 => ("double", "uint64_t"),
    };
    let d = setup.d;
    let n = setup.n_rows();
    let n_inputs = setup.model.n_inputs;

    let rows_h = format!(
        "#ifndef ROWS_H\n#define ROWS_H\n\
         #define ROWS_N {n}\n\
         extern const {real} rows_features[ROWS_N][{d}];\n\
         extern const {real} rows_inputs[ROWS_N][{n_inputs}];\n\
         {real} tu2_score_inputs(const {real} *v);\n\
         int tu2_is_anomaly_inputs(const {real} *v);\n\
         #endif\n"
    );
    std::fs::write(dir.join("rows.h"), rows_h).unwrap();

    let mut rows_c = String::from("#include <math.h>\n#include \"rows.h\"\n\n");
    rows_c.push_str(&format!("const {real} rows_features[ROWS_N][{d}] = {{\n"));
    for i in 0..n {
        let items: Vec<String> = setup
            .row(i)
            .iter()
            .map(|&v| c_value(v, options.precision))
            .collect();
        rows_c.push_str(&format!("    {{{}}},\n", items.join(", ")));
    }
    rows_c.push_str("};\n\n");
    rows_c.push_str(&format!(
        "const {real} rows_inputs[ROWS_N][{n_inputs}] = {{\n"
    ));
    for i in 0..n {
        let mut inputs = vec![f64::NAN; n_inputs];
        for (j, &a) in setup.model.axes.iter().enumerate() {
            inputs[a] = setup.row(i)[j];
        }
        let items: Vec<String> = inputs
            .iter()
            .map(|&v| c_value(v, options.precision))
            .collect();
        rows_c.push_str(&format!("    {{{}}},\n", items.join(", ")));
    }
    rows_c.push_str("};\n");
    std::fs::write(dir.join("rows.c"), rows_c).unwrap();

    let tu2 = format!(
        "/* A second translation unit including the same header: both must link together. */\n\
         #include \"model.h\"\n#include \"rows.h\"\n\n\
         {real} tu2_score_inputs(const {real} *v)\n{{\n    return {p}_score_inputs(v);\n}}\n\n\
         int tu2_is_anomaly_inputs(const {real} *v)\n{{\n    return {p}_is_anomaly_inputs(v);\n}}\n"
    );
    std::fs::write(dir.join("tu2.c"), tu2).unwrap();

    let put = match options.precision {
        Precision::F32 => "    printf(\" %08lx\", (unsigned long)b.u);\n".to_string(),
        Precision::F64 => "    printf(\" %08lx%08lx\", (unsigned long)(b.u >> 32), \
                           (unsigned long)(b.u & 0xffffffffu));\n"
            .to_string(),
    };
    let main = format!(
        "/* Prints, for every row, the bits of the log-likelihood, the score, is_anomaly, the\n   \
         score and is_anomaly of the whole input vector (exact, no floating-point printf). */\n\
         #include <stdio.h>\n#include <stdint.h>\n#include \"model.h\"\n#include \"rows.h\"\n\n\
         static void put({real} v)\n{{\n    union {{\n        {real} f;\n        {bits} u;\n    }} b;\n    \
         b.f = v;\n{put}}}\n\n\
         int main(void)\n{{\n    int r;\n    \
         if ({m}_N_FEATURES != {d} || {m}_N_INPUTS != {n_inputs}) {{\n        return 2;\n    }}\n    \
         for (r = 0; r < ROWS_N; ++r) {{\n        \
         const {real} *x = rows_features[r];\n        \
         const {real} *v = rows_inputs[r];\n        \
         printf(\"%d\", r);\n        \
         put({p}_log_likelihood(x));\n        \
         put({p}_score(x));\n        \
         printf(\" %d\", {p}_is_anomaly(x));\n        \
         put(tu2_score_inputs(v));\n        \
         printf(\" %d\\n\", tu2_is_anomaly_inputs(v));\n    }}\n    \
         printf(\"done\\n\");\n    return 0;\n}}\n"
    );
    std::fs::write(dir.join("main.c"), main).unwrap();
    ["main.c", "tu2.c", "rows.c"]
        .iter()
        .map(|f| dir.join(f))
        .collect()
}

/// Parses the driver's output (one line per row, then `done`).
pub fn parse_output(text: &str, n_rows: usize, precision: Precision) -> Vec<Output> {
    let value = |hex: &str| -> f64 {
        match precision {
            Precision::F32 => f32::from_bits(u32::from_str_radix(hex, 16).unwrap()) as f64,
            Precision::F64 => f64::from_bits(u64::from_str_radix(hex, 16).unwrap()),
        }
    };
    let flag = |s: &str| match s {
        "0" => false,
        "1" => true,
        other => panic!("is_anomaly printed {other:?}, expected 0 or 1"),
    };
    let mut lines = text.lines();
    let mut out = Vec::with_capacity(n_rows);
    for i in 0..n_rows {
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("output ends before row {i}:\n{text}"));
        let f: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(f.len(), 6, "row {i}: {line:?}");
        assert_eq!(f[0], i.to_string(), "row number");
        out.push(Output {
            log_likelihood: value(f[1]),
            score: value(f[2]),
            is_anomaly: flag(f[3]),
            score_inputs: value(f[4]),
            is_anomaly_inputs: flag(f[5]),
        });
    }
    assert_eq!(lines.next(), Some("done"), "the program did not finish");
    out
}

/// Runs a command to completion within `timeout`, returning stdout; panics with stderr on
/// failure or timeout.
pub fn run(cmd: &mut Command, timeout: Duration) -> String {
    let shown = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {shown}: {e}"));
    // Drain the pipes on threads so a chatty program cannot block on a full pipe.
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut s = String::new();
        so.read_to_string(&mut s).map(|_| s)
    });
    let err_t = std::thread::spawn(move || {
        let mut s = String::new();
        se.read_to_string(&mut s).map(|_| s)
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{shown} timed out after {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let stdout = out_t.join().unwrap().unwrap_or_default();
    let stderr = err_t.join().unwrap().unwrap_or_default();
    assert!(
        status.success(),
        "{shown} failed ({status}):\n{stderr}\n{}",
        stdout.chars().take(2000).collect::<String>()
    );
    stdout
}

/// Whether a program can be started (`--version` succeeds).
pub fn available(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `|a − b| / max(1, |b|)`, with equal infinities counting as equal.
pub fn rel_err(a: f64, b: f64) -> f64 {
    if a == b { 0.0 } else { common::rel_err(a, b) }
}

/// Checks a run's outputs row by row: hostile rows give −inf, +inf and anomalies; every other
/// row's log-likelihood is within `tol` (relative to max(1, |value|)) of `reference(i)`; the
/// score is the model's transform of the log-likelihood and `is_anomaly` agrees with it; the
/// input-vector functions agree with the feature ones. Returns the largest error seen.
pub fn check_outputs(
    setup: &Setup,
    outputs: &[Output],
    precision: Precision,
    tol: f64,
    what: &str,
    reference: impl Fn(usize) -> f64,
) -> f64 {
    let sc = &setup.model.score;
    // The header compares with the threshold in its own precision.
    let threshold = match precision {
        Precision::F32 => sc.threshold as f32 as f64,
        Precision::F64 => sc.threshold,
    };
    let eps = match precision {
        Precision::F32 => f32::EPSILON as f64,
        Precision::F64 => f64::EPSILON,
    };
    let mut worst = 0.0f64;
    for (i, o) in outputs.iter().enumerate() {
        let ctx = || format!("{} ({what}) row {i} {:?}: {o:?}", setup.name, setup.row(i));
        assert!(
            !o.log_likelihood.is_nan() && !o.score.is_nan() && !o.score_inputs.is_nan(),
            "NaN from {}",
            ctx()
        );
        // Same computation on the same values; only -ffast-math builds may round the two
        // call sites differently.
        assert!(
            rel_err(o.score_inputs, o.score) <= 1e-6,
            "score_inputs vs score: {}",
            ctx()
        );
        assert_eq!(o.is_anomaly_inputs, o.is_anomaly, "{}", ctx());
        assert_eq!(o.is_anomaly, o.score > threshold, "{}", ctx());
        if setup.is_hostile(i) {
            // NaN and infinities always give -inf; huge finite values overflow f32 (every
            // hostile row does) but not f64, where they are merely very unlikely.
            if precision == Precision::F32 || setup.row(i).iter().any(|v| !v.is_finite()) {
                assert_eq!(o.log_likelihood, f64::NEG_INFINITY, "{}", ctx());
                assert_eq!(o.score, f64::INFINITY, "{}", ctx());
            } else {
                assert!(o.log_likelihood < -1e20, "{}", ctx());
            }
            assert!(o.is_anomaly, "{}", ctx());
            continue;
        }
        let want = reference(i);
        let err = rel_err(o.log_likelihood, want);
        assert!(
            err <= tol,
            "{}: log-likelihood {} vs reference {want}: relative error {err:e} > {tol:e}",
            ctx(),
            o.log_likelihood
        );
        worst = worst.max(err);
        // The score is the model's affine map of the printed log-likelihood, up to the
        // rounding of that map (and of offset and scale) in the header's precision.
        let score_want = sc.score(o.log_likelihood);
        let allowed = 4.0
            * eps
            * ((o.log_likelihood.abs() + sc.offset.abs()) / sc.scale + score_want.abs() + 1.0);
        assert!(
            (o.score - score_want).abs() <= allowed,
            "{}: score {} vs transform of its log-likelihood {score_want}",
            ctx(),
            o.score
        );
    }
    worst
}
