//! The offline commands behind `main.rs`: serve, check, reindex, import, eval, user.

use std::{
    io::{BufRead, IsTerminal},
    path::Path,
    process::ExitCode,
    time::Instant,
};

use chrono::Utc;
use hanlin_index::{Access, SearchRequest, Sort};
use indicatif::{ProgressBar, ProgressStyle};

use crate::{
    bootstrap,
    config::{
        BackupAction, BackupArgs, EvalArgs, ImportArgs, RestoreArgs, ServeConfig, UserCommand,
    },
    domain::permission::AccountKind,
    error::{Error, Result},
    indexer,
    model::{AuditEvent, User},
    service::accounts,
    service::documents::{self as docs, Actor},
    service::import,
    service::sessions,
    store::Store,
};

fn bar(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{msg:10} [{bar:40}] {pos}/{len} ({per_sec}, {eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    pb.set_message(what.to_owned());
    if !std::io::stderr().is_terminal() {
        pb.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    pb
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::internal)
}

/// `hanlin serve`: runs until SIGINT or SIGTERM, then shuts down gracefully.
pub fn serve(cfg: ServeConfig) -> Result<ExitCode> {
    let rt = runtime()?;
    rt.block_on(async move {
        let state = crate::open(cfg.clone())?;
        let listener = tokio::net::TcpListener::bind(cfg.bind)
            .await
            .map_err(|e| Error::internal(format!("cannot listen on {}: {e}", cfg.bind)))?;
        let addr = listener.local_addr().map_err(Error::internal)?;
        tracing::info!(%addr, data_dir = %cfg.data_dir.display(), "listening");
        println!("Hanlin listening on http://{addr}");
        crate::serve(state, listener, shutdown_signal()).await?;
        tracing::info!("stopped");
        Ok(ExitCode::SUCCESS)
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

fn open_store(data_dir: &Path) -> Result<Store> {
    let db = data_dir.join("db");
    if !db.exists() {
        return Err(Error::bad(format!(
            "no Hanlin data at {}",
            data_dir.display()
        )));
    }
    // A command that has just closed the database (restore, then reindex and check) may find
    // sled's file lock not yet released: wait for it a moment (bounded: 5 s) rather than fail.
    // A running server holds it for good, and is named after the wait.
    let mut tries = 0;
    loop {
        match Store::open(&db) {
            Err(e) if tries < 50 && e.to_string().contains("could not acquire lock") => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            r => return r,
        }
    }
}

/// `hanlin backup [--out DIR]` (the server must be stopped: sled allows one process) and
/// `hanlin backup verify FILE`.
pub fn backup(args: &BackupArgs) -> Result<ExitCode> {
    if let Some(BackupAction::Verify { file }) = &args.action {
        let m = crate::store::backup::verify(file)?;
        println!(
            "ok: {} is a whole backup of {} (format {}, {} records in {} trees, {} documents, {} versions)",
            file.display(),
            m.created_at.to_rfc3339(),
            m.format,
            m.records(),
            m.parts.len(),
            m.records_of(crate::store::DOCS),
            m.records_of(crate::store::VERSIONS),
        );
        return Ok(ExitCode::SUCCESS);
    }
    let store = open_store(&args.data_dir)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| args.data_dir.join("backups"));
    let b = crate::service::backups::run(&store, None, &out, 30)?;
    store.flush_blocking()?;
    println!(
        "wrote and verified {} ({} bytes)",
        out.join(&b.file).display(),
        b.size
    );
    Ok(ExitCode::SUCCESS)
}

/// `hanlin restore FILE --into DIR`: refuses a directory in use or holding anything, and a
/// backup from a newer Hanlin; restores, rebuilds the index and runs the full check.
pub fn restore(args: &RestoreArgs) -> Result<ExitCode> {
    let dir = &args.into;
    if let Ok(mut entries) = std::fs::read_dir(dir)
        && entries.next().is_some()
    {
        return Err(Error::bad(format!(
            "{} is not empty: restore into a new or empty directory",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::bad(format!("cannot create {}: {e}", dir.display())))?;
    let started = Instant::now();
    let pb = bar(0, "restoring");
    let m = crate::store::backup::restore(&args.file, &dir.join("db"), |done, total| {
        pb.set_length(total);
        pb.set_position(done);
    })?;
    pb.finish_and_clear();
    println!(
        "restored {} records of the backup taken {} in {:.2} s",
        m.records(),
        m.created_at.to_rfc3339(),
        started.elapsed().as_secs_f64()
    );
    reindex(dir)?;
    check(dir)
}

/// `hanlin check`: rebuilds every version, verifies hashes; exit 1 on corruption.
pub fn check(data_dir: &Path) -> Result<ExitCode> {
    let store = open_store(data_dir)?;
    let pb = bar(store.docs.len() as u64, "checking");
    let mut report = docs::check_all(&store, |n| pb.set_position(n))?;
    pb.finish_and_clear();
    // The secondary indexes must agree with the primary trees.
    report.problems.extend(crate::store::names::verify(&store)?);
    report
        .problems
        .extend(crate::service::reviews::verify_open_index(&store)?);
    report
        .problems
        .extend(accounts::verify_login_index(&store)?);
    report
        .problems
        .extend(crate::service::webhooks::verify(&store)?);
    let blobs = crate::store::blobs::Blobs::new(data_dir);
    report
        .problems
        .extend(crate::service::attachments::verify(&store, &blobs)?);
    println!(
        "checked {} documents, {} versions",
        report.docs, report.versions
    );
    if report.problems.is_empty() {
        println!(
            "ok: every version rebuilds and matches its hash; the name, login and open-review indexes match; the group robots read back"
        );
        Ok(ExitCode::SUCCESS)
    } else {
        for p in &report.problems {
            println!("CORRUPT: {p}");
        }
        println!("{} problem(s) found", report.problems.len());
        Ok(ExitCode::from(1))
    }
}

/// `hanlin reindex`: rebuilds the search index from the store.
pub fn reindex(data_dir: &Path) -> Result<ExitCode> {
    let store = open_store(data_dir)?;
    let index = crate::open_index(data_dir)?;
    let started = Instant::now();
    let pb = bar(store.docs.len() as u64, "indexing");
    let n = indexer::reindex_all(&store, &index, |done, _| pb.set_position(done))?;
    pb.finish_and_clear();
    store.flush_blocking()?;
    println!(
        "reindexed {n} documents in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// The admin account used for offline commands.
fn admin_actor(store: &Store) -> Result<Actor> {
    let users: Vec<User> = store.users.all()?;
    let admin = users
        .into_iter()
        .filter(|u| u.is_admin && !u.disabled)
        .min_by_key(|u| u.created_at)
        .ok_or_else(|| Error::bad("no active administrator account"))?;
    Ok(Actor {
        id: admin.id,
        name: format!("{} (cli)", admin.username),
        ip: None,
    })
}

/// Largest file `hanlin import` takes (the server's default body limit).
const MAX_IMPORT_BODY: usize = 5 * 1024 * 1024;
/// Most Markdown one `hanlin import` takes: it is written in one transaction, held in memory
/// (about 10x the text at its peak, indexing included).
const MAX_IMPORT_TOTAL: u64 = 256 * 1024 * 1024;

/// `hanlin import DIR --space NAME`: every file is checked first; any problem -> nothing written.
pub fn import(args: &ImportArgs) -> Result<ExitCode> {
    let started = Instant::now();
    std::fs::create_dir_all(&args.data_dir).map_err(Error::internal)?;
    let store = Store::open(&args.data_dir.join("db"))?;
    bootstrap::first_start(
        &store,
        std::env::var("HANLIN_ADMIN_PASSWORD").ok().as_deref(),
    )?;
    let actor = admin_actor(&store)?;
    // Check every file before writing anything (the space included); then write all in one go.
    let files = import::folder_files(&args.dir)?;
    let total: u64 = files
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    if total > MAX_IMPORT_TOTAL {
        return Err(Error::bad(format!(
            "{} holds {} MiB of Markdown; one import takes at most {} MiB (it is written in one transaction): import its sub-folders one at a time",
            args.dir.display(),
            total / (1024 * 1024),
            MAX_IMPORT_TOTAL / (1024 * 1024)
        )));
    }
    let (sources, mut problems) = import::read_folder(&args.dir, &files, MAX_IMPORT_BODY as u64);
    let (checked, more) = import::check(sources, MAX_IMPORT_BODY);
    problems.extend(more);
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("  {}: {} ({})", p.entry, p.message, p.code);
        }
        return Err(Error::bad(format!(
            "{} problem{} found in {}; nothing was imported",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" },
            args.dir.display()
        )));
    }
    let space = import::find_or_create_space(&store, &actor, &args.space)?;
    let report = import::write(&store, &actor, &space, &checked)?;
    store.flush_blocking()?;
    let stored = started.elapsed();
    let index = crate::open_index(&args.data_dir)?;
    let queued = store.outbox.len() as u64;
    let pb = bar(queued, "indexing");
    let n = crate::catch_up(&store, &index, crate::StaleIndex::RebuildNow)?;
    pb.set_position(n as u64);
    pb.finish_and_clear();
    store.flush_blocking()?;
    println!(
        "imported into space '{}': {} created, {} updated, {} unchanged, {} categories, {} skipped",
        space.name,
        report.created,
        report.updated,
        report.unchanged,
        report.categories,
        report.skipped.len()
    );
    for s in &report.skipped {
        println!("  skipped {s}");
    }
    println!(
        "stored in {:.2} s, indexed {} in {:.2} s; total {:.2} s",
        stored.as_secs_f64(),
        n,
        (started.elapsed() - stored).as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// `hanlin eval QUERIES`: hit@5, recall@5 and MRR@10 over imported documents.
pub fn eval(args: &EvalArgs) -> Result<ExitCode> {
    let store = open_store(&args.data_dir)?;
    let index = crate::open_index(&args.data_dir)?;
    crate::catch_up(&store, &index, crate::StaleIndex::RebuildNow)?;
    // Map doc id -> imported relative path (any space).
    let mut path_of = std::collections::HashMap::new();
    for p in store.import_paths.all() {
        let p = p?;
        path_of.insert(p.doc_id, p.path);
    }
    let text = std::fs::read_to_string(&args.queries)
        .map_err(|e| Error::bad(format!("cannot read {}: {e}", args.queries.display())))?;
    let (mut n, mut hit5, mut recall5, mut mrr) = (0u32, 0f64, 0f64, 0f64);
    let (mut absent, mut absent_empty) = (0u32, 0u32);
    for line in text.lines() {
        let Some((q, answers)) = line.split_once('\t') else {
            continue;
        };
        let answers: Vec<&str> = answers
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .collect();
        if answers.is_empty() {
            continue;
        }
        let res = index.search(&SearchRequest {
            query: q.to_owned(),
            limit: 10,
            offset: 0,
            sort: Sort::Relevance,
            access: Access::All,
        })?;
        // `-`: the corpus holds no answer, and the right result is no hit at all.
        if answers == ["-"] {
            absent += 1;
            if res.total == 0 {
                absent_empty += 1;
            }
            let top = res.hits.first().map(|h| h.title.as_str()).unwrap_or("");
            println!(
                "absent\t{}\t{q}\t{top}\t{}",
                res.total,
                res.unmatched.join(" ")
            );
            continue;
        }
        n += 1;
        let paths: Vec<&str> = res
            .hits
            .iter()
            .map(|h| path_of.get(&h.id).map(String::as_str).unwrap_or(""))
            .collect();
        let rank = paths.iter().position(|p| answers.contains(p));
        let found5 = paths.iter().take(5).filter(|p| answers.contains(p)).count();
        if rank.is_some_and(|r| r < 5) {
            hit5 += 1.0;
        }
        recall5 += found5 as f64 / answers.len().min(5) as f64;
        if let Some(r) = rank {
            mrr += 1.0 / (r as f64 + 1.0);
        }
        println!(
            "{}\t{}\t{}\t{}",
            rank.map(|r| (r + 1).to_string())
                .unwrap_or_else(|| "-".into()),
            q,
            paths.first().copied().unwrap_or(""),
            res.unmatched.join(" ")
        );
    }
    let n = n.max(1) as f64;
    println!(
        "queries: {n}  hit@5: {:.3}  recall@5: {:.3}  MRR@10: {:.3}",
        hit5 / n,
        recall5 / n,
        mrr / n
    );
    if absent > 0 {
        println!("absent: {absent}  answered with no hit: {absent_empty}");
    }
    Ok(ExitCode::SUCCESS)
}

fn read_password() -> Result<String> {
    if let Ok(p) = std::env::var("HANLIN_PASSWORD") {
        return Ok(p);
    }
    eprint!("password: ");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(Error::internal)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn find_user(store: &Store, username: &str) -> Result<User> {
    accounts::by_login(store, username)?.ok_or(Error::NotFound("user"))
}

fn cli_audit(store: &Store, action: &str, user: &User) -> Result<AuditEvent> {
    Ok(AuditEvent {
        seq: store.next_seq()?,
        at: Utc::now(),
        actor: None,
        actor_name: Some("cli".into()),
        action: action.into(),
        target: format!("user:{}", user.id),
        outcome: "ok".into(),
        ip: None,
        detail: Some(serde_json::json!({"username": user.username})),
    })
}

fn save_user(store: &Store, user: &User, action: &str) -> Result<()> {
    let ev = cli_audit(store, action, user)?;
    accounts::replace(store, user, None, &ev)?;
    store.flush_blocking()
}

/// `hanlin user add|passwd|disable|list`.
pub fn user(cmd: UserCommand) -> Result<ExitCode> {
    match cmd {
        UserCommand::Add {
            username,
            admin,
            data_dir,
        } => {
            std::fs::create_dir_all(&data_dir).map_err(Error::internal)?;
            let store = Store::open(&data_dir.join("db"))?;
            bootstrap::first_start(
                &store,
                std::env::var("HANLIN_ADMIN_PASSWORD").ok().as_deref(),
            )?;
            let password = read_password()?;
            accounts::create_blocking(
                &store,
                accounts::NewAccount {
                    username: username.clone(),
                    display_name: None,
                    password,
                    kind: AccountKind::Employee,
                    expires_at: None,
                    is_admin: admin,
                    groups: vec![],
                },
                |user| Ok(Some(cli_audit(&store, "user.create", user)?)),
            )?;
            store.flush_blocking()?;
            println!(
                "created {username}{}",
                if admin { " (administrator)" } else { "" }
            );
        }
        UserCommand::Passwd { username, data_dir } => {
            let store = open_store(&data_dir)?;
            let mut user = find_user(&store, &username)?;
            let password = read_password()?;
            sessions::check_password_policy(&password, &username)?;
            user.password_hash = sessions::hash_password(&password)?;
            user.disabled = false;
            user.sessions_valid_after = Some(Utc::now());
            save_user(&store, &user, "user.password_reset")?;
            println!("password of {username} changed; its sessions were ended");
        }
        UserCommand::Disable { username, data_dir } => {
            let store = open_store(&data_dir)?;
            let mut user = find_user(&store, &username)?;
            user.disabled = true;
            user.sessions_valid_after = Some(Utc::now());
            save_user(&store, &user, "user.disable")?;
            println!("disabled {username}");
        }
        UserCommand::List { data_dir } => {
            let store = open_store(&data_dir)?;
            let mut users: Vec<User> = store.users.all()?;
            users.sort_by(|a, b| a.username.cmp(&b.username));
            for u in users {
                let state = if u.disabled {
                    "disabled"
                } else if sessions::account_active(&u) {
                    "active"
                } else {
                    "expired"
                };
                println!(
                    "{:20} {:10} {:9} {}{}",
                    u.username,
                    format!("{:?}", u.kind).to_lowercase(),
                    state,
                    u.display_name,
                    if u.is_admin { " [admin]" } else { "" }
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
