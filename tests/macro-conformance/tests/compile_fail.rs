//! Compile-fail tests for `include_gmm!`: each program in `compile-fail/` must fail to
//! compile with exactly the messages in its `.stderr` file (paths normalised to `$DIR`).
//!
//! The programs are built as binaries of a scratch crate (under `CARGO_TARGET_TMPDIR`) whose
//! `models/` folder is a copy of `compile-fail/models/`, so the macro resolves paths against
//! a real `CARGO_MANIFEST_DIR` exactly as in a user's crate. To accept new messages after a
//! deliberate change, run with `GMMC_BLESS=1`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn here() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

fn runtime_dir() -> PathBuf {
    here().join("../../runtime").canonicalize().unwrap()
}

/// The scratch crate, with every case as a binary.
fn scratch_crate(cases: &[String]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("compile-fail");
    let _ = std::fs::remove_dir_all(dir.join("src"));
    std::fs::create_dir_all(dir.join("src/bin")).unwrap();
    let runtime = runtime_dir();
    let manifest = format!(
        "[package]\nname = \"gmmc-compile-fail\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\
         publish = false\n\n[dependencies]\ngmmc-runtime = {{ path = {:?}, features = [\"macros\"] }}\n\n\
         [workspace]\n",
        runtime.display().to_string()
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    // The workspace's lock file pins the same dependency versions, so the build is offline.
    std::fs::copy(here().join("../../Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    copy_dir(&here().join("compile-fail/models"), &dir.join("models"));
    for case in cases {
        std::fs::copy(
            here().join(format!("compile-fail/{case}.rs")),
            dir.join(format!("src/bin/{case}.rs")),
        )
        .unwrap();
    }
    dir
}

/// rustc's messages for one case, with the scratch crate's path replaced by `$DIR` and
/// cargo's own summary line dropped.
fn compile_errors(dir: &Path, case: &str) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["build", "--quiet", "--offline", "--bin", case])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env("CARGO_TERM_COLOR", "never")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .unwrap();
    assert!(!out.status.success(), "{case} compiled, but it must not");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let root = dir.display().to_string();
    let mut lines = Vec::new();
    let mut in_runtime_note = false;
    for line in stderr.lines() {
        // rustc's pointer into the runtime's own source ("note: method defined here") would
        // tie the expectations to line numbers of another crate: drop that block.
        if line.starts_with("note: method defined here") {
            in_runtime_note = true;
        } else if in_runtime_note && line.trim().is_empty() {
            in_runtime_note = false;
            continue;
        }
        if in_runtime_note || line.starts_with("error: could not compile") {
            continue;
        }
        lines.push(line.replace(&root, "$DIR"));
    }
    lines.join("\n").trim().to_string() + "\n"
}

#[test]
fn compile_errors_name_the_file_and_the_cause() {
    let mut cases: Vec<String> = std::fs::read_dir(here().join("compile-fail"))
        .unwrap()
        .filter_map(|e| {
            let path = e.unwrap().path();
            (path.extension()? == "rs").then(|| path.file_stem()?.to_str().map(String::from))?
        })
        .collect();
    cases.sort();
    assert!(cases.len() >= 4, "{cases:?}");
    let dir = scratch_crate(&cases);
    let bless = std::env::var_os("GMMC_BLESS").is_some();
    let mut failures = Vec::new();
    for case in &cases {
        let got = compile_errors(&dir, case);
        let path = here().join(format!("compile-fail/{case}.stderr"));
        if bless {
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        if got != expected {
            failures.push(format!("{case}: expected\n{expected}\n-- got --\n{got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
