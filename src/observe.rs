//! Observed curves from web-server access logs: each request's time and
//! whether it reached the old server, bucketed from the change on into
//! `observed.csv` (`time_s,requests,old_requests`), the curve `fit` matches.
//!
//! Lines are nginx/Apache "combined" (the time in `[10/Oct/2026:13:55:36
//! +0000]`), optionally with the virtual host first (Apache's
//! `vhost_combined`, `host:port client …`) or the server address first
//! (nginx `log_format` starting with `$server_addr`), or JSON lines with a
//! time field (RFC 3339 or seconds since the epoch) and optional `host` and
//! `server_addr` fields.

use chrono::{DateTime, FixedOffset};
use std::net::IpAddr;

/// One usable line: when, and the first fields that may name the site or
/// the server.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// Milliseconds since the epoch.
    pub at_ms: i64,
    pub host: Option<String>,
    pub server_addr: Option<String>,
}

/// A time as a user gives it (`--change-at`): RFC 3339, or a combined log's
/// `10/Oct/2026:13:55:36 +0000`, or seconds since the epoch.
pub fn parse_time(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_millis());
    }
    if let Ok(t) = DateTime::<FixedOffset>::parse_from_str(text, "%d/%b/%Y:%H:%M:%S %z") {
        return Some(t.timestamp_millis());
    }
    text.parse::<f64>().ok().map(|s| (s * 1000.0).round() as i64)
}

/// Reads one log line; `None` if it is not one cachesim can use.
pub fn parse_line(line: &str, time_field: &str) -> Option<Line> {
    let line = line.trim();
    if line.starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(line).ok()?;
        let at_ms = match &v[time_field] {
            serde_json::Value::String(s) => parse_time(s)?,
            serde_json::Value::Number(n) => (n.as_f64()? * 1000.0).round() as i64,
            _ => return None,
        };
        let text = |k: &str| v[k].as_str().map(String::from);
        return Some(Line {
            at_ms,
            host: text("host"),
            server_addr: text("server_addr"),
        });
    }
    let open = line.find('[')?;
    let close = open + line[open..].find(']')?;
    let at_ms = parse_time(&line[open + 1..close])?;
    // Before the time: `client ident user`, perhaps after a host or a server address.
    let before: Vec<&str> = line[..open].split_whitespace().collect();
    let (mut host, mut server_addr) = (None, None);
    if before.len() >= 4 {
        let first = before[0];
        if first.parse::<IpAddr>().is_ok() {
            server_addr = Some(first.to_string());
        } else {
            host = Some(first.rsplit_once(':').map_or(first, |(h, _)| h).to_string());
        }
    }
    Some(Line {
        at_ms,
        host,
        server_addr,
    })
}

/// Requests per bucket from the change on, and how many reached the old
/// server; what was left out, and where.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Observed {
    pub bucket_ms: i64,
    pub requests: Vec<u64>,
    pub old: Vec<u64>,
    /// Usable lines before the change (not counted).
    pub before_change: u64,
    /// Lines of another site (`--host`).
    pub other_hosts: u64,
    pub bad_lines: u64,
    /// The first few bad lines: (file, line number).
    pub first_bad: Vec<(String, usize)>,
    /// The latest request at or after the change (ms after it): where the
    /// logs end.
    pub last_ms: Option<i64>,
    /// With `--log`: each server address the lines record, and how often.
    pub addresses: std::collections::BTreeMap<String, u64>,
}

impl Observed {
    pub fn new(bucket_ms: i64) -> Observed {
        Observed {
            bucket_ms,
            ..Observed::default()
        }
    }

    /// Counts one request at `at_ms` (change at `change_ms`).
    pub fn count(&mut self, at_ms: i64, change_ms: i64, old: bool) {
        if at_ms < change_ms {
            self.before_change += 1;
            return;
        }
        let after = at_ms - change_ms;
        self.last_ms = Some(self.last_ms.map_or(after, |l| l.max(after)));
        let b = (after / self.bucket_ms) as usize;
        if self.requests.len() <= b {
            self.requests.resize(b + 1, 0);
            self.old.resize(b + 1, 0);
        }
        self.requests[b] += 1;
        self.old[b] += u64::from(old);
    }

    /// Leaves out the last bucket when the logs end in its first half: a
    /// bucket with a few requests would read as a share it does not have
    /// (one request, 0 % or 100 %). Returns where the logs end, when it did.
    pub fn drop_partial_end(&mut self) -> Option<i64> {
        let last = self.last_ms?;
        let start = (self.requests.len() as i64 - 1) * self.bucket_ms;
        if self.requests.len() > 1 && last - start < self.bucket_ms / 2 {
            self.requests.pop();
            self.old.pop();
            Some(last)
        } else {
            None
        }
    }

    pub fn bad(&mut self, file: &str, number: usize) {
        self.bad_lines += 1;
        if self.first_bad.len() < 5 {
            self.first_bad.push((file.to_string(), number));
        }
    }

    /// observed.csv.
    pub fn csv_bytes(&self) -> Vec<u8> {
        let mut text = String::from("time_s,requests,old_requests\n");
        for (b, (n, k)) in self.requests.iter().zip(&self.old).enumerate() {
            let t = b as f64 * self.bucket_ms as f64 / 1000.0;
            text.push_str(&format!("{t},{n},{k}\n"));
        }
        text.into_bytes()
    }
}

/// Which server a log's lines went to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Source {
    /// Every request in it reached the old address.
    Old,
    New,
    /// Each line records its server address; the old ones are listed.
    ByAddress,
}

/// How a log's lines are read: the change, the site and the old addresses.
#[derive(Clone, Debug, Default)]
pub struct Rules {
    pub change_ms: i64,
    /// Keep only this site's requests.
    pub host: Option<String>,
    /// The time field of JSON lines.
    pub time_field: String,
    /// With [`Source::ByAddress`]: the old server's addresses.
    pub old_address: Vec<String>,
}

/// What became of one line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Read {
    /// Counted (before the change or after it).
    Counted,
    /// Another site's request (`host`).
    OtherHost,
    /// Fine, but with no host to match `host` against.
    Hostless,
    /// Not a line cachesim can read.
    Bad,
}

impl Observed {
    /// Reads one line of a log of `source` and counts it: `observe` reads
    /// whole files this way, `serve` lines as the logs grow.
    pub fn read_line(&mut self, line: &str, source: Source, rules: &Rules) -> Read {
        let Some(parsed) = parse_line(line, &rules.time_field) else {
            return Read::Bad;
        };
        if let Some(host) = &rules.host {
            match &parsed.host {
                Some(h) if h == host => {}
                Some(_) => {
                    self.other_hosts += 1;
                    return Read::OtherHost;
                }
                None => return Read::Hostless,
            }
        }
        let old = match source {
            Source::Old => true,
            Source::New => false,
            Source::ByAddress => match &parsed.server_addr {
                Some(a) => {
                    if parsed.at_ms >= rules.change_ms {
                        *self.addresses.entry(a.clone()).or_default() += 1;
                    }
                    rules.old_address.contains(a)
                }
                None => return Read::Bad,
            },
        };
        self.count(parsed.at_ms, rules.change_ms, old);
        Read::Counted
    }

    /// The curve `fit` matches, as far as it is complete (a last bucket the
    /// logs end early in is left out).
    pub fn curve(&self) -> Curve {
        let mut complete = self.clone();
        complete.drop_partial_end();
        Curve {
            bucket_ms: complete.bucket_ms,
            requests: complete.requests.iter().map(|&n| n as f64).collect(),
            old: complete.old.iter().map(|&k| k as f64).collect(),
        }
    }
}

/// An observed curve as `fit` reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    pub bucket_ms: i64,
    pub requests: Vec<f64>,
    pub old: Vec<f64>,
}

/// What is wrong with an observed.csv, with the line.
#[derive(Debug, thiserror::Error)]
pub enum CurveError {
    #[error("not CSV: {0}")]
    NotCsv(csv::Error),
    #[error("its columns are {0:?}; expected time_s,requests,old_requests (what cachesim observe writes)")]
    Columns(Vec<String>),
    #[error("line {line}: {source}")]
    Line { line: usize, source: csv::Error },
    #[error("line {line}: {column} is not a count or time: {value:?}")]
    NotANumber {
        line: usize,
        column: String,
        value: String,
    },
    #[error("line {line}: more old requests ({old}) than requests ({requests})")]
    MoreOld { line: usize, old: f64, requests: f64 },
    #[error("fewer than two buckets: nothing to fit")]
    TooShort,
    #[error("line {line}: buckets must start at 0 and be evenly spaced ({bucket} s apart)")]
    Uneven { line: usize, bucket: f64 },
}

/// Reads observed.csv; the error says what is wrong, with the line.
pub fn read_curve(bytes: &[u8]) -> Result<Curve, CurveError> {
    let mut reader = csv::Reader::from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .map_err(CurveError::NotCsv)?
        .iter()
        .map(String::from)
        .collect();
    if header != ["time_s", "requests", "old_requests"] {
        return Err(CurveError::Columns(header));
    }
    let (mut times, mut requests, mut old) = (Vec::new(), Vec::new(), Vec::new());
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|source| CurveError::Line { line, source })?;
        let number = |c: usize| -> Result<f64, CurveError> {
            record[c]
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x >= 0.0)
                .ok_or_else(|| CurveError::NotANumber {
                    line,
                    column: header[c].clone(),
                    value: record[c].to_string(),
                })
        };
        let (t, n, k) = (number(0)?, number(1)?, number(2)?);
        if k > n {
            return Err(CurveError::MoreOld {
                line,
                old: k,
                requests: n,
            });
        }
        times.push(t);
        requests.push(n);
        old.push(k);
    }
    if times.len() < 2 {
        return Err(CurveError::TooShort);
    }
    let bucket = times[1] - times[0];
    for (i, pair) in times.windows(2).enumerate() {
        if (pair[1] - pair[0] - bucket).abs() > 1e-6 || times[0] != 0.0 || bucket <= 0.0 {
            return Err(CurveError::Uneven { line: i + 3, bucket });
        }
    }
    Ok(Curve {
        bucket_ms: (bucket * 1000.0).round() as i64,
        requests,
        old,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_log_formats() {
        let combined =
            r#"203.0.113.7 - - [01/Dec/2026:10:00:05 +0000] "GET / HTTP/1.1" 200 612 "-" "curl/8""#;
        let line = parse_line(combined, "time").unwrap();
        assert_eq!(line.at_ms, parse_time("2026-12-01T10:00:05Z").unwrap());
        assert_eq!((line.host, line.server_addr), (None, None));
        let vhost = format!("example.org:443 {combined}");
        assert_eq!(
            parse_line(&vhost, "time").unwrap().host.as_deref(),
            Some("example.org")
        );
        let addr = format!("198.51.100.20 {combined}");
        assert_eq!(
            parse_line(&addr, "time").unwrap().server_addr.as_deref(),
            Some("198.51.100.20")
        );
        let json = r#"{"time": "2026-12-01T10:00:05.250+01:00", "host": "a.example", "server_addr": "203.0.113.10"}"#;
        let line = parse_line(json, "time").unwrap();
        assert_eq!(line.at_ms, parse_time("2026-12-01T09:00:05.250Z").unwrap());
        assert_eq!(line.host.as_deref(), Some("a.example"));
        assert_eq!(
            parse_line(r#"{"ts": 1764583205.5}"#, "ts").unwrap().at_ms,
            1_764_583_205_500
        );
        for bad in [
            "",
            "garbage",
            "1.2.3.4 - - [not a time] \"GET /\"",
            "{\"time\": true}",
        ] {
            assert_eq!(parse_line(bad, "time"), None, "{bad}");
        }
    }

    #[test]
    fn counts_from_the_change_on_in_buckets() {
        let mut o = Observed::new(60_000);
        o.count(999, 1_000, true);
        o.count(1_000, 1_000, true);
        o.count(61_000, 1_000, false);
        o.count(150_000, 1_000, true);
        assert_eq!(
            (o.requests.clone(), o.old.clone(), o.before_change),
            (vec![1, 1, 1], vec![1, 0, 1], 1)
        );
        let curve = read_curve(&o.csv_bytes()).unwrap();
        assert_eq!(
            (curve.bucket_ms, curve.requests, curve.old),
            (60_000, vec![1.0; 3], vec![1.0, 0.0, 1.0])
        );
    }

    #[test]
    fn a_bad_curve_is_refused_with_its_line() {
        assert!(read_curve(b"t,n\n0,1\n")
            .unwrap_err()
            .to_string()
            .contains("expected time_s,requests,old_requests"));
        assert!(read_curve(b"time_s,requests,old_requests\n0,5,6\n60,1,0\n")
            .unwrap_err()
            .to_string()
            .contains("line 2"));
        assert!(
            read_curve(b"time_s,requests,old_requests\n0,5,1\n60,1,0\n200,1,0\n")
                .unwrap_err()
                .to_string()
                .contains("line 4")
        );
        assert!(read_curve(b"time_s,requests,old_requests\n0,5,1\n")
            .unwrap_err()
            .to_string()
            .contains("fewer than two"));
    }
}
