//! Any bytes as a CSV file, with and without a label column and an axes selection: a table or
//! an error, never a panic, and a table's shape agrees with itself.
#![no_main]

use gmmc::data::{self, LoadOptions, Selection};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let variants = [
        LoadOptions {
            label_column: None,
            selection: Selection::All,
        },
        LoadOptions {
            label_column: Some("label".into()),
            selection: Selection::All,
        },
        LoadOptions {
            label_column: None,
            selection: Selection::Axes("b,0".into()),
        },
    ];
    for options in &variants {
        if let Ok(t) = data::load_bytes(data, "fuzz.csv", options) {
            assert_eq!(t.values.len(), t.n_rows * t.n_columns());
            assert_eq!(t.columns.len(), t.axes.len());
            assert!(t.axes.iter().all(|&a| a < t.input_columns.len()));
            if let Some(labels) = &t.labels {
                assert_eq!(labels.len(), t.n_rows);
            }
            let _ = t.check_finite();
        }
    }
});
