package bot_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/enginetest"
)

// overtaken is a Store on which another event of the same person is saved
// just before the first conversation commit of the test: that commit then
// loses its compare-and-set, as in a burst of messages.
type overtaken struct {
	bot.Store
	once sync.Once
}

func (s *overtaken) Commit(ctx context.Context, c *bot.Conversation, fs []bot.FollowUp, rs []bot.AuditRecord) error {
	if c != nil {
		var err error
		s.once.Do(func() {
			var b bot.Begun
			if b, err = s.Store.Begin(ctx, c.Owner, "", ""); err != nil {
				return
			}
			other := &bot.Conversation{Owner: c.Owner}
			if b.Conv != nil {
				other = b.Conv
				other.Owner = c.Owner
			}
			err = s.Store.Save(ctx, other)
		})
		if err != nil {
			return err
		}
	}
	return s.Store.Commit(ctx, c, fs, rs)
}

func TestMessageOvertakenByAnotherIsAnsweredNotRefused(t *testing.T) {
	h := newHarness(t)
	h.env.Engine.Store = &overtaken{Store: h.env.Engine.Store}
	r := h.say(adele, "reset my passcode")
	if text := enginetest.Text(r); !strings.Contains(text, "Which device") {
		t.Fatalf("a message that lost the race was answered %q, want the device list", text)
	}
	enginetest.Button(t, r, "Adele's Galaxy S7 (Android)")
}

func TestBurstOfMessagesIsAnsweredInFull(t *testing.T) {
	h := newHarness(t)
	const burst = 5
	var wg sync.WaitGroup
	answers := make([]string, burst)
	for i := range burst {
		ev := bot.Event{Kind: bot.Message, User: adele, Text: "reset my passcode", DeliveryID: fmt.Sprint("burst-", i)}
		wg.Go(func() {
			r, err := h.env.Engine.Handle(context.Background(), ev)
			if err != nil {
				t.Error(err)
			}
			answers[i] = enginetest.Text(r)
		})
	}
	wg.Wait()
	for i, a := range answers {
		if !strings.Contains(a, "Which device") {
			t.Errorf("message %d of the burst was answered %q, want the device list", i, a)
		}
	}
}

// slackOnly is what a replica serving only Slack delivers to.
var slackOnly = []bot.Platform{bot.Slack}

// A replica that serves Slack only and one that serves Discord only share a
// Redis: a Discord employee's request escalates through the Discord one,
// and the Slack one neither drops it nor keeps failing on it.
func TestFollowUpsAreClaimedOnlyByAReplicaThatCanDeliverThem(t *testing.T) {
	env := enginetest.New(t)
	ctx := context.Background()
	onSlack, onDiscord := *env.Engine, *env.Engine
	slackSent, discordSent := &enginetest.Recorder{}, &enginetest.Recorder{}
	onSlack.Notifiers = map[bot.Platform]bot.Notifier{bot.Slack: slackSent}
	onDiscord.Notifiers = map[bot.Platform]bot.Notifier{bot.Discord: discordSent}

	lieke := bot.User{Platform: bot.Discord, ID: "D1", UPN: "lieke.devries@contoso.com", Locale: "nl-NL"}
	r := &bot.Request{ID: "R1", Requester: lieke, Device: bot.DeviceRef{ID: "d-tab", Name: "Contoso Galaxy Tab"},
		Reason: "vergeten", State: bot.RequestPending, Created: env.Clock.Now()}
	if err := env.Store.SaveRequest(ctx, r); err != nil {
		t.Fatal(err)
	}
	fs := env.Engine.Approval.FollowUps(r)
	for i := range fs {
		fs[i].Owner, fs[i].Request = lieke, r.ID
	}
	fs = append(fs, bot.FollowUp{ID: "signin-D1", Kind: "signin", Due: env.Clock.Now(), Owner: lieke, Device: r.Device})
	if err := env.Store.Schedule(ctx, fs...); err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(31 * time.Minute) // past the escalation, before the expiry

	for range 3 {
		if n, err := onSlack.Sweep(ctx); n != 0 || err != nil {
			t.Fatalf("the Slack replica fired %d of Discord's follow-ups (%v)", n, err)
		}
	}
	if got := slackSent.Sent(); len(got) != 0 {
		t.Fatalf("the Slack replica sent %+v", got)
	}
	if n, err := onDiscord.Sweep(ctx); n != 2 || err != nil {
		t.Fatalf("the Discord replica fired %d, %v; want the escalation and the sign-in notice", n, err)
	}
	var escalated bool
	for _, x := range discordSent.Sent() {
		escalated = escalated || x.Audience == bot.ToHelpdesk
	}
	if !escalated {
		t.Errorf("no escalation reached the Discord helpdesk: %+v", discordSent.Sent())
	}
	if n, _ := env.Store.Pending(ctx); n != 2 {
		t.Errorf("%d follow-ups pending, want the expiry and the next escalation", n)
	}
}
