//! The `roundtable` command line.

use clap::{Parser, Subcommand};

use crate::Application;
use crate::config::{AuthSettings, DatabaseSettings, ServeSettings, Settings, WebhookSettings};
use crate::db::DbPool;
use crate::orgs::{self, NewOrganization};

#[derive(Debug, Parser)]
#[command(name = "roundtable", version, about = "360-degree feedback and peer coaching for leaders")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

// Parsed once at start: the size of the serve variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API (the default when no command is given).
    Serve {
        #[command(flatten)]
        database: DatabaseSettings,
        #[command(flatten)]
        serve: ServeSettings,
        #[command(flatten)]
        auth: AuthSettings,
        #[command(flatten)]
        webhooks: WebhookSettings,
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
    /// Manage organisations (tenants).
    Orgs {
        #[command(subcommand)]
        command: OrgsCommand,
    },
    /// Fill the database with a demo organisation (people across departments, a released
    /// cycle with growth reports) and print what to try.
    Demo {
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// Generate a large organisation and a cycle whose raters have all answered, for
    /// benchmarks. Prints one JSON object with the admin credentials and the cycle id.
    Seed {
        /// Leaders in the cycle.
        #[arg(long, default_value_t = 1000)]
        leaders: usize,
        /// Raters per leader besides themself.
        #[arg(long, default_value_t = 12)]
        raters: usize,
        /// Rating questions in the framework.
        #[arg(long, default_value_t = 40)]
        questions: usize,
        /// Leave the invitations pending instead of answered.
        #[arg(long)]
        pending: bool,
        /// Also write every answer to this CSV file (department, relationship, competency
        /// key, question id, score), for checking aggregates with another tool.
        #[arg(long)]
        answers_csv: Option<std::path::PathBuf>,
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// Manage the keys that sign access tokens (when they live in the database).
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum OrgsCommand {
    /// Create an organisation with an admin client holding every scope, and print its
    /// client id and secret (shown only this once).
    Create {
        /// The organisation's name.
        #[arg(long)]
        name: String,
        /// Print one JSON object (`org_id`, `client_id`, `client_secret`, `scopes`).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        database: DatabaseSettings,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Start signing with a new key. The previous key keeps verifying the tokens it
    /// signed; older keys are retired. Running instances pick the new key up within a minute.
    Rotate {
        #[command(flatten)]
        database: DatabaseSettings,
    },
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
        Command::Serve { database, serve, auth, webhooks, log_json } => {
            init_logging(log_json);
            serve_forever(Settings { database, serve, auth, webhooks })
        }
        Command::Migrate { database } => {
            init_logging(false);
            // Connecting applies the migrations.
            DbPool::connect_for_command(&database)?;
            println!("migrations applied");
            Ok(())
        }
        Command::Openapi => {
            println!("{}", crate::openapi_document().to_pretty_json()?);
            Ok(())
        }
        Command::Orgs { command: OrgsCommand::Create { name, json, database } } => {
            let pool = DbPool::connect_for_command(&database)?;
            let created = orgs::create_organization(&mut pool.get()?, &name)?;
            if json {
                println!("{}", serde_json::to_string(&created)?);
            } else {
                print_credentials(&created);
            }
            Ok(())
        }
        Command::Demo { database } => {
            let pool = DbPool::connect_for_command(&database)?;
            let demo = crate::demo::create_demo(&mut pool.get()?)?;
            print_demo(&demo);
            Ok(())
        }
        Command::Seed { leaders, raters, questions, pending, answers_csv, database } => {
            let pool = DbPool::connect_for_command(&database)?;
            let options = crate::seed::SeedOptions {
                leaders,
                raters,
                questions,
                answered: !pending,
                random_seed: 2026,
                answers_csv,
            };
            let seeded = crate::seed::seed(&mut pool.get()?, &options)?;
            println!("{}", serde_json::to_string(&seeded)?);
            Ok(())
        }
        Command::Keys { command: KeysCommand::Rotate { database } } => {
            let pool = DbPool::connect_for_command(&database)?;
            let kid = crate::auth::keys::rotate(&mut pool.get()?)?;
            println!("new signing key: {kid}");
            Ok(())
        }
    }
}

fn print_demo(demo: &crate::demo::Demo) {
    let (name, leader) = &demo.featured_leader;
    println!(
        "Created the demo organisation \"{}\": {} people, two released feedback cycles, {} coaching pairs started after the first.",
        demo.org.name, demo.people, demo.relationships
    );
    println!();
    println!("Start the service (`cargo run --release`), then:");
    println!();
    println!("  BASE=http://127.0.0.1:8080");
    println!(
        "  TOKEN=$(curl -s -u '{}:{}' -d grant_type=client_credentials $BASE/oauth/token | jq -r .access_token)",
        demo.org.client_id, demo.org.client_secret
    );
    println!("  curl -s -H \"Authorization: Bearer $TOKEN\" \"$BASE/api/v1/people?department=Engineering&limit=5\"");
    println!("  curl -s -H \"Authorization: Bearer $TOKEN\" $BASE/api/v1/cycles/{}/progress", demo.cycle_id);
    println!("  # {name}'s growth report, as JSON, CSV and a radar chart:");
    println!("  curl -s -H \"Authorization: Bearer $TOKEN\" $BASE/api/v1/cycles/{}/reports/{leader}", demo.cycle_id);
    println!(
        "  curl -s -H \"Authorization: Bearer $TOKEN\" -H 'Accept: text/csv' $BASE/api/v1/cycles/{}/reports/{leader}",
        demo.cycle_id
    );
    println!(
        "  curl -s -H \"Authorization: Bearer $TOKEN\" $BASE/api/v1/cycles/{}/reports/{leader}/radar.svg > radar.svg",
        demo.cycle_id
    );
    println!("  # Act as {name} in a frontend: mint a user token, then list their own reports.");
    println!(
        "  USER=$(curl -s -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' -d '{{\"person_id\":\"{leader}\"}}' $BASE/api/v1/auth/user-tokens | jq -r .access_token)"
    );
    println!("  curl -s -H \"Authorization: Bearer $USER\" $BASE/api/v1/me/reports");
    println!("  # {name}'s coaching, goals, and growth from the first cycle to the second:");
    println!("  curl -s -H \"Authorization: Bearer $USER\" $BASE/api/v1/me/coaching");
    println!("  curl -s -H \"Authorization: Bearer $USER\" $BASE/api/v1/people/{leader}/goals");
    println!("  curl -s -H \"Authorization: Bearer $USER\" $BASE/api/v1/people/{leader}/growth");
    println!("  curl -s -H \"Authorization: Bearer $USER\" $BASE/api/v1/people/{leader}/growth.svg > growth.svg");
    println!("  # Coaching: the pairs HR set up, and fresh suggestions from the latest cycle's results:");
    println!("  curl -s -H \"Authorization: Bearer $TOKEN\" $BASE/api/v1/coaching/relationships");
    println!(
        "  curl -s -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' -d '{{\"shape\":\"circles\"}}' $BASE/api/v1/cycles/{}/coaching/suggestions",
        demo.cycle_id
    );
    println!("  # Analytics: the heatmap (also as CSV and SVG), and whether coaching moved the coached leaders:");
    println!("  curl -s -H \"Authorization: Bearer $TOKEN\" $BASE/api/v1/analytics/cycles/{}/heatmap", demo.cycle_id);
    println!(
        "  curl -s -H \"Authorization: Bearer $TOKEN\" -H 'Accept: text/csv' $BASE/api/v1/analytics/cycles/{}/heatmap",
        demo.cycle_id
    );
    println!(
        "  curl -s -H \"Authorization: Bearer $TOKEN\" $BASE/api/v1/analytics/cycles/{}/heatmap.svg > heatmap.svg",
        demo.cycle_id
    );
    println!(
        "  curl -s -H \"Authorization: Bearer $TOKEN\" \"$BASE/api/v1/analytics/coaching-impact?from_cycle_id={}&to_cycle_id={}\"",
        demo.first_cycle_id, demo.cycle_id
    );
    println!();
    println!("The admin client's secret is shown only now. API docs: $BASE/docs/");
}

fn print_credentials(created: &NewOrganization) {
    println!("Organisation \"{}\" ({})", created.name, created.org_id);
    println!("  admin client_id:     {}", created.client_id);
    println!("  admin client_secret: {}", created.client_secret);
    println!("  The secret is shown only now. Get a token with:");
    println!(
        "  curl -s -u '{}:{}' -d grant_type=client_credentials http://HOST/oauth/token",
        created.client_id, created.client_secret
    );
}

fn serve_forever(settings: Settings) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let bind = settings.serve.bind.clone();
        let app = Application::build(settings)?;
        if let Some(created) = app.bootstrap() {
            println!("First start on an empty database: created an organisation.");
            print_credentials(created);
        }
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
