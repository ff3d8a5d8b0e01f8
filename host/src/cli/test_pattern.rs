//! `glue-rules test-pattern`: does an EventBridge pattern match an event, and if not, why.

use clap::Args;
use glue_rules::runtime::event::Event;
use glue_rules_patterns::{Explanation, Pattern};

use super::exit;

#[derive(Debug, Args)]
pub(crate) struct TestPatternArgs {
    /// The event pattern: a file, or inline JSON text.
    #[arg(value_name = "PATTERN")]
    pattern: String,
    /// The event: a file, or inline JSON text.
    #[arg(value_name = "EVENT")]
    event: String,
}

/// Inline JSON when the argument looks like an object, a file's contents otherwise.
fn text_of(what: &str, arg: &str) -> anyhow::Result<String> {
    if arg.trim_start().starts_with('{') {
        return Ok(arg.to_owned());
    }
    std::fs::read_to_string(arg).map_err(|e| {
        anyhow::anyhow!("{what} {arg:?}: neither inline JSON nor a readable file: {e}")
    })
}

pub(crate) fn run(args: TestPatternArgs) -> anyhow::Result<u8> {
    let pattern = Pattern::parse(&text_of("pattern", &args.pattern)?)?;
    let text = text_of("event", &args.event)?;
    // The envelope is validated as glue-rules would, so an event that would be refused at
    // intake is reported as such rather than quietly matched.
    let event = Event::parse(text.as_bytes(), usize::MAX)?;
    match pattern.explain(event.document()) {
        Explanation::Match => {
            println!("match");
            Ok(exit::OK)
        }
        no_match => {
            println!("{no_match}");
            Ok(exit::PLUGIN_FAILED)
        }
    }
}
