package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/store/redistest"
)

// TestServesHealthReadinessAndMetrics runs the real program with
// PASSBOT_HTTP_ADDR and a console whose input stays open, asks the
// operations endpoints, then ends the input and expects a clean exit.
func TestServesHealthReadinessAndMetrics(t *testing.T) {
	srv := redistest.Start(t)
	t.Setenv("PASSBOT_REDIS_URL", srv.URL)
	t.Setenv("PASSBOT_HTTP_ADDR", "127.0.0.1:0")
	stdin, typing := io.Pipe()
	logs, logw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(context.Background(), nil, stdin, io.Discard, logw)
		logw.Close()
	}()
	addr := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(logs)
		for s.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(s.Bytes(), &line) == nil && strings.HasPrefix(line.Msg, "serving") {
				addr <- line.Addr
			}
		}
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("passbot exited: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("no 'serving' log line within 30s")
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

func TestHealthcheckCommand(t *testing.T) {
	t.Setenv("PASSBOT_HTTP_ADDR", "127.0.0.1:1") // nothing listens there
	if err := run(context.Background(), []string{"healthcheck"}, nil, io.Discard, io.Discard); err == nil {
		t.Error("healthcheck passed with no server")
	}
}
