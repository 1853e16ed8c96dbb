//! A small per-instance memo of reads: values kept for a short while, within a byte budget, and
//! forgotten all at once.
//!
//! A read that misses takes a [`Ticket`] before it asks the database and hands it back with the
//! value. [`Memo::forget_all`] (a write was committed) voids every ticket taken before it, so a
//! read that began before the write cannot store what it read after the write forgot.
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Taken before a read that missed; storing with it fails once the memo was forgotten since.
/// What it stores is as old as the ticket: kept for `keep` from when the read began.
#[derive(Clone, Copy, Debug)]
pub struct Ticket {
    generation: u64,
    taken: Instant,
}

pub struct Memo<K, V> {
    /// How long a value is served without being read again.
    keep: Duration,
    /// Most bytes the values may hold together (as their owners count them).
    budget: usize,
    inner: Mutex<Inner<K, V>>,
}

struct Inner<K, V> {
    entries: HashMap<K, Entry<V>>,
    /// Bumped by every `forget_all`.
    generation: u64,
    bytes: usize,
}

struct Entry<V> {
    value: V,
    stored: Instant,
    bytes: usize,
}

impl<K: Eq + Hash, V: Clone> Memo<K, V> {
    pub fn new(keep: Duration, budget: usize) -> Self {
        Memo {
            keep,
            budget,
            inner: Mutex::new(Inner {
                entries: HashMap::new(),
                generation: 0,
                bytes: 0,
            }),
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner<K, V>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The value stored for `key`, unless it is older than the memo keeps values.
    pub fn get(&self, key: &K) -> Option<V> {
        let mut inner = self.inner();
        let entry = inner.entries.get(key)?;
        if entry.stored.elapsed() < self.keep {
            return Some(entry.value.clone());
        }
        if let Some(old) = inner.entries.remove(key) {
            inner.bytes -= old.bytes;
        }
        None
    }

    /// Taken before reading what will be stored.
    pub fn ticket(&self) -> Ticket {
        Ticket {
            generation: self.inner().generation,
            taken: Instant::now(),
        }
    }

    /// Stores `value`, read under `ticket`, unless the memo was forgotten since. A value over
    /// the whole budget is not kept; one that would overflow it empties the memo first.
    pub fn put(&self, ticket: Ticket, key: K, value: V, bytes: usize) {
        let mut inner = self.inner();
        if ticket.generation != inner.generation || bytes > self.budget {
            return;
        }
        if inner.bytes + bytes > self.budget {
            inner.entries.clear();
            inner.bytes = 0;
        }
        let stored = ticket.taken;
        if let Some(old) = inner.entries.insert(
            key,
            Entry {
                value,
                stored,
                bytes,
            },
        ) {
            inner.bytes -= old.bytes;
        }
        inner.bytes += bytes;
    }

    /// Forgets every value, and voids every ticket taken so far.
    pub fn forget_all(&self) {
        let mut inner = self.inner();
        inner.entries.clear();
        inner.bytes = 0;
        inner.generation += 1;
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

    fn memo() -> Memo<u32, &'static str> {
        Memo::new(Duration::from_secs(60), 100)
    }

    #[test]
    fn serves_what_was_stored() {
        let memo = memo();
        assert_eq!(memo.get(&1), None);
        memo.put(memo.ticket(), 1, "one", 10);
        assert_eq!(memo.get(&1), Some("one"));
    }

    #[test]
    fn a_read_begun_before_a_forget_stores_nothing() {
        let memo = memo();
        let ticket = memo.ticket();
        memo.forget_all();
        memo.put(ticket, 1, "stale", 10);
        assert_eq!(memo.get(&1), None);
        memo.put(memo.ticket(), 1, "fresh", 10);
        assert_eq!(memo.get(&1), Some("fresh"));
    }

    #[test]
    fn forgets_everything_at_once() {
        let memo = memo();
        memo.put(memo.ticket(), 1, "one", 10);
        memo.put(memo.ticket(), 2, "two", 10);
        memo.forget_all();
        assert!(memo.is_empty());
    }

    #[test]
    fn stays_within_its_budget() {
        let memo = memo();
        memo.put(memo.ticket(), 1, "huge", 101);
        assert_eq!(
            memo.get(&1),
            None,
            "a value over the whole budget is not kept"
        );
        for key in 0..10 {
            memo.put(memo.ticket(), key, "tenth", 10);
        }
        assert_eq!(memo.len(), 10);
        memo.put(memo.ticket(), 10, "one more", 10);
        assert_eq!(memo.len(), 1, "the memo is emptied before it overflows");
        assert_eq!(memo.get(&10), Some("one more"));
        // Replacing a value counts its bytes once.
        for _ in 0..20 {
            memo.put(memo.ticket(), 10, "again", 10);
        }
        memo.put(memo.ticket(), 11, "next", 10);
        assert_eq!(memo.len(), 2);
    }

    #[test]
    fn serves_a_value_only_while_it_is_kept() {
        let memo: Memo<u32, &str> = Memo::new(Duration::ZERO, 100);
        memo.put(memo.ticket(), 1, "gone", 10);
        assert_eq!(memo.get(&1), None);
        assert!(memo.is_empty());
    }

    #[test]
    fn a_value_is_as_old_as_the_read_that_fetched_it() {
        let keep = Duration::from_millis(20);
        let memo: Memo<u32, &str> = Memo::new(keep, 100);
        let ticket = memo.ticket();
        // A slow read: by the time it is stored, it is older than the memo keeps values.
        std::thread::sleep(keep * 2);
        memo.put(ticket, 1, "read long ago", 10);
        assert_eq!(memo.get(&1), None);
    }
}
