//! The embedded detector scores the example test data as the CLI's f64 reference scorer does,
//! and the monitor debounces as documented.

use gmmc_example_no_std_firmware::{FRAME_LEN, MOTOR, Monitor, Status, score};

fn manifest_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The frames of `examples/data/motor-test.csv` (label column dropped), with their labels.
fn test_frames() -> Vec<([f64; FRAME_LEN], bool)> {
    let text = std::fs::read_to_string(manifest_dir().join("../data/motor-test.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            let values: [f64; FRAME_LEN] = core::array::from_fn(|j| fields[j].parse().unwrap());
            (values, fields[FRAME_LEN] == "anomaly")
        })
        .collect()
}

#[test]
fn scores_match_the_reference_scorer() {
    let model = gmmc_model::Model::from_json(
        &std::fs::read_to_string(manifest_dir().join("models/motor.json")).unwrap(),
    )
    .unwrap();
    let mut flagged = 0;
    let mut flagged_by_reference = 0;
    let mut faults = 0;
    for (values, is_fault) in test_frames() {
        let frame: [f32; FRAME_LEN] = core::array::from_fn(|j| values[j] as f32);
        // The reference scores the same f32-rounded inputs in f64.
        let input: Vec<f64> = frame.iter().map(|&v| v as f64).collect();
        let expected = model.score(&input);
        let got = score(&frame) as f64;
        let err = (got - expected).abs() / expected.abs().max(1.0);
        assert!(err < 1e-4, "{values:?}: {got} vs {expected}");
        if (expected - model.score.threshold).abs() > 1e-3 {
            assert_eq!(
                MOTOR.is_anomaly_inputs(&frame),
                expected > model.score.threshold
            );
        }
        faults += usize::from(is_fault);
        flagged += usize::from(MOTOR.is_anomaly_inputs(&frame));
        flagged_by_reference += usize::from(expected > model.score.threshold);
    }
    assert_eq!(faults, 30);
    assert_eq!(flagged, flagged_by_reference);
}

#[test]
fn alarm_needs_consecutive_anomalies_and_broken_sensors_count() {
    let normal = test_frames()
        .into_iter()
        .find(|(v, fault)| {
            !fault && !MOTOR.is_anomaly_inputs(&core::array::from_fn(|j| v[j] as f32))
        })
        .map(|(v, _)| core::array::from_fn::<f32, FRAME_LEN, _>(|j| v[j] as f32))
        .unwrap();
    let mut broken = normal;
    broken[3] = f32::NAN;
    let mut m = Monitor::new();
    assert_eq!(m.update(&normal), Status::Normal);
    assert_eq!(m.update(&broken), Status::Suspect);
    assert_eq!(m.update(&broken), Status::Suspect);
    assert_eq!(m.update(&broken), Status::Alarm);
    assert_eq!(m.update(&broken), Status::Alarm);
    assert_eq!(m.update(&normal), Status::Normal);
    assert_eq!(score(&broken), f32::INFINITY);
}
