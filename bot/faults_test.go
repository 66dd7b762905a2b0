package bot_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

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
