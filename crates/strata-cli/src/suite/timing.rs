//! Where the stairway's time goes, by phase, printed to stderr at the end of the run when
//! `STRATA_TEST_TIMING` is set (for profiling; not part of the output contract).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

#[derive(Default)]
pub struct Timings {
    on: bool,
    phases: RefCell<BTreeMap<&'static str, (Duration, u32)>>,
}

impl Timings {
    pub fn from_env() -> Timings {
        Timings {
            on: std::env::var_os("STRATA_TEST_TIMING").is_some(),
            phases: RefCell::default(),
        }
    }

    /// Runs `f`, adding its time to `phase`.
    pub fn time<T>(&self, phase: &'static str, f: impl FnOnce() -> T) -> T {
        if !self.on {
            return f();
        }
        let t0 = Instant::now();
        let out = f();
        let mut phases = self.phases.borrow_mut();
        let entry = phases.entry(phase).or_default();
        entry.0 += t0.elapsed();
        entry.1 += 1;
        out
    }

    /// The totals, one line per phase, to stderr.
    pub fn print(&self, total: Duration) {
        if !self.on {
            return;
        }
        eprintln!("strata test timings (total {:.3} s):", total.as_secs_f64());
        for (phase, (time, count)) in self.phases.borrow().iter() {
            eprintln!(
                "  {phase:<14} {:>9.3} s  {count:>6} x  {:>8.2} ms each",
                time.as_secs_f64(),
                time.as_secs_f64() * 1000.0 / f64::from((*count).max(1))
            );
        }
    }
}
