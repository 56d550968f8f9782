gmmc_runtime::include_gmm!(pub static DETECTOR = "models/malformed.json");

fn main() {}
