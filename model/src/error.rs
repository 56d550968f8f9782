//! Errors from reading and validating a model file.

/// Why a model file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The text is not JSON, or not a model object (serde's message carries line and column).
    #[error("not a valid gmmc model file: {0}")]
    Json(#[from] serde_json::Error),
    /// A field has a value that the format does not allow.
    #[error("field `{field}`: {reason}")]
    Invalid {
        /// The JSON path of the offending value, for instance `means[2][1]`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl ModelError {
    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ModelError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}
