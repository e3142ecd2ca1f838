#!/usr/bin/env python3
"""Scores the detector on simulated clusters, seed by seed, and pools the figures.

    scripts/sim-ablation.py [--binary PATH] [--step 5s] [--duration 2h] [--pods 50]
                            [--detector statistical|lstm|ensemble] [--work DIR] SEED...

For each seed: `k8s-monitor generate` (kept in --work between runs), `detect` with the given
detector, `eval --json`. Prints one line per seed and the pooled totals: faults caught, recall,
episodes true/all (precision), pooled F1, false alarms per pod-hour, median delay, and the
false alarm episodes that fall on a benign event of `benign.json` (by kind), when the
simulator wrote one.
"""
import argparse, csv, json, os, subprocess, sys, statistics, datetime as dt
from collections import Counter, defaultdict

def run(cmd, env=None):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{r.stderr[-2000:]}")
    return r.stdout

def parse(s):
    return dt.datetime.fromisoformat(s.replace('Z', '+00:00'))

def false_episodes(scores, labels, grace):
    """(namespace, pod, start, end) of alert episodes that overlap no fault of their pod."""
    faults = defaultdict(list)
    for f in labels:
        faults[(f['namespace'], f['pod'])].append((parse(f['start']) - grace, parse(f['end']) + grace))
    runs = defaultdict(list)
    for r in csv.DictReader(open(scores)):
        runs[(r['namespace'], r['pod'])].append((parse(r['timestamp']), r['is_anomaly'] == 'true'))
    out = []
    for key, rows in runs.items():
        start = None
        for t, a in rows + [(None, False)]:
            if a and start is None:
                start = last = t
            elif a:
                last = t
            elif start is not None:
                if not any(s <= last and e >= start for s, e in faults.get(key, [])):
                    out.append((key[0], key[1], start, last))
                start = None
    return out

def benign_kind(episode, benign):
    ns, pod, start, end = episode
    for b in benign:
        if b.get('namespace') != ns:
            continue
        pods = b.get('pods') or []
        workload = b.get('workload', '')
        if pods and pod not in pods and not pod.startswith(workload + '-'):
            continue
        if not pods and workload and not pod.startswith(workload + '-'):
            continue
        if parse(b['start']) - dt.timedelta(minutes=5) <= end and parse(b['end']) + dt.timedelta(minutes=15) >= start:
            return b['kind']
    return 'none'

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--binary', default='target/debug/k8s-monitor')
    ap.add_argument('--step', default='5s')
    ap.add_argument('--duration', default='2h')
    ap.add_argument('--pods', default='50')
    ap.add_argument('--detector', default='ensemble')
    ap.add_argument('--work', default='/tmp/sim-ablation')
    ap.add_argument('--model-dir', default=None)
    ap.add_argument('--tag', default='')
    ap.add_argument('seeds', nargs='+')
    a = ap.parse_args()
    env = dict(os.environ)
    if a.model_dir:
        env['K8S_MONITOR_ANOMALY_MODEL__MODEL_DIR'] = a.model_dir
    totals = Counter()
    delays, benign_fa = [], Counter()
    kinds = defaultdict(lambda: [0, 0])
    for seed in a.seeds:
        d = os.path.join(a.work, f"s{seed}-{a.step}-{a.duration}-{a.pods}")
        if not os.path.exists(os.path.join(d, 'labels.json')):
            run([a.binary, 'generate', '--seed', seed, '--pods', a.pods, '--duration', a.duration,
                 '--step', a.step, '--output', d])
        scores = os.path.join(d, f"scores-{a.detector}{a.tag}.csv")
        run([a.binary, 'detect', '--detector', a.detector, '--input', os.path.join(d, 'pod_metrics.csv'),
             '--output', scores], env)
        rep = json.loads(run([a.binary, 'eval', '--scores', scores, '--labels',
                              os.path.join(d, 'labels.json'), '--json']))
        labels = json.load(open(os.path.join(d, 'labels.json')))
        bpath = os.path.join(d, 'benign.json')
        benign = json.load(open(bpath)) if os.path.exists(bpath) else []
        fes = false_episodes(scores, labels, dt.timedelta(seconds=rep['grace_s']))
        for e in fes:
            benign_fa[benign_kind(e, benign)] += 1
        for k in ('faults', 'caught', 'episodes', 'true_episodes', 'false_episodes'):
            totals[k] += rep[k]
        totals['pod_hours'] += rep['pod_hours']
        if rep['median_delay_s'] is not None:
            delays.append(rep['median_delay_s'])
        for k in rep['by_kind']:
            kinds[k['kind']][0] += k['faults']
            kinds[k['kind']][1] += k['caught']
        missed = [k['kind'] for k in rep['by_kind'] if k['caught'] < k['faults']]
        print(f"seed {seed}: caught {rep['caught']}/{rep['faults']} episodes {rep['true_episodes']}/{rep['episodes']} "
              f"F1 {rep['f1']:.3f} FA/pod-h {rep['false_alarms_per_pod_hour']:.3f} ({rep['false_episodes']}) "
              f"delay {rep['median_delay_s'] or 0:.0f}s missed {missed}", flush=True)
    recall = totals['caught'] / max(totals['faults'], 1)
    precision = totals['true_episodes'] / max(totals['episodes'], 1)
    f1 = 2 * recall * precision / max(recall + precision, 1e-9)
    print(f"POOLED {a.detector}{a.tag}: caught {totals['caught']}/{totals['faults']} recall {recall:.3f} "
          f"precision {totals['true_episodes']}/{totals['episodes']} = {precision:.3f} F1 {f1:.3f} "
          f"FA/pod-h {totals['false_episodes'] / max(totals['pod_hours'], 1e-9):.4f} "
          f"({totals['false_episodes']} in {totals['pod_hours']:.0f} pod-h) "
          f"median delay {statistics.median(delays) if delays else 0:.0f}s")
    print("  by kind:", {k: f"{v[1]}/{v[0]}" for k, v in sorted(kinds.items())})
    if benign_fa:
        print("  false alarms by benign event:", dict(benign_fa))

main()
