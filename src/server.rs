//! How the site's own servers end keep-alive connections: an idle timeout, a
//! maximum age and a maximum number of requests per connection, as the web
//! servers and load balancers users run set them by default. A client's
//! connection closes at whichever end gives up first.

use crate::duration::{Millis, FOREVER, HOUR, SECOND};

/// The limits a server puts on a keep-alive connection; a limit it does not
/// set is [`FOREVER`] (or [`u32::MAX`] requests).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Server {
    pub idle_timeout: Millis,
    pub max_age: Millis,
    pub max_requests: u32,
}

impl Server {
    /// No limits at all: the client alone decides.
    pub const UNLIMITED: Server = Server {
        idle_timeout: FOREVER,
        max_age: FOREVER,
        max_requests: u32::MAX,
    };
}

/// A named server's defaults, with where they come from.
pub struct ServerPreset {
    pub name: &'static str,
    pub summary: &'static str,
    pub source: &'static str,
    pub server: Server,
}

const fn limits(idle_timeout: Millis, max_age: Millis, max_requests: u32) -> Server {
    Server {
        idle_timeout,
        max_age,
        max_requests,
    }
}

/// Every server preset, in the order `cachesim presets` lists them.
pub static SERVER_PRESETS: &[ServerPreset] = &[
    ServerPreset {
        name: "nginx",
        summary: "nginx 1.19.10 and later: keepalive_timeout 75 s, keepalive_time 1 h, keepalive_requests 1000",
        source: "nginx.org ngx_http_core_module (keepalive_timeout, keepalive_time, keepalive_requests); src/http/ngx_http_core_module.c",
        server: limits(75 * SECOND, HOUR, 1000),
    },
    ServerPreset {
        name: "nginx-1.18",
        summary: "nginx before 1.19.10: keepalive_timeout 75 s, keepalive_requests 100, no age limit",
        source: "nginx.org CHANGES 1.19.10 (keepalive_requests default raised to 1000, keepalive_time added)",
        server: limits(75 * SECOND, FOREVER, 100),
    },
    ServerPreset {
        name: "apache",
        summary: "Apache httpd 2.4: KeepAliveTimeout 5 s, MaxKeepAliveRequests 100",
        source: "httpd.apache.org docs/2.4/mod/core.html (KeepAliveTimeout, MaxKeepAliveRequests)",
        server: limits(5 * SECOND, FOREVER, 100),
    },
    ServerPreset {
        name: "haproxy",
        summary: "HAProxy with the shipped example defaults: no timeout http-keep-alive, so timeout client (50 s) applies",
        source: "haproxy doc/configuration.txt (timeout http-keep-alive falls back to http-request, then client); examples and Debian's haproxy.cfg (timeout client 50000)",
        server: limits(50 * SECOND, FOREVER, u32::MAX),
    },
    ServerPreset {
        name: "envoy",
        summary: "Envoy: HTTP idle_timeout 1 h; max_connection_duration and max_requests_per_connection unset",
        source: "envoyproxy.io docs faq/configuration/timeouts; config.core.v3.HttpProtocolOptions",
        server: limits(HOUR, FOREVER, u32::MAX),
    },
    ServerPreset {
        name: "aws-alb",
        summary: "AWS Application Load Balancer: connection idle timeout 60 s, HTTP client keepalive duration 3600 s",
        source: "docs.aws.amazon.com elasticloadbalancing application/edit-load-balancer-attributes (idle timeout, client keepalive)",
        server: limits(60 * SECOND, HOUR, u32::MAX),
    },
];

/// The server preset called `name`.
pub fn server_preset(name: &str) -> Option<&'static ServerPreset> {
    SERVER_PRESETS.iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_have_distinct_names_and_some_limit() {
        for (i, p) in SERVER_PRESETS.iter().enumerate() {
            assert!(SERVER_PRESETS[..i].iter().all(|q| q.name != p.name), "{}", p.name);
            assert_ne!(p.server, Server::UNLIMITED, "{}", p.name);
        }
        assert_eq!(server_preset("nginx").unwrap().server.max_requests, 1000);
    }
}
