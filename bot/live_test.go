package bot_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/enginetest"
	"github.com/passbot/passbot/store/redistest"
)

// messages is a chat as the engine's Senders reach it: it records every
// reply sent and names the message each became, as a platform does. A new
// message gets a name of its own; an update, and a reply in the clicked
// message's place, keep the name of the message they change.
type messages struct {
	mu   sync.Mutex
	sent []enginetest.Delivery
}

// to is the Sender of an event whose button was pressed on clicked ("" for
// a typed message, and for what answers no event).
func (m *messages) to(clicked bot.MessageRef) bot.Sender {
	return enginetest.SenderFunc(func(_ context.Context, r bot.Reply) (bot.MessageRef, error) {
		m.mu.Lock()
		defer m.mu.Unlock()
		ref := bot.MessageRef("m" + strconv.Itoa(len(m.sent)))
		switch r.Target.Kind {
		case bot.UpdateRef:
			ref = r.Target.Ref
		case bot.ReplaceClicked, bot.DisarmClicked:
			ref = clicked
		}
		m.sent = append(m.sent, enginetest.Delivery{Reply: r, Ref: ref})
		return ref, nil
	})
}

// since returns what was sent after the first n deliveries.
func (m *messages) since(n int) []enginetest.Delivery {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]enginetest.Delivery(nil), m.sent[n:]...)
}

func (m *messages) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.sent)
}

// handle runs ev on e through ev's Sender and returns what it sent.
func (m *messages) handle(t *testing.T, e *bot.Engine, ev bot.Event) []enginetest.Delivery {
	t.Helper()
	n := m.count()
	if _, err := e.Handle(context.Background(), ev, m.to(ev.Clicked)); err != nil {
		t.Fatalf("Handle(%+v): %v", ev, err)
	}
	return m.since(n)
}

// press is u pressing the button labelled label on the message of ds that
// shows it.
func press(t *testing.T, u bot.User, ds []enginetest.Delivery, label string) bot.Event {
	t.Helper()
	for _, d := range ds {
		for _, b := range d.Reply.Buttons {
			if b.Label == label {
				return bot.Event{Kind: bot.Press, User: u, Action: b.Action, Clicked: d.Ref}
			}
		}
	}
	t.Fatalf("no button %q in %+v", label, ds)
	return bot.Event{}
}

// updates are the deliveries of ds that change an earlier message.
func updates(ds []enginetest.Delivery) []enginetest.Delivery {
	var out []enginetest.Delivery
	for _, d := range ds {
		if d.Reply.Target.Kind == bot.UpdateRef {
			out = append(out, d)
		}
	}
	return out
}

// liveOf returns the live messages stored with u's conversation.
func liveOf(t *testing.T, env *enginetest.Env, u bot.User) []bot.MessageRef {
	t.Helper()
	b, err := env.Store.Begin(context.Background(), u, "", "")
	if err != nil || b.Conv == nil {
		t.Fatalf("conversation of %s: %+v, %v", u.Key(), b, err)
	}
	return b.Conv.Live
}

// over is what a message left behind by its conversation says.
const over = "This step is over: my latest message is below."

// A new device list while the last one is still in the chat: the old
// message loses its buttons and says its step is over, so only the new
// list's buttons are live.
func TestANewStepTakesTheButtonsOffTheMessageItLeavesBehind(t *testing.T) {
	env := enginetest.New(t)
	chat := &messages{}
	first := chat.handle(t, env.Engine, bot.Event{Kind: bot.Message, User: adele, Text: "reset my passcode", DeliveryID: "m1"})
	if len(first) != 1 || len(first[0].Reply.Buttons) == 0 {
		t.Fatalf("the device list: %+v", first)
	}
	got := chat.handle(t, env.Engine, bot.Event{Kind: bot.Message, User: adele, Text: "reset my passcode", DeliveryID: "m2"})
	up := updates(got)
	if len(up) != 1 || up[0].Ref != first[0].Ref || up[0].Reply.Text != over || len(up[0].Reply.Buttons) != 0 {
		t.Fatalf("sent %+v; want the first list (%s) updated to the step's end without buttons", got, first[0].Ref)
	}
	if got[0].Reply.Target.Kind != bot.Chat || len(got[0].Reply.Buttons) == 0 {
		t.Errorf("the new list came as %+v, want a new message with buttons before the update", got[0])
	}
	if live := liveOf(t, env, adele); len(live) != 1 || live[0] != got[0].Ref {
		t.Errorf("live %+v, want only the new list %s", live, got[0].Ref)
	}
}

// A press whose answer takes the clicked message's place leaves nothing
// behind: no update is sent besides the answer.
func TestAPressAnsweredInPlaceSendsNothingMore(t *testing.T) {
	env := enginetest.New(t)
	chat := &messages{}
	list := chat.handle(t, env.Engine, bot.Event{Kind: bot.Message, User: adele, Text: "reset my passcode", DeliveryID: "m1"})
	ev := press(t, adele, list, "Adele's Galaxy S7 (Android)")
	ev.DeliveryID = "p1"
	got := chat.handle(t, env.Engine, ev)
	if len(got) != 1 || got[0].Reply.Target.Kind != bot.ReplaceClicked || got[0].Ref != list[0].Ref {
		t.Fatalf("sent %+v; want only the device card in the list's place", got)
	}
	if live := liveOf(t, env, adele); len(live) != 1 || live[0] != list[0].Ref {
		t.Errorf("live %+v, want the card in %s", live, list[0].Ref)
	}
}

// discordSignIn walks a Discord user of Adele's to the sign-in link of her
// Galaxy S7 and returns the chat, the engine, the user, what the last step
// sent and its link.
func discordSignIn(t *testing.T) (*messages, *enginetest.Env, *enginetest.SignIns, bot.User, []enginetest.Delivery, enginetest.Delivery) {
	t.Helper()
	chat := &messages{}
	signIns := &enginetest.SignIns{}
	env := enginetest.New(t, enginetest.WithSignIn(signIns), enginetest.WithChat(bot.Discord, chat.to("")))
	u := bot.User{Platform: bot.Discord, ID: "D1", UPN: adele.UPN, Locale: "en-US"}
	got := chat.handle(t, env.Engine, bot.Event{Kind: bot.Message, User: u, Text: "reset my passcode", DeliveryID: "m1"})
	for i, label := range []string{"Adele's Galaxy S7 (Android)", "Reset Passcode", "Sign in again"} {
		ev := press(t, u, got, label)
		ev.DeliveryID = "p" + strconv.Itoa(i)
		got = chat.handle(t, env.Engine, ev)
	}
	for _, d := range got {
		if strings.Contains(d.Reply.Text, signIns.Last(t).URL) {
			return chat, env, signIns, u, got, d
		}
	}
	t.Fatalf("no sign-in link in %+v", got)
	return nil, nil, nil, bot.User{}, nil, enginetest.Delivery{}
}

// The sign-in's answer comes when no event is being answered: the link's
// message, an ephemeral one with buttons on Discord, loses its buttons
// through the chat registered for Discord.
func TestTheSignInLinkLosesItsButtonsAfterTheSignIn(t *testing.T) {
	chat, env, signIns, _, got, link := discordSignIn(t)
	if link.Ref == "" || link.Reply.Target.Kind != bot.Ephemeral || len(link.Reply.Buttons) == 0 {
		t.Fatalf("sent %+v; want the link as an ephemeral message with buttons", got)
	}
	n := chat.count()
	if outcome := env.SignIn(t, signIns); outcome != bot.SignInOK {
		t.Fatalf("sign-in: %q", outcome)
	}
	var closed []enginetest.Delivery
	for _, d := range updates(chat.since(n)) {
		if d.Ref == link.Ref {
			closed = append(closed, d)
		}
	}
	if len(closed) != 1 || closed[0].Reply.Text != over || len(closed[0].Reply.Buttons) != 0 {
		t.Errorf("after the sign-in the link %s got %+v, want one update to the step's end without buttons; sent %+v", link.Ref, closed, chat.since(n))
	}
}

// A Discord ephemeral message is named by the webhook of the latest
// interaction that touched it: Cancel on the sign-in link comes back as the
// same message under a new name, which takes its place, and is not taken
// for a message left behind (that would overwrite "Cancelled").
func TestAMessageUnderANewNameIsTheSameMessage(t *testing.T) {
	chat, env, _, u, got, shown := discordSignIn(t)
	link := shown.Ref
	// The sign-in link was sent by the interaction "tok1"; Cancel is
	// pressed through "tok2".
	renamed := func(r bot.MessageRef) bot.MessageRef { return "wh/app/tok2/" + r }
	if err := env.Store.UpdateLive(context.Background(), u, []bot.MessageRef{"wh/app/tok1/" + link}, liveOf(t, env, u)); err != nil {
		t.Fatal(err)
	}
	ev := press(t, u, got, "Cancel")
	ev.DeliveryID, ev.Clicked, ev.ClickedEphemeral = "cancel", renamed(link), true
	sent := chat.handle(t, env.Engine, ev)
	if up := updates(sent); len(up) != 0 {
		t.Errorf("Cancel on the link sent %+v; want no update of a message left behind", up)
	}
	if len(sent) == 0 || sent[0].Ref != renamed(link) {
		t.Errorf("sent %+v; want the answer in the link's place", sent)
	}
}

// A press on someone else's message and a press of a button of an earlier
// step change nothing: they tidy nothing and leave the live messages as
// they were.
func TestRefusedPressesTidyNothing(t *testing.T) {
	env := enginetest.New(t)
	chat := &messages{}
	list := chat.handle(t, env.Engine, bot.Event{Kind: bot.Message, User: adele, Text: "reset my passcode", DeliveryID: "m1"})
	card := chat.handle(t, env.Engine, press(t, adele, list, "Adele's Galaxy S7 (Android)"))
	before := liveOf(t, env, adele)
	foreign := press(t, bot.User{Platform: bot.Slack, ID: "U2"}, card, "Reset Passcode")
	stale := press(t, adele, list, "Adele's Galaxy S7 (Android)")
	for name, ev := range map[string]bot.Event{"foreign": foreign, "stale": stale} {
		t.Run(name, func(t *testing.T) {
			ev.DeliveryID = name
			got := chat.handle(t, env.Engine, ev)
			if len(got) != 1 || !got[0].Reply.Private || len(updates(got)) != 0 {
				t.Errorf("sent %+v; want only a private notice", got)
			}
			if after := liveOf(t, env, adele); len(after) != 1 || after[0] != before[0] {
				t.Errorf("live %+v, was %+v", after, before)
			}
		})
	}
}

// A step answered only ephemerally (a new list asked for in a channel:
// Slack names no ephemeral message) still moves the conversation on past
// the list in the DM, whose buttons then go.
func TestAnEphemeralStepTakesTheButtonsOffTheMessageItLeavesBehind(t *testing.T) {
	env := enginetest.New(t)
	chat := &messages{}
	list := chat.handle(t, env.Engine, bot.Event{Kind: bot.Message, User: adele, Text: "reset my passcode", DeliveryID: "m1"})
	unnamed := enginetest.SenderFunc(func(ctx context.Context, r bot.Reply) (bot.MessageRef, error) {
		ref, err := chat.to("").Send(ctx, r)
		if r.Target.Kind == bot.Ephemeral {
			return "", err
		}
		return ref, err
	})
	n := chat.count()
	ev := bot.Event{Kind: bot.Message, User: adele, Text: "reset my passcode", DeliveryID: "m2", Shared: true}
	if _, err := env.Engine.Handle(context.Background(), ev, unnamed); err != nil {
		t.Fatal(err)
	}
	up := updates(chat.since(n))
	if len(up) != 1 || up[0].Ref != list[0].Ref || up[0].Reply.Text != over {
		t.Errorf("sent %+v; want the DM's list to say its step is over", chat.since(n))
	}
}

// A question in between (status, help) does not move the conversation on:
// the buttons of its step still work, so they stay.
func TestAQuestionInBetweenLeavesTheButtonsLive(t *testing.T) {
	env := enginetest.New(t)
	chat := &messages{}
	list := chat.handle(t, env.Engine, bot.Event{Kind: bot.Message, User: adele, Text: "reset my passcode", DeliveryID: "m1"})
	got := chat.handle(t, env.Engine, bot.Event{Kind: bot.Message, User: adele, Text: "help", DeliveryID: "m2"})
	if up := updates(got); len(up) != 0 {
		t.Errorf("help sent %+v; want no update of the list", up)
	}
	if live := liveOf(t, env, adele); len(live) != 1 || live[0] != list[0].Ref {
		t.Errorf("live %+v, want the list %s", live, list[0].Ref)
	}
	ev := press(t, adele, list, "Adele's Galaxy S7 (Android)")
	ev.DeliveryID = "p1"
	if got := chat.handle(t, env.Engine, ev); len(got) != 1 || got[0].Reply.Target.Kind != bot.ReplaceClicked {
		t.Errorf("the list's button after help: %+v", got)
	}
}

// passcodeFlow answers every message with a temporary passcode under a
// button: a result with a next step to offer. Each answer is a new
// conversation, so each moves it on.
type passcodeFlow struct{}

const tempPasscode = "7F3KQ9XW"

func (passcodeFlow) Step(c *bot.Conversation, _ bot.Input, _ time.Time) bot.Outcome {
	c.ID = ""
	return bot.Outcome{Replies: []bot.Reply{{Text: "Your temporary passcode is: " + tempPasscode, Scrub: "removed", Private: true,
		Buttons: []bot.Button{{Label: "Lock it again", Action: "lock"}}}}}
}

func (passcodeFlow) Notice(*bot.Conversation, string) bot.Reply { return bot.Reply{Text: over} }

// A passcode's message with buttons is remembered by its reference only:
// Redis never holds the passcode, and the message that takes its buttons
// off no longer shows it.
func TestALivePasscodeIsRememberedByItsReferenceOnly(t *testing.T) {
	env := enginetest.New(t, enginetest.WithConfig(func(c *bot.Config) { c.Flow = passcodeFlow{} }))
	chat := &messages{}
	first := chat.handle(t, env.Engine, bot.Event{Kind: bot.Message, User: adele, Text: "hi", DeliveryID: "m1"})
	if len(first) != 1 || !strings.Contains(first[0].Reply.Text, tempPasscode) {
		t.Fatalf("sent %+v", first)
	}
	if live := liveOf(t, env, adele); len(live) != 1 || live[0] != first[0].Ref {
		t.Errorf("live %+v, want %s", live, first[0].Ref)
	}
	all, err := redistest.Contents(context.Background(), env.Store.Client())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(all, tempPasscode) {
		t.Errorf("Redis holds the passcode: %s", all)
	}
	up := updates(chat.handle(t, env.Engine, bot.Event{Kind: bot.Message, User: adele, Text: "hi", DeliveryID: "m2"}))
	if len(up) != 1 || up[0].Ref != first[0].Ref || strings.Contains(up[0].Reply.Text, tempPasscode) || len(up[0].Reply.Buttons) != 0 {
		t.Errorf("the passcode's message was updated by %+v, want the step's end without buttons", up)
	}
}
