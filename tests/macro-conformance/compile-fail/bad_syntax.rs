// Neither a path literal nor `static|const NAME = "path"`.
gmmc_runtime::include_gmm!(pub DETECTOR = "models/valid.json");

fn main() {}
