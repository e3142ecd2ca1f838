//! Nodes of the simulated cluster, and which of them take new pods: a node being drained is
//! cordoned (unschedulable) until its maintenance is over.

use chrono::{DateTime, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

#[derive(Debug, Clone, PartialEq)]
struct Node {
    name: String,
    /// Unschedulable during `[from, until)`.
    cordoned: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

impl Node {
    fn schedulable_at(&self, at: DateTime<Utc>) -> bool {
        self.cordoned
            .is_none_or(|(from, until)| at < from || at >= until)
    }
}

/// The cluster's nodes, `node-1` to `node-N`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Nodes {
    nodes: Vec<Node>,
}

impl Nodes {
    pub fn new(count: usize) -> Nodes {
        Nodes {
            nodes: (1..=count.max(1))
                .map(|i| Node {
                    name: format!("node-{i}"),
                    cordoned: None,
                })
                .collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn name(&self, index: usize) -> &str {
        &self.nodes[index].name
    }

    pub fn schedulable_at(&self, index: usize, at: DateTime<Utc>) -> bool {
        self.nodes[index].schedulable_at(at)
    }

    /// A node for a new pod at `at`: any schedulable one, uniformly (every node if none is).
    pub fn pick(&self, at: DateTime<Utc>, rng: &mut ChaCha8Rng) -> String {
        let open = self.nodes.iter().filter(|n| n.schedulable_at(at)).count();
        if open == 0 {
            return self.nodes[rng.random_range(0..self.nodes.len())]
                .name
                .clone();
        }
        let pick = rng.random_range(0..open);
        self.nodes
            .iter()
            .filter(|n| n.schedulable_at(at))
            .nth(pick)
            .map_or_else(|| self.nodes[0].name.clone(), |n| n.name.clone())
    }

    /// Marks node `index` unschedulable during `[from, until)`.
    pub fn cordon(&mut self, index: usize, from: DateTime<Utc>, until: DateTime<Utc>) {
        self.nodes[index].cordoned = Some((from, until));
    }

    /// Ends the cordon of the node named `name` at `at` (its maintenance is over).
    pub fn uncordon(&mut self, name: &str, at: DateTime<Utc>) {
        if let Some(node) = self.nodes.iter_mut().find(|n| n.name == name) {
            if let Some((from, _)) = node.cordoned {
                node.cordoned = Some((from, at));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;
    use rand::SeedableRng;

    #[test]
    fn a_cordoned_node_takes_no_new_pods_until_uncordoned() {
        let t: DateTime<Utc> = "2026-01-05T00:00:00Z".parse().unwrap();
        let mut nodes = Nodes::new(3);
        nodes.cordon(1, t, DateTime::<Utc>::MAX_UTC);
        nodes.uncordon("node-2", t + TimeDelta::minutes(20));
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let during: Vec<String> = (0..200)
            .map(|_| nodes.pick(t + TimeDelta::minutes(5), &mut rng))
            .collect();
        assert!(during.iter().all(|n| n != "node-2"));
        assert!(during.iter().any(|n| n == "node-1") && during.iter().any(|n| n == "node-3"));
        let after: Vec<String> = (0..200)
            .map(|_| nodes.pick(t + TimeDelta::minutes(20), &mut rng))
            .collect();
        assert!(after.iter().any(|n| n == "node-2"));
        assert!(nodes.schedulable_at(1, t - TimeDelta::seconds(1)));
        assert!(!nodes.schedulable_at(1, t));
    }
}
