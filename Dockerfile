# syntax=docker/dockerfile:1
#
# Folio container image: one static-ish binary on a slim Debian runtime.
#
#   docker build -t folio .
#   docker run -d -p 8000:8000 -v folio-data:/data --name folio folio
#
# The binary embeds its migrations and the admin UI, so the runtime stage
# copies only /usr/local/bin/folio. Data (database, generated JWT secret,
# backups, lock file) lives in the /data volume.

ARG RUST_VERSION=1.89
ARG DEBIAN_RELEASE=bookworm

############################ builder ############################
FROM rust:${RUST_VERSION}-${DEBIAN_RELEASE} AS builder
WORKDIR /build

# The cargo registry and target/ live in BuildKit cache mounts, so a rebuild
# after a source change recompiles only Folio itself. Because target/ is a
# cache mount (not part of the layer), the binary is copied out in the same
# RUN step.
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/build/target,sharing=locked \
    cargo build --release --locked --bin folio \
    && install -m 0755 target/release/folio /usr/local/bin/folio

############################ runtime ############################
FROM debian:${DEBIAN_RELEASE}-slim AS runtime

# ca-certificates: outgoing HTTPS (webhook deliveries). No curl: the
# HEALTHCHECK uses `folio healthcheck`.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*

# A fixed, unprivileged uid/gid so volume ownership is predictable.
RUN groupadd --system --gid 10001 folio \
    && useradd --system --uid 10001 --gid folio --home-dir /data \
       --no-create-home --shell /usr/sbin/nologin folio \
    && mkdir -p /data \
    && chown folio:folio /data \
    && chmod 0700 /data

COPY --from=builder /usr/local/bin/folio /usr/local/bin/folio

ENV FOLIO_DATA_DIR=/data \
    FOLIO_SERVER__ADDRESS=0.0.0.0 \
    FOLIO_LOG__FORMAT=json

# Declared after the chown so a fresh named volume starts owned by folio.
VOLUME ["/data"]
WORKDIR /data
USER 10001:10001
EXPOSE 8000

# `folio healthcheck` GETs http://127.0.0.1:8000/health (0.0.0.0 is mapped
# to 127.0.0.1) and exits 0 on 200.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["/usr/local/bin/folio", "healthcheck"]

# SIGTERM (docker stop) drains in-flight requests for
# server.shutdown_grace_seconds (default 10); docker's default stop timeout
# is also 10 s, so use `docker stop -t 30` / `stop_grace_period` when raising it.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/folio"]
CMD ["serve"]
