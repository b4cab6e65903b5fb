//! Trust at the edges: observe refuses input that can only give a wrong
//! curve, every command follows one table of exit statuses, and the small
//! breakages (broken pipes, --quiet, what chart lists, folders a sweep or a
//! run must not mix into, numbers printed as people read them) stay fixed.

use crate::common::{assert_succeeded, cachesim};
use std::path::{Path, PathBuf};

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn shipped(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{name}.toml"))
}

/// A combined-format line at minute `m` after 10:00.
fn combined(m: u32, s: u32) -> String {
    format!(
        "192.0.2.1 - - [01/Dec/2026:{:02}:{:02}:{s:02} +0000] \"GET / HTTP/1.1\" 200 612 \"-\" \"x\"\n",
        10 + m / 60,
        m % 60
    )
}

/// JSON lines recording the server address: old at minute m < `switch`.
fn json_log(dir: &Path, minutes: u32, switch: u32) -> PathBuf {
    let text: String = (0..minutes)
        .flat_map(|m| (0..6).map(move |s| (m, s * 10)))
        .map(|(m, s)| {
            let addr = if m < switch {
                "203.0.113.10"
            } else {
                "198.51.100.20"
            };
            format!(
                "{{\"time\":\"2026-12-01T{:02}:{:02}:{s:02}Z\",\"server_addr\":\"{addr}\"}}\n",
                10 + m / 60,
                m % 60
            )
        })
        .collect();
    let path = dir.join("both.log");
    std::fs::write(&path, text).unwrap();
    path
}

fn refused(args: &[&str], needles: &[&str]) {
    let output = cachesim(args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "{args:?}: {needle:?} not in {stderr}");
    }
}

#[test]
fn observe_refuses_input_that_can_only_give_a_wrong_curve() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.log");
    let new = dir.path().join("new.log");
    std::fs::write(&old, (0..30).map(|m| combined(m, 0)).collect::<String>()).unwrap();
    std::fs::write(&new, (0..30).map(|m| combined(m, 30)).collect::<String>()).unwrap();
    let out = dir.path().join("observed.csv");
    let at = "2026-12-01T10:00:00Z";
    refused(
        &["observe", "--old", p(&old), "--change-at", at, "--out", p(&out)],
        &["--old needs --new", "100 %"],
    );
    refused(
        &["observe", "--new", p(&new), "--change-at", at, "--out", p(&out)],
        &["--new needs --old"],
    );
    refused(
        &[
            "observe",
            "--old",
            p(&old),
            "--new",
            p(&old),
            "--change-at",
            at,
            "--out",
            p(&out),
        ],
        &["given twice"],
    );
    refused(
        &[
            "observe",
            "--old",
            p(&old),
            "--new",
            p(&new),
            "--host",
            "www.example.org",
            "--change-at",
            at,
            "--out",
            p(&out),
        ],
        &["carry no host", "leave out --host"],
    );
    let both = json_log(dir.path(), 30, 10);
    refused(
        &[
            "observe",
            "--log",
            p(&both),
            "--old-address",
            "203.0.113.99",
            "--change-at",
            at,
            "--out",
            p(&out),
        ],
        &["matches no request", "203.0.113.10 (60)", "198.51.100.20 (120)"],
    );
    refused(
        &[
            "observe",
            "--log",
            p(&both),
            "--old-address",
            "203.0.113.10,198.51.100.20",
            "--change-at",
            at,
            "--out",
            p(&out),
        ],
        &["matches every request"],
    );
    // One message, not two, for a bucket without a unit.
    let output = cachesim(&[
        "observe",
        "--old",
        p(&old),
        "--new",
        p(&new),
        "--change-at",
        at,
        "--bucket",
        "5",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.matches("write e.g.").count(), 1, "{stderr}");
    assert!(!out.exists(), "nothing written by a refused observe");
}

#[test]
fn observe_leaves_out_a_last_bucket_the_logs_barely_reach() {
    let dir = tempfile::tempdir().unwrap();
    // 30 minutes of logs and one request 10 s into minute 30.
    let mut text: String = (0..30).flat_map(|m| [combined(m, 0), combined(m, 20)]).collect();
    text.push_str(&combined(30, 10));
    let both = dir.path().join("old.log");
    std::fs::write(&both, text).unwrap();
    let new = dir.path().join("new.log");
    let mut text: String = (0..30).map(|m| combined(m, 40)).collect();
    text.push_str(&combined(30, 5));
    std::fs::write(&new, text).unwrap();
    let out = dir.path().join("observed.csv");
    let output = cachesim(&[
        "observe",
        "--old",
        p(&both),
        "--new",
        p(&new),
        "--change-at",
        "2026-12-01T10:00:00Z",
        "--bucket",
        "1m",
        "--out",
        p(&out),
    ]);
    assert_succeeded(&output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("that bucket is left out"), "{stdout}");
    let csv = std::fs::read_to_string(&out).unwrap();
    assert_eq!(csv.lines().count(), 1 + 30, "{csv}");
}

#[test]
fn every_command_follows_the_exit_status_table() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 2: bad input, a missing file included, for every command that reads one.
    for args in [
        vec!["run", "no-such.toml"],
        vec!["plan", "no-such.toml"],
        vec!["sweep", "no-such.toml", "--vary", "record.ttl=1m,2m"],
        vec!["chart", "no-such-folder"],
        vec!["merge", "no-such-folder"],
        vec!["compare", "no-such-a", "no-such-b"],
        vec![
            "observe",
            "--old",
            "no-such.log",
            "--new",
            "no-such-2.log",
            "--change-at",
            "0",
        ],
        vec!["fit", "no-such.toml", "--observed", "x.csv", "--free", "a=1..2"],
        vec!["slurm", "no-such.toml", "--tasks", "2", "--out", "x"],
        vec!["run", p(&shipped("isp24h")), "--set", "record.ttl=soon"],
        vec!["completions", "tcsh"],
    ] {
        let output = cachesim(&args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    // 3: a folder that exists but cannot be written into.
    let locked = d.join("locked");
    std::fs::create_dir(&locked).unwrap();
    let mut perms = std::fs::metadata(&locked).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o555);
    std::fs::set_permissions(&locked, perms).unwrap();
    let probe = locked.join("probe");
    if std::fs::write(&probe, b"").is_err() {
        // (Running as root writes anyway; then there is nothing to see.)
        let output = cachesim(&["run", p(&shipped("amazon60")), "--runs", "1", "--out", p(&locked)]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(3), "{stderr}");
        assert!(
            stderr.contains("cannot write into the results folder"),
            "{stderr}"
        );
    }
    // 3 as well where no permission can be bypassed (root writes anyway
    // into a read-only folder): a folder under a file cannot be made.
    let file = d.join("a-file");
    std::fs::write(&file, b"").unwrap();
    let output = cachesim(&[
        "run",
        p(&shipped("amazon60")),
        "--runs",
        "1",
        "--out",
        p(&file.join("out")),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("cannot create the results folder"), "{stderr}");
    // 4: no answer within the horizon, results written all the same.
    let short = d.join("short");
    let output = cachesim(&[
        "plan",
        p(&shipped("isp24h")),
        "--set",
        "simulation.duration=2h",
        "--set",
        "population.households=500",
        "--runs",
        "2",
        "--out",
        p(&short),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("simulation.duration=4h") && short.join("summary.json").is_file(),
        "{stderr}"
    );
    assert_eq!(cachesim(&["plan", p(&short)]).status.code(), Some(4));
    // 0: an answer.
    let output = cachesim(&["plan", p(&short), "--tolerance", "0.1"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // 141: the reader went away; no "internal error".
    for args in [vec!["completions", "bash"], vec!["man"], vec!["presets"]] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cachesim"))
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("internal error"), "{args:?}: {stderr}");
        assert!(
            matches!(output.status.code(), Some(0 | 141)),
            "{args:?}: {:?}",
            output.status
        );
    }
    // The table is in --help and the manual.
    let help = String::from_utf8_lossy(&cachesim(&["--help"]).stdout).to_string();
    let man = String::from_utf8_lossy(&cachesim(&["man"]).stdout).to_string();
    for (code, _) in cachesim::error::EXIT_STATUSES {
        assert!(help.contains(&format!("{code:>3}  ")), "--help lacks {code}");
        assert!(
            man.contains(&format!("\\fB{code}\\fR")),
            "the manual lacks {code}"
        );
    }
}

#[test]
fn the_manual_has_a_page_for_every_command_it_names() {
    let dir = tempfile::tempdir().unwrap();
    let output = cachesim(&["man", "--dir", p(dir.path())]);
    assert_succeeded(&output);
    let main = std::fs::read_to_string(dir.path().join("cachesim.1")).unwrap();
    for section in ["EXIT STATUS", "SCENARIO", "FILES", "EXAMPLES"] {
        assert!(main.contains(&format!(".SH \"{section}\"")), "no {section}");
    }
    // Every page the main page points at exists.
    for reference in main.split("cachesim\\-").skip(1) {
        let name: String = reference.chars().take_while(|c| c.is_ascii_lowercase()).collect();
        if reference[name.len()..].starts_with("(1)") {
            assert!(
                dir.path().join(format!("cachesim-{name}.1")).is_file(),
                "cachesim-{name}(1) is missing"
            );
        }
    }
    assert!(std::fs::read_to_string(dir.path().join("cachesim-plan.1"))
        .unwrap()
        .contains("EXIT STATUS"));
}

#[test]
fn small_breakages_stay_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // --quiet for every command, presets included.
    let output = cachesim(&["presets", "--quiet"]);
    assert!(output.status.success() && output.stdout.is_empty());
    // chart lists what it drew, not the folder's other files.
    let run = d.join("run");
    let output = cachesim(&[
        "run",
        p(&shipped("amazon60")),
        "--runs",
        "1",
        "--set",
        "population.households=500",
        "--out",
        p(&run),
    ]);
    assert_succeeded(&output);
    std::fs::create_dir(run.join("notes")).unwrap();
    std::fs::write(run.join("notes.txt"), "mine").unwrap();
    let listed = String::from_utf8_lossy(&cachesim(&["chart", p(&run)]).stdout).to_string();
    assert!(
        listed.contains("old_share.svg") && !listed.contains("notes"),
        "{listed}"
    );
    // A sweep does not mix itself into a run's folder.
    refused(
        &[
            "sweep",
            p(&shipped("amazon60")),
            "--vary",
            "record.ttl=1m,2m",
            "--out",
            p(&run),
        ],
        &["holds a run's results", "a folder of its own"],
    );
    // Numbers as people read them.
    let scenario = d.join("shares.toml");
    let text = std::fs::read_to_string(shipped("amazon60")).unwrap();
    std::fs::write(&scenario, text).unwrap();
    let output = cachesim(&[
        "run",
        p(&scenario),
        "--set",
        "resolver.0.share=0.8",
        "--out",
        p(&d.join("x")),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("999999"), "{stderr}");
    let output = cachesim(&["plan", p(&run), "--max-lost", "1"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("fewer than 1 requests"), "{stdout}");
    let output = cachesim(&["compare", p(&run), p(&run), "--out", p(&d.join("cmp"))]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("retire after") && !stdout.contains("retire_after_s"),
        "{stdout}"
    );
}
