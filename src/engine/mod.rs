//! The engine: the handle table, the objects behind handles, and the I/O of requests. The engine
//! owns state; it calls the sans-IO core in [`crate::proto`] and never the FFI layer, which reaches
//! it through [`api`] only.
//!
//! Modules in rank order: each imports only modules ranked below it (checked by `tests/layers.rs`).
//! 0 leaves: `log` (first among them: any module may log, it imports none), then `diag`,
//! `error`, `reactor`, `completion`, `settings`, `callback`, `metrics`; 1 `cancel`; 2 `transport` (`resolve`, `tls`,
//! `gssapi`, `tcp`); 3 `conn`; 4 `plan`; 5 `pool`; 6 `lane`; 7 `objects` (`handle`, `session`,
//! `request`); 8 `ops` (driver, `connect`, `send`, `receive`, `read`); 9 `handles`; 10 `options`;
//! 11 `api`.

pub mod api;
pub mod callback;
pub mod cancel;
pub mod completion;
pub mod conn;
pub mod diag;
pub mod error;
pub mod handles;
pub mod lane;
pub mod log;
pub mod metrics;
pub mod objects;
pub mod ops;
pub mod options;
pub mod plan;
pub mod pool;
pub mod reactor;
pub mod settings;
pub mod transport;
