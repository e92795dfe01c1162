//! The handle table: `HINTERNET` values are keys (slot index + generation) into a table of typed,
//! reference-counted objects. A NULL, closed, stale or made-up value is `ERROR_INVALID_HANDLE`;
//! the wrong kind is `ERROR_WINHTTP_INCORRECT_HANDLE_TYPE`. Nothing is ever dereferenced from the
//! value itself, so no caller input can make us touch freed memory.
//!
//! Closing a handle only removes its slot: the object lives on while anything holds an `Arc` to
//! it (a child holds its parent; an operation in flight holds its request).

use super::objects::handle::HandleCore;
use super::objects::request::Request;
use super::objects::resolver::Resolver;
use super::objects::session::{Connect, Session};
use super::objects::websocket::WebSocket;
use crate::abi::*;
use std::sync::{Arc, RwLock};

/// The object a handle stands for.
#[derive(Clone)]
pub enum Object {
    Session(Arc<Session>),
    Connect(Arc<Connect>),
    Request(Arc<Request>),
    Resolver(Arc<Resolver>),
    WebSocket(Arc<WebSocket>),
}

impl Object {
    /// `WINHTTP_HANDLE_TYPE_*` of the object.
    pub fn handle_type(&self) -> DWORD {
        match self {
            Object::Session(_) => WINHTTP_HANDLE_TYPE_SESSION,
            Object::Connect(_) => WINHTTP_HANDLE_TYPE_CONNECT,
            Object::Request(_) => WINHTTP_HANDLE_TYPE_REQUEST,
            Object::Resolver(_) => WINHTTP_HANDLE_TYPE_PROXY_RESOLVER,
            Object::WebSocket(_) => WINHTTP_HANDLE_TYPE_WEBSOCKET,
        }
    }
}

struct Slot {
    generation: u32,
    object: Option<Object>,
}

struct Table {
    slots: Vec<Slot>,
    free: Vec<u32>,
    live: usize,
}

static TABLE: RwLock<Table> = RwLock::new(Table { slots: Vec::new(), free: Vec::new(), live: 0 });

/// Most handles alive at once; past it `WinHttpOpen` & co. fail with `ERROR_WINHTTP_OUT_OF_HANDLES`.
const MAX_HANDLES: usize = 1 << 24;

fn encode(index: u32, generation: u32) -> HINTERNET {
    // Low 32 bits: index + 1 (never 0); high 32 bits: generation. Never NULL, never a pointer.
    (((generation as u64) << 32) | (index as u64 + 1)) as usize as HINTERNET
}

fn decode(h: HINTERNET) -> Option<(usize, u32)> {
    let v = h as usize as u64;
    let low = (v & 0xffff_ffff) as u32;
    if low == 0 {
        return None;
    }
    Some(((low - 1) as usize, (v >> 32) as u32))
}

fn read() -> std::sync::RwLockReadGuard<'static, Table> {
    TABLE.read().unwrap_or_else(|p| p.into_inner())
}

fn write() -> std::sync::RwLockWriteGuard<'static, Table> {
    TABLE.write().unwrap_or_else(|p| p.into_inner())
}

/// Registers an object and returns its new handle.
pub fn insert(object: Object) -> Result<HINTERNET, DWORD> {
    let mut t = write();
    if t.live >= MAX_HANDLES {
        return Err(ERROR_WINHTTP_OUT_OF_HANDLES);
    }
    t.live += 1;
    if let Some(index) = t.free.pop() {
        let slot = &mut t.slots[index as usize];
        slot.object = Some(object);
        return Ok(encode(index, slot.generation));
    }
    let index = t.slots.len() as u32;
    t.slots.push(Slot { generation: 1, object: Some(object) });
    Ok(encode(index, 1))
}

/// The object behind a handle.
pub fn get(h: HINTERNET) -> Result<Object, DWORD> {
    let (index, generation) = decode(h).ok_or(ERROR_INVALID_HANDLE)?;
    let t = read();
    match t.slots.get(index) {
        Some(Slot { generation: g, object: Some(o) }) if *g == generation => Ok(o.clone()),
        _ => Err(ERROR_INVALID_HANDLE),
    }
}

/// Removes a handle from the table and returns its object (the caller finishes the close).
pub fn remove(h: HINTERNET) -> Result<Object, DWORD> {
    let (index, generation) = decode(h).ok_or(ERROR_INVALID_HANDLE)?;
    let mut t = write();
    let slot = match t.slots.get_mut(index) {
        Some(s) if s.generation == generation && s.object.is_some() => s,
        _ => return Err(ERROR_INVALID_HANDLE),
    };
    let object = slot.object.take();
    // A new generation makes every copy of the old value stale; skip 0 on wrap-around.
    slot.generation = slot.generation.wrapping_add(1).max(1);
    t.free.push(index as u32);
    t.live -= 1;
    object.ok_or(ERROR_INVALID_HANDLE)
}

/// Number of live handles (for diagnostics and leak tests).
pub fn live_count() -> usize {
    read().live
}

/// The session behind a handle, or `INCORRECT_HANDLE_TYPE`.
pub fn session(h: HINTERNET) -> Result<Arc<Session>, DWORD> {
    match get(h)? {
        Object::Session(s) => Ok(s),
        _ => Err(ERROR_WINHTTP_INCORRECT_HANDLE_TYPE),
    }
}

/// The connection behind a handle, or `INCORRECT_HANDLE_TYPE`.
pub fn connect(h: HINTERNET) -> Result<Arc<Connect>, DWORD> {
    match get(h)? {
        Object::Connect(c) => Ok(c),
        _ => Err(ERROR_WINHTTP_INCORRECT_HANDLE_TYPE),
    }
}

/// The proxy resolver behind a handle, or `INCORRECT_HANDLE_TYPE`.
pub fn resolver(h: HINTERNET) -> Result<Arc<Resolver>, DWORD> {
    match get(h)? {
        Object::Resolver(r) => Ok(r),
        _ => Err(ERROR_WINHTTP_INCORRECT_HANDLE_TYPE),
    }
}

/// The WebSocket behind a handle, or `INCORRECT_HANDLE_TYPE`.
pub fn websocket(h: HINTERNET) -> Result<Arc<WebSocket>, DWORD> {
    match get(h)? {
        Object::WebSocket(w) => Ok(w),
        _ => Err(ERROR_WINHTTP_INCORRECT_HANDLE_TYPE),
    }
}

/// The request behind a handle, or `INCORRECT_HANDLE_TYPE`.
pub fn request(h: HINTERNET) -> Result<Arc<Request>, DWORD> {
    match get(h)? {
        Object::Request(r) => Ok(r),
        _ => Err(ERROR_WINHTTP_INCORRECT_HANDLE_TYPE),
    }
}

impl Object {
    /// The handle bookkeeping every object has.
    pub fn core(&self) -> &HandleCore {
        match self {
            Object::Session(s) => &s.core,
            Object::Connect(c) => &c.core,
            Object::Request(r) => &r.core,
            Object::Resolver(r) => &r.core,
            Object::WebSocket(w) => &w.core,
        }
    }
}

/// Registers an object, records its handle in it and returns the handle.
pub fn open(object: Object) -> Result<HINTERNET, DWORD> {
    let core_object = object.clone();
    let h = insert(object)?;
    core_object.core().set_handle(h);
    Ok(h)
}

/// `WinHttpCloseHandle`: removes the handle; `HANDLE_CLOSING` is the last thing its callback sees.
pub fn close(h: HINTERNET) -> Result<(), DWORD> {
    match remove(h)? {
        // A call in flight on the request ends with ERROR_WINHTTP_OPERATION_CANCELLED first.
        Object::Request(r) => r.close(),
        // A resolution in flight is cancelled; HANDLE_CLOSING follows its end.
        Object::Resolver(r) => r.close(),
        // Operations in flight end with ERROR_WINHTTP_OPERATION_CANCELLED first.
        Object::WebSocket(w) => w.close(),
        object => object.core().notify_closing(),
    }
    Ok(())
}
