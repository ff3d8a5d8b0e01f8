//! The `glue-rules` command: a thin layer of argument parsing and printing over the library.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
