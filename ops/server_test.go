package ops_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/ops"
)

// start runs srv on 127.0.0.1:0 until the test ends and returns its base URL
// and Run's result.
func start(t *testing.T, srv *ops.Server) (base string, stop func() error) {
	t.Helper()
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() { cancel(); err = <-done })
		return err
	}
	t.Cleanup(func() { stop() })
	return "http://" + srv.Addr().String(), stop
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func TestServerRoutes(t *testing.T) {
	t.Parallel()
	m := ops.NewMetrics()
	m.Handled(bot.Slack, bot.Press, "ok", time.Millisecond)
	var mu sync.Mutex
	var readyErr error
	ready := func(ctx context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		return readyErr
	}
	slack := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "slack "+r.Method+" "+r.URL.Path)
	})
	srv := ops.NewServer("127.0.0.1:0", m, ready, map[string]http.Handler{
		"POST /slack/events":      slack,
		"POST /slack/interactive": slack,
	})
	base, _ := start(t, srv)

	if code, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	if code, body := get(t, base+"/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("/readyz when ready: %d %q", code, body)
	}

	mu.Lock()
	readyErr = errors.New("redis: dial unix /run/redis.sock: connect: connection refused")
	mu.Unlock()
	if code, body := get(t, base+"/readyz"); code != 503 || !strings.Contains(body, "connection refused") {
		t.Errorf("/readyz with Redis down: %d %q, want 503 with the reason", code, body)
	}
	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Errorf("/healthz with Redis down: %d, want 200: the process is up", code)
	}

	code, body := get(t, base+"/metrics")
	if code != 200 || !strings.Contains(body, `passbot_events_total{kind="press",outcome="ok",platform="slack"} 1`) || !strings.Contains(body, "go_goroutines") {
		t.Errorf("/metrics: %d\n%s", code, body)
	}

	resp, err := http.Post(base+"/slack/events", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "slack POST /slack/events" {
		t.Errorf("extra route: %d %q", resp.StatusCode, b)
	}
	if code, _ := get(t, base+"/nope"); code != 404 {
		t.Errorf("unknown path: %d, want 404", code)
	}
}

func TestReadinessCheckIsBounded(t *testing.T) {
	t.Parallel()
	hung := func(ctx context.Context) error {
		<-ctx.Done() // a Redis PING that never answers
		return ctx.Err()
	}
	srv := ops.NewServer("127.0.0.1:0", nil, hung, nil)
	srv.ReadyTimeout = 50 * time.Millisecond
	base, _ := start(t, srv)
	code, body := get(t, base+"/readyz")
	if code != 503 || !strings.Contains(body, "deadline exceeded") {
		t.Errorf("/readyz with a hung check: %d %q", code, body)
	}
	if code, _ := get(t, base+"/metrics"); code != 404 {
		t.Errorf("/metrics without Metrics: %d, want 404", code)
	}
}

// A check stuck past its context (go-redis waiting out its own read timeout
// on a stalled connection) still gets /readyz its answer in time.
func TestReadinessAnswersInTimeWhenTheCheckIgnoresItsContext(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	stuck := func(context.Context) error {
		<-release
		return nil
	}
	srv := ops.NewServer("127.0.0.1:0", nil, stuck, nil)
	srv.ReadyTimeout = 50 * time.Millisecond
	base, _ := start(t, srv)
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(base + "/readyz")
	if err != nil {
		t.Fatalf("/readyz with a stuck check did not answer: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || !strings.Contains(string(body), "deadline exceeded") {
		t.Errorf("/readyz with a stuck check: %d %q", resp.StatusCode, body)
	}
}

// Headers are capped well below net/http's 1 MB default: the server is
// public in Slack HTTP mode.
func TestOversizedHeadersAreRefused(t *testing.T) {
	t.Parallel()
	srv := ops.NewServer("127.0.0.1:0", nil, nil, nil)
	base, _ := start(t, srv)
	req, _ := http.NewRequest(http.MethodGet, base+"/healthz", nil)
	req.Header.Set("X-Filler", strings.Repeat("a", 100<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("100 KiB of headers: %d, want 431", resp.StatusCode)
	}
}

func TestDrainTurnsReadinessRed(t *testing.T) {
	t.Parallel()
	srv := ops.NewServer("127.0.0.1:0", nil, nil, nil)
	base, _ := start(t, srv)
	if code, _ := get(t, base+"/readyz"); code != 200 {
		t.Fatalf("/readyz before drain: %d", code)
	}
	srv.Drain()
	if code, body := get(t, base+"/readyz"); code != 503 || !strings.Contains(body, "shutting down") {
		t.Errorf("/readyz after drain: %d %q", code, body)
	}
	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Errorf("/healthz after drain: %d", code)
	}
}

// Shutdown waits for a request in flight (say, a Slack interaction being
// handled) and then refuses new connections.
func TestRunShutsDownGracefully(t *testing.T) {
	t.Parallel()
	entered := make(chan struct{})
	release := make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, "finished")
	})
	srv := ops.NewServer("127.0.0.1:0", nil, nil, map[string]http.Handler{"POST /slack/events": slow})
	base, stop := start(t, srv)

	type result struct {
		code int
		body string
		err  error
	}
	inflight := make(chan result, 1)
	go func() {
		resp, err := http.Post(base+"/slack/events", "application/json", strings.NewReader("{}"))
		if err != nil {
			inflight <- result{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		inflight <- result{resp.StatusCode, string(b), err}
	}()
	<-entered
	shuttingDown := make(chan struct{})
	srv.RegisterOnShutdown(func() { close(shuttingDown) })
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	<-shuttingDown // the listener is closed before shutdown hooks run

	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if resp, err := client.Get(base + "/healthz"); err == nil {
		resp.Body.Close()
		t.Error("a new connection was accepted during shutdown")
	}
	select {
	case err := <-stopped:
		t.Fatalf("Run returned (%v) while a request was in flight", err)
	default:
	}
	close(release)
	if r := <-inflight; r.err != nil || r.code != 200 || r.body != "finished" {
		t.Errorf("in-flight request: %+v", r)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Run after shutdown: %v", err)
	}
}

func TestListenReportsATakenPort(t *testing.T) {
	t.Parallel()
	first := ops.NewServer("127.0.0.1:0", nil, nil, nil)
	if err := first.Listen(); err != nil {
		t.Fatal(err)
	}
	base, _ := start(t, first)
	second := ops.NewServer(strings.TrimPrefix(base, "http://"), nil, nil, nil)
	if err := second.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "listen") {
		t.Errorf("Run on a taken port: %v", err)
	}
}

func TestProbe(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var readyErr error
	srv := ops.NewServer("127.0.0.1:0", nil, func(context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		return readyErr
	}, nil)
	base, stop := start(t, srv)
	ctx := context.Background()
	if err := ops.Probe(ctx, ops.HealthURL(srv.Addr().String())); err != nil {
		t.Errorf("probe of a live server: %v", err)
	}
	mu.Lock()
	readyErr = errors.New("slack: socket mode disconnected")
	mu.Unlock()
	if err := ops.Probe(ctx, base+"/readyz"); err == nil || !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "socket mode disconnected") {
		t.Errorf("probe of /readyz when not ready: %v", err)
	}
	stop()
	if err := ops.Probe(ctx, base+"/healthz"); err == nil {
		t.Error("probe of a stopped server succeeded")
	}
}

func TestHealthURL(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]string{
		":8080":          "http://127.0.0.1:8080/healthz",
		"0.0.0.0:8080":   "http://127.0.0.1:8080/healthz",
		"[::]:9090":      "http://127.0.0.1:9090/healthz",
		"10.1.2.3:8080":  "http://10.1.2.3:8080/healthz",
		"[::1]:8080":     "http://[::1]:8080/healthz",
		"localhost:8081": "http://localhost:8081/healthz",
	} {
		if got := ops.HealthURL(addr); got != want {
			t.Errorf("HealthURL(%q) = %q, want %q", addr, got, want)
		}
	}
}

// What the public listener answers for a path or method it does not serve
// is as locked down as the sign-in pages: never cached, nothing run or
// framed. A handler's own CSP still wins.
func TestPublicServerAnswersUnknownPathsWithThePagesHeaders(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /signin/{id}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self'")
	})
	h := ops.NewPublicServer("127.0.0.1:0", mux).Handler()
	for _, tc := range []struct {
		method, path string
		status       int
		csp          string
	}{
		{http.MethodGet, "/nothing-here", http.StatusNotFound, "default-src 'none'; frame-ancestors 'none'"},
		{http.MethodPost, "/signin/abc", http.StatusMethodNotAllowed, "default-src 'none'; frame-ancestors 'none'"},
		{http.MethodGet, "/signin/abc", http.StatusOK, "default-src 'none'; style-src 'self'"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, nil))
			if w.Code != tc.status {
				t.Errorf("status %d, want %d", w.Code, tc.status)
			}
			if got := w.Header().Values("Content-Security-Policy"); len(got) != 1 || !strings.HasPrefix(got[0], tc.csp) {
				t.Errorf("Content-Security-Policy %q, want one starting %q", got, tc.csp)
			}
			for k, want := range map[string]string{"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
				if got := w.Header().Get(k); got != want {
					t.Errorf("%s %q, want %q", k, got, want)
				}
			}
		})
	}
}
