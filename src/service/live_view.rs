//! The latest published documents, for the endpoint's `/api/v1/insights` and
//! `/api/v1/incidents`: the same JSON the insights writer puts in `pod_insights.json`, and the
//! open incidents as the analysis holds them. Serialised once by the agent that owns the data
//! (on its own schedule), so a request only clones a reference-counted buffer and never waits
//! on, or slows, the pipeline.

use std::sync::{Arc, RwLock};

#[derive(Debug)]
struct Documents {
    insights: Arc<[u8]>,
    incidents: Arc<[u8]>,
}

/// A handle to the latest documents (cheap to clone).
#[derive(Debug, Clone)]
pub struct LiveView(Arc<RwLock<Documents>>);

impl Default for LiveView {
    fn default() -> Self {
        // Until the first pass: empty lists, not errors, so clients need no special case.
        LiveView(Arc::new(RwLock::new(Documents {
            insights: Arc::from(&b"[]"[..]),
            incidents: Arc::from(&b"[]"[..]),
        })))
    }
}

impl LiveView {
    pub fn new() -> LiveView {
        LiveView::default()
    }

    pub fn set_insights(&self, json: Vec<u8>) {
        self.0.write().unwrap_or_else(|e| e.into_inner()).insights = Arc::from(json);
    }

    pub fn set_incidents(&self, json: Vec<u8>) {
        self.0.write().unwrap_or_else(|e| e.into_inner()).incidents = Arc::from(json);
    }

    pub fn insights(&self) -> Arc<[u8]> {
        self.0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .insights
            .clone()
    }

    pub fn incidents(&self) -> Arc<[u8]> {
        self.0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .incidents
            .clone()
    }
}
