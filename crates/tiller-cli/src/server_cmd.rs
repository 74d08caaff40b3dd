//! `tiller serve`, `tiller demo --serve`, `tiller setup`, `tiller token`, `tiller push`
//! and `tiller pull`: the server and its clients (see docs/server.md).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use tiller_server::cli::{self, Outcome};

/// Default database of `tiller serve`: an embedded SQLite file in the current folder.
const DEFAULT_DB: &str = "sqlite://tiller.db";
const DEFAULT_BIND: &str = "127.0.0.1:8080";

#[derive(Args)]
pub struct ServeArgs {
    /// Database URL: `sqlite://PATH` (created when missing; the default is
    /// `sqlite://tiller.db`) or `postgres://USER@HOST:PORT/DB`. Also from TILLER_DB.
    #[arg(long, env = "TILLER_DB", default_value = DEFAULT_DB)]
    db: String,
    /// Address to listen on.
    #[arg(long, env = "TILLER_BIND", default_value = DEFAULT_BIND)]
    bind: String,
}

/// How to reach a server.
#[derive(Args)]
pub struct Remote {
    /// The server's base URL, e.g. http://127.0.0.1:8080. Also from TILLER_SERVER.
    #[arg(long, env = "TILLER_SERVER")]
    server: String,
    /// API token (create one with `tiller token`). Also from TILLER_TOKEN.
    #[arg(long, env = "TILLER_TOKEN", hide_env_values = true)]
    token: String,
}

#[derive(Args)]
pub struct PushArgs {
    /// The plan's root .toml file.
    plan: PathBuf,
    #[command(flatten)]
    remote: Remote,
    /// The program's slug on the server.
    #[arg(long)]
    program: String,
    /// A note stored with the revision.
    #[arg(short, long)]
    message: Option<String>,
    /// Create the program, with this display name, if it does not exist.
    #[arg(long, value_name = "NAME")]
    create: Option<String>,
}

#[derive(Args)]
pub struct PullArgs {
    #[command(flatten)]
    remote: Remote,
    /// The program's slug on the server.
    #[arg(long)]
    program: String,
    /// Folder to write the plan into (its root file and includes).
    #[arg(long, default_value = ".")]
    dir: PathBuf,
    /// Overwrite files whose content differs from the server's.
    #[arg(long)]
    force: bool,
}

#[derive(Args)]
pub struct SetupArgs {
    /// The server's base URL.
    #[arg(long, env = "TILLER_SERVER")]
    server: String,
    /// The one-time token `tiller serve` printed at its first start.
    #[arg(long)]
    setup_token: String,
    /// User name of the administrator to create. The password is read from
    /// TILLER_PASSWORD, or from standard input.
    #[arg(long)]
    username: String,
}

#[derive(Args)]
pub struct TokenArgs {
    /// The server's base URL.
    #[arg(long, env = "TILLER_SERVER")]
    server: String,
    /// Your user name (the password is read from TILLER_PASSWORD or standard input).
    #[arg(long)]
    username: String,
    /// A name for the token, to recognise it in the token list.
    #[arg(long, default_value = "cli")]
    name: String,
}

fn exit(r: Result<Outcome, String>) -> anyhow::Result<ExitCode> {
    match r {
        Ok(Outcome::Ok) => Ok(ExitCode::SUCCESS),
        Ok(Outcome::Rejected) => Ok(ExitCode::from(1)),
        Err(e) => Err(anyhow::anyhow!(e)),
    }
}

pub fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    exit(cli::serve(&args.db, &args.bind))
}

pub fn demo_serve(bind: Option<String>) -> anyhow::Result<ExitCode> {
    exit(cli::demo(bind.as_deref().unwrap_or(DEFAULT_BIND)))
}

pub fn push(args: PushArgs) -> anyhow::Result<ExitCode> {
    exit(cli::push(
        &args.plan,
        &args.remote.server,
        &args.program,
        &args.remote.token,
        args.message.as_deref(),
        args.create.as_deref(),
    ))
}

pub fn pull(args: PullArgs) -> anyhow::Result<ExitCode> {
    exit(cli::pull(
        &args.remote.server,
        &args.program,
        &args.remote.token,
        &args.dir,
        args.force,
    ))
}

pub fn setup(args: SetupArgs) -> anyhow::Result<ExitCode> {
    exit(cli::setup(&args.server, &args.setup_token, &args.username))
}

pub fn token(args: TokenArgs) -> anyhow::Result<ExitCode> {
    exit(cli::token(&args.server, &args.username, &args.name))
}
