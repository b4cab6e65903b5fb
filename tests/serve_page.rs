//! `cachesim serve`'s page in a real headless Chromium, driven through
//! ChromeDriver (WebDriver): moving the TTL slider with the keyboard changes
//! the decision and the chart; the scenario the page saves, run by `plan`,
//! gives the page's decision; lines appended to a watched log show up in
//! the live chart within seconds. It needs the browser and its driver, so a
//! plain `cargo test` ignores it; `.ci/run` installs both and runs it with
//! `cargo test -- --ignored`. With CACHESIM_SCREENSHOTS=DIR it also saves
//! the what-if screenshot docs/serve.md shows.

use crate::serve::{http, Server};
use serde_json::{json, Value};
use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A headless Chromium session through ChromeDriver, ended when dropped.
struct Browser {
    driver: Child,
    address: String,
    session: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn start() -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // Its own process group: the browsers it starts end with it.
        use std::os::unix::process::CommandExt;
        let driver = Command::new("chromedriver")
            .args([format!("--port={port}"), "--allowed-ips=127.0.0.1".into()])
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (apt-get install chromium-driver)");
        let address = format!("127.0.0.1:{port}");
        let started = Instant::now();
        while std::net::TcpStream::connect(&address).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = tempfile::tempdir().unwrap();
        let mut browser = Browser {
            driver,
            address,
            session: String::new(),
            _profile: profile,
        };
        let mut args: Vec<String> = crate::common::CHROMIUM_FLAGS
            .iter()
            .map(|a| a.to_string())
            .collect();
        args.push("--window-size=1400,1500".into());
        args.push(format!("--user-data-dir={}", browser._profile.path().display()));
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args},
        }}});
        let session = browser.call("POST", "/session", Some(capabilities));
        browser.session = session["sessionId"].as_str().expect("a session").to_string();
        browser
    }

    /// One WebDriver command; its `value`.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let body = body.map(|b| b.to_string());
        let (status, text) = http(&self.address, method, path, body.as_deref());
        let reply: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}: {text}"));
        assert_eq!(status, 200, "{method} {path}: {reply:#}");
        reply["value"].clone()
    }

    fn session(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.call(method, &format!("/session/{}{path}", self.session), body)
    }

    fn go(&self, url: &str) {
        self.session("POST", "/url", Some(json!({ "url": url })));
    }

    fn script(&self, script: &str) -> Value {
        self.session(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    /// Runs `script`, which calls `done(value)` when finished.
    fn script_async(&self, script: &str) -> Value {
        let script = format!("const done = arguments[arguments.length - 1]; {script}");
        self.session(
            "POST",
            "/execute/async",
            Some(json!({"script": script, "args": []})),
        )
    }

    fn keys(&self, css: &str, keys: &str) {
        let found = self.session(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        );
        let id = found[ELEMENT].as_str().unwrap().to_string();
        self.session(
            "POST",
            &format!("/element/{id}/value"),
            Some(json!({ "text": keys })),
        );
    }

    /// Waits until the JavaScript expression `condition` is true.
    fn wait(&self, condition: &str, within: Duration) {
        let started = Instant::now();
        while self.script(&format!("return !!({condition});")) != Value::Bool(true) {
            let page = self.script("return document.getElementById('decision').innerText;");
            assert!(
                started.elapsed() < within,
                "not within {within:?}: {condition}\n{page}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// With CACHESIM_SCREENSHOTS=DIR, the page as it is now, as DIR/NAME.
    fn screenshot(&self, name: &str) {
        let Ok(dir) = std::env::var("CACHESIM_SCREENSHOTS") else {
            return;
        };
        use base64::Engine;
        let png = self.session("GET", "/screenshot", None);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        std::fs::write(std::path::Path::new(&dir).join(name), bytes).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = http(
                &self.address,
                "DELETE",
                &format!("/session/{}", self.session),
                None,
            );
        }
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let _ = self.driver.wait();
    }
}

const FULL: &str = "document.getElementById('decision').dataset.state === 'full'";

#[test]
#[ignore = "needs headless Chromium and ChromeDriver (apt-get install chromium chromium-driver), then cargo test serve_page:: -- --ignored"]
fn moving_the_ttl_changes_the_decision_and_the_saved_scenario_gives_it_again() {
    let server = Server::start(&[
        "scenarios/realistic-internet.toml",
        "--set",
        "population.households=20000",
        "--runs",
        "8",
    ]);
    let browser = Browser::start();
    browser.go(&server.url("/"));
    browser.wait(FULL, Duration::from_secs(60));
    // The decision block as shown: the answer, then each line it hangs on.
    let answer = || {
        browser.script(
            "return [document.getElementById('answer').textContent, \
             ...[...document.querySelectorAll('#lines li')].map(li => li.textContent)];",
        )
    };
    let chart = || browser.script("return document.getElementById('chart-old_share').innerHTML;");
    let (before, drawn) = (answer(), chart());
    assert!(
        before[0].as_str().unwrap().starts_with("Keep the old server"),
        "{before}"
    );
    assert!(drawn.as_str().unwrap().contains("<svg"));
    browser.screenshot("serve-whatif.png");
    // Four steps right on the TTL slider, as a user's arrow keys do: 5 min
    // to 1 h. (Lower TTLs leave this mix's decision as it is: its tail is
    // resolvers that pin answers a day whatever the TTL.)
    browser.keys("#ttl-slider", &"\u{E014}".repeat(4));
    browser.wait(
        "document.getElementById('ttl-value').textContent === '1h'",
        Duration::from_secs(5),
    );
    browser.wait(
        &format!(
            "{FULL} && document.getElementById('decision').dataset.generation >= 2 && \
             document.getElementById('sets').textContent === 'record.ttl=1h'"
        ),
        Duration::from_secs(60),
    );
    let after = answer();
    assert_ne!(after, before, "the decision moved with the TTL");
    assert_ne!(chart(), drawn, "and so did the chart");
    let previous = browser.script("return document.getElementById('previous').textContent;");
    assert!(
        previous.as_str().unwrap().contains(before[0].as_str().unwrap()),
        "{previous}"
    );
    assert_eq!(
        browser.script("return document.getElementById('fig-compare').hidden;"),
        false,
        "the previous setting is drawn beside it"
    );
    // What the Save button offers, run by the command line.
    let toml = browser.script_async("window.cachesim.saved('/api/save/scenario.toml').then(done);");
    assert_eq!(
        crate::serve::planned(toml.as_str().unwrap()),
        after,
        "the saved scenario gives the page's decision, line by line"
    );
}

#[test]
#[ignore = "needs headless Chromium and ChromeDriver (apt-get install chromium chromium-driver), then cargo test serve_page:: -- --ignored"]
fn lines_appended_to_a_watched_log_show_up_in_the_live_chart() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("old.log"), dir.path().join("new.log"));
    std::fs::write(&old, "").unwrap();
    std::fs::write(&new, "").unwrap();
    let change = 1_700_000_000i64;
    let server = Server::start(&[
        "scenarios/api-migration.toml",
        "--watch-old",
        old.to_str().unwrap(),
        "--watch-new",
        new.to_str().unwrap(),
        "--change-at",
        &change.to_string(),
        "--bucket",
        "30s",
    ]);
    let browser = Browser::start();
    browser.go(&server.url("/"));
    browser.wait("!document.getElementById('live').hidden", Duration::from_secs(10));
    // Five minutes of a migration's logs: the old share falling from 60 %.
    let (mut old_lines, mut new_lines) = (String::new(), String::new());
    for i in 0..600 {
        let t = i as f64 * 0.5;
        let line = format!("{{\"time\": {}}}\n", change as f64 + t);
        if (i * 7919) % 100 < 60 * (300 - i / 2) / 300 {
            old_lines.push_str(&line);
        } else {
            new_lines.push_str(&line);
        }
    }
    let appended = Instant::now();
    for (path, lines) in [(&old, &old_lines), (&new, &new_lines)] {
        let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
        f.write_all(lines.as_bytes()).unwrap();
    }
    browser.wait(
        "document.getElementById('live').dataset.requests === '600' && \
         document.getElementById('chart-live').innerHTML.includes('<svg')",
        Duration::from_secs(10),
    );
    eprintln!(
        "shown in the live chart {:?} after being appended",
        appended.elapsed()
    );
    let status = browser.script("return document.getElementById('live-status').textContent;");
    assert!(
        status
            .as_str()
            .unwrap()
            .starts_with("600 requests since the change"),
        "{status}"
    );
}
