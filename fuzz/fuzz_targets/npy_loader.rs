//! Any bytes after the NumPy magic as a `.npy` file: a table or an error, never a panic, and
//! never an allocation from a shape the file merely claims.
#![no_main]

use gmmc::data::{self, LoadOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut bytes = b"\x93NUMPY".to_vec();
    bytes.extend_from_slice(data);
    for input in [data, &bytes[..]] {
        if let Ok(t) = data::load_bytes(input, "fuzz.npy", &LoadOptions::default()) {
            assert_eq!(t.values.len(), t.n_rows * t.n_columns());
            assert!(t.values.len() * 4 <= input.len());
        }
    }
});
