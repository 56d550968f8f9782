//! The example binary scores the example test data as the CLI's f64 reference scorer does.

use std::process::Command;

#[test]
fn scores_the_example_test_data_like_the_reference() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let data = std::fs::read_to_string(format!("{dir}/../data/motor-test.csv")).unwrap();
    let model = gmmc_model::Model::from_json(
        &std::fs::read_to_string(format!("{dir}/models/motor.json")).unwrap(),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gmmc-example-build-script"))
        .arg(format!("{dir}/../data/motor-test.csv"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "row,score,is_anomaly");
    assert_eq!(lines.len(), 801);
    let mut flagged = 0;
    for (line, row) in lines[1..].iter().zip(data.lines().skip(1)) {
        let fields: Vec<&str> = line.split(',').collect();
        let score: f64 = fields[1].parse().unwrap();
        // The reference scores the same f32-rounded inputs in f64.
        let input: Vec<f64> = row
            .split(',')
            .take(model.n_inputs)
            .map(|v| v.parse::<f32>().unwrap() as f64)
            .collect();
        let expected = model.score(&input);
        assert!(
            (score - expected).abs() / expected.abs().max(1.0) < 1e-4,
            "{line}: expected {expected}"
        );
        flagged += usize::from(fields[2] == "1");
    }
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with(&format!("{flagged} of 800 rows are anomalies")),
        "{stderr}"
    );
}
