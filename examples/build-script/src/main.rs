//! Scores a CSV of motor frames with the detector that `build.rs` generated from
//! `models/motor.json`, and prints one line per row plus a summary.
//!
//! ```text
//! cargo run -p gmmc-example-build-script -- examples/data/motor-test.csv
//! ```

use std::process::ExitCode;

// The generated `pub static MOTOR: gmmc_runtime::Detector<…>`.
include!(concat!(env!("OUT_DIR"), "/motor_detector.rs"));

/// Input values per row (the CSV may have extra trailing columns, such as a label).
const N_INPUTS: usize = MOTOR.n_inputs();

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: gmmc-example-build-script FRAMES.csv");
        return ExitCode::FAILURE;
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("error: cannot read {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (mut rows, mut anomalies) = (0usize, 0usize);
    println!("row,score,is_anomaly");
    for (i, line) in text.lines().enumerate().skip(1) {
        let mut frame = [f32::NAN; N_INPUTS];
        for (slot, field) in frame.iter_mut().zip(line.split(',')) {
            // An unreadable value stays NaN, which the detector scores as an anomaly.
            *slot = field.trim().parse().unwrap_or(f32::NAN);
        }
        let score = MOTOR.score_inputs(&frame);
        let anomaly = score > MOTOR.threshold();
        println!("{},{score},{}", i + 1, u8::from(anomaly));
        rows += 1;
        anomalies += usize::from(anomaly);
    }
    eprintln!(
        "{anomalies} of {rows} rows are anomalies (threshold {})",
        MOTOR.threshold()
    );
    ExitCode::SUCCESS
}
