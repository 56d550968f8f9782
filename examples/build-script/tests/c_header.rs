//! The C header that `build.rs` wrote next to the Rust source scores the example test data as
//! the Rust detector does: both are compiled from the same model file, in f32.

use std::io::Write;
use std::process::{Command, Stdio};

/// A C program that reads CSV rows (header skipped) on stdin and prints one score per row.
const PROGRAM: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "motor_detector.h"

int main(void) {
    char line[4096];
    if (!fgets(line, sizeof line, stdin)) return 1; /* header */
    while (fgets(line, sizeof line, stdin)) {
        float inputs[MOTOR_N_INPUTS];
        char *p = line;
        for (int i = 0; i < MOTOR_N_INPUTS; i++) {
            inputs[i] = strtof(p, &p);
            if (*p == ',') p++;
        }
        printf("%.9g %d\n", (double)motor_score_inputs(inputs), motor_is_anomaly_inputs(inputs));
    }
    return 0;
}
"#;

#[test]
fn header_from_build_script_scores_like_the_rust_detector() {
    let header = std::path::Path::new(env!("MOTOR_DETECTOR_H"));
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("main.c");
    std::fs::write(&source, PROGRAM).unwrap();
    let exe = dir.path().join("motor");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let compiled = Command::new(&cc)
        .args(["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-I"])
        .arg(header.parent().unwrap())
        .arg(&source)
        .arg("-o")
        .arg(&exe)
        .arg("-lm")
        .output();
    let compiled = match compiled {
        Ok(out) => out,
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("skipped: no C compiler `{cc}` ({e})");
            return;
        }
        Err(e) => panic!("no C compiler `{cc}`: {e}"),
    };
    assert!(
        compiled.status.success(),
        "{}",
        String::from_utf8_lossy(&compiled.stderr)
    );

    let manifest = env!("CARGO_MANIFEST_DIR");
    let data = std::fs::read(format!("{manifest}/../data/motor-test.csv")).unwrap();
    let mut child = Command::new(&exe)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&data).unwrap();
    let c_out = child.wait_with_output().unwrap();
    assert!(c_out.status.success());
    let rust_out = Command::new(env!("CARGO_BIN_EXE_gmmc-example-build-script"))
        .arg(format!("{manifest}/../data/motor-test.csv"))
        .output()
        .unwrap();
    assert!(rust_out.status.success());

    let c_text = String::from_utf8(c_out.stdout).unwrap();
    let rust_text = String::from_utf8(rust_out.stdout).unwrap();
    let c_lines: Vec<&str> = c_text.lines().collect();
    let rust_lines: Vec<&str> = rust_text.lines().skip(1).collect();
    assert_eq!(c_lines.len(), 800);
    assert_eq!(c_lines.len(), rust_lines.len());
    for (c_line, rust_line) in c_lines.iter().zip(&rust_lines) {
        let (c_score, c_flag) = c_line.split_once(' ').unwrap();
        let fields: Vec<&str> = rust_line.split(',').collect();
        let (c_score, rust_score): (f32, f32) =
            (c_score.parse().unwrap(), fields[1].parse().unwrap());
        // Same f32 model, same kernel layout: equal up to the order of float operations.
        assert!(
            (c_score - rust_score).abs() <= 1e-5 * rust_score.abs().max(1.0),
            "C {c_line} vs Rust {rust_line}"
        );
        assert_eq!(c_flag, fields[2], "C {c_line} vs Rust {rust_line}");
    }
}
