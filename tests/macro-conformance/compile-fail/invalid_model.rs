gmmc_runtime::include_gmm!(pub static DETECTOR = "models/invalid.json");

fn main() {}
