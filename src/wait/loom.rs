use super::Wait;
use crate::primitive::{AtomicU32, Ordering};
use loom::sync::{Condvar, Mutex};

loom::lazy_static! {
    /// One parking lot for every word: an exact futex model (the waker takes the lock after
    /// changing the word, so a sleeper cannot miss it between its check and its sleep).
    static ref PARK: (Mutex<()>, Condvar) = (Mutex::new(()), Condvar::new());
}

pub(super) fn set_can_block(_allowed: bool) {}

/// A futex model over loom's `Mutex` and `Condvar`. Timeouts are not modelled: a timed wait
/// that would sleep reports that its time ran out.
#[derive(Debug)]
pub struct Platform;

impl Wait for Platform {
    fn wait(word: &AtomicU32, expected: u32, timeout_ns: Option<u64>) -> bool {
        let (lock, cv) = &*PARK;
        let guard = lock.lock().unwrap();
        if word.load(Ordering::SeqCst) != expected {
            return true;
        }
        if timeout_ns.is_some() {
            return false;
        }
        drop(cv.wait(guard).unwrap());
        true
    }

    fn wake_all(_word: &AtomicU32) {
        let (lock, cv) = &*PARK;
        let _guard = lock.lock().unwrap();
        cv.notify_all();
    }

    fn can_block() -> bool {
        true
    }

    fn now_ns() -> u64 {
        0
    }
}
