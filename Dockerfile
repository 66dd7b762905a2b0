# syntax=docker/dockerfile:1
#
# passbot: a static binary on a distroless base, running as a non-root user.
#   docker build -t passbot .     (see the build arguments below for --version)
#   docker compose up            (passbot + Redis with persistence, see compose.yaml)
# ops/dockerfile_test.go builds the binary with this file's exact build
# command and checks it starts, so the two cannot drift apart.

# Base images by tag: pin them by digest where you build for production
# (this repository is built where no registry can be reached, so it could
# not look digests up, and names none). For each FROM image, run e.g.
#   docker buildx imagetools inspect golang:1.26
# and copy the "Digest:" line it prints first (the multi-platform index),
# giving FROM golang:1.26@sha256:<that digest> AS build; the same for
# gcr.io/distroless/static-debian12:nonroot. To update, run it again and
# replace the digest.
FROM golang:1.26 AS build
# go.mod asks for go 1.27.3 (1.26.8's standard library has known
# vulnerabilities); the go command fetches that toolchain from the module
# proxy, as on developers' machines and in CI.
ENV GOTOOLCHAIN=go1.27.3
WORKDIR /src
# Modules first, so a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Stamped into `passbot --version` and passbot_build_info:
#   docker build --build-arg VERSION=$(git describe --tags --always) \
#     --build-arg COMMIT=$(git rev-parse HEAD) \
#     --build-arg BUILD_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ) -t passbot .
ARG VERSION=dev
ARG COMMIT=unknown
ARG BUILD_DATE=unknown
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=${VERSION} -X main.commit=${COMMIT} -X main.buildDate=${BUILD_DATE}" -o /out/passbot .

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
