//! How HTTP clients keep their idle keep-alive connections: the defaults of
//! the libraries apps are built on, each with the source its value comes
//! from, so a `[[device]]` or `[[app]]` entry can say `connection = "okhttp"`.
//! None of them closes a connection for its age or its number of requests;
//! the site's servers may (`[server]`).

use crate::duration::{Millis, SECOND};

/// A named client's keep-alive default, with where it comes from.
pub struct ClientPreset {
    pub name: &'static str,
    pub summary: &'static str,
    pub source: &'static str,
    pub idle_timeout: Millis,
}

/// Every client preset, in the order `cachesim presets` lists them.
pub static CLIENT_PRESETS: &[ClientPreset] = &[
    ClientPreset {
        name: "chrome",
        summary: "Chrome, Edge and Cronet (Chromium's network stack in Android apps): an idle socket that carried a request is kept 300 s",
        source: "chromium net/socket (kUsedIdleSocketTimeout = 300: \"the maximum duration, in seconds, to keep used idle persistent sockets alive\")",
        idle_timeout: 300 * SECOND,
    },
    ClientPreset {
        name: "firefox",
        summary: "Firefox: network.http.keep-alive.timeout 115 s",
        source: "mozilla modules/libpref/init/all.js (pref(\"network.http.keep-alive.timeout\", 115))",
        idle_timeout: 115 * SECOND,
    },
    ClientPreset {
        name: "okhttp",
        summary: "OkHttp, the HTTP client of most Android apps: ConnectionPool keeps up to 5 idle connections 5 min",
        source: "square/okhttp okhttp/src/main/kotlin/okhttp3/ConnectionPool.kt (maxIdleConnections 5, keepAliveDuration 5 min)",
        idle_timeout: 300 * SECOND,
    },
    ClientPreset {
        name: "java",
        summary: "Java's HttpURLConnection: idle connections kept 5 s when the server sends no Keep-Alive timeout",
        source: "openjdk src/java.base/share/classes/sun/net/www/http/KeepAliveCache.java (LIFETIME 5000 ms)",
        idle_timeout: 5 * SECOND,
    },
    ClientPreset {
        name: "go",
        summary: "Go's net/http DefaultTransport: IdleConnTimeout 90 s",
        source: "golang/go src/net/http/transport.go (DefaultTransport IdleConnTimeout: 90 * time.Second)",
        idle_timeout: 90 * SECOND,
    },
];

/// The client preset called `name`.
pub fn client_preset(name: &str) -> Option<&'static ClientPreset> {
    CLIENT_PRESETS.iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_have_distinct_names_and_a_source() {
        for (i, p) in CLIENT_PRESETS.iter().enumerate() {
            assert!(CLIENT_PRESETS[..i].iter().all(|q| q.name != p.name), "{}", p.name);
            assert!(!p.source.is_empty() && p.idle_timeout > 0, "{}", p.name);
        }
        assert_eq!(client_preset("okhttp").unwrap().idle_timeout, 300 * SECOND);
    }
}
