package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/adapters/teams/bftest"
	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/enginetest"
	"github.com/passbot/passbot/ops"
	"github.com/passbot/passbot/store"
	"github.com/passbot/passbot/store/redistest"
)

// TestTeamsThroughTheProgram runs the program's wiring with
// PASSBOT_PLATFORMS=teams, configured only by the PASSBOT_TEAMS_*
// variables pointing at a local Bot Framework: Adele's message reaches the
// engine through /api/messages on the public address, the device list
// comes back through the Connector, a forged activity is refused, and the
// Teams follow-up queue is part of the backlog on /metrics.
func TestTeamsThroughTheProgram(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	bf := bftest.New(t)
	const adeleOID = "4f2b6c1e-8d3a-4c55-9a6e-1b2c3d4e5f60" // her userId in the demo fleet
	bf.AddMember("29:1adele", adeleOID, "adele.vance@contoso.com", "Adele Vance")
	addr, opsAddr := enginetest.FreeAddr(t), enginetest.FreeAddr(t)
	rds := redistest.Start(t)
	cfg := configFrom(t, map[string]string{
		"PASSBOT_OPS_ADDR":               opsAddr,
		"PASSBOT_PLATFORMS":              "teams",
		"PASSBOT_HTTP_ADDR":              addr,
		"PASSBOT_PUBLIC_URL":             "http://" + addr,
		"PASSBOT_REDIS_URL":              rds.URL,
		"PASSBOT_TEAMS_APP_ID":           bf.AppID,
		"PASSBOT_TEAMS_APP_PASSWORD":     bf.Password,
		"PASSBOT_TEAMS_TENANT_ID":        bf.TenantID,
		"PASSBOT_TEAMS_OPENID_URL":       bf.OpenIDURL,
		"PASSBOT_TEAMS_AUTHORITY_URL":    bf.AuthorityURL,
		"PASSBOT_TEAMS_HELPDESK_CHANNEL": "19:helpdesk@thread.tacv2",
		"PASSBOT_SWEEP_SPEC":             "@every 87600h",
		"PASSBOT_DIGEST_SPEC":            "@every 87600h",
	})
	logs := newTranscript()
	app, err := NewApp(ctx, cfg, ops.NewLogger(logs, slog.LevelInfo), WithHTTPClient(bf.Client()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Close)
	done := make(chan error, 1)
	runCtx, stop := context.WithCancel(ctx)
	go func() { done <- app.Run(runCtx, strings.NewReader(""), io.Discard, "") }()
	t.Cleanup(func() { stop(); <-done })
	if err := logs.waitFor(ctx, "serving the public endpoints"); err != nil {
		t.Fatalf("no public server: %v\n%s", err, logs)
	}

	endpoint := "http://" + addr + "/api/messages"
	msg := map[string]any{
		"type": "message", "id": "1800000000001", "serviceUrl": bf.ServiceURL, "channelId": "msteams", "locale": "en-US",
		"text":         "reset my passcode",
		"from":         map[string]any{"id": "29:1adele", "name": "Adele Vance", "aadObjectId": adeleOID},
		"conversation": map[string]any{"id": bftest.PersonalConversation("29:1adele"), "conversationType": "personal", "tenantId": bf.TenantID},
		"recipient":    map[string]any{"id": "28:" + bf.AppID},
	}
	forged := bf.Claims(bf.ServiceURL)
	forged.Audience = "another-bot"
	if status, _, err := bf.Deliver(ctx, endpoint, msg, bf.Sign(forged, nil)); err != nil || status != http.StatusUnauthorized {
		t.Fatalf("a token for another bot: %d, %v; want 401", status, err)
	}
	if status, body, err := bf.Deliver(ctx, endpoint, msg, ""); err != nil || status != http.StatusAccepted {
		t.Fatalf("Adele's message: %d %s, %v", status, body, err)
	}
	listed := enginetest.Await(30*time.Second, func() (bool, <-chan struct{}) {
		posts, changed := bf.Posts()
		for _, p := range posts {
			if p.Conversation == bftest.PersonalConversation("29:1adele") && strings.Contains(p.Text(), "Which device") {
				return true, changed
			}
		}
		return false, changed
	})
	if !listed {
		posts, _ := bf.Posts()
		b, _ := json.Marshal(posts)
		t.Fatalf("no device list in Adele's chat; Connector calls %s\nlogs:\n%s", b, logs)
	}

	// A Teams follow-up overdue (its sweep is far away): the alert on the
	// backlog sees it.
	overdue := bot.FollowUp{ID: "f-teams", Kind: "reminder", Due: time.Now().Add(-time.Hour), Owner: bot.User{Platform: bot.Teams, ID: "29:1adele"}}
	if err := store.New(rds.Client()).Schedule(ctx, overdue); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + opsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	metrics, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(metrics), "\npassbot_followups_due 1\n") {
		t.Errorf("the overdue Teams follow-up is not in the backlog on /metrics:\n%s", grepLines(string(metrics), "passbot_followups"))
	}
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
