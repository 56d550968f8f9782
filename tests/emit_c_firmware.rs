//! The emitted f32 header on its real target: built for a Cortex-M4F (hard float,
//! fpv4-sp-d16) with arm-none-eabi-gcc and newlib, run under qemu-system-arm (machine
//! mps2-an386) with semihosting, over the same reference rows as the host test. Results must be
//! within 1e-5 of scikit-learn and of the host build, hostile rows must score +inf, and the
//! scorer must call nothing but `expf` and `logf` (no soft-double helpers, no other libm).
//!
//! The start-up code and linker script are the test's own (`tests/firmware/`). Without the
//! toolchain the test prints a notice and passes, unless `GMMC_REQUIRE_FIRMWARE_TESTS=1`
//! (set by `.ci/run`), which makes a missing toolchain a failure.

mod c_support;
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use c_support::{
    C_FLAGS, Layout, Output, check_outputs, device_exact_log_likelihood, parse_output, rel_err,
    run, setup, write_program,
};
use gmmc::emit::{COptions, Precision};
use gmmc_model::ScoreKind;
use gmmc_model::device::DeviceModel;

const ARCH: &[&str] = &[
    "-mcpu=cortex-m4",
    "-mthumb",
    "-mfloat-abi=hard",
    "-mfpu=fpv4-sp-d16",
];

/// Cases run on the target: every covariance type and input layout, the 1e4-scaled data, the
/// loop kernel (D = 20), and the input-limited offset case (checked against the device-exact
/// value, as on the host).
const CASES: &[(&str, ScoreKind, Layout, &str)] = &[
    ("em-full", ScoreKind::Normalized, Layout::Scattered, "pump"),
    ("em-tied", ScoreKind::EdgeImpulse, Layout::Offset, "gmm"),
    ("em-diag", ScoreKind::Nll, Layout::Identity, "gmm"),
    ("em-spherical", ScoreKind::Normalized, Layout::Offset, "sph"),
    ("fit-full", ScoreKind::Normalized, Layout::Identity, "gmm"),
    ("scaled-full", ScoreKind::Nll, Layout::Scattered, "big"),
    ("wide-full", ScoreKind::Normalized, Layout::Identity, "wide"),
    (
        "em-offset-full",
        ScoreKind::Normalized,
        Layout::Identity,
        "gmm",
    ),
];

fn firmware_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/firmware")
}

/// Why the cross toolchain cannot be used, if it cannot.
fn missing_toolchain() -> Option<String> {
    for tool in ["arm-none-eabi-gcc", "arm-none-eabi-nm", "qemu-system-arm"] {
        if !c_support::available(tool) {
            return Some(format!("`{tool}` not found"));
        }
    }
    // newlib's semihosting library must be installed next to the compiler.
    let lib = Command::new("arm-none-eabi-gcc")
        .args(ARCH)
        .arg("-print-file-name=librdimon.a")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    if !Path::new(&lib).is_absolute() || !Path::new(&lib).exists() {
        return Some("newlib (librdimon.a) not found for arm-none-eabi-gcc".into());
    }
    None
}

/// True when the test can run; otherwise a notice, or a failure under
/// `GMMC_REQUIRE_FIRMWARE_TESTS=1`.
fn toolchain_ready() -> bool {
    let Some(why) = missing_toolchain() else {
        return true;
    };
    let required = std::env::var("GMMC_REQUIRE_FIRMWARE_TESTS").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "GMMC_REQUIRE_FIRMWARE_TESTS=1 but the Cortex-M toolchain is missing: {why} \
         (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)"
    );
    eprintln!(
        "NOTICE: skipping the Cortex-M4F tests: {why}. Install gcc-arm-none-eabi, \
         libnewlib-arm-none-eabi and qemu-system-arm to run them \
         (GMMC_REQUIRE_FIRMWARE_TESTS=1 makes this a failure)."
    );
    false
}

fn tool(program: &str, args: &[&str], extra: &[PathBuf]) -> String {
    let mut cmd = Command::new(program);
    cmd.args(args).args(extra);
    run(&mut cmd, Duration::from_secs(120))
}

/// Compiles the program's C files (header warnings as errors, as on the host) and the
/// start-up code, links them for the mps2-an386 board and returns the ELF and the object of
/// the second translation unit (which holds only the header's code).
fn build_firmware(dir: &Path, files: &[PathBuf]) -> (PathBuf, PathBuf) {
    let fw = firmware_dir();
    let mut objects = Vec::new();
    for src in files {
        let obj = src.with_extension("o");
        let mut args: Vec<&str> = ARCH.to_vec();
        args.extend(C_FLAGS);
        args.extend(["-ffunction-sections", "-fdata-sections", "-c"]);
        let mut cmd = Command::new("arm-none-eabi-gcc");
        cmd.args(&args).arg(src).arg("-o").arg(&obj);
        run(&mut cmd, Duration::from_secs(120));
        objects.push(obj);
    }
    let startup = dir.join("startup.o");
    let mut cmd = Command::new("arm-none-eabi-gcc");
    cmd.args(ARCH)
        .args(["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-c"])
        .arg(fw.join("startup.c"))
        .arg("-o")
        .arg(&startup);
    run(&mut cmd, Duration::from_secs(60));
    let elf = dir.join("firmware.elf");
    let mut cmd = Command::new("arm-none-eabi-gcc");
    cmd.args(ARCH)
        .args([
            "-nostartfiles",
            "--specs=rdimon.specs",
            "-Wl,--gc-sections",
            "-T",
        ])
        .arg(fw.join("cortex-m4.ld"))
        .arg(&startup)
        .args(&objects)
        .args(["-lm", "-o"])
        .arg(&elf);
    run(&mut cmd, Duration::from_secs(120));
    let tu2 = objects
        .iter()
        .find(|o| o.file_name().is_some_and(|n| n == "tu2.o"))
        .unwrap()
        .clone();
    (elf, tu2)
}

fn run_qemu(elf: &Path) -> String {
    let mut cmd = Command::new("qemu-system-arm");
    cmd.args([
        "-M",
        "mps2-an386",
        "-nographic",
        "-monitor",
        "none",
        "-serial",
        "none",
        "-semihosting-config",
        "enable=on,target=native",
        "-kernel",
    ])
    .arg(elf);
    run(&mut cmd, Duration::from_secs(300))
}

fn host_outputs(dir: &Path, files: &[PathBuf], n_rows: usize) -> Vec<Output> {
    let exe = dir.join("host");
    let mut cmd = Command::new("gcc");
    cmd.args(C_FLAGS).args(files).args(["-lm", "-o"]).arg(&exe);
    run(&mut cmd, Duration::from_secs(120));
    parse_output(
        &run(&mut Command::new(&exe), Duration::from_secs(60)),
        n_rows,
        Precision::F32,
    )
}

#[test]
fn cortex_m4f_matches_scikit_learn_and_the_host() {
    if !toolchain_ready() {
        return;
    }
    for &(name, kind, layout, prefix) in CASES {
        let s = setup(name, kind, layout);
        let dir = tempfile::tempdir().unwrap();
        let options = COptions {
            prefix: prefix.into(),
            ..COptions::default()
        };
        let files = write_program(dir.path(), &s, &options);
        let (elf, tu2) = build_firmware(dir.path(), &files);

        // The header's code (all of tu2.o) may call expf and logf and nothing else: no
        // double-precision helpers (__aeabi_d*), no other library function.
        let undefined = tool("arm-none-eabi-nm", &["-u"], &[tu2]);
        let calls: Vec<&str> = undefined
            .lines()
            .filter_map(|l| l.split_whitespace().last())
            .collect();
        assert!(
            calls.iter().all(|c| *c == "expf" || *c == "logf"),
            "{name}: the header's code calls {calls:?}"
        );

        let target = parse_output(&run_qemu(&elf), s.n_rows(), Precision::F32);
        let what = "Cortex-M4F";
        let dev = DeviceModel::<f32>::f32(&s.model);
        let arith = check_outputs(&s, &target, Precision::F32, 1e-5, what, |i| {
            device_exact_log_likelihood(&dev, s.row(i))
        });
        let sk = if name == "em-offset-full" {
            f64::NAN // input-limited: see emit_c_host.rs
        } else {
            check_outputs(&s, &target, Precision::F32, 1e-5, what, |i| s.expected[i])
        };

        let host = host_outputs(dir.path(), &files, s.n_rows());
        let mut vs_host = 0.0f64;
        for (i, (t, h)) in target.iter().zip(&host).enumerate() {
            let e = rel_err(t.log_likelihood, h.log_likelihood);
            assert!(
                e <= 1e-5,
                "{name} row {i}: target {t:?} vs host {h:?} (relative error {e:e})"
            );
            // Rows whose score is within rounding of the threshold may land on either side.
            let margin = 1e-5 * s.model.score.threshold.abs().max(1.0);
            if (h.score - s.model.score.threshold).abs() > margin {
                assert_eq!(t.is_anomaly, h.is_anomaly, "{name} row {i}: {t:?} vs {h:?}");
            }
            vs_host = vs_host.max(e);
        }
        eprintln!(
            "{name} on Cortex-M4F: max error {sk:.2e} vs scikit-learn, {arith:.2e} arithmetic, \
             {vs_host:.2e} vs host"
        );
    }
}
