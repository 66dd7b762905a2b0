package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/ops"
	"github.com/passbot/passbot/store/redistest"
)

// TestServesHealthReadinessAndMetrics runs the real program with
// PASSBOT_OPS_ADDR and a console whose input stays open, asks the
// operations endpoints, then ends the input and expects a clean exit. The
// public server (here the demo sign-in's) serves none of them.
func TestServesHealthReadinessAndMetrics(t *testing.T) {
	srv := redistest.Start(t)
	// No command retries: with Redis stopped below, /readyz says so after
	// one failed dial rather than after go-redis's three retries.
	t.Setenv("PASSBOT_REDIS_URL", srv.URL+"?max_retries=-1")
	t.Setenv("PASSBOT_OPS_ADDR", "127.0.0.1:0")
	stdin, typing := io.Pipe()
	logs, logw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(context.Background(), nil, stdin, io.Discard, logw)
		logw.Close()
	}()
	addrs := make(chan map[string]string, 1)
	go func() {
		s := bufio.NewScanner(logs)
		seen := map[string]string{}
		for s.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(s.Bytes(), &line) == nil && strings.HasPrefix(line.Msg, "serving") {
				seen[line.Msg] = "http://" + line.Addr
				if len(seen) == 2 {
					addrs <- seen
				}
			}
		}
	}()
	var base, public string
	select {
	case a := <-addrs:
		base, public = a["serving /healthz, /readyz, /metrics"], a["serving the public endpoints"]
	case err := <-done:
		t.Fatalf("passbot exited: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("no 'serving' log lines within 30s")
	}
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		resp, err := http.Get(public + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("the public server answers %s with %d", path, resp.StatusCode)
		}
	}
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz %d", code)
	}
	if code, body := get("/readyz"); code != 200 {
		t.Errorf("/readyz %d %s", code, body)
	}
	typing.Write([]byte("reset my passcode\n1\n"))
	if _, body := get("/metrics"); !strings.Contains(body, "passbot_") {
		t.Errorf("/metrics lacks passbot metrics")
	}
	srv.Stop()
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "redis") {
		t.Errorf("/readyz with Redis down: %d %s", code, body)
	}
	srv.Restart()
	typing.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("passbot did not stop when its console input ended")
	}
}

// `passbot healthcheck` asks the /healthz of the ops address passbot
// serves, within seconds, and nothing when passbot serves none.
func TestHealthcheckCommand(t *testing.T) {
	healthcheck := func(opsAddr string) error {
		t.Setenv("PASSBOT_OPS_ADDR", opsAddr)
		done := make(chan error, 1)
		go func() { done <- run(context.Background(), []string{"healthcheck"}, nil, io.Discard, io.Discard) }()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * probeTimeout):
			t.Fatalf("healthcheck of %q still waiting after %v", opsAddr, 10*probeTimeout)
			return nil
		}
	}
	ops := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
		}
	}))
	defer ops.Close()
	if err := healthcheck(ops.Listener.Addr().String()); err != nil {
		t.Errorf("healthcheck of a healthy passbot: %v", err)
	}
	if err := healthcheck("127.0.0.1:1"); err == nil { // nothing listens there
		t.Error("healthcheck passed with no server")
	}
	// A passbot that accepts but never answers (stopped, or stuck).
	stuck, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()
	if err := healthcheck(stuck.Addr().String()); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("healthcheck of a passbot that never answers: %v, want a timeout", err)
	}
	// Without PASSBOT_OPS_ADDR passbot serves no /healthz: the public port
	// (":8080") is not asked instead.
	os.Unsetenv("PASSBOT_OPS_ADDR") // t.Setenv above restores it
	if err := run(context.Background(), []string{"healthcheck"}, nil, io.Discard, io.Discard); err == nil || !strings.HasPrefix(err.Error(), "PASSBOT_OPS_ADDR is not set") {
		t.Errorf("healthcheck without PASSBOT_OPS_ADDR: %v", err)
	}
}

// A chat connection that is down leaves the replica ready: /readyz is
// about what the load balancer sends it (the sign-in pages, Teams, Slack's
// HTTP mode), and the connection is reported on /metrics for an alert.
func TestChatOutageLeavesTheReplicaReady(t *testing.T) {
	// Slack knows the bot token but its Socket Mode is unavailable: the
	// connection never comes up and passbot keeps retrying.
	slackAPI := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/auth.test") {
			_, _ = io.WriteString(w, `{"ok":true,"user_id":"UPASSBOT","bot_id":"BPASSBOT","team_id":"T1"}`)
			return
		}
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
	}))
	defer slackAPI.Close()
	cfg := configFrom(t, map[string]string{
		"PASSBOT_PLATFORMS":       "slack",
		"PASSBOT_SLACK_BOT_TOKEN": "xoxb-test",
		"PASSBOT_SLACK_APP_TOKEN": "xapp-test",
		"PASSBOT_SLACK_API_URL":   slackAPI.URL + "/",
		"PASSBOT_APPROVALS":       "false",
		"PASSBOT_VERIFY":          "off",
		"PASSBOT_REDIS_URL":       redistest.Start(t).URL,
		"PASSBOT_OPS_ADDR":        "127.0.0.1:0",
	})
	logs := newTranscript()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	app, err := NewApp(ctx, cfg, ops.NewLogger(logs, slog.LevelInfo))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- app.Run(runCtx, strings.NewReader(""), io.Discard, "") }()
	defer func() { stop(); <-done }()
	if err := logs.waitFor(ctx, `"msg":"serving /healthz, /readyz, /metrics"`); err != nil {
		t.Fatal(err)
	}
	var line struct{ Addr string }
	for l := range strings.Lines(logs.String()) {
		if strings.Contains(l, `"serving /healthz`) {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatal(err)
			}
		}
	}
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + line.Addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/readyz"); code != http.StatusOK {
		t.Errorf("/readyz with Slack unreachable: %d %s, want 200", code, body)
	}
	if _, body := get("/metrics"); !strings.Contains(body, `passbot_chat_connected{platform="slack"} 0`) {
		t.Errorf("/metrics does not report the Slack connection down:\n%s", body)
	}
}
