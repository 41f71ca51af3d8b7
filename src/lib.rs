//! Hanlin (翰林): a self-hosted knowledge base and document collaboration server.
//!
//! [`open`] prepares the state (store, first-start set-up), [`app`] builds the router and [`serve`]
//! runs it on a listener until the shutdown future resolves. `main.rs` only parses the command line.

#![warn(missing_docs)]

pub mod audit;
pub mod bootstrap;
pub mod cli;
pub mod clock;
pub mod config;
pub mod cpu;
pub mod docx;
pub mod domain;
pub mod error;
pub mod extract;
pub mod extraction;
pub mod http;
pub mod indexer;
pub mod markdown;
pub mod model;
pub mod plain_text;
pub mod records;
pub mod service;
pub mod store;
pub mod text;

use std::{future::Future, ops::Deref, path::Path, sync::Arc};

use hanlin_index::SearchIndex;
use tokio::{net::TcpListener, sync::Notify};

pub use config::ServeConfig;
pub use error::{Error, Result};

use crate::store::Store;

/// Shared state of the server: cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// What [`AppState`] holds.
pub struct Inner {
    /// The database.
    pub store: Store,
    /// The configuration.
    pub config: ServeConfig,
    /// Failed-login bookkeeping.
    pub throttle: service::sessions::Throttle,
    /// Password hashing threads, one per core (see [`service::sessions::hashing`]).
    pub hashing: service::sessions::HashPool,
    /// The search index.
    pub index: Arc<SearchIndex>,
    /// Wakes the indexer after a write.
    pub indexer_wake: Notify,
    /// Rendered HTML of document versions.
    pub renders: markdown::RenderCache,
    /// Where CPU-heavy request work runs (never on an async worker).
    pub cpu: cpu::CpuPool,
    /// The time onboarding deadlines and reminders follow (tests move it).
    pub clock: clock::Clock,
    /// Who has which document's editor open (heartbeats, in memory).
    pub presence: service::presence::Presence,
    /// Attachment bytes (`attachments/` in the data directory).
    pub blobs: store::blobs::Blobs,
    /// Wakes the attachment text extraction after an upload.
    pub extract_wake: Notify,
    /// When action item reminders last ran (clock seconds; see `service::actions::remind_due`).
    pub actions_reminded: std::sync::atomic::AtomicI64,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Tells the indexer there is work in the outbox.
    pub fn notify_indexer(&self) {
        self.indexer_wake.notify_one();
    }

    /// How attachments' text is extracted: the configured worker program, else this one.
    pub fn extract_worker(&self) -> service::attachments::Worker {
        service::attachments::Worker {
            program: self
                .config
                .extract_worker
                .clone()
                .or_else(|| std::env::current_exe().ok())
                .unwrap_or_else(|| "hanlin".into()),
            timeout: std::time::Duration::from_secs(self.config.extract_timeout_secs.max(1)),
        }
    }

    /// The departments a user belongs to.
    pub fn groups_of(&self, user_id: &str) -> Result<Vec<String>> {
        Ok(self.store.catalog()?.groups_of(user_id))
    }
}

/// Opens the data directory (creating it and the first admin on first start) and prepares the state.
pub fn open(config: ServeConfig) -> Result<AppState> {
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        Error::internal(format!(
            "cannot create data directory {}: {e}",
            config.data_dir.display()
        ))
    })?;
    let store = Store::open(&config.data_dir.join("db"))?;
    bootstrap::first_start(&store, config.admin_password.as_deref())?;
    service::reviews::build_open_index_if_missing(&store)?;
    let index = open_index(&config.data_dir)?;
    index.set_extra_synonyms(service::settings::synonyms(&store)?);
    catch_up(&store, &index, StaleIndex::RebuildInIndexer)?;
    text::warm_up();
    records::init()?;
    let config_dir = config.data_dir.clone();
    Ok(AppState(Arc::new(Inner {
        store,
        config,
        throttle: service::sessions::Throttle::default(),
        hashing: service::sessions::HashPool::per_core(),
        index: Arc::new(index),
        indexer_wake: Notify::new(),
        renders: markdown::RenderCache::default(),
        cpu: cpu::CpuPool::default(),
        clock: clock::Clock::default(),
        presence: service::presence::Presence::default(),
        blobs: store::blobs::Blobs::new(&config_dir),
        extract_wake: Notify::new(),
        actions_reminded: std::sync::atomic::AtomicI64::new(i64::MIN / 2),
    })))
}

/// When a search index built with another analyzer is rebuilt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaleIndex {
    /// Before returning (offline commands, which search or index right after).
    RebuildNow,
    /// By the server's indexer, first thing: the server answers meanwhile from the index as it
    /// stands (its pages are found by most words; at 100,000 pages the rebuild took 47 s).
    RebuildInIndexer,
}

/// Brings the search index up to the store: rebuilt when it is missing or was built with another
/// analyzer (see [`StaleIndex`]), else whatever a crash or a writer left in the outbox replayed.
/// Returns the number of documents indexed.
pub fn catch_up(store: &Store, index: &SearchIndex, stale: StaleIndex) -> Result<usize> {
    if index.num_docs() == 0 && !store.docs.is_empty() {
        // A missing or discarded index: rebuild it from the store, the source of truth.
        tracing::info!("search index empty: rebuilding from the store");
        return Ok(indexer::reindex_all(store, index, |_, _| {})? as usize);
    }
    if !index.analyzer_is_current() && stale == StaleIndex::RebuildNow {
        return indexer::rebuild_stale(store, index);
    }
    let n = indexer::drain(store, index)?;
    if n > 0 {
        tracing::info!(entries = n, "replayed the outbox into the search index");
    }
    Ok(n)
}

/// Opens the search index of a data directory; an unreadable one is moved aside and started afresh
/// (the caller rebuilds it from the store).
pub fn open_index(data_dir: &Path) -> Result<SearchIndex> {
    let dir = data_dir.join("index");
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::internal(format!("cannot create {}: {e}", dir.display())))?;
    match SearchIndex::open(&dir) {
        Ok(i) => Ok(i),
        Err(e) => {
            let aside = data_dir.join(format!("index.broken-{}", chrono::Utc::now().timestamp()));
            tracing::warn!(error = %e, aside = %aside.display(), "search index unreadable; moving it aside and rebuilding");
            std::fs::rename(&dir, &aside).map_err(Error::internal)?;
            std::fs::create_dir_all(&dir).map_err(Error::internal)?;
            Ok(SearchIndex::open(&dir)?)
        }
    }
}

/// The router with every route and middleware.
pub fn app(state: AppState) -> axum::Router {
    http::router(state)
}

/// Serves the app on `listener` until `shutdown` resolves, then flushes the store.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let store = state.store.clone();
    let indexer = tokio::spawn(indexer::run(state.clone()));
    let retention = tokio::spawn(audit::run(state.clone()));
    let backups = tokio::spawn(service::backups::daily(state.clone()));
    let stats = tokio::spawn(service::stats::run(state.clone()));
    let reminders = tokio::spawn(service::onboarding::reminders(state.clone()));
    let action_reminders = tokio::spawn(service::actions::reminders(state.clone()));
    let extraction = tokio::spawn(service::attachments::run(state.clone()));
    let robots = tokio::spawn(service::webhooks::run(state.clone()));
    let metrics = match state.config.metrics_bind {
        Some(addr) => {
            let l = TcpListener::bind(addr).await.map_err(|e| {
                Error::bad(format!("cannot listen on {addr} (--metrics-bind): {e}"))
            })?;
            tracing::info!(%addr, "metrics on a separate address");
            let app = http::metrics_router(state.clone());
            Some(tokio::spawn(async move {
                let _ = axum::serve(l, app).await;
            }))
        }
        None => None,
    };
    let app = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| Error::internal(format!("server error: {e}")))?;
    indexer.abort();
    retention.abort();
    backups.abort();
    stats.abort();
    // The read counts and searches of the last seconds.
    let st = store.clone();
    let today = chrono::Utc::now().date_naive();
    let _ = tokio::task::spawn_blocking(move || service::stats::write(&st, today)).await;
    reminders.abort();
    action_reminders.abort();
    extraction.abort();
    robots.abort();
    if let Some(m) = metrics {
        m.abort();
    }
    store.flush().await?;
    Ok(())
}
