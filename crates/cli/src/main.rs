//! The `sobatch` binary: parses the command line, loads configuration, and hands over to the server
//! library. Nothing here knows how tasks are stored or run.

use std::io::Read as _;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};
use sobatch_server::{Application, Config};

#[derive(Parser)]
#[command(
    name = "sobatch",
    version,
    about = "A SuperOffice-compatible batch task server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API server and its workers.
    Serve {
        /// Address to listen on [default: 127.0.0.1:8080].
        #[arg(long)]
        listen: Option<String>,
        /// Database URL [default: sqlite://sobatch.db].
        #[arg(long)]
        db: Option<String>,
        /// TOML configuration file.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Also serve the SuperOffice routes under this path prefix, e.g. /Cust12345.
        #[arg(long)]
        base_path: Option<String>,
    },
    /// Create or upgrade the database schema, then exit.
    Migrate {
        #[arg(long, env = "SOBATCH_DB", default_value = "sqlite://sobatch.db")]
        db: String,
    },
    /// Manage associates (users).
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add an associate; the password is read from standard input.
    Add {
        name: String,
        /// Give the associate the admin role.
        #[arg(long)]
        admin: bool,
        /// Read the password from standard input (the only way to give it, so it stays out of
        /// shell history and process lists).
        #[arg(long, required = true)]
        password_stdin: bool,
        #[arg(long, env = "SOBATCH_DB", default_value = "sqlite://sobatch.db")]
        db: String,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: start runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            listen,
            db,
            config,
            base_path,
        } => {
            let mut config = Config::load(config.as_deref(), std::env::vars())?;
            if let Some(listen) = listen {
                config.listen = listen;
            }
            if let Some(db) = db {
                config.db = db;
            }
            if let Some(base_path) = base_path {
                config.base_path = base_path;
            }
            let admin_password = std::env::var("SOBATCH_ADMIN_PASSWORD").ok();
            let app = Application::builder(config)
                .admin_password(admin_password)
                .build()
                .await
                .context("start server")?;
            app.run_until(shutdown_signal()).await.context("serve")?;
        }
        Command::Migrate { db } => {
            sobatch_server::migrate(&db)
                .await
                .context("migrate database")?;
            println!("database {db} is up to date");
        }
        Command::User {
            command:
                UserCommand::Add {
                    name,
                    admin,
                    password_stdin: _,
                    db,
                },
        } => {
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("read password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']);
            if password.is_empty() {
                bail!("no password on standard input");
            }
            let id = sobatch_server::user_add(&db, &name, admin, password)
                .await
                .context("add user")?;
            println!("added associate {name} with id {id}");
        }
    }
    Ok(())
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SOBATCH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
