//! A small per-instance memo of reads: values kept for a short while, within a byte budget, each
//! with what it was read under (`deps`: the versions it saw, `read_versions`). A value is served
//! only while the memo keeps it and its owner says `deps` still hold.
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

pub struct Memo<K, V, D> {
    /// How long a value is served at most, from when its read began.
    keep: Duration,
    /// Most bytes the values may hold together (as their owners count them).
    budget: usize,
    inner: Mutex<Inner<K, V, D>>,
}

struct Inner<K, V, D> {
    entries: HashMap<K, Entry<V, D>>,
    bytes: usize,
}

struct Entry<V, D> {
    value: V,
    deps: D,
    /// When the read that fetched it began.
    read: Instant,
    bytes: usize,
}

impl<K: Eq + Hash, V: Clone, D> Memo<K, V, D> {
    pub fn new(keep: Duration, budget: usize) -> Self {
        Memo {
            keep,
            budget,
            inner: Mutex::new(Inner {
                entries: HashMap::new(),
                bytes: 0,
            }),
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner<K, V, D>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The value stored for `key`, unless it is older than the memo keeps values or `holds`
    /// says what it was read under has changed (then it is dropped).
    pub fn get(&self, key: &K, holds: impl FnOnce(&D) -> bool) -> Option<V> {
        let mut inner = self.inner();
        let entry = inner.entries.get(key)?;
        if entry.read.elapsed() < self.keep && holds(&entry.deps) {
            return Some(entry.value.clone());
        }
        if let Some(old) = inner.entries.remove(key) {
            inner.bytes -= old.bytes;
        }
        None
    }

    /// Stores `value`, read from `read` on under `deps`. A value over the whole budget is not
    /// kept; one that would overflow it empties the memo first.
    pub fn put(&self, key: K, value: V, deps: D, read: Instant, bytes: usize) {
        let mut inner = self.inner();
        if bytes > self.budget || self.keep.is_zero() {
            return;
        }
        if inner.bytes + bytes > self.budget {
            inner.entries.clear();
            inner.bytes = 0;
        }
        let entry = Entry {
            value,
            deps,
            read,
            bytes,
        };
        if let Some(old) = inner.entries.insert(key, entry) {
            inner.bytes -= old.bytes;
        }
        inner.bytes += bytes;
    }

    pub fn len(&self) -> usize {
        self.inner().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memo() -> Memo<u32, &'static str, u32> {
        Memo::new(Duration::from_secs(60), 100)
    }

    fn put(memo: &Memo<u32, &'static str, u32>, key: u32, value: &'static str, bytes: usize) {
        memo.put(key, value, 1, Instant::now(), bytes);
    }

    #[test]
    fn serves_what_was_stored_while_it_holds() {
        let memo = memo();
        assert_eq!(memo.get(&1, |_| true), None);
        put(&memo, 1, "one", 10);
        assert_eq!(memo.get(&1, |version| *version == 1), Some("one"));
        assert_eq!(memo.get(&1, |version| *version == 2), None, "changed since");
        assert!(memo.is_empty(), "what no longer holds is dropped");
    }

    #[test]
    fn stays_within_its_budget() {
        let memo = memo();
        put(&memo, 1, "huge", 101);
        assert_eq!(
            memo.get(&1, |_| true),
            None,
            "a value over the whole budget is not kept"
        );
        for key in 0..10 {
            put(&memo, key, "tenth", 10);
        }
        assert_eq!(memo.len(), 10);
        put(&memo, 10, "one more", 10);
        assert_eq!(memo.len(), 1, "the memo is emptied before it overflows");
        assert_eq!(memo.get(&10, |_| true), Some("one more"));
        // Replacing a value counts its bytes once.
        for _ in 0..20 {
            put(&memo, 10, "again", 10);
        }
        put(&memo, 11, "next", 10);
        assert_eq!(memo.len(), 2);
    }

    #[test]
    fn keeps_nothing_when_it_keeps_for_no_time() {
        let memo: Memo<u32, &str, u32> = Memo::new(Duration::ZERO, 100);
        memo.put(1, "gone", 1, Instant::now(), 10);
        assert!(memo.is_empty());
    }

    #[test]
    fn a_value_is_as_old_as_the_read_that_fetched_it() {
        let keep = Duration::from_millis(20);
        let memo: Memo<u32, &str, u32> = Memo::new(keep, 100);
        let began = Instant::now();
        // A slow read: by the time it is stored, it is older than the memo keeps values.
        std::thread::sleep(keep * 2);
        memo.put(1, "read long ago", 1, began, 10);
        assert_eq!(memo.get(&1, |_| true), None);
    }
}
