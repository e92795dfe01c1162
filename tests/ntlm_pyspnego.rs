//! An independent check of our NTLM and SPNEGO-wrapped NTLM: pyspnego (a Python implementation,
//! run as the server side by `tests/support/ntlm_acceptor.py`) must accept our AUTHENTICATE
//! message for the right password, refuse it for a wrong one, and verify our signatures.
//! Skips with a message where python3 or pyspnego is missing (`.ci/run` installs both).

use base64::Engine;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use winhttp::proto::auth::ntlm::Ntlm;
use winhttp::proto::auth::spnego::SpnegoNtlm;
use winhttp::proto::auth::{Credentials, Mechanism, SystemEntropy};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

struct Acceptor {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    _dir: TempDir,
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What the acceptor said to one token.
#[derive(Debug)]
enum Reply {
    Ok { token: Option<Vec<u8>>, complete: bool, principal: String },
    Err(#[allow(dead_code)] String),
}

impl Acceptor {
    /// Starts the acceptor for `protocol` ("ntlm" or "negotiate") knowing one user; `None` (with
    /// the reason printed) when python3 or pyspnego is not there.
    fn start(protocol: &str, name: &str) -> Option<Acceptor> {
        let dir = std::env::temp_dir().join(format!("winhttp-ntlm-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let users = dir.join("users");
        std::fs::write(&users, "CORP:alice:S3cret-pässword\n:bob:hunter2\n").unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/ntlm_acceptor.py");
        let child = Command::new("python3")
            .arg(script)
            .arg(protocol)
            .env("NTLM_USER_FILE", &users)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn();
        let Ok(mut child) = child else {
            eprintln!("SKIP {name}: python3 is not installed");
            return None;
        };
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        if first.trim() != "READY" {
            eprintln!("SKIP {name}: the acceptor did not start: {}", first.trim());
            let _ = child.wait();
            return None;
        }
        Some(Acceptor { child, stdin, stdout, _dir: TempDir(dir) })
    }

    fn ask(&mut self, line: &str) -> Reply {
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
        let mut answer = String::new();
        self.stdout.read_line(&mut answer).unwrap();
        let parts: Vec<&str> = answer.split_whitespace().collect();
        match parts.first() {
            Some(&"OK") => Reply::Ok {
                token: (parts[1] != "-").then(|| B64.decode(parts[1]).unwrap()),
                complete: parts[2] == "1",
                principal: parts[3].to_string(),
            },
            _ => Reply::Err(answer.trim().to_string()),
        }
    }

    fn token(&mut self, token: &[u8]) -> Reply {
        self.ask(&format!("TOKEN {}", B64.encode(token)))
    }
}

impl Drop for Acceptor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn ntlm(user: &str, password: &str) -> Ntlm {
    let creds = Credentials { user: user.into(), password: password.into() };
    Ntlm::new(creds, "WORKSTATION", Box::new(SystemEntropy), Ntlm::filetime_now())
}

/// Runs NTLM against the acceptor: the reply to our AUTHENTICATE and the mechanism.
fn ntlm_exchange(name: &str, user: &str, password: &str) -> Option<(Reply, Ntlm, Acceptor)> {
    let mut acc = Acceptor::start("ntlm", name)?;
    let mut m = ntlm(user, password);
    let negotiate = m.start().unwrap();
    let Reply::Ok { token: Some(challenge), complete: false, .. } = acc.token(&negotiate) else {
        panic!("{name}: the acceptor gave no CHALLENGE");
    };
    let authenticate = m.step(&challenge).unwrap().unwrap();
    assert!(m.done());
    Some((acc.token(&authenticate), m, acc))
}

#[test]
fn ntlm_accepted_with_the_right_password() {
    let Some((reply, mut m, mut acc)) = ntlm_exchange("ntlm_right", "CORP\\alice", "S3cret-pässword") else {
        return;
    };
    match reply {
        Reply::Ok { complete: true, principal, .. } => assert_eq!(principal.to_lowercase(), "corp\\alice"),
        other => panic!("our AUTHENTICATE was refused: {other:?}"),
    }
    // Our message signatures verify on the server side (seq 0, then 1).
    for data in [&b"first message"[..], b"second"] {
        let sig = m.sign(data).unwrap();
        match acc.ask(&format!("VERIFY {} {}", B64.encode(data), B64.encode(sig))) {
            Reply::Ok { .. } => {}
            other => panic!("signature refused: {other:?}"),
        }
    }
}

#[test]
fn ntlm_user_without_domain() {
    let Some((reply, ..)) = ntlm_exchange("ntlm_nodomain", "bob", "hunter2") else { return };
    assert!(matches!(reply, Reply::Ok { complete: true, .. }), "{reply:?}");
}

#[test]
fn ntlm_refused_with_a_wrong_password() {
    let Some((reply, ..)) = ntlm_exchange("ntlm_wrong", "CORP\\alice", "S3cret-password") else { return };
    assert!(matches!(reply, Reply::Err(_)), "a wrong password was accepted: {reply:?}");
    let Some((reply, ..)) = ntlm_exchange("ntlm_wrong_user", "CORP\\mallory", "S3cret-pässword") else { return };
    assert!(matches!(reply, Reply::Err(_)), "an unknown user was accepted: {reply:?}");
}

fn spnego_exchange(name: &str, user: &str, password: &str) -> Option<(Reply, SpnegoNtlm)> {
    let mut acc = Acceptor::start("negotiate", name)?;
    let mut m = SpnegoNtlm::new(ntlm(user, password));
    let init = m.start().unwrap();
    let Reply::Ok { token: Some(challenge), complete: false, .. } = acc.token(&init) else {
        panic!("{name}: the acceptor gave no SPNEGO challenge");
    };
    let auth = m.step(&challenge).unwrap().unwrap();
    assert!(m.done());
    Some((acc.token(&auth), m))
}

#[test]
fn spnego_ntlm_accepted_with_the_right_password() {
    let Some((reply, mut m)) = spnego_exchange("spnego_right", "CORP\\alice", "S3cret-pässword") else { return };
    let Reply::Ok { token: Some(last), complete: true, principal } = reply else {
        panic!("our SPNEGO AUTHENTICATE was refused: {reply:?}");
    };
    assert_eq!(principal.to_lowercase(), "corp\\alice");
    // The server's accept-completed finishes our side.
    assert_eq!(m.step(&last).unwrap(), None);
}

#[test]
fn spnego_ntlm_refused_with_a_wrong_password() {
    let Some((reply, _)) = spnego_exchange("spnego_wrong", "CORP\\alice", "nope") else { return };
    assert!(matches!(reply, Reply::Err(_)), "a wrong password was accepted: {reply:?}");
}
