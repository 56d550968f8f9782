//! Any bytes as a model file: an error or a valid model, never a panic; a loaded model
//! round-trips through its JSON, scores any input without NaN, and compiles to C (f32 and f64)
//! and Rust without a panic and without a NaN or infinite literal.
#![no_main]

use gmmc::emit::{self, COptions, Precision, RustOptions};
use gmmc_model::Model;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(model) = Model::from_slice(data) else {
        return;
    };
    let again = Model::from_json(&model.to_json()).expect("a loaded model's JSON reloads");
    assert_eq!(again, model);
    let probes = [0.0, 1.0, -1e30, f64::NAN, f64::INFINITY];
    for p in probes {
        let x = vec![p; model.n_features];
        let s = model.score(&x);
        assert!(!s.is_nan(), "score {s} for {p}");
    }
    for precision in [Precision::F32, Precision::F64] {
        let options = COptions {
            precision,
            ..COptions::default()
        };
        if let Ok(header) = emit::c(&model, &options) {
            let code = without_comments(&header).to_ascii_lowercase();
            assert!(!code.contains("nan") && !code.contains("inf"), "{header}");
        }
    }
    if let Ok(source) = emit::rust(&model, &RustOptions::default()) {
        assert!(
            !source.contains("NAN") && !source.contains("INFINITY"),
            "{source}"
        );
    }
});

/// C source without its `/* … */` and `// …` comments (the header has no string literals).
fn without_comments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("/*") {
            let end = after.find("*/").expect("every comment is closed");
            rest = &after[end + 2..];
        } else if rest.starts_with("//") {
            rest = rest.find('\n').map_or("", |n| &rest[n..]);
        } else {
            let mut chars = rest.chars();
            out.extend(chars.next());
            rest = chars.as_str();
        }
    }
    out
}
