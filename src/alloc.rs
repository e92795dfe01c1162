//! The library's global allocator: the system's, with mid-sized blocks (16 KiB to 256 KiB) placed
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
//! Small blocks (most allocations) go straight to the system allocator; blocks from 256 KiB up are
//! left alone too (glibc maps them, and zeroed ones stay lazily zeroed). Only Linux with glibc,
//! where the slow copy was seen.

use std::alloc::{GlobalAlloc, Layout, System};

/// Blocks of this size and up (below [`LARGE_END`]) are page-aligned.
const LARGE: usize = 16 * 1024;
/// Blocks from this size up are the system allocator's own (mapped) business.
const LARGE_END: usize = 256 * 1024;
const PAGE: usize = 4096;

/// The allocator (installed with `#[global_allocator]` in `lib.rs`).
pub struct PageAligned;

/// The layout actually requested from the system for `layout`.
#[inline]
fn placed(layout: Layout) -> Layout {
    if (LARGE..LARGE_END).contains(&layout.size()) && layout.align() < PAGE {
        // SAFETY: PAGE is a power of two and the size did not overflow when rounded to it
        // (it is below LARGE_END).
        unsafe { Layout::from_size_align_unchecked(layout.size(), PAGE) }
    } else {
        layout
    }
}

// SAFETY: every block is allocated and freed with the same adjusted layout (`placed` depends only
// on the size and alignment the caller passes, which are the same at allocation and release).
unsafe impl GlobalAlloc for PageAligned {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract (non-zero size).
        unsafe { System.alloc(placed(layout)) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract.
        unsafe { System.alloc_zeroed(placed(layout)) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` with `placed(layout)`.
        unsafe { System.dealloc(ptr, placed(layout)) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `layout` is `ptr`'s layout (forwarded contract).
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        let (old, new) = (placed(layout), placed(new_layout));
        if old.align() == new.align() {
            // Same placement before and after: the system's realloc keeps it.
            // SAFETY: `ptr` was allocated with `old`.
            return unsafe { System.realloc(ptr, old, new_size) };
        }
        // SAFETY: new block, copy, release the old one with its own placement.
        unsafe {
            let p = System.alloc(new);
            if !p.is_null() {
                std::ptr::copy_nonoverlapping(ptr, p, layout.size().min(new_size));
                System.dealloc(ptr, old);
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
        assert_eq!(placed(Layout::from_size_align(100, 8).unwrap()).align(), 8);
        assert_eq!(placed(Layout::from_size_align(LARGE_END, 8).unwrap()).align(), 8);
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
