// Package enginetest wires a real engine for tests: the reset flow, the demo
// fleet, a Redis store (a real redis-server when one is on PATH) and a clock
// the test moves by hand.
package enginetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/passbot/passbot/adapters/demo"
	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/flows/approval"
	"github.com/passbot/passbot/flows/reset"
	"github.com/passbot/passbot/store"
	"github.com/passbot/passbot/store/redistest"
)

// Clock is a fake bot.Clock.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock starts a fake clock at a fixed, readable time.
func NewClock() *Clock {
	return &Clock{now: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
}

// Now implements bot.Clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Env is a wired engine and its parts.
type Env struct {
	Engine *bot.Engine
	Store  *store.Redis
	Redis  *redistest.Server
	Fleet  *demo.Fleet
	Clock  *Clock
}

// New returns an engine over the embedded demo fleet and a fresh Redis.
func New(t testing.TB) *Env {
	t.Helper()
	srv := redistest.Start(t)
	st := store.New(srv.Client())
	e := &Env{Store: st, Redis: srv, Fleet: demo.Default(), Clock: NewClock()}
	e.Engine = &bot.Engine{
		Store:     st,
		Devices:   e.Fleet,
		Flow:      reset.New(reset.Config{Support: "helpdesk@contoso.com", Approvals: true}),
		Approval:  approval.New(approval.Config{Support: "helpdesk@contoso.com"}),
		Clock:     e.Clock,
		Notifiers: map[bot.Platform]bot.Notifier{},
	}
	return e
}

// Recorder is a bot.Notifier that keeps what it was sent.
type Recorder struct {
	mu      sync.Mutex
	Replies []bot.Reply
}

// Notify implements bot.Notifier.
func (r *Recorder) Notify(_ context.Context, replies []bot.Reply) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Replies = append(r.Replies, replies...)
	return nil
}

// Sent returns a copy of what was sent so far.
func (r *Recorder) Sent() []bot.Reply {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bot.Reply(nil), r.Replies...)
}
