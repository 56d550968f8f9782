//! `gmmc inspect`: a model summarised for a person.

use std::fmt::Write;

use gmmc_model::Model;

/// A readable multi-line summary of a model: dimensions, features, components, the score and
/// threshold, and how it was trained.
pub fn summary(model: &Model) -> String {
    let mut s = String::new();
    let t = &model.training;
    let _ = writeln!(
        s,
        "gmmc model (format version {}): {} components, {} covariance, {} features of {} inputs",
        model.version, model.n_components, model.covariance_type, model.n_features, model.n_inputs
    );
    let _ = writeln!(s, "\nfeatures (model order ← input index):");
    for (j, (name, axis)) in model.feature_names.iter().zip(&model.axes).enumerate() {
        let _ = writeln!(s, "  {j:>3}  {name:<24} ← input {axis}");
    }
    let _ = writeln!(s, "\ncomponents:");
    let _ = writeln!(s, "  {:>3}  {:>8}  mean", "k", "weight");
    for (k, (w, mean)) in model.weights.iter().zip(&model.means).enumerate() {
        let shown: Vec<String> = mean.iter().take(6).map(|v| format!("{v:.4}")).collect();
        let more = if mean.len() > 6 { ", …" } else { "" };
        let _ = writeln!(s, "  {k:>3}  {w:>8.4}  [{}{more}]", shown.join(", "));
    }
    let sc = &model.score;
    let _ = writeln!(s, "\nscore: {} (higher is more anomalous)", sc.kind);
    // `− offset`, written as `+ |offset|` when the offset is negative.
    let shift = if sc.offset < 0.0 {
        format!("+ {}", -sc.offset)
    } else {
        format!("− {}", sc.offset)
    };
    let _ = writeln!(
        s,
        "  score = (−log_likelihood {shift}) / {}{}",
        sc.scale,
        if sc.kind == gmmc_model::ScoreKind::EdgeImpulse {
            ", absolute value"
        } else {
            ""
        }
    );
    let _ = writeln!(s, "  anomaly when score > {}", sc.threshold);
    if let Some(q) = sc.quantile {
        let _ = writeln!(
            s,
            "  set from the {q} quantile of {}",
            sc.calibration.as_deref().unwrap_or("the calibration data")
        );
    }
    let _ = writeln!(
        s,
        "\ntraining: {}{}",
        if t.source.is_empty() {
            "unknown"
        } else {
            &t.source
        },
        if t.tool.is_empty() {
            String::new()
        } else {
            format!(" ({})", t.tool)
        }
    );
    let mut line = |label: &str, value: Option<String>| {
        if let Some(v) = value {
            let _ = writeln!(s, "  {label:<12} {v}");
        }
    };
    line("data", t.data.clone());
    line("samples", t.n_samples.map(|v| v.to_string()));
    line("init", t.init.clone());
    line("n_init", t.n_init.map(|v| v.to_string()));
    line(
        "iterations",
        t.n_iter.map(|v| {
            format!(
                "{v} (max {})",
                t.max_iter.map_or("?".into(), |m| m.to_string())
            )
        }),
    );
    line("converged", t.converged.map(|v| v.to_string()));
    line("lower bound", t.lower_bound.map(|v| v.to_string()));
    line("tol", t.tol.map(option_number));
    line("reg_covar", t.reg_covar.map(option_number));
    line("seed", t.seed.map(|v| v.to_string()));
    s
}

/// A training option as a person writes it: `0.001`, `1e-6`, `0`.
fn option_number(v: f64) -> String {
    if v != 0.0 && v.abs() < 1e-3 {
        format!("{v:e}")
    } else {
        v.to_string()
    }
}
