# syntax=docker/dockerfile:1
# k8s-monitor container image.
#
#   docker build -t k8s-monitor:0.1.0 .
#   docker run --rm --read-only -p 127.0.0.1:9187:9187 k8s-monitor:0.1.0   # the simulator
#   docker run --rm --read-only -p 9187:9187 \
#       -v "$PWD/agents.toml:/etc/k8s-monitor/agents.toml:ro" \
#       -v k8s-monitor-data:/var/lib/k8s-monitor k8s-monitor:0.1.0
#
# Runs as uid/gid 65532 (non-root) with a read-only root filesystem: everything it writes goes
# under /var/lib/k8s-monitor (a volume). deploy/deployment.yaml runs it in a cluster.

# The release build compiles Polars, Burn and actix (about 25 minutes on 2 cores); the cache
# mounts keep the registry and target/ across builds, so a source change rebuilds only this crate.
FROM rust:1.95-bookworm AS builder
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
    && install -D -m 0755 target/release/k8s-monitor /out/usr/local/bin/k8s-monitor \
    && install -D -m 0644 agents.toml /out/etc/k8s-monitor/agents.toml \
    && install -d -m 0750 /out/var/lib/k8s-monitor

# distroless/cc: glibc, libgcc and the CA certificates the binary needs (rustls verifies
# against the system's roots), and no shell or package manager to attack. Its "nonroot" user
# is 65532, the uid deploy/deployment.yaml runs as.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=builder /out/usr /usr
# The simulator's settings, so a bare `docker run` shows the daemon working; mount your own
# (deploy/agents.cluster.toml is the starting point) over /etc/k8s-monitor.
COPY --from=builder /out/etc/k8s-monitor /etc/k8s-monitor
# Owned by the runtime user: a named volume mounted here starts with this ownership.
COPY --from=builder --chown=65532:65532 /out/var/lib/k8s-monitor /var/lib/k8s-monitor
# Relative paths in agents.toml (data/...) resolve here, inside the volume.
WORKDIR /var/lib/k8s-monitor
VOLUME ["/var/lib/k8s-monitor"]
# The trained model is inside the binary (include_bytes! of models/model_artifacts).
# Environment beats the config file: to change this in a container, set the variable
# (docker run -e, or env: in the Deployment), not the key in agents.toml.
# The endpoints must be reachable from outside the container (probes, scraping); the port
# is published explicitly, so binding every interface inside the container exposes nothing more.
ENV K8S_MONITOR_SERVER__LISTEN=0.0.0.0:9187
EXPOSE 9187
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/k8s-monitor"]
CMD ["run", "--config", "/etc/k8s-monitor/agents.toml"]
