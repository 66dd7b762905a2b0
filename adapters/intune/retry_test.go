package intune

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/passbot/passbot/bot"
)

// countingLimiter counts the write slots asked for.
type countingLimiter struct{ n atomic.Int32 }

func (l *countingLimiter) Wait(ctx context.Context) error { l.n.Add(1); return ctx.Err() }

func TestRetries(t *testing.T) {
	t.Parallel()
	listKey := "GET /users/" + adele + "/managedDevices"
	statusKey := "GET /deviceManagement/managedDevices/" + workDevice
	resetKey := "POST /deviceManagement/managedDevices/" + androidDevice + "/resetPasscode"
	between := func(lo, hi time.Duration) func(time.Duration) bool {
		return func(d time.Duration) bool { return lo <= d && d <= hi }
	}
	exactly := func(want time.Duration) func(time.Duration) bool {
		return func(d time.Duration) bool { return d == want }
	}
	tests := []struct {
		name         string
		key          string
		queue        []canned
		cfg          func(*Config)
		call         func(context.Context, *Client) error
		wantCode     string // "" for success
		wantRequests int    // to the queued path
		wantSleeps   []func(time.Duration) bool
		wantLimiter  int32
		wantInErr    string
	}{
		{
			name:         "throttled list waits what Retry-After says, then pages on",
			key:          listKey,
			queue:        []canned{{Status: 429, RetryAfter: "7", Fixture: "error_429.json"}},
			call:         list(adele),
			wantRequests: 2, // the throttled first page and its retry; page two is another query
			wantSleeps:   []func(time.Duration) bool{exactly(7 * time.Second)},
		},
		{
			name:         "fractional Retry-After (Graph's 2.128) waits at least that long, rounded up",
			key:          statusKey,
			queue:        []canned{{Status: 429, RetryAfter: "2.128", Fixture: "error_429.json"}},
			call:         status(workDevice),
			wantRequests: 2,
			wantSleeps:   []func(time.Duration) bool{exactly(3 * time.Second)},
		},
		{
			name:         "503 then success",
			key:          statusKey,
			queue:        []canned{{Status: 503}},
			call:         status(workDevice),
			wantRequests: 2,
			wantSleeps:   []func(time.Duration) bool{between(500*time.Millisecond, time.Second)},
		},
		{
			name:         "503 with Retry-After honours it",
			key:          statusKey,
			queue:        []canned{{Status: 503, RetryAfter: "3"}},
			call:         status(workDevice),
			wantRequests: 2,
			wantSleeps:   []func(time.Duration) bool{exactly(3 * time.Second)},
		},
		{
			name:         "504s without Retry-After back off exponentially with jitter",
			key:          statusKey,
			queue:        []canned{{Status: 504}, {Status: 504}, {Status: 504}},
			call:         status(workDevice),
			wantRequests: 4,
			wantSleeps: []func(time.Duration) bool{
				between(500*time.Millisecond, time.Second),
				between(time.Second, 2*time.Second),
				between(2*time.Second, 4*time.Second),
			},
		},
		{
			name: "throttling past MaxAttempts gives up as unavailable",
			key:  statusKey,
			queue: []canned{
				{Status: 429, RetryAfter: "2", Fixture: "error_429.json"}, {Status: 429, RetryAfter: "2", Fixture: "error_429.json"},
				{Status: 429, RetryAfter: "2", Fixture: "error_429.json"}, {Status: 429, RetryAfter: "2", Fixture: "error_429.json"},
			},
			call:         status(workDevice),
			wantCode:     ErrCodeUnavailable,
			wantRequests: 4,
			wantSleeps:   []func(time.Duration) bool{exactly(2 * time.Second), exactly(2 * time.Second), exactly(2 * time.Second)},
			wantInErr:    "gave up after 4 attempts: graph: 429 Too Many Requests: TooManyRequests",
		},
		{
			name:         "MaxAttempts from the config",
			key:          statusKey,
			queue:        []canned{{Status: 503}, {Status: 503}},
			cfg:          func(c *Config) { c.MaxAttempts = 2 },
			call:         status(workDevice),
			wantCode:     ErrCodeUnavailable,
			wantRequests: 2,
			wantSleeps:   []func(time.Duration) bool{between(500*time.Millisecond, time.Second)},
		},
		{
			name:         "500 is not retried",
			key:          statusKey,
			queue:        []canned{{Status: 500}},
			call:         status(workDevice),
			wantCode:     ErrCodeUnavailable,
			wantRequests: 1,
		},
		{
			name:         "Retry-After over a minute fails at once",
			key:          statusKey,
			queue:        []canned{{Status: 429, RetryAfter: "120", Fixture: "error_429.json"}},
			call:         status(workDevice),
			wantCode:     ErrCodeUnavailable,
			wantRequests: 1,
			wantInErr:    "longer than 1m0s",
		},
		{
			name:         "throttled reset asks the limiter again before the retry",
			key:          resetKey,
			queue:        []canned{{Status: 429, RetryAfter: "1", Fixture: "error_429.json"}},
			call:         reset(androidDevice),
			wantRequests: 2,
			wantSleeps:   []func(time.Duration) bool{exactly(time.Second)},
			wantLimiter:  2,
		},
		{
			name:         "reset answered 504 is not sent again: it may have reached Intune",
			key:          resetKey,
			queue:        []canned{{Status: 504}},
			call:         reset(androidDevice),
			wantCode:     ErrCodeUnavailable,
			wantRequests: 1,
			wantLimiter:  1,
		},
		{
			name:         "read that times out is retried",
			key:          statusKey,
			queue:        []canned{{Hang: true}},
			cfg:          func(c *Config) { c.Timeout = 200 * time.Millisecond },
			call:         status(workDevice),
			wantRequests: 2,
			wantSleeps:   []func(time.Duration) bool{between(500*time.Millisecond, time.Second)},
		},
		{
			name:         "reset that times out is not sent again",
			key:          resetKey,
			queue:        []canned{{Hang: true}},
			cfg:          func(c *Config) { c.Timeout = 200 * time.Millisecond },
			call:         reset(androidDevice),
			wantCode:     ErrCodeUnavailable,
			wantRequests: 1,
			wantLimiter:  1,
			wantInErr:    "deadline exceeded",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeGraph(t)
			f.Queue(tt.key, tt.queue...)
			cfg := fakeConfig(f)
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			clock := newFakeClock()
			limiter := &countingLimiter{}
			c, _ := newClientConfig(t, f, cfg, clock, WithLimiter(limiter))

			err := tt.call(t.Context(), c)
			if tt.wantCode == "" && err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if tt.wantCode != "" && bot.ErrorCode(err) != tt.wantCode {
				t.Fatalf("code %s, want %s (err %v)", bot.ErrorCode(err), tt.wantCode, err)
			}
			if tt.wantInErr != "" && !strings.Contains(err.Error(), tt.wantInErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantInErr)
			}
			method, path, _ := strings.Cut(tt.key, " ")
			var n int
			for _, r := range f.Requests() {
				if r.Method == method && strings.TrimPrefix(r.Path, "/v1.0") == path && r.Query.Get("$skiptoken") == "" {
					n++
				}
			}
			if n != tt.wantRequests {
				t.Errorf("%d requests to %s, want %d", n, tt.key, tt.wantRequests)
			}
			sleeps := clock.Sleeps()
			if len(sleeps) != len(tt.wantSleeps) {
				t.Fatalf("slept %v, want %d sleeps", sleeps, len(tt.wantSleeps))
			}
			for i, ok := range tt.wantSleeps {
				if !ok(sleeps[i]) {
					t.Errorf("sleep %d = %v out of bounds", i, sleeps[i])
				}
			}
			if got := limiter.n.Load(); got != tt.wantLimiter {
				t.Errorf("limiter asked %d times, want %d", got, tt.wantLimiter)
			}
		})
	}
}

func TestRetryGivesUpWhenTheWaitOutlivesTheCaller(t *testing.T) {
	t.Parallel()
	f := newFakeGraph(t)
	f.Queue("GET /deviceManagement/managedDevices/"+workDevice, canned{Status: 429, RetryAfter: "30", Fixture: "error_429.json"})
	clock := newFakeClock()
	c, _ := newClient(t, f, clock)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	_, err := c.ResetStatus(ctx, workDevice, time.Time{})
	if bot.ErrorCode(err) != ErrCodeUnavailable || !strings.Contains(err.Error(), "would pass the deadline") {
		t.Fatalf("err %v, want unavailable without waiting", err)
	}
	if s := clock.Sleeps(); len(s) != 0 {
		t.Errorf("slept %v", s)
	}
}

func TestBackoffBounds(t *testing.T) {
	t.Parallel()
	for attempt, hi := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 6: 30 * time.Second, 40: 30 * time.Second} {
		for range 200 {
			if d := backoff(attempt); d < hi/2 || d > hi {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", attempt, d, hi/2, hi)
			}
		}
	}
}

func TestRetryAfterHeader(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	c := &Client{clock: clock}
	for v, want := range map[string]time.Duration{
		"":      0,
		"5":     5 * time.Second,
		"2.128": 3 * time.Second,
		"0.2":   time.Second,
		"-3":    0,
		"soon":  0,
		"NaN":   0,
		"1e300": retryAfterMax + time.Second, // refused as too long, not overflowed
		clock.Now().Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
	} {
		h := http.Header{}
		h.Set("Retry-After", v)
		if got := c.retryAfter(h); got != want {
			t.Errorf("Retry-After %q = %v, want %v", v, got, want)
		}
	}
}

// callLog records what an Observer is told.
type callLog struct {
	mu      sync.Mutex
	calls   []string
	circuit []bool
	waits   []time.Duration
}

func (l *callLog) GraphCall(method, status string, _ time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, method+" "+status)
}

func (l *callLog) Circuit(open bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.circuit = append(l.circuit, open)
}

func (l *callLog) WriteWait(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.waits = append(l.waits, d)
}

func TestObserverSeesEveryAttempt(t *testing.T) {
	t.Parallel()
	f := newFakeGraph(t)
	f.Queue("POST /deviceManagement/managedDevices/"+androidDevice+"/resetPasscode", canned{Status: 429, RetryAfter: "1", Fixture: "error_429.json"})
	f.Queue("GET /deviceManagement/managedDevices/"+androidDevice, canned{Hang: true})
	cfg := fakeConfig(f)
	cfg.Timeout = 200 * time.Millisecond
	obs := &callLog{}
	c, _ := newClientConfig(t, f, cfg, newFakeClock(), WithObserver(obs))
	if _, err := c.ResetPasscode(t.Context(), androidDevice); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ResetStatus(t.Context(), androidDevice, time.Time{}); err != nil {
		t.Fatal(err)
	}
	want := []string{"POST 429", "POST 204", "GET error", "GET 200"}
	if !slices.Equal(obs.calls, want) {
		t.Errorf("observed %v, want %v", obs.calls, want)
	}
}
