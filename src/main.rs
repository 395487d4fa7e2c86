//! The command line: `leads-mcp [flags] stdio | http | tools`.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use leads_mcp::config::{self, Config, Flags, HttpConfig, ProcessEnv, VendorEnv};
use leads_mcp::sandbox::Sandbox;
use leads_mcp::server::Served;
use leads_mcp::{transport, vendors};
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("leads_mcp=info,rmcp=warn")),
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
        match Sandbox::start().await {
            Ok(sandbox) => {
                let env = VendorEnv::from_pairs(sandbox.env());
                _sandbox = Some(sandbox);
                env
            }
            Err(e) => return fail(format!("cannot start the sandbox: {e}")),
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
    if !matches!(cli.command, Command::Tools { .. }) {
        for note in &served.notes {
            tracing::warn!("{note}");
        }
        if served.tools.is_empty() {
            tracing::warn!(
                "no tools are served: set a vendor's credentials (e.g. LEADPANTHER_API_KEY), pass --vendors, or try --sandbox"
            );
        }
    }
    let result = match cli.command {
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

fn fail(message: String) -> ExitCode {
    eprintln!("leads-mcp: error: {message}");
    ExitCode::from(2)
}
