//! A small Kubernetes API server on 127.0.0.1 for the Kubernetes source's tests: HTTP/1.1 on
//! std threads, speaking the API's real JSON, checked against the real `kubectl`.
//!
//! It serves, for the core resources `pods` and `events` (all namespaces or one):
//! - lists (`PodList`/`EventList`, `metadata.resourceVersion`, `limit` + `continue` pages,
//!   `fieldSelector` equality terms such as `involvedObject.kind=Pod`);
//! - watches (`?watch=true&resourceVersion=N`): newline-delimited `{"type","object"}` events in
//!   chunked transfer encoding, from a history of changes; a resource version older than the
//!   compacted history is answered with an `ERROR` event (Status 410 `Expired`), as the real
//!   watch cache does; `timeoutSeconds` is honoured;
//! - `metrics.k8s.io/v1beta1` PodMetrics lists (404 when "metrics-server is not installed");
//! - `/version` and the legacy discovery documents (`/api`, `/api/v1`, `/apis`, ...) kubectl
//!   needs.
//!
//! The test drives it: objects change (with or without a trace in the watch history), watches
//! expire with 410, answers fail with real Status objects (401/403/500), get slow, hang, and the
//! whole server stops (listener and connections closed) and comes back on the same port.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Resource {
    Pods,
    Events,
}

impl Resource {
    fn list_kind(self) -> &'static str {
        match self {
            Resource::Pods => "PodList",
            Resource::Events => "EventList",
        }
    }
    fn kind(self) -> &'static str {
        match self {
            Resource::Pods => "Pod",
            Resource::Events => "Event",
        }
    }
    fn plural(self) -> &'static str {
        match self {
            Resource::Pods => "pods",
            Resource::Events => "events",
        }
    }
}

/// One change in the watch history.
struct Change {
    rv: u64,
    resource: Resource,
    kind: &'static str,
    object: Value,
}

/// Everything the server knows; the test changes it through [`FakeApiServer`].
#[derive(Default)]
pub struct State {
    rv: u64,
    objects: BTreeMap<(Resource, String, String), Value>,
    history: Vec<Change>,
    /// A watch from a resource version below this gets 410 Gone.
    compacted_below: u64,
    /// Bumped to end every open watch with a 410 ERROR event.
    expire_epoch: u64,
    /// Bumped to close every open watch (as an API server restart would).
    drop_epoch: u64,
    /// PodMetrics items; `None`: metrics.k8s.io is not served (404).
    pod_metrics: Option<Vec<Value>>,
    /// Answer resource requests with this error code (401, 403, 500, ...).
    failure: Option<u16>,
    delay: Duration,
    hang: bool,
    /// Request lines served, `GET /path?query`.
    requests: Vec<String>,
    next_uid: u64,
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl State {
    fn bump(&mut self) -> u64 {
        self.rv += 1;
        self.rv
    }

    /// Adds or replaces an object; with `record`, the change goes to the watch history.
    fn put(&mut self, resource: Resource, mut object: Value, record: bool) {
        let ns = object["metadata"]["namespace"]
            .as_str()
            .expect("metadata.namespace")
            .to_string();
        let name = object["metadata"]["name"]
            .as_str()
            .expect("metadata.name")
            .to_string();
        let key = (resource, ns, name);
        let existing = self.objects.get(&key).cloned();
        let rv = self.bump();
        let meta = object["metadata"].as_object_mut().unwrap();
        meta.insert("resourceVersion".into(), json!(rv.to_string()));
        let uid = existing
            .as_ref()
            .and_then(|e| e["metadata"]["uid"].as_str().map(str::to_string))
            .unwrap_or_else(|| {
                self.next_uid += 1;
                format!("00000000-0000-4000-8000-{:012}", self.next_uid)
            });
        meta.entry("uid").or_insert(json!(uid));
        let created = existing
            .as_ref()
            .and_then(|e| {
                e["metadata"]["creationTimestamp"]
                    .as_str()
                    .map(str::to_string)
            })
            .unwrap_or_else(now_rfc3339);
        meta.entry("creationTimestamp").or_insert(json!(created));
        object["apiVersion"] = json!("v1");
        object["kind"] = json!(resource.kind());
        if record {
            self.history.push(Change {
                rv,
                resource,
                kind: if existing.is_some() {
                    "MODIFIED"
                } else {
                    "ADDED"
                },
                object: object.clone(),
            });
        }
        self.objects.insert(key, object);
    }

    fn delete(&mut self, resource: Resource, ns: &str, name: &str, record: bool) {
        let key = (resource, ns.to_string(), name.to_string());
        let Some(mut object) = self.objects.remove(&key) else {
            panic!("no {} {ns}/{name} to delete", resource.plural());
        };
        let rv = self.bump();
        object["metadata"]["resourceVersion"] = json!(rv.to_string());
        if record {
            self.history.push(Change {
                rv,
                resource,
                kind: "DELETED",
                object,
            });
        }
    }

    /// Pod `ns/name` (panics if absent), for read-modify-write.
    pub fn pod(&self, ns: &str, name: &str) -> Value {
        self.objects
            .get(&(Resource::Pods, ns.to_string(), name.to_string()))
            .cloned()
            .unwrap_or_else(|| panic!("no pod {ns}/{name}"))
    }
}

struct Inner {
    state: Mutex<State>,
    changed: Condvar,
    /// The listener and its connections are up.
    running: AtomicBool,
    /// Open connections, shut down when the server stops.
    connections: Mutex<Vec<TcpStream>>,
}

pub struct FakeApiServer {
    inner: Arc<Inner>,
    port: u16,
    acceptor: Option<JoinHandle<()>>,
}

impl FakeApiServer {
    pub fn start() -> FakeApiServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fake API server");
        let port = listener.local_addr().unwrap().port();
        let inner = Arc::new(Inner {
            state: Mutex::new(State {
                rv: 100,
                ..State::default()
            }),
            changed: Condvar::new(),
            running: AtomicBool::new(true),
            connections: Mutex::new(Vec::new()),
        });
        let acceptor = Some(spawn_acceptor(listener, inner.clone()));
        FakeApiServer {
            inner,
            port,
            acceptor,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A kubeconfig for this server (bearer token user, as a service account would have).
    pub fn write_kubeconfig(&self, dir: &Path) -> PathBuf {
        let path = dir.join("kubeconfig");
        std::fs::write(
            &path,
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {}\n\
                 users:\n- name: tester\n  user:\n    token: fake-token\n\
                 contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: tester\n    namespace: default\n\
                 current-context: fake\n",
                self.url()
            ),
        )
        .unwrap();
        path
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap()
    }

    /// Changes the state and wakes the watches.
    pub fn change<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let out = f(&mut self.state());
        self.inner.changed.notify_all();
        out
    }

    pub fn put_pod(&self, pod: Value) {
        self.change(|s| s.put(Resource::Pods, pod, true));
    }

    /// Read-modify-write of a pod, seen by watches as MODIFIED.
    pub fn modify_pod(&self, ns: &str, name: &str, f: impl FnOnce(&mut Value)) {
        self.change(|s| {
            let mut pod = s.pod(ns, name);
            f(&mut pod);
            s.put(Resource::Pods, pod, true);
        });
    }

    pub fn delete_pod(&self, ns: &str, name: &str) {
        self.change(|s| s.delete(Resource::Pods, ns, name, true));
    }

    pub fn put_event(&self, event: Value) {
        self.change(|s| s.put(Resource::Events, event, true));
    }

    pub fn set_pod_metrics(&self, items: Option<Vec<Value>>) {
        self.change(|s| s.pod_metrics = items);
    }

    /// Changes made without a trace in the watch history, then every watch expires: only a
    /// re-list can show them (a compacted history, as after etcd compaction).
    pub fn expire_watches_after(&self, silent: impl FnOnce(&mut SilentState<'_>)) {
        self.change(|s| {
            silent(&mut SilentState(s));
            // Resuming from any version before now is too old; a fresh list is not.
            s.compacted_below = s.rv;
            s.expire_epoch += 1;
        });
    }

    /// Answer every resource request with this HTTP error (None: answer normally).
    pub fn set_failure(&self, code: Option<u16>) {
        self.change(|s| s.failure = code);
    }

    /// Closes the open watches (the client then has to ask again).
    pub fn drop_watches(&self) {
        self.change(|s| s.drop_epoch += 1);
    }

    /// Delay before every answer.
    pub fn set_delay(&self, delay: Duration) {
        self.change(|s| s.delay = delay);
    }

    /// Accept connections but answer nothing, and send nothing on open watches.
    pub fn set_hang(&self, hang: bool) {
        self.change(|s| s.hang = hang);
    }

    pub fn requests(&self) -> Vec<String> {
        self.state().requests.clone()
    }

    /// List requests (not watches) for `path`.
    pub fn lists_of(&self, path: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| {
                let target = r.trim_start_matches("GET ");
                let (p, q) = target.split_once('?').unwrap_or((target, ""));
                p == path && !q.split('&').any(|kv| kv == "watch=true" || kv == "watch=1")
            })
            .count()
    }

    /// The server goes away: listener closed, every connection shut down.
    pub fn stop(&mut self) {
        self.inner.running.store(false, Ordering::SeqCst);
        self.inner.changed.notify_all();
        if let Some(a) = self.acceptor.take() {
            a.join().unwrap();
        }
        for c in self.inner.connections.lock().unwrap().drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
    }

    /// Back on the same port, with the same state.
    pub fn restart(&mut self) {
        assert!(self.acceptor.is_none(), "restart after stop");
        let listener = TcpListener::bind(("127.0.0.1", self.port)).expect("rebind the same port");
        self.inner.running.store(true, Ordering::SeqCst);
        self.acceptor = Some(spawn_acceptor(listener, self.inner.clone()));
    }
}

impl Drop for FakeApiServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The state, changed without recording watch history.
pub struct SilentState<'a>(&'a mut State);

impl SilentState<'_> {
    pub fn delete_pod(&mut self, ns: &str, name: &str) {
        self.0.delete(Resource::Pods, ns, name, false);
    }
    pub fn modify_pod(&mut self, ns: &str, name: &str, f: impl FnOnce(&mut Value)) {
        let mut pod = self.0.pod(ns, name);
        f(&mut pod);
        self.0.put(Resource::Pods, pod, false);
    }
}

fn spawn_acceptor(listener: TcpListener, inner: Arc<Inner>) -> JoinHandle<()> {
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        while inner.running.load(Ordering::SeqCst) {
            match listener.accept() {
                Ok((stream, _)) => {
                    stream.set_nonblocking(false).unwrap();
                    inner
                        .connections
                        .lock()
                        .unwrap()
                        .push(stream.try_clone().unwrap());
                    let inner = inner.clone();
                    std::thread::spawn(move || serve(stream, &inner));
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    })
}

/// `%XX` and `+` decoding of a query component.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => out.push(b),
                    Err(_) => out.extend_from_slice(&bytes[i..i + 3]),
                }
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

struct Request {
    method: String,
    path: String,
    query: BTreeMap<String, String>,
}

fn read_request(stream: &TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    // Headers: read to the blank line (GETs carry no body).
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let query = query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k), decode(v))
        })
        .collect();
    Some(Request {
        method,
        path: path.to_string(),
        query,
    })
}

fn respond(mut stream: &TcpStream, code: u16, body: &Value) {
    let text = body.to_string();
    let reason = match code {
        200 => "OK",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        500 => "Internal Server Error",
        _ => "Error",
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {code} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Cache-Control: no-cache, private\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = stream.flush();
}

/// A Status object as the API server sends it.
pub fn status(code: u16, reason: &str, message: &str, kind: Option<&str>) -> Value {
    let mut s = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {},
        "status": "Failure", "message": message, "reason": reason, "code": code
    });
    if let Some(kind) = kind {
        s["details"] = json!({ "kind": kind });
    }
    s
}

fn failure_status(code: u16, resource: &str, namespace: Option<&str>) -> Value {
    match code {
        401 => status(401, "Unauthorized", "Unauthorized", None),
        403 => {
            let scope = namespace.map_or("at the cluster scope".to_string(), |ns| {
                format!("in the namespace \"{ns}\"")
            });
            let (group, name) = resource
                .split_once('.')
                .map_or(("", resource), |(n, g)| (g, n));
            status(
                403,
                "Forbidden",
                &format!(
                    "{resource} is forbidden: User \"system:serviceaccount:monitoring:k8s-monitor\" \
                     cannot list resource \"{name}\" in API group \"{group}\" {scope}"
                ),
                Some(name),
            )
        }
        500 => status(
            500,
            "InternalError",
            "Internal error occurred: etcdserver: request timed out",
            None,
        ),
        other => status(other, "", "error", None),
    }
}

/// `(resource, namespace)` of a core resource path, or None.
fn core_resource(path: &str) -> Option<(Resource, Option<String>)> {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (ns, plural) = match parts.as_slice() {
        ["api", "v1", plural] => (None, *plural),
        ["api", "v1", "namespaces", ns, plural] => (Some(ns.to_string()), *plural),
        _ => return None,
    };
    let r = match plural {
        "pods" => Resource::Pods,
        "events" => Resource::Events,
        _ => return None,
    };
    Some((r, ns))
}

fn metrics_path(path: &str) -> Option<Option<String>> {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["apis", "metrics.k8s.io", "v1beta1", "pods"] => Some(None),
        ["apis", "metrics.k8s.io", "v1beta1", "namespaces", ns, "pods"] => {
            Some(Some(ns.to_string()))
        }
        _ => None,
    }
}

/// The value at a dotted path (`involvedObject.kind`).
fn at_path<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(v, |v, k| &v[k])
}

/// Field selector equality terms (`a.b=c,d==e`); `Err` for anything else.
fn field_selector(s: Option<&String>) -> Result<Vec<(String, String)>, String> {
    let Some(s) = s.filter(|s| !s.is_empty()) else {
        return Ok(Vec::new());
    };
    s.split(',')
        .map(|term| {
            if term.contains("!=") {
                return Err(format!("unsupported field selector {term:?}"));
            }
            let (k, v) = term
                .split_once("==")
                .or_else(|| term.split_once('='))
                .ok_or_else(|| format!("invalid field selector {term:?}"))?;
            Ok((k.to_string(), v.to_string()))
        })
        .collect()
}

fn matches(object: &Value, ns: Option<&str>, selector: &[(String, String)]) -> bool {
    ns.is_none_or(|ns| object["metadata"]["namespace"] == ns)
        && selector
            .iter()
            .all(|(k, v)| at_path(object, k).as_str().unwrap_or("") == v)
}

fn discovery(path: &str, metrics_served: bool) -> Option<Value> {
    let resource = |name: &str, kind: &str, namespaced: bool, verbs: &[&str]| json!({"name": name, "singularName": "", "namespaced": namespaced, "kind": kind, "verbs": verbs});
    let metrics_group = json!({
        "name": "metrics.k8s.io",
        "versions": [{"groupVersion": "metrics.k8s.io/v1beta1", "version": "v1beta1"}],
        "preferredVersion": {"groupVersion": "metrics.k8s.io/v1beta1", "version": "v1beta1"}
    });
    Some(match path {
        "/version" => json!({
            "major": "1", "minor": "33", "gitVersion": "v1.33.0", "gitCommit": "fake",
            "gitTreeState": "clean", "buildDate": "2025-04-23T00:00:00Z", "goVersion": "go1.24.2",
            "compiler": "gc", "platform": "linux/amd64"
        }),
        "/api" => json!({
            "kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}]
        }),
        "/api/v1" => json!({
            "kind": "APIResourceList", "groupVersion": "v1",
            "resources": [
                resource("pods", "Pod", true, &["get", "list", "watch"]),
                resource("events", "Event", true, &["get", "list", "watch"]),
                resource("namespaces", "Namespace", false, &["get", "list"]),
            ]
        }),
        "/apis" => json!({
            "kind": "APIGroupList", "apiVersion": "v1",
            "groups": if metrics_served { vec![metrics_group] } else { vec![] }
        }),
        "/apis/metrics.k8s.io/v1beta1" if metrics_served => json!({
            "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "metrics.k8s.io/v1beta1",
            "resources": [
                resource("pods", "PodMetrics", true, &["get", "list"]),
                resource("nodes", "NodeMetrics", false, &["get", "list"]),
            ]
        }),
        _ => return None,
    })
}

fn serve(stream: TcpStream, inner: &Inner) {
    let Some(req) = read_request(&stream) else {
        return;
    };
    let watch = matches!(
        req.query.get("watch").map(String::as_str),
        Some("true" | "1")
    );
    let (delay, failure, metrics_served) = {
        let mut s = inner.state.lock().unwrap();
        let q: Vec<String> = req.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        s.requests.push(if q.is_empty() {
            format!("{} {}", req.method, req.path)
        } else {
            format!("{} {}?{}", req.method, req.path, q.join("&"))
        });
        // A hung server: nothing until it is released (or stopped).
        while s.hang && inner.running.load(Ordering::SeqCst) {
            s = inner
                .changed
                .wait_timeout(s, Duration::from_millis(100))
                .unwrap()
                .0;
        }
        (s.delay, s.failure, s.pod_metrics.is_some())
    };
    if !inner.running.load(Ordering::SeqCst) {
        return;
    }
    std::thread::sleep(delay);
    if req.method != "GET" {
        respond(
            &stream,
            405,
            &status(405, "MethodNotAllowed", "read-only fake", None),
        );
        return;
    }
    // Credentials are checked for every request; authorisation spares the public discovery.
    if failure == Some(401) {
        respond(&stream, 401, &failure_status(401, "", None));
        return;
    }
    if let Some(doc) = discovery(&req.path, metrics_served) {
        respond(&stream, 200, &doc);
        return;
    }
    if let Some((resource, ns)) = core_resource(&req.path) {
        if let Some(code) = failure {
            respond(
                &stream,
                code,
                &failure_status(code, resource.plural(), ns.as_deref()),
            );
            return;
        }
        let selector = match field_selector(req.query.get("fieldSelector")) {
            Ok(s) => s,
            Err(e) => {
                respond(&stream, 400, &status(400, "BadRequest", &e, None));
                return;
            }
        };
        if watch {
            serve_watch(
                stream,
                inner,
                resource,
                ns.as_deref(),
                &selector,
                &req.query,
            );
        } else {
            serve_list(
                &stream,
                inner,
                resource,
                ns.as_deref(),
                &selector,
                &req.query,
            );
        }
        return;
    }
    if let Some(ns) = metrics_path(&req.path) {
        if let Some(code) = failure {
            respond(
                &stream,
                code,
                &failure_status(code, "pods.metrics.k8s.io", ns.as_deref()),
            );
            return;
        }
        let s = inner.state.lock().unwrap();
        match &s.pod_metrics {
            None => respond(
                &stream,
                404,
                &status(
                    404,
                    "NotFound",
                    "the server could not find the requested resource",
                    None,
                ),
            ),
            Some(items) => {
                let items: Vec<&Value> = items
                    .iter()
                    .filter(|i| matches(i, ns.as_deref(), &[]))
                    .collect();
                respond(
                    &stream,
                    200,
                    &json!({
                        "kind": "PodMetricsList", "apiVersion": "metrics.k8s.io/v1beta1",
                        "metadata": {}, "items": items
                    }),
                );
            }
        }
        return;
    }
    respond(
        &stream,
        404,
        &status(
            404,
            "NotFound",
            "the server could not find the requested resource",
            None,
        ),
    );
}

fn serve_list(
    stream: &TcpStream,
    inner: &Inner,
    resource: Resource,
    ns: Option<&str>,
    selector: &[(String, String)],
    query: &BTreeMap<String, String>,
) {
    let s = inner.state.lock().unwrap();
    let all: Vec<&Value> = s
        .objects
        .iter()
        .filter(|((r, _, _), o)| *r == resource && matches(o, ns, selector))
        .map(|(_, o)| o)
        .collect();
    let start: usize = query
        .get("continue")
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let limit: usize = query
        .get("limit")
        .and_then(|l| l.parse().ok())
        .filter(|l| *l > 0)
        .unwrap_or(usize::MAX);
    let end = start.saturating_add(limit).min(all.len());
    let mut metadata = json!({ "resourceVersion": s.rv.to_string() });
    if end < all.len() {
        metadata["continue"] = json!(end.to_string());
        metadata["remainingItemCount"] = json!(all.len() - end);
    }
    respond(
        stream,
        200,
        &json!({
            "kind": resource.list_kind(), "apiVersion": "v1",
            "metadata": metadata, "items": all[start.min(end)..end]
        }),
    );
}

fn write_chunk(mut stream: &TcpStream, line: &Value) -> bool {
    let mut text = line.to_string();
    text.push('\n');
    write!(stream, "{:x}\r\n{text}\r\n", text.len()).is_ok() && stream.flush().is_ok()
}

fn serve_watch(
    stream: TcpStream,
    inner: &Inner,
    resource: Resource,
    ns: Option<&str>,
    selector: &[(String, String)],
    query: &BTreeMap<String, String>,
) {
    let from: u64 = query
        .get("resourceVersion")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let deadline = query
        .get("timeoutSeconds")
        .and_then(|t| t.parse().ok())
        .map(|t: u64| Instant::now() + Duration::from_secs(t));
    let head =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\
                Cache-Control: no-cache, private\r\n\r\n";
    if (&stream).write_all(head.as_bytes()).is_err() {
        return;
    }
    let expired = json!({
        "type": "ERROR",
        "object": status(410, "Expired", &format!("too old resource version: {from} (compacted)"), None)
    });
    let mut s = inner.state.lock().unwrap();
    if from != 0 && from < s.compacted_below {
        drop(s);
        write_chunk(&stream, &expired);
        let _ = (&stream).write_all(b"0\r\n\r\n");
        return;
    }
    let (expire_epoch, drop_epoch) = (s.expire_epoch, s.drop_epoch);
    let mut sent_up_to = from;
    loop {
        if !inner.running.load(Ordering::SeqCst) || s.drop_epoch != drop_epoch {
            break;
        }
        if s.expire_epoch != expire_epoch {
            drop(s);
            write_chunk(&stream, &expired);
            let _ = (&stream).write_all(b"0\r\n\r\n");
            return;
        }
        if !s.hang {
            let pending: Vec<Value> = s
                .history
                .iter()
                .filter(|c| c.rv > sent_up_to && c.resource == resource)
                .filter(|c| matches(&c.object, ns, selector))
                .map(|c| json!({"type": c.kind, "object": c.object}))
                .collect();
            sent_up_to = s.rv;
            if !pending.is_empty() {
                drop(s);
                for line in &pending {
                    if !write_chunk(&stream, line) {
                        return;
                    }
                }
                s = inner.state.lock().unwrap();
                continue;
            }
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        s = inner
            .changed
            .wait_timeout(s, Duration::from_millis(100))
            .unwrap()
            .0;
    }
    drop(s);
    // End of stream (timeout or dropped), unless the server is gone.
    if inner.running.load(Ordering::SeqCst) {
        let _ = (&stream).write_all(b"0\r\n\r\n");
    }
    let _ = stream.shutdown(Shutdown::Both);
}

// ---- objects as the API server would return them ----

/// A pod with one container per `(name, cpu limit, memory limit)`, all ready, running on
/// `node` (or Pending and unscheduled when `node` is None).
pub fn pod(ns: &str, name: &str, node: Option<&str>, containers: &[(&str, &str, &str)]) -> Value {
    let specs: Vec<Value> = containers
        .iter()
        .map(|(c, cpu, mem)| {
            json!({"name": c, "image": format!("registry.example/{c}:1"),
                   "resources": {"limits": {"cpu": cpu, "memory": mem}}})
        })
        .collect();
    let statuses: Vec<Value> = containers
        .iter()
        .map(|(c, _, _)| {
            json!({"name": c, "ready": true, "restartCount": 0, "started": true,
                   "image": format!("registry.example/{c}:1"), "imageID": "",
                   "state": {"running": {"startedAt": now_rfc3339()}}})
        })
        .collect();
    let mut spec = json!({"containers": specs, "restartPolicy": "Always"});
    let status = match node {
        Some(n) => {
            spec["nodeName"] = json!(n);
            json!({"phase": "Running", "podIP": "10.0.0.1", "hostIP": "192.168.0.1",
                   "startTime": now_rfc3339(), "qosClass": "Guaranteed",
                   "containerStatuses": statuses})
        }
        None => json!({"phase": "Pending", "qosClass": "Guaranteed"}),
    };
    json!({
        "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
        "spec": spec,
        "status": status
    })
}

/// A core/v1 Event about a pod, happening now.
pub fn pod_event(
    ns: &str,
    pod: &str,
    name: &str,
    type_: &str,
    reason: &str,
    message: &str,
) -> Value {
    json!({
        "metadata": {"name": name, "namespace": ns},
        "involvedObject": {"kind": "Pod", "namespace": ns, "name": pod, "apiVersion": "v1"},
        "reason": reason, "message": message, "type": type_,
        "source": {"component": "kubelet", "host": "node-a"},
        "firstTimestamp": now_rfc3339(), "lastTimestamp": now_rfc3339(), "count": 1,
        "reportingComponent": "kubelet", "reportingInstance": "node-a"
    })
}

/// A PodMetrics item: `(container, cpu, memory)` usage quantities.
pub fn pod_metrics(ns: &str, pod: &str, containers: &[(&str, &str, &str)]) -> Value {
    json!({
        "metadata": {"name": pod, "namespace": ns, "creationTimestamp": now_rfc3339(),
                     "labels": {"app": pod}},
        "timestamp": now_rfc3339(), "window": "15.012s",
        "containers": containers.iter().map(|(c, cpu, mem)| {
            json!({"name": c, "usage": {"cpu": cpu, "memory": mem}})
        }).collect::<Vec<_>>()
    })
}
