//! The `roundtable` command line.

use clap::{Parser, Subcommand};

use crate::Application;
use crate::config::{DatabaseSettings, ServeSettings, Settings};
use crate::db::DbPool;

#[derive(Debug, Parser)]
#[command(name = "roundtable", version, about = "360-degree feedback and peer coaching for leaders")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API (the default when no command is given).
    Serve {
        #[command(flatten)]
        database: DatabaseSettings,
        #[command(flatten)]
        serve: ServeSettings,
        /// Log lines as JSON objects (the default is human-readable text).
        #[arg(long, env = "ROUNDTABLE_LOG_JSON")]
        log_json: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate {
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// Print the OpenAPI document this build serves.
    Openapi,
}

pub fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or_else(|| {
        // `roundtable` alone serves with settings from the environment and defaults.
        match Cli::parse_from(["roundtable", "serve"]).command {
            Some(command) => command,
            None => unreachable!("serve was given"),
        }
    });
    match command {
        Command::Serve { database, serve, log_json } => {
            init_logging(log_json);
            serve_forever(Settings { database, serve })
        }
        Command::Migrate { database } => {
            init_logging(false);
            // Connecting applies the migrations.
            DbPool::connect(&database)?;
            println!("migrations applied");
            Ok(())
        }
        Command::Openapi => {
            println!("{}", crate::openapi_document().to_pretty_json()?);
            Ok(())
        }
    }
}

fn serve_forever(settings: Settings) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let bind = settings.serve.bind.clone();
        let app = Application::build(settings)?;
        tracing::info!(%bind, port = app.port(), "serving; API docs at /docs");
        app.run_until_stopped().await?;
        Ok(())
    })
}

fn init_logging(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("ROUNDTABLE_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().flatten_event(true).init();
    } else {
        builder.init();
    }
}
