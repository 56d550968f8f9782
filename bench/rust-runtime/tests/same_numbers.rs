//! The emitted C header the benchmark compares against computes what the runtime computes on
//! the same model and rows: log-likelihoods agree to f32 rounding (the same sums in the same
//! order, but `libm`'s `expf`/`logf` and the C library's may round a last bit differently, so
//! not always bit for bit). Under `CI` a missing C compiler is a failure, not a skip.

use gmmc_bench_rust_runtime::{
    C_BENCH, FULL_K4_D8, FULL_K4_D8_INPUTS, FULL_K8_D32, FULL_K8_D32_INPUTS,
};

fn c_log_likelihoods(name: &str) -> Vec<f32> {
    let out = std::process::Command::new(C_BENCH)
        .args(["check", name])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect()
}

#[test]
fn c_and_rust_scorers_agree() {
    if C_BENCH.is_empty() {
        assert!(
            std::env::var_os("CI").is_none(),
            "no working C compiler: the benchmark's C side was not built"
        );
        eprintln!("no C compiler: skipped");
        return;
    }
    let small: Vec<f32> = FULL_K4_D8_INPUTS
        .iter()
        .map(|x| FULL_K4_D8.log_likelihood(x))
        .collect();
    let large: Vec<f32> = FULL_K8_D32_INPUTS
        .iter()
        .map(|x| FULL_K8_D32.log_likelihood(x))
        .collect();
    for (name, rust) in [("full_k4_d8", small), ("full_k8_d32", large)] {
        let c = c_log_likelihoods(name);
        assert_eq!(c.len(), rust.len());
        let mut identical = 0;
        for (a, b) in rust.iter().zip(&c) {
            assert!(a.is_finite(), "{name}: {a}");
            assert!(
                (a - b).abs() <= 1e-5 * a.abs().max(1.0),
                "{name}: rust {a}, C {b}"
            );
            identical += usize::from(a.to_bits() == b.to_bits());
        }
        eprintln!("{name}: {identical} of {} bit-identical", rust.len());
    }
}
