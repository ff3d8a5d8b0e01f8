//! `glue-rules dedupe init`: the shared de-duplication table, for those who do not manage it
//! with their own tooling.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use glue_rules::config::Config;
use glue_rules::dispatch::{self, TableInit};

use super::exit;

#[derive(Debug, Args)]
pub(crate) struct DedupeArgs {
    #[command(subcommand)]
    command: DedupeCommand,
}

#[derive(Debug, Subcommand)]
enum DedupeCommand {
    /// Create the DynamoDB table `[dispatch] dedupe-table` names (on-demand capacity, TTL on
    /// `expires_at`), or turn TTL on for the one there. Safe to run again.
    Init {
        /// The configuration file [default: ./glue-rules.toml if present].
        #[arg(long, value_name = "FILE", env = "GLUE_RULES_CONFIG")]
        config: Option<PathBuf>,
        /// The table [default: `[dispatch] dedupe-table`].
        #[arg(long, value_name = "NAME")]
        table: Option<String>,
    },
}

pub(crate) fn run(args: DedupeArgs) -> anyhow::Result<u8> {
    match args.command {
        DedupeCommand::Init { config, table } => {
            let config = Config::discover(config.as_deref())?;
            let Some(table) = table.or(config.dispatch.dedupe_table.clone()) else {
                anyhow::bail!(
                    "no table: set `[dispatch] dedupe-table` in the configuration or pass --table"
                );
            };
            let aws = &config.dispatch.aws;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("cannot start the async runtime")?;
            let outcome = runtime.block_on(async {
                let sdk =
                    dispatch::sdk_config(aws.region.as_deref(), aws.endpoint_url.as_deref()).await;
                if sdk.region().is_none() {
                    anyhow::bail!("no AWS region: set `region` in [dispatch.aws], or AWS_REGION");
                }
                Ok(dispatch::init_table(&sdk, &table).await?)
            })?;
            match outcome {
                TableInit::Created => {
                    println!("created DynamoDB table {table} (TTL on expires_at)")
                }
                TableInit::Existed => {
                    println!("DynamoDB table {table} exists (TTL on expires_at)")
                }
            }
            Ok(exit::OK)
        }
    }
}
