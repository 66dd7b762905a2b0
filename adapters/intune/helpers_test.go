package intune

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/passbot/passbot/adapters/intune/graphtest"
	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/enginetest"
)

// The fixture fleet of graphtest.
const (
	adele         = graphtest.Adele
	androidDevice = graphtest.AndroidDevice // Android 6.0.1, reset pending in the fixture
	workDevice    = graphtest.WorkDevice    // Android 13, reset done with a passcode
	iPhone        = graphtest.IPhone
	desktop       = graphtest.Desktop // Windows: resetPasscode answers 400
	donePasscode  = graphtest.FixturePasscode
)

// canned is a failure the fake serves first.
type canned = graphtest.Failure

func newFakeGraph(t testing.TB, opts ...graphtest.Option) *graphtest.Server {
	t.Helper()
	return graphtest.New(t, opts...)
}

// fakeConfig points a Config at the fake's v1.0 with the client-secret
// credential.
func fakeConfig(f *graphtest.Server) Config {
	return Config{
		URL:          f.URL + "/v1.0",
		AuthorityURL: f.AuthorityURL,
		TenantID:     f.TenantID,
		ClientID:     f.ClientID,
		ClientSecret: f.Secret,
	}
}

// fakeClock is a Clock whose Sleep returns at once: it records the wait and
// moves time forward by it.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	if err := ctx.Err(); err != nil {
		return err
	}
	c.now = c.now.Add(d)
	return nil
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sleeps)
}

// newClient is a Client on the fake's v1.0 with a real azidentity
// client-secret credential, a fake clock and a debug logger into the
// returned buffer.
func newClient(t testing.TB, f *graphtest.Server, clock *fakeClock, opts ...Option) (*Client, *enginetest.SyncBuffer) {
	t.Helper()
	return newClientConfig(t, f, fakeConfig(f), clock, opts...)
}

func newClientConfig(t testing.TB, f *graphtest.Server, cfg Config, clock *fakeClock, opts ...Option) (*Client, *enginetest.SyncBuffer) {
	t.Helper()
	return newClientVia(t, f.Client(), cfg, clock, opts...)
}

// newClientVia is newClientConfig with hc for the credential and the client.
func newClientVia(t testing.TB, hc *http.Client, cfg Config, clock *fakeClock, opts ...Option) (*Client, *enginetest.SyncBuffer) {
	t.Helper()
	cred, err := NewCredential(cfg, hc)
	if err != nil {
		t.Fatal(err)
	}
	logs := &enginetest.SyncBuffer{}
	base := []Option{
		WithHTTPClient(hc),
		WithClock(clock),
		WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
	}
	c, err := New(cfg, cred, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, logs
}

// deviceIDs returns the IDs of devices, in order.
func deviceIDs(devices []bot.DeviceRef) []string {
	var ids []string
	for _, d := range devices {
		ids = append(ids, d.ID)
	}
	return ids
}
