//! The `sobatch` binary: parses the command line, loads configuration, and hands over to the server
//! library or, for the client commands, to a running server over HTTP. Nothing here knows how tasks
//! are stored or run.

mod client;

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
        /// Serve HTTPS with this PEM certificate chain (with --tls-key).
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The PEM private key of --tls-cert.
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
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
    /// Register partner applications (`SO-AppToken`) in the database directly.
    App {
        #[command(subcommand)]
        command: AppCommand,
    },
    /// Manage API tokens (`Authorization: Bearer …`) in the database directly.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Start a task on a running server; prints its id, or with --wait follows it to its end
    /// (exit code 0 if it succeeded, 1 if it failed, 2 for usage or connection errors).
    Submit {
        /// The task's name (its definition).
        name: String,
        /// A parameter, KEY=VALUE; repeat for more.
        #[arg(short = 'p', long = "param")]
        params: Vec<String>,
        #[arg(long)]
        description: Option<String>,
        /// Start a system task (administrators only).
        #[arg(long)]
        system: bool,
        /// Follow the task with a progress display until it ends.
        #[arg(long)]
        wait: bool,
        #[command(flatten)]
        connection: ConnectionArgs,
    },
    /// List tasks (system and user), by id.
    List {
        /// Only tasks in this state (New, Aquired, Started, Succeeded, Failed, …).
        #[arg(long, default_value = "All")]
        state: String,
        /// Only tasks of this name.
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        connection: ConnectionArgs,
    },
    /// Show one task.
    Show {
        id: i32,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        connection: ConnectionArgs,
    },
    /// Follow one task to its end, or every task as it changes.
    ///
    /// With an ID, follows that task until it ends, with a progress bar on a terminal and plain
    /// lines otherwise; the exit code is 0 if it succeeded and 1 if it failed.
    ///
    /// Without an ID, follows every task (or those --name and --state select) through the
    /// server's event stream, from now on, until interrupted with Ctrl-C (exit code 0). On a
    /// terminal each active task has a progress row, and a task that ends leaves one line behind;
    /// otherwise each event is one line: ID NAME STATE [PERCENT%] [PROGRESS]. A lost connection
    /// is resumed where it left off; after 5 failed attempts in a row the exit code is 2.
    ///
    /// Either way, the exit code is 2 when the server cannot be reached or refuses the request.
    Watch {
        /// The task to follow; without it, every task.
        id: Option<i32>,
        /// Only tasks with this name (in any case); only without ID.
        #[arg(long, conflicts_with = "id")]
        name: Option<String>,
        /// Only events that leave a task in one of these states, comma-separated (New, Aquired,
        /// Started, Succeeded, SucceededManualCleanup, Failed); only without ID.
        #[arg(long, conflicts_with = "id")]
        state: Option<String>,
        #[command(flatten)]
        connection: ConnectionArgs,
    },
    /// Stop a task.
    Stop {
        id: i32,
        #[command(flatten)]
        connection: ConnectionArgs,
    },
    /// Delete tasks.
    Delete {
        #[arg(required = true)]
        ids: Vec<i32>,
        #[command(flatten)]
        connection: ConnectionArgs,
    },
}

/// Where the server is and who calls it.
#[derive(clap::Args)]
struct ConnectionArgs {
    #[arg(long, env = "SOBATCH_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    #[arg(long, env = "SOBATCH_USER", default_value = "admin")]
    user: String,
    #[arg(
        long,
        env = "SOBATCH_PASSWORD",
        hide_env_values = true,
        default_value = ""
    )]
    password: String,
}

impl From<ConnectionArgs> for client::Connection {
    fn from(args: ConnectionArgs) -> Self {
        client::Connection {
            url: args.url,
            user: args.user,
            password: args.password,
        }
    }
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add an associate; the password is read from standard input.
    Add {
        name: String,
        /// Give the associate the admin role.
        #[arg(long, conflicts_with = "worker")]
        admin: bool,
        /// Give the associate the worker role: a remote worker's account, which may use the
        /// worker API.
        #[arg(long)]
        worker: bool,
        /// Read the password from standard input (the only way to give it, so it stays out of
        /// shell history and process lists).
        #[arg(long, required = true)]
        password_stdin: bool,
        #[arg(long, env = "SOBATCH_DB", default_value = "sqlite://sobatch.db")]
        db: String,
    },
}

#[derive(Subcommand)]
enum AppCommand {
    /// Register an application and print its SO-AppToken; it is shown only this once.
    Add {
        name: String,
        #[arg(long, env = "SOBATCH_DB", default_value = "sqlite://sobatch.db")]
        db: String,
    },
    /// Unregister an application; its token stops working.
    Remove {
        name: String,
        #[arg(long, env = "SOBATCH_DB", default_value = "sqlite://sobatch.db")]
        db: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for an associate and print it; it is shown only this once.
    Create {
        /// The associate the token signs in as.
        #[arg(long)]
        user: String,
        /// How long it lasts, such as 30d or 12h [default: until revoked].
        #[arg(long)]
        expires: Option<String>,
        #[arg(long, env = "SOBATCH_DB", default_value = "sqlite://sobatch.db")]
        db: String,
    },
    /// Revoke an API token by the id `token create` printed.
    Revoke {
        id: i64,
        #[arg(long, env = "SOBATCH_DB", default_value = "sqlite://sobatch.db")]
        db: String,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let cli = match run_client_command(cli.command) {
        Ok(code) => return code,
        Err(command) => Cli { command: *command },
    };
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

/// Runs a client command, if `command` is one, and returns its exit code: 0 on success, 1 when
/// the task failed or was not stopped, 2 for usage or connection errors.
fn run_client_command(command: Command) -> Result<std::process::ExitCode, Box<Command>> {
    let is_client = matches!(
        command,
        Command::Submit { .. }
            | Command::List { .. }
            | Command::Show { .. }
            | Command::Watch { .. }
            | Command::Stop { .. }
            | Command::Delete { .. }
    );
    if !is_client {
        return Err(Box::new(command));
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: start runtime: {error}");
            return Ok(std::process::ExitCode::from(2));
        }
    };
    let outcome = runtime.block_on(async {
        match command {
            Command::Submit {
                name,
                params,
                description,
                system,
                wait,
                connection,
            } => {
                client::submit(
                    &connection.into(),
                    &name,
                    &params,
                    description,
                    system,
                    wait,
                )
                .await
            }
            Command::List {
                state,
                name,
                json,
                connection,
            } => client::list(&connection.into(), &state, name, json).await,
            Command::Show {
                id,
                json,
                connection,
            } => client::show(&connection.into(), id, json).await,
            Command::Watch {
                id: Some(id),
                connection,
                ..
            } => client::watch(&connection.into(), id).await,
            Command::Watch {
                id: None,
                name,
                state,
                connection,
            } => client::watch_all(&connection.into(), name.as_deref(), state.as_deref()).await,
            Command::Stop { id, connection } => client::stop(&connection.into(), id).await,
            Command::Delete { ids, connection } => client::delete(&connection.into(), &ids).await,
            _ => Ok(()),
        }
    });
    Ok(match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(client::Failure::TaskFailed(reason)) => {
            eprintln!("{reason}");
            std::process::ExitCode::from(1)
        }
        Err(client::Failure::Usage(reason)) => {
            eprintln!("error: {reason}");
            std::process::ExitCode::from(2)
        }
    })
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            listen,
            db,
            config,
            base_path,
            tls_cert,
            tls_key,
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
            if tls_cert.is_some() {
                config.tls_cert = tls_cert;
                config.tls_key = tls_key;
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
                    worker,
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
            let role = match (admin, worker) {
                (true, _) => sobatch_core::Role::Admin,
                (false, true) => sobatch_core::Role::Worker,
                (false, false) => sobatch_core::Role::User,
            };
            let id = sobatch_server::user_add_with_role(&db, &name, role, password)
                .await
                .context("add user")?;
            println!("added associate {name} with id {id}");
        }
        Command::App {
            command: AppCommand::Add { name, db },
        } => {
            let (id, token) = sobatch_server::app_add(&db, &name)
                .await
                .context("add application")?;
            eprintln!(
                "registered application {name} ({id}); its SO-AppToken is shown only this once:"
            );
            println!("{token}");
        }
        Command::App {
            command: AppCommand::Remove { name, db },
        } => {
            sobatch_server::app_remove(&db, &name)
                .await
                .context("remove application")?;
            println!("removed application {name}");
        }
        Command::Token {
            command: TokenCommand::Create { user, expires, db },
        } => {
            let (id, token) = sobatch_server::token_create(&db, &user, expires.as_deref())
                .await
                .context("create token")?;
            eprintln!("created API token {id} for {user}; it is shown only this once:");
            println!("{token}");
        }
        Command::Token {
            command: TokenCommand::Revoke { id, db },
        } => {
            sobatch_server::token_revoke(&db, id)
                .await
                .context("revoke token")?;
            println!("revoked API token {id}");
        }
        // Handled by `run_client_command` before logging and the server runtime start.
        Command::Submit { .. }
        | Command::List { .. }
        | Command::Show { .. }
        | Command::Watch { .. }
        | Command::Stop { .. }
        | Command::Delete { .. } => {}
    }
    Ok(())
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SOBATCH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only on a terminal: a log file or collector gets plain `key=value` text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
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
