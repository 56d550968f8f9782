// The model has 2 features; a 3-element input does not compile.
gmmc_runtime::include_gmm!(static DETECTOR = "models/valid.json");

fn main() {
    let _ = DETECTOR.score(&[1.0, 2.0, 3.0]);
}
