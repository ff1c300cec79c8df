//! Requests per caller: a token bucket for each API client, each person and each
//! invitation link, keyed by who the credential was verified to be (so minting another
//! token does not buy another bucket, and only a holder of a caller's credential spends
//! that caller's). A caller over
//! its limit gets 429 with `Retry-After`, before the route does any work.
//!
//! Buckets live in the process: with several instances, each allows its own rate.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use crate::error::AppError;

/// Buckets kept before the full ones (callers quiet long enough to be back at their
/// burst) are forgotten; a full bucket and a forgotten one allow the same. Should more
/// callers than this all be mid-burst at once, every bucket is forgotten: memory stays
/// bounded, and those callers start again from a full burst.
const TRACKED: usize = 50_000;

pub struct RateLimits {
    per_second: f64,
    burst: f64,
    tracked: usize,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn now(self, now: Instant, per_second: f64, burst: f64) -> f64 {
        (self.tokens + now.duration_since(self.at).as_secs_f64() * per_second).min(burst)
    }
}

impl RateLimits {
    /// `per_second` requests sustained, `burst` at once; `per_second` 0 turns limits off.
    pub fn new(per_second: u32, burst: u32) -> Self {
        Self {
            per_second: f64::from(per_second),
            burst: f64::from(burst.max(1)),
            tracked: TRACKED,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `caller`'s bucket, or 429 saying when the next one is allowed.
    pub fn take(&self, caller: &str) -> Result<(), AppError> {
        self.take_at(caller, Instant::now())
    }

    fn take_at(&self, caller: &str, now: Instant) -> Result<(), AppError> {
        if self.per_second <= 0.0 {
            return Ok(());
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        // The caller's name is copied only for a new bucket, not at every request.
        if !buckets.contains_key(caller) {
            if buckets.len() >= self.tracked {
                let (per_second, burst) = (self.per_second, self.burst);
                buckets.retain(|_, b| b.now(now, per_second, burst) < burst);
                if buckets.len() >= self.tracked {
                    buckets.clear();
                }
            }
            buckets.insert(caller.to_string(), Bucket { tokens: self.burst, at: now });
        }
        let Some(bucket) = buckets.get_mut(caller) else { unreachable!("inserted above") };
        let tokens = bucket.now(now, self.per_second, self.burst);
        if tokens < 1.0 {
            let wait = ((1.0 - tokens) / self.per_second).ceil().max(1.0) as u64;
            return Err(AppError::TooManyRequests(wait));
        }
        *bucket = Bucket { tokens: tokens - 1.0, at: now };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_gets_its_burst_then_waits_and_others_are_not_affected() {
        let limits = RateLimits::new(1, 3);
        for _ in 0..3 {
            limits.take("person:a").unwrap();
        }
        assert!(matches!(limits.take("person:a"), Err(AppError::TooManyRequests(1))));
        limits.take("person:b").unwrap();
    }

    #[test]
    fn zero_turns_limits_off() {
        let limits = RateLimits::new(0, 1);
        for _ in 0..100 {
            limits.take("client:a").unwrap();
        }
    }

    #[test]
    fn past_its_size_the_table_forgets_full_buckets_first_and_never_grows_unbounded() {
        let limits = RateLimits { tracked: 3, ..RateLimits::new(1, 2) };
        let start = Instant::now();
        let later = start + std::time::Duration::from_secs(10);
        limits.take_at("quiet", start).unwrap();
        limits.take_at("busy", later).unwrap();
        limits.take_at("busy", later).unwrap();
        limits.take_at("half", later).unwrap();
        // A fourth caller: the quiet one's bucket is full again and goes; the others stay.
        limits.take_at("new", later).unwrap();
        assert!(matches!(limits.take_at("busy", later), Err(AppError::TooManyRequests(1))));
        let kept: Vec<String> = limits.buckets.lock().unwrap().keys().cloned().collect();
        assert!(!kept.contains(&"quiet".to_string()) && kept.len() == 3, "{kept:?}");
        // When none is full, all are forgotten rather than the table growing.
        limits.take_at("one more", later).unwrap();
        assert_eq!(limits.buckets.lock().unwrap().len(), 1);
    }
}
