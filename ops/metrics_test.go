package ops_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/bot/eligibility"
	"github.com/passbot/passbot/internal/enginetest"
	"github.com/passbot/passbot/ops"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetricsRecordWhatTheObserverIsTold(t *testing.T) {
	t.Parallel()
	m := ops.NewMetrics()
	m.Handled(bot.Slack, bot.Press, "ok", 4*time.Millisecond)
	m.Handled(bot.Slack, bot.Press, "ok", 30*time.Millisecond)
	m.Handled(bot.Discord, bot.Message, "duplicate", time.Millisecond)
	m.DeviceOp(bot.OpReset, eligibility.AndroidAdmin, "done", 200*time.Millisecond)
	m.DeviceOp(bot.OpReset, eligibility.IOS, "error.graph.forbidden", time.Second)
	m.DeviceOp(bot.OpList, "", "ok", 50*time.Millisecond)
	m.Fired("reminder", 700*time.Millisecond)
	m.Fired("reminder", -time.Second) // early, from a replica whose clock is ahead
	m.StoreError()
	m.StoreError()
	m.ApprovalDecided(7 * time.Minute)
	m.GraphCall("POST", "204", 300*time.Millisecond)
	m.GraphCall("GET", "429", 80*time.Millisecond)
	m.SignIn("started")
	m.SignIn("started")
	m.SignIn(bot.SignInOK)
	m.SignIn(bot.SignInMismatch)

	want := `
# HELP passbot_events_total Chat events handled, by chat platform, kind (message, press) and outcome (ok, duplicate, refused, stale, error).
# TYPE passbot_events_total counter
passbot_events_total{kind="message",outcome="duplicate",platform="discord"} 1
passbot_events_total{kind="press",outcome="ok",platform="slack"} 2
# HELP passbot_device_operations_total Device backend calls, by operation (list, reset, reset_status, remote_lock), device kind and outcome (a reset state or an error code). op="reset" counts passcode resets by device platform and outcome.
# TYPE passbot_device_operations_total counter
passbot_device_operations_total{device_kind="android",op="reset",outcome="done"} 1
passbot_device_operations_total{device_kind="ios",op="reset",outcome="error.graph.forbidden"} 1
passbot_device_operations_total{device_kind="none",op="list",outcome="ok"} 1
# HELP passbot_redis_errors_total Failed Redis operations.
# TYPE passbot_redis_errors_total counter
passbot_redis_errors_total 2
# HELP passbot_graph_requests_total Microsoft Graph requests, by HTTP method and status code ("error" when no response came).
# TYPE passbot_graph_requests_total counter
passbot_graph_requests_total{method="GET",status="429"} 1
passbot_graph_requests_total{method="POST",status="204"} 1
# HELP passbot_signins_total Sign-ins before a reset, by outcome: started (a link was handed out), ok, or the reason it was refused (mismatch, expired, reused, access_denied, invalid_token, stale_auth, failed).
# TYPE passbot_signins_total counter
passbot_signins_total{outcome="mismatch"} 1
passbot_signins_total{outcome="ok"} 1
passbot_signins_total{outcome="started"} 2
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want),
		"passbot_events_total", "passbot_device_operations_total", "passbot_redis_errors_total", "passbot_graph_requests_total", "passbot_signins_total"); err != nil {
		t.Error(err)
	}

	hist := `
# HELP passbot_followup_lag_seconds How long after its due time a follow-up fired, by kind.
# TYPE passbot_followup_lag_seconds histogram
passbot_followup_lag_seconds_bucket{kind="reminder",le="0.1"} 1
passbot_followup_lag_seconds_bucket{kind="reminder",le="0.25"} 1
passbot_followup_lag_seconds_bucket{kind="reminder",le="0.5"} 1
passbot_followup_lag_seconds_bucket{kind="reminder",le="1"} 2
passbot_followup_lag_seconds_bucket{kind="reminder",le="1.5"} 2
passbot_followup_lag_seconds_bucket{kind="reminder",le="2"} 2
passbot_followup_lag_seconds_bucket{kind="reminder",le="5"} 2
passbot_followup_lag_seconds_bucket{kind="reminder",le="10"} 2
passbot_followup_lag_seconds_bucket{kind="reminder",le="30"} 2
passbot_followup_lag_seconds_bucket{kind="reminder",le="60"} 2
passbot_followup_lag_seconds_bucket{kind="reminder",le="300"} 2
passbot_followup_lag_seconds_bucket{kind="reminder",le="+Inf"} 2
passbot_followup_lag_seconds_sum{kind="reminder"} 0.7
passbot_followup_lag_seconds_count{kind="reminder"} 2
# HELP passbot_approval_decision_seconds Time from a helpdesk approval request to its decision.
# TYPE passbot_approval_decision_seconds histogram
passbot_approval_decision_seconds_bucket{le="30"} 0
passbot_approval_decision_seconds_bucket{le="60"} 0
passbot_approval_decision_seconds_bucket{le="300"} 0
passbot_approval_decision_seconds_bucket{le="900"} 1
passbot_approval_decision_seconds_bucket{le="1800"} 1
passbot_approval_decision_seconds_bucket{le="3600"} 1
passbot_approval_decision_seconds_bucket{le="7200"} 1
passbot_approval_decision_seconds_bucket{le="14400"} 1
passbot_approval_decision_seconds_bucket{le="28800"} 1
passbot_approval_decision_seconds_bucket{le="86400"} 1
passbot_approval_decision_seconds_bucket{le="+Inf"} 1
passbot_approval_decision_seconds_sum 420
passbot_approval_decision_seconds_count 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(hist),
		"passbot_followup_lag_seconds", "passbot_approval_decision_seconds"); err != nil {
		t.Error(err)
	}

	// Latency histograms: one series per label set, with every observation.
	for _, c := range []struct {
		name  string
		count int
	}{
		{"passbot_event_duration_seconds", 2}, // slack/press/ok and discord/message/duplicate
		{"passbot_device_operation_duration_seconds", 3},
		{"passbot_graph_request_duration_seconds", 2},
	} {
		n, err := testutil.GatherAndCount(m.Registry(), c.name)
		if err != nil || n != c.count {
			t.Errorf("%s: %d series (%v), want %d", c.name, n, err, c.count)
		}
	}
}

func TestMetricsPassLint(t *testing.T) {
	t.Parallel()
	m := ops.NewMetrics()
	m.Handled(bot.Slack, bot.Press, "ok", time.Millisecond)
	m.GraphCall("GET", "200", time.Millisecond)
	problems, err := testutil.GatherAndLint(m.Registry())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "passbot_") {
			t.Errorf("%s: %s", p.Metric, p.Text)
		}
	}
}

// The engine drives the metrics: a whole reset conversation shows up as
// five events and one successful Android reset.
func TestMetricsAsTheEngineObserver(t *testing.T) {
	t.Parallel()
	m := ops.NewMetrics()
	env := enginetest.New(t, enginetest.WithChat(bot.Slack, &enginetest.Recorder{}), enginetest.WithConfig(func(c *bot.Config) { c.Observer = m }))
	adele := enginetest.Adele
	ctx := context.Background()
	r := enginetest.Handle(t, env.Engine, bot.Event{Kind: bot.Message, User: adele, Text: "reset my passcode", DeliveryID: "e0"})
	var yes string
	for i, label := range enginetest.ResetClicks {
		action := enginetest.Button(t, r, label)
		if label == "Yes, reset" {
			yes = action
		}
		r = enginetest.Handle(t, env.Engine, bot.Event{Kind: bot.Press, User: adele, Action: action, DeliveryID: "e" + string(rune('1'+i))})
	}
	// A redelivery and a double click.
	env.Engine.Handle(ctx, bot.Event{Kind: bot.Press, User: adele, Action: yes, DeliveryID: "e4"}, &enginetest.Recorder{})
	env.Engine.Handle(ctx, bot.Event{Kind: bot.Press, User: adele, Action: yes, DeliveryID: "e5"}, &enginetest.Recorder{})

	env.Clock.Advance(time.Hour + 2*time.Second)
	if n, err := env.Engine.Sweep(ctx); err != nil || n != 2 { // the passcode's removal and the reminder
		t.Fatalf("sweep: %d, %v", n, err)
	}

	out := scrape(t, m)
	for _, want := range []string{
		`passbot_events_total{kind="message",outcome="ok",platform="slack"} 1`,
		`passbot_events_total{kind="press",outcome="ok",platform="slack"} 4`,
		`passbot_events_total{kind="press",outcome="duplicate",platform="slack"} 1`,
		`passbot_events_total{kind="press",outcome="stale",platform="slack"} 1`, // the double click
		`passbot_device_operations_total{device_kind="android",op="reset",outcome="done"} 1`,
		`passbot_device_operations_total{device_kind="none",op="list",outcome="ok"} 1`,
		`passbot_followup_lag_seconds_bucket{kind="reminder",le="5"} 1`,
		`passbot_followup_lag_seconds_bucket{kind="reminder",le="1.5"} 0`,
		`passbot_followup_lag_seconds_sum{kind="reminder"} 2`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %s in:\n%s", want, out)
		}
	}
}

// scrape returns what Prometheus would read from /metrics.
func scrape(t *testing.T, m *ops.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("/metrics: %d", rec.Code)
	}
	return rec.Body.String()
}

// A 401 or 403 from Graph flips passbot_graph_authorized to 0 until Graph
// answers with success again; a 429 or a 503 changes nothing.
func TestGraphAuthorizedFollowsGraphsAnswers(t *testing.T) {
	t.Parallel()
	m := ops.NewMetrics()
	for _, step := range []struct {
		status string
		want   float64
	}{{"200", 1}, {"403", 0}, {"429", 0}, {"503", 0}, {"204", 1}, {"401", 0}, {"error", 0}, {"200", 1}} {
		m.GraphCall("POST", step.status, time.Millisecond)
		if got := gaugeValue(t, m, "passbot_graph_authorized"); got != step.want {
			t.Errorf("after a %s: passbot_graph_authorized = %v, want %v", step.status, got, step.want)
		}
	}
	m.GraphToken("AADSTS7000222")
	if got := gaugeValue(t, m, "passbot_graph_credential_ok"); got != 0 {
		t.Errorf("after an expired secret: passbot_graph_credential_ok = %v", got)
	}
	m.GraphToken("")
	if got := gaugeValue(t, m, "passbot_graph_credential_ok"); got != 1 {
		t.Errorf("after a token: passbot_graph_credential_ok = %v", got)
	}
}

// gaugeValue is the value of the unlabelled gauge name.
func gaugeValue(t *testing.T, m *ops.Metrics, name string) float64 {
	t.Helper()
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no %s", name)
	return 0
}
