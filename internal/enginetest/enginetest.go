// Package enginetest wires a real engine for tests: the reset flow, the demo
// fleet with its passcode resets counted, a Redis store (a real redis-server
// when one is on PATH) and a clock the test moves by hand. It also holds the
// small helpers the tests of several packages share: finding a button in the
// replies, joining their texts, a goroutine-safe log buffer.
package enginetest

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/passbot/passbot/adapters/demo"
	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/flows/approval"
	"github.com/passbot/passbot/flows/reset"
	"github.com/passbot/passbot/store"
	"github.com/passbot/passbot/store/redistest"
	"github.com/redis/go-redis/v9"
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

// Adele is the demo-fleet employee most tests talk as: her first device,
// "Adele's Galaxy S7" (Android 6.0.1), is self-service resettable.
var Adele = bot.User{Platform: bot.Slack, ID: "U1", UPN: "adele.vance@contoso.com", Locale: "en-US"}

// ResetClicks are the buttons of Adele's full self-service reset of her
// Galaxy S7 (a temporary passcode), after "reset my passcode", with the
// sign-in off (the banner's button is then Continue).
var ResetClicks = []string{"Adele's Galaxy S7 (Android)", "Reset Passcode", "Continue", "Yes, reset"}

// Devices is a bot.Devices that counts the passcode resets asked of the
// backend it wraps.
type Devices struct {
	bot.Devices
	resets atomic.Int32
}

// ResetPasscode implements bot.Devices.
func (d *Devices) ResetPasscode(ctx context.Context, id string) (bot.ResetResult, error) {
	d.resets.Add(1)
	return d.Devices.ResetPasscode(ctx, id)
}

// Resets returns how many passcode resets were asked for so far.
func (d *Devices) Resets() int { return int(d.resets.Load()) }

// Env is a wired engine and its parts.
type Env struct {
	Engine *bot.Engine
	// Config is what Engine was made of: a test makes another replica of
	// it with bot.New.
	Config bot.Config
	Store  *store.Redis
	Redis  *redistest.Server
	// Devices is the engine's device backend: the demo fleet, its resets
	// counted.
	// Engines a test makes besides Engine share it to count every reset.
	Devices *Devices
	Clock   *Clock
	// Chats are the engine's chats, by platform (see WithChat).
	Chats map[bot.Platform]*Chat
}

// flowConfig is the reset flow's configuration in tests: the sign-in before
// a reset is off unless a test turns it on with WithSignIn.
var flowConfig = reset.Config{Support: "helpdesk@contoso.com", Approvals: true}

// Option changes the engine's configuration before it is made.
type Option func(*Env, *bot.Config)

// WithChat registers a chat for p that sends through to (a Recorder, a
// failing chat; nil for an adapter made after the engine, which needs
// it); Env.Chats[p].Use switches it later. Without one, p has no chat: the
// engine sweeps no follow-up of p.
func WithChat(p bot.Platform, to bot.Sender) Option {
	return func(e *Env, c *bot.Config) {
		ch := &Chat{platform: p, to: to}
		e.Chats[p] = ch
		c.Chats = append(c.Chats, ch)
	}
}

// WithConfig changes the engine's configuration as f does.
func WithConfig(f func(*bot.Config)) Option {
	return func(_ *Env, c *bot.Config) { f(c) }
}

// New returns an engine over the embedded demo fleet and a fresh Redis.
func New(t testing.TB, opts ...Option) *Env {
	t.Helper()
	srv := redistest.Start(t)
	e := NewOn(store.New(srv.Client()), opts...)
	e.Redis = srv
	return e
}

// NewOn returns an engine over the embedded demo fleet and st (Redis is
// then nil: st's server belongs to the caller).
func NewOn(st *store.Redis, opts ...Option) *Env {
	fleet := demo.DefaultAt(NewClock().Now())
	e := &Env{Store: st, Devices: &Devices{Devices: fleet}, Clock: NewClock(), Chats: map[bot.Platform]*Chat{}}
	e.Config = bot.Config{
		Store:    st,
		Devices:  e.Devices,
		Flow:     reset.New(flowConfig),
		Approval: approval.New(approval.Config{Support: "helpdesk@contoso.com"}),
		Clock:    e.Clock,
		Log:      slog.New(slog.DiscardHandler), // tests that read logs set their own
	}
	for _, o := range opts {
		o(e, &e.Config)
	}
	e.Engine = bot.New(e.Config)
	return e
}

// Sweep moves the clock d forward and runs the due follow-ups (escalations,
// expiries, passcode removals), failing the test on an error.
func (e *Env) Sweep(t testing.TB, d time.Duration) {
	t.Helper()
	e.Clock.Advance(d)
	if _, err := e.Engine.Sweep(context.Background()); err != nil {
		t.Fatalf("Sweep: %v", err)
	}
}

// Chat is a bot.ChatAdapter for tests: it sends through whatever Sender
// the test put behind it.
type Chat struct {
	platform bot.Platform
	mu       sync.Mutex
	to       bot.Sender
}

// Use makes c send through to from now on.
func (c *Chat) Use(to bot.Sender) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.to = to
}

// Platform implements bot.ChatAdapter.
func (c *Chat) Platform() bot.Platform { return c.platform }

// Caps implements bot.ChatAdapter: those of the chat adapter c sends
// through, else Discord's ephemeral privacy, as its adapter's.
func (c *Chat) Caps() bot.Caps {
	c.mu.Lock()
	to := c.to
	c.mu.Unlock()
	if a, ok := to.(bot.ChatAdapter); ok {
		return a.Caps()
	}
	return bot.Caps{EphemeralPrivacy: c.platform == bot.Discord}
}

// Send implements bot.ChatAdapter.
// Before Use, as a platform that is down, it takes nothing.
func (c *Chat) Send(ctx context.Context, r bot.Reply) (bot.MessageRef, error) {
	c.mu.Lock()
	to := c.to
	c.mu.Unlock()
	if to == nil {
		return "", fmt.Errorf("enginetest: no %s chat behind it yet", c.platform)
	}
	return to.Send(ctx, r)
}

// Recorder is a bot.Sender that keeps what it was sent.
type Recorder struct {
	mu      sync.Mutex
	Replies []bot.Reply
}

// Send implements bot.Sender: each reply becomes a message whose reference
// is its place in Replies.
func (r *Recorder) Send(_ context.Context, rep bot.Reply) (bot.MessageRef, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Replies = append(r.Replies, rep)
	return bot.MessageRef("rec:" + strconv.Itoa(len(r.Replies)-1)), nil
}

// Sent returns a copy of what was sent so far.
func (r *Recorder) Sent() []bot.Reply {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bot.Reply(nil), r.Replies...)
}

// SenderFunc is a bot.Sender made of a function.
type SenderFunc func(ctx context.Context, r bot.Reply) (bot.MessageRef, error)

// Send implements bot.Sender.
func (f SenderFunc) Send(ctx context.Context, r bot.Reply) (bot.MessageRef, error) { return f(ctx, r) }

// Posted names the message the i-th reply to ev became, as a platform
// would: a message of its own named "<delivery>:<i>", but for a reply that
// takes the clicked message's place (ev.Clicked, when the event names it)
// or updates a message (its Target.Ref).
func Posted(ev bot.Event, i int, r bot.Reply) bot.MessageRef {
	switch k := r.Target.Kind; {
	case k == bot.UpdateRef:
		return r.Target.Ref
	case (k == bot.ReplaceClicked || k == bot.DisarmClicked) && ev.Clicked != "":
		return ev.Clicked
	}
	return bot.MessageRef(ev.DeliveryID + ":" + strconv.Itoa(i))
}

// PostedAs is the Sender of ev that names what it sends by Posted.
func PostedAs(ev bot.Event) bot.Sender {
	n := 0
	return SenderFunc(func(_ context.Context, r bot.Reply) (bot.MessageRef, error) {
		n++
		return Posted(ev, n-1, r), nil
	})
}

// Screen is the message each button was last sent on, as PostedAs named
// it, so that a press names the message it was made on, as a platform's
// does.
type Screen map[string]bot.MessageRef

// Show notes the buttons of replies, ev's as sent through PostedAs.
func (s Screen) Show(ev bot.Event, replies []bot.Reply) {
	for i, r := range replies {
		for _, b := range r.Buttons {
			s[b.Action] = Posted(ev, i, r)
		}
	}
}

// Handle runs ev on e, fails the test on an error, and returns the replies
// as sent through PostedAs.
func Handle(t testing.TB, e *bot.Engine, ev bot.Event) []bot.Reply {
	t.Helper()
	h, err := e.Handle(context.Background(), ev, PostedAs(ev))
	if err != nil {
		t.Fatalf("Handle(%+v): %v", ev, err)
	}
	return h.Replies
}

// Find returns the action of the button labelled label in replies.
func Find(replies []bot.Reply, label string) (action string, ok bool) {
	for _, r := range replies {
		for _, b := range r.Buttons {
			if b.Label == label {
				return b.Action, true
			}
		}
	}
	return "", false
}

// Button returns the action of the button labelled label in replies and
// fails the test when there is none.
func Button(t testing.TB, replies []bot.Reply, label string) string {
	t.Helper()
	action, ok := Find(replies, label)
	if !ok {
		t.Fatalf("no button %q in %+v", label, replies)
	}
	return action
}

// Text returns the texts of replies, each followed by a newline.
func Text(replies []bot.Reply) string {
	var b strings.Builder
	for _, r := range replies {
		b.WriteString(r.Text + "\n")
	}
	return b.String()
}

// SyncBuffer is a bytes.Buffer that goroutines may write and read at once:
// a log destination for tests.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write implements io.Writer.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Decisions counts the approvals and denials among the latest entries of
// the audit trail.
func Decisions(t testing.TB, st *store.Redis) int {
	t.Helper()
	audit, err := st.RecentAudit(context.Background(), "", 20)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range audit {
		if a.Action == "approve" || a.Action == "deny" {
			n++
		}
	}
	return n
}

// RoundTrips is a Redis hook that counts round trips: every command sent on
// its own and every pipeline or transaction counts as one. Total counts them
// all; a command whose context came from CountTrips also counts into that
// context's counter, so that concurrent events do not mix.
type RoundTrips struct{ Total atomic.Int64 }

type tripsKey struct{}

// CountTrips returns ctx with n counting the round trips made under it.
func CountTrips(ctx context.Context, n *atomic.Int64) context.Context {
	return context.WithValue(ctx, tripsKey{}, n)
}

func (r *RoundTrips) count(ctx context.Context) {
	r.Total.Add(1)
	if n, ok := ctx.Value(tripsKey{}).(*atomic.Int64); ok {
		n.Add(1)
	}
}

// DialHook implements redis.Hook.
func (r *RoundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook implements redis.Hook.
func (r *RoundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.count(ctx)
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook implements redis.Hook.
func (r *RoundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		r.count(ctx)
		return next(ctx, cmds)
	}
}

// Await waits until check reports ok, calling it again whenever the channel
// it returned with its last answer is closed (the fakes close and replace
// theirs on every change); it returns false when timeout passes first.
func Await(timeout time.Duration, check func() (ok bool, changed <-chan struct{})) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		ok, changed := check()
		if ok {
			return true
		}
		select {
		case <-changed:
		case <-deadline.C:
			return false
		}
	}
}

// SignIns is a bot.SignIns that hands out links and remembers them, so a
// test can finish a sign-in as the identity provider would have.
type SignIns struct {
	mu    sync.Mutex
	links []bot.SignIn
}

// Start implements bot.SignIns.
func (s *SignIns) Start(_ context.Context, in bot.SignIn) (bot.SignIn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in.ID = fmt.Sprintf("link%d", len(s.links)+1)
	in.URL = "http://127.0.0.1:8080/signin/" + in.ID
	s.links = append(s.links, in)
	return in, nil
}

// Last returns the latest link handed out.
func (s *SignIns) Last(t testing.TB) bot.SignIn {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.links) == 0 {
		t.Fatal("no sign-in link was handed out")
	}
	return s.links[len(s.links)-1]
}

// WithSignIn turns on the sign-in before a reset, with links from s,
// which the test finishes with Env.SignIn.
func WithSignIn(s *SignIns) Option {
	return func(_ *Env, c *bot.Config) {
		flow := flowConfig
		flow.SignIn = true
		c.Flow, c.SignIns = reset.New(flow), s
	}
}

// SignIn finishes the latest sign-in as its device's owner would, and
// returns the outcome the engine decided.
func (e *Env) SignIn(t testing.TB, s *SignIns) string {
	t.Helper()
	l := s.Last(t)
	id := bot.Identity{OID: l.Device.OwnerID, UPN: l.Device.OwnerUPN, AuthTime: e.Clock.Now()}
	outcome, err := e.Engine.SignedIn(context.Background(), bot.SignInResult{SignIn: l, Outcome: bot.SignInOK, Identity: id})
	if err != nil {
		t.Fatalf("SignedIn: %v", err)
	}
	return outcome
}

// FreeAddr is a loopback address with a port nothing listens on, for a
// configuration that needs the address before the program starts.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
