//! The completion pool: a fixed set of threads that resume asynchronous operations after the
//! reactor reports readiness, and deliver their completions to the status callback. The reactor
//! never runs user code; these threads do, so a slow callback delays only the work queued behind
//! it, never readiness.

use crossbeam_channel::{Sender, unbounded};
use std::sync::OnceLock;

type Job = Box<dyn FnOnce() + Send>;

/// Threads in the pool: fixed, whatever the number of requests in flight.
const THREADS: usize = 4;

fn queue() -> &'static Sender<Job> {
    static QUEUE: OnceLock<Sender<Job>> = OnceLock::new();
    QUEUE.get_or_init(|| {
        let (tx, rx) = unbounded::<Job>();
        for i in 0..THREADS {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("winhttp-completion-{i}"))
                .spawn(move || {
                    for job in rx {
                        // A panic in one job must not take the thread (and the pool) down.
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                })
                .expect("spawn a completion thread");
        }
        tx
    })
}

/// Runs `job` on a completion thread.
pub fn submit(job: impl FnOnce() + Send + 'static) {
    // The receivers live as long as the process: sending cannot fail.
    let _ = queue().send(Box::new(job));
}

/// True on a completion thread (used to tell a completion that will come later from one that
/// runs inline on the caller's thread).
pub fn on_pool_thread() -> bool {
    std::thread::current().name().is_some_and(|n| n.starts_with("winhttp-completion-"))
}
