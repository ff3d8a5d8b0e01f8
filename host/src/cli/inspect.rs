//! `glue-rules inspect`: what a component is and what it says about itself.

use std::path::PathBuf;

use clap::Args;
use glue_rules::config::Config;
use glue_rules::runtime::plugin::{Plugin, component_interface};

use super::exit;

#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// The component to inspect.
    #[arg(value_name = "FILE.wasm")]
    file: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Configuration file (for the plugin's settings and limits).
    #[arg(long, value_name = "FILE", env = "GLUE_RULES_CONFIG")]
    config: Option<PathBuf>,
    /// Directory for compiled components [default: the user cache directory].
    #[arg(long, value_name = "DIR", env = "GLUE_RULES_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
}

pub(crate) fn run(args: InspectArgs) -> anyhow::Result<u8> {
    let config = Config::discover(args.config.as_deref())?;
    let runtime = super::runtime_for(&config, args.cache_dir.clone(), false)?;
    let plugin = match Plugin::load(&runtime, &args.file, config.runtime.defaults.clone()) {
        Ok(plugin) => plugin,
        Err(e) => {
            eprintln!("error: {e}");
            // Say what the component does offer, when it is a component at all.
            if let Ok((imports, exports)) = component_interface(&runtime, &args.file) {
                eprintln!("  imports: {}", list(&imports));
                eprintln!("  exports: {}", list(&exports));
            }
            return Ok(exit::BAD_INPUT);
        }
    };
    let (imports, exports) = component_interface(&runtime, &args.file)?;
    let info = plugin.info();
    if args.json {
        let json = serde_json::json!({
            "world": "glue:rules/rule@0.1.0",
            "plugin": info,
            "imports": imports,
            "exports": exports,
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        println!("name:        {}", info.name);
        println!("version:     {}", info.version);
        println!("description: {}", info.description);
        println!("world:       glue:rules/rule@0.1.0");
        println!("sha256:      {}", info.sha256);
        println!("path:        {}", info.path.display());
        if info.patterns.is_empty() {
            println!("patterns:    (none: every event)");
        } else {
            println!("patterns:");
            for pattern in &info.patterns {
                println!("  {pattern}");
            }
        }
        println!("imports:");
        for import in &imports {
            println!("  {import}");
        }
        println!("exports:");
        for export in &exports {
            println!("  {export}");
        }
    }
    Ok(exit::OK)
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "(none)".into()
    } else {
        items.join(", ")
    }
}
