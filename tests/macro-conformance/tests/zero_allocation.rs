//! Scoring allocates nothing: a counting global allocator sees no allocation on this thread
//! across thousands of calls to every entry point of every embedded model.
#![deny(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use gmmc_macro_conformance::{embedded, emitted};

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

/// Forwards to the system allocator and counts allocations made by the current thread while
/// counting is on (other test threads do not disturb the count).
struct Counting;

// `GlobalAlloc` is an unsafe trait: implementing it is the only way to observe allocations.
// Every method forwards its arguments unchanged to `System`, which upholds the contract.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

fn note_allocation() {
    // `try_with`: the thread-locals may already be gone while a thread shuts down.
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Allocations made by `f` on this thread.
fn allocations_in(f: impl FnOnce()) -> usize {
    ALLOCATIONS.with(|n| n.set(0));
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    ALLOCATIONS.with(Cell::get)
}

/// Deterministic inputs, including broken ones.
fn input<const D: usize>(i: usize) -> [f32; D] {
    core::array::from_fn(|j| match (i + j) % 97 {
        0 => f32::NAN,
        1 => f32::INFINITY,
        2 => -3e38,
        r => (r as f32 - 48.0) * 0.1,
    })
}

#[test]
fn the_counter_sees_allocations() {
    // The instrument works: a Vec on this thread is counted.
    let n = allocations_in(|| {
        let v: Vec<u64> = std::hint::black_box(vec![1, 2, 3]);
        drop(v);
    });
    assert_eq!(n, 1);
}

#[test]
fn thousands_of_scores_allocate_nothing() {
    let mut sink = 0.0f32;
    let mut anomalies = 0usize;
    let n = allocations_in(|| {
        for i in 0..5000 {
            let x5: [f32; 5] = input(i);
            let x8: [f32; 8] = input(i);
            let x4: [f32; 4] = input(i);
            let x6: [f32; 6] = input(i);
            let x20: [f32; 20] = input(i);
            sink += embedded::EM_FULL.log_likelihood(&x5);
            sink += embedded::EM_TIED.score(&x5);
            sink += embedded::EM_DIAG.score_inputs(&x5);
            sink += embedded::EM_SPHERICAL.score(&x5);
            sink += embedded::EM_OFFSET_FULL.score(&x4);
            sink += embedded::EM_CONSTANT_FEATURE.score_inputs(&x4);
            sink += embedded::FIT_FULL.score(&x8);
            sink += emitted::FIT_DIAG.score_inputs(&x8);
            sink += embedded::SCALED_FULL.score(&x5);
            sink += embedded::WIDE_FULL.score(&x20);
            sink += emitted::WIDE_TIED.score_inputs(&x20);
            sink += embedded::SINGLE_FULL.log_likelihood(&x6);
            anomalies += usize::from(embedded::FIT_FULL.is_anomaly(&x8));
            anomalies += usize::from(emitted::EM_FULL.is_anomaly_inputs(&x5));
        }
    });
    std::hint::black_box((sink, anomalies));
    assert_eq!(n, 0, "scoring allocated {n} times");
    assert!(anomalies > 0);
}
