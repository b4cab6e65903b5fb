//! Durations as users write them ("250ms", "60s", "15m", "24h", "2d", "forever")
//! and as people read them ("24 h 40 min"). Inside the engine time is an
//! integer count of milliseconds: no float rounding, no NaN.

/// Simulated time and durations, in milliseconds. Negative before the change.
pub type Millis = i64;

pub const SECOND: Millis = 1_000;
pub const MINUTE: Millis = 60 * SECOND;
pub const HOUR: Millis = 60 * MINUTE;
pub const DAY: Millis = 24 * HOUR;

/// "Keep forever" (the JVM under a security manager). Far beyond any horizon,
/// yet small enough that adding two of them cannot overflow.
pub const FOREVER: Millis = i64::MAX / 8;

/// The largest TTL a DNS message can carry (RFC 2181 §8: 2^31 − 1 seconds).
pub const MAX_DNS_TTL: Millis = (i32::MAX as Millis) * SECOND;

/// A duration that cannot be read, and what would be.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("\"{text}\" has no unit; write e.g. \"{body}s\", \"{body}m\" or \"{body}h\"")]
    NoUnit { text: String, body: String },
    #[error(
        "\"{text}\" is not a duration ({reason}); write e.g. \"250ms\", \"60s\", \"15m\", \"24h\" or \"2d\""
    )]
    NotADuration { text: String, reason: String },
    #[error("\"{text}\" is longer than the engine's clock holds; use \"forever\"")]
    TooLong { text: String },
}

/// Parses a duration with a unit. Accepts `forever`, humantime's units
/// (`ms`, `s`, `m`, `h`, `d`, `w`, combined as in `1h30m`) and a leading `-`
/// for times before the change (schedules).
pub fn parse_duration(text: &str) -> Result<Millis, DurationError> {
    let trimmed = text.trim();
    if trimmed.eq_ignore_ascii_case("forever") {
        return Ok(FOREVER);
    }
    let (sign, body) = match trimmed.strip_prefix('-') {
        Some(rest) => (-1, rest.trim()),
        None => (1, trimmed),
    };
    if !body.is_empty() && body.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(DurationError::NoUnit {
            text: text.to_string(),
            body: body.to_string(),
        });
    }
    let parsed = humantime::parse_duration(body).map_err(|e| DurationError::NotADuration {
        text: text.to_string(),
        reason: e.to_string(),
    })?;
    let ms = parsed.as_millis();
    if ms > FOREVER as u128 {
        return Err(DurationError::TooLong {
            text: text.to_string(),
        });
    }
    Ok(sign * ms as Millis)
}

/// A rate of requests that cannot be read, with what would be.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    #[error("\"{text}\": unknown unit \"/{unit}\"; write e.g. \"2000/s\", \"120000/min\", \"7.2e6/h\" or \"1.7e8/d\"")]
    Unit { text: String, unit: String },
    #[error("\"{text}\" is not a rate of requests; write a positive number per second, or e.g. \"2000/s\", \"1.7e8/d\"")]
    NotARate { text: String },
}

/// Parses a rate of requests: a number per second, or "N/s", "N/min",
/// "N/h", "N/d" (`2000/s`, `5e6/d`); the answer in requests per second.
pub fn parse_rate(text: &str) -> Result<f64, RateError> {
    let trimmed = text.trim();
    let (count, per) = trimmed.split_once('/').unwrap_or((trimmed, "s"));
    let seconds = match per.trim() {
        "s" => 1.0,
        "min" | "m" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        other => {
            return Err(RateError::Unit {
                text: text.to_string(),
                unit: other.to_string(),
            })
        }
    };
    match count.trim().replace('_', "").parse::<f64>() {
        Ok(n) if n.is_finite() && n > 0.0 => Ok(n / seconds),
        _ => Err(RateError::NotARate {
            text: text.to_string(),
        }),
    }
}

/// A rate of requests as people say it: "2,000 requests/s", "0.5 requests/s".
pub fn human_rate(per_second: f64) -> String {
    if per_second >= 1000.0 {
        format!("{} requests/s", grouped(per_second.round() as u64))
    } else {
        format!("{} requests/s", significant(per_second))
    }
}

/// Formats a duration as a person says it: "45 s", "15 min", "24 h 40 min",
/// "2 d 3 h". Drops the smaller unit where it would be noise.
pub fn human(ms: Millis) -> String {
    if ms >= FOREVER {
        return "forever".to_string();
    }
    if ms < 0 {
        return format!("-{}", human(-ms));
    }
    let secs = ms / SECOND;
    if ms < SECOND {
        return format!("{ms} ms");
    }
    if secs < 60 {
        return format!("{secs} s");
    }
    // Under two days people count in hours ("30 h"), beyond in days.
    let (d, h, m, s) = if secs < 2 * 86_400 {
        (0, secs / 3_600, secs / 60 % 60, secs % 60)
    } else {
        (secs / 86_400, secs / 3_600 % 24, secs / 60 % 60, secs % 60)
    };
    match (d, h) {
        (0, 0) if s == 0 => format!("{m} min"),
        (0, 0) => format!("{m} min {s} s"),
        (0, _) if m == 0 => format!("{h} h"),
        (0, _) => format!("{h} h {m} min"),
        (_, 0) => format!("{d} d"),
        _ => format!("{d} d {h} h"),
    }
}

/// Formats a duration as [`human`] does, rounded up at the precision shown:
/// for a time that must not be said too early (when the old server can go),
/// "2 d 1 h" for 48 h 55 min rather than "2 d".
pub fn human_at_least(ms: Millis) -> String {
    if ms >= FOREVER || ms <= 0 {
        return human(ms);
    }
    // The smallest unit `human` shows at this size.
    let unit = if ms < SECOND {
        1
    } else if ms < HOUR {
        SECOND
    } else if ms < 2 * DAY {
        MINUTE
    } else {
        HOUR
    };
    human(((ms + unit - 1) / unit).saturating_mul(unit))
}

/// Formats a duration compactly for axis labels and tables: "30s", "5m", "24h", "2d".
pub fn short(ms: Millis) -> String {
    if ms >= FOREVER {
        return "forever".to_string();
    }
    let abs = ms.unsigned_abs() as i64;
    let sign = if ms < 0 { "-" } else { "" };
    let text = if abs % DAY == 0 && abs >= 2 * DAY {
        format!("{}d", abs / DAY)
    } else if abs % HOUR == 0 && abs > 0 {
        format!("{}h", abs / HOUR)
    } else if abs % MINUTE == 0 && abs > 0 {
        format!("{}m", abs / MINUTE)
    } else if abs % SECOND == 0 {
        format!("{}s", abs / SECOND)
    } else {
        format!("{abs}ms")
    };
    format!("{sign}{text}")
}

/// A count with its digits grouped in threes: "316,484,777".
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut text = String::with_capacity(digits.len() * 4 / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            text.push(',');
        }
        text.push(d);
    }
    text
}

/// A share as a percentage people read: "1 %", "0.01 %".
pub fn percent(share: f64) -> String {
    format!("{} %", significant(share * 100.0))
}

/// At most three significant digits, no trailing zeros.
pub fn significant(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let digits = (2 - x.abs().log10().floor() as i32).max(0) as usize;
    let text = format!("{x:.digits$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_in_any_unit() {
        assert_eq!(parse_rate("2000/s"), Ok(2000.0));
        assert_eq!(parse_rate("120"), Ok(120.0));
        assert_eq!(parse_rate("8.64e6/d"), Ok(100.0));
        assert_eq!(parse_rate("360/h"), Ok(0.1));
        assert!(parse_rate("0/s").is_err() && parse_rate("10/week").is_err() && parse_rate("x").is_err());
        assert_eq!(human_rate(12_345.4), "12,345 requests/s");
        assert_eq!(human_rate(0.25), "0.25 requests/s");
    }

    #[test]
    fn counts_group_their_digits() {
        assert_eq!(grouped(316_484_777), "316,484,777");
        assert_eq!(grouped(200_000), "200,000");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(0), "0");
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(percent(0.0001), "0.01 %");
        assert_eq!(percent(0.1), "10 %");
        assert_eq!(significant(1.23456), "1.23");
        assert_eq!(significant(1234.6), "1235");
    }

    #[test]
    fn parses_units() {
        assert_eq!(parse_duration("250ms"), Ok(250));
        assert_eq!(parse_duration("60s"), Ok(60_000));
        assert_eq!(parse_duration("15m"), Ok(15 * MINUTE));
        assert_eq!(parse_duration("24h"), Ok(DAY));
        assert_eq!(parse_duration("2d"), Ok(2 * DAY));
        assert_eq!(parse_duration("1h30m"), Ok(90 * MINUTE));
        assert_eq!(parse_duration("-48h"), Ok(-48 * HOUR));
        assert_eq!(parse_duration("forever"), Ok(FOREVER));
    }

    #[test]
    fn refuses_numbers_without_unit_and_garbage() {
        assert!(parse_duration("300").unwrap_err().to_string().contains("no unit"));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("99999999999999999d").is_err());
    }

    #[test]
    fn formats_as_people_say_it() {
        assert_eq!(human(45 * SECOND), "45 s");
        assert_eq!(human(15 * MINUTE), "15 min");
        assert_eq!(human(24 * HOUR + 40 * MINUTE), "24 h 40 min");
        assert_eq!(human(2 * DAY + 3 * HOUR), "2 d 3 h");
        assert_eq!(human_at_least(176_100 * SECOND), "2 d 1 h");
        assert_eq!(human_at_least(2 * DAY), "2 d");
        assert_eq!(human_at_least(HOUR + 30 * SECOND), "1 h 1 min");
        assert_eq!(human_at_least(90 * MINUTE), "1 h 30 min");
        assert_eq!(human_at_least(59 * SECOND + 1), "1 min");
        assert_eq!(human_at_least(1500), "2 s");
        assert_eq!(short(300 * SECOND), "5m");
        assert_eq!(short(DAY), "24h");
        assert_eq!(short(3 * DAY), "3d");
        assert_eq!(short(90 * SECOND), "90s");
    }
}
