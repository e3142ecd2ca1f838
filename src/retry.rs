//! The HTTP clients' retry policy, on `backon` (already compiled in through kube): waits of
//! `base · 2^attempt`, each plus up to as much again at random so that many daemons restarted
//! together do not retry in lock-step, at most `retries` of them, none longer than a minute.

use backon::ExponentialBuilder;
use std::time::Duration;

/// At most `retries` retries, the first after `base` (plus jitter).
pub fn policy(base: Duration, retries: u32) -> ExponentialBuilder {
    ExponentialBuilder::default()
        .with_min_delay(base)
        .with_factor(2.0)
        .with_max_delay(Duration::from_secs(60))
        .with_max_times(retries as usize)
        .with_jitter()
}

#[cfg(test)]
mod tests {
    use super::*;
    use backon::BackoffBuilder;

    #[test]
    fn doubles_with_up_to_as_much_again_of_jitter_and_stops_after_the_retries() {
        let waits: Vec<Duration> = policy(Duration::from_millis(100), 4).build().collect();
        assert_eq!(waits.len(), 4);
        for (attempt, wait) in waits.iter().enumerate() {
            let base = Duration::from_millis(100 << attempt);
            assert!(*wait >= base && *wait <= base * 2, "{attempt}: {wait:?}");
        }
        assert_eq!(policy(Duration::from_secs(1), 0).build().count(), 0);
    }
}
