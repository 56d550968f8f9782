//! One module per subcommand: its arguments (clap derive) and what it does.

pub mod emit;
pub mod import;
pub mod inspect;
pub mod score;
pub mod train;
