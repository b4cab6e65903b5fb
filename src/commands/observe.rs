//! `cachesim observe`: access logs of the old and new servers (or one log
//! that records the server address) into `observed.csv`, the curve `fit`
//! matches. Bad lines are counted and shown, never dropped silently; a file
//! with no usable line is refused.

use crate::duration::Millis;
use crate::error::{Error, Result};
use crate::observe::{parse_time, Observed, Read, Rules, Source};
use std::io::BufRead;
use std::path::{Path, PathBuf};

pub struct ObserveOptions {
    /// Logs of the old server(s): every request in them reached the old address.
    pub old: Vec<PathBuf>,
    /// Logs of the new server(s).
    pub new: Vec<PathBuf>,
    /// Logs that record the server address of each request…
    pub log: Vec<PathBuf>,
    /// …and the old addresses among them.
    pub old_address: Vec<String>,
    pub change_at: String,
    pub bucket: Millis,
    pub host: Option<String>,
    pub time_field: String,
    pub out: PathBuf,
    pub quiet: bool,
    /// How the command line names the logs, for messages.
    pub flags: &'static Flags,
}

impl ObserveOptions {
    /// Every log with the server its lines went to.
    pub fn logs(&self) -> impl Iterator<Item = (&PathBuf, Source)> {
        [
            (&self.old, Source::Old),
            (&self.new, Source::New),
            (&self.log, Source::ByAddress),
        ]
        .into_iter()
        .flat_map(|(files, source)| files.iter().map(move |f| (f, source)))
    }
}

/// The flags that give the logs: `observe`'s, or `serve`'s.
pub struct Flags {
    pub old: &'static str,
    pub new: &'static str,
    pub log: &'static str,
}

pub const OBSERVE_FLAGS: Flags = Flags {
    old: "--old",
    new: "--new",
    log: "--log",
};

/// The options checked before any log is read: when the change was, and
/// logs that can tell old from new (`serve --watch-…` checks them too).
/// Returns the change's time in milliseconds since the epoch.
pub fn checked(options: &ObserveOptions) -> Result<i64> {
    let change_ms = parse_time(&options.change_at).ok_or_else(|| {
        Error::Usage(format!(
            "--change-at {}: not a time; write e.g. 2026-12-01T10:00:00Z (RFC 3339), \
             01/Dec/2026:10:00:00 +0000 or seconds since the epoch",
            options.change_at
        ))
    })?;
    let Flags { old, new, log } = options.flags;
    if options.old.is_empty() && options.new.is_empty() && options.log.is_empty() {
        return Err(Error::Usage(format!(
            "give the logs: {old} LOG and {new} LOG, or {log} LOG with --old-address"
        )));
    }
    if options.old.is_empty() != options.new.is_empty() {
        let (given, missing) = if options.new.is_empty() {
            (old, new)
        } else {
            (new, old)
        };
        return Err(Error::Usage(format!(
            "{given} needs {missing}: with one server's log alone every request would count as {} \
             (a curve of {}); give both, or {log} with --old-address for one log that records the server",
            if options.new.is_empty() { "old" } else { "new" },
            if options.new.is_empty() { "100 %" } else { "0 %" }
        )));
    }
    refuse_repeated_files(options)?;
    if !options.log.is_empty() && options.old_address.is_empty() {
        return Err(Error::Usage(format!(
            "{log} needs --old-address: the old server's address as the log records it"
        )));
    }
    if options.bucket <= 0 {
        return Err(Error::Usage("--bucket must be longer than 0".into()));
    }
    Ok(change_ms)
}

pub fn observe(options: &ObserveOptions) -> Result<Observed> {
    let change_ms = checked(options)?;
    let mut observed = Observed::new(options.bucket);
    for (file, source) in options.logs() {
        read_log(file, source, change_ms, options, &mut observed)?;
    }
    if observed.requests.is_empty() {
        return Err(Error::Usage(format!(
            "no request at or after --change-at {} ({} before it); is the time right, with its time zone?",
            options.change_at, observed.before_change
        )));
    }
    if !options.log.is_empty() {
        check_addresses(&observed, options)?;
    }
    let cut = observed.drop_partial_end();
    crate::export::write_all_to_file(&options.out, observed.csv_bytes())?;
    if !options.quiet {
        print!("{}", summary(&observed, options));
        if let Some(end) = cut {
            println!(
                "the logs end {} after the change, early in the last {} bucket: that bucket is left out",
                crate::duration::human(end),
                crate::duration::human(options.bucket)
            );
        }
    }
    Ok(observed)
}

/// One file given twice (as --old and --new, say) would count its requests
/// twice, on both sides.
fn refuse_repeated_files(options: &ObserveOptions) -> Result<()> {
    let mut seen: Vec<(PathBuf, &Path)> = Vec::new();
    for file in options.old.iter().chain(&options.new).chain(&options.log) {
        let real = std::fs::canonicalize(file).unwrap_or_else(|_| file.clone());
        if let Some((_, first)) = seen.iter().find(|(r, _)| *r == real) {
            return Err(Error::Usage(format!(
                "{} is given twice ({} and {}): its requests would be counted twice; give each log once",
                file.display(),
                first.display(),
                file.display()
            )));
        }
        seen.push((real, file));
    }
    Ok(())
}

/// With --log: the old address must match some requests but not all, or the
/// curve is 0 % or 100 % whatever happened; name the addresses the log has.
fn check_addresses(observed: &Observed, options: &ObserveOptions) -> Result<()> {
    let old: u64 = observed.old.iter().sum();
    let all: u64 = observed.requests.iter().sum();
    if old > 0 && old < all {
        return Ok(());
    }
    let mut seen: Vec<(&String, &u64)> = observed.addresses.iter().collect();
    seen.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let seen: Vec<String> = seen
        .iter()
        .take(8)
        .map(|(a, n)| format!("{a} ({})", crate::duration::grouped(**n)))
        .collect();
    let what = if old == 0 {
        "matches no request after the change"
    } else {
        "matches every request after the change: the new server's address never occurs"
    };
    Err(Error::Usage(format!(
        "--old-address {} {what}; the server addresses the log records: {}",
        options.old_address.join(","),
        seen.join(", ")
    )))
}

fn read_log(
    file: &Path,
    source: Source,
    change_ms: i64,
    options: &ObserveOptions,
    observed: &mut Observed,
) -> Result<()> {
    let read_error = |e: std::io::Error| Error::Read {
        path: file.to_path_buf(),
        source: e,
    };
    let reader = std::io::BufReader::new(std::fs::File::open(file).map_err(read_error)?);
    let name = file.display().to_string();
    let rules = Rules {
        change_ms,
        host: options.host.clone(),
        time_field: options.time_field.clone(),
        old_address: options.old_address.clone(),
    };
    let mut usable = 0u64;
    // Lines that are fine but carry no host to match --host against.
    let mut hostless = 0u64;
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(read_error)?;
        if line.trim().is_empty() {
            continue;
        }
        match observed.read_line(&line, source, &rules) {
            Read::Counted | Read::OtherHost => usable += 1,
            Read::Hostless => {
                hostless += 1;
                observed.bad(&name, i + 1);
            }
            Read::Bad => observed.bad(&name, i + 1),
        }
    }
    if usable == 0 && hostless > 0 {
        return Err(Error::Usage(format!(
            "--host {}: the {hostless} lines of {name} carry no host (plain combined format), so none can match; \
             leave out --host, or log the virtual host first (Apache vhost_combined, or a log_format starting with $host)",
            options.host.as_deref().unwrap_or_default()
        )));
    }
    if usable == 0 {
        return Err(Error::Usage(format!(
            "{name}: no usable line (expected combined-format lines with a [time], or JSON lines with a \"{}\" field{})",
            options.time_field,
            if options.host.is_some() { " and a host" } else { "" }
        )));
    }
    Ok(())
}

fn summary(o: &Observed, options: &ObserveOptions) -> String {
    let requests: u64 = o.requests.iter().sum();
    let old: u64 = o.old.iter().sum();
    let mut text = format!(
        "{}: {} buckets of {} from the change, {} requests, {} of them to the old server\n",
        options.out.display(),
        o.requests.len(),
        crate::duration::human(o.bucket_ms),
        crate::duration::grouped(requests),
        crate::duration::grouped(old)
    );
    if o.before_change > 0 {
        text.push_str(&format!(
            "{} requests before the change left out\n",
            o.before_change
        ));
    }
    if o.other_hosts > 0 {
        text.push_str(&format!("{} requests to other hosts left out\n", o.other_hosts));
    }
    if o.bad_lines > 0 {
        let first: Vec<String> = o.first_bad.iter().map(|(f, n)| format!("{f}:{n}")).collect();
        text.push_str(&format!(
            "{} lines could not be read and were left out (first: {})\n",
            o.bad_lines,
            first.join(", ")
        ));
    }
    text
}
