package discord

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/enginetest"
	"github.com/passbot/passbot/store"
)

// TestMain lets all the harness tests run at once rather than one per CPU:
// most of a harness test's time is discordgo's Session.Close, which sleeps
// a second with the gateway open ("TODO: Wait for Discord to actually close
// the connection", wsapi.go), so the tests wait rather than compute. Each
// has its own fake Discord, Redis and session. -parallel on the command
// line still wins.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		flag.Set("test.parallel", "32")
	}
	os.Exit(m.Run())
}

// People of the tests: the Discord users of the fixtures.
var (
	// nelly is linked to Adele Vance, whose first device is "Adele's
	// Galaxy S7" (Android 6.0.1, self-service reset).
	nelly = person{ID: "80351110224678912", Name: "nelly", Locale: "en-US"}
	// mason is an approver through his role.
	mason = person{ID: "53908232506183680", Name: "mason", Locale: "en-US", Roles: []string{approverRole}}
	// newbie is linked to nobody.
	newbie = person{ID: "90000000000000001", Name: "newbie", Locale: "en-US"}
)

const (
	approverRole = "539082325061836999"
	adeleUPN     = "adele.vance@contoso.com"
)

// harness is the real adapter over discordgo against the fake Discord, with
// a real engine (demo fleet, Redis, fake clock).
type harness struct {
	fake    *fakeDiscord
	env     *enginetest.Env
	links   *store.Links
	adapter *Adapter
	logs    *enginetest.SyncBuffer
	handler *countingHandler
}

type options struct {
	guild      string
	linksFile  string
	deferAfter time.Duration
	helpdesk   string // PASSBOT_DISCORD_HELPDESK_CHANNEL
	selfLink   bool   // unlinked users reach the engine, which offers a sign-in and links them
	// signIns turns on the sign-in before a reset, with links from it.
	signIns *enginetest.SignIns
	// handler stands in for the engine when set.
	handler bot.Handler
}

func start(t *testing.T, opt options) *harness {
	t.Helper()
	h := &harness{fake: newFakeDiscord(t), logs: &enginetest.SyncBuffer{}}
	log := slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	engine := []enginetest.Option{enginetest.WithChat(bot.Discord, nil), enginetest.WithConfig(func(c *bot.Config) { c.Log = log })}
	if opt.signIns != nil {
		engine = append(engine, enginetest.WithSignIn(opt.signIns))
	}
	if opt.selfLink {
		engine = append(engine, func(e *enginetest.Env, c *bot.Config) { c.Links = e.Store })
	}
	h.env = enginetest.New(t, engine...)
	h.links = store.NewLinks(h.env.Store.Client(), bot.Discord)
	if err := h.links.Set(t.Context(), "test", nelly.ID, adeleUPN); err != nil {
		t.Fatal(err)
	}
	h.handler = &countingHandler{h: h.env.Engine, changed: make(chan struct{})}
	if opt.handler != nil {
		h.handler.h = opt.handler
	}
	cfg := Config{DiscordToken: testToken, DiscordAPIURL: h.fake.srv.URL, DiscordGuildID: opt.guild, DiscordLinksFile: opt.linksFile, DiscordHelpdeskChannel: opt.helpdesk, SelfLink: opt.selfLink}
	a, err := New(cfg, h.handler, h.links, []string{approverRole}, log)
	if err != nil {
		t.Fatal(err)
	}
	if opt.deferAfter > 0 {
		a.deferAfter = opt.deferAfter
	}
	h.adapter = a
	h.env.Chats[bot.Discord].Use(a)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	stopped := false
	go func() {
		err := a.Run(ctx)
		h.fake.mu.Lock()
		stopped = true
		h.fake.notify()
		h.fake.mu.Unlock()
		errc <- err
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-errc:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("Run did not return after its context ended")
		}
	})
	registered := false
	h.fake.waitFor(t, "/passcode registered", func() bool {
		for _, c := range h.fake.calls {
			registered = registered || c.Method == "PUT" && c.Status == 200
		}
		return registered || stopped
	})
	if !registered {
		t.Fatal("Run returned before registering /passcode")
	}
	return h
}

// countingHandler counts engine calls and can hold them back.
type countingHandler struct {
	h       bot.Handler
	mu      sync.Mutex
	n       int
	entered int           // calls that reached Handle, held or not
	hold    chan struct{} // when set, Handle waits for it to close
	changed chan struct{}
}

func (c *countingHandler) Handle(ctx context.Context, ev bot.Event, out bot.Sender) (bot.Handled, error) {
	c.mu.Lock()
	hold := c.hold
	c.entered++
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
	if hold != nil {
		<-hold
	}
	h, err := c.h.Handle(ctx, ev, out)
	c.mu.Lock()
	c.n++
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
	return h, err
}

func (c *countingHandler) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// waitCount waits until the engine has handled n events.
func (c *countingHandler) waitCount(t *testing.T, n int) {
	t.Helper()
	c.wait(t, "handled", func() int { return c.n }, n)
}

// waitEntered waits until n events have reached Handle (held or not).
func (c *countingHandler) waitEntered(t *testing.T, n int) {
	t.Helper()
	c.wait(t, "received", func() int { return c.entered }, n)
}

func (c *countingHandler) wait(t *testing.T, what string, count func() int, n int) {
	t.Helper()
	var got int
	ok := enginetest.Await(10*time.Second, func() (bool, <-chan struct{}) {
		c.mu.Lock()
		defer c.mu.Unlock()
		got = count()
		return got >= n, c.changed
	})
	if !ok {
		t.Fatalf("the engine %s %d events, want %d", what, got, n)
	}
}

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o600) }
