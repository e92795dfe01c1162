//! The WebSocket peer: `tests/support/ws_server.py`, on Python's `websockets` package, started once per
//! test process (on first use) on 127.0.0.1 with an ephemeral port, in a temporary directory. Its
//! behaviours are chosen by the request path (see the script's docstring). It exits when the test
//! process does: it serves until its standard input, a pipe held here, reaches end of file.
//!
//! When `python3` or the package is missing, [`server`] says so and the caller skips.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// A running peer.
pub struct WsServer {
    pub port: u16,
    /// Held so the server's stdin stays open while this process lives.
    _stdin: Mutex<ChildStdin>,
    _child: Mutex<Child>,
}

/// The shared server, or why there is none (a message for the skip).
pub fn server() -> Result<&'static WsServer, &'static str> {
    static SERVER: OnceLock<Result<WsServer, String>> = OnceLock::new();
    SERVER.get_or_init(start).as_ref().map_err(|e| e.as_str())
}

/// The same peer over TLS (wss://) with the certificate and key in `dir` (`server.pem`, `server.key`:
/// the test PKI's "good" leaf, for "localhost"), started once.
#[allow(dead_code)] // used through support::env_vars, not by every test crate that includes this file
pub fn tls_server(dir: &Path) -> Result<&'static WsServer, &'static str> {
    static SERVER: OnceLock<Result<WsServer, String>> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            let (cert, key) = (dir.join("server.pem"), dir.join("server.key"));
            start_with(&["--tls".into(), cert.display().to_string(), key.display().to_string()])
        })
        .as_ref()
        .map_err(|e| e.as_str())
}

fn start() -> Result<WsServer, String> {
    start_with(&[])
}

fn start_with(args: &[String]) -> Result<WsServer, String> {
    let have = Command::new("python3")
        .args(["-c", "import websockets.asyncio.server"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !matches!(have, Ok(s) if s.success()) {
        return Err("python3 with the `websockets` package (13 or later) is not installed: \
                    `pip install websockets` (.ci/run does)"
            .into());
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/ws_server.py");
    let dir = std::env::temp_dir().join(format!("winhttp-ws-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("temp dir {}: {e}", dir.display()))?;
    let mut child = Command::new("python3")
        .arg(&script)
        .args(args)
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("starting {}: {e}", script.display()))?;
    let stdout = child.stdout.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line =
        rx.recv_timeout(Duration::from_secs(20)).map_err(|_| "the WebSocket server did not start".to_string())?;
    let port = line
        .trim()
        .strip_prefix("PORT ")
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| format!("the WebSocket server said {line:?}"))?;
    let stdin = child.stdin.take().expect("piped");
    Ok(WsServer { port, _stdin: Mutex::new(stdin), _child: Mutex::new(child) })
}
