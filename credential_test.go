package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/adapters/intune"
	"github.com/passbot/passbot/adapters/intune/graphtest"
	"github.com/passbot/passbot/ops"
	"github.com/passbot/passbot/store/redistest"
)

// metricValue is the value of the series name{labels...} on the app's
// registry, and whether it exists.
func metricValue(t *testing.T, m *ops.Metrics, name string, labels ...string) (float64, bool) {
	t.Helper()
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, s := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range s.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue series
				}
			}
			if s.GetGauge() != nil {
				return s.GetGauge().GetValue(), true
			}
			return s.GetCounter().GetValue(), true
		}
	}
	return 0, false
}

// graphOnlyConfig is passbot on the local Graph with secret, no sign-in
// and no chat.
func graphOnlyConfig(t *testing.T, fake *graphtest.Server, secret string) Config {
	t.Helper()
	return configFrom(t, map[string]string{
		"PASSBOT_DEVICES":             "intune",
		"PASSBOT_VERIFY":              "off",
		"PASSBOT_GRAPH_URL":           fake.URL + "/beta",
		"PASSBOT_GRAPH_AUTHORITY_URL": fake.AuthorityURL,
		"PASSBOT_GRAPH_TENANT_ID":     fake.TenantID,
		"PASSBOT_GRAPH_CLIENT_ID":     fake.ClientID,
		"PASSBOT_GRAPH_CLIENT_SECRET": secret,
		"PASSBOT_GRAPH_MAX_ATTEMPTS":  "1",
		"PASSBOT_REDIS_URL":           redistest.Start(t).URL,
	})
}

// A wrong Graph secret shows at start, not at the first employee's reset:
// one log line with Entra ID's code (never the secret), /readyz refusing
// with it, and the metrics an alert watches; once the credential works the
// replica is ready again.
func TestGraphCredentialIsCheckedAtStart(t *testing.T) {
	fake, _ := meganGraph(t)
	const wrong = "a-wrong-secret-value"
	cfg := graphOnlyConfig(t, fake, wrong)
	logs := newTranscript()
	ctx := t.Context()
	app, err := NewApp(ctx, cfg, ops.NewLogger(logs, slog.LevelInfo), WithHTTPClient(fake.Client()))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if !strings.Contains(logs.String(), `"level":"ERROR","msg":"graph credential refused`) || !strings.Contains(logs.String(), "AADSTS7000215") {
		t.Errorf("start-up log lacks the refused credential:\n%s", logs)
	}
	if strings.Contains(logs.String(), wrong) {
		t.Error("the secret is in the log")
	}
	if err := app.ready(ctx); err == nil || !strings.Contains(err.Error(), "graph credential: AADSTS7000215") || strings.Contains(err.Error(), wrong) {
		t.Errorf("ready = %v, want the refusal's code", err)
	}
	if v, _ := metricValue(t, app.metrics, "passbot_graph_credential_ok"); v != 0 {
		t.Errorf("passbot_graph_credential_ok = %v, want 0", v)
	}
	if v, _ := metricValue(t, app.metrics, "passbot_graph_token_errors_total", "code", "AADSTS7000215"); v < 1 {
		t.Errorf("passbot_graph_token_errors_total{code=AADSTS7000215} = %v", v)
	}

	// The secret is fixed (here: the credential replaced): readiness asks
	// again once credentialRecheck has passed, and the replica is ready.
	good := cfg.IntuneConfig
	good.ClientSecret = fake.Secret
	app.credential.TokenCredential, err = intune.NewCredential(good, fake.Client())
	if err != nil {
		t.Fatal(err)
	}
	if err := app.ready(ctx); err == nil {
		t.Error("ready asked Entra ID again before credentialRecheck passed")
	}
	app.credential.now = func() time.Time { return time.Now().Add(credentialRecheck) }
	if err := app.ready(ctx); err != nil {
		t.Errorf("ready with a working credential: %v", err)
	}
	if v, _ := metricValue(t, app.metrics, "passbot_graph_credential_ok"); v != 1 {
		t.Errorf("passbot_graph_credential_ok = %v after a token, want 1", v)
	}
}

// A working credential is one INFO line at start, with when its token
// expires.
func TestGraphCredentialOKAtStart(t *testing.T) {
	fake, _ := meganGraph(t)
	cfg := graphOnlyConfig(t, fake, fake.Secret)
	logs := newTranscript()
	app, err := NewApp(t.Context(), cfg, ops.NewLogger(logs, slog.LevelInfo), WithHTTPClient(fake.Client()))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if n := strings.Count(logs.String(), `"msg":"graph credential ok"`); n != 1 || strings.Contains(logs.String(), fake.Secret) {
		t.Errorf("%d credential lines (or the secret) in:\n%s", n, logs)
	}
	if err := app.ready(context.Background()); err != nil {
		t.Errorf("ready: %v", err)
	}
}
