//! One module per subcommand: its arguments (clap derive) and what it does.

pub mod axes;
pub mod emit;
pub mod import;
pub mod inspect;
pub mod plot;
pub mod score;
pub mod test;
pub mod threshold;
pub mod train;
