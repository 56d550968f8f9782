gmmc_runtime::include_gmm!(pub static DETECTOR = "models/does-not-exist.json");

fn main() {}
