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

use std::alloc::{GlobalAlloc, Layout, System};

/// Blocks of this size and up (below [`LARGE_END`]) are page-aligned.
const LARGE: usize = 16 * 1024;
/// Blocks from this size up are the system allocator's own (mapped) business.
const LARGE_END: usize = 64 * 1024;
const PAGE: usize = 4096;

/// The allocator (installed with `#[global_allocator]` in `lib.rs`).
pub struct PageAligned;

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

// SAFETY: a block is placed or not by its size and alignment alone, which are the same at
// allocation, reallocation and release; placed blocks are malloc'd and freed through their stored
// address, the others are the system allocator's.
unsafe impl GlobalAlloc for PageAligned {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if placed(layout) {
            // SAFETY: mid-sized, non-zero.
            return unsafe { alloc_placed(layout.size()) };
        }
        // SAFETY: forwarded contract (non-zero size).
        unsafe { System.alloc(layout) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if placed(layout) {
            // SAFETY: a fresh block of `layout.size()` bytes, zeroed before it is handed out.
            unsafe {
                let p = alloc_placed(layout.size());
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
        if !placed(layout) && !placed(new_layout) {
            // SAFETY: the system's block before and after.
            return unsafe { System.realloc(ptr, layout, new_size) };
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
}
