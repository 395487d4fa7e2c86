//! Client-side rate limits, from a vendor manifest's `[[vendor.rate_limit]]`
//! rules (e.g. "1,000 reads and 60 writes a minute").
//!
//! A served vendor has one configured key, so one [`RateLimiter`] per
//! served vendor is one limiter per key, shared by every session. Each rule
//! keeps a sliding log of the send times it granted: never more than
//! `requests` sends in any `window`, whatever window the vendor counts in.
//! A call over the limit waits for its slot when that is at most `max_wait`
//! away, and is refused with the wait otherwise; nothing is sent then. A
//! `429` with `Retry-After` holds the rule's methods until it has passed.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use leads_mcp_catalog::RateLimit;
use leads_mcp_catalog::vocab::Method;

/// A call that would have to wait longer than allowed for its slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Throttled {
    /// How long until the call could be sent.
    pub wait: Duration,
    /// The limit that is exhausted, as [`RateLimit::describe`] says it.
    pub limit: String,
}

struct Bucket {
    rule: RateLimit,
    state: Mutex<BucketState>,
}

#[derive(Default)]
struct BucketState {
    /// Granted send times, ascending; some may lie in the future (reserved).
    granted: VecDeque<Instant>,
    /// No send before this (after a 429 with Retry-After).
    hold_until: Option<Instant>,
}

impl BucketState {
    /// The earliest time a new send may go out under `rule`.
    fn next_slot(&mut self, rule: &RateLimit, now: Instant) -> Instant {
        while self
            .granted
            .front()
            .is_some_and(|t| *t + rule.window <= now)
        {
            self.granted.pop_front();
        }
        let mut slot = now;
        let len = self.granted.len();
        if len >= rule.requests
            && let Some(t) = self.granted.get(len - rule.requests)
        {
            slot = slot.max(*t + rule.window);
        }
        if let Some(last) = self.granted.back() {
            slot = slot.max(*last);
        }
        if let Some(hold) = self.hold_until {
            slot = slot.max(hold);
        }
        slot
    }
}

/// The limits of one vendor key.
#[derive(Default)]
pub struct RateLimiter {
    buckets: Vec<Bucket>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rules: Vec<String> = self.buckets.iter().map(|b| b.rule.describe()).collect();
        f.debug_struct("RateLimiter")
            .field("rules", &rules)
            .finish()
    }
}

impl RateLimiter {
    pub fn new(rules: &[RateLimit]) -> Self {
        Self {
            buckets: rules
                .iter()
                .filter(|r| r.requests > 0 && !r.window.is_zero())
                .map(|rule| Bucket {
                    rule: rule.clone(),
                    state: Mutex::new(BucketState::default()),
                })
                .collect(),
        }
    }

    fn matching(&self, method: Method) -> impl Iterator<Item = &Bucket> {
        self.buckets
            .iter()
            .filter(move |b| b.rule.methods.contains(&method))
    }

    /// Takes a send slot for one `method` request, waiting for it when it is
    /// at most `max_wait` away. `Ok` carries how long the call waited.
    pub async fn acquire(&self, method: Method, max_wait: Duration) -> Result<Duration, Throttled> {
        let now = Instant::now();
        let slot = {
            // Locked in manifest order, never across an await.
            let mut states = Vec::new();
            for bucket in self.matching(method) {
                let Ok(state) = bucket.state.lock() else {
                    continue;
                };
                states.push((bucket, state));
            }
            let mut slot = now;
            let mut limiting = None;
            for (bucket, state) in &mut states {
                let s = state.next_slot(&bucket.rule, now);
                if s > slot {
                    slot = s;
                    limiting = Some(&bucket.rule);
                }
            }
            let wait = slot - now;
            if wait > max_wait {
                return Err(Throttled {
                    wait,
                    limit: limiting.map(RateLimit::describe).unwrap_or_default(),
                });
            }
            for (_, state) in &mut states {
                state.granted.push_back(slot);
            }
            slot
        };
        if slot > now {
            tracing::info!(
                method = method.as_str(),
                wait_ms = (slot - now).as_millis() as u64,
                "waiting for the vendor's rate limit"
            );
            tokio::time::sleep_until(slot).await;
        }
        Ok(slot - now)
    }

    /// After a 429: no `method` request (nor any other the same rules
    /// count) before `wait` has passed.
    pub fn hold(&self, method: Method, wait: Duration) {
        let until = Instant::now() + wait;
        for bucket in self.matching(method) {
            if let Ok(mut state) = bucket.state.lock() {
                state.hold_until = Some(state.hold_until.map_or(until, |h| h.max(until)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    const MINUTE: Duration = Duration::from_secs(60);

    fn limiter(reads: usize, writes: usize) -> RateLimiter {
        RateLimiter::new(&[
            RateLimit {
                methods: vec![Method::Get],
                requests: reads,
                window: MINUTE,
            },
            RateLimit {
                methods: vec![Method::Post, Method::Patch, Method::Delete],
                requests: writes,
                window: MINUTE,
            },
        ])
    }

    #[tokio::test(start_paused = true)]
    async fn waits_for_a_free_slot_instead_of_failing() {
        let l = limiter(1000, 3);
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(l.acquire(Method::Post, MINUTE).await, Ok(Duration::ZERO));
        }
        assert_eq!(Instant::now(), start);
        // The fourth write waits until the first leaves the window.
        assert_eq!(l.acquire(Method::Patch, MINUTE).await, Ok(MINUTE));
        assert_eq!(Instant::now() - start, MINUTE);
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_beyond_the_bound_is_refused_and_reserves_nothing() {
        let l = limiter(1000, 2);
        let bound = Duration::from_secs(30);
        l.acquire(Method::Post, bound).await.unwrap();
        tokio::time::advance(Duration::from_secs(10)).await;
        l.acquire(Method::Delete, bound).await.unwrap();
        let start = Instant::now();
        let refused = l.acquire(Method::Post, bound).await.unwrap_err();
        assert_eq!(refused.wait, Duration::from_secs(50));
        assert_eq!(refused.limit, "2 POST/PATCH/DELETE requests per 60 s");
        assert_eq!(Instant::now(), start, "a refusal does not wait");
        // Nothing was reserved: the same call is refused with the same wait.
        assert_eq!(
            l.acquire(Method::Post, bound).await.unwrap_err().wait,
            Duration::from_secs(50)
        );
        // Once within the bound, it waits.
        tokio::time::advance(Duration::from_secs(25)).await;
        assert_eq!(
            l.acquire(Method::Post, bound).await,
            Ok(Duration::from_secs(25))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn reads_and_writes_are_counted_apart() {
        let l = limiter(2, 1);
        l.acquire(Method::Post, Duration::ZERO).await.unwrap();
        assert!(l.acquire(Method::Post, Duration::ZERO).await.is_err());
        assert_eq!(
            l.acquire(Method::Get, Duration::ZERO).await,
            Ok(Duration::ZERO)
        );
        assert_eq!(
            l.acquire(Method::Get, Duration::ZERO).await,
            Ok(Duration::ZERO)
        );
        assert!(l.acquire(Method::Get, Duration::ZERO).await.is_err());
        // A method no rule names is not limited.
        assert_eq!(
            l.acquire(Method::Put, Duration::ZERO).await,
            Ok(Duration::ZERO)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_calls_never_exceed_the_limit_in_any_window() {
        let l = Arc::new(RateLimiter::new(&[RateLimit {
            methods: vec![Method::Get],
            requests: 2,
            window: Duration::from_secs(1),
        }]));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..7 {
            let l = l.clone();
            tasks.push(tokio::spawn(async move {
                l.acquire(Method::Get, Duration::from_secs(10))
                    .await
                    .unwrap();
                Instant::now() - start
            }));
        }
        let mut sent = Vec::new();
        for t in tasks {
            sent.push(t.await.unwrap());
        }
        sent.sort();
        let secs: Vec<u64> = sent.iter().map(Duration::as_secs).collect();
        assert_eq!(secs, [0, 0, 1, 1, 2, 2, 3]);
        for (i, t) in sent.iter().enumerate() {
            let in_window = sent[i..]
                .iter()
                .filter(|u| **u < *t + Duration::from_secs(1))
                .count();
            assert!(in_window <= 2, "{sent:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_holds_the_rules_methods() {
        let l = limiter(1000, 60);
        let start = Instant::now();
        l.hold(Method::Post, Duration::from_secs(20));
        // Reads are another rule: not held.
        assert_eq!(l.acquire(Method::Get, MINUTE).await, Ok(Duration::ZERO));
        // Every write waits the hold out, or is refused beyond the bound.
        let refused = l
            .acquire(Method::Delete, Duration::from_secs(5))
            .await
            .unwrap_err();
        assert_eq!(refused.wait, Duration::from_secs(20));
        assert_eq!(
            l.acquire(Method::Patch, MINUTE).await,
            Ok(Duration::from_secs(20))
        );
        assert_eq!(Instant::now() - start, Duration::from_secs(20));
    }

    #[tokio::test(start_paused = true)]
    async fn no_rules_no_limit() {
        let l = RateLimiter::new(&[]);
        for _ in 0..10_000 {
            assert_eq!(
                l.acquire(Method::Get, Duration::ZERO).await,
                Ok(Duration::ZERO)
            );
        }
    }
}
