//! `metrics.k8s.io/v1beta1` PodMetrics (metrics-server): CPU and memory usage per pod.
//!
//! PodMetrics is not in k8s-openapi, so the list is read through a dynamic `Api` and its
//! items are decoded into the small serde types below. A pod's usage is the sum over its
//! containers (`usage.cpu` in cores, typically nanocores like `"12345678n"`; `usage.memory`,
//! the working set, typically `"51200Ki"`); a container without a readable value leaves that
//! field empty for the pod.

use super::events::PodKey;
use super::quantity;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

/// One pod's usage; `None` where it could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PodUsage {
    pub cpu_millicores: Option<f64>,
    pub memory_bytes: Option<f64>,
}

pub type Usage = HashMap<PodKey, PodUsage>;

#[derive(Debug, Deserialize)]
struct PodMetricsData {
    #[serde(default)]
    containers: Vec<ContainerMetrics>,
}

#[derive(Debug, Deserialize)]
struct ContainerMetrics {
    #[serde(default)]
    usage: BTreeMap<String, String>,
}

/// The PodMetrics resource, for a dynamic `Api`.
pub fn pod_metrics_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("metrics.k8s.io", "v1beta1", "PodMetrics"),
        "pods",
    )
}

/// Sum over containers; `None` if there are none or any is unreadable.
fn sum(
    containers: &[ContainerMetrics],
    resource: &str,
    parse: fn(&str) -> Option<f64>,
) -> Option<f64> {
    if containers.is_empty() {
        return None;
    }
    containers
        .iter()
        .map(|c| c.usage.get(resource).and_then(|q| parse(q)))
        .sum()
}

/// One PodMetrics item as the pod it measures and its usage.
pub fn pod_usage(item: &DynamicObject) -> Option<(PodKey, PodUsage)> {
    let key = (
        item.metadata.namespace.clone()?,
        item.metadata.name.clone()?,
    );
    let data: PodMetricsData = serde_json::from_value(item.data.clone()).ok()?;
    Some((
        key,
        PodUsage {
            cpu_millicores: sum(&data.containers, "cpu", quantity::millicores),
            memory_bytes: sum(&data.containers, "memory", quantity::bytes),
        },
    ))
}

/// Lists the PodMetrics `api` covers.
pub async fn fetch(api: &Api<DynamicObject>) -> Result<Usage, kube::Error> {
    let list = api.list(&ListParams::default()).await?;
    Ok(list.items.iter().filter_map(pod_usage).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_pod_metrics_item_sums_its_containers() {
        let item: DynamicObject = serde_json::from_value(json!({
            "metadata": {"name": "cart-1", "namespace": "shop"},
            "timestamp": "2030-01-01T00:00:00Z",
            "window": "15.012s",
            "containers": [
                {"name": "app", "usage": {"cpu": "250000000n", "memory": "102400Ki"}},
                {"name": "proxy", "usage": {"cpu": "5m", "memory": "10Mi"}}
            ]
        }))
        .unwrap();
        let (key, usage) = pod_usage(&item).unwrap();
        assert_eq!(key, ("shop".to_string(), "cart-1".to_string()));
        assert_eq!(usage.cpu_millicores, Some(255.0));
        assert_eq!(usage.memory_bytes, Some(110.0 * 1024.0 * 1024.0));
    }

    #[test]
    fn an_unreadable_container_empties_the_pods_field_only() {
        let item: DynamicObject = serde_json::from_value(json!({
            "metadata": {"name": "cart-1", "namespace": "shop"},
            "containers": [
                {"name": "app", "usage": {"cpu": "1m", "memory": "lots"}},
                {"name": "proxy", "usage": {"cpu": "2m", "memory": "1Ki"}}
            ]
        }))
        .unwrap();
        let (_, usage) = pod_usage(&item).unwrap();
        assert_eq!(usage.cpu_millicores, Some(3.0));
        assert_eq!(usage.memory_bytes, None);

        let empty: DynamicObject = serde_json::from_value(json!({
            "metadata": {"name": "new-1", "namespace": "shop"}, "containers": []
        }))
        .unwrap();
        assert_eq!(pod_usage(&empty).unwrap().1, PodUsage::default());
    }
}
