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
use crate::engine::conn::{Connection, Reading};
use crate::engine::error::Error;
use crate::engine::lane::{Lane, Owner};
use crate::engine::objects::request::{Phase, Request};
use crate::engine::reactor::Want;
use crate::engine::transport::h2::H2Stream;
use crate::proto::coding;
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
        if lane.decoding.is_some() {
            return decoded_available(owner, lane);
        }
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
        if lane.decoding.is_some() {
            return decoded_read(owner, lane, out);
        }
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
                    owner.count(WinHttpResponseBodySize, made as u64);
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
                    owner.count(WinHttpResponseBodySize, k as u64);
                    return Ok(Step::Done(k));
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return receive_wait(lane),
                Err(_) => return Err(ERROR_WINHTTP_CONNECTION_ERROR.into()),
            }
        }
    }
}

/// Decoded bytes staged by `WinHttpQueryDataAvailable` for the reads after it.
const STAGE: usize = 32 * 1024;

/// What one turn of the content decoder gave.
enum Fed {
    /// Decoded bytes written.
    Made(usize),
    /// The decoded body is complete.
    End,
    /// The encoded body is all consumed: the connection can go (its decoder may still hold output).
    WireDone,
    /// More encoded bytes must come from the connection first.
    Fill,
}

fn coding_error(e: coding::Error) -> Error {
    let what = match e {
        coding::Error::Corrupt => "the body is not valid in its Content-Encoding",
        coding::Error::Truncated => "the body ended inside its Content-Encoding's stream",
        coding::Error::Bomb => "the decoded body passed WINHTTP_OPTION_PORTABLE_DECOMPRESSION_RATIO",
    };
    Error::other(e.code(), what)
}

/// Where a decoded body's encoded bytes come from.
enum Source<'a> {
    /// HTTP/1.1: the connection's read buffer, behind the body (framing) decoder.
    H1(&'a mut Connection),
    /// HTTP/2: the stream's received DATA payloads.
    H2(&'a mut H2Stream),
}

/// The lane's source of encoded body bytes, if it still has one.
fn source<'a>(conn: &'a mut Option<Box<Connection>>, h2: &'a mut Option<Box<H2Stream>>) -> Option<Source<'a>> {
    match h2.as_deref_mut() {
        Some(stream) => Some(Source::H2(stream)),
        None => conn.as_deref_mut().map(Source::H1),
    }
}

/// Runs the content decoder over the body bytes the connection has buffered (the body decoder
/// strips the framing in place, nothing is copied) or the stream has received, or, once the
/// connection (the stream) is gone, over what the content decoder still holds.
fn feed(source: Option<Source<'_>>, coder: &mut coding::Decoder, out: &mut [u8]) -> Result<Fed, Error> {
    let conn = match source {
        None => None,
        Some(Source::H1(conn)) => Some(conn),
        Some(Source::H2(stream)) => loop {
            // `Fill` here is a wait on the stream's token (see `turn`).
            let Some(data) = stream.front()? else { return Ok(Fed::Fill) };
            if data.is_empty() {
                return Ok(Fed::WireDone);
            }
            let (used, made) = coder.decode(data, out).map_err(coding_error)?;
            stream.consume(used);
            if made > 0 {
                return Ok(Fed::Made(made));
            }
            if used == 0 {
                return Ok(Fed::Fill);
            }
        },
    };
    let Some(conn) = conn else {
        let (_, made) = coder.decode(&[], out).map_err(coding_error)?;
        if made > 0 {
            return Ok(Fed::Made(made));
        }
        return match coder.finish() {
            Ok(()) => Ok(Fed::End),
            // An empty body is no stream at all, not a truncated one.
            Err(coding::Error::Truncated) if coder.totals().0 == 0 => Ok(Fed::End),
            Err(e) => Err(coding_error(e)),
        };
    };
    let Reading::Body(framing) = &mut conn.reading else { return Ok(Fed::WireDone) };
    loop {
        let skipped = framing.skip_framing(conn.rbuf.bytes()).map_err(Error::protocol)?;
        conn.rbuf.consume(skipped);
        if framing.is_done() {
            return Ok(Fed::WireDone);
        }
        let n = framing.available(conn.rbuf.len());
        if n == 0 {
            return Ok(Fed::Fill);
        }
        let (used, made) = coder.decode(&conn.rbuf.bytes()[..n], out).map_err(coding_error)?;
        framing.advance(used);
        conn.rbuf.consume(used);
        if made > 0 {
            return Ok(Fed::Made(made));
        }
        if used == 0 {
            return Ok(Fed::Fill);
        }
    }
}

/// One turn of a decoded body: `Some` result, or `None` to go round again (the connection was
/// released or filled).
fn turn<T>(owner: &dyn Owner, lane: &mut Lane, fed: Result<Fed, Error>) -> Option<StepResult<T>> {
    match fed {
        Ok(Fed::Made(_) | Fed::End) => unreachable!("handled by the caller"),
        Ok(Fed::WireDone) => {
            end_body(owner, lane);
            None
        }
        Ok(Fed::Fill) if lane.h2.is_some() => Some(h2_wait(lane)),
        Ok(Fed::Fill) => {
            let conn = lane.conn.as_mut()?;
            match conn.try_fill() {
                Ok(Some(0)) => end_of_stream(owner, lane).err().map(Err),
                Ok(Some(_)) => None,
                Ok(None) => Some(receive_wait(lane)),
                Err(e) => {
                    lane.discard();
                    Some(Err(Error::io(ERROR_WINHTTP_CONNECTION_ERROR, &e)))
                }
            }
        }
        Err(e) => {
            // The connection is given up with the body: its bytes no longer make sense.
            lane.discard();
            Some(Err(e))
        }
    }
}

/// `WinHttpReadData` of a decoded body: staged bytes first, then decoding into `out`.
fn decoded_read(owner: &dyn Owner, lane: &mut Lane, out: &mut [u8]) -> StepResult<usize> {
    loop {
        let Lane { conn, decoding, h2, .. } = lane;
        let Some(d) = decoding.as_deref_mut() else { return Ok(Step::Done(0)) };
        if d.end > d.at {
            let n = (d.end - d.at).min(out.len());
            out[..n].copy_from_slice(&d.buf[d.at..d.at + n]);
            d.at += n;
            return Ok(Step::Done(n));
        }
        let fed = feed(source(conn, h2), &mut d.coder, out);
        match fed {
            Ok(Fed::Made(n)) => return Ok(Step::Done(n)),
            Ok(Fed::End) => return Ok(Step::Done(0)),
            fed => {
                if let Some(r) = turn(owner, lane, fed) {
                    return r;
                }
            }
        }
    }
}

/// `WinHttpQueryDataAvailable` of a decoded body: decodes some into the stage and reports it
/// (so the reads of what it reported never block).
fn decoded_available(owner: &dyn Owner, lane: &mut Lane) -> StepResult<DWORD> {
    loop {
        let Lane { conn, decoding, h2, .. } = lane;
        let Some(d) = decoding.as_deref_mut() else { return Ok(Step::Done(0)) };
        if d.end > d.at {
            return Ok(Step::Done((d.end - d.at) as DWORD));
        }
        if d.buf.is_empty() {
            d.buf = vec![0; STAGE];
        }
        (d.at, d.end) = (0, 0);
        let fed = feed(source(conn, h2), &mut d.coder, &mut d.buf);
        match fed {
            Ok(Fed::Made(n)) => {
                d.end = n;
                return Ok(Step::Done(n as DWORD));
            }
            Ok(Fed::End) => return Ok(Step::Done(0)),
            fed => {
                if let Some(r) = turn(owner, lane, fed) {
                    return r;
                }
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

/// `WinHttpReadDataEx` with `WINHTTP_READ_DATA_EX_FLAG_FILL_BUFFER`: reads chained until the buffer
/// is full or the body ends, then one completion (`READ_COMPLETE` with the total in the async mode).
struct FillOp {
    read: ReadOp,
    filled: usize,
}

impl Operation for FillOp {
    type Output = usize;
    const API: DWORD = API_READ_DATA;

    fn phase(&self, _: bool) -> Option<Phase> {
        None
    }

    fn completion(&self, n: usize) -> Completion {
        Completion::Buffer(WINHTTP_CALLBACK_STATUS_READ_COMPLETE, self.read.out, n)
    }

    fn step(&mut self, owner: &dyn Owner, lane: &mut Lane) -> StepResult<usize> {
        while self.filled < self.read.len {
            // SAFETY: `filled < len`: the rest of the caller's buffer (see `impl Send for ReadOp`).
            let mut rest = ReadOp { out: unsafe { self.read.out.add(self.filled) }, len: self.read.len - self.filled };
            match rest.step(owner, lane)? {
                Step::Wait(w) => return Ok(Step::Wait(w)),
                Step::Done(0) => break,
                Step::Done(n) => self.filled += n,
            }
        }
        Ok(Step::Done(self.filled))
    }
}

/// `WinHttpReadDataEx` with `WINHTTP_READ_DATA_EX_FLAG_FILL_BUFFER`, in both modes.
///
/// # Safety
/// `out` is valid for `len` bytes until the operation completes.
pub unsafe fn read_fill(request: &Arc<Request>, out: *mut u8, len: usize) -> Result<Outcome<usize>, Error> {
    let lane = request.try_io()?;
    check_receiving(request)?;
    if len == 0 {
        return Ok(Outcome::Done(0));
    }
    execute(request, lane, FillOp { read: ReadOp { out, len }, filled: 0 })
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

    /// Steps `op` until it completes (the peer is written by another thread).
    fn finish<T>(mut step: impl FnMut() -> StepResult<T>) -> Result<T, Error> {
        loop {
            match step() {
                Ok(Step::Done(v)) => return Ok(v),
                Ok(Step::Wait(_)) => std::thread::sleep(std::time::Duration::from_millis(1)),
                Err(e) => return Err(e),
            }
        }
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn a_gzip_body_is_decoded_behind_the_framing_and_the_connection_released_once_consumed() {
        let plain: Vec<u8> =
            (0..40_000u32).flat_map(|i| format!("line {i} {}\n", i * 7919 % 1000).into_bytes()).collect();
        let z = gzip(&plain);
        for qda in [false, true] {
            let owner = Recorder::default();
            let (mut lane, mut peer) = body_lane(Framing::Chunked);
            lane.decoding = Some(crate::engine::lane::Decoding::new(coding::Coding::Gzip, coding::Limits::default()));
            let wire = z.clone();
            let writer = std::thread::spawn(move || {
                for piece in wire.chunks(1000) {
                    write!(peer, "{:x}\r\n", piece.len()).unwrap();
                    peer.write_all(piece).unwrap();
                    peer.write_all(b"\r\n").unwrap();
                }
                peer.write_all(b"0\r\n\r\n").unwrap();
                peer
            });
            let mut got = Vec::new();
            loop {
                let want = if qda {
                    let n = finish(|| AvailableOp.step(&owner, &mut lane)).unwrap() as usize;
                    if n == 0 {
                        break;
                    }
                    n
                } else {
                    3000
                };
                let mut buf = vec![0u8; want];
                let k = finish(|| ReadOp { out: buf.as_mut_ptr(), len: want }.step(&owner, &mut lane)).unwrap();
                if qda {
                    assert_eq!(k, want, "a read of what QueryDataAvailable reported");
                }
                if k == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..k]);
            }
            assert_eq!(got.len(), plain.len());
            assert!(got == plain);
            // Every encoded byte was consumed: the connection went back (released), nothing left.
            assert!(lane.conn.is_none());
            drop(writer.join().unwrap());
        }
    }

    #[test]
    fn a_truncated_or_corrupt_stream_fails_the_read_and_gives_the_connection_up() {
        let z = gzip(&[b'x'; 100_000]);
        let mut corrupt = z.clone();
        let mid = corrupt.len() / 2;
        corrupt[mid..mid + 8].iter_mut().for_each(|b| *b ^= 0x5a);
        for body in [z[..z.len() / 2].to_vec(), corrupt, b"not gzip at all".to_vec()] {
            let owner = Recorder::default();
            let (mut lane, mut peer) = body_lane(Framing::Length(body.len() as u64));
            lane.decoding = Some(crate::engine::lane::Decoding::new(coding::Coding::Gzip, coding::Limits::default()));
            peer.write_all(&body).unwrap();
            let mut buf = vec![0u8; 1 << 20];
            let r = loop {
                match finish(|| ReadOp { out: buf.as_mut_ptr(), len: buf.len() }.step(&owner, &mut lane)) {
                    Ok(0) => break Ok(0),
                    Ok(_) => continue,
                    Err(e) => break Err(e.code),
                }
            };
            assert_eq!(r, Err(ERROR_WINHTTP_INVALID_SERVER_RESPONSE));
            assert!(lane.conn.is_none());
        }
    }

    #[test]
    fn fill_chains_reads_across_waits_until_the_buffer_is_full_or_the_body_ends() {
        let owner = Recorder::default();
        let (mut lane, mut peer) = body_lane(Framing::Chunked);
        let mut buf = vec![0u8; 12];
        let mut op = FillOp { read: ReadOp { out: buf.as_mut_ptr(), len: buf.len() }, filled: 0 };
        peer.write_all(b"5\r\nhello\r\n").unwrap();
        // Five bytes are there, the buffer wants twelve: the operation waits, keeping what it has.
        assert!(matches!(op.step(&owner, &mut lane), Ok(Step::Wait(_))));
        assert_eq!(op.filled, 5);
        peer.write_all(b"4\r\n, wo\r\n9\r\nrld!12345\r\n").unwrap();
        assert!(matches!(op.step(&owner, &mut lane), Ok(Step::Done(12))));
        assert_eq!(&buf, b"hello, world");
        // The rest, then the end of the body: fewer than asked for.
        peer.write_all(b"0\r\n\r\n").unwrap();
        let mut op = FillOp { read: ReadOp { out: buf.as_mut_ptr(), len: buf.len() }, filled: 0 };
        let n = loop {
            match op.step(&owner, &mut lane) {
                Ok(Step::Done(n)) => break n,
                Ok(Step::Wait(_)) => std::thread::sleep(std::time::Duration::from_millis(1)),
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!(&buf[..n], b"!12345");
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
