// The expression form reports on its path literal too.
fn main() {
    let detector = gmmc_runtime::include_gmm!("models/nope.json");
    let _ = detector.score(&[0.0, 0.0]);
}
