//! Any bytes as a model file: an error or a valid model, never a panic; a loaded model
//! round-trips through its JSON and scores any input without NaN.
#![no_main]

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
});
