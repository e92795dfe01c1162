//! Reading the body: `WinHttpQueryDataAvailable` and `WinHttpReadData`.
//!
//! The pattern ported programs use — QueryDataAvailable, then ReadData of what it reported — runs
//! without an internal copy: QueryDataAvailable reports what can be read without blocking (body
//! bytes already buffered, or, with nothing buffered, what the socket or the TLS session holds
//! within the body's current data run) without reading it, and ReadData then moves it from the
//! socket (or the TLS session) straight into the caller's buffer. Windows' promise holds: after
//! QueryDataAvailable reports n, reading n bytes does not block.

use super::{Completion, Operation, Outcome, Step, StepResult, Wait, end_body, end_of_stream, execute, socket_wait};
use crate::abi::*;
use crate::engine::conn::Reading;
use crate::engine::error::Error;
use crate::engine::lane::{Lane, Owner};
use crate::engine::objects::request::{Phase, Request};
use crate::engine::reactor::Want;
use std::sync::Arc;

fn receive_wait<T>(lane: &Lane) -> StepResult<T> {
    let timeout = lane.plan()?.timeouts.receive;
    Ok(Step::Wait(socket_wait(lane, Want::Read, timeout)?))
}

/// A wait for the lane's HTTP/2 stream (data, or its end), with the receive timeout.
fn h2_wait<T>(lane: &Lane) -> StepResult<T> {
    let timeout_ms = lane.plan()?.timeouts.receive;
    let token = lane.h2.as_ref().map(|s| s.token).ok_or(ERROR_WINHTTP_INTERNAL_ERROR)?;
    Ok(Step::Wait(Wait::Signal { token, timeout_ms }))
}

/// `WinHttpQueryDataAvailable`: body bytes that can be read without waiting (waiting for some
/// when none are there yet); 0 at the end of the body.
struct AvailableOp;

impl Operation for AvailableOp {
    type Output = DWORD;
    const API: DWORD = API_QUERY_DATA_AVAILABLE;

    fn phase(&self, _: bool) -> Option<Phase> {
        None
    }

    fn completion(&self, n: DWORD) -> Completion {
        Completion::Dword(WINHTTP_CALLBACK_STATUS_DATA_AVAILABLE, n)
    }

    fn step(&mut self, owner: &dyn Owner, lane: &mut Lane) -> StepResult<DWORD> {
        if let Some(stream) = lane.h2.as_mut() {
            return match stream.poll_available()? {
                None => h2_wait(lane),
                Some(0) => {
                    end_body(owner, lane);
                    Ok(Step::Done(0))
                }
                Some(n) => Ok(Step::Done(n.min(DWORD::MAX as usize) as DWORD)),
            };
        }
        loop {
            let Some(conn) = lane.conn.as_mut() else { return Ok(Step::Done(0)) };
            let Reading::Body(decoder) = &mut conn.reading else { return Ok(Step::Done(0)) };
            let skipped = decoder.skip_framing(conn.rbuf.bytes()).map_err(Error::protocol)?;
            conn.rbuf.consume(skipped);
            if decoder.is_done() {
                end_body(owner, lane);
                return Ok(Step::Done(0));
            }
            let n = decoder.available(conn.rbuf.len());
            if n > 0 {
                return Ok(Step::Done(n.min(DWORD::MAX as usize) as DWORD));
            }
            // Nothing buffered: what the socket (or the TLS session) already holds, within the
            // current run of body bytes, is readable without blocking and without a copy here.
            let run = decoder.data_run();
            if conn.rbuf.is_empty() && run > 0 {
                let pending = conn.stream.pending() as u64;
                if pending > 0 {
                    return Ok(Step::Done(pending.min(run).min(u64::from(DWORD::MAX)) as DWORD));
                }
            }
            match conn.try_fill().map_err(|e| Error::io(ERROR_WINHTTP_CONNECTION_ERROR, &e))? {
                Some(0) => {
                    end_of_stream(owner, lane)?;
                    return Ok(Step::Done(0));
                }
                Some(_) => {}
                None => return receive_wait(lane),
            }
        }
    }
}

/// `WinHttpQueryDataAvailable`.
pub fn available(request: &Arc<Request>) -> Result<Outcome<DWORD>, Error> {
    let lane = request.try_io()?;
    check_receiving(request)?;
    execute(request, lane, AvailableOp)
}

/// `WinHttpReadData`: copies body bytes into `out`; 0 at the end of the body (again and again).
/// With nothing buffered, a Content-Length or chunk body is read from the socket straight into the
/// caller's buffer.
struct ReadOp {
    out: *mut u8,
    len: usize,
}

// SAFETY: the caller's buffer stays valid and untouched until the operation completes (the API's
// contract in both modes); only the thread stepping the operation writes it.
unsafe impl Send for ReadOp {}

impl Operation for ReadOp {
    type Output = usize;
    const API: DWORD = API_READ_DATA;

    fn phase(&self, _: bool) -> Option<Phase> {
        None
    }

    fn completion(&self, n: usize) -> Completion {
        Completion::Buffer(WINHTTP_CALLBACK_STATUS_READ_COMPLETE, self.out, n)
    }

    fn step(&mut self, owner: &dyn Owner, lane: &mut Lane) -> StepResult<usize> {
        // SAFETY: see `impl Send for ReadOp`.
        let out = unsafe { core::slice::from_raw_parts_mut(self.out, self.len) };
        if let Some(stream) = lane.h2.as_mut() {
            // HTTP/2: the DATA frames' bytes, copied out of the stream (its window reopens).
            return match stream.read(out)? {
                None => h2_wait(lane),
                Some(n) => {
                    if lane.h2.as_ref().is_some_and(|s| s.body_done()) {
                        end_body(owner, lane);
                    }
                    Ok(Step::Done(n))
                }
            };
        }
        loop {
            let Some(conn) = lane.conn.as_mut() else { return Ok(Step::Done(0)) };
            let Reading::Body(decoder) = &mut conn.reading else { return Ok(Step::Done(0)) };
            if !conn.rbuf.is_empty() {
                let (used, made) = decoder.decode(conn.rbuf.bytes(), out).map_err(Error::protocol)?;
                conn.rbuf.consume(used);
                let done = decoder.is_done();
                if done {
                    end_body(owner, lane);
                }
                if made > 0 {
                    return Ok(Step::Done(made));
                }
                if used > 0 || done {
                    continue;
                }
            }
            let Some(conn) = lane.conn.as_mut() else { return Ok(Step::Done(0)) };
            let Reading::Body(decoder) = &mut conn.reading else { return Ok(Step::Done(0)) };
            if decoder.is_done() {
                end_body(owner, lane);
                return Ok(Step::Done(0));
            }
            let run = decoder.data_run();
            if run == 0 || !conn.rbuf.is_empty() {
                match conn.try_fill().map_err(|e| Error::io(ERROR_WINHTTP_CONNECTION_ERROR, &e))? {
                    Some(0) => {
                        end_of_stream(owner, lane)?;
                        return Ok(Step::Done(0));
                    }
                    Some(_) => continue,
                    None => return receive_wait(lane),
                }
            }
            // Zero copy: the socket (or the TLS session) writes into the caller's buffer.
            let n = usize::try_from(run).map_or(out.len(), |r| r.min(out.len()));
            match conn.stream.try_read(&mut out[..n]) {
                Ok(0) => {
                    end_of_stream(owner, lane)?;
                    return Ok(Step::Done(0));
                }
                Ok(k) => {
                    if decoder.data_run() != u64::MAX {
                        decoder.advance(k);
                    }
                    if decoder.is_done() {
                        end_body(owner, lane);
                    }
                    return Ok(Step::Done(k));
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return receive_wait(lane),
                Err(_) => return Err(ERROR_WINHTTP_CONNECTION_ERROR.into()),
            }
        }
    }
}

/// `WinHttpReadData`.
///
/// # Safety
/// `out` is valid for `len` bytes until the operation completes.
pub unsafe fn read(request: &Arc<Request>, out: *mut u8, len: usize) -> Result<Outcome<usize>, Error> {
    let lane = request.try_io()?;
    check_receiving(request)?;
    if len == 0 {
        return Ok(Outcome::Done(0));
    }
    execute(request, lane, ReadOp { out, len })
}

fn check_receiving(request: &Request) -> Result<(), DWORD> {
    match request.state().phase {
        Phase::Receiving => Ok(()),
        _ => Err(ERROR_WINHTTP_INCORRECT_HANDLE_STATE),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Recorder, lane, plan};
    use super::*;
    use crate::engine::conn::Writing;
    use crate::proto::h1::{Decoder, Encoder, Framing};
    use std::io::Write;

    fn body_lane(framing: Framing) -> (Lane, std::os::unix::net::UnixStream) {
        let (mut lane, peer) = lane(plan("GET", "/", b"", Encoder::Length(0)));
        let conn = lane.conn.as_mut().unwrap();
        conn.writing = Writing::Done;
        conn.reading = Reading::Body(Decoder::new(framing));
        conn.keep_alive = true;
        (lane, peer)
    }

    #[test]
    fn available_reports_what_the_socket_holds_and_read_takes_it_without_blocking() {
        let owner = Recorder::default();
        let (mut lane, mut peer) = body_lane(Framing::Length(100_000));
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        peer.write_all(&data[..60_000]).unwrap();
        let n = match AvailableOp.step(&owner, &mut lane) {
            Ok(Step::Done(n)) => n as usize,
            _ => panic!("data was there"),
        };
        // Far more than one internal buffer, and nothing was copied in.
        assert!(n > 16 * 1024, "{n}");
        assert!(lane.conn.as_ref().unwrap().rbuf.is_empty());
        let mut buf = vec![0u8; n];
        let mut op = ReadOp { out: buf.as_mut_ptr(), len: n };
        assert!(matches!(op.step(&owner, &mut lane), Ok(Step::Done(k)) if k == n));
        assert_eq!(&buf[..], &data[..n]);
        // The rest, then the end: the connection goes back (no pool key here: it is released).
        peer.write_all(&data[60_000..]).unwrap();
        let mut got = n;
        while got < data.len() {
            let mut buf = vec![0u8; 70_000];
            let mut op = ReadOp { out: buf.as_mut_ptr(), len: buf.len() };
            match op.step(&owner, &mut lane) {
                Ok(Step::Done(k)) => {
                    assert_eq!(&buf[..k], &data[got..got + k]);
                    got += k;
                }
                Ok(Step::Wait(_)) => std::thread::sleep(std::time::Duration::from_millis(1)),
                Err(e) => panic!("{e}"),
            }
        }
        assert!(lane.conn.is_none());
        assert!(matches!(AvailableOp.step(&owner, &mut lane), Ok(Step::Done(0))));
    }

    #[test]
    fn chunked_framing_is_never_reported_as_data() {
        let owner = Recorder::default();
        let (mut lane, mut peer) = body_lane(Framing::Chunked);
        peer.write_all(b"5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n").unwrap();
        let mut all = Vec::new();
        loop {
            let n = match AvailableOp.step(&owner, &mut lane) {
                Ok(Step::Done(n)) => n as usize,
                Ok(Step::Wait(_)) => continue,
                Err(e) => panic!("{e}"),
            };
            if n == 0 {
                break;
            }
            let mut buf = vec![0u8; n];
            let mut op = ReadOp { out: buf.as_mut_ptr(), len: n };
            match op.step(&owner, &mut lane) {
                Ok(Step::Done(k)) => all.extend_from_slice(&buf[..k]),
                other => panic!("read after available blocked: {}", matches!(other, Ok(Step::Wait(_)))),
            }
        }
        assert_eq!(all, b"helloabc");
    }
}
