//! CPU-heavy work (rendering, diffs, rebuilding versions, import parsing) off the async workers: on
//! tokio's blocking threads, at most one job per core at a time, with a bounded queue so a flood of
//! requests cannot pile up unbounded work (past the bound the caller is told to retry: 503
//! `server_busy`).

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use tokio::sync::Semaphore;

use crate::error::{Code, Error, Result};

/// Jobs allowed to wait per running slot before new ones are refused.
const QUEUE_PER_SLOT: usize = 64;

/// A bounded pool in front of `spawn_blocking`.
pub struct CpuPool {
    slots: Arc<Semaphore>,
    /// Jobs admitted (running or waiting for a slot).
    admitted: Arc<AtomicUsize>,
    max_admitted: usize,
}

impl Default for CpuPool {
    /// One slot per core.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        CpuPool::new(cores, cores * QUEUE_PER_SLOT)
    }
}

/// Gives back an admission when the job ends, however it ends (also when the request is dropped).
struct Admitted(Arc<AtomicUsize>);

impl Drop for Admitted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl CpuPool {
    /// A pool running at most `slots` jobs at once, with at most `max_admitted` running or waiting.
    pub fn new(slots: usize, max_admitted: usize) -> Self {
        let slots = slots.max(1);
        CpuPool {
            slots: Arc::new(Semaphore::new(slots)),
            admitted: Arc::new(AtomicUsize::new(0)),
            max_admitted: max_admitted.max(slots),
        }
    }

    /// Runs `job` on a blocking thread once a slot is free. Refuses with 503 `server_busy` when the
    /// queue is full; a job that panics answers 500.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        if self.admitted.fetch_add(1, Ordering::AcqRel) >= self.max_admitted {
            self.admitted.fetch_sub(1, Ordering::AcqRel);
            return Err(Error::rule(
                Code::ServerBusy,
                "the server is busy; try again in a moment",
            ));
        }
        let admitted = Admitted(self.admitted.clone());
        let permit = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .map_err(Error::internal)?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let _admitted = admitted;
            job()
        })
        .await
        .map_err(Error::internal)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_at_most_slots_at_once_and_refuses_past_the_queue() {
        let pool = Arc::new(CpuPool::new(1, 2));
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let rx = Arc::new(std::sync::Mutex::new(rx));
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let mut jobs = Vec::new();
        for _ in 0..2 {
            let (pool, rx, running, peak) =
                (pool.clone(), rx.clone(), running.clone(), peak.clone());
            jobs.push(tokio::spawn(async move {
                pool.run(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    rx.lock().unwrap().recv().unwrap();
                    running.fetch_sub(1, Ordering::SeqCst);
                    Ok(())
                })
                .await
            }));
        }
        // Both admitted (one running, one waiting): a third is refused at once.
        for _ in 0..200 {
            if pool.admitted.load(Ordering::SeqCst) == 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let third = pool.run(|| Ok(())).await;
        assert!(
            matches!(
                third,
                Err(Error::Rule {
                    code: Code::ServerBusy,
                    ..
                })
            ),
            "{third:?}"
        );
        tx.send(()).unwrap();
        tx.send(()).unwrap();
        for j in jobs {
            j.await.unwrap().unwrap();
        }
        assert_eq!(
            peak.load(Ordering::SeqCst),
            1,
            "one slot, one job at a time"
        );
        assert_eq!(pool.admitted.load(Ordering::SeqCst), 0);
        assert_eq!(pool.run(|| Ok(7)).await.unwrap(), 7);
    }
}
