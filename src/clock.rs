//! The time onboarding deadlines and reminders are measured with. The server reads the system
//! clock; tests move it ([`Clock::set`], [`Clock::advance`]) instead of sleeping, and everything
//! that asks this clock (assignment times, due dates, reminders, acknowledgements, whether an
//! intern's end date has passed for an audience) follows.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

/// The system clock, shifted by an offset that only tests change.
#[derive(Debug, Default)]
pub struct Clock {
    /// Milliseconds added to the system clock.
    offset_ms: AtomicI64,
}

impl Clock {
    /// Now, as this clock tells it.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Makes it `t` now (the clock then runs on from there).
    pub fn set(&self, t: DateTime<Utc>) {
        let offset = (t - Utc::now()).num_milliseconds();
        self.offset_ms.store(offset, Ordering::Relaxed);
    }

    /// Moves the clock forward by `d`.
    pub fn advance(&self, d: Duration) {
        self.offset_ms
            .fetch_add(d.num_milliseconds(), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_moves_when_told_and_runs_on() {
        let c = Clock::default();
        let before = Utc::now();
        assert!((c.now() - before).num_seconds().abs() < 2);
        c.advance(Duration::days(3));
        assert!((c.now() - before - Duration::days(3)).num_seconds().abs() < 2);
        let t = before + Duration::days(40);
        c.set(t);
        assert!((c.now() - t).num_seconds().abs() < 2);
    }
}
