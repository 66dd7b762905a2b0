package store_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/enginetest"
	"github.com/passbot/passbot/store"
	"github.com/passbot/passbot/store/redistest"
	"github.com/redis/go-redis/v9"
)

// Redis Sentinel with a primary and a replica: the primary dies in the
// middle of a conversation. After the failover the conversation, the
// pending follow-ups and the audit trail are all there, and the click that
// was in flight (redelivered by the platform) is answered once.
func TestNothingIsLostWhenSentinelFailsOver(t *testing.T) {
	t.Parallel()
	sn := redistest.StartSentinel(t)
	ctx := context.Background()
	st, closeStore, err := store.Open(ctx, sn.URL, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeStore)
	env := enginetest.NewOn(st, enginetest.WithChat(bot.Slack, &enginetest.Recorder{}))
	adele := enginetest.Adele
	lieke := bot.User{Platform: bot.Slack, ID: "U2", UPN: "lieke.devries@contoso.com", Locale: "en"}
	say := func(u bot.User, text string) []bot.Reply {
		return enginetest.Handle(t, env.Engine, bot.Event{Kind: bot.Message, User: u, Text: text})
	}
	click := func(u bot.User, r []bot.Reply, label string) []bot.Reply {
		return enginetest.Handle(t, env.Engine, bot.Event{Kind: bot.Press, User: u, Action: enginetest.Button(t, r, label)})
	}

	// Lieke resets her phone: a reminder is pending, the reset audited.
	r := say(lieke, "reset my passcode")
	for _, label := range []string{"Lieke's Galaxy A5 (Android)", "Reset Passcode", "Continue", "Yes, reset"} {
		r = click(lieke, r, label)
	}
	// Adele is at the last question.
	r = say(adele, "reset my passcode")
	for _, label := range enginetest.ResetClicks[:3] {
		r = click(adele, r, label)
	}
	yes := enginetest.Button(t, r, "Yes, reset")
	pending, err := st.Pending(ctx)
	if err != nil || pending == 0 {
		t.Fatalf("pending follow-ups: %d, %v", pending, err)
	}
	// Replication is asynchronous: WAIT makes "the replica has it all"
	// a fact of the test rather than a matter of timing.
	primary := redis.NewClient(&redis.Options{Addr: sn.Primary})
	if n, err := primary.Do(ctx, "WAIT", 1, 5000).Int(); err != nil || n != 1 {
		t.Fatalf("WAIT: %d replicas, %v", n, err)
	}
	primary.Close()

	sn.KillPrimary(t)
	click1 := bot.Event{Kind: bot.Press, User: adele, Action: yes, DeliveryID: "Ev-in-flight"}
	firsth, _ := env.Engine.Handle(ctx, click1, &enginetest.Recorder{}) // the primary is gone: refused or, after go-redis's retries, done
	first := firsth.Replies
	sn.WaitFailover(t)
	secondh, err := env.Engine.Handle(ctx, click1, &enginetest.Recorder{}) // Slack redelivers it
	second := secondh.Replies
	if err != nil {
		t.Fatalf("redelivery after the failover: %v", err)
	}
	all := enginetest.Text(append(first, second...))
	if n := strings.Count(all, "Your temporary passcode"); n != 1 || env.Devices.Resets() != 2 {
		t.Fatalf("the click in flight: %d passcode replies, %d resets in all (want 1 and 2):\nfirst %q\nsecond %q",
			n, env.Devices.Resets(), enginetest.Text(first), enginetest.Text(second))
	}

	after, err := st.Pending(ctx)
	if err != nil || after <= pending {
		t.Errorf("pending follow-ups after the failover: %d (before %d), %v", after, pending, err)
	}
	if got := enginetest.Text(say(lieke, "status")); !strings.Contains(got, "Lieke's Galaxy A5") {
		t.Errorf("Lieke's status after the failover: %q", got)
	}
	var export bytes.Buffer
	if err := st.ExportAudit(ctx, &export, store.AuditCursor{}); err != nil {
		t.Fatal(err)
	}
	if strings.Count(export.String(), `"action":"reset"`) != 2 || !strings.Contains(export.String(), "lieke.devries@contoso.com") {
		t.Errorf("audit trail after the failover:\n%s", export.String())
	}
}
