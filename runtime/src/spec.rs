//! What a worker declares in its .proto, as static data: [`WorkerSpec`], [`HandlerSpec`], [`Ordering`] and
//! [`RetryPolicy`].

use std::time::Duration;

/// A worker's declaration; generated code has one `static SPEC` per worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerSpec {
    /// The service's fully-qualified name.
    pub name: &'static str,
    /// The consumer group.
    pub group: &'static str,
    pub ordering: Ordering,
    /// Records processed concurrently at most.
    pub max_in_flight: u32,
    pub retry: RetryPolicy,
    /// Where records go after their last failed attempt.
    pub dead_letter_topic: Option<&'static str>,
    pub handlers: &'static [HandlerSpec],
}

impl WorkerSpec {
    /// The topics the worker consumes, without duplicates, in handler order.
    pub fn topics(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for h in self.handlers {
            if !out.contains(&h.topic) {
                out.push(h.topic);
            }
        }
        out
    }

    /// The handler of records of `event_type` on `topic` (an empty type matches a topic's only handler).
    pub fn handler_for(&self, topic: &str, event_type: &str) -> Option<&'static HandlerSpec> {
        let mut on_topic = self.handlers.iter().filter(|h| h.topic == topic);
        if event_type.is_empty() {
            let first = on_topic.next()?;
            return on_topic.next().is_none().then_some(first);
        }
        self.handlers
            .iter()
            .find(|h| h.topic == topic && h.event_type == event_type)
    }
}

/// A handler's declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandlerSpec {
    /// The rpc name.
    pub name: &'static str,
    pub topic: &'static str,
    /// The consumed event's fully-qualified name.
    pub event_type: &'static str,
    /// The fully-qualified names of the events it may emit.
    pub emits: &'static [&'static str],
}

/// Which records a worker may process concurrently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ordering {
    /// One record at a time per partition, in offset order.
    PerPartition,
    /// One record at a time per key (per partition for records without a key), in offset order.
    PerKey,
    /// Any records concurrently, up to `max_in_flight`.
    Unordered,
}

/// Retries of failed handlers: `max_attempts` in all, exponential backoff from `initial_backoff_ms` doubling up
/// to `max_backoff_ms`, with jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub initial_backoff_ms: u64,
    pub max_backoff_ms: u64,
}

impl RetryPolicy {
    /// The delay before attempt `failed + 1`, after `failed` failures: half the exponential delay plus a random
    /// part of up to the other half ("equal jitter").
    pub fn backoff(&self, failed: u32) -> Duration {
        let exp = failed.saturating_sub(1).min(63);
        let base = self
            .initial_backoff_ms
            .saturating_mul(1u64 << exp)
            .min(self.max_backoff_ms);
        let half = base / 2;
        Duration::from_millis(half + fastrand::u64(0..=base - half))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_jitter_and_is_capped() {
        let p = RetryPolicy {
            max_attempts: 10,
            initial_backoff_ms: 100,
            max_backoff_ms: 1000,
        };
        for _ in 0..50 {
            let d1 = p.backoff(1).as_millis();
            let d3 = p.backoff(3).as_millis();
            let d9 = p.backoff(9).as_millis();
            assert!((50..=100).contains(&d1), "{d1}");
            assert!((200..=400).contains(&d3), "{d3}");
            assert!((500..=1000).contains(&d9), "{d9}");
        }
        let p = RetryPolicy {
            max_attempts: 100,
            initial_backoff_ms: u64::MAX / 2,
            max_backoff_ms: u64::MAX,
        };
        assert!(p.backoff(99) >= Duration::from_millis(u64::MAX / 2));
    }

    #[test]
    fn handler_lookup_by_topic_and_type() {
        static H: [HandlerSpec; 3] = [
            HandlerSpec {
                name: "A",
                topic: "t",
                event_type: "x.A",
                emits: &[],
            },
            HandlerSpec {
                name: "B",
                topic: "t",
                event_type: "x.B",
                emits: &[],
            },
            HandlerSpec {
                name: "C",
                topic: "u",
                event_type: "x.A",
                emits: &[],
            },
        ];
        let spec = WorkerSpec {
            name: "x.W",
            group: "g",
            ordering: Ordering::PerKey,
            max_in_flight: 1,
            retry: RetryPolicy {
                max_attempts: 1,
                initial_backoff_ms: 0,
                max_backoff_ms: 0,
            },
            dead_letter_topic: None,
            handlers: &H,
        };
        assert_eq!(spec.topics(), ["t", "u"]);
        assert_eq!(spec.handler_for("t", "x.B").unwrap().name, "B");
        assert_eq!(spec.handler_for("u", "").unwrap().name, "C");
        assert!(spec.handler_for("t", "").is_none());
        assert!(spec.handler_for("v", "x.A").is_none());
    }
}
