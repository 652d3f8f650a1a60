//! Splitting migration SQL into statements, each mapped back to its line, and recognising the
//! statements that cannot run inside a transaction.
//!
//! (Being written: see `split`.)
