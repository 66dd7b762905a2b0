package store_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/enginetest"
	"github.com/passbot/passbot/store"
	"github.com/passbot/passbot/store/redistest"
	"github.com/redis/go-redis/v9"
)

// On a real Redis Cluster of three primaries, with passbot's keys spread
// over their slots: a full reset, a helpdesk approval, the follow-ups and
// the audit export all work with the abuse limits on, because every key a script touches together
// shares a hash tag.
func TestEverythingRunsOnARedisCluster(t *testing.T) {
	t.Parallel()
	url, addrs := redistest.StartCluster(t, 3)
	ctx := context.Background()
	st, closeStore, err := store.Open(ctx, url, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeStore)
	rec := &enginetest.Recorder{}
	// The default abuse limits: their counters share the audit stream's
	// slot, so a reset's count and its start are one script.
	limits := enginetest.WithConfig(func(c *bot.Config) { c.Limits = bot.Limits{PerUser: 5, PerDevice: 3, Window: 24 * time.Hour} })
	env := enginetest.NewOn(st, enginetest.WithChat(bot.Slack, rec), limits)
	adele := enginetest.Adele
	hank := bot.User{Platform: bot.Slack, ID: "U9", Name: "Hank Helpdesk", Approver: true}
	say := func(u bot.User, text string) []bot.Reply {
		return enginetest.Handle(t, env.Engine, bot.Event{Kind: bot.Message, User: u, Text: text})
	}
	click := func(u bot.User, r []bot.Reply, label string) []bot.Reply {
		return enginetest.Handle(t, env.Engine, bot.Event{Kind: bot.Press, User: u, Action: enginetest.Button(t, r, label)})
	}

	// A self-service reset.
	r := say(adele, "reset my passcode")
	for _, label := range enginetest.ResetClicks {
		r = click(adele, r, label)
	}
	if !strings.Contains(enginetest.Text(r), "temporary passcode") || env.Devices.Resets() != 1 {
		t.Fatalf("reset: %q, %d resets", enginetest.Text(r), env.Devices.Resets())
	}

	// A helpdesk approval, then the reset it allows.
	r = say(adele, "reset my passcode")
	r = click(adele, r, "Contoso Galaxy Tab (Android)")
	click(adele, r, "Ask the helpdesk")
	say(adele, "Forgot the PIN after my holiday")
	var card []bot.Reply
	for _, x := range rec.Sent() {
		if x.Audience == bot.ToHelpdesk {
			card = []bot.Reply{x}
		}
	}
	click(hank, card, "Approve")
	r = click(adele, rec.Sent(), "Continue")
	r = click(adele, r, "Yes, reset")
	if env.Devices.Resets() != 2 {
		t.Fatalf("after the approval: %q, %d resets", enginetest.Text(r), env.Devices.Resets())
	}

	// The follow-ups: the reminders an hour later, each once.
	env.Clock.Advance(time.Hour + time.Minute)
	if n, err := env.Engine.Sweep(ctx); err != nil || n < 2 {
		t.Fatalf("sweep: %d, %v; want both reminders", n, err)
	}
	if n, err := env.Engine.Sweep(ctx); err != nil || n != 0 {
		t.Fatalf("second sweep: %d, %v", n, err)
	}

	// The audit export reads the stream from whichever node holds it.
	var export bytes.Buffer
	if err := st.ExportAudit(ctx, &export, store.AuditCursor{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"action":"reset"`, `"action":"request"`, `"action":"approve"`} {
		if !strings.Contains(export.String(), want) {
			t.Errorf("audit export lacks %s:\n%s", want, export.String())
		}
	}

	// The keys really are spread over the nodes.
	holding := 0
	for _, addr := range addrs {
		c := redis.NewClient(&redis.Options{Addr: addr})
		if n, _ := c.DBSize(ctx).Result(); n > 0 {
			holding++
		}
		c.Close()
	}
	if holding < 2 {
		t.Errorf("passbot's keys sit on %d of %d nodes", holding, len(addrs))
	}
}

// Behind a proxy in front of several shards (Redis Enterprise, Azure
// Managed Redis with the Enterprise clustering policy) passbot sees one
// server at a redis:// URL, and that server refuses a script whose keys
// span slots. A reset by button still works, each time: its start is then
// written in a round trip of its own, as on Cluster.
// https://learn.microsoft.com/en-us/training/modules/implement-data-operations-azure-managed-redis/3-client-libraries-best-practices
// ("Multi-key commands": Enterprise clustering allows only DEL, MSET,
// MGET, EXISTS, UNLINK and TOUCH across slots).
func TestAResetByButtonWorksBehindAProxyThatShards(t *testing.T) {
	t.Parallel()
	st, closeStore, err := store.Open(context.Background(), redistest.StartSharded(t), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeStore)
	env := enginetest.NewOn(st)
	adele := enginetest.Adele
	for i := range 2 {
		r := enginetest.Handle(t, env.Engine, bot.Event{Kind: bot.Message, User: adele, Text: "reset my passcode"})
		for _, label := range enginetest.ResetClicks {
			r = enginetest.Handle(t, env.Engine, bot.Event{Kind: bot.Press, User: adele, Action: enginetest.Button(t, r, label)})
		}
		if !strings.Contains(enginetest.Text(r), "temporary passcode") || env.Devices.Resets() != i+1 {
			t.Fatalf("reset %d: %q, %d resets", i+1, enginetest.Text(r), env.Devices.Resets())
		}
	}
}
