package ops_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/ops"
)

func TestGaugesAnOnCallEngineerReads(t *testing.T) {
	t.Parallel()
	m := ops.NewMetrics()
	m.SetBuild(ops.Build{Version: "1.4.0", Commit: "abc123", Date: "2026-11-30T09:00:00Z", GoVersion: "go1.27.3"})
	redisDown := false
	m.WatchBacklog(func(_ context.Context, now time.Time) (bot.Backlog, error) {
		if redisDown {
			return bot.Backlog{}, errors.New("connection refused")
		}
		return bot.Backlog{FollowUps: 7, DueFollowUps: 2, OldestDue: now.Add(-90 * time.Second),
			PendingRequests: 1, OldestRequest: now.Add(-time.Hour)}, nil
	})
	slackUp := errors.New("socket mode: disconnected")
	m.WatchChat("slack", func() error { return slackUp })
	m.WatchReady(func(context.Context) error { return slackUp })
	m.Circuit(true)
	m.WriteWait(300 * time.Millisecond)
	m.SignIn(bot.SignInMismatch)

	out := scrape(t, m)
	for _, want := range []string{
		`passbot_build_info{build_date="2026-11-30T09:00:00Z",commit="abc123",goversion="go1.27.3",version="1.4.0"} 1`,
		"passbot_followups_queued 7",
		"passbot_followups_due 2",
		"passbot_followups_oldest_due_age_seconds 90",
		"passbot_helpdesk_requests_pending 1",
		"passbot_helpdesk_request_oldest_age_seconds 3600",
		"passbot_redis_up 1",
		`passbot_chat_connected{platform="slack"} 0`,
		"passbot_ready 0",
		"passbot_graph_circuit_open 1",
		"passbot_graph_write_wait_seconds_count 1",
		// started and ok exist before the first sign-in, for the alert's ratio.
		`passbot_signins_total{outcome="started"} 0`,
		`passbot_signins_total{outcome="ok"} 0`,
		`passbot_signins_total{outcome="mismatch"} 1`,
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("metrics lack %s", want)
		}
	}

	slackUp = nil
	redisDown = true
	m.Circuit(false)
	// The registry collects concurrently: a failed backlog read counts its
	// Redis error in time for the next scrape, not always for its own.
	scrape(t, m)
	out = scrape(t, m)
	if !regexp.MustCompile(`(?m)^passbot_redis_errors_total [1-9]`).MatchString(out) {
		t.Error("with Redis down, passbot_redis_errors_total does not count the failed reads")
	}
	for _, want := range []string{"passbot_redis_up 0", `passbot_chat_connected{platform="slack"} 1`, "passbot_ready 1", "passbot_graph_circuit_open 0"} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("with Redis down, metrics lack %s", want)
		}
	}
	if strings.Contains(out, "passbot_followups_queued") {
		t.Error("backlog gauges reported although Redis could not be read")
	}
}

func TestBuildLine(t *testing.T) {
	t.Parallel()
	b := ops.Build{Version: "1.4.0", Commit: "abc123", Date: "2026-11-30T09:00:00Z", GoVersion: "go1.27.3"}
	if got, want := b.String(), "passbot 1.4.0 (commit abc123, built 2026-11-30T09:00:00Z, go1.27.3)"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}
