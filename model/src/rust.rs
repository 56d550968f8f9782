//! The Rust token emitter: a model as constant data of `gmmc-runtime`'s types.
//!
//! One emitter serves both `gmmc emit rust` (which formats these tokens) and the
//! `include_gmm!` macro (which returns them), so the two cannot drift. The numbers come from
//! [`DeviceModel::<f32>::f32`] only — the same struct the C emitter reads — and every f32 is
//! written as a literal that parses back to the identical value.
//!
//! The emitted code carries data, not logic: a `::gmmc_runtime::Detector` wrapping one of the
//! layouts `Full`, `Tied`, `Diag` or `Spherical`, whose scoring kernels live in the runtime.

use proc_macro2::{Ident, Literal, TokenStream};
use quote::quote;

use crate::device::DeviceModel;
use crate::{CovarianceType, Model, ScoreKind, packed};

/// Whether the detector is a `static` (one copy in flash; the usual choice) or a `const`
/// (usable in constant expressions such as array lengths).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemKind {
    /// `static NAME: … = …;`
    Static,
    /// `const NAME: … = …;`
    Const,
}

/// How to write the detector item.
#[derive(Clone, Debug)]
pub struct Item {
    /// The item's name; the caller has checked that it is a valid Rust identifier.
    pub name: Ident,
    /// Visibility tokens, for instance `pub`, `pub(crate)` or nothing.
    pub visibility: TokenStream,
    /// `static` or `const`.
    pub kind: ItemKind,
}

/// A finite f32 as a literal that round-trips exactly (`{:?}` is the shortest decimal that
/// parses back to the same value), with a separate minus sign so that the tokens are valid
/// in every position. Non-finite values, which validation forbids, become the `core`
/// constants rather than a panic.
pub fn f32_tokens(v: f32) -> TokenStream {
    if v.is_nan() {
        return quote!(::core::f32::NAN);
    }
    let sign = if v.is_sign_negative() {
        quote!(-)
    } else {
        quote!()
    };
    if v.is_infinite() {
        return quote!(#sign ::core::f32::INFINITY);
    }
    let magnitude = v.abs();
    let literal = format!("{magnitude:?}f32")
        .parse::<Literal>()
        .unwrap_or_else(|_| Literal::f32_suffixed(magnitude));
    quote!(#sign #literal)
}

fn f32_array(values: &[f32]) -> TokenStream {
    let items = values.iter().map(|&v| f32_tokens(v));
    quote!([#(#items),*])
}

/// `[[…], […], …]`: `values` split into rows of `width` (one row per component).
fn f32_rows(values: &[f32], width: usize) -> TokenStream {
    let rows = values.chunks(width.max(1)).map(f32_array);
    quote!([#(#rows),*])
}

fn usize_tokens(v: usize) -> Literal {
    Literal::usize_unsuffixed(v)
}

/// The detector's type: `::gmmc_runtime::Detector<::gmmc_runtime::Full<D, K, P>, D, N>`
/// (the layout's generics depend on the covariance type).
pub fn detector_type(device: &DeviceModel<f32>) -> TokenStream {
    let d = usize_tokens(device.n_features);
    let k = usize_tokens(device.n_components);
    let n = usize_tokens(device.n_inputs);
    let p = usize_tokens(packed::len(device.n_features));
    let layout = match device.covariance_type {
        CovarianceType::Full => quote!(::gmmc_runtime::Full<#d, #k, #p>),
        CovarianceType::Tied => quote!(::gmmc_runtime::Tied<#d, #k, #p>),
        CovarianceType::Diag => quote!(::gmmc_runtime::Diag<#d, #k>),
        CovarianceType::Spherical => quote!(::gmmc_runtime::Spherical<#d, #k>),
    };
    quote!(::gmmc_runtime::Detector<#layout, #d, #n>)
}

/// The detector's value: a constant expression of [`detector_type`].
pub fn detector_value(device: &DeviceModel<f32>) -> TokenStream {
    let d = device.n_features;
    let constants = f32_array(&device.constants);
    let means = f32_rows(&device.means, d);
    let mixture = match device.covariance_type {
        CovarianceType::Full => {
            let factors = f32_rows(&device.factors, packed::len(d));
            quote!(::gmmc_runtime::Full {
                constants: #constants,
                means: #means,
                factors: #factors,
            })
        }
        CovarianceType::Tied => {
            let factor = f32_array(&device.factors);
            quote!(::gmmc_runtime::Tied {
                constants: #constants,
                means: #means,
                factor: #factor,
            })
        }
        CovarianceType::Diag => {
            let factors = f32_rows(&device.factors, d);
            quote!(::gmmc_runtime::Diag {
                constants: #constants,
                means: #means,
                factors: #factors,
            })
        }
        CovarianceType::Spherical => {
            let factors = f32_array(&device.factors);
            quote!(::gmmc_runtime::Spherical {
                constants: #constants,
                means: #means,
                factors: #factors,
            })
        }
    };
    let axes = device.axes.iter().map(|&a| usize_tokens(a));
    let kind = match device.score_kind {
        ScoreKind::Normalized => quote!(Normalized),
        ScoreKind::Nll => quote!(Nll),
        ScoreKind::EdgeImpulse => quote!(EdgeImpulse),
    };
    let offset = f32_tokens(device.offset);
    let scale = f32_tokens(device.scale);
    let threshold = f32_tokens(device.threshold);
    quote!(::gmmc_runtime::Detector {
        mixture: #mixture,
        axes: [#(#axes),*],
        transform: ::gmmc_runtime::ScoreTransform {
            kind: ::gmmc_runtime::ScoreKind::#kind,
            offset: #offset,
            scale: #scale,
            threshold: #threshold,
        },
    })
}

/// A model's summary as doc-comment lines: what it is, what it reads, when it fires, how it
/// was trained. Strings from the model file are escaped, so they cannot break out of the
/// comment.
pub fn summary_lines(model: &Model) -> Vec<String> {
    let mut lines = vec![
        " Gaussian-mixture anomaly detector compiled by gmmc from a model file.".to_string(),
        String::new(),
        format!(
            " - {} components, `{}` covariance, {} features read from an input vector of {} \
             values.",
            model.n_components, model.covariance_type, model.n_features, model.n_inputs
        ),
    ];
    let features: Vec<String> = model
        .feature_names
        .iter()
        .zip(&model.axes)
        .map(|(name, axis)| format!("`{}` (input {axis})", name.escape_debug()))
        .collect();
    lines.push(format!(" - Features: {}.", features.join(", ")));
    lines.push(format!(
        " - Score: `{}`; anomaly when the score is above {:?}.",
        model.score.kind, model.score.threshold
    ));
    if let Some(c) = &model.score.calibration {
        lines.push(format!(" - Calibrated on {}.", c.escape_debug()));
    }
    let t = &model.training;
    let mut trained = Vec::new();
    if !t.source.is_empty() {
        trained.push(t.source.escape_debug().to_string());
    }
    if let Some(data) = &t.data {
        trained.push(format!("data `{}`", data.escape_debug()));
    }
    if let Some(n) = t.n_samples {
        trained.push(format!("{n} samples"));
    }
    if let Some(n) = t.n_iter {
        trained.push(format!("{n} EM iterations"));
    }
    if !trained.is_empty() {
        lines.push(format!(" - Trained: {}.", trained.join(", ")));
    }
    lines
}

/// The complete item: the summary as doc comments, then
/// `VIS static|const NAME: TYPE = VALUE;`.
pub fn detector_item(model: &Model, item: &Item) -> TokenStream {
    let device = DeviceModel::<f32>::f32(model);
    let ty = detector_type(&device);
    let value = detector_value(&device);
    let docs = summary_lines(model);
    let name = &item.name;
    let vis = &item.visibility;
    let keyword = match item.kind {
        ItemKind::Static => quote!(static),
        ItemKind::Const => quote!(const),
    };
    let text = name.to_string();
    let allow = if text.chars().any(char::is_lowercase) {
        quote!(#[allow(non_upper_case_globals)])
    } else {
        quote!()
    };
    quote! {
        #(#[doc = #docs])*
        #allow
        #vis #keyword #name: #ty = #value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f32_literals_round_trip_exactly() {
        // Spread over the whole exponent range, including subnormals and the extremes.
        let mut bits: u32 = 0x1234_5678;
        let mut values = vec![
            0.0,
            -0.0,
            1.0,
            0.1,
            f32::MIN_POSITIVE,
            f32::MAX,
            -f32::MAX,
            f32::EPSILON,
            1e-45,
            16_777_217.0,
        ];
        for _ in 0..20_000 {
            bits = bits.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let v = f32::from_bits(bits);
            if v.is_finite() {
                values.push(v);
            }
        }
        for v in values {
            let text = f32_tokens(v).to_string().replace(' ', "");
            let (negative, digits) = match text.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, text.as_str()),
            };
            let digits = digits.strip_suffix("f32").expect("an f32 suffix");
            let magnitude: f32 = digits.parse().expect("a decimal literal");
            let back = if negative { -magnitude } else { magnitude };
            assert_eq!(back.to_bits(), v.to_bits(), "{v:?} printed as {text}");
        }
    }

    #[test]
    fn non_finite_values_never_panic() {
        assert_eq!(f32_tokens(f32::NAN).to_string(), ":: core :: f32 :: NAN");
        assert_eq!(
            f32_tokens(f32::NEG_INFINITY).to_string(),
            "- :: core :: f32 :: INFINITY"
        );
    }
}
