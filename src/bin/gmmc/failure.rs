//! The one error type of the command line: a message for the user, printed as
//! `error: <message>` with exit status 1.

use std::fmt;
use std::path::Path;

use gmmc::model::Model;

/// A failed command, with the sentence to print.
#[derive(Debug)]
pub struct Failure(pub String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Failure {
    /// A failure with this message.
    pub fn new(message: impl Into<String>) -> Failure {
        Failure(message.into())
    }
}

impl From<gmmc::data::DataError> for Failure {
    fn from(e: gmmc::data::DataError) -> Self {
        Failure(e.to_string())
    }
}

/// Reads and validates a model file; the message names the file.
pub fn load_model(path: &Path) -> Result<Model, Failure> {
    let bytes = std::fs::read(path)
        .map_err(|e| Failure(format!("cannot read model {}: {e}", path.display())))?;
    Model::from_slice(&bytes).map_err(|e| Failure(format!("{}: {e}", path.display())))
}

/// Writes an output file atomically; the message names the file.
pub fn write_output(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    write_outputs(&[(path, bytes)])
}

/// Writes several output files, all of them or (on failure) none; the message names the file
/// that could not be written.
pub fn write_outputs(files: &[(&Path, &[u8])]) -> Result<(), Failure> {
    gmmc::output::write_all_atomic(files).map_err(|e| Failure(e.to_string()))
}
