//! The numbers a device scorer stores: the model reduced to flat arrays in the target
//! precision, shared by every emitter (C header, Rust source, `include_gmm!`) so that they
//! all carry exactly the same constants.

use crate::scoring::component_constants;
use crate::{CovarianceType, Model, Precisions, ScoreKind};

/// A model's scoring data in precision `T` (f32 for devices, f64 on request).
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceModel<T> {
    /// How the factors are stored.
    pub covariance_type: CovarianceType,
    /// D.
    pub n_features: usize,
    /// K.
    pub n_components: usize,
    /// Length of the input vector `axes` index into.
    pub n_inputs: usize,
    /// For each feature, its index in the input vector.
    pub axes: Vec<usize>,
    /// Folded constants `ln w_k + Σ ln diag(U_k) − ½·D·ln 2π`, computed in f64 then rounded.
    pub constants: Vec<T>,
    /// Means, K × D row-major.
    pub means: Vec<T>,
    /// Factors: full, K packed upper triangles (K × D(D+1)/2); tied, one packed triangle;
    /// diag, K × D; spherical, K (see [`crate::packed`] for the triangle layout).
    pub factors: Vec<T>,
    /// Score kind.
    pub score_kind: ScoreKind,
    /// Score offset.
    pub offset: T,
    /// Score scale.
    pub scale: T,
    /// Threshold on the score.
    pub threshold: T,
}

impl<T: Copy> DeviceModel<T> {
    fn convert(model: &Model, cast: impl Fn(f64) -> T) -> DeviceModel<T> {
        let factors: Vec<f64> = match &model.precisions_cholesky {
            Precisions::Full(f) | Precisions::Diag(f) => f.concat(),
            Precisions::Tied(f) | Precisions::Spherical(f) => f.clone(),
        };
        DeviceModel {
            covariance_type: model.covariance_type,
            n_features: model.n_features,
            n_components: model.n_components,
            n_inputs: model.n_inputs,
            axes: model.axes.clone(),
            constants: component_constants(model).into_iter().map(&cast).collect(),
            means: model.means.iter().flatten().map(|&v| cast(v)).collect(),
            factors: factors.into_iter().map(&cast).collect(),
            score_kind: model.score.kind,
            offset: cast(model.score.offset),
            scale: cast(model.score.scale),
            threshold: cast(model.score.threshold),
        }
    }
}

impl DeviceModel<f32> {
    /// The model's data rounded to f32 (round to nearest). Validation guarantees every value
    /// is finite in f32 and every Cholesky diagonal a positive normal f32.
    pub fn f32(model: &Model) -> DeviceModel<f32> {
        DeviceModel::convert(model, |v| v as f32)
    }
}

impl DeviceModel<f64> {
    /// The model's data in f64.
    pub fn f64(model: &Model) -> DeviceModel<f64> {
        DeviceModel::convert(model, |v| v)
    }
}
