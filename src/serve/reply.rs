//! The server's replies: the page's files (built into the binary), JSON,
//! downloads, and errors as JSON with a message the page shows.

use serde_json::{json, Value};
use tiny_http::{Header, Response};

static PAGE: &str = include_str!("../../assets/serve/index.html");
static SCRIPT: &str = include_str!("../../assets/serve/app.js");
static STYLE: &str = include_str!("../../assets/serve/style.css");

pub struct Reply {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    /// Offered as a file of this name.
    download: Option<String>,
}

impl Reply {
    fn of(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            content_type,
            body: body.into(),
            download: None,
        }
    }

    pub fn page() -> Reply {
        Reply::of(200, "text/html; charset=utf-8", PAGE)
    }

    pub fn script() -> Reply {
        Reply::of(200, "text/javascript; charset=utf-8", SCRIPT)
    }

    pub fn style() -> Reply {
        Reply::of(200, "text/css; charset=utf-8", STYLE)
    }

    pub fn json(status: u16, value: &Value) -> Reply {
        Reply::json_text(status, &value.to_string())
    }

    pub fn json_text(status: u16, text: &str) -> Reply {
        Reply::of(status, "application/json", text)
    }

    pub fn error(status: u16, message: &str) -> Reply {
        Reply::json(status, &json!({ "error": message }))
    }

    pub fn download(body: Vec<u8>, content_type: &'static str, name: &str) -> Reply {
        Reply {
            // A header value is ASCII: anything else in a scenario's name becomes `_`.
            download: Some(
                name.chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect(),
            ),
            ..Reply::of(200, content_type, body)
        }
    }

    pub fn send(self, request: tiny_http::Request) {
        let header = |name: &str, value: &str| Header::from_bytes(name, value).expect("a valid header");
        let mut response = Response::from_data(self.body)
            .with_status_code(self.status)
            .with_header(header("Content-Type", self.content_type))
            .with_header(header("Cache-Control", "no-store"))
            .with_header(header("X-Content-Type-Options", "nosniff"));
        if let Some(name) = self.download {
            response = response.with_header(header(
                "Content-Disposition",
                &format!("attachment; filename=\"{name}\""),
            ));
        }
        // The page may be gone already (a superseded what-if): nothing to do.
        let _ = request.respond(response);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scenario's name goes into a header, which takes ASCII alone.
    #[test]
    fn a_download_is_named_in_ascii_whatever_the_scenario() {
        let reply = Reply::download(Vec::new(), "text/plain", "café \"x\"/y.toml");
        assert_eq!(reply.download.as_deref(), Some("caf___x__y.toml"));
        Header::from_bytes(
            "Content-Disposition",
            format!("attachment; filename=\"{}\"", reply.download.unwrap()),
        )
        .expect("a valid header");
    }
}
