//! NAB's application profiles (`config/profiles.json` of NAB v1.1): the weights of a true
//! positive, a false positive and a missed window. NAB also lists `tnWeight` 1.0, which its
//! scorer never uses.

use serde::Serialize;

/// The weights one profile gives each outcome.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Profile {
    pub name: &'static str,
    /// Reward for detecting a window at its very start (less later in the window).
    pub tp_weight: f64,
    /// Cost of a false-positive row far from any window (less just after one).
    pub fp_weight: f64,
    /// Cost of a window with no detection.
    pub fn_weight: f64,
}

pub const STANDARD: Profile = Profile {
    name: "standard",
    tp_weight: 1.0,
    fp_weight: 0.11,
    fn_weight: 1.0,
};

pub const REWARD_LOW_FP_RATE: Profile = Profile {
    name: "reward_low_FP_rate",
    tp_weight: 1.0,
    fp_weight: 0.22,
    fn_weight: 1.0,
};

pub const REWARD_LOW_FN_RATE: Profile = Profile {
    name: "reward_low_FN_rate",
    tp_weight: 1.0,
    fp_weight: 0.11,
    fn_weight: 2.0,
};

/// The three profiles NAB reports, in its order.
pub const PROFILES: [Profile; 3] = [STANDARD, REWARD_LOW_FP_RATE, REWARD_LOW_FN_RATE];
