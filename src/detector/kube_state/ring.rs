//! The last few events of one kind (restarts, readiness losses): their times and a small tag,
//! in a fixed ring that overwrites the oldest, so a pod's state never grows.

use super::span::NEVER;

/// Events a ring remembers. The paging counts are at most this (see
/// [`KubeStateSettings::validate`](super::KubeStateSettings::validate)); more events within a
/// window read as "4 or more".
pub const RING_CAPACITY: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EventRing<T: Copy> {
    times: [i64; RING_CAPACITY],
    tags: [T; RING_CAPACITY],
    /// Slot the next event goes to.
    next: u8,
}

impl<T: Copy + Default> Default for EventRing<T> {
    fn default() -> Self {
        EventRing {
            times: [NEVER; RING_CAPACITY],
            tags: [T::default(); RING_CAPACITY],
            next: 0,
        }
    }
}

impl<T: Copy> EventRing<T> {
    /// Records an event, forgetting the oldest when full. Events are pushed in time order.
    pub fn push(&mut self, at: i64, tag: T) {
        let slot = usize::from(self.next);
        self.times[slot] = at;
        self.tags[slot] = tag;
        self.next = ((slot + 1) % RING_CAPACITY) as u8;
    }

    /// The events after `since` (exclusive), oldest first.
    pub fn after(&self, since: i64) -> impl Iterator<Item = (i64, T)> + '_ {
        (0..RING_CAPACITY)
            .map(move |k| (usize::from(self.next) + k) % RING_CAPACITY)
            .filter(move |&i| self.times[i] != NEVER && self.times[i] > since)
            .map(move |i| (self.times[i], self.tags[i]))
    }

    /// The newest event, if any.
    pub fn newest(&self) -> Option<(i64, T)> {
        let i = (usize::from(self.next) + RING_CAPACITY - 1) % RING_CAPACITY;
        (self.times[i] != NEVER).then_some((self.times[i], self.tags[i]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_keeps_the_newest_events_in_order() {
        let mut ring = EventRing::<u8>::default();
        assert_eq!(ring.newest(), None);
        for t in 1..=6 {
            ring.push(t * 10, t as u8);
        }
        let kept: Vec<_> = ring.after(NEVER).collect();
        assert_eq!(kept, vec![(30, 3), (40, 4), (50, 5), (60, 6)]);
        assert_eq!(ring.after(40).count(), 2);
        assert_eq!(ring.newest(), Some((60, 6)));
    }
}
