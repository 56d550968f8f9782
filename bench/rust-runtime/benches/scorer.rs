//! ns per score: gmmc-runtime's `Full` scorer (the code `gmmc emit rust` / `include_gmm!`
//! produce) beside the C header `gmmc emit c` writes for the same model (`c/bench.c` includes
//! it; gcc -O2), for K=4 D=8 and K=8 D=32. Each side runs the same loop over the same 1024
//! input rows, in passes of about 2 ms (short, so that few are interrupted by other jobs); a
//! round takes the median of 7 passes per side, the C side in a fresh process that first makes
//! one untimed pass (so its caches are as warm as the Rust side's). 31 rounds alternate which
//! side goes first, so that load from other jobs hits both alike. Printed: each side's median
//! over the rounds and the median of the per-round ratios. Run with
//! `cargo bench -p gmmc-bench-rust-runtime`.

use std::hint::black_box;
use std::process::Command;
use std::time::Instant;

use gmmc_bench_rust_runtime::{
    C_BENCH, C_COMPILER, FULL_K4_D8, FULL_K4_D8_INPUTS, FULL_K8_D32, FULL_K8_D32_INPUTS,
};
use gmmc_runtime::{Detector, Mixture};

/// Timed passes per side in one round (each side's figure for the round is their median).
const TRIALS: usize = 7;
/// Rounds, alternating which side goes first.
const ROUNDS: usize = 31;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// One timed pass: ns per score over `reps` passes of the rows.
fn rust_pass<M: Mixture<D>, const D: usize, const N: usize>(
    det: &Detector<M, D, N>,
    rows: &[[f32; D]],
    reps: usize,
) -> f64 {
    let mut acc = 0.0f32;
    let start = Instant::now();
    for _ in 0..reps {
        for x in rows {
            acc += det.score(black_box(x));
        }
    }
    let elapsed = start.elapsed().as_nanos() as f64;
    black_box(acc);
    elapsed / (reps * rows.len()) as f64
}

fn rust_median<M: Mixture<D>, const D: usize, const N: usize>(
    det: &Detector<M, D, N>,
    rows: &[[f32; D]],
    reps: usize,
) -> f64 {
    median((0..TRIALS).map(|_| rust_pass(det, rows, reps)).collect())
}

fn c_median(name: &str, reps: usize) -> Option<f64> {
    if C_BENCH.is_empty() {
        return None;
    }
    let out = Command::new(C_BENCH)
        .args(["time", name, &TRIALS.to_string(), &reps.to_string()])
        .output()
        .ok()?;
    String::from_utf8(out.stdout).ok()?.trim().parse().ok()
}

/// Passes per timing so that one timing takes about 2 ms.
fn reps_for<M: Mixture<D>, const D: usize, const N: usize>(
    det: &Detector<M, D, N>,
    rows: &[[f32; D]],
) -> usize {
    let ns = rust_pass(det, rows, 3);
    ((2e6 / (ns * rows.len() as f64)) as usize).max(1)
}

fn compare<M: Mixture<D>, const D: usize, const N: usize>(
    label: &str,
    name: &str,
    det: &Detector<M, D, N>,
    rows: &[[f32; D]],
) {
    let reps = reps_for(det, rows);
    let mut rust = Vec::new();
    let mut c = Vec::new();
    let mut ratios = Vec::new();
    for round in 0..ROUNDS {
        // Alternate which side goes first.
        let (r, cv) = if round % 2 == 0 {
            let r = rust_median(det, rows, reps);
            (r, c_median(name, reps))
        } else {
            let cv = c_median(name, reps);
            (rust_median(det, rows, reps), cv)
        };
        rust.push(r);
        if let Some(cv) = cv {
            c.push(cv);
            ratios.push(r / cv);
        }
    }
    let r = median(rust);
    if c.is_empty() {
        println!("| {label} | {r:.1} | (no C compiler) | |");
    } else {
        println!(
            "| {label} | {r:.1} | {:.1} | {:.2} |",
            median(c),
            median(ratios)
        );
    }
}

fn machine() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

fn main() {
    println!(
        "machine: {}, {} threads available; C compiler: {C_COMPILER}; \
         {ROUNDS} alternating rounds of {TRIALS} timings per side",
        machine(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "| model (full) | Rust runtime ns/score | emitted C header (-O2) ns/score | Rust / C \
         (median of per-round ratios) |"
    );
    println!("|---|---:|---:|---:|");
    compare("K=4, D=8", "full_k4_d8", &FULL_K4_D8, &FULL_K4_D8_INPUTS);
    compare(
        "K=8, D=32",
        "full_k8_d32",
        &FULL_K8_D32,
        &FULL_K8_D32_INPUTS,
    );
}
