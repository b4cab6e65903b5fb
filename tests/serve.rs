//! `cachesim serve` over HTTP, as the page uses it: what-ifs answered with
//! the same decision `plan` gives, bad settings refused with the located
//! message, malformed requests with a 400, superseded what-ifs stopped, and
//! the saved scenario giving the same answer when run. The page in a real
//! browser is tests/serve_page.rs; the live view is tests/serve_live.rs.

use crate::common::{assert_succeeded, cachesim};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `cachesim serve`, stopped (by its process) when dropped.
pub struct Server {
    child: Child,
    /// host:port
    pub address: String,
}

impl Server {
    /// Starts `cachesim serve ARGS --port 0` and waits for its address.
    pub fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cachesim"))
            .arg("serve")
            .args(args)
            .args(["--port", "0"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let Some(address) = first.split("http://").nth(1).and_then(|r| r.split('/').next()) else {
            let mut err = String::new();
            child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
            panic!("serve did not start: {first}{err}");
        };
        Server {
            address: address.to_string(),
            child,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        http(&self.address, "GET", path, None)
    }

    pub fn post(&self, path: &str, body: &str) -> (u16, String) {
        http(&self.address, "POST", path, Some(body))
    }

    pub fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let (status, text) = self.post(path, &body.to_string());
        let parsed: Result<Value, _> = serde_json::from_str(&text);
        (status, parsed.unwrap_or(Value::String(text)))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request (closed after it): the status and the body.
pub fn http(address: &str, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    http_with(address, method, path, body, &format!("Host: {address}\r\n"))
}

/// [`http`] with these header lines (`Host` among them).
pub fn http_with(
    address: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
    headers: &str,
) -> (u16, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let body = body.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\n{headers}Content-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    // The head, then as much body as it announces (a server may keep the
    // connection open whatever the request said).
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let status = head.split(' ').nth(1).expect("a status").parse().unwrap();
    let lower = head.to_ascii_lowercase();
    let length = lower
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|n| n.trim().parse::<usize>().unwrap());
    let mut body = Vec::new();
    match length {
        Some(n) => {
            body.resize(n, 0);
            reader.read_exact(&mut body).unwrap();
        }
        None if lower.contains("transfer-encoding: chunked") => loop {
            let mut size = String::new();
            reader.read_line(&mut size).unwrap();
            let size = usize::from_str_radix(size.trim(), 16).unwrap();
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).unwrap();
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        },
        None => {
            reader.read_to_end(&mut body).unwrap();
        }
    }
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// The decision `cachesim plan` gives a saved scenario's text.
pub fn planned(toml: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("saved.toml");
    std::fs::write(&saved, toml).unwrap();
    let out = dir.path().join("out");
    let plan = cachesim(&[
        "plan",
        saved.to_str().unwrap(),
        "--json",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(matches!(plan.status.code(), Some(0 | 4)), "{plan:?}");
    let summary: Value = serde_json::from_slice(&plan.stdout).unwrap();
    summary["decision"].clone()
}

const SMALL: [&str; 4] = ["--set", "population.households=4000", "--runs", "4"];

#[test]
fn the_page_and_its_scenario_are_served() {
    let server = Server::start(&[&["scenarios/realistic-internet.toml"][..], &SMALL].concat());
    let (status, page) = server.get("/");
    assert_eq!(status, 200);
    assert!(page.contains("<script src=\"/app.js\">"), "{page}");
    assert_eq!(server.get("/app.js").0, 200);
    assert_eq!(server.get("/style.css").0, 200);
    let (status, controls) = server.get("/api/scenario");
    assert_eq!(status, 200);
    let controls: Value = serde_json::from_str(&controls).unwrap();
    assert_eq!(controls["name"], "realistic-internet");
    assert_eq!(controls["ttl"], "300s");
    assert_eq!(controls["households"], 4000);
    assert_eq!(controls["server"], "nginx");
    assert_eq!(controls["layers"][0]["pools"][0]["name"], "isp-unbound");
    assert_eq!(controls["live"], false);
}

#[test]
fn a_what_if_answers_as_plan_does_and_its_saved_scenario_gives_the_same_answer() {
    let server = Server::start(&[&["scenarios/api-migration.toml"][..], &SMALL].concat());
    let ask = json!({"sets": ["record.ttl=120s", "resolver.0.share=0.5"], "generation": 1});
    let (status, answer) = server.post_json("/api/whatif", &ask);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["quick"], false, "4 runs: no quicker answer to give first");
    for chart in ["old_share", "old_share_log", "causes"] {
        assert!(
            answer["charts"][chart].as_str().unwrap().starts_with("<svg"),
            "{chart}"
        );
    }
    let overrides = answer["overrides"].to_string();
    assert!(
        overrides.contains("resolver.1.share="),
        "the other pools rescaled: {overrides}"
    );
    // The saved file, run by the command line, gives the page's decision.
    let (status, toml) = server.post("/api/save/scenario.toml", &ask.to_string());
    assert_eq!(status, 200, "{toml}");
    assert!(
        toml.starts_with("# Saved by cachesim serve from scenarios/api-migration.toml with record.ttl=120s")
    );
    assert_eq!(
        planned(&toml),
        answer["decision"],
        "the same decision, line by line"
    );
    // A second what-if is drawn against the first.
    let (status, second) = server.post_json(
        "/api/whatif",
        &json!({"sets": ["record.ttl=30s"], "generation": 2}),
    );
    assert_eq!(status, 200, "{second}");
    assert!(second["charts"]["compare"].as_str().unwrap().starts_with("<svg"));
    assert!(second["previous"]["label"]
        .as_str()
        .unwrap()
        .contains("record.ttl=120s"));
    // report.html of the full answer kept.
    let (status, report) = server.post(
        "/api/save/report.html",
        &json!({"sets": ["record.ttl=30s"]}).to_string(),
    );
    assert_eq!(status, 200);
    assert!(report.contains("<title>cachesim: api-migration</title>") && report.contains("id=\"answer\""));
    assert!(!std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("output/api-migration--record.ttl_30s")
        .exists());
}

#[test]
fn bad_settings_and_malformed_requests_are_refused_with_a_message() {
    let server = Server::start(&[&["scenarios/api-migration.toml"][..], &SMALL].concat());
    let (status, e) = server.post_json(
        "/api/whatif",
        &json!({"sets": ["record.ttl=6x"], "generation": 1}),
    );
    assert_eq!(status, 400);
    let message = e["error"].as_str().unwrap();
    assert!(
        message.contains("scenarios/api-migration.toml")
            && message.contains("the page's record.ttl=6x")
            && message.contains("key `record.ttl`")
            && message.contains("write e.g."),
        "located, with what is accepted: {message}"
    );
    let (status, e) = server.post_json(
        "/api/whatif",
        &json!({"sets": ["resolver.0.sharee=0.5"], "generation": 2}),
    );
    assert_eq!(status, 400, "{e}");
    assert!(e["error"].as_str().unwrap().contains("sharee"), "{e}");
    let (status, e) = server.post_json(
        "/api/whatif",
        &json!({"sets": ["resolver.0.share=0.9", "resolver.1.share=0.9"], "generation": 3}),
    );
    assert_eq!(status, 400, "{e}");
    assert!(
        e["error"].as_str().unwrap().contains("add up to more than 1"),
        "{e}"
    );
    for (body, needle) in [
        ("not json", "not a what-if"),
        ("{\"sets\": \"record.ttl=60s\"}", "not a what-if"),
        ("{\"unknown\": 1}", "unknown field"),
        ("{\"tolerance\": 2}", "tolerance 2"),
    ] {
        let (status, text) = server.post("/api/whatif", body);
        assert_eq!(status, 400, "{body}: {text}");
        assert!(text.contains(needle), "{body}: {text}");
    }
    assert_eq!(
        server.post("/api/whatif", &"x".repeat(70_000)).0,
        400,
        "too large"
    );
    assert_eq!(server.get("/api/whatif").0, 405);
    assert_eq!(server.post("/", "").0, 405);
    assert_eq!(server.get("/etc/passwd").0, 404);
    assert_eq!(server.get("/../Cargo.toml").0, 404);
    let (status, text) = server.get("/api/live");
    assert_eq!(status, 404);
    assert!(text.contains("--watch-old"), "{text}");
    // Another site's page, through a name pointing here or by a form.
    let a = &server.address;
    let (status, text) = http_with(a, "GET", "/api/scenario", None, "Host: rebound.example:80\r\n");
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("rebound.example"), "{text}");
    let other = format!("Host: {a}\r\nOrigin: http://elsewhere.example\r\n");
    let (status, text) = http_with(a, "POST", "/api/whatif", Some("{}"), &other);
    assert_eq!(status, 403, "{text}");
    let port = a.rsplit(':').next().unwrap();
    let same = format!("Host: localhost:{port}\r\nOrigin: http://localhost:{port}\r\n");
    assert_eq!(http_with(a, "GET", "/api/scenario", None, &same).0, 200);
    // Still answering after all that.
    assert_eq!(server.post_json("/api/whatif", &json!({"generation": 9})).0, 200);
}

#[test]
fn a_newer_what_if_stops_the_one_it_supersedes() {
    let server = Server::start(&["scenarios/realistic-internet.toml", "--runs", "8"]);
    let slow = {
        let address = server.address.clone();
        std::thread::spawn(move || {
            let started = Instant::now();
            let ask =
                json!({"sets": ["population.households=400000", "simulation.runs=64"], "generation": 1});
            let (status, _) = http(&address, "POST", "/api/whatif", Some(&ask.to_string()));
            (status, started.elapsed())
        })
    };
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    let ask = json!({"sets": ["population.households=2000"], "generation": 2});
    let (status, answer) = server.post_json("/api/whatif", &ask);
    let newer = started.elapsed();
    assert_eq!(status, 200, "{answer}");
    let (status, older) = slow.join().unwrap();
    assert_eq!(status, 409, "the older what-if is told it was superseded");
    // 400,000 households × 64 runs take about 20 s; stopped, it ends
    // about when the newer answer does.
    assert!(older < newer + Duration::from_secs(5), "stopped after {older:?}");
    // An older generation arriving late is not simulated at all.
    let (status, _) = server.post_json("/api/whatif", &json!({"generation": 1}));
    assert_eq!(status, 409);
}

#[test]
fn serve_refuses_what_it_cannot_serve() {
    for (args, needle) in [
        (vec!["scenarios/none.toml"], "none.toml"),
        (
            vec!["scenarios/api-migration.toml", "--listen", "nowhere"],
            "--listen nowhere",
        ),
        (
            vec![
                "scenarios/api-migration.toml",
                "--watch-old",
                "a.log",
                "--change-at",
                "0",
            ],
            "--watch-old needs --watch-new",
        ),
        (
            vec![
                "scenarios/api-migration.toml",
                "--watch-old",
                "a.log",
                "--watch-new",
                "b.log",
            ],
            "needs --change-at",
        ),
        (
            vec!["scenarios/api-migration.toml", "--free", "record.ttl=1s..2s"],
            "for the live view",
        ),
    ] {
        let mut full = vec!["serve"];
        full.extend(&args);
        let out = cachesim(&full);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    assert_succeeded(&cachesim(&["serve", "--help"]));
}

#[test]
fn a_results_folder_is_served_with_the_scenario_it_was_run_from() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results");
    let out = out.to_str().unwrap();
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/api-migration.toml");
    assert_succeeded(&cachesim(
        &[&["run", scenario, "--quiet", "--out", out][..], &SMALL].concat(),
    ));
    let server = Server::start(&[out]);
    let (_, controls) = server.get("/api/scenario");
    let controls: Value = serde_json::from_str(&controls).unwrap();
    assert_eq!(
        controls["households"], 4000,
        "the folder's own overrides: {controls}"
    );
    let (status, answer) = server.post_json("/api/whatif", &json!({}));
    assert_eq!(status, 200, "{answer}");
    let summary: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("results/summary.json")).unwrap()).unwrap();
    assert_eq!(
        answer["decision"], summary["decision"],
        "the same scenario, seed and runs: the same answer"
    );
    let out = cachesim(&[
        "serve",
        dir.path().join("results").to_str().unwrap(),
        "--set",
        "record.ttl=1s",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("serve the scenario file instead"));
}
