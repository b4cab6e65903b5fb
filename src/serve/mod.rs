//! `cachesim serve`: one page on a local web server, for the people who
//! decide a migration without writing TOML (controls that re-simulate and
//! redraw the decision) and, with `--watch-…`, a live view of a migration
//! in progress. The server is tiny_http: a small synchronous server on
//! threads, since the work is simulation on rayon's threads and the page's
//! few requests need no async runtime (nor its compile time). The page is
//! plain HTML, CSS and JavaScript built into the binary; its charts are the
//! report's, drawn as SVG. It reads no file the command line did not name,
//! and writes none: what-ifs never touch a results folder.

mod base;
mod follow;
mod live;
mod reply;
mod whatif;

pub use live::WatchOptions;

/// The flags that give the live view's logs, for `observe`'s messages.
pub const WATCH_FLAGS: crate::commands::observe::Flags = crate::commands::observe::Flags {
    old: "--watch-old",
    new: "--watch-new",
    log: "--watch",
};

use crate::error::{Error, Result};
use crate::simulation::{SimOptions, STOP};
use base::Base;
use live::Live;
use reply::Reply;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use whatif::{Asked, Refused, WhatIfs};

/// The largest request body the page sends (a what-if's settings).
const MAX_BODY: u64 = 64 * 1024;

/// How often an idle live stream says it is still there.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

pub struct ServeOptions {
    pub sim: SimOptions,
    pub listen: SocketAddr,
    pub watch: Option<WatchOptions>,
}

/// What every request handler shares.
struct Served {
    /// The `Host` a request may name (host:port); others are refused.
    hosts: Vec<String>,
    base: Base,
    sim: SimOptions,
    what_ifs: WhatIfs,
    live: Option<Arc<Live>>,
}

/// Checks the scenario (and the logs), listens, prints the address and
/// answers the page until Ctrl-C.
pub fn serve(options: ServeOptions) -> Result<()> {
    let base = Base::load(&options.sim)?;
    let live = match options.watch {
        Some(watch) => Some(Live::start(watch, &options.sim, &base)?),
        None => None,
    };
    let listen = options.listen;
    let server = tiny_http::Server::http(listen).map_err(|e| {
        Error::Usage(format!(
            "cannot listen on {listen}: {e}; choose another --port (0 picks a free one)"
        ))
    })?;
    if !listen.ip().is_loopback() {
        eprintln!(
            "cachesim serve: warning: listening on {listen}, not only on this machine: anyone who can reach it \
             can read the scenario and run simulations here"
        );
    }
    let address = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| Error::Internal("the server has no IP address".into()))?;
    let host = if address.ip().is_unspecified() {
        format!("127.0.0.1:{}", address.port())
    } else {
        address.to_string()
    };
    println!(
        "cachesim serve: http://{host}/ ({}; Ctrl-C stops)",
        base.scenario.name
    );
    std::io::stdout().flush().ok();
    let served = Arc::new(Served {
        hosts: hosts(&address, &host),
        base,
        sim: options.sim,
        what_ifs: WhatIfs::default(),
        live,
    });
    while !STOP.load(Ordering::Relaxed) {
        let request = server
            .recv_timeout(Duration::from_millis(200))
            .map_err(|e| Error::Internal(format!("the server stopped: {e}")))?;
        if let Some(request) = request {
            let served = served.clone();
            std::thread::spawn(move || handle(&served, request));
        }
    }
    Err(Error::Interrupted)
}

/// The names the page can be reached by: the address printed, and on
/// loopback `localhost`. A request naming another host reached this server
/// through a name that points here from elsewhere (DNS rebinding): a page
/// from another site must not read the scenario or run simulations.
fn hosts(address: &SocketAddr, printed: &str) -> Vec<String> {
    // Listening on every address (`--listen 0.0.0.0`, warned of): any name
    // of this machine may reach it.
    if address.ip().is_unspecified() {
        return Vec::new();
    }
    let port = address.port();
    let mut hosts = vec![printed.to_string(), address.to_string()];
    if address.ip().is_loopback() {
        hosts.extend([
            format!("localhost:{port}"),
            format!("127.0.0.1:{port}"),
            format!("[::1]:{port}"),
        ]);
    }
    hosts
}

/// Why `request` is refused before it is read: another host named, or a
/// page of another origin posting (a cross-site form).
fn foreign(served: &Served, request: &tiny_http::Request) -> Option<String> {
    let header = |name: &'static str| {
        request
            .headers()
            .iter()
            .find(|h| h.field.equiv(name))
            .map(|h| h.value.as_str().to_string())
    };
    let host = header("Host").unwrap_or_default();
    if !served.hosts.is_empty() && !served.hosts.contains(&host) {
        return Some(format!(
            "this server answers only to {}, not to the host {host:?}",
            served.hosts[0]
        ));
    }
    match header("Origin") {
        Some(origin) if origin != format!("http://{host}") => {
            Some(format!("requests from pages of {origin} are not answered"))
        }
        _ => None,
    }
}

/// Answers one request; a malformed one gets a 4xx with a message.
fn handle(served: &Served, mut request: tiny_http::Request) {
    if let Some(why) = foreign(served, &request) {
        Reply::error(403, &why).send(request);
        return;
    }
    let path = request.url().split('?').next().unwrap_or("").to_string();
    let method = request.method().clone();
    use tiny_http::Method::{Get, Post};
    let reply = match (&method, path.as_str()) {
        (Get, "/") => Reply::page(),
        (Get, "/app.js") => Reply::script(),
        (Get, "/style.css") => Reply::style(),
        (Get, "/api/scenario") => Reply::json(200, &served.base.controls(served.live.is_some())),
        (Post, "/api/whatif" | "/api/save/scenario.toml" | "/api/save/report.html") => {
            match asked(&mut request) {
                Ok(asked) => post(served, &path, &asked),
                Err(message) => Reply::error(400, &message),
            }
        }
        (Get, "/api/live") => match &served.live {
            Some(live) => Reply::json_text(200, &live.shown()),
            None => Reply::error(404, "no live view: start serve with --watch-old and --watch-new"),
        },
        (Get, "/api/live/events") => match &served.live {
            Some(live) => return events(live, request),
            None => Reply::error(404, "no live view: start serve with --watch-old and --watch-new"),
        },
        (_, "/" | "/app.js" | "/style.css" | "/api/scenario" | "/api/live" | "/api/live/events") => {
            Reply::error(405, &format!("{method} is not accepted here: use GET"))
        }
        (_, "/api/whatif" | "/api/save/scenario.toml" | "/api/save/report.html") => {
            Reply::error(405, &format!("{method} is not accepted here: use POST"))
        }
        _ => Reply::error(404, &format!("no such page: {path}")),
    };
    reply.send(request);
}

/// The request's body as a what-if, or what is wrong with it.
fn asked(request: &mut tiny_http::Request) -> std::result::Result<Asked, String> {
    if request.body_length().is_some_and(|n| n as u64 > MAX_BODY) {
        return Err(format!("the request is larger than {MAX_BODY} bytes"));
    }
    let mut body = String::new();
    request
        .as_reader()
        .take(MAX_BODY + 1)
        .read_to_string(&mut body)
        .map_err(|e| format!("the request's body cannot be read: {e}"))?;
    if body.len() as u64 > MAX_BODY {
        return Err(format!("the request is larger than {MAX_BODY} bytes"));
    }
    serde_json::from_str(&body).map_err(|e| {
        format!("the request is not a what-if ({e}); send JSON such as {{\"sets\": [\"record.ttl=60s\"]}}")
    })
}

fn post(served: &Served, path: &str, asked: &Asked) -> Reply {
    let Served {
        base, sim, what_ifs, ..
    } = served;
    match path {
        "/api/whatif" => match what_ifs.answer(base, sim, asked) {
            Ok(answer) => Reply::json(200, &answer),
            Err(Refused::Superseded) => Reply::error(409, "superseded by a newer what-if"),
            Err(Refused::Bad(e)) => bad(e),
        },
        "/api/save/scenario.toml" => {
            let saved = base
                .what_if(&asked.sets)
                .and_then(|w| base.saved_toml(&w, &asked.sets));
            match saved {
                Ok(text) => Reply::download(
                    text.into_bytes(),
                    "application/toml",
                    &format!("{}.toml", base.scenario.name),
                ),
                Err(e) => bad(e),
            }
        }
        _ => match what_ifs.report(base, sim, asked) {
            Ok(html) => Reply::download(html, "text/html; charset=utf-8", "report.html"),
            Err(e) => bad(e),
        },
    }
}

/// Bad input is the page's to fix (400, with the located message);
/// anything else is the server's (500).
fn bad(e: Error) -> Reply {
    let status = if e.exit_code() == 2 { 400 } else { 500 };
    Reply::error(status, &e.to_string())
}

/// The live view's updates as server-sent events, each the whole view.
fn events(live: &Arc<Live>, request: tiny_http::Request) {
    let mut out = request.into_writer();
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n\
                Connection: close\r\n\r\n";
    if out.write_all(head.as_bytes()).is_err() {
        return;
    }
    let mut seen = u64::MAX;
    while !STOP.load(Ordering::Relaxed) {
        let now = live.wait(seen, KEEP_ALIVE);
        let event = if now == seen {
            ": still here\n\n".to_string()
        } else {
            seen = now;
            format!("data: {}\n\n", live.shown())
        };
        if out
            .write_all(event.as_bytes())
            .and_then(|()| out.flush())
            .is_err()
        {
            return;
        }
    }
}
