//! The command line: `leads-mcp [flags] stdio | http | tools | doctor | config <client> | bundle-manifest`.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand, ValueEnum};
use leads_mcp::client_config::{self, Client};
use leads_mcp::config::{self, Config, Flags, HttpConfig, ProcessEnv, VendorEnv};
use leads_mcp::server::Served;
use leads_mcp::{bundle, doctor, transport, vendors};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "leads-mcp",
    version,
    about = "MCP server for lead-generation APIs: LeadPanther, LeadsRover, LeadGenius Pro, Leads Pro, Leadmetrics"
)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct GlobalArgs {
    /// Serve every vendor from the embedded simulation: no keys, no network.
    #[cfg_attr(
        not(feature = "sandbox"),
        arg(
            help = "Not in this build (built without the `sandbox` feature): rebuild with the default features to get the simulation"
        )
    )]
    #[arg(long, global = true)]
    sandbox: bool,
    /// Vendors to serve (default: those whose credentials are set).
    #[arg(long, global = true, env = "LEADS_MCP_VENDORS", value_delimiter = ',')]
    vendors: Vec<String>,
    /// Serve only these tools or groups (vendor:group).
    #[arg(long, global = true, env = "LEADS_MCP_TOOLS", value_delimiter = ',')]
    tools: Vec<String>,
    /// Also serve these tools or groups, besides the rest (e.g. a privileged
    /// group: leadmetrics:admin).
    #[arg(
        long,
        global = true,
        env = "LEADS_MCP_ADD_TOOLS",
        value_delimiter = ','
    )]
    add_tools: Vec<String>,
    /// Never serve these tools or groups; wins over everything.
    #[arg(
        long,
        global = true,
        env = "LEADS_MCP_EXCLUDE_TOOLS",
        value_delimiter = ','
    )]
    exclude_tools: Vec<String>,
    /// Serve only tools that change nothing; wins over everything.
    #[arg(long, global = true, env = "LEADS_MCP_READ_ONLY")]
    read_only: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Serve MCP over stdin/stdout (logs go to stderr).
    Stdio,
    /// Serve Streamable HTTP at /mcp, legacy HTTP+SSE at /sse + /message, and /health.
    Http {
        /// Address to listen on (IP:PORT or localhost:PORT); a non-loopback
        /// one needs LEADS_MCP_HTTP_TOKEN.
        #[arg(long, default_value = config::DEFAULT_LISTEN, value_parser = config::parse_listen)]
        listen: SocketAddr,
    },
    /// List the tools the same flags and environment would serve.
    Tools {
        /// One JSON object per tool instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Check each served vendor live through its documented identity route:
    /// reachable, credentials accepted, plan/scopes/credits. Exit 0 only if all pass.
    Doctor {
        /// Seconds each check waits for an answer (no retries).
        #[arg(long, default_value_t = 10)]
        timeout: u64,
    },
    /// Print the entry that adds this binary, with the vendors the same flags
    /// and environment serve, to a client's configuration (secrets as placeholders).
    Config {
        #[arg(value_enum)]
        client: ClientArg,
    },
    /// Print the MCP Bundle manifest.json, from the catalog (bundle/build.sh uses it).
    BundleManifest,
}

#[derive(Clone, Copy, ValueEnum)]
enum ClientArg {
    ClaudeDesktop,
    ClaudeCode,
    Vscode,
    Cursor,
}

impl From<ClientArg> for Client {
    fn from(c: ClientArg) -> Self {
        match c {
            ClientArg::ClaudeDesktop => Client::ClaudeDesktop,
            ClientArg::ClaudeCode => Client::ClaudeCode,
            ClientArg::Vscode => Client::Vscode,
            ClientArg::Cursor => Client::Cursor,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A serving process logs each upstream call; the one-shot commands print
    // their own report and log only warnings.
    let default_filter = match cli.command {
        Command::Stdio | Command::Http { .. } => "leads_mcp=info,rmcp=warn",
        _ => "leads_mcp=warn,rmcp=warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter)),
        )
        .with_writer(leads_mcp::redact::ScrubbedStderr)
        .with_ansi(false)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("leads-mcp: error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(run(cli));
    // Don't wait for the blocking stdin reader: stdio must exit promptly on EOF.
    runtime.shutdown_background();
    code
}

async fn run(cli: Cli) -> ExitCode {
    if matches!(cli.command, Command::BundleManifest) {
        return match crate::vendors::load_catalog()
            .map_err(|e| e.to_string())
            .and_then(|c| bundle::manifest(&c))
            .and_then(|m| serde_json::to_string_pretty(&m).map_err(|e| e.to_string()))
        {
            Ok(text) => {
                println!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        };
    }
    let g = &cli.global;
    let flags = Flags {
        sandbox: g.sandbox,
        vendors: g.vendors.clone(),
        tools: g.tools.clone(),
        add_tools: g.add_tools.clone(),
        exclude_tools: g.exclude_tools.clone(),
        read_only: g.read_only,
    };
    // Keep the sandbox alive for the whole run.
    let mut _sandbox = None;
    let vendor_env = if g.sandbox {
        match start_sandbox().await {
            Ok((env, running)) => {
                _sandbox = Some(running);
                env
            }
            Err(e) => return fail(e),
        }
    } else {
        let prefixes: Vec<&str> = vendors::REGISTRY.iter().map(|v| v.env_prefix).collect();
        let names: Vec<String> = std::env::vars_os()
            .filter_map(|(k, _)| k.into_string().ok())
            .filter(|k| prefixes.iter().any(|p| k.starts_with(p)))
            .collect();
        VendorEnv::capture(&ProcessEnv, names)
    };
    let config = match Config::from_flags(&flags, &ProcessEnv, vendor_env) {
        Ok(c) => c,
        Err(e) => return fail(e.to_string()),
    };
    let served = match Served::build(&config) {
        Ok(s) => Arc::new(s),
        Err(e) => return fail(e.to_string()),
    };
    // `tools` prints the notes itself; a serving process logs them.
    if matches!(cli.command, Command::Stdio | Command::Http { .. }) {
        for note in &served.notes {
            tracing::warn!("{note}");
        }
        if served.tools.is_empty() {
            tracing::warn!(
                "no tools are served: set a vendor's credentials (e.g. LEADPANTHER_API_KEY), pass --vendors, or try --sandbox"
            );
        }
    }
    let catalog = match crate::vendors::load_catalog() {
        Ok(c) => c,
        Err(e) => return fail(e.to_string()),
    };
    // The served vendors, in the catalog's order.
    let served_vendors: Vec<String> = catalog
        .vendors
        .iter()
        .filter(|v| {
            served.pipeline.vendor(&v.name).is_some()
                && served.tools.iter().any(|t| t.vendor == v.name)
        })
        .map(|v| v.name.clone())
        .collect();
    let result = match cli.command {
        Command::BundleManifest => Ok(()),
        Command::Doctor { timeout } => {
            if served_vendors.is_empty() {
                return fail(
                    "no vendor is served: set a vendor's credentials (e.g. LEADPANTHER_API_KEY), pass --vendors, or try --sandbox".into(),
                );
            }
            let timeout = std::time::Duration::from_secs(timeout.max(1));
            match doctor::run(
                &catalog,
                &served_vendors,
                &config.vendor_env,
                &config.limits,
                timeout,
            )
            .await
            {
                Ok(rows) => {
                    print!("{}", doctor::render(&rows));
                    return if rows.iter().all(|r| r.ok) {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::FAILURE
                    };
                }
                Err(e) => Err(e),
            }
        }
        Command::Config { client } => {
            if served_vendors.is_empty() {
                return fail(
                    "no vendor is served: set a vendor's credentials (e.g. LEADPANTHER_API_KEY), pass --vendors, or try --sandbox".into(),
                );
            }
            match std::env::current_exe() {
                Ok(exe) => {
                    let launch = client_config::launch(
                        exe.display().to_string(),
                        &flags,
                        &served_vendors,
                        &config.vendor_env,
                        &ProcessEnv,
                        &catalog,
                    );
                    print!("{}", client_config::render(client.into(), &launch));
                    Ok(())
                }
                Err(e) => Err(format!("cannot tell where this binary is: {e}")),
            }
        }
        Command::Tools { json } => transport::print_tools(&served, json),
        Command::Stdio => transport::stdio::serve(served).await,
        Command::Http { listen } => match HttpConfig::from_env(listen, &ProcessEnv) {
            Ok(http) => transport::http::serve(served, http).await,
            Err(e) => Err(e.to_string()),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

/// Starts the simulations `--sandbox` serves: the variables that point every
/// vendor at them, and the handle that keeps them running.
#[cfg(feature = "sandbox")]
async fn start_sandbox() -> Result<(VendorEnv, Box<dyn std::any::Any>), String> {
    let sandbox = leads_mcp_sandbox::Sandbox::start()
        .await
        .map_err(|e| format!("cannot start the sandbox: {e}"))?;
    Ok((VendorEnv::from_pairs(sandbox.env()), Box::new(sandbox)))
}

/// Built without the `sandbox` feature: there are no simulations to start.
#[cfg(not(feature = "sandbox"))]
async fn start_sandbox() -> Result<(VendorEnv, Box<dyn std::any::Any>), String> {
    Err(NO_SANDBOX.to_string())
}

#[cfg(not(feature = "sandbox"))]
const NO_SANDBOX: &str = "--sandbox is not in this build: leads-mcp was built without its `sandbox` cargo feature. \
Build or install it with the default features to get the sandbox: `cargo build --release`, or `cargo install --locked --path .` from a clone";

fn fail(message: String) -> ExitCode {
    eprintln!("leads-mcp: error: {message}");
    ExitCode::from(2)
}
