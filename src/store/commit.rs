//! Group commit: the store's write gate and its single flusher.
//!
//! sled 0.34 deadlocks when a flush (which holds sled's concurrency-control read lock while it waits
//! for IO) interleaves with transactions (which queue for that lock's write side, and so block the
//! IO threads queued behind them). So durability is ours, and it never overlaps a write:
//!
//! - every write runs under the gate's **shared** side ([`GroupCommit::write`]) and, once it has
//!   committed in memory, counts itself in `committed`;
//! - one flusher thread takes the gate's **exclusive** side, so no write is in progress, notes how
//!   many writes have committed, calls `db.flush()`, releases the gate and publishes that count as
//!   durable, waking every writer whose write the flush covered;
//! - nothing else flushes, and sled's own periodic flush is off (`flush_every_ms(None)`).
//!
//! A writer is answered only after [`GroupCommit::durable`] (or its blocking twin) has seen a flush
//! that covers its write. Writers that arrive while a flush runs wait at the gate and are covered by
//! the next flush together: the more writers, the larger each group.

use std::{
    sync::{
        Arc, Condvar, Mutex, RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use tokio::sync::watch;

use crate::error::{Error, Result};

/// How far durability has come: writes `1..=durable` are on disk. A failed flush is remembered so
/// that the writers it should have covered get an error instead of waiting forever.
#[derive(Clone, Debug, Default)]
struct Progress {
    durable: u64,
    /// The count a failed flush should have made durable, and why it failed.
    failed: Option<(u64, Arc<str>)>,
}

impl Progress {
    /// `Some(answer)` once the write numbered `n` is settled.
    fn settled(&self, n: u64) -> Option<Result<()>> {
        if self.durable >= n {
            return Some(Ok(()));
        }
        match &self.failed {
            Some((upto, why)) if *upto >= n => Some(Err(Error::internal(format!(
                "the store could not make a write durable: {why}"
            )))),
            _ => None,
        }
    }
}

/// The wake-up state the flusher thread and the writers share.
struct Signal {
    /// Writers committed in memory, not yet flushed (the flusher's wake-up condition), and whether
    /// the store was dropped.
    state: Mutex<SignalState>,
    /// Wakes the flusher (work arrived) and blocking waiters (a flush finished).
    cv: Condvar,
    /// Published progress, for async waiters.
    progress: watch::Sender<Progress>,
}

#[derive(Default)]
struct SignalState {
    /// The highest write number a waiter asked to be made durable.
    wanted: u64,
    /// The store is gone: the flusher exits.
    closed: bool,
}

/// The gate, the write counter and the flusher thread. Dropping it (with the last store handle)
/// stops the thread after a final flush and joins it, so the database is closed when the drop
/// returns: a data directory can be reopened at once.
pub(crate) struct GroupCommit {
    shared: Arc<Shared>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// What the flusher thread and the writers share.
struct Shared {
    db: sled::Db,
    gate: RwLock<()>,
    /// Writes committed in memory so far (each write adds one while it holds the gate).
    committed: AtomicU64,
    signal: Signal,
}

impl GroupCommit {
    /// Starts the flusher thread for `db`.
    pub(crate) fn start(db: sled::Db) -> Result<Arc<Self>> {
        let shared = Arc::new(Shared {
            db,
            gate: RwLock::new(()),
            committed: AtomicU64::new(0),
            signal: Signal {
                state: Mutex::new(SignalState::default()),
                cv: Condvar::new(),
                progress: watch::Sender::new(Progress::default()),
            },
        });
        let for_thread = shared.clone();
        let thread = std::thread::Builder::new()
            .name("hanlin-flusher".into())
            .spawn(move || flusher(for_thread))
            .map_err(|e| Error::internal(format!("cannot start the flusher thread: {e}")))?;
        Ok(Arc::new(GroupCommit {
            shared,
            thread: Mutex::new(Some(thread)),
        }))
    }

    /// Runs one write under the gate's shared side. The closure must commit (or fail) before it
    /// returns; it may block (sled), so on a multi-threaded tokio worker it runs in
    /// `block_in_place` and the worker's other tasks move elsewhere.
    pub(crate) fn write<T>(&self, f: impl FnOnce() -> T) -> T {
        let sh = &self.shared;
        off_async_worker(|| {
            let _shared = sh.gate.read().unwrap_or_else(|p| p.into_inner());
            let r = f();
            sh.committed.fetch_add(1, Ordering::AcqRel);
            r
        })
    }

    /// Runs `f` while no write is in progress and none can start (the gate's exclusive side): what
    /// `f` reads is every committed transaction whole and nothing of any other. Writers wait, so
    /// `f` must be short (a backup copies references to the records here and encodes them later).
    pub(crate) fn quiesced<T>(&self, f: impl FnOnce() -> T) -> T {
        let sh = &self.shared;
        off_async_worker(|| {
            let _exclusive = sh.gate.write().unwrap_or_else(|p| p.into_inner());
            f()
        })
    }

    /// The number every write so far is covered by; wakes the flusher when it is behind.
    fn mark(&self) -> u64 {
        let sh = &self.shared;
        let n = sh.committed.load(Ordering::Acquire);
        let mut s = sh.signal.state.lock().unwrap_or_else(|p| p.into_inner());
        if n > s.wanted {
            s.wanted = n;
            sh.signal.cv.notify_all();
        }
        n
    }

    /// Waits until every write committed before this call is durable.
    pub(crate) async fn durable(&self) -> Result<()> {
        let n = self.mark();
        let mut rx = self.shared.signal.progress.subscribe();
        let mut answer = None;
        rx.wait_for(|p| {
            answer = p.settled(n);
            answer.is_some()
        })
        .await
        .map_err(|_| Error::internal("the flusher stopped"))?;
        answer.unwrap_or(Ok(()))
    }

    /// [`GroupCommit::durable`] for threads outside the async runtime (CLI, start-up).
    pub(crate) fn durable_blocking(&self) -> Result<()> {
        let n = self.mark();
        let sig = &self.shared.signal;
        let mut s = sig.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(answer) = sig.progress.borrow().settled(n) {
                return answer;
            }
            s = sig
                .cv
                .wait_timeout(s, Duration::from_millis(100))
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

impl Shared {
    /// One group: exclusive gate, flush, publish.
    fn flush_group(&self) {
        let exclusive = self.gate.write().unwrap_or_else(|p| p.into_inner());
        let upto = self.committed.load(Ordering::Acquire);
        let res = self.db.flush();
        drop(exclusive);
        self.signal.progress.send_modify(|p| match res {
            Ok(_) => p.durable = p.durable.max(upto),
            Err(ref e) => {
                tracing::error!(error = %e, "flush failed");
                p.failed = Some((upto, e.to_string().into()));
            }
        });
        // Blocking waiters sleep on the condition variable: wake them (under its lock, so none misses it).
        let _s = self.signal.state.lock().unwrap_or_else(|p| p.into_inner());
        self.signal.cv.notify_all();
    }
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        {
            let mut s = self
                .shared
                .signal
                .state
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            s.closed = true;
            self.shared.signal.cv.notify_all();
        }
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(t) = thread
            && t.join().is_err()
        {
            tracing::error!("the flusher thread panicked");
        }
    }
}

/// The flusher thread: sleeps until a waiter wants more than is durable, then flushes one group;
/// when the store is dropped, flushes a last time and ends.
fn flusher(sh: Arc<Shared>) {
    loop {
        {
            let mut s = sh.signal.state.lock().unwrap_or_else(|p| p.into_inner());
            loop {
                if s.closed {
                    drop(s);
                    sh.flush_group();
                    return;
                }
                if s.wanted > sh.signal.progress.borrow().durable {
                    break;
                }
                s = sh
                    .signal
                    .cv
                    .wait_timeout(s, Duration::from_millis(500))
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
        }
        sh.flush_group();
    }
}

/// Runs blocking work without stalling an async worker: in `block_in_place` on a multi-threaded
/// runtime, directly elsewhere (a plain thread, a current-thread runtime in unit tests).
pub(crate) fn off_async_worker<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_settles_on_durable_or_failure() {
        let mut p = Progress::default();
        assert!(p.settled(1).is_none());
        p.durable = 3;
        assert!(matches!(p.settled(3), Some(Ok(()))));
        assert!(p.settled(4).is_none());
        p.failed = Some((5, "disk full".into()));
        assert!(matches!(p.settled(5), Some(Err(_))));
        assert!(p.settled(6).is_none());
    }

    #[test]
    fn many_threads_writing_and_waiting_never_stall() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::Config::new()
            .path(dir.path())
            .flush_every_ms(None)
            .open()
            .unwrap();
        let a = db.open_tree("a").unwrap();
        let b = db.open_tree("b").unwrap();
        let gc = GroupCommit::start(db).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(3);
        let threads: Vec<_> = (0..16)
            .map(|t| {
                let (gc, a, b) = (gc.clone(), a.clone(), b.clone());
                std::thread::spawn(move || {
                    let mut n = 0u64;
                    while std::time::Instant::now() < deadline && n < 2_000 {
                        use sled::Transactional;
                        let key = format!("{t}-{n}");
                        gc.write(|| {
                            (&a, &b).transaction(|(a, b)| {
                                a.insert(key.as_bytes(), b"x")?;
                                b.insert(key.as_bytes(), b"y")?;
                                Ok::<_, sled::transaction::ConflictableTransactionError<()>>(())
                            })
                        })
                        .unwrap();
                        gc.durable_blocking().unwrap();
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        let total: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert!(total > 16, "writers made progress: {total}");
        assert_eq!(a.len() as u64, total);
        assert!(gc.shared.signal.progress.borrow().durable >= total);
    }
}
