//! Watching strata's own session while an online command runs: when its statement waits
//! on a lock and other sessions queue behind it for longer than a threshold, cancel it; the step
//! is then retried like a lock timeout.
//!
//! A DDL statement that needs ACCESS EXCLUSIVE waits behind every running transaction on the
//! table, and while it waits, every new query on the table waits behind it. `lock_timeout` bounds
//! the wait of the statement; the watcher bounds the wait of the others: it cancels strata's
//! statement as soon as it has blocked someone for `threshold`, which is what keeps the
//! application's latency low on a busy table.

use crate::error::OnlineError;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use strata_engine::{Database, DbError};
use strata_postgres::{ConnectOptions, Postgres};

/// How long strata's statement may keep other sessions queued behind its lock request before the
/// watcher cancels it (and the step is retried), unless told otherwise (`--max-blocking`).
pub const DEFAULT_MAX_BLOCKING: Duration = Duration::from_millis(300);

/// A watcher thread with its own connection, for one session (backend pid).
pub struct LockWatch {
    /// Cancellations not yet claimed by [`LockWatch::take_cancelled`].
    cancelled: AtomicU64,
    total: AtomicU64,
    stop: AtomicBool,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for LockWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockWatch")
            .field("cancelled", &self.cancelled.load(Ordering::SeqCst))
            .finish()
    }
}

impl LockWatch {
    /// Starts watching the session `pid` of the database at `url`.
    pub fn spawn(url: &str, pid: i32, threshold: Duration) -> Result<Arc<LockWatch>, OnlineError> {
        let mut pg = Postgres::connect(
            url,
            &ConnectOptions {
                application_name: "strata lock watch".into(),
                ..ConnectOptions::default()
            },
        )?;
        let watch = Arc::new(LockWatch {
            cancelled: AtomicU64::new(0),
            total: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            thread: Mutex::new(None),
        });
        let shared = Arc::clone(&watch);
        let probe = format!(
            "SELECT (SELECT wait_event_type = 'Lock' FROM pg_catalog.pg_stat_activity WHERE pid = {pid}), \
                    (SELECT count(*) FROM pg_catalog.pg_stat_activity b \
                      WHERE b.pid <> {pid} AND {pid} = ANY (pg_catalog.pg_blocking_pids(b.pid)))"
        );
        let handle = std::thread::spawn(move || {
            let mut since: Option<Instant> = None;
            while !shared.stop.load(Ordering::SeqCst) {
                let blocking = match pg.simple_query_rows(&probe) {
                    Ok(rows) => rows.first().is_some_and(|r| {
                        r.first().cloned().flatten().as_deref() == Some("t")
                            && r.get(1).cloned().flatten().is_some_and(|n| n != "0")
                    }),
                    Err(_) => false,
                };
                if blocking {
                    let first = *since.get_or_insert_with(Instant::now);
                    if first.elapsed() >= threshold {
                        shared.cancelled.fetch_add(1, Ordering::SeqCst);
                        shared.total.fetch_add(1, Ordering::SeqCst);
                        let _ = pg.execute(&format!("SELECT pg_catalog.pg_cancel_backend({pid})"));
                        since = None;
                    }
                } else {
                    since = None;
                }
                std::thread::sleep(
                    Duration::from_millis(25)
                        .min(threshold / 4)
                        .max(Duration::from_millis(5)),
                );
            }
        });
        if let Ok(mut slot) = watch.thread.lock() {
            *slot = Some(handle);
        }
        Ok(watch)
    }

    /// Starts watching `pg`'s own session through a second connection to `url` (the database
    /// `pg` is connected to); `None` when `threshold` is zero (the watcher is off).
    pub fn on_session(
        pg: &mut Postgres,
        url: &str,
        threshold: Duration,
    ) -> Result<Option<Arc<LockWatch>>, OnlineError> {
        if threshold.is_zero() {
            return Ok(None);
        }
        let pid: i32 = pg
            .simple_query_rows("SELECT pg_backend_pid()")?
            .first()
            .and_then(|r| r.first().cloned().flatten())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        LockWatch::spawn(url, pid, threshold).map(Some)
    }

    /// Whether the watcher cancelled the session's statement since the last call (so that its
    /// `query_canceled` error is retried, not reported).
    pub fn take_cancelled(&self) -> bool {
        self.cancelled
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }

    /// How many times it cancelled a statement.
    pub fn cancellations(&self) -> u64 {
        self.total.load(Ordering::SeqCst)
    }

    /// Stops the thread (also on drop of the last handle).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Ok(mut slot) = self.thread.lock() {
            if let Some(handle) = slot.take() {
                let _ = handle.join();
            }
        }
    }
}

impl Drop for LockWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// `query_canceled`: what a cancelled statement fails with.
pub fn is_cancel(error: &DbError) -> bool {
    error.code.as_deref() == Some("57014")
}
