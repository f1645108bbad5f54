use super::Wait;
use crate::primitive::AtomicU32;
use std::sync::OnceLock;
use std::time::Instant;

/// Native threads: a futex on Linux, a polite spin elsewhere.
#[derive(Debug)]
pub struct Platform;

pub(super) fn set_can_block(_allowed: bool) {}

impl Wait for Platform {
    #[cfg(target_os = "linux")]
    fn wait(word: &AtomicU32, expected: u32, timeout_ns: Option<u64>) -> bool {
        let ts = timeout_ns.map(|ns| libc::timespec {
            tv_sec: (ns / 1_000_000_000).min(i64::MAX as u64) as libc::time_t,
            tv_nsec: (ns % 1_000_000_000) as libc::c_long,
        });
        let ts_ptr = ts.as_ref().map_or(core::ptr::null(), |t| t as *const libc::timespec);
        // SAFETY: the word is a live AtomicU32 for the duration of the call, and `ts_ptr` is null
        // or points to a timespec on this stack frame. FUTEX_WAIT only reads both.
        let r = unsafe {
            libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG, expected, ts_ptr)
        };
        !(r == -1 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ETIMEDOUT))
    }

    #[cfg(target_os = "linux")]
    fn wake_all(word: &AtomicU32) {
        // SAFETY: FUTEX_WAKE only uses the address as a key; the word is live.
        unsafe {
            libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG, i32::MAX);
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn wait(word: &AtomicU32, expected: u32, timeout_ns: Option<u64>) -> bool {
        use crate::primitive::Ordering;
        let deadline = timeout_ns.map(|t| Self::now_ns().saturating_add(t));
        while word.load(Ordering::Acquire) == expected {
            if deadline.is_some_and(|d| Self::now_ns() >= d) {
                return false;
            }
            std::thread::yield_now();
        }
        true
    }

    #[cfg(not(target_os = "linux"))]
    fn wake_all(_word: &AtomicU32) {}

    fn can_block() -> bool {
        true
    }

    fn now_ns() -> u64 {
        static START: OnceLock<Instant> = OnceLock::new();
        START.get_or_init(Instant::now).elapsed().as_nanos() as u64
    }
}
