package bot_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/enginetest"
	"github.com/passbot/passbot/store"
	"github.com/passbot/passbot/store/redistest"
)

var adele = enginetest.Adele

type harness struct {
	t   *testing.T
	env *enginetest.Env
	// swap holds the engine's Store: env.Store until the test puts another
	// in front of it (Redis failing, stalling, another event overtaking).
	swap *swapStore
	seq  int
	// shown is the message each button was last sent on, so a click
	// names the message it was made on, as a platform's does.
	shown enginetest.Screen
}

// swapStore is a Store a test replaces between the engine's calls.
type swapStore struct{ bot.Store }

func newHarness(t *testing.T, opts ...enginetest.Option) *harness {
	h := &harness{t: t, swap: &swapStore{}, shown: enginetest.Screen{}}
	h.env = enginetest.New(t, append(opts, enginetest.WithConfig(func(c *bot.Config) {
		h.swap.Store = c.Store
		c.Store = h.swap
	}))...)
	return h
}

// newRecordedHarness is a harness whose Slack chat records what the engine
// sends on its own (helpdesk cards, notices, follow-ups).
func newRecordedHarness(t *testing.T, opts ...enginetest.Option) (*harness, *enginetest.Recorder) {
	rec := &enginetest.Recorder{}
	return newHarness(t, append(opts, enginetest.WithChat(bot.Slack, rec))...), rec
}

// useStore makes the engine use st from its next call on.
func (h *harness) useStore(st bot.Store) { h.swap.Store = st }

// withLimits turns the abuse limits on.
func withLimits(l bot.Limits) enginetest.Option {
	return enginetest.WithConfig(func(c *bot.Config) { c.Limits = l })
}

func (h *harness) send(ev bot.Event) []bot.Reply {
	h.t.Helper()
	if ev.DeliveryID == "" {
		h.seq++
		ev.DeliveryID = "d" + string(rune('a'+h.seq))
	}
	if ev.Kind == bot.Press && ev.Clicked == "" {
		ev.Clicked = h.shown[ev.Action]
	}
	replies := enginetest.Handle(h.t, h.env.Engine, ev)
	h.shown.Show(ev, replies)
	return replies
}

func (h *harness) say(u bot.User, text string) []bot.Reply {
	return h.send(bot.Event{Kind: bot.Message, User: u, Text: text})
}

// click presses the button labelled label in r as u.
func (h *harness) click(u bot.User, r []bot.Reply, label string) []bot.Reply {
	h.t.Helper()
	return h.send(bot.Event{Kind: bot.Press, User: u, Action: enginetest.Button(h.t, r, label)})
}

// toWithYou runs the conversation up to "Do you have the device with you?"
// for Adele's Galaxy S7 and returns the Yes action.
func (h *harness) toWithYou() []bot.Reply {
	h.t.Helper()
	r := h.say(adele, "reset my passcode")
	for _, label := range enginetest.ResetClicks[:3] {
		r = h.click(adele, r, label)
	}
	if !strings.Contains(enginetest.Text(r), "with you?") {
		h.t.Fatalf("want the device-with-you check, got %q", enginetest.Text(r))
	}
	return r
}

func TestResetEndToEnd(t *testing.T) {
	h, rec := newRecordedHarness(t)
	r := h.toWithYou()
	r = h.click(adele, r, "Yes, reset")
	var passcode bot.Reply
	var passcodeRef bot.MessageRef // as enginetest.Handle's Sender named it
	for i, x := range r {
		if strings.Contains(x.Text, "temporary passcode") {
			passcode, passcodeRef = x, bot.MessageRef("d"+string(rune('a'+h.seq))+":"+strconv.Itoa(i))
		}
		if x.To != adele {
			t.Errorf("reply addressed to %+v", x.To)
		}
	}
	if !passcode.Private {
		t.Fatalf("no private passcode reply in %q", enginetest.Text(r))
	}
	if h.env.Devices.Resets() != 1 {
		t.Errorf("%d resets, want 1", h.env.Devices.Resets())
	}
	code := passcode.Text[strings.Index(passcode.Text, "is: ")+4:]
	code = code[:strings.IndexAny(code, "\n")]

	t.Run("the passcode is not in Redis", func(t *testing.T) {
		all, err := redistest.Contents(context.Background(), h.env.Store.Client())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(all, "Galaxy S7") {
			t.Fatalf("Contents misses the conversation: %q", all)
		}
		if strings.Contains(all, code) {
			t.Errorf("Redis holds the passcode: %s", all)
		}
	})

	t.Run("the passcode leaves the chat after ten minutes, the reminder comes after an hour", func(t *testing.T) {
		ctx := context.Background()
		if n, err := h.env.Engine.Sweep(ctx); err != nil || n != 0 {
			t.Fatalf("sweep before due: %d, %v", n, err)
		}
		h.env.Clock.Advance(10 * time.Minute)
		if n, err := h.env.Engine.Sweep(ctx); err != nil || n != 1 {
			t.Fatalf("sweep after ten minutes: %d, %v", n, err)
		}
		h.env.Clock.Advance(50 * time.Minute)
		if n, err := h.env.Engine.Sweep(ctx); err != nil || n != 1 {
			t.Fatalf("sweep after an hour: %d, %v", n, err)
		}
		if n, _ := h.env.Engine.Sweep(ctx); n != 0 {
			t.Fatalf("third sweep fired %d again", n)
		}
		sent := rec.Sent()
		if len(sent) != 2 {
			t.Fatalf("sent %+v", sent)
		}
		// The message the passcode reply became now reads a note.
		removed, reminder := sent[0], sent[1]
		if removed.Target.Kind != bot.UpdateRef || removed.Target.Ref != passcodeRef ||
			!strings.Contains(removed.Text, "The temporary passcode for Adele's Galaxy S7 was removed from this chat") || strings.Contains(removed.Text, code) {
			t.Errorf("removal %+v", removed)
		}
		if !strings.Contains(reminder.Text, "Reminder: if you are still using the temporary passcode on Adele's Galaxy S7") ||
			strings.Contains(reminder.Text, code) || reminder.Target != (bot.Target{Kind: bot.DirectMessage, User: adele}) {
			t.Fatalf("reminder %+v", reminder)
		}
	})
}

func TestRedeliveredEventResetsOnce(t *testing.T) {
	h := newHarness(t)
	yes := enginetest.Button(t, h.toWithYou(), "Yes, reset")
	ev := bot.Event{Kind: bot.Press, User: adele, Action: yes, DeliveryID: "evt-1"}
	first := h.send(ev)
	if !strings.Contains(enginetest.Text(first), "temporary passcode") {
		t.Fatalf("first delivery: %q", enginetest.Text(first))
	}
	if again := h.send(ev); len(again) != 0 {
		t.Errorf("redelivery answered %q", enginetest.Text(again))
	}
	if n := h.env.Devices.Resets(); n != 1 {
		t.Errorf("%d resets, want 1", n)
	}
}

func TestDoubleClickResetsOnce(t *testing.T) {
	h := newHarness(t)
	yes := enginetest.Button(t, h.toWithYou(), "Yes, reset")
	h.send(bot.Event{Kind: bot.Press, User: adele, Action: yes})
	second := h.send(bot.Event{Kind: bot.Press, User: adele, Action: yes})
	if !strings.Contains(enginetest.Text(second), "earlier step") || !second[0].Private {
		t.Errorf("second click: %+v", second)
	}
	if n := h.env.Devices.Resets(); n != 1 {
		t.Errorf("%d resets, want 1", n)
	}
}

// Two replicas share one Redis; both get the same click at the same moment
// (say, a double click routed to different Socket Mode connections).
func TestConcurrentClicksOnTwoReplicasResetOnce(t *testing.T) {
	h := newHarness(t)
	replica := newReplica(t, h.env).Engine
	for round := 0; round < 10; round++ {
		yes := enginetest.Button(t, h.toWithYou(), "Yes, reset")
		before := h.env.Devices.Resets()
		var wg sync.WaitGroup
		for i, e := range []*bot.Engine{h.env.Engine, replica, h.env.Engine, replica} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ev := bot.Event{Kind: bot.Press, User: adele, Action: yes, DeliveryID: "click-" + string(rune('a'+round)) + string(rune('0'+i))}
				if _, err := e.Handle(context.Background(), ev, &enginetest.Recorder{}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if n := h.env.Devices.Resets() - before; n != 1 {
			t.Fatalf("round %d: %d resets, want 1", round, n)
		}
	}
}

func TestRefusedClicksChangeNothing(t *testing.T) {
	h := newHarness(t)
	r := h.say(adele, "reset my passcode")
	device := enginetest.Button(t, r, "Adele's Galaxy S7 (Android)")
	cases := []struct {
		name   string
		ev     bot.Event
		notice string
	}{
		{"someone else's button", bot.Event{Kind: bot.Press, User: bot.User{Platform: bot.Slack, ID: "U2", Locale: "nl-NL"}, Action: device}, "iemand anders"},
		{"a button from an older conversation", bot.Event{Kind: bot.Press, User: adele, Action: strings.Replace(device, "|", "X|", 1)}, "earlier step"},
		{"a button from an older step", bot.Event{Kind: bot.Press, User: adele, Action: olderVersion(t, device)}, "earlier step"},
		{"a button this bot never made", bot.Event{Kind: bot.Press, User: adele, Action: "{\"junk\":true}"}, "do not recognise"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := conversation(t, h)
			got := h.send(tc.ev)
			if len(got) != 1 || !strings.Contains(got[0].Text, tc.notice) || !got[0].Private || got[0].To.ID != tc.ev.User.ID {
				t.Errorf("got %+v, want a private notice with %q", got, tc.notice)
			}
			after := conversation(t, h)
			if after.Version != before.Version || after.Step != before.Step {
				t.Errorf("conversation changed: %+v -> %+v", before, after)
			}
		})
	}
	// The real button still works afterwards.
	r = h.send(bot.Event{Kind: bot.Press, User: adele, Action: device})
	enginetest.Button(t, r, "Reset Passcode")
}

func TestExpiredStepIsStale(t *testing.T) {
	h := newHarness(t)
	r := h.say(adele, "reset my passcode")
	h.env.Clock.Advance(16 * time.Minute)
	got := h.click(adele, r, "Adele's Galaxy S7 (Android)")
	if !strings.Contains(enginetest.Text(got), "earlier step") {
		t.Errorf("got %q", enginetest.Text(got))
	}
	if got := h.say(adele, "status"); !strings.Contains(enginetest.Text(got), "no open request") {
		t.Errorf("status after expiry: %q", enginetest.Text(got))
	}
}

func TestLanguageChoiceSticks(t *testing.T) {
	h := newHarness(t)
	h.say(adele, "language nl")
	r := h.say(adele, "reset")
	if !strings.Contains(enginetest.Text(r), "Welk apparaat") {
		t.Errorf("got %q, want Dutch", enginetest.Text(r))
	}
	r = h.say(adele, "I forgot my PIN")
	if !strings.Contains(enginetest.Text(r), "Which device") {
		t.Errorf("got %q, want English for an English sentence", enginetest.Text(r))
	}
}

func TestRedisDownGetsAClearMessageAndLosesNothing(t *testing.T) {
	h := newHarness(t)
	r := h.say(adele, "reset my passcode")
	device := enginetest.Button(t, r, "Adele's Galaxy S7 (Android)")
	h.env.Redis.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ev := bot.Event{Kind: bot.Press, User: adele, Action: device, DeliveryID: "during-outage"}
	goth, err := h.env.Engine.Handle(ctx, ev, &enginetest.Recorder{})
	got := goth.Replies
	if err == nil || len(got) != 1 || !strings.Contains(got[0].Text, "try again in a minute") {
		t.Fatalf("during outage: %+v, %v", got, err)
	}
	h.env.Redis.Restart()
	got = h.send(ev)
	enginetest.Button(t, got, "Reset Passcode")
}

// newReplica is another replica of env's engine: its configuration over a
// store of its own on the same Redis, with the chats opts add (each
// replaces env's chat of its platform).
func newReplica(t *testing.T, env *enginetest.Env, opts ...enginetest.Option) *enginetest.Env {
	t.Helper()
	st := store.New(env.Redis.Client())
	same := enginetest.WithConfig(func(c *bot.Config) {
		*c = env.Config
		c.Store, c.Chats = st, slices.Clone(env.Config.Chats)
	})
	return enginetest.NewOn(st, append([]enginetest.Option{same}, opts...)...)
}

// olderVersion returns action as the button of the step before it.
func olderVersion(t *testing.T, action string) string {
	t.Helper()
	f := strings.SplitN(action, "|", 4)
	v, err := strconv.Atoi(f[1])
	if err != nil || v < 1 {
		t.Fatalf("action %q has no version", action)
	}
	f[1] = strconv.Itoa(v - 1)
	return strings.Join(f, "|")
}

func TestTypingMidStepKeepsTheButtonsWorking(t *testing.T) {
	h := newHarness(t)
	r := h.say(adele, "reset my passcode")
	for _, line := range []string{"status", "help", "what now?"} {
		h.say(adele, line)
	}
	r = h.click(adele, r, "Adele's Galaxy S7 (Android)")
	enginetest.Button(t, r, "Reset Passcode")
}

func TestRedisRoundTripsPerEvent(t *testing.T) {
	h := newHarness(t)
	h.click(adele, h.toWithYou(), "Yes, reset") // loads the scripts
	rt := &enginetest.RoundTrips{}
	h.env.Store.Client().AddHook(rt)
	step := func(name string, want int64, ev bot.Event) []bot.Reply {
		t.Helper()
		rt.Total.Store(0)
		r := h.send(ev)
		if n := rt.Total.Load(); n != want {
			t.Errorf("%s: %d round trips, want %d", name, n, want)
		}
		return r
	}
	press := func(r []bot.Reply, label string) bot.Event {
		return bot.Event{Kind: bot.Press, User: adele, Action: enginetest.Button(t, r, label)}
	}
	// Each step loads and saves; the first message also stores the message
	// with buttons it sent (known only once sent), while each press after
	// it answers in that message's place, which changes nothing to store.
	r := step("first message", 3, bot.Event{Kind: bot.Message, User: adele, Text: "reset my passcode"})
	r = step("pick a device", 2, press(r, "Adele's Galaxy S7 (Android)"))
	r = step("Reset Passcode", 2, press(r, "Reset Passcode"))
	r = step("Continue", 2, press(r, "Continue"))
	// The press mark guards the reset; its "reset_started" record and
	// result poll are written before the device call, in Begin's pipeline
	// (the engine saved the step it answers); the save, follow-ups and
	// audit share one pipeline after it, and once the result was sent the
	// standing poll is dropped. Its answer has no buttons: the conversation
	// has no live message left, which one more round trip stores.
	step("Yes, reset", 4, press(r, "Yes, reset"))
	step("help", 1, bot.Event{Kind: bot.Message, User: adele, Text: "help", DeliveryID: "same"})
	step("a redelivery", 1, bot.Event{Kind: bot.Message, User: adele, Text: "help", DeliveryID: "same"})
}

// conversation reads Adele's stored conversation.
func conversation(t *testing.T, h *harness) *bot.Conversation {
	t.Helper()
	b, err := h.env.Store.Begin(context.Background(), adele, "", "")
	if err != nil || b.Conv == nil {
		t.Fatalf("conversation: %+v, %v", b, err)
	}
	return b.Conv
}

// With abuse limits on, picking a device reads them in the pipeline that
// saves the picked device, so the card can say when a try fits again; the
// reset counts itself in the pipeline that records its start before the
// device call: Begin's, when the store can (one server or Sentinel; the
// engine saved the step it answers), otherwise one of its own. Every press
// but the reset stays at 2 (load, save); the reset costs what it costs
// without limits.
func TestRedisRoundTripsWithLimits(t *testing.T) {
	for _, c := range []struct {
		name     string
		prepared bool
		yes      int64
	}{{"start written in Begin", true, 4}, {"start written apart", false, 5}} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, withLimits(bot.Limits{PerUser: 5, PerDevice: 3, Window: 24 * time.Hour}))
			if !c.prepared {
				h.useStore(unprepared{h.env.Store})
			}
			h.click(adele, h.toWithYou(), "Yes, reset") // loads the scripts
			rt := &enginetest.RoundTrips{}
			h.env.Store.Client().AddHook(rt)
			want := map[string]int64{"Adele's Galaxy S7 (Android)": 2, "Reset Passcode": 2, "Continue": 2, "Yes, reset": c.yes}
			r := h.say(adele, "reset my passcode")
			for _, label := range enginetest.ResetClicks {
				rt.Total.Store(0)
				r = h.click(adele, r, label)
				if n := rt.Total.Load(); n != want[label] {
					t.Errorf("%s: %d round trips, want %d", label, n, want[label])
				}
			}
		})
	}
}

// The limits filled up while Adele confirmed (the device was reset from
// elsewhere): her Yes is refused and says when a try fits again; it runs
// nothing, records no start, leaves no result poll queued and uses up
// none of her tries.
func TestResetRefusedAtYesRecordsNothing(t *testing.T) {
	for _, prepared := range []bool{true, false} {
		t.Run(fmt.Sprintf("start written in Begin=%v", prepared), func(t *testing.T) {
			day := 24 * time.Hour
			h := newHarness(t, withLimits(bot.Limits{PerUser: 1, PerDevice: 1, Window: day}))
			if !prepared {
				h.useStore(unprepared{h.env.Store})
			}
			yes := h.toWithYou()
			ctx, now := context.Background(), h.env.Clock.Now()
			if ok, err := h.env.Store.Allow(ctx, day, now, map[string]int{"device:" + conversation(t, h).Device.ID: 1}); !ok || err != nil {
				t.Fatalf("the reset from elsewhere: %v, %v", ok, err)
			}
			nothing := nothingRecorded(t, h)
			r := h.click(adele, yes, "Yes, reset")
			if text := enginetest.Text(r); !strings.Contains(text, "You can try again after 2026-11-26 00:00 UTC") || h.env.Devices.Resets() != 0 {
				t.Fatalf("Yes over the limit: %q, %d resets", text, h.env.Devices.Resets())
			}
			nothing()
		})
	}
}

// nothingRecorded returns a check that no reset started since: no
// reset_started record, no more follow-ups pending, none of Adele's tries
// used (with a limit of one a day).
func nothingRecorded(t *testing.T, h *harness) func() {
	t.Helper()
	ctx, now, day := context.Background(), h.env.Clock.Now(), 24*time.Hour
	pending, err := h.env.Store.Pending(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return func() {
		t.Helper()
		audit, err := h.env.Store.RecentAudit(ctx, adele.Key(), 20)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range audit {
			if a.Action == "reset_started" {
				t.Errorf("a reset that did not run recorded its start: %+v", a)
			}
		}
		if n, _ := h.env.Store.Pending(ctx); n != pending {
			t.Errorf("%d follow-ups pending, want the %d before", n, pending)
		}
		if ok, _, err := h.env.Store.Check(ctx, day, now, map[string]int{"user:" + adele.Key(): 1}); !ok || err != nil {
			t.Errorf("the press counted against Adele: %v, %v", ok, err)
		}
	}
}

// A replica writes a reset's start in Begin's round trip from the step it
// saved. When another replica moved the conversation on since, a press on
// the old step's "Yes, reset" there is stale like anywhere else: it writes,
// queues and counts nothing.
func TestAPressOnAStepAReplicaSavedBeforeItMovedOnWritesNothing(t *testing.T) {
	h := newHarness(t, withLimits(bot.Limits{PerUser: 1, PerDevice: 1, Window: 24 * time.Hour}))
	other := newReplica(t, h.env).Engine
	r := h.say(adele, "reset my passcode")
	for _, label := range enginetest.ResetClicks[:2] {
		r = h.click(adele, r, label)
	}
	// The other replica takes the Continue press and saves the question.
	yes := enginetest.Handle(t, other, bot.Event{Kind: bot.Press, User: adele, Action: enginetest.Button(t, r, "Continue"), DeliveryID: "signout"})
	enginetest.Button(t, yes, "Yes, reset")
	h.say(adele, "cancel")
	nothing := nothingRecorded(t, h)
	got := enginetest.Handle(t, other, bot.Event{Kind: bot.Press, User: adele, Action: enginetest.Button(t, yes, "Yes, reset"), DeliveryID: "late-yes"})
	if text := enginetest.Text(got); !strings.Contains(text, "earlier step") || h.env.Devices.Resets() != 0 {
		t.Fatalf("the old Yes: %q, %d resets", text, h.env.Devices.Resets())
	}
	nothing()
}
