//! Restamping: some forwarders hand downstream the full lifetime they keep
//! an answer for, instead of what is left of it, which stretches staleness
//! up to twice. A restamping cache's copies below it do not expire with it,
//! so its stationary state is its own, and in the latest-old-answer bound
//! it hands each copy's full lifetime for as long as the copy lives.

use crate::duration::Millis;

/// The TTL a cache hands downstream from an entry kept `lifetime` with
/// `remaining` left.
#[inline]
pub fn handed(restamp: bool, remaining: Millis, lifetime: Millis) -> Millis {
    if restamp {
        lifetime
    } else {
        remaining
    }
}
