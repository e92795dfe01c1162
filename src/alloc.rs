//! The library's global allocator: the system's, with mid-sized blocks (16 KiB to 64 KiB) placed
//! on a page boundary.
//!
//! Why: glibc (2.36, Debian 12) copies large blocks with `rep movsb`, and on AMD Zen CPUs that
//! instruction runs at about 1 GB/s instead of 30-90 GB/s when the destination lies a few bytes
//! (1 to ~63) above the source modulo 4 KiB. rustls copies every decrypted TLS record (its payload
//! starts 5 bytes into the record buffer) into a fresh 16 KiB block, and with the heap laid out
//! as a download lays it out, each of those copies landed 11 bytes above its source: a third of
//! the client's CPU in an HTTPS download went to that one copy (perf; see docs/PERFORMANCE.md,
//! "The HTTPS download"). With both blocks on page boundaries the copy's destination is 5 bytes
//! *below* its source modulo 4 KiB, a fast case, whatever the heap looked like before.
//!
//! Small blocks (most allocations) go straight to the system allocator, and so do blocks from
//! 64 KiB up (rustls' blocks are at most 18,437 bytes; the largest blocks are glibc's mappings,
//! whose zeroed pages stay lazily zeroed). Only Linux with glibc, where the slow copy was seen.
//!
//! Blocks from 4 KiB to 64 KiB freed by the library are also kept for reuse, up to
//! [`CACHE_BYTES`] in all ([`Cache`]). A download moves its data through such blocks (rustls'
//! records, the HTTP/2 codec's frame buffers: ~30,000 per 100 MiB), and their number in use rises
//! and falls by a megabyte as the server fills a window and the reader empties it. glibc gave the
//! freed top of its heap back to the system each time and took fresh zeroed pages again: 12,000
//! to 20,000 page faults per 100 MiB over HTTP/2, a quarter of the client's CPU (measured with
//! `MALLOC_TRIM_THRESHOLD_`, which a library may not set for its host program).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Blocks of this size and up (below [`LARGE_END`]) are page-aligned.
const LARGE: usize = 16 * 1024;
/// Blocks from this size up are the system allocator's own (mapped) business.
const LARGE_END: usize = 64 * 1024;
const PAGE: usize = 4096;

/// Blocks from this size up (below [`LARGE_END`]) are kept for reuse when freed.
const CACHED: usize = 4 * 1024;
/// Sizes below [`LARGE`] are rounded up to a multiple of this for the cache's classes.
const STEP: usize = 256;
/// Bytes the cache keeps at most (the blocks of about one HTTP/2 stream window, 1 MiB, and
/// rustls' records in flight).
pub const CACHE_BYTES: usize = 2 << 20;
/// Size classes: 4 KiB to 16 KiB by 256 bytes, then 16 KiB to 64 KiB by 4 KiB (page-aligned
/// blocks, as every block from 16 KiB up).
const SMALL_CLASSES: usize = (LARGE - CACHED) / STEP + 1;
const CLASSES: usize = SMALL_CLASSES + (LARGE_END - LARGE) / PAGE + 1;

/// The allocator (installed with `#[global_allocator]` in `lib.rs`).
pub struct PageAligned;

/// Freed blocks kept for reuse: one list per size class, linked through the blocks' first word.
/// A class's list is taken with a try-lock: a thread that finds it busy goes to the system
/// allocator instead (never waits).
struct Cache {
    lists: [ClassList; CLASSES],
    bytes: AtomicUsize,
}

struct ClassList {
    busy: AtomicBool,
    head: std::cell::UnsafeCell<*mut u8>,
}

// SAFETY: `head` is read and written only by the thread that set `busy` (see `ClassList::with`).
unsafe impl Sync for ClassList {}

impl ClassList {
    const fn new() -> ClassList {
        ClassList { busy: AtomicBool::new(false), head: std::cell::UnsafeCell::new(std::ptr::null_mut()) }
    }

    /// Runs `f` on the list's head if nobody else holds it.
    #[inline]
    fn with<R>(&self, f: impl FnOnce(&mut *mut u8) -> R) -> Option<R> {
        if self.busy.swap(true, Ordering::Acquire) {
            return None;
        }
        // SAFETY: `busy` was ours to set: no other thread touches `head` until we clear it.
        let r = f(unsafe { &mut *self.head.get() });
        self.busy.store(false, Ordering::Release);
        Some(r)
    }
}

static CACHE: Cache = Cache { lists: [const { ClassList::new() }; CLASSES], bytes: AtomicUsize::new(0) };

/// The cache class of a block and the size it is allocated with (every block of a class has that
/// size, so any of them serves any request of the class); `None` for blocks not cached.
#[inline]
fn class(layout: Layout) -> Option<(usize, usize)> {
    let size = layout.size();
    if !(CACHED..LARGE_END).contains(&size) || layout.align() > 16 {
        return None;
    }
    if size < LARGE {
        let rounded = size.div_ceil(STEP) * STEP;
        Some(((rounded - CACHED) / STEP, rounded))
    } else {
        let rounded = size.div_ceil(PAGE) * PAGE;
        Some((SMALL_CLASSES + (rounded - LARGE) / PAGE, rounded))
    }
}

/// A fresh block of a class's size: page-aligned from [`LARGE`] up.
#[inline]
unsafe fn fresh(rounded: usize) -> *mut u8 {
    if rounded >= LARGE {
        // SAFETY: mid-sized, non-zero.
        unsafe { alloc_placed(rounded) }
    } else {
        // SAFETY: plain malloc of a non-zero size (malloc's alignment, 16, covers the class).
        unsafe { libc::malloc(rounded) }.cast()
    }
}

/// Releases a block of a class's size to the system.
#[inline]
unsafe fn release(p: *mut u8, rounded: usize) {
    if rounded >= LARGE {
        // SAFETY: from `alloc_placed`.
        unsafe { free_placed(p) }
    } else {
        // SAFETY: from malloc.
        unsafe { libc::free(p.cast()) }
    }
}

/// A block of the class, from the cache when it holds one.
#[inline]
unsafe fn cached_alloc(c: usize, rounded: usize) -> *mut u8 {
    let taken = CACHE.lists[c].with(|head| {
        let p = *head;
        if !p.is_null() {
            // SAFETY: a cached block's first word links to the next cached block of the class.
            *head = unsafe { p.cast::<*mut u8>().read() };
        }
        p
    });
    match taken {
        Some(p) if !p.is_null() => {
            CACHE.bytes.fetch_sub(rounded, Ordering::Relaxed);
            p
        }
        // SAFETY: a class size is non-zero.
        _ => unsafe { fresh(rounded) },
    }
}

/// Keeps a freed block of the class, or releases it when the cache is full (or busy).
#[inline]
unsafe fn cached_free(p: *mut u8, c: usize, rounded: usize) {
    let room = CACHE
        .bytes
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| (b + rounded <= CACHE_BYTES).then_some(b + rounded))
        .is_ok();
    if room {
        let kept = CACHE.lists[c].with(|head| {
            // SAFETY: the block is ours (freed by its owner) and at least a word long.
            unsafe { p.cast::<*mut u8>().write(*head) };
            *head = p;
        });
        if kept.is_some() {
            return;
        }
        CACHE.bytes.fetch_sub(rounded, Ordering::Relaxed);
    }
    // SAFETY: a block of this class, no longer used.
    unsafe { release(p, rounded) }
}

/// True for the blocks placed on a page boundary: mid-sized, asking for no more than malloc's
/// own alignment.
#[inline]
fn placed(layout: Layout) -> bool {
    (LARGE..LARGE_END).contains(&layout.size()) && layout.align() <= 16
}

/// A page-aligned block of `size` bytes inside a malloc'd block one page larger, the malloc'd
/// address stored just below it. Not `posix_memalign`: glibc splits the block it carves an aligned
/// one from and leaves the pieces between live blocks, which doubled the heap's growth per request
/// with 10,000 connections (each holds a 16 KiB read buffer); a block of its own size class is
/// reused whole instead.
unsafe fn alloc_placed(size: usize) -> *mut u8 {
    const SLOT: usize = std::mem::size_of::<usize>();
    // SAFETY: plain malloc; the sum does not overflow (size < LARGE_END).
    let raw = unsafe { libc::malloc(size + PAGE + SLOT) } as *mut u8;
    if raw.is_null() {
        return raw;
    }
    // The first page boundary with room for a pointer below it: SLOT to PAGE + SLOT - 1 bytes
    // above `raw`, so `size` bytes from there stay inside the block.
    let offset = (PAGE - ((raw as usize + SLOT) & (PAGE - 1))) % PAGE + SLOT;
    // SAFETY: `SLOT <= offset < PAGE + SLOT` keeps the pointer below `p` and `p .. p + size` inside
    // the block.
    unsafe {
        let p = raw.add(offset);
        p.cast::<*mut u8>().sub(1).write_unaligned(raw);
        p
    }
}

/// Releases a block from [`alloc_placed`].
unsafe fn free_placed(p: *mut u8) {
    // SAFETY: `p` came from `alloc_placed`, which stored malloc's address just below it.
    unsafe { libc::free(p.cast::<*mut u8>().sub(1).read_unaligned().cast()) }
}

// SAFETY: a block's kind (cached class, placed, or the system's) follows from its size and
// alignment alone, which are the same at allocation, reallocation and release; cached blocks all
// have their class's size and come from `fresh`; placed blocks are malloc'd and freed through their
// stored address; the others are the system allocator's.
unsafe impl GlobalAlloc for PageAligned {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if let Some((c, rounded)) = class(layout) {
            // SAFETY: a class of the cache.
            return unsafe { cached_alloc(c, rounded) };
        }
        if placed(layout) {
            // SAFETY: mid-sized, non-zero.
            return unsafe { alloc_placed(layout.size()) };
        }
        // SAFETY: forwarded contract (non-zero size).
        unsafe { System.alloc(layout) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if class(layout).is_some() || placed(layout) {
            // SAFETY: a block of at least `layout.size()` bytes, zeroed before it is handed out.
            unsafe {
                let p = self.alloc(layout);
                if !p.is_null() {
                    p.write_bytes(0, layout.size());
                }
                return p;
            }
        }
        // SAFETY: forwarded contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let Some((c, rounded)) = class(layout) {
            // SAFETY: allocated by `cached_alloc` (same layout, same class).
            return unsafe { cached_free(ptr, c, rounded) };
        }
        if placed(layout) {
            // SAFETY: allocated by `alloc_placed` (same layout).
            return unsafe { free_placed(ptr) };
        }
        // SAFETY: `ptr` came from the system allocator with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `layout` is `ptr`'s layout (forwarded contract).
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        let ours = |l: Layout| class(l).is_some() || placed(l);
        if !ours(layout) && !ours(new_layout) {
            // SAFETY: the system's block before and after.
            return unsafe { System.realloc(ptr, layout, new_size) };
        }
        if let (Some((a, _)), Some((b, _))) = (class(layout), class(new_layout))
            && a == b
        {
            // Same class: the block is already that size.
            return ptr;
        }
        // SAFETY: a new block, the bytes copied, the old block released by its own kind.
        unsafe {
            let p = self.alloc(new_layout);
            if !p.is_null() {
                std::ptr::copy_nonoverlapping(ptr, p, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
            p
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mid_sized_blocks_are_page_aligned_and_others_untouched() {
        let a = PageAligned;
        for size in [LARGE, LARGE + 5, 18437, LARGE_END - 1] {
            let l = Layout::from_size_align(size, 1).unwrap();
            // SAFETY: non-zero size; freed with the same layout.
            unsafe {
                let p = a.alloc(l);
                assert!(!p.is_null());
                assert_eq!(p as usize % PAGE, 0, "{size}");
                p.write_bytes(7, size);
                a.dealloc(p, l);
            }
        }
        assert!(!placed(Layout::from_size_align(100, 8).unwrap()));
        assert!(!placed(Layout::from_size_align(LARGE_END, 8).unwrap()));
        assert!(!placed(Layout::from_size_align(LARGE, PAGE).unwrap()));
    }

    /// The case this allocator is for: rustls' record buffer (up to 18,437 bytes), a record's
    /// payload 5 bytes into it, copied into a fresh 16 KiB block. Through the global allocator
    /// (installed in this test binary too), the destination is never 1 to 63 bytes above the
    /// source modulo 4 KiB, glibc's slow `rep movsb` case.
    #[test]
    fn a_record_copy_never_lands_just_above_its_source() {
        let mut record_buffers = Vec::new();
        for len in [4096usize, 8192, 12288, 16384, 18437] {
            let mut b = vec![0u8; 4096];
            b.resize(len, 0);
            record_buffers.push(b);
        }
        for buffer in &record_buffers {
            let source = buffer[5..].as_ptr() as usize;
            let plaintext = buffer[5..5 + 16384.min(buffer.len() - 5)].to_vec();
            if plaintext.len() < LARGE {
                continue;
            }
            let distance = (plaintext.as_ptr() as usize).wrapping_sub(source) % PAGE;
            assert!(!(1..64).contains(&distance), "copy {distance} bytes above its source");
        }
    }

    #[test]
    fn realloc_across_the_bounds_keeps_the_bytes() {
        let a = PageAligned;
        let sizes = [100, LARGE + 1, 20_000, LARGE_END + 10, 50_000, 10];
        let mut layout = Layout::from_size_align(sizes[0], 1).unwrap();
        // SAFETY: each block is reallocated from its current layout and freed with its last one.
        unsafe {
            let mut p = a.alloc(layout);
            for i in 0..layout.size() {
                *p.add(i) = i as u8;
            }
            for &size in &sizes[1..] {
                let keep = layout.size().min(size);
                p = a.realloc(p, layout, size);
                assert!(!p.is_null());
                layout = Layout::from_size_align(size, 1).unwrap();
                if (LARGE..LARGE_END).contains(&size) {
                    assert_eq!(p as usize % PAGE, 0);
                }
                for i in 0..keep {
                    assert_eq!(*p.add(i), i as u8, "byte {i} after realloc to {size}");
                }
                for i in keep..size {
                    *p.add(i) = i as u8;
                }
            }
            a.dealloc(p, layout);
        }
    }

    #[test]
    fn every_size_fits_its_class_and_classes_are_in_range() {
        let mut last = None;
        for size in (CACHED - 1)..=(LARGE_END + 1) {
            let l = Layout::from_size_align(size, 8).unwrap();
            match class(l) {
                None => assert!(!(CACHED..LARGE_END).contains(&size), "{size}"),
                Some((c, rounded)) => {
                    assert!(c < CLASSES && rounded >= size, "{size}: class {c}, {rounded}");
                    // One size per class: any block of the class serves any request in it.
                    if let Some((lc, lr)) = last
                        && lc == c
                    {
                        assert_eq!(lr, rounded, "{size}");
                    }
                    last = Some((c, rounded));
                }
            }
        }
        assert!(class(Layout::from_size_align(8192, 64).unwrap()).is_none());
    }

    /// Threads allocating, filling and freeing blocks of every cached size at once: no block is
    /// handed out twice or too small (the pattern survives), and the cache stays within its bound.
    #[test]
    fn the_cache_under_threads_keeps_blocks_apart_and_bounded() {
        let threads: Vec<_> = (0..4u8)
            .map(|t| {
                std::thread::spawn(move || {
                    let a = PageAligned;
                    let mut held: Vec<(*mut u8, Layout, u8)> = Vec::new();
                    let mut x = 0x9e37_79b9u32.wrapping_mul(u32::from(t) + 1);
                    for i in 0..4000u32 {
                        x ^= x << 13;
                        x ^= x >> 17;
                        x ^= x << 5;
                        let size = CACHED + (x as usize % (LARGE_END - CACHED));
                        let l = Layout::from_size_align(size, 8).unwrap();
                        let mark = (i as u8) ^ t;
                        // SAFETY: non-zero size; each block is freed once with its layout.
                        unsafe {
                            let p = a.alloc(l);
                            assert!(!p.is_null());
                            p.write_bytes(mark, size);
                            held.push((p, l, mark));
                            if held.len() > 8 || x.is_multiple_of(3) {
                                let (q, ql, qm) = held.swap_remove(x as usize % held.len());
                                assert!((0..ql.size()).all(|k| *q.add(k) == qm), "block overwritten");
                                a.dealloc(q, ql);
                            }
                        }
                    }
                    for (q, ql, qm) in held {
                        // SAFETY: as above.
                        unsafe {
                            assert!((0..ql.size()).all(|k| *q.add(k) == qm), "block overwritten");
                            a.dealloc(q, ql);
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert!(CACHE.bytes.load(Ordering::Relaxed) <= CACHE_BYTES);
    }
}
