//! A condition that lasts (Pending, not ready, CPU at its limit, ...): since when it holds and
//! when it was last seen, updated by samples that show it, show it gone, or show nothing.

use super::span::NEVER;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Lasting {
    /// First sample of the current spell; [`NEVER`] when the condition does not hold.
    since: i64,
    /// Latest sample that showed it.
    last_seen: i64,
}

impl Default for Lasting {
    fn default() -> Self {
        Lasting {
            since: NEVER,
            last_seen: NEVER,
        }
    }
}

impl Lasting {
    /// Takes one sample: `Some(true)` shows the condition, `Some(false)` shows it absent, `None`
    /// shows nothing. An absent sample ends the spell only once the condition has not been seen
    /// for more than `tolerance` (ms); an unknown one never does, and never starts one.
    ///
    /// Returns whether the condition holds *and this sample is known*: the spell's findings are
    /// reported only on samples that could have shown it gone.
    pub fn observe(&mut self, now: i64, seen: Option<bool>, tolerance: i64) -> bool {
        match seen {
            Some(true) => {
                if self.since == NEVER {
                    self.since = now;
                }
                self.last_seen = now;
                true
            }
            Some(false) => {
                if self.holds() && now.saturating_sub(self.last_seen) > tolerance {
                    *self = Lasting::default();
                }
                self.holds()
            }
            None => false,
        }
    }

    pub fn holds(&self) -> bool {
        self.since != NEVER
    }

    /// Start of the current spell ([`NEVER`] when it does not hold).
    pub fn since(&self) -> i64 {
        self.since
    }

    /// How long the current spell has lasted at `now` (0 when it does not hold).
    pub fn lasted(&self, now: i64) -> i64 {
        if self.holds() {
            now.saturating_sub(self.since)
        } else {
            0
        }
    }

    /// How long ago it was last seen (0 when it does not hold).
    pub fn unseen_for(&self, now: i64) -> i64 {
        if self.holds() {
            now.saturating_sub(self.last_seen)
        } else {
            0
        }
    }

    pub fn clear(&mut self) {
        *self = Lasting::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_samples_neither_start_confirm_nor_end_a_spell() {
        let mut c = Lasting::default();
        assert!(!c.observe(0, None, 0));
        assert!(!c.holds());
        assert!(c.observe(1_000, Some(true), 0));
        assert!(!c.observe(500_000, None, 0), "unknown does not confirm");
        assert_eq!(c.since(), 1_000, "the start survives the gap");
        assert!(c.observe(600_000, Some(true), 0));
        assert_eq!(c.lasted(600_000), 599_000);
        assert!(
            !c.observe(601_000, Some(false), 0),
            "a known absence ends it"
        );
        assert!(!c.holds());
    }

    #[test]
    fn a_short_interruption_within_the_tolerance_keeps_the_spell() {
        let mut c = Lasting::default();
        c.observe(0, Some(true), 60_000);
        assert!(
            c.observe(30_000, Some(false), 60_000),
            "30 s absent: still on"
        );
        assert!(c.observe(45_000, Some(true), 60_000));
        assert_eq!(c.since(), 0);
        assert!(c.observe(100_000, Some(false), 60_000));
        assert_eq!(c.unseen_for(100_000), 55_000);
        assert!(
            !c.observe(106_000, Some(false), 60_000),
            "61 s absent: over"
        );
    }
}
