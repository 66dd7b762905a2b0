package entra_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/adapters/entra"
	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/enginetest"
)

// A link opened after its time (PASSBOT_VERIFY_TTL=1m, opened after 66 s)
// is an expired link, not an attack: the chat says so and shows the banner
// again, whose Sign in again gives a new link that works. Opening the link
// is enough for the chat to hear of it; opening it again says nothing more.
func TestALinkOpenedAfterItsTimeOffersANewOne(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRigWith(t, func(c *entra.Config) { c.TTL = time.Minute })
	link := r.toSignIn()
	r.env.Clock.Advance(66 * time.Second)
	for range 2 {
		status, page, err := r.browser().Get(ctx, link)
		if err != nil || status == 200 || !strings.Contains(page, "expired") {
			t.Fatalf("late link page %d %q %v", status, page, err)
		}
	}
	replies := r.chat()
	chat := enginetest.Text(replies)
	if !strings.Contains(chat, "That sign-in link for Adele's Galaxy S7 expired") || !strings.Contains(chat, "Nothing was reset") ||
		strings.Contains(chat, "no longer valid") || strings.Contains(chat, "If it was not you") {
		t.Fatalf("chat after the late link %q, want it called expired, without an alarm", chat)
	}
	if got := r.verify(); got != bot.SignInExpired {
		t.Errorf("audit verify %q", got)
	}
	status := enginetest.Text(enginetest.Handle(t, r.env.Engine, bot.Event{Kind: bot.Message, User: adele, Text: "status"}))
	if !strings.Contains(status, "Still open in this chat: Adele's Galaxy S7") {
		t.Errorf("status %q, want the open step", status)
	}
	again := enginetest.Handle(t, r.env.Engine, bot.Event{Kind: bot.Press, User: adele, Action: enginetest.Button(t, replies, "Sign in again")})
	fresh := linkRE.FindString(enginetest.Text(again))
	if fresh == "" || fresh == link {
		t.Fatalf("Sign in again answered %q, want a new link", enginetest.Text(again))
	}
	b := r.browser()
	callback := r.callback(b, fresh, "", "signin")
	if status, page, _ := b.Get(ctx, callback.String()); status != 200 {
		t.Fatalf("the new link's sign-in %d %q", status, page)
	}
	if chat := enginetest.Text(r.chat()); !strings.Contains(chat, "Do you have Adele's Galaxy S7 with you?") {
		t.Errorf("chat after the new link %q", chat)
	}
}

// A link that expired after its conversation ended is told calmly too: it
// is most likely its owner's, opened late.
func TestALateLinkAfterTheConversationEndedIsNoAlarm(t *testing.T) {
	t.Parallel()
	r := newRigWith(t, func(c *entra.Config) { c.TTL = time.Minute })
	link := r.toSignIn()
	enginetest.Handle(t, r.env.Engine, bot.Event{Kind: bot.Message, User: adele, Text: "cancel"})
	r.chat()
	r.env.Clock.Advance(2 * time.Minute)
	r.browser().Get(context.Background(), link)
	chat := enginetest.Text(r.chat())
	if !strings.Contains(chat, "opened after it expired") || strings.Contains(chat, "If it was not you") {
		t.Errorf("chat %q, want a calm word about the expired link", chat)
	}
}
