//! Just enough HTTP/1.1 for a Prometheus scrape: the request line in, one response out, then
//! the connection closes. Pure, so routing is tested without sockets.

use super::LiveCluster;
use crate::simulator::exposition::CONTENT_TYPE;
use chrono::{DateTime, Utc};

/// A complete response, encoded by [`Response::to_bytes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

impl Response {
    fn new(status: u16, content_type: &'static str, body: String) -> Response {
        Response {
            status,
            content_type,
            body,
        }
    }

    fn text(status: u16, body: &str) -> Response {
        Response::new(status, "text/plain; charset=utf-8", format!("{body}\n"))
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let reason = match self.status {
            200 => "OK",
            400 => "Bad Request",
            404 => "Not Found",
            405 => "Method Not Allowed",
            _ => "Internal Server Error",
        };
        let mut out = format!(
            "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.status,
            self.content_type,
            self.body.len()
        )
        .into_bytes();
        out.extend_from_slice(self.body.as_bytes());
        out
    }
}

/// `(method, path without query)` of the request line, or `None` if it is not HTTP.
pub fn parse_request_line(head: &str) -> Option<(&str, &str)> {
    let line = head.lines().next()?;
    let mut parts = line.split(' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    if !version.starts_with("HTTP/") || parts.next().is_some() {
        return None;
    }
    let path = target.split('?').next().unwrap_or(target);
    Some((method, path))
}

/// Advances the cluster to `now` and answers the request whose head is `head`.
pub fn respond(head: &str, live: &mut LiveCluster, now: DateTime<Utc>) -> Response {
    let Some((method, path)) = parse_request_line(head) else {
        return Response::text(400, "bad request");
    };
    if !matches!(path, "/metrics" | "/faults" | "/-/healthy") {
        return Response::text(404, "not found");
    }
    if method != "GET" {
        return Response::text(405, "only GET");
    }
    match path {
        "/metrics" => {
            live.advance_to(now);
            Response::new(200, CONTENT_TYPE, live.metrics_text(now))
        }
        "/faults" => {
            live.advance_to(now);
            match serde_json::to_string_pretty(&live.faults()) {
                Ok(json) => Response::new(200, "application/json", json + "\n"),
                Err(e) => Response::text(500, &e.to_string()),
            }
        }
        _ => Response::text(200, "OK"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulator::SimulatorSettings;
    use chrono::TimeDelta;

    fn live() -> (LiveCluster, DateTime<Utc>) {
        let start: DateTime<Utc> = "2026-01-05T00:00:00Z".parse().unwrap();
        let settings = SimulatorSettings {
            pods: 3,
            ..SimulatorSettings::default()
        };
        (
            LiveCluster::new(&settings, start, TimeDelta::seconds(5)),
            start,
        )
    }

    #[test]
    fn routes() {
        let (mut live, now) = live();
        let get = |live: &mut LiveCluster, path: &str| {
            respond(
                &format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n"),
                live,
                now,
            )
        };
        let m = get(&mut live, "/metrics?x=1");
        assert_eq!((m.status, m.content_type), (200, CONTENT_TYPE));
        assert!(m.body.contains("\ncontainer_memory_working_set_bytes{"));
        let f = get(&mut live, "/faults");
        assert_eq!((f.status, f.body.as_str()), (200, "[]\n"));
        assert_eq!(get(&mut live, "/-/healthy").status, 200);
        assert_eq!(get(&mut live, "/").status, 404);
        assert_eq!(get(&mut live, "/metricsx").status, 404);
        assert_eq!(
            respond("POST /metrics HTTP/1.1\r\n", &mut live, now).status,
            405
        );
        assert_eq!(respond("hello", &mut live, now).status, 400);
    }

    #[test]
    fn encodes_length_and_close() {
        let bytes = Response::text(404, "not found").to_bytes();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("HTTP/1.1 404 Not Found\r\n"));
        assert!(text.contains("Content-Length: 10\r\nConnection: close\r\n\r\nnot found\n"));
    }
}
