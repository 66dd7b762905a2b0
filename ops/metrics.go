// Package ops is what running passbot in production needs besides the bot:
// Prometheus metrics (Metrics, a bot.Observer), the operations HTTP server
// (/healthz, /readyz, /metrics and the chat platforms' webhook routes), a
// health probe for container HEALTHCHECKs, and a log handler that keeps
// secrets out of the logs.
package ops

import (
	"net/http"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/bot/eligibility"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds passbot's Prometheus collectors in a registry of its own
// (never the global default), so tests and several instances in one process
// do not collide. It implements bot.Observer; set it as bot.Config.Observer.
// Its methods are safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	events       *prometheus.CounterVec
	eventSeconds *prometheus.HistogramVec
	deviceOps    *prometheus.CounterVec
	deviceSecs   *prometheus.HistogramVec
	followUpLag  *prometheus.HistogramVec
	redisErrors  prometheus.Counter
	approvalSecs prometheus.Histogram
	graphCalls   *prometheus.CounterVec
	graphSecs    *prometheus.HistogramVec
	circuitOpen  prometheus.Gauge
	// graphAuthorized and graphCredentialOK start at 1: nothing was
	// refused yet (and with the demo fleet nothing ever is).
	graphAuthorized   prometheus.Gauge
	graphCredentialOK prometheus.Gauge
	graphTokenErrors  *prometheus.CounterVec
	writeWait         prometheus.Histogram
	httpRefused       *prometheus.CounterVec
	signIns           *prometheus.CounterVec
}

var _ bot.Observer = (*Metrics)(nil)

// Buckets in seconds. Events are acked within Slack's and Discord's 3-second
// deadline, so the event buckets are fine below it; follow-ups should fire
// within 1.5 s of due; approvals wait for a person.
var (
	eventBuckets    = []float64{.001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2, 3, 5, 10}
	remoteBuckets   = []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
	lagBuckets      = []float64{.1, .25, .5, 1, 1.5, 2, 5, 10, 30, 60, 300}
	approvalBuckets = []float64{30, 60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400}
	// The write budget refills one token per 200 ms; a wait of seconds
	// means a burst of resets queued behind each other.
	waitBuckets = []float64{0, .05, .2, .5, 1, 2, 5, 10, 20, 60}
)

// NewMetrics registers passbot's collectors, plus the Go runtime and process
// collectors, in a new registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "passbot_events_total",
			Help: "Chat events handled, by chat platform, kind (message, press) and outcome (ok, duplicate, refused, stale, error).",
		}, []string{"platform", "kind", "outcome"}),
		eventSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "passbot_event_duration_seconds",
			Help:    "Time to handle one chat event, from the adapter's call to the replies (the ack latency).",
			Buckets: eventBuckets,
		}, []string{"platform", "kind", "outcome"}),
		deviceOps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "passbot_device_operations_total",
			Help: "Device backend calls, by operation (list, reset, reset_status, remote_lock), device kind and outcome (a reset state or an error code). op=\"reset\" counts passcode resets by device platform and outcome.",
		}, []string{"op", "device_kind", "outcome"}),
		deviceSecs: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "passbot_device_operation_duration_seconds",
			Help:    "Time of one device backend call.",
			Buckets: remoteBuckets,
		}, []string{"op", "device_kind", "outcome"}),
		followUpLag: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "passbot_followup_lag_seconds",
			Help:    "How long after its due time a follow-up fired, by kind.",
			Buckets: lagBuckets,
		}, []string{"kind"}),
		redisErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "passbot_redis_errors_total",
			Help: "Failed Redis operations.",
		}),
		approvalSecs: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "passbot_approval_decision_seconds",
			Help:    "Time from a helpdesk approval request to its decision.",
			Buckets: approvalBuckets,
		}),
		graphCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "passbot_graph_requests_total",
			Help: "Microsoft Graph requests, by HTTP method and status code (\"error\" when no response came).",
		}, []string{"method", "status"}),
		graphSecs: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "passbot_graph_request_duration_seconds",
			Help:    "Time of one Microsoft Graph request.",
			Buckets: remoteBuckets,
		}, []string{"method", "status"}),
		circuitOpen: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "passbot_graph_circuit_open",
			Help: "1 while this replica's Microsoft Graph circuit breaker is open (or half-open, probing), refusing device operations; else 0.",
		}),
		graphAuthorized: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "passbot_graph_authorized",
			Help: "0 after Microsoft Graph answered 401 or 403 (the app's permission or consent is missing, or its token was refused), until Graph answers a request with success; else 1.",
		}),
		graphCredentialOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "passbot_graph_credential_ok",
			Help: "0 after Entra ID refused the Graph app's credential (a wrong or expired secret or certificate), until it gives a token again; else 1.",
		}),
		graphTokenErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "passbot_graph_token_errors_total",
			Help: "Token requests for Microsoft Graph that Entra ID refused, by its AADSTS error code (AADSTS7000222: the client secret expired; AADSTS7000215: a wrong secret), or other.",
		}, []string{"code"}),
		writeWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "passbot_graph_write_wait_seconds",
			Help:    "Time a Graph write waited for the write budget shared by the replicas.",
			Buckets: waitBuckets,
		}),
		httpRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "passbot_http_refused_total",
			Help: "Webhook requests (Slack HTTP mode, Teams) refused before their signature or token was verified, by reason (Slack: unsigned, stale, future, too_large, busy, cut_off, unreadable, bad_signature; Teams: unauthorized, too_large, busy, cut_off, unreadable, foreign_channel, foreign_tenant).",
		}, []string{"reason"}),
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "passbot_signins_total",
			Help: "Sign-ins before a reset, by outcome: started (a link was handed out), ok, or the reason it was refused (mismatch, expired, reused, access_denied, invalid_token, stale_auth, failed).",
		}, []string{"outcome"}),
	}
	// Series that alerts and dashboards divide by exist from the start, so a
	// fresh replica shows 0 instead of no data.
	m.signIns.WithLabelValues("started")
	m.graphAuthorized.Set(1)
	m.graphCredentialOK.Set(1)
	// increase() sees an expired secret's first refusal only from 0.
	m.graphTokenErrors.WithLabelValues("AADSTS7000222")
	m.graphTokenErrors.WithLabelValues("AADSTS7000215")
	m.signIns.WithLabelValues(bot.SignInOK)
	m.reg.MustRegister(
		m.events, m.eventSeconds, m.deviceOps, m.deviceSecs, m.followUpLag,
		m.redisErrors, m.approvalSecs, m.graphCalls, m.graphSecs, m.httpRefused,
		m.circuitOpen, m.writeWait, m.signIns, m.graphAuthorized, m.graphCredentialOK, m.graphTokenErrors,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// Registry returns the registry, to add collectors or gather in tests.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Handled implements bot.Observer.
func (m *Metrics) Handled(p bot.Platform, kind bot.EventKind, outcome string, took time.Duration) {
	m.events.WithLabelValues(string(p), kind.String(), outcome).Inc()
	m.eventSeconds.WithLabelValues(string(p), kind.String(), outcome).Observe(took.Seconds())
}

// DeviceOp implements bot.Observer.
func (m *Metrics) DeviceOp(op bot.Op, kind eligibility.Kind, outcome string, took time.Duration) {
	k := string(kind)
	if k == "" {
		k = "none" // a device list has no device
	}
	m.deviceOps.WithLabelValues(op.String(), k, outcome).Inc()
	m.deviceSecs.WithLabelValues(op.String(), k, outcome).Observe(took.Seconds())
}

// Fired implements bot.Observer. A follow-up fired early (clock skew between
// replicas) counts as no lag.
func (m *Metrics) Fired(kind string, lag time.Duration) {
	m.followUpLag.WithLabelValues(kind).Observe(max(lag, 0).Seconds())
}

// StoreError implements bot.Observer.
func (m *Metrics) StoreError() { m.redisErrors.Inc() }

// ApprovalDecided records the time from a helpdesk approval request to its
// approval or denial.
func (m *Metrics) ApprovalDecided(d time.Duration) { m.approvalSecs.Observe(d.Seconds()) }

// SignIn implements bot.Observer.
func (m *Metrics) SignIn(outcome string) { m.signIns.WithLabelValues(outcome).Inc() }

// GraphCall records one Microsoft Graph request: its HTTP method, its status
// code as text ("200", "429"; "error" when no response came) and its
// duration. Keep both labels to small sets: never a URL or an ID.
func (m *Metrics) GraphCall(method, status string, d time.Duration) {
	m.graphCalls.WithLabelValues(method, status).Inc()
	m.graphSecs.WithLabelValues(method, status).Observe(d.Seconds())
	switch {
	case status == "401" || status == "403":
		m.graphAuthorized.Set(0)
	case len(status) == 3 && status[0] == '2':
		m.graphAuthorized.Set(1)
	}
}

// GraphToken records a token request for Graph: code is "" when Entra ID
// gave the token, else its AADSTS error code ("AADSTS7000222") or "other".
func (m *Metrics) GraphToken(code string) {
	if code == "" {
		m.graphCredentialOK.Set(1)
		return
	}
	m.graphCredentialOK.Set(0)
	m.graphTokenErrors.WithLabelValues(code).Inc()
}

// HTTPRefused counts a webhook request refused before its signature was
// verified; reason is one of a small fixed set.
func (m *Metrics) HTTPRefused(reason string) { m.httpRefused.WithLabelValues(reason).Inc() }
