//! Choosing the number of components K: fit every K of a range and keep the one with the lowest
//! BIC (Bayesian information criterion, as scikit-learn's `GaussianMixture.bic`).
//!
//! BIC = −2·Σ ln p(xᵢ) + p·ln N trades the fit (the log-likelihood of the training rows under
//! the fitted model) against the number of free parameters p, so that an extra component must
//! pay for itself. AIC (−2·Σ ln p(xᵢ) + 2·p) is reported too; it penalises parameters less and
//! tends to pick more components. Both are computed with the fitted model's own log-likelihoods
//! ([`criteria`]), after the last M-step, as scikit-learn computes them after `fit`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::criteria;
use crate::em::{self, Samples};
use crate::train::{self, FitOptions, Progress};

/// The range `--components auto` tries when no range is given.
pub const DEFAULT_RANGE: (usize, usize) = (1, 10);

/// What `--components` asks for: a fixed K, or the K with the lowest BIC in a range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Components {
    /// Exactly this many components.
    Fixed(usize),
    /// Every K from `min` to `max` inclusive; the lowest BIC wins.
    Auto {
        /// Smallest K tried (at least 1).
        min: usize,
        /// Largest K tried.
        max: usize,
    },
}

impl FromStr for Components {
    type Err = String;

    /// `N`, `auto` (K = 1..=10) or `auto:MIN..MAX` (inclusive; `auto:MIN..=MAX` also reads).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let bad = |why: &str| {
            format!(
                "invalid --components `{s}`: {why} (expected a number, `auto` or `auto:MIN..MAX`, \
                 for instance `auto:1..8`)"
            )
        };
        let count = |t: &str| -> Result<usize, String> {
            let k: usize = t
                .trim()
                .parse()
                .map_err(|_| bad(&format!("`{}` is not a whole number", t.trim())))?;
            if k == 0 {
                return Err(bad("the number of components must be at least 1"));
            }
            Ok(k)
        };
        if s == "auto" {
            let (min, max) = DEFAULT_RANGE;
            return Ok(Components::Auto { min, max });
        }
        if let Some(range) = s.strip_prefix("auto:") {
            let (lo, hi) = range
                .split_once("..=")
                .or_else(|| range.split_once(".."))
                .ok_or_else(|| bad("the range needs `..` between its ends"))?;
            let (min, max) = (count(lo)?, count(hi)?);
            if min > max {
                return Err(bad(&format!("the range {min}..{max} is empty")));
            }
            return Ok(Components::Auto { min, max });
        }
        count(s).map(Components::Fixed)
    }
}

impl fmt::Display for Components {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Components::Fixed(k) => write!(f, "{k}"),
            Components::Auto { min, max } => write!(f, "auto:{min}..{max}"),
        }
    }
}

/// One K tried.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// K.
    pub n_components: usize,
    /// Free parameters of the mixture (weights, means, covariances).
    pub n_parameters: usize,
    /// BIC on the training rows (lower is better); `None` if the fit failed.
    pub bic: Option<f64>,
    /// AIC on the training rows; `None` if the fit failed.
    pub aic: Option<f64>,
    /// Mean log-likelihood of the training rows under the fitted model.
    pub mean_log_likelihood: Option<f64>,
    /// EM iterations of the kept initialisation.
    pub n_iter: Option<usize>,
    /// Whether it converged.
    pub converged: Option<bool>,
    /// Why the fit failed, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The outcome of a search over K: every candidate, and the chosen K.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Search {
    /// The criterion minimised (`bic`).
    pub criterion: String,
    /// The K with the lowest BIC (the smallest such K on a tie).
    pub best: usize,
    /// Every K tried, in increasing order.
    pub candidates: Vec<Candidate>,
}

impl Search {
    /// The chosen candidate.
    pub fn best_candidate(&self) -> Option<&Candidate> {
        self.candidates.iter().find(|c| c.n_components == self.best)
    }
}

/// Why no K could be chosen.
#[derive(Debug, thiserror::Error)]
pub enum SelectionError {
    /// The range is empty or starts at 0.
    #[error("the component range {min}..{max} is empty")]
    EmptyRange {
        /// Smallest K.
        min: usize,
        /// Largest K.
        max: usize,
    },
    /// Every fit failed; the first failure is given.
    #[error("no number of components in {min}..{max} could be fitted; K = {min}: {first}")]
    AllFailed {
        /// Smallest K.
        min: usize,
        /// Largest K.
        max: usize,
        /// The failure of the smallest K.
        first: String,
    },
}

/// Progress of a search, for a terminal display.
#[derive(Clone, Copy, Debug)]
pub enum SelectionProgress {
    /// The fit of K starts.
    Start {
        /// K.
        n_components: usize,
    },
    /// A progress event of the current fit.
    Fit(Progress),
}

/// Fits every K from `min` to `max` (inclusive) with `options` (whose `n_components` is
/// ignored) and returns the table and the K with the lowest BIC. A K whose fit fails (too few
/// rows, a degenerate covariance) is recorded with its error and skipped. K above the number
/// of rows cannot be fitted: the first such K is recorded with its error, and the search ends
/// there (so a range such as `1..1000000000` costs nothing more).
pub fn select(
    x: Samples<'_>,
    options: &FitOptions,
    (min, max): (usize, usize),
    feature_names: &[String],
    progress: &mut dyn FnMut(SelectionProgress),
) -> Result<Search, SelectionError> {
    if min == 0 || min > max {
        return Err(SelectionError::EmptyRange { min, max });
    }
    let n = x.n_rows();
    let d = x.n_features();
    let cov = options.covariance_type;
    let mut candidates = Vec::new();
    for k in min..=max {
        if k > n.saturating_add(1) && k > min {
            break;
        }
        progress(SelectionProgress::Start { n_components: k });
        let options = FitOptions {
            n_components: k,
            ..options.clone()
        };
        let n_parameters = cov.n_parameters(k, d);
        let candidate = match train::fit(x, &options, feature_names, &mut |p| {
            progress(SelectionProgress::Fit(p))
        }) {
            Ok(fit) => {
                let sum: f64 = em::log_likelihoods(&fit.mixture, x).iter().sum();
                Candidate {
                    n_components: k,
                    n_parameters,
                    bic: Some(criteria::bic(sum, n, cov, k, d)),
                    aic: Some(criteria::aic(sum, cov, k, d)),
                    mean_log_likelihood: Some(sum / n as f64),
                    n_iter: Some(fit.n_iter),
                    converged: Some(fit.converged),
                    error: None,
                }
            }
            Err(e) => Candidate {
                n_components: k,
                n_parameters,
                bic: None,
                aic: None,
                mean_log_likelihood: None,
                n_iter: None,
                converged: None,
                error: Some(e.to_string()),
            },
        };
        candidates.push(candidate);
    }
    let best = candidates
        .iter()
        .filter_map(|c| Some((c.n_components, c.bic?)))
        .filter(|(_, bic)| bic.is_finite())
        .fold(None, |best: Option<(usize, f64)>, (k, bic)| match best {
            Some((_, b)) if b <= bic => best,
            _ => Some((k, bic)),
        });
    match best {
        Some((best, _)) => Ok(Search {
            criterion: "bic".into(),
            best,
            candidates,
        }),
        None => Err(SelectionError::AllFailed {
            min,
            max,
            first: candidates
                .first()
                .and_then(|c| c.error.clone())
                .unwrap_or_else(|| "the log-likelihood is not finite".into()),
        }),
    }
}

/// The candidates as an aligned text table: K, BIC, AIC, mean log-likelihood, with the chosen
/// K marked.
pub fn table(selection: &Search) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "  {:>3}  {:>14}  {:>14}  {:>12}",
        "K", "BIC", "AIC", "mean log-lik"
    );
    for c in &selection.candidates {
        let mark = if c.n_components == selection.best {
            "  ← lowest BIC"
        } else {
            ""
        };
        match (c.bic, c.aic, c.mean_log_likelihood) {
            (Some(bic), Some(aic), Some(ll)) => {
                let _ = writeln!(
                    s,
                    "  {:>3}  {bic:>14.1}  {aic:>14.1}  {ll:>12.4}{mark}",
                    c.n_components
                );
            }
            _ => {
                let _ = writeln!(
                    s,
                    "  {:>3}  failed: {}",
                    c.n_components,
                    c.error.as_deref().unwrap_or("unknown error")
                );
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_component_specs() {
        assert_eq!("4".parse(), Ok(Components::Fixed(4)));
        assert_eq!("auto".parse(), Ok(Components::Auto { min: 1, max: 10 }));
        assert_eq!("auto:2..6".parse(), Ok(Components::Auto { min: 2, max: 6 }));
        assert_eq!(
            "auto:3..=3".parse(),
            Ok(Components::Auto { min: 3, max: 3 })
        );
        for bad in [
            "0",
            "auto:0..3",
            "auto:5..2",
            "auto:2-5",
            "many",
            "auto:x..3",
            "",
        ] {
            let e = bad.parse::<Components>().unwrap_err();
            assert!(e.contains("--components"), "{bad}: {e}");
        }
    }
}
