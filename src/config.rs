//! Command line and environment configuration. Every flag has an env var (`HANLIN_*`).

use std::{net::SocketAddr, path::PathBuf};

use clap::{Args, Parser, Subcommand};

/// Hanlin (翰林): a self-hosted knowledge base and document collaboration server.
///
/// With no subcommand, `hanlin` runs `hanlin serve`.
#[derive(Debug, Parser)]
#[command(name = "hanlin", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Server options (used when no subcommand is given).
    #[command(flatten)]
    pub serve: ServeConfig,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default).
    Serve(ServeConfig),
    /// Rebuild every version of every document, verify content hashes, report; exits 1 on corruption.
    Check(DataDirArg),
    /// Rebuild the search index from the store, with a progress bar.
    Reindex(DataDirArg),
    /// Import a folder of Markdown files into a space (sub-folders become categories).
    Import(ImportArgs),
    /// Run a query file (`query<TAB>path,...`) against imported documents; print hit@5, recall@5, MRR@10.
    Eval(EvalArgs),
    /// Manage accounts on a data directory (for an admin locked out of the UI).
    #[command(subcommand)]
    User(UserCommand),
    /// Back up a data directory (server stopped; a running server backs up through the API), or
    /// check a backup file.
    Backup(BackupArgs),
    /// Restore a backup into an empty directory: a working data directory, the search index
    /// rebuilt and every version verified.
    Restore(RestoreArgs),
    /// Extract one file's text and print it as JSON (run by the server in a child process,
    /// with memory and CPU limits, for each attachment).
    #[command(hide = true)]
    ExtractWorker(ExtractWorkerArgs),
}

/// Options of `hanlin extract-worker`.
#[derive(Debug, Clone, Args)]
pub struct ExtractWorkerArgs {
    /// The file.
    pub file: PathBuf,
    /// Its name as uploaded (the extension chooses the reader).
    #[arg(long)]
    pub name: String,
    /// Text kept, in bytes.
    #[arg(long, default_value_t = 20 * 1024 * 1024)]
    pub max_text: usize,
    /// Convert a .docx to Markdown (with its images) instead of extracting its text.
    #[arg(long)]
    pub markdown: bool,
}

/// Options of `hanlin backup`.
#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    /// `verify FILE`: check a backup without restoring it.
    #[command(subcommand)]
    pub action: Option<BackupAction>,
    /// Where to write the backup (default: `backups` in the data directory).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Directory holding the database, the search index and backups.
    #[arg(long, env = "HANLIN_DATA_DIR", default_value = "./hanlin-data")]
    pub data_dir: PathBuf,
}

/// `hanlin backup …`
#[derive(Debug, Clone, Subcommand)]
pub enum BackupAction {
    /// Check a backup file (manifest, every record, every part's hash) without restoring it.
    Verify {
        /// The backup file.
        file: PathBuf,
    },
}

/// Options of `hanlin restore`.
#[derive(Debug, Clone, Args)]
pub struct RestoreArgs {
    /// The backup file.
    pub file: PathBuf,
    /// The new data directory (must not exist, or be empty).
    #[arg(long)]
    pub into: PathBuf,
}

/// Options of `hanlin serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "HANLIN_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Directory holding the database, the search index and backups.
    #[arg(long, env = "HANLIN_DATA_DIR", default_value = "./hanlin-data")]
    pub data_dir: PathBuf,
    /// Largest accepted request body, in bytes (documents over it get 413).
    #[arg(long, env = "HANLIN_MAX_BODY_BYTES", default_value_t = 5 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Serve the browser UI from this folder instead of the embedded copy (for UI development).
    #[arg(long, env = "HANLIN_WEB_DIR")]
    pub web_dir: Option<PathBuf>,
    /// Days audit events are kept (values under 180 count as 180).
    #[arg(long, env = "HANLIN_AUDIT_RETENTION_DAYS", default_value_t = 365)]
    pub audit_retention_days: u32,
    /// Idle timeout of browser sessions, in minutes.
    #[arg(long, env = "HANLIN_SESSION_IDLE_MINUTES", default_value_t = 8 * 60)]
    pub session_idle_minutes: u32,
    /// Absolute lifetime of a session or token, in hours.
    #[arg(long, env = "HANLIN_SESSION_MAX_HOURS", default_value_t = 7 * 24)]
    pub session_max_hours: u32,
    /// Mark session cookies `Secure` (set when served over HTTPS behind a proxy; implied by an
    /// https `--public-url`).
    #[arg(long, env = "HANLIN_SECURE_COOKIES", default_value_t = false)]
    pub secure_cookies: bool,
    /// The address users reach the server at (e.g. https://kb.example.com), when behind a proxy.
    #[arg(long, env = "HANLIN_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Password of the `admin` account created on first start (else one is generated and printed once).
    #[arg(long, env = "HANLIN_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// Where backups are written (default: `backups` in the data directory).
    #[arg(long, env = "HANLIN_BACKUP_DIR")]
    pub backup_dir: Option<PathBuf>,
    /// Local time of the daily backup, `HH:MM`, or `off`.
    #[arg(long, env = "HANLIN_BACKUP_AT", default_value = "02:00", value_parser = parse_backup_at)]
    pub backup_at: BackupAt,
    /// A second address serving only `GET /metrics`, without authentication (for a scraper on a
    /// private network); without it, `/metrics` on the main address needs an admin's token.
    #[arg(long, env = "HANLIN_METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,
    /// Days backups are kept (the newest verified one is always kept).
    #[arg(long, env = "HANLIN_BACKUP_KEEP_DAYS", default_value_t = 30)]
    pub backup_keep_days: u32,
    /// First wait before a failed group-robot delivery is tried again, in milliseconds; each
    /// further wait doubles it (6 attempts in all).
    #[arg(long, env = "HANLIN_WEBHOOK_RETRY_BASE_MS", default_value_t = 1000)]
    pub webhook_retry_base_ms: u64,
    /// Let group robots post to this machine (`localhost`, 127.0.0.0/8, ::1) and to link-local
    /// addresses (169.254.0.0/16, where cloud metadata services answer, fe80::/10). Off: a space
    /// manager cannot point the server at itself. Private networks (10/8, 192.168/16 ...) are
    /// always allowed: some companies run their chat on premises.
    #[arg(long, env = "HANLIN_WEBHOOK_ALLOW_LOOPBACK")]
    pub webhook_allow_loopback: bool,
    /// Largest attachment accepted, in bytes (413 beyond).
    #[arg(long, env = "HANLIN_MAX_ATTACHMENT_BYTES", default_value_t = 100 * 1024 * 1024)]
    pub max_attachment_bytes: u64,
    /// The program that extracts attachments' text (`PROGRAM extract-worker FILE`); default:
    /// this one. Tests that run the server inside another binary point it at `hanlin`.
    #[arg(long, env = "HANLIN_EXTRACT_WORKER")]
    pub extract_worker: Option<PathBuf>,
    /// Seconds an extraction may take before its worker is killed.
    #[arg(long, env = "HANLIN_EXTRACT_TIMEOUT_SECS", default_value_t = 120)]
    pub extract_timeout_secs: u64,
}

/// When the daily backup runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupAt {
    /// Never (backups only on request).
    Off,
    /// Every day at this local time.
    Daily(chrono::NaiveTime),
}

fn parse_backup_at(s: &str) -> Result<BackupAt, String> {
    if s.eq_ignore_ascii_case("off") {
        return Ok(BackupAt::Off);
    }
    chrono::NaiveTime::parse_from_str(s, "%H:%M")
        .map(BackupAt::Daily)
        .map_err(|_| format!("expected HH:MM (e.g. 02:00) or off, got {s:?}"))
}

impl ServeConfig {
    /// A configuration for tests and embedding: loopback, given data dir, defaults otherwise.
    pub fn for_data_dir(data_dir: impl Into<PathBuf>) -> Self {
        ServeConfig {
            bind: "127.0.0.1:0".parse().expect("valid address"),
            data_dir: data_dir.into(),
            max_body_bytes: 5 * 1024 * 1024,
            web_dir: None,
            audit_retention_days: 365,
            session_idle_minutes: 8 * 60,
            session_max_hours: 7 * 24,
            secure_cookies: false,
            public_url: None,
            admin_password: None,
            backup_dir: None,
            metrics_bind: None,
            backup_at: BackupAt::Off,
            backup_keep_days: 30,
            webhook_retry_base_ms: 1000,
            webhook_allow_loopback: false,
            max_attachment_bytes: 100 * 1024 * 1024,
            extract_worker: None,
            extract_timeout_secs: 120,
        }
    }

    /// Where backups go.
    pub fn backups(&self) -> PathBuf {
        self.backup_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("backups"))
    }

    /// Whether cookies carry `Secure`: asked for, or implied by an https public URL.
    pub fn cookies_secure(&self) -> bool {
        self.secure_cookies
            || self
                .public_url
                .as_deref()
                .is_some_and(|u| u.trim().to_ascii_lowercase().starts_with("https://"))
    }
}

/// The data directory argument shared by offline commands.
#[derive(Debug, Clone, Args)]
pub struct DataDirArg {
    /// Directory holding the database, the search index and backups.
    #[arg(long, env = "HANLIN_DATA_DIR", default_value = "./hanlin-data")]
    pub data_dir: PathBuf,
}

/// Options of `hanlin import`.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// Folder of Markdown files.
    pub dir: PathBuf,
    /// Name of the space to import into (created when missing).
    #[arg(long)]
    pub space: String,
    /// Directory holding the database, the search index and backups.
    #[arg(long, env = "HANLIN_DATA_DIR", default_value = "./hanlin-data")]
    pub data_dir: PathBuf,
}

/// Options of `hanlin eval`.
#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// Query file: `query<TAB>path[,path...]`, paths relative to the imported folder.
    pub queries: PathBuf,
    /// Directory holding the database, the search index and backups.
    #[arg(long, env = "HANLIN_DATA_DIR", default_value = "./hanlin-data")]
    pub data_dir: PathBuf,
}

/// `hanlin user …`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account; the password is read from HANLIN_PASSWORD or prompted on stdin.
    Add {
        /// Login name.
        username: String,
        /// Make the account an administrator.
        #[arg(long)]
        admin: bool,
        /// Directory holding the database.
        #[arg(long, env = "HANLIN_DATA_DIR", default_value = "./hanlin-data")]
        data_dir: PathBuf,
    },
    /// Set a new password (from HANLIN_PASSWORD or stdin) and re-enable the account.
    Passwd {
        /// Login name.
        username: String,
        /// Directory holding the database.
        #[arg(long, env = "HANLIN_DATA_DIR", default_value = "./hanlin-data")]
        data_dir: PathBuf,
    },
    /// Disable an account and revoke its sessions.
    Disable {
        /// Login name.
        username: String,
        /// Directory holding the database.
        #[arg(long, env = "HANLIN_DATA_DIR", default_value = "./hanlin-data")]
        data_dir: PathBuf,
    },
    /// List accounts.
    List {
        /// Directory holding the database.
        #[arg(long, env = "HANLIN_DATA_DIR", default_value = "./hanlin-data")]
        data_dir: PathBuf,
    },
}
