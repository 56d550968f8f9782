//! Validation of a model: everything a scorer relies on, each failure naming its field.

use crate::format::{FORMAT_NAME, FORMAT_VERSION, Model, Precisions, ScoreKind};
use crate::{ModelError, packed};

/// Largest number of features a model may have. Far above what fits on a microcontroller;
/// the limit exists so that a corrupt file cannot make a reader allocate absurd amounts.
pub const MAX_FEATURES: usize = 1024;
/// Largest number of mixture components a model may have.
pub const MAX_COMPONENTS: usize = 1024;
/// Largest input vector a model's axes may index into.
pub const MAX_INPUTS: usize = 1 << 20;

/// Tolerance on `Σ weights = 1`.
const WEIGHT_SUM_TOLERANCE: f64 = 1e-6;

fn check_finite(field: impl FnOnce() -> String, v: f64) -> Result<(), ModelError> {
    if !v.is_finite() {
        return Err(ModelError::invalid(
            field(),
            format!("{v} is not a finite number"),
        ));
    }
    if v.abs() > f32::MAX as f64 {
        return Err(ModelError::invalid(
            field(),
            format!("{v:e} does not fit in f32, the precision device scorers compute in"),
        ));
    }
    Ok(())
}

fn check_len(field: &str, actual: usize, expected: usize, what: &str) -> Result<(), ModelError> {
    if actual != expected {
        return Err(ModelError::invalid(
            field,
            format!("has {actual} entries, expected {expected} ({what})"),
        ));
    }
    Ok(())
}

fn check_factor_diagonal(field: impl FnOnce() -> String, v: f64) -> Result<(), ModelError> {
    if !(v >= f32::MIN_POSITIVE as f64 && v <= f32::MAX as f64) {
        return Err(ModelError::invalid(
            field(),
            format!(
                "Cholesky diagonal {v:e} must be a positive number between {:e} and {:e} \
                 (normal f32 values, the precision device scorers compute in)",
                f32::MIN_POSITIVE,
                f32::MAX
            ),
        ));
    }
    Ok(())
}

impl Model {
    /// Checks everything scoring relies on: format and version, dimensions that agree with
    /// each other and with the arrays, finite numbers that fit in f32, positive Cholesky
    /// diagonals, positive weights summing to 1 within 1e-6, axes inside the input vector, a
    /// usable score transform. The error names the first field that is wrong.
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.format != FORMAT_NAME {
            return Err(ModelError::invalid(
                "format",
                format!("is {:?}, expected {FORMAT_NAME:?}", self.format),
            ));
        }
        if self.version != FORMAT_VERSION {
            return Err(ModelError::invalid(
                "version",
                format!(
                    "version {} is not supported (this gmmc reads version {FORMAT_VERSION})",
                    self.version
                ),
            ));
        }
        let d = self.n_features;
        let k = self.n_components;
        if d == 0 || d > MAX_FEATURES {
            return Err(ModelError::invalid(
                "n_features",
                format!("{d} is outside 1..={MAX_FEATURES}"),
            ));
        }
        if k == 0 || k > MAX_COMPONENTS {
            return Err(ModelError::invalid(
                "n_components",
                format!("{k} is outside 1..={MAX_COMPONENTS}"),
            ));
        }
        if self.n_inputs < d || self.n_inputs > MAX_INPUTS {
            return Err(ModelError::invalid(
                "n_inputs",
                format!(
                    "{} is outside {d}..={MAX_INPUTS} (n_features..=limit)",
                    self.n_inputs
                ),
            ));
        }
        check_len(
            "feature_names",
            self.feature_names.len(),
            d,
            "one per feature",
        )?;
        check_len("axes", self.axes.len(), d, "one per feature")?;
        for (j, &a) in self.axes.iter().enumerate() {
            if a >= self.n_inputs {
                return Err(ModelError::invalid(
                    format!("axes[{j}]"),
                    format!(
                        "input index {a} is out of range (n_inputs is {})",
                        self.n_inputs
                    ),
                ));
            }
            if self.axes[..j].contains(&a) {
                return Err(ModelError::invalid(
                    format!("axes[{j}]"),
                    format!("input index {a} appears twice"),
                ));
            }
        }
        check_len("weights", self.weights.len(), k, "one per component")?;
        for (i, &w) in self.weights.iter().enumerate() {
            check_finite(|| format!("weights[{i}]"), w)?;
            if w <= 0.0 {
                return Err(ModelError::invalid(
                    format!("weights[{i}]"),
                    format!("weight {w} must be positive"),
                ));
            }
        }
        let sum: f64 = self.weights.iter().sum();
        if (sum - 1.0).abs() > WEIGHT_SUM_TOLERANCE {
            return Err(ModelError::invalid(
                "weights",
                format!("weights sum to {sum}, not 1 (tolerance {WEIGHT_SUM_TOLERANCE:e})"),
            ));
        }
        check_len("means", self.means.len(), k, "one per component")?;
        for (i, mean) in self.means.iter().enumerate() {
            check_len(&format!("means[{i}]"), mean.len(), d, "one per feature")?;
            for (j, &v) in mean.iter().enumerate() {
                check_finite(|| format!("means[{i}][{j}]"), v)?;
            }
        }
        if self.precisions_cholesky.covariance_type() != self.covariance_type {
            return Err(ModelError::invalid(
                "precisions_cholesky",
                format!(
                    "stored as `{}` but covariance_type is `{}`",
                    self.precisions_cholesky.covariance_type(),
                    self.covariance_type
                ),
            ));
        }
        self.validate_precisions()?;
        self.validate_score()
    }

    fn validate_precisions(&self) -> Result<(), ModelError> {
        let d = self.n_features;
        let k = self.n_components;
        let field = "precisions_cholesky";
        let check_packed = |name: &str, f: &[f64]| -> Result<(), ModelError> {
            check_len(
                name,
                f.len(),
                packed::len(d),
                "a packed upper triangle, D(D+1)/2",
            )?;
            for (idx, &v) in f.iter().enumerate() {
                check_finite(|| format!("{name}[{idx}]"), v)?;
            }
            for j in 0..d {
                check_factor_diagonal(
                    || format!("{name}[{}]", packed::diagonal(j)),
                    f[packed::diagonal(j)],
                )?;
            }
            Ok(())
        };
        match &self.precisions_cholesky {
            Precisions::Full(factors) => {
                check_len(field, factors.len(), k, "one factor per component")?;
                for (i, f) in factors.iter().enumerate() {
                    check_packed(&format!("{field}[{i}]"), f)?;
                }
            }
            Precisions::Tied(f) => check_packed(field, f)?,
            Precisions::Diag(v) => {
                check_len(field, v.len(), k, "one vector per component")?;
                for (i, row) in v.iter().enumerate() {
                    check_len(&format!("{field}[{i}]"), row.len(), d, "one per feature")?;
                    for (j, &p) in row.iter().enumerate() {
                        check_factor_diagonal(|| format!("{field}[{i}][{j}]"), p)?;
                    }
                }
            }
            Precisions::Spherical(s) => {
                check_len(field, s.len(), k, "one per component")?;
                for (i, &p) in s.iter().enumerate() {
                    check_factor_diagonal(|| format!("{field}[{i}]"), p)?;
                }
            }
        }
        Ok(())
    }

    fn validate_score(&self) -> Result<(), ModelError> {
        let s = &self.score;
        check_finite(|| "score.offset".into(), s.offset)?;
        check_finite(|| "score.scale".into(), s.scale)?;
        check_finite(|| "score.threshold".into(), s.threshold)?;
        if s.scale <= 0.0 {
            return Err(ModelError::invalid(
                "score.scale",
                format!("{} must be positive", s.scale),
            ));
        }
        if s.kind == ScoreKind::Nll && (s.offset != 0.0 || s.scale != 1.0) {
            return Err(ModelError::invalid(
                "score",
                "kind `nll` has offset 0 and scale 1",
            ));
        }
        if let Some(q) = s.quantile {
            if !(q > 0.0 && q < 1.0) {
                return Err(ModelError::invalid(
                    "score.quantile",
                    format!("{q} is not strictly between 0 and 1"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::{
        CovarianceType, Model, ModelError, Precisions, ScoreKind, ScoreTransform, Training,
    };

    fn model() -> Model {
        Model {
            format: "gmmc-model".into(),
            version: 1,
            covariance_type: CovarianceType::Full,
            n_features: 2,
            n_components: 2,
            n_inputs: 3,
            feature_names: vec!["a".into(), "c".into()],
            axes: vec![0, 2],
            weights: vec![0.25, 0.75],
            means: vec![vec![0.0, 1.0], vec![2.0, -1.0]],
            precisions_cholesky: Precisions::Full(vec![vec![1.0, 0.5, 2.0], vec![3.0, 0.0, 1.0]]),
            score: ScoreTransform {
                kind: ScoreKind::Normalized,
                offset: 1.5,
                scale: 2.0,
                threshold: 1.0,
                quantile: Some(0.99),
                calibration: None,
            },
            training: Training::default(),
        }
    }

    fn field_of(m: &Model) -> String {
        match m.validate() {
            Err(ModelError::Invalid { field, .. }) => field,
            other => panic!("expected an invalid-field error, got {other:?}"),
        }
    }

    #[test]
    fn valid_model_round_trips_through_json() {
        let m = model();
        m.validate().unwrap();
        let back = Model::from_json(&m.to_json()).unwrap();
        assert_eq!(back, m);
    }

    #[test]
    fn each_defect_names_its_field() {
        let mut m = model();
        m.version = 2;
        assert_eq!(field_of(&m), "version");

        let mut m = model();
        m.weights = vec![-0.25, 1.25];
        assert_eq!(field_of(&m), "weights[0]");

        let mut m = model();
        m.weights = vec![0.3, 0.6];
        assert_eq!(field_of(&m), "weights");

        let mut m = model();
        m.means[1][1] = f64::NAN;
        assert_eq!(field_of(&m), "means[1][1]");

        let mut m = model();
        m.means[1].push(0.0);
        assert_eq!(field_of(&m), "means[1]");

        let mut m = model();
        m.precisions_cholesky = Precisions::Full(vec![vec![1.0, 0.5, 2.0], vec![3.0, 0.0, 0.0]]);
        assert_eq!(field_of(&m), "precisions_cholesky[1][2]");

        let mut m = model();
        m.axes = vec![0, 3];
        assert_eq!(field_of(&m), "axes[1]");

        let mut m = model();
        m.n_features = 1_000_000_000;
        assert_eq!(field_of(&m), "n_features");

        let mut m = model();
        m.score.scale = 0.0;
        assert_eq!(field_of(&m), "score.scale");
    }

    #[test]
    fn storage_must_match_the_covariance_type() {
        let text = model().to_json().replace("\"full\"", "\"tied\"");
        let err = Model::from_json(&text).unwrap_err().to_string();
        assert!(err.contains("precisions_cholesky"), "{err}");
    }
}
