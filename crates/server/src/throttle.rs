//! Failed sign-in throttling: after too many wrong passwords for one associate name, or from one
//! client address, within a window, further attempts are refused with 429 until the window ends,
//! without running the password hash, so that guessing is slow and costs the server nothing.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The map never grows past this; when full, windows that have ended are dropped, and if that is
/// not enough the oldest half goes (which only forgives some failures early).
const ENTRIES_MAX: usize = 100_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Name(String),
    Address(IpAddr),
}

impl Key {
    /// An IPv6 client usually holds a whole /64, so that is what counts as one address.
    fn address(address: IpAddr) -> Key {
        match address {
            IpAddr::V4(_) => Key::Address(address),
            IpAddr::V6(v6) => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                Key::Address(IpAddr::V6(std::net::Ipv6Addr::from(prefix)))
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    failures: u32,
}

/// How many failures are allowed per window; 0 turns a limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub per_name: u32,
    pub per_address: u32,
    pub window: Duration,
}

#[derive(Debug)]
pub struct LoginThrottle {
    limits: Limits,
    windows: Mutex<HashMap<Key, Window>>,
}

impl LoginThrottle {
    pub fn new(limits: Limits) -> Self {
        LoginThrottle {
            limits,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// How long to wait before `name` (or anyone from `address`) may try again, if they have
    /// used up their failures. Tickets and tokens name nobody; only their address counts.
    pub fn blocked(&self, name: Option<&str>, address: Option<IpAddr>) -> Option<Duration> {
        let now = Instant::now();
        let windows = self.windows.lock().ok()?;
        let check = |key: Key, limit: u32| {
            let window = windows.get(&key)?;
            let ends = window.started + self.limits.window;
            (limit > 0 && window.failures >= limit && ends > now).then(|| ends - now)
        };
        let by_name =
            name.and_then(|name| check(Key::Name(name.to_lowercase()), self.limits.per_name));
        let by_address = address.and_then(|a| check(Key::address(a), self.limits.per_address));
        by_name.max(by_address)
    }

    /// Counts a wrong password for `name` (or a wrong ticket or token) from `address`.
    pub fn failed(&self, name: Option<&str>, address: Option<IpAddr>) {
        let now = Instant::now();
        let Ok(mut windows) = self.windows.lock() else {
            return;
        };
        if windows.len() >= ENTRIES_MAX {
            forget_old(&mut windows, now, self.limits.window);
        }
        let mut count = |key: Key| {
            let window = windows.entry(key).or_insert(Window {
                started: now,
                failures: 0,
            });
            if window.started + self.limits.window <= now {
                *window = Window {
                    started: now,
                    failures: 0,
                };
            }
            window.failures = window.failures.saturating_add(1);
        };
        if let Some(name) = name.filter(|_| self.limits.per_name > 0) {
            count(Key::Name(name.to_lowercase()));
        }
        if let Some(address) = address.filter(|_| self.limits.per_address > 0) {
            count(Key::address(address));
        }
    }

    /// A right password forgives the name's failures; the address's stay, so that one good
    /// account cannot launder guesses at others.
    pub fn succeeded(&self, name: &str) {
        if let Ok(mut windows) = self.windows.lock() {
            windows.remove(&Key::Name(name.to_lowercase()));
        }
    }

    /// Takes back one failure counted for `address` in advance, for an attempt that succeeded.
    pub fn forgive(&self, address: Option<IpAddr>) {
        if let (Some(address), Ok(mut windows)) = (address, self.windows.lock())
            && let Some(window) = windows.get_mut(&Key::address(address))
        {
            window.failures = window.failures.saturating_sub(1);
        }
    }
}

fn forget_old(windows: &mut HashMap<Key, Window>, now: Instant, length: Duration) {
    windows.retain(|_, window| window.started + length > now);
    if windows.len() >= ENTRIES_MAX {
        let mut starts: Vec<Instant> = windows.values().map(|w| w.started).collect();
        starts.sort_unstable();
        if let Some(&median) = starts.get(starts.len() / 2) {
            windows.retain(|_, window| window.started > median);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_client_is_its_whole_64() {
        let t = LoginThrottle::new(Limits {
            per_name: 0,
            per_address: 2,
            window: Duration::from_secs(60),
        });
        let one: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let same: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        t.failed(None, Some(one));
        t.failed(None, Some(same));
        assert!(t.blocked(None, Some(one)).is_some());
        assert!(t.blocked(None, Some(same)).is_some());
        assert!(t.blocked(None, Some(other)).is_none());
    }

    fn throttle(per_name: u32, per_address: u32, window: Duration) -> LoginThrottle {
        LoginThrottle::new(Limits {
            per_name,
            per_address,
            window,
        })
    }

    const HOME: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));

    #[test]
    fn a_name_is_blocked_after_its_failures_and_only_it() {
        let t = throttle(3, 0, Duration::from_secs(60));
        for _ in 0..2 {
            t.failed(Some("Ann"), HOME);
            assert_eq!(t.blocked(Some("ann"), HOME), None);
        }
        t.failed(Some("ANN"), HOME);
        let wait = t.blocked(Some("ann"), HOME).unwrap();
        assert!(wait > Duration::from_secs(59) && wait <= Duration::from_secs(60));
        assert_eq!(
            t.blocked(Some("bob"), HOME),
            None,
            "the address has no limit"
        );
    }

    #[test]
    fn an_address_is_blocked_after_failures_at_many_names() {
        let t = throttle(0, 4, Duration::from_secs(60));
        for name in ["a", "b", "c", "d"] {
            t.failed(Some(name), HOME);
        }
        assert!(t.blocked(Some("e"), HOME).is_some());
        let elsewhere = Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(t.blocked(Some("e"), elsewhere), None);
        assert_eq!(t.blocked(Some("e"), None), None);
    }

    #[test]
    fn the_block_ends_with_the_window_and_success_forgives_the_name() {
        let t = throttle(2, 0, Duration::from_millis(50));
        t.failed(Some("ann"), None);
        t.failed(Some("ann"), None);
        assert!(t.blocked(Some("ann"), None).is_some());
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(t.blocked(Some("ann"), None), None);
        t.failed(Some("ann"), None);
        assert_eq!(
            t.blocked(Some("ann"), None),
            None,
            "a fresh window counts afresh"
        );
        t.succeeded("ann");
        t.failed(Some("ann"), None);
        assert_eq!(t.blocked(Some("ann"), None), None);
    }

    #[test]
    fn zero_limits_never_block() {
        let t = throttle(0, 0, Duration::from_secs(60));
        for _ in 0..100 {
            t.failed(Some("ann"), HOME);
        }
        assert_eq!(t.blocked(Some("ann"), HOME), None);
        assert!(t.windows.lock().unwrap().is_empty());
    }

    #[test]
    fn the_map_is_bounded() {
        let t = throttle(5, 0, Duration::from_secs(60));
        for i in 0..(ENTRIES_MAX + 10) {
            t.failed(Some(&format!("user{i}")), None);
        }
        assert!(t.windows.lock().unwrap().len() <= ENTRIES_MAX);
    }
}
