//! A `#![no_std]` firmware library that watches a pump motor with a Gaussian-mixture anomaly
//! detector embedded at compile time.
//!
//! One line embeds the model: [`MOTOR`] is a `static` `gmmc_runtime::Detector` built from
//! `models/motor.json` while compiling (no allocation, no file system, no parsing on the
//! device). The rest is what firmware typically adds around a detector: an alarm that fires
//! only after several anomalous frames in a row, so that a single glitch does not trip it.
//!
//! Build it for a Cortex-M4F with
//! `cargo build -p gmmc-example-no-std-firmware --target thumbv7em-none-eabihf`.
#![no_std]
#![forbid(unsafe_code)]

gmmc_runtime::include_gmm!(pub static MOTOR = "models/motor.json");

/// Values in one frame of the DSP pipeline: the model's input vector (rpm, RMS per axis,
/// peak-to-peak, kurtosis, band energies, spectral centroid).
pub const FRAME_LEN: usize = 11;

/// Anomalous frames in a row that raise the alarm.
pub const ALARM_AFTER: u8 = 3;

/// What the monitor concludes from the latest frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// The frame looks like normal operation.
    Normal,
    /// The frame is anomalous, but not yet for long enough to alarm.
    Suspect,
    /// `ALARM_AFTER` or more anomalous frames in a row.
    Alarm,
}

/// Debounced anomaly alarm over a stream of frames.
#[derive(Clone, Debug, Default)]
pub struct Monitor {
    anomalous_in_a_row: u8,
}

impl Monitor {
    /// A monitor that has seen nothing yet.
    pub const fn new() -> Monitor {
        Monitor {
            anomalous_in_a_row: 0,
        }
    }

    /// Scores one frame and updates the alarm. A frame with a NaN or infinite value (a broken
    /// sensor) counts as anomalous.
    pub fn update(&mut self, frame: &[f32; FRAME_LEN]) -> Status {
        if MOTOR.is_anomaly_inputs(frame) {
            self.anomalous_in_a_row = self.anomalous_in_a_row.saturating_add(1);
        } else {
            self.anomalous_in_a_row = 0;
        }
        match self.anomalous_in_a_row {
            0 => Status::Normal,
            n if n < ALARM_AFTER => Status::Suspect,
            _ => Status::Alarm,
        }
    }
}

/// The anomaly score of one frame (higher is more anomalous; above
/// `MOTOR.threshold()` is an anomaly), for logging or telemetry.
pub fn score(frame: &[f32; FRAME_LEN]) -> f32 {
    MOTOR.score_inputs(frame)
}
