# syntax=docker/dockerfile:1
#
# passbot: a static binary on a distroless base, running as a non-root user.
#   docker build -t passbot .
#   docker compose up            (passbot + Redis with persistence, see compose.yaml)
# ops/dockerfile_test.go builds the binary with this file's exact build
# command and checks it starts, so the two cannot drift apart.

FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/passbot .

# distroless/static: CA certificates (Graph, Slack, Discord over TLS), tzdata
# and /etc/passwd with the nonroot user; no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/passbot /passbot
# 65532 is distroless's "nonroot".
USER 65532:65532
# 8080: the public endpoints (sign-in pages, Slack's HTTP mode); set
# PASSBOT_PUBLIC_URL to the https URL in front of it. 9090: /healthz, /readyz,
# /metrics, for the orchestrator and Prometheus only.
ENV PASSBOT_HTTP_ADDR=:8080 PASSBOT_OPS_ADDR=:9090
EXPOSE 8080 9090
# The image has no curl: `passbot healthcheck` GETs /healthz on
# PASSBOT_OPS_ADDR and exits 0 on a 200 (ops.Probe). Orchestrators with HTTP
# probes (Kubernetes) should probe /healthz (liveness) and /readyz
# (readiness) directly instead.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 CMD ["/passbot", "healthcheck"]
ENTRYPOINT ["/passbot"]
