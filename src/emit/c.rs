//! `gmmc emit c`: a model compiled into one self-contained C header.
//!
//! The header is C99 and valid C++ (Arduino sketches are C++). It holds the model as
//! `static const` arrays and the scorer as `static inline` functions, so any number of
//! translation units may include it and link together; it allocates nothing, keeps no mutable
//! state, and needs only `expf` and `logf` from `<math.h>` (`exp` and `log` in f64 mode) and
//! `<stdint.h>`. Every name carries the prefix (`gmm` by default): `GMM_N_FEATURES`,
//! `GMM_N_COMPONENTS`, `GMM_N_INPUTS`, `GMM_THRESHOLD`, `gmm_log_likelihood`, `gmm_score`,
//! `gmm_is_anomaly`, `gmm_score_inputs` and `gmm_is_anomaly_inputs`.
//!
//! The numbers come from [`DeviceModel`], printed with round-trip precision (Rust's shortest
//! representation of the f32 value plus an `f` suffix), so the compiled arrays hold exactly the
//! bits gmmc computed. The scorer subtracts the mean first, applies the packed upper-triangular
//! precision factor (see [`gmmc_model::packed`]), adds one folded constant per component, and
//! combines components with a max-shifted log-sum-exp. Input with NaN or ±inf, or so far away
//! that the arithmetic overflows, scores +inf and is an anomaly: never NaN. The checks read
//! the floats' bits, so they hold even under `-ffast-math`.
//!
//! Strings from the model (feature names, file names) appear only inside comments, with every
//! character that could end the comment, continue a line or form a trigraph replaced.
//!
//! ```
//! use gmmc::emit::{self, COptions};
//!
//! let model = gmmc::model::Model::from_json(r#"{
//!   "format": "gmmc-model", "version": 1,
//!   "covariance_type": "diag", "n_features": 2, "n_components": 1, "n_inputs": 2,
//!   "feature_names": ["x", "y"], "axes": [0, 1],
//!   "weights": [1.0], "means": [[0.0, 1.0]], "precisions_cholesky": [[2.0, 0.5]],
//!   "score": {"kind": "nll", "offset": 0.0, "scale": 1.0, "threshold": 5.0}
//! }"#)?;
//! let options = COptions { prefix: "motor".into(), ..COptions::default() };
//! let header = emit::c(&model, &options)?;
//! assert!(header.contains("#define MOTOR_N_FEATURES 2"));
//! assert!(header.contains("static inline float motor_score(const float x[MOTOR_N_FEATURES])"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use askama::Template;
use gmmc_model::device::DeviceModel;
use gmmc_model::{CovarianceType, Model, ScoreKind, packed};

use super::EmitError;

/// The prefix used when none is given.
pub const DEFAULT_PREFIX: &str = "gmm";

/// Longest prefix accepted: C99 guarantees 63 significant characters in an identifier, and
/// the longest emitted name (`<prefix>_is_anomaly_inputs`) adds 18 to the prefix.
pub const MAX_PREFIX_LEN: usize = 32;

/// Longest model string (feature name, file name) copied into a comment; longer ones are cut.
const MAX_COMMENT_STRING: usize = 80;

/// Literals per line in the data arrays.
const PER_LINE: usize = 6;

/// Largest D for which the triangular product of full and tied models is written out term
/// by term (straight-line code: no loop overhead, no branches, independent sums a CPU can
/// overlap); larger models use loops, whose code size does not grow with D².
pub const UNROLL_MAX_FEATURES: usize = 16;

/// The floating-point type of the emitted scorer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Precision {
    /// `float` data and arithmetic, `expf`/`logf`: what a Cortex-M4F computes in hardware.
    #[default]
    F32,
    /// `double` data and arithmetic, `exp`/`log`: for hosts and FPUs with double support.
    F64,
}

impl Precision {
    /// The name used on the command line: `f32` or `f64`.
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::F64 => "f64",
        }
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Precision {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "f32" => Ok(Precision::F32),
            "f64" => Ok(Precision::F64),
            _ => Err(format!("unknown precision `{s}` (expected f32 or f64)")),
        }
    }
}

/// What to emit besides the model itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct COptions {
    /// Prefix of every emitted name: lower case as given for functions and arrays, upper case
    /// for macros. A C identifier of ASCII letters, digits and single underscores that starts
    /// with a letter, at most [`MAX_PREFIX_LEN`] long, not a C or C++ keyword.
    pub prefix: String,
    /// Scalar type of the data and the arithmetic.
    pub precision: Precision,
    /// Name of the model file, shown in the header's comment (no directories, for
    /// reproducible output); `None` leaves it out.
    pub model_name: Option<String>,
}

impl Default for COptions {
    fn default() -> Self {
        COptions {
            prefix: DEFAULT_PREFIX.into(),
            precision: Precision::F32,
            model_name: None,
        }
    }
}

/// Renders `model` as a C header. Deterministic: the same model and options always give the
/// same bytes (there is no timestamp).
pub fn c(model: &Model, options: &COptions) -> Result<String, EmitError> {
    check_prefix(&options.prefix)?;
    model.validate()?;
    match options.precision {
        Precision::F32 => render(model, &DeviceModel::<f32>::f32(model), options),
        Precision::F64 => render(model, &DeviceModel::<f64>::f64(model), options),
    }
}

/// Reads and validates the model file at `model_path`, emits its header and writes it to
/// `out_path`, only if the bytes differ from what is there (so `make` and Cargo do not
/// rebuild for nothing). Returns whether the file was written.
///
/// ```
/// use gmmc::emit::{COptions, c::write_header};
///
/// let dir = tempfile::tempdir()?;
/// let model = dir.path().join("pump.json");
/// std::fs::write(&model, r#"{
///   "format": "gmmc-model", "version": 1,
///   "covariance_type": "spherical", "n_features": 2, "n_components": 1, "n_inputs": 2,
///   "feature_names": ["x", "y"], "axes": [0, 1],
///   "weights": [1.0], "means": [[0.0, 1.0]], "precisions_cholesky": [2.0],
///   "score": {"kind": "nll", "offset": 0.0, "scale": 1.0, "threshold": 5.0}
/// }"#)?;
/// let header = dir.path().join("pump.h");
/// let options = COptions { prefix: "pump".into(), ..COptions::default() };
/// assert!(write_header(&model, &header, &options)?); // written
/// assert!(!write_header(&model, &header, &options)?); // same bytes: left alone
/// assert!(std::fs::read_to_string(&header)?.contains("pump_is_anomaly"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_header(
    model_path: &Path,
    out_path: &Path,
    options: &COptions,
) -> Result<bool, EmitError> {
    let bytes = std::fs::read(model_path).map_err(|source| EmitError::ReadModel {
        path: model_path.to_path_buf(),
        source,
    })?;
    let model = Model::from_slice(&bytes).map_err(|source| EmitError::ModelFile {
        path: model_path.to_path_buf(),
        source,
    })?;
    let text = c(&model, options)?;
    crate::output::write_if_changed(out_path, text.as_bytes()).map_err(|source| EmitError::Write {
        path: out_path.to_path_buf(),
        source,
    })
}

/// For a Cargo build script: emits the header of the model file at `model_path` as
/// `$OUT_DIR/<header_name>`, rewriting it only when its bytes change, and prints
/// `cargo:rerun-if-changed=<model_path>` so that Cargo reruns the script when the model
/// changes. Returns the header's path (pass its folder to the C compiler, for instance with
/// `cc::Build::include`). When `options.model_name` is `None`, the model file's name is used.
///
/// ```no_run
/// // build.rs
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let options = gmmc::emit::COptions { prefix: "motor".into(), ..Default::default() };
///     let header = gmmc::emit::c::build("model/motor.json", "motor_gmm.h", &options)?;
///     println!("cargo:rustc-env=MOTOR_GMM_H={}", header.display());
///     Ok(())
/// }
/// ```
///
/// [`write_header`] does the same into any folder, outside a build script (its example runs
/// as a test).
pub fn build(
    model_path: impl AsRef<Path>,
    header_name: &str,
    options: &COptions,
) -> Result<PathBuf, EmitError> {
    let out_dir = std::env::var_os("OUT_DIR").ok_or(EmitError::NoOutDir)?;
    let model_path = model_path.as_ref();
    println!("cargo:rerun-if-changed={}", model_path.display());
    let out_path = Path::new(&out_dir).join(header_name);
    let mut options = options.clone();
    if options.model_name.is_none() {
        options.model_name = model_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned());
    }
    write_header(model_path, &out_path, &options)?;
    Ok(out_path)
}

/// Keywords of C (up to C23) and C++ (up to C++23): refused as prefixes.
const KEYWORDS: &[&str] = &[
    "alignas",
    "alignof",
    "and",
    "and_eq",
    "asm",
    "atomic_cancel",
    "atomic_commit",
    "atomic_noexcept",
    "auto",
    "bitand",
    "bitor",
    "bool",
    "break",
    "case",
    "catch",
    "char",
    "char8_t",
    "char16_t",
    "char32_t",
    "class",
    "co_await",
    "co_return",
    "co_yield",
    "compl",
    "concept",
    "const",
    "consteval",
    "constexpr",
    "constinit",
    "const_cast",
    "continue",
    "decltype",
    "default",
    "delete",
    "do",
    "double",
    "dynamic_cast",
    "else",
    "enum",
    "explicit",
    "export",
    "extern",
    "false",
    "float",
    "for",
    "friend",
    "goto",
    "if",
    "inline",
    "int",
    "long",
    "mutable",
    "namespace",
    "new",
    "noexcept",
    "not",
    "not_eq",
    "nullptr",
    "operator",
    "or",
    "or_eq",
    "private",
    "protected",
    "public",
    "reflexpr",
    "register",
    "reinterpret_cast",
    "requires",
    "restrict",
    "return",
    "short",
    "signed",
    "sizeof",
    "static",
    "static_assert",
    "static_cast",
    "struct",
    "switch",
    "synchronized",
    "template",
    "this",
    "thread_local",
    "throw",
    "true",
    "try",
    "typedef",
    "typeid",
    "typename",
    "typeof",
    "typeof_unqual",
    "union",
    "unsigned",
    "using",
    "virtual",
    "void",
    "volatile",
    "wchar_t",
    "while",
    "xor",
    "xor_eq",
];

/// Checks that `prefix` can start every emitted name: a C identifier made of ASCII letters,
/// digits and underscores, starting with a letter (a leading underscore is reserved to the
/// implementation), without two underscores in a row or a trailing one (C++ reserves every
/// name containing `__`, and the emitted names append `_…`), at most [`MAX_PREFIX_LEN`]
/// characters, and not a keyword.
pub fn check_prefix(prefix: &str) -> Result<(), EmitError> {
    let refuse = |reason: String| {
        Err(EmitError::Name {
            what: "prefix",
            name: prefix.to_string(),
            reason,
        })
    };
    let Some(first) = prefix.chars().next() else {
        return refuse("the prefix is empty".into());
    };
    if let Some(bad) = prefix
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
    {
        return refuse(format!(
            "{bad:?} is not allowed in a C identifier (use ASCII letters, digits and `_`)"
        ));
    }
    if !first.is_ascii_alphabetic() {
        return refuse(
            "a C identifier prefix must start with a letter (names starting with a digit are \
             invalid, with an underscore reserved)"
                .into(),
        );
    }
    if prefix.contains("__") {
        return refuse("names containing `__` are reserved in C++".into());
    }
    if prefix.ends_with('_') {
        return refuse(
            "a trailing `_` would put `__` into the emitted names, which C++ reserves".into(),
        );
    }
    if prefix.len() > MAX_PREFIX_LEN {
        return refuse(format!(
            "{} characters is longer than the limit of {MAX_PREFIX_LEN}",
            prefix.len()
        ));
    }
    if KEYWORDS.contains(&prefix) {
        return refuse("it is a C or C++ keyword".into());
    }
    Ok(())
}

/// `text` made safe to place inside a `/* ... */` comment: printable ASCII is kept except `*`
/// (could close the comment or, after a `/`, open a nested one), `\` (could splice the next
/// line into the comment) and `?` (could start a trigraph such as `??/`, a backslash); those,
/// line breaks, other control characters and non-ASCII characters become `<U+HEX>`. Long
/// strings are cut to [`MAX_COMMENT_STRING`] characters and marked with `...`. A `/` is kept:
/// without `*` it cannot form `/*` or `*/`, and the header never puts a `*` next to a string.
pub fn comment_text(text: &str) -> String {
    let mut out = String::new();
    for (n, ch) in text.chars().enumerate() {
        if n == MAX_COMMENT_STRING {
            out.push_str("...");
            break;
        }
        match ch {
            ' '..='~' if !matches!(ch, '*' | '\\' | '?') => out.push(ch),
            _ => out.push_str(&format!("<U+{:04X}>", ch as u32)),
        }
    }
    out
}

/// A scalar type the header can be emitted in.
trait Real: Copy + PartialEq {
    /// The C type.
    const C_TYPE: &'static str;
    /// Suffix of literals.
    const SUFFIX: &'static str;
    /// `<math.h>` exponential.
    const EXP: &'static str;
    /// `<math.h>` natural logarithm.
    const LOG: &'static str;
    /// `<math.h>` positive infinity of this type.
    const HUGE: &'static str;
    /// The unsigned integer type of the same width.
    const BITS: &'static str;
    /// The exponent bits (all ones for NaN and infinities), as a C literal.
    const EXP_MASK: &'static str;
    /// A C literal `z` such that `exp(z)` is below half an ulp of 1: log-sum-exp terms this
    /// far below the largest cannot change a sum that starts at 1, so they are skipped.
    const NEGLIGIBLE: &'static str;
    fn is_finite(self) -> bool;
    /// The shortest decimal text that reads back as the same value.
    fn shortest(self) -> String;
}

impl Real for f32 {
    const C_TYPE: &'static str = "float";
    const SUFFIX: &'static str = "f";
    const EXP: &'static str = "expf";
    const LOG: &'static str = "logf";
    const HUGE: &'static str = "HUGE_VALF";
    const BITS: &'static str = "uint32_t";
    const EXP_MASK: &'static str = "0x7f800000u";
    // exp(-17) = 4.1e-8 < 2^-24 = 6.0e-8
    const NEGLIGIBLE: &'static str = "-17.0f";
    fn is_finite(self) -> bool {
        f32::is_finite(self)
    }
    fn shortest(self) -> String {
        format!("{self:?}")
    }
}

impl Real for f64 {
    const C_TYPE: &'static str = "double";
    const SUFFIX: &'static str = "";
    const EXP: &'static str = "exp";
    const LOG: &'static str = "log";
    const HUGE: &'static str = "HUGE_VAL";
    const BITS: &'static str = "uint64_t";
    const EXP_MASK: &'static str = "0x7ff0000000000000ull";
    // exp(-37) = 8.5e-17 < 2^-53 = 1.1e-16
    const NEGLIGIBLE: &'static str = "-37.0";
    fn is_finite(self) -> bool {
        f64::is_finite(self)
    }
    fn shortest(self) -> String {
        format!("{self:?}")
    }
}

/// A C floating literal of `v`, exact: Rust's shortest round-trip text (always with a `.` or
/// an exponent) plus the type's suffix. `what` names the value for the error if it is not
/// finite (validation rules that out; this is a second guard so no `inf` or `NaN` text can
/// ever reach C).
fn literal<T: Real>(v: T, what: &str) -> Result<String, EmitError> {
    if !v.is_finite() {
        return Err(EmitError::NotFinite {
            what: what.to_string(),
            c_type: T::C_TYPE,
        });
    }
    let mut text = v.shortest();
    if !text.contains(['.', 'e', 'E']) {
        text.push_str(".0");
    }
    text.push_str(T::SUFFIX);
    Ok(text)
}

/// Like [`literal`], in parentheses when negative, so it can follow a binary operator.
fn operand<T: Real>(v: T, what: &str) -> Result<String, EmitError> {
    let text = literal(v, what)?;
    Ok(if text.starts_with('-') {
        format!("({text})")
    } else {
        text
    })
}

/// Lines of an array initialiser: one group of values per `groups` entry (a label, the
/// values), at most [`PER_LINE`] literals per line, each group starting on a new line under
/// its label comment.
fn array_lines<T: Real>(groups: &[(String, &[T])], what: &str) -> Result<Vec<String>, EmitError> {
    let mut lines = Vec::new();
    for (label, values) in groups {
        if !label.is_empty() {
            lines.push(format!("    /* {label} */"));
        }
        for chunk in values.chunks(PER_LINE) {
            let items = chunk
                .iter()
                .map(|&v| literal(v, what))
                .collect::<Result<Vec<_>, _>>()?;
            lines.push(format!("    {},", items.join(", ")));
        }
    }
    Ok(lines)
}

/// How `*_score_inputs` reads the model's features out of the input vector.
enum Gather {
    /// The features are `inputs[start..start + D]`, in order: no table needed.
    Contiguous(usize),
    /// Through a table of input indices of this C type.
    Table(&'static str, Vec<String>),
}

#[derive(Template)]
#[template(path = "c/header.h", escape = "none")]
struct Header {
    /// The header's comment block, one line each (already safe for a comment).
    summary: Vec<String>,
    guard: String,
    /// Prefix of functions and arrays.
    p: String,
    /// Prefix of macros.
    m: String,
    real: &'static str,
    suffix: &'static str,
    exp: &'static str,
    log: &'static str,
    huge: &'static str,
    bits: &'static str,
    exp_mask: &'static str,
    negligible: &'static str,
    covariance: &'static str,
    n_features: usize,
    n_components: usize,
    n_inputs: usize,
    threshold: String,
    constants: Vec<String>,
    means: Vec<String>,
    factors: Vec<String>,
    n_factors: usize,
    /// Entries of one packed triangle (full).
    packed_len: usize,
    /// Full and tied models up to [`UNROLL_MAX_FEATURES`]: the body of the written-out
    /// quadratic form, one statement per line; empty for loops.
    unrolled: Vec<String>,
    score_kind: &'static str,
    offset: String,
    scale: String,
    gather: Gather,
}

fn render<T: Real>(
    model: &Model,
    dev: &DeviceModel<T>,
    options: &COptions,
) -> Result<String, EmitError> {
    let d = dev.n_features;
    let k = dev.n_components;
    let p = options.prefix.clone();
    let m = options.prefix.to_ascii_uppercase();

    let constants = array_lines(
        &[(String::new(), &dev.constants[..])],
        "a component constant",
    )?;
    let mean_groups: Vec<(String, &[T])> = dev
        .means
        .chunks(d)
        .enumerate()
        .map(|(c, row)| (format!("component {c}"), row))
        .collect();
    let means = array_lines(&mean_groups, "a mean")?;
    let packed_len = packed::len(d);
    let factor_groups: Vec<(String, &[T])> = match dev.covariance_type {
        CovarianceType::Full => dev
            .factors
            .chunks(packed_len)
            .enumerate()
            .flat_map(|(c, tri)| triangle_groups(tri, d, &format!("component {c}, ")))
            .collect(),
        CovarianceType::Tied => triangle_groups(&dev.factors, d, ""),
        CovarianceType::Diag => dev
            .factors
            .chunks(d)
            .enumerate()
            .map(|(c, row)| (format!("component {c}"), row))
            .collect(),
        CovarianceType::Spherical => vec![(String::new(), &dev.factors[..])],
    };
    let factors = array_lines(&factor_groups, "a precision factor")?;

    let gather = match dev.axes.first() {
        Some(&start) if dev.axes.iter().enumerate().all(|(j, &a)| a == start + j) => {
            Gather::Contiguous(start)
        }
        _ => {
            let ty = if dev.n_inputs <= 1 << 8 {
                "uint8_t"
            } else if dev.n_inputs <= 1 << 16 {
                "uint16_t"
            } else {
                "uint32_t"
            };
            let lines = dev
                .axes
                .chunks(12)
                .map(|c| {
                    let items: Vec<String> = c.iter().map(|a| format!("{a}u")).collect();
                    format!("    {},", items.join(", "))
                })
                .collect();
            Gather::Table(ty, lines)
        }
    };

    let unrolled = match dev.covariance_type {
        CovarianceType::Full | CovarianceType::Tied if d <= UNROLL_MAX_FEATURES => {
            unrolled_quadratic(d, T::C_TYPE)
        }
        _ => Vec::new(),
    };

    let header = Header {
        summary: summary(model, dev, options),
        guard: format!("GMMC_{m}_H"),
        p,
        m,
        real: T::C_TYPE,
        suffix: T::SUFFIX,
        exp: T::EXP,
        log: T::LOG,
        huge: T::HUGE,
        bits: T::BITS,
        exp_mask: T::EXP_MASK,
        negligible: T::NEGLIGIBLE,
        covariance: dev.covariance_type.as_str(),
        n_features: d,
        n_components: k,
        n_inputs: dev.n_inputs,
        threshold: operand(dev.threshold, "the threshold")?,
        constants,
        means,
        factors,
        n_factors: dev.factors.len(),
        packed_len,
        unrolled,
        score_kind: dev.score_kind.as_str(),
        offset: operand(dev.offset, "the score offset")?,
        scale: operand(dev.scale, "the score scale")?,
        gather,
    };
    let mut text = header
        .render()
        .map_err(|e| EmitError::Template(e.to_string()))?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

/// The statements of `q = ‖(x − mean)ᵀ·U‖²` written out for `d` features: `d0 = x[0] -
/// mean[0]`, …, then for each column `j` of the packed factor `u`, `y = d0 * u[s] + … + dj *
/// u[s + j]` (summed left to right, the order of the loop it replaces) and `q += y * y`.
fn unrolled_quadratic(d: usize, real: &str) -> Vec<String> {
    let mut lines = Vec::new();
    for i in 0..d {
        lines.push(format!("const {real} d{i} = x[{i}] - mean[{i}];"));
    }
    lines.push(format!("{real} y, q;"));
    for j in 0..d {
        let start = packed::column_start(j);
        let terms: Vec<String> = (0..=j)
            .map(|i| format!("d{i} * u[{}]", start + i))
            .collect();
        // Four terms per line keeps long columns readable.
        let mut text = String::from("y = ");
        for (n, term) in terms.iter().enumerate() {
            if n > 0 {
                text.push_str(if n % 4 == 0 { "\n        + " } else { " + " });
            }
            text.push_str(term);
        }
        text.push(';');
        lines.extend(text.split('\n').map(String::from));
        lines.push(if j == 0 { "q = y * y;" } else { "q += y * y;" }.into());
    }
    lines.push("return q;".into());
    lines
}

/// The columns of one packed triangle as labelled groups (column `j` holds rows `0..=j`).
fn triangle_groups<'a, T>(tri: &'a [T], d: usize, label: &str) -> Vec<(String, &'a [T])> {
    (0..d)
        .map(|j| {
            let start = packed::column_start(j);
            (format!("{label}column {j}"), &tri[start..start + j + 1])
        })
        .collect()
}

/// The lines of the header's opening comment.
fn summary<T: Real>(model: &Model, dev: &DeviceModel<T>, options: &COptions) -> Vec<String> {
    let mut s = Vec::new();
    let from = options
        .model_name
        .as_deref()
        .map(|n| format!(" from {}", comment_text(n)))
        .unwrap_or_default();
    s.push(format!(
        "Gaussian-mixture anomaly detector{from}, generated by gmmc {}.",
        env!("CARGO_PKG_VERSION")
    ));
    s.push("Do not edit: regenerate it with `gmmc emit c`.".into());
    s.push(String::new());
    s.push(format!(
        "Model: {} component{}, {} covariance, {} feature{} read from an input vector of {}.",
        dev.n_components,
        if dev.n_components == 1 { "" } else { "s" },
        dev.covariance_type,
        dev.n_features,
        if dev.n_features == 1 { "" } else { "s" },
        dev.n_inputs
    ));
    s.push("Features (model order: name <- input index):".into());
    for (j, (name, axis)) in model.feature_names.iter().zip(&model.axes).enumerate() {
        s.push(format!("  {j:>4}  {} <- {axis}", comment_text(name)));
    }
    let sc = &model.score;
    let shift = if sc.offset < 0.0 {
        format!("+ {}", -sc.offset)
    } else {
        format!("- {}", sc.offset)
    };
    let formula = match sc.kind {
        ScoreKind::Nll => "-log_likelihood".to_string(),
        ScoreKind::Normalized => format!("(-log_likelihood {shift}) / {}", sc.scale),
        ScoreKind::EdgeImpulse => format!("|(-log_likelihood {shift}) / {}|", sc.scale),
    };
    s.push(format!(
        "Score: {}, score = {formula}; higher is more anomalous.",
        sc.kind
    ));
    let basis = match (sc.quantile, &sc.calibration) {
        (Some(q), Some(c)) => format!(" (set from the {q} quantile of {})", comment_text(c)),
        (Some(q), None) => format!(" (set from the {q} quantile)"),
        (None, Some(c)) => format!(" (calibrated on {})", comment_text(c)),
        (None, None) => String::new(),
    };
    s.push(format!("Anomaly when score > {}{basis}.", sc.threshold));
    let t = &model.training;
    let mut trained = Vec::new();
    if !t.source.is_empty() {
        trained.push(comment_text(&t.source));
    }
    if !t.tool.is_empty() {
        trained.push(format!("by {}", comment_text(&t.tool)));
    }
    if let Some(data) = &t.data {
        trained.push(format!("on {}", comment_text(data)));
    }
    let mut details = Vec::new();
    if let Some(n) = t.n_samples {
        details.push(format!("{n} samples"));
    }
    if let Some(init) = &t.init {
        details.push(format!("init {}", comment_text(init)));
    }
    if let Some(n) = t.n_init {
        details.push(format!("n_init {n}"));
    }
    if let Some(n) = t.n_iter {
        let max = t.max_iter.map(|m| format!(" of {m}")).unwrap_or_default();
        details.push(format!("{n}{max} iterations"));
    }
    if let Some(c) = t.converged {
        details.push(if c { "converged" } else { "not converged" }.into());
    }
    if let Some(lb) = t.lower_bound {
        details.push(format!("lower bound {lb}"));
    }
    if let Some(tol) = t.tol {
        details.push(format!("tol {tol}"));
    }
    if let Some(r) = t.reg_covar {
        details.push(format!("reg_covar {r}"));
    }
    if let Some(seed) = t.seed {
        details.push(format!("seed {seed}"));
    }
    if !trained.is_empty() || !details.is_empty() {
        s.push(format!("Trained: {}", trained.join(" ")));
        for chunk in details.chunks(4) {
            s.push(format!("  {}", chunk.join(", ")));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipped_log_sum_exp_terms_are_below_half_an_ulp_of_one() {
        // The header skips exp(z) for z below NEGLIGIBLE: exact only if exp(NEGLIGIBLE) is
        // below half an ulp of 1 (the sum starts at 1), and worthwhile only if not far below.
        let z32: f32 = f32::NEGLIGIBLE.trim_end_matches('f').parse().unwrap();
        assert!((z32 as f64).exp() < f32::EPSILON as f64 / 2.0);
        assert!((z32 as f64 + 1.0).exp() > f32::EPSILON as f64 / 2.0);
        let z64: f64 = f64::NEGLIGIBLE.parse().unwrap();
        assert!(z64.exp() < f64::EPSILON / 2.0);
        assert!((z64 + 1.0).exp() > f64::EPSILON / 2.0);
    }

    #[test]
    fn prefixes_must_be_plain_c_identifiers() {
        for ok in ["gmm", "motor", "Pump2", "a", "my_model_v2"] {
            assert!(check_prefix(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "2fast", "_gmm", "__gmm", "gmm__x", "gmm_", "my-model", "my model", "gmm;", "café",
            "int", "class", "static", "bool", "register",
        ] {
            let err = check_prefix(bad).unwrap_err().to_string();
            assert!(err.contains("invalid prefix"), "{bad}: {err}");
        }
        assert!(check_prefix(&"a".repeat(MAX_PREFIX_LEN)).is_ok());
        assert!(check_prefix(&"a".repeat(MAX_PREFIX_LEN + 1)).is_err());
    }

    #[test]
    fn comment_text_cannot_end_a_comment_or_splice_lines() {
        let hostile = "x */ int evil; /* \\\n??/ é\u{0}";
        let safe = comment_text(hostile);
        assert!(!safe.contains("*/") && !safe.contains("/*"), "{safe}");
        assert!(!safe.contains('\\') && !safe.contains('\n') && !safe.contains('?'));
        assert!(safe.chars().all(|c| (' '..='~').contains(&c)), "{safe}");
        assert_eq!(comment_text("rms_x [m/s2]"), "rms_x [m/s2]");
        let long = comment_text(&"a".repeat(200));
        assert_eq!(long.len(), MAX_COMMENT_STRING + 3);
    }

    #[test]
    fn literals_are_exact_and_always_floating() {
        assert_eq!(literal(1.0f32, "v").unwrap(), "1.0f");
        assert_eq!(literal(0.1f32, "v").unwrap(), "0.1f");
        assert_eq!(literal(1e-7f32, "v").unwrap(), "1e-7f");
        assert_eq!(literal(1e30f32, "v").unwrap(), "1e30f");
        assert_eq!(literal(-2.5f64, "v").unwrap(), "-2.5");
        assert_eq!(operand(-2.5f32, "v").unwrap(), "(-2.5f)");
        assert!(literal(f32::NAN, "v").is_err());
        assert!(literal(f64::INFINITY, "v").is_err());
    }
}
