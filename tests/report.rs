//! report.html opened in headless Chromium: the page loads offline and
//! shows the plan's answer, the summary and every chart, each image decoded.
//! It needs the browser, so a plain `cargo test` ignores it (and says so);
//! `.ci/run` installs Chromium and runs it with `cargo test -- --ignored`.

use std::process::Command;

const CHROMIUM: &str = "/usr/bin/chromium";

#[test]
#[ignore = "needs headless Chromium (apt-get install chromium), then cargo test report:: -- --ignored"]
fn report_renders_in_headless_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results");
    let status = Command::new(env!("CARGO_BIN_EXE_cachesim"))
        .args([
            "run",
            "scenarios/failover-4x.toml",
            "--quiet",
            "--runs",
            "2",
            "--out",
            out.to_str().unwrap(),
        ])
        .args(["--set", "population.households=2000"])
        .status()
        .unwrap();
    assert!(status.success());
    // The page as shipped, plus a script that records, once it has loaded,
    // whether each image decoded (a broken one has no natural width).
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    let probe = "<script>window.addEventListener('load', () => document.body.setAttribute('data-decoded', \
                 [...document.images].map(i => i.complete && i.naturalWidth > 0).join(',')));</script>";
    let probed = out.join("probed.html");
    std::fs::write(&probed, report.replace("</body>", &format!("{probe}</body>"))).unwrap();
    let page = format!("file://{}", probed.display());
    let profile = dir.path().join("profile");
    let output = Command::new(CHROMIUM)
        .args(crate::common::CHROMIUM_FLAGS)
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--virtual-time-budget=5000", "--dump-dom", &page])
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&output.stdout);
    assert!(
        dom.contains("cachesim: failover-4x"),
        "title missing: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        dom.contains("id=\"answer\"") && dom.contains("Keep the old server"),
        "the plan's answer is shown"
    );
    assert!(
        dom.contains("old share stays under 1 %"),
        "the summary table is shown"
    );
    let images = dom.matches("<img alt=").count();
    assert_eq!(
        images, 10,
        "old share (3: linear, first hour, log), causes (2: all, first hour), layers (3: held, share, share in \
         the first hour), clients and addresses charts inline"
    );
    let decoded = dom
        .split("data-decoded=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the probe ran once the page loaded");
    assert_eq!(decoded, ["true"; 10].join(","), "every chart decodes as an image");
    assert!(
        dom.contains("<img alt=\"Why the old requests happened"),
        "the causes chart is shown, captioned in words"
    );
    assert!(
        !dom.contains("http://") && !dom.contains("https://"),
        "the page needs no network"
    );
}
