//! Folio's Prometheus metrics: the registry of live series and the hot path
//! that counts each request.
//!
//! The series are `prometheus-client` types; values that already live
//! elsewhere (caches, writer, pool, outbox) are read at scrape time by
//! [`collect`], and [`route`] serves `GET /metrics` in the format the
//! scraper asks for.

mod collect;
mod route;

pub use route::routes;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use prometheus_client::encoding::{prometheus_text, text, EncodeLabelSet};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};

use collect::Scrape;

/// Upper bounds of the request-duration histogram, in seconds.
const BUCKETS: [f64; 13] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Every rate-limit policy, listed at 0 before it first rejects anything.
const POLICIES: [&str; 3] = ["default", "auth", "failed_login"];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: Arc<str>,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabel {
    route: Arc<str>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PolicyLabel {
    policy: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
}

type Durations = Family<RouteLabel, Histogram, fn() -> Histogram>;

fn duration_histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

/// The text formats `GET /metrics` answers in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Prometheus text 0.0.4 (`text/plain`), for anything that does not ask
    /// for OpenMetrics.
    Prometheus,
    /// OpenMetrics 1.0 text, which Prometheus asks for first.
    OpenMetrics,
}

/// A route's handles, cloned out of the families once, so that counting a
/// request needs no owned label set (no allocation) after its route's first.
struct RouteSeries {
    route: Arc<str>,
    duration: Histogram,
    /// (method, status) → its counter. Few entries: a scan beats hashing.
    counts: RwLock<Vec<(&'static str, u16, Counter)>>,
}

/// The counter of `(method, status)` among a route's.
fn counter_of<'a>(
    counts: &'a [(&'static str, u16, Counter)],
    method: &str,
    status: u16,
) -> Option<&'a Counter> {
    counts
        .iter()
        .find(|(m, s, _)| *m == method && *s == status)
        .map(|(_, _, c)| c)
}

impl RouteSeries {
    fn record(
        &self,
        requests: &Family<RequestLabels, Counter>,
        method: &'static str,
        status: u16,
        seconds: f64,
    ) {
        self.duration.observe(seconds);
        let counts = self.counts.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(c) = counter_of(&counts, method, status) {
            c.inc();
            return;
        }
        drop(counts);
        let mut counts = self.counts.write().unwrap_or_else(PoisonError::into_inner);
        // Another request may have added it between the two locks.
        if let Some(c) = counter_of(&counts, method, status) {
            c.inc();
            return;
        }
        let labels = RequestLabels {
            method,
            route: self.route.clone(),
            status,
        };
        let c = requests.get_or_create_owned(&labels);
        c.inc();
        counts.push((method, status, c));
    }
}

/// The live series (see the module doc); one per server, in [`crate::ctx`].
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Durations,
    rate_limited: Family<PolicyLabel, Counter>,
    /// Route template → its handles.
    routes: RwLock<HashMap<Arc<str>, RouteSeries>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let requests = Family::<RequestLabels, Counter>::default();
        let durations = Durations::new_with_constructor(duration_histogram);
        let rate_limited = Family::<PolicyLabel, Counter>::default();
        for policy in POLICIES {
            let _ = rate_limited.get_or_create(&PolicyLabel { policy });
        }
        // The registry adds the full stop to each help text itself.
        let mut registry = Registry::default();
        let version = env!("CARGO_PKG_VERSION");
        registry.register(
            "folio_build",
            "Build information",
            Info::new(BuildLabels { version }),
        );
        registry.register(
            "folio_http_requests",
            "Requests by method, route template and status",
            requests.clone(),
        );
        registry.register_with_unit(
            "folio_http_request_duration",
            "Request duration by route template",
            Unit::Seconds,
            durations.clone(),
        );
        registry.register(
            "folio_rate_limited",
            "Requests rejected by a rate limit, by policy",
            rate_limited.clone(),
        );
        Metrics {
            registry,
            requests,
            durations,
            rate_limited,
            routes: RwLock::new(HashMap::new()),
        }
    }

    /// One served request; `route` is the route template, never the raw path.
    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let method = method_name(method);
        let routes = self.routes.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(series) = routes.get(route) {
            series.record(&self.requests, method, status, seconds);
            return;
        }
        drop(routes);
        let mut routes = self.routes.write().unwrap_or_else(PoisonError::into_inner);
        let series = routes.entry(route.into()).or_insert_with_key(|route| {
            let labels = RouteLabel {
                route: route.clone(),
            };
            RouteSeries {
                route: route.clone(),
                duration: self.durations.get_or_create_owned(&labels),
                counts: RwLock::new(Vec::new()),
            }
        });
        series.record(&self.requests, method, status, seconds);
    }

    pub fn rate_limited(&self, policy: &'static str) {
        self.rate_limited
            .get_or_create(&PolicyLabel { policy })
            .inc();
    }

    /// Every series in `format`: the live ones, then those `scrape` read.
    fn encode(&self, scrape: Scrape, format: Format) -> Result<String, fmt::Error> {
        let mut read = Registry::default();
        read.register_collector(Box::new(scrape));
        let mut out = String::with_capacity(16 * 1024);
        match format {
            Format::Prometheus => {
                prometheus_text::encode(&mut out, &self.registry)?;
                prometheus_text::encode(&mut out, &read)?;
            }
            Format::OpenMetrics => {
                text::encode_registry(&mut out, &self.registry)?;
                text::encode_registry(&mut out, &read)?;
                text::encode_eof(&mut out)?;
            }
        }
        Ok(out)
    }
}

/// The method as a `'static` label: the standard ones, else `OTHER`, so a
/// client cannot add series by inventing methods.
fn method_name(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "POST" => "POST",
        "PATCH" => "PATCH",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::{Format, Metrics, Scrape};

    fn encoded(m: &Metrics, format: Format) -> String {
        m.encode(Scrape::default(), format).unwrap()
    }

    #[test]
    fn histogram_buckets_are_cumulative_and_a_bound_holds_its_value() {
        let m = Metrics::new();
        for seconds in [0.0002, 0.003, 0.003, 0.0005, 7.0] {
            m.request("GET", "/r", 200, seconds);
        }
        let text = encoded(&m, Format::Prometheus);
        let bucket = |le: &str| {
            let line =
                format!("folio_http_request_duration_seconds_bucket{{route=\"/r\",le=\"{le}\"}} ");
            text.lines()
                .find_map(|l| l.strip_prefix(&line))
                .unwrap_or_else(|| panic!("no bucket {le} in:\n{text}"))
                .to_string()
        };
        assert_eq!(bucket("0.0005"), "2");
        assert_eq!(bucket("0.0025"), "2");
        assert_eq!(bucket("0.005"), "4");
        assert_eq!(bucket("5"), "4", "7 s is only in +Inf");
        assert_eq!(bucket("+Inf"), "5");
        assert!(text.contains("folio_http_request_duration_seconds_count{route=\"/r\"} 5\n"));
    }

    #[test]
    fn requests_are_counted_by_method_route_and_status() {
        let m = Metrics::new();
        m.request("GET", "/a", 200, 0.001);
        m.request("GET", "/a", 200, 0.001);
        m.request("GET", "/a", 404, 0.001);
        m.request("BREW", "/b", 200, 0.001);
        let text = encoded(&m, Format::Prometheus);
        for line in [
            "folio_http_requests_total{method=\"GET\",route=\"/a\",status=\"200\"} 2\n",
            "folio_http_requests_total{method=\"GET\",route=\"/a\",status=\"404\"} 1\n",
            "folio_http_requests_total{method=\"OTHER\",route=\"/b\",status=\"200\"} 1\n",
        ] {
            assert!(text.contains(line), "missing {line} in:\n{text}");
        }
    }

    #[test]
    fn rate_limit_policies_are_listed_before_any_rejection() {
        let m = Metrics::new();
        m.rate_limited("auth");
        let text = encoded(&m, Format::Prometheus);
        for line in [
            "folio_rate_limited_total{policy=\"default\"} 0\n",
            "folio_rate_limited_total{policy=\"auth\"} 1\n",
            "folio_rate_limited_total{policy=\"failed_login\"} 0\n",
        ] {
            assert!(text.contains(line), "missing {line} in:\n{text}");
        }
    }

    #[test]
    fn openmetrics_names_families_without_suffixes_and_ends_with_eof() {
        let m = Metrics::new();
        m.request("GET", "/a", 200, 0.001);
        let text = encoded(&m, Format::OpenMetrics);
        for needle in [
            "# TYPE folio_build info\nfolio_build_info{version=",
            "# TYPE folio_http_requests counter\n",
            "folio_http_requests_total{method=\"GET\",route=\"/a\",status=\"200\"} 1\n",
            "# TYPE folio_http_request_duration_seconds histogram\n# UNIT folio_http_request_duration_seconds seconds\n",
            "# TYPE folio_db_write_seconds counter\n# UNIT folio_db_write_seconds seconds\nfolio_db_write_seconds_total 0",
        ] {
            assert!(text.contains(needle), "missing {needle} in:\n{text}");
        }
        assert!(text.ends_with("\n# EOF\n"), "{text}");
        let prometheus = encoded(&m, Format::Prometheus);
        assert!(!prometheus.contains("# EOF") && !prometheus.contains("# UNIT"));
    }
}
