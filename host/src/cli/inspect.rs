//! `glue-rules inspect`: what a component is and what it says about itself.

use std::path::PathBuf;

use clap::Args;
use glue_rules::config::Config;
use glue_rules::runtime::contract::Contract;
use glue_rules::runtime::plugin::{LoadError, Plugin, component_interface};

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
    let runtime = glue_rules::runtime_for(&config.runtime, args.cache_dir.clone(), false)?;
    let described =
        Plugin::load_unconfigured(&runtime, &args.file, config.runtime.defaults.clone());
    let described = match described {
        Ok(described) => described,
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
    // With the settings of its entry in the configuration (a 0.2 plugin describes itself
    // again with them), checked against what it declares.
    let settings = config.runtime.settings_for(described.name()).clone();
    let fallback = described.info().clone();
    let (info, config_problem, served) = match described.configure(Some(settings)) {
        Ok(plugin) => (plugin.info().clone(), None, Some(plugin.config().clone())),
        // The file is named above; a settings problem reads best on its own.
        Err(LoadError::Settings { source, .. }) => (fallback, Some(source.to_string()), None),
        Err(e) => (fallback, Some(e.to_string()), None),
    };
    let (imports, exports) = component_interface(&runtime, &args.file)?;
    if args.json {
        let json = serde_json::json!({
            "contract": info.contract,
            "world": info.contract.world(),
            "plugin": info,
            "config": served,
            "configError": config_problem,
            "imports": imports,
            "exports": exports,
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        println!("name:        {}", info.name);
        println!("version:     {}", info.version);
        println!("description: {}", info.description);
        let note = if info.contract == Contract::CURRENT {
            String::new()
        } else {
            format!(" (previous contract, served beside {})", Contract::CURRENT)
        };
        println!("contract:    {}{note}", info.contract);
        println!("world:       {}", info.contract.world());
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
        if info.settings.is_empty() {
            if info.contract == Contract::V0_1 {
                println!("settings:    (not declared: glue:rules@0.1.0 has no declarations)");
            } else {
                println!("settings:    (none)");
            }
        } else {
            println!("settings:");
            for s in &info.settings {
                let mut facts = vec![s.kind.as_str().to_owned()];
                if s.required {
                    facts.push("required".into());
                }
                if let Some(default) = &s.default {
                    facts.push(format!("default {default:?}"));
                }
                let value = served
                    .as_ref()
                    .and_then(|c| c.get(&s.name))
                    .map(|v| format!(" = {v:?}"))
                    .unwrap_or_default();
                println!(
                    "  {}{value} ({}): {}",
                    s.name,
                    facts.join(", "),
                    s.description
                );
            }
        }
        match &config_problem {
            None => println!("config:      ok"),
            Some(problem) => println!("config:      error: {problem}"),
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
    Ok(if config_problem.is_some() {
        exit::BAD_INPUT
    } else {
        exit::OK
    })
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "(none)".into()
    } else {
        items.join(", ")
    }
}
