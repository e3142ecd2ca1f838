//! The HTTP side of the Prometheus source: auth, TLS, timeouts, and retries with backoff and
//! jitter. Answers are parsed by [`super::response`].

use super::response::{self, AnswerError, Series};
use crate::error_chain::error_chain;
use crate::settings::{PrometheusAuth, PrometheusSettings};
use backon::Retryable;
use chrono::{DateTime, Utc};
use std::path::PathBuf;
use std::time::Duration;

/// Building the client failed: a credential or CA file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum BuildClientError {
    #[error("reading {what} {path} failed: {source}")]
    ReadFile {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} holds no usable PEM certificate: {message}")]
    BadCa { path: PathBuf, message: String },
    #[error("building the HTTP client failed: {0}")]
    Http(String),
}

/// One query failed, after its retries.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// Prometheus could not be reached or did not answer in time (it may be down).
    #[error("Prometheus at {url} is unreachable: {message}")]
    Unreachable { url: String, message: String },
    /// It answered with an HTTP error status.
    #[error("Prometheus answered HTTP {status}: {body}{}", auth_hint(*status))]
    Status { status: u16, body: String },
    #[error(transparent)]
    Answer(#[from] AnswerError),
}

fn auth_hint(status: u16) -> &'static str {
    match status {
        401 | 403 => {
            " (check [prometheus] bearer_token_file, or basic_auth_username and \
             basic_auth_password_file)"
        }
        _ => "",
    }
}

impl QueryError {
    /// Whether Prometheus itself is away (as opposed to refusing this one query).
    pub fn is_outage(&self) -> bool {
        match self {
            QueryError::Unreachable { .. } => true,
            QueryError::Status { status, .. } => *status >= 500 || *status == 429,
            QueryError::Answer(_) => false,
        }
    }
}

/// How credentials are sent; the secrets are never logged (no `Debug` of their contents).
enum Credentials {
    None,
    Bearer(String),
    Basic {
        username: String,
        password: Option<String>,
    },
}

pub struct PrometheusClient {
    http: reqwest::Client,
    base_url: String,
    credentials: Credentials,
    retries: u32,
    retry_backoff: Duration,
}

fn read_secret(what: &'static str, path: &PathBuf) -> Result<String, BuildClientError> {
    std::fs::read_to_string(path)
        .map(|s| s.trim_end_matches(['\n', '\r']).to_string())
        .map_err(|source| BuildClientError::ReadFile {
            what,
            path: path.clone(),
            source,
        })
}

impl PrometheusClient {
    pub fn new(base_url: &str, settings: &PrometheusSettings) -> Result<Self, BuildClientError> {
        crate::source::install_tls_provider();
        let mut builder = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .user_agent(concat!("k8s-monitor/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = &settings.ca_file {
            let pem = std::fs::read(path).map_err(|source| BuildClientError::ReadFile {
                what: "the CA file",
                path: path.clone(),
                source,
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .ok()
                .filter(|c| !c.is_empty())
                .ok_or_else(|| BuildClientError::BadCa {
                    path: path.clone(),
                    message: "expected -----BEGIN CERTIFICATE----- blocks".into(),
                })?;
            builder = builder.tls_certs_merge(certs);
        }
        let credentials = match &settings.auth {
            PrometheusAuth::None => Credentials::None,
            PrometheusAuth::Bearer { token_file } => {
                Credentials::Bearer(read_secret("the bearer token file", token_file)?)
            }
            PrometheusAuth::Basic {
                username,
                password_file,
            } => Credentials::Basic {
                username: username.clone(),
                password: password_file
                    .as_ref()
                    .map(|p| read_secret("the basic auth password file", p))
                    .transpose()?,
            },
        };
        Ok(PrometheusClient {
            http: builder
                .build()
                .map_err(|e| BuildClientError::Http(error_chain(&e)))?,
            base_url: base_url.trim_end_matches('/').to_string(),
            credentials,
            retries: settings.retries,
            retry_backoff: settings.retry_backoff,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `GET /api/v1/query?query=…&time=…`: the instant vector at `time`. `retry`: whether
    /// an outage-like failure is retried (not while Prometheus is known to be down: the next
    /// interval is the retry).
    pub async fn query(
        &self,
        promql: &str,
        time: DateTime<Utc>,
        retry: bool,
    ) -> Result<Vec<Series>, QueryError> {
        let params = [("query", promql.to_string()), ("time", unix(time))];
        self.get("/api/v1/query", &params, retry).await
    }

    /// `GET /api/v1/query_range`: one point per `step` from `start` to `end`, both included.
    pub async fn query_range(
        &self,
        promql: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        step: Duration,
    ) -> Result<Vec<Series>, QueryError> {
        let params = [
            ("query", promql.to_string()),
            ("start", unix(start)),
            ("end", unix(end)),
            ("step", format!("{:.3}", step.as_secs_f64())),
        ];
        self.get("/api/v1/query_range", &params, true).await
    }

    async fn get(
        &self,
        path: &str,
        params: &[(&str, String)],
        retry: bool,
    ) -> Result<Vec<Series>, QueryError> {
        let retries = if retry { self.retries } else { 0 };
        (|| self.get_once(path, params))
            .retry(crate::retry::policy(self.retry_backoff, retries))
            .when(QueryError::is_outage)
            .await
    }

    async fn get_once(
        &self,
        path: &str,
        params: &[(&str, String)],
    ) -> Result<Vec<Series>, QueryError> {
        let url = format!("{}{path}", self.base_url);
        let mut request = self.http.get(&url).query(params);
        request = match &self.credentials {
            Credentials::None => request,
            Credentials::Bearer(token) => request.bearer_auth(token),
            Credentials::Basic { username, password } => {
                request.basic_auth(username, password.as_ref())
            }
        };
        let unreachable = |e: reqwest::Error| QueryError::Unreachable {
            url: self.base_url.clone(),
            message: error_chain(&e),
        };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let body = response.bytes().await.map_err(unreachable)?;
        // Prometheus answers 400 and 422 with the API's JSON error, which says more.
        match response::parse(&body) {
            Err(AnswerError::Malformed(_)) if !status.is_success() => Err(QueryError::Status {
                status: status.as_u16(),
                body: String::from_utf8_lossy(&body[..body.len().min(200)])
                    .trim()
                    .to_string(),
            }),
            Err(e) if status.is_server_error() => Err(QueryError::Status {
                status: status.as_u16(),
                body: e.to_string(),
            }),
            other => Ok(other?),
        }
    }
}

fn unix(t: DateTime<Utc>) -> String {
    format!("{:.3}", t.timestamp_millis() as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;
    use std::sync::{Arc, Mutex as StdMutex};

    const VECTOR: &str = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"namespace":"shop","pod":"cart-1"},"value":[1700000000,"42"]}]}}"#;

    /// A loopback server answering `answers` in order (status, body), one per connection, and
    /// recording each request's head.
    fn serve(answers: Vec<(u16, &'static str)>) -> (String, Arc<StdMutex<Vec<String>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = format!("http://{}", listener.local_addr().unwrap());
        let heads = Arc::new(StdMutex::new(Vec::new()));
        let seen = heads.clone();
        std::thread::spawn(move || {
            for (status, body) in answers {
                let Ok((stream, _)) = listener.accept() else {
                    return;
                };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut head = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    head.push_str(&line);
                }
                seen.lock().unwrap().push(head);
                let mut stream = stream;
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        (addr, heads)
    }

    fn settings(auth: PrometheusAuth, retries: u32) -> PrometheusSettings {
        PrometheusSettings {
            timeout: Duration::from_secs(5),
            retries,
            retry_backoff: Duration::from_millis(10),
            auth,
            ..PrometheusSettings::default()
        }
    }

    fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }

    fn at() -> DateTime<Utc> {
        "2023-11-14T22:13:20Z".parse().unwrap()
    }

    #[test]
    fn bearer_token_is_sent_and_the_query_is_encoded() {
        let dir = tempfile::tempdir().unwrap();
        let token = dir.path().join("token");
        std::fs::write(&token, "t0ken\n").unwrap();
        let (url, heads) = serve(vec![(200, VECTOR)]);
        let client = PrometheusClient::new(
            &url,
            &settings(PrometheusAuth::Bearer { token_file: token }, 0),
        )
        .unwrap();
        let series = block_on(client.query(r#"up{job="a b"}"#, at(), true)).unwrap();
        assert_eq!(series[0].points, vec![(1_700_000_000.0, 42.0)]);
        let head = heads.lock().unwrap()[0].clone();
        assert!(head.contains("authorization: Bearer t0ken\r\n"), "{head}");
        assert!(
            head.starts_with(
                "GET /api/v1/query?query=up%7Bjob%3D%22a+b%22%7D&time=1700000000.000 "
            ),
            "{head}"
        );
    }

    #[test]
    fn basic_auth_is_sent() {
        let dir = tempfile::tempdir().unwrap();
        let password = dir.path().join("password");
        std::fs::write(&password, "s3cret").unwrap();
        let (url, heads) = serve(vec![(200, VECTOR)]);
        let auth = PrometheusAuth::Basic {
            username: "monitor".into(),
            password_file: Some(password),
        };
        let client = PrometheusClient::new(&url, &settings(auth, 0)).unwrap();
        block_on(client.query("up", at(), true)).unwrap();
        // base64("monitor:s3cret")
        assert!(heads.lock().unwrap()[0].contains("authorization: Basic bW9uaXRvcjpzM2NyZXQ=\r\n"));
    }

    #[test]
    fn server_errors_and_429_are_retried_bad_queries_are_not() {
        let (url, heads) = serve(vec![(503, "busy"), (429, "slow down"), (200, VECTOR)]);
        let client = PrometheusClient::new(&url, &settings(PrometheusAuth::None, 2)).unwrap();
        assert!(block_on(client.query("up", at(), true)).is_ok());
        assert_eq!(heads.lock().unwrap().len(), 3);

        let bad = r#"{"status":"error","errorType":"bad_data","error":"1:3: parse error"}"#;
        let (url, heads) = serve(vec![(400, bad), (200, VECTOR)]);
        let client = PrometheusClient::new(&url, &settings(PrometheusAuth::None, 2)).unwrap();
        let e = block_on(client.query("up{", at(), true)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Prometheus answered bad_data: 1:3: parse error"
        );
        assert!(!e.is_outage());
        assert_eq!(heads.lock().unwrap().len(), 1, "a bad query is not retried");

        let (url, _) = serve(vec![(500, "down"), (500, "still down")]);
        let client = PrometheusClient::new(&url, &settings(PrometheusAuth::None, 1)).unwrap();
        let e = block_on(client.query("up", at(), true)).unwrap_err();
        assert!(e.is_outage());
        assert_eq!(e.to_string(), "Prometheus answered HTTP 500: still down");
    }

    #[test]
    fn a_closed_port_is_an_outage_and_missing_files_are_named() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let client = PrometheusClient::new(
            &format!("http://127.0.0.1:{port}"),
            &settings(PrometheusAuth::None, 0),
        )
        .unwrap();
        let e = block_on(client.query("up", at(), true)).unwrap_err();
        assert!(e.is_outage(), "{e}");
        assert!(
            e.to_string().starts_with("Prometheus at http://127.0.0.1:"),
            "{e}"
        );

        let auth = PrometheusAuth::Bearer {
            token_file: "/nonexistent/token".into(),
        };
        let Err(e) = PrometheusClient::new("http://127.0.0.1:1", &settings(auth, 0)) else {
            panic!("a missing token file must fail")
        };
        assert!(
            e.to_string()
                .starts_with("reading the bearer token file /nonexistent/token failed"),
            "{e}"
        );
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, "not a certificate").unwrap();
        let with_ca = PrometheusSettings {
            ca_file: Some(ca),
            ..settings(PrometheusAuth::None, 0)
        };
        let Err(e) = PrometheusClient::new("https://127.0.0.1:1", &with_ca) else {
            panic!("a bad CA file must fail")
        };
        assert!(
            e.to_string().contains("holds no usable PEM certificate"),
            "{e}"
        );
    }
}
