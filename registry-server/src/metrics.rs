//! Prometheus metrics: requests by route, method and status, a latency histogram per route, registrations and
//! compatibility failures, rendered in the text exposition format at `/metrics`.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Debug, Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Debug, Default)]
struct RouteStats {
    /// Count by (method, status).
    by_status: BTreeMap<(String, u16), u64>,
    latency: Histogram,
}

/// The server's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    routes: Mutex<HashMap<String, RouteStats>>,
    registrations: AtomicU64,
    compatibility_failures: AtomicU64,
}

impl Metrics {
    /// Counts one request; allocates only the first time a route, method and status are seen.
    pub fn observe(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        let Ok(mut routes) = self.routes.lock() else {
            return;
        };
        if !routes.contains_key(route) {
            routes.insert(route.to_owned(), RouteStats::default());
        }
        let Some(stats) = routes.get_mut(route) else {
            return;
        };
        match stats
            .by_status
            .iter_mut()
            .find(|((m, s), _)| m == method && *s == status)
        {
            Some((_, n)) => *n += 1,
            None => {
                stats.by_status.insert((method.to_owned(), status), 1);
            }
        }
        let h = &mut stats.latency;
        let secs = elapsed.as_secs_f64();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
    }

    pub fn registration(&self) {
        self.registrations.fetch_add(1, Ordering::Relaxed);
    }

    pub fn compatibility_failure(&self) {
        self.compatibility_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP herald_http_requests_total HTTP requests by route, method and status.\n",
        );
        out.push_str("# TYPE herald_http_requests_total counter\n");
        if let Ok(routes) = self.routes.lock() {
            let mut sorted: Vec<(&String, &RouteStats)> = routes.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(b.0));
            for (route, stats) in &sorted {
                for ((method, status), n) in &stats.by_status {
                    let (route, method) = (escape(route), escape(method));
                    let _ = writeln!(
                        out,
                        "herald_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
                    );
                }
            }
            out.push_str(
                "# HELP herald_http_request_duration_seconds HTTP request latency by route.\n",
            );
            out.push_str("# TYPE herald_http_request_duration_seconds histogram\n");
            for (route, stats) in &sorted {
                let h = &stats.latency;
                let route = escape(route);
                for (i, bound) in BUCKETS.iter().enumerate() {
                    let n = h.counts[i];
                    let _ = writeln!(
                        out,
                        "herald_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {n}"
                    );
                }
                let (count, sum) = (h.count, h.sum);
                let _ = writeln!(
                    out,
                    "herald_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {count}"
                );
                let _ = writeln!(
                    out,
                    "herald_http_request_duration_seconds_sum{{route=\"{route}\"}} {sum}"
                );
                let _ = writeln!(
                    out,
                    "herald_http_request_duration_seconds_count{{route=\"{route}\"}} {count}"
                );
            }
        }
        out.push_str(
            "# HELP herald_schema_registrations_total Schemas registered as new versions.\n",
        );
        out.push_str("# TYPE herald_schema_registrations_total counter\n");
        let _ = writeln!(
            out,
            "herald_schema_registrations_total {}",
            self.registrations.load(Ordering::Relaxed)
        );
        out.push_str("# HELP herald_compatibility_failures_total Registrations or checks found incompatible.\n");
        out.push_str("# TYPE herald_compatibility_failures_total counter\n");
        let _ = writeln!(
            out,
            "herald_compatibility_failures_total {}",
            self.compatibility_failures.load(Ordering::Relaxed)
        );
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let m = Metrics::default();
        m.observe("/subjects", "GET", 200, Duration::from_millis(3));
        m.observe("/subjects", "GET", 200, Duration::from_millis(30));
        m.registration();
        let text = m.render();
        assert!(text.contains(
            "herald_http_requests_total{route=\"/subjects\",method=\"GET\",status=\"200\"} 2"
        ));
        assert!(text.contains(
            "herald_http_request_duration_seconds_bucket{route=\"/subjects\",le=\"0.005\"} 1"
        ));
        assert!(text.contains("herald_http_request_duration_seconds_count{route=\"/subjects\"} 2"));
        assert!(text.contains("herald_schema_registrations_total 1"));
    }
}
