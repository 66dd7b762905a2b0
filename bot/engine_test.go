package bot_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/enginetest"
	"github.com/passbot/passbot/store"
	"github.com/passbot/passbot/store/redistest"
	"github.com/redis/go-redis/v9"
)

var adele = bot.User{Platform: bot.Slack, ID: "U1", UPN: "adele.vance@contoso.com", Locale: "en-US"}

// countingDevices counts resets on top of the demo fleet.
type countingDevices struct {
	bot.Devices
	resets atomic.Int32
}

func (c *countingDevices) ResetPasscode(ctx context.Context, id string) (bot.ResetResult, error) {
	c.resets.Add(1)
	return c.Devices.ResetPasscode(ctx, id)
}

type harness struct {
	t       *testing.T
	env     *enginetest.Env
	devices *countingDevices
	seq     int
}

func newHarness(t *testing.T) *harness {
	env := enginetest.New(t)
	h := &harness{t: t, env: env, devices: &countingDevices{Devices: env.Engine.Devices}}
	env.Engine.Devices = h.devices
	return h
}

func (h *harness) send(ev bot.Event) []bot.Reply {
	h.t.Helper()
	if ev.DeliveryID == "" {
		h.seq++
		ev.DeliveryID = "d" + string(rune('a'+h.seq))
	}
	replies, err := h.env.Engine.Handle(context.Background(), ev)
	if err != nil {
		h.t.Fatalf("Handle(%+v): %v", ev, err)
	}
	return replies
}

func (h *harness) say(u bot.User, text string) []bot.Reply {
	return h.send(bot.Event{Kind: bot.Message, User: u, Text: text})
}

// button finds the action of the button labelled label in replies.
func button(t *testing.T, replies []bot.Reply, label string) string {
	t.Helper()
	for _, r := range replies {
		for _, b := range r.Buttons {
			if b.Label == label {
				return b.Action
			}
		}
	}
	t.Fatalf("no button %q in %+v", label, replies)
	return ""
}

func text(replies []bot.Reply) string {
	var b strings.Builder
	for _, r := range replies {
		b.WriteString(r.Text + "\n")
	}
	return b.String()
}

// toWithYou runs the conversation up to "Do you have the device with you?"
// for Adele's Galaxy S7 and returns the Yes action.
func (h *harness) toWithYou() []bot.Reply {
	h.t.Helper()
	r := h.say(adele, "reset my passcode")
	r = h.send(bot.Event{Kind: bot.Press, User: adele, Action: button(h.t, r, "Adele's Galaxy S7 (Android)")})
	r = h.send(bot.Event{Kind: bot.Press, User: adele, Action: button(h.t, r, "Reset Passcode")})
	r = h.send(bot.Event{Kind: bot.Press, User: adele, Action: button(h.t, r, "Sign out")})
	if !strings.Contains(text(r), "with you?") {
		h.t.Fatalf("want the device-with-you check, got %q", text(r))
	}
	return r
}

func TestResetEndToEnd(t *testing.T) {
	h := newHarness(t)
	r := h.toWithYou()
	r = h.send(bot.Event{Kind: bot.Press, User: adele, Action: button(t, r, "Yes, reset")})
	var passcode bot.Reply
	for _, x := range r {
		if strings.Contains(x.Text, "temporary passcode") {
			passcode = x
		}
		if x.To != adele {
			t.Errorf("reply addressed to %+v", x.To)
		}
	}
	if !passcode.Private {
		t.Fatalf("no private passcode reply in %q", text(r))
	}
	if h.devices.resets.Load() != 1 {
		t.Errorf("%d resets, want 1", h.devices.resets.Load())
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

	t.Run("sign-in follow-up fires once after 5 minutes", func(t *testing.T) {
		rec := &enginetest.Recorder{}
		h.env.Engine.Notifiers[bot.Slack] = rec
		ctx := context.Background()
		if n, err := h.env.Engine.Sweep(ctx); err != nil || n != 0 {
			t.Fatalf("sweep before due: %d, %v", n, err)
		}
		h.env.Clock.Advance(5 * time.Minute)
		if n, err := h.env.Engine.Sweep(ctx); err != nil || n != 1 {
			t.Fatalf("sweep at 5 minutes: %d, %v", n, err)
		}
		if n, _ := h.env.Engine.Sweep(ctx); n != 0 {
			t.Fatalf("second sweep fired %d again", n)
		}
		sent := rec.Sent()
		if len(sent) != 1 || !strings.Contains(sent[0].Text, "you can sign in again on Adele's Galaxy S7") || sent[0].To.ID != adele.ID {
			t.Fatalf("sent %+v", sent)
		}
		h.env.Clock.Advance(time.Hour)
		h.env.Engine.Sweep(ctx)
		if sent := rec.Sent(); len(sent) != 2 || !strings.Contains(sent[1].Text, "temporary passcode") || strings.Contains(sent[1].Text, code) {
			t.Fatalf("reminder %+v", sent)
		}
	})
}

func TestRedeliveredEventResetsOnce(t *testing.T) {
	h := newHarness(t)
	yes := button(t, h.toWithYou(), "Yes, reset")
	ev := bot.Event{Kind: bot.Press, User: adele, Action: yes, DeliveryID: "evt-1"}
	first := h.send(ev)
	if !strings.Contains(text(first), "temporary passcode") {
		t.Fatalf("first delivery: %q", text(first))
	}
	if again := h.send(ev); len(again) != 0 {
		t.Errorf("redelivery answered %q", text(again))
	}
	if n := h.devices.resets.Load(); n != 1 {
		t.Errorf("%d resets, want 1", n)
	}
}

func TestDoubleClickResetsOnce(t *testing.T) {
	h := newHarness(t)
	yes := button(t, h.toWithYou(), "Yes, reset")
	h.send(bot.Event{Kind: bot.Press, User: adele, Action: yes})
	second := h.send(bot.Event{Kind: bot.Press, User: adele, Action: yes})
	if !strings.Contains(text(second), "earlier step") || !second[0].Private {
		t.Errorf("second click: %+v", second)
	}
	if n := h.devices.resets.Load(); n != 1 {
		t.Errorf("%d resets, want 1", n)
	}
}

// Two replicas share one Redis; both get the same click at the same moment
// (say, a double click routed to different Socket Mode connections).
func TestConcurrentClicksOnTwoReplicasResetOnce(t *testing.T) {
	h := newHarness(t)
	replica := *h.env.Engine
	replica.Store = newStoreOnSameRedis(t, h.env)
	for round := 0; round < 10; round++ {
		yes := button(t, h.toWithYou(), "Yes, reset")
		before := h.devices.resets.Load()
		var wg sync.WaitGroup
		for i, e := range []*bot.Engine{h.env.Engine, &replica, h.env.Engine, &replica} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ev := bot.Event{Kind: bot.Press, User: adele, Action: yes, DeliveryID: "click-" + string(rune('a'+round)) + string(rune('0'+i))}
				if _, err := e.Handle(context.Background(), ev); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if n := h.devices.resets.Load() - before; n != 1 {
			t.Fatalf("round %d: %d resets, want 1", round, n)
		}
	}
}

func TestRefusedClicksChangeNothing(t *testing.T) {
	h := newHarness(t)
	r := h.say(adele, "reset my passcode")
	device := button(t, r, "Adele's Galaxy S7 (Android)")
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
			before, _, _ := h.env.Store.Begin(context.Background(), "", adele)
			got := h.send(tc.ev)
			if len(got) != 1 || !strings.Contains(got[0].Text, tc.notice) || !got[0].Private || got[0].To.ID != tc.ev.User.ID {
				t.Errorf("got %+v, want a private notice with %q", got, tc.notice)
			}
			after, _, _ := h.env.Store.Begin(context.Background(), "", adele)
			if after.Version != before.Version || after.Step != before.Step {
				t.Errorf("conversation changed: %+v -> %+v", before, after)
			}
		})
	}
	// The real button still works afterwards.
	r = h.send(bot.Event{Kind: bot.Press, User: adele, Action: device})
	button(t, r, "Reset Passcode")
}

func TestExpiredStepIsStale(t *testing.T) {
	h := newHarness(t)
	r := h.say(adele, "reset my passcode")
	h.env.Clock.Advance(16 * time.Minute)
	got := h.send(bot.Event{Kind: bot.Press, User: adele, Action: button(t, r, "Adele's Galaxy S7 (Android)")})
	if !strings.Contains(text(got), "earlier step") {
		t.Errorf("got %q", text(got))
	}
	if got := h.say(adele, "status"); !strings.Contains(text(got), "no open request") {
		t.Errorf("status after expiry: %q", text(got))
	}
}

func TestLanguageChoiceSticks(t *testing.T) {
	h := newHarness(t)
	h.say(adele, "language nl")
	r := h.say(adele, "reset")
	if !strings.Contains(text(r), "Welk apparaat") {
		t.Errorf("got %q, want Dutch", text(r))
	}
	r = h.say(adele, "I forgot my PIN")
	if !strings.Contains(text(r), "Which device") {
		t.Errorf("got %q, want English for an English sentence", text(r))
	}
}

func TestRedisDownGetsAClearMessageAndLosesNothing(t *testing.T) {
	h := newHarness(t)
	r := h.say(adele, "reset my passcode")
	device := button(t, r, "Adele's Galaxy S7 (Android)")
	h.env.Redis.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ev := bot.Event{Kind: bot.Press, User: adele, Action: device, DeliveryID: "during-outage"}
	got, err := h.env.Engine.Handle(ctx, ev)
	if err == nil || len(got) != 1 || !strings.Contains(got[0].Text, "try again in a minute") {
		t.Fatalf("during outage: %+v, %v", got, err)
	}
	h.env.Redis.Restart()
	got = h.send(ev)
	button(t, got, "Reset Passcode")
}

func newStoreOnSameRedis(t *testing.T, env *enginetest.Env) bot.Store {
	t.Helper()
	return store.New(env.Redis.Client())
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
	r = h.send(bot.Event{Kind: bot.Press, User: adele, Action: button(t, r, "Adele's Galaxy S7 (Android)")})
	button(t, r, "Reset Passcode")
}

// roundTrips counts commands and pipelines sent to Redis.
type roundTrips struct{ n atomic.Int32 }

func (c *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { c.n.Add(1); return next(ctx, cmd) }
}
func (c *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { c.n.Add(1); return next(ctx, cmds) }
}

func TestRedisRoundTripsPerEvent(t *testing.T) {
	h := newHarness(t)
	h.send(bot.Event{Kind: bot.Press, User: adele, Action: button(t, h.toWithYou(), "Yes, reset")}) // loads the scripts
	rt := &roundTrips{}
	h.env.Store.Client().AddHook(rt)
	step := func(name string, want int32, ev bot.Event) []bot.Reply {
		t.Helper()
		rt.n.Store(0)
		r := h.send(ev)
		if n := rt.n.Load(); n != want {
			t.Errorf("%s: %d round trips, want %d", name, n, want)
		}
		return r
	}
	press := func(r []bot.Reply, label string) bot.Event {
		return bot.Event{Kind: bot.Press, User: adele, Action: button(t, r, label)}
	}
	r := step("first message", 2, bot.Event{Kind: bot.Message, User: adele, Text: "reset my passcode"})
	r = step("pick a device", 2, press(r, "Adele's Galaxy S7 (Android)"))
	r = step("Reset Passcode", 2, press(r, "Reset Passcode"))
	r = step("Sign out", 2, press(r, "Sign out"))
	// Save before the reset, then follow-ups and audit in one pipeline.
	step("Yes, reset", 3, press(r, "Yes, reset"))
	step("a redelivery", 1, bot.Event{Kind: bot.Message, User: adele, Text: "help", DeliveryID: "same"})
	step("a redelivery", 1, bot.Event{Kind: bot.Message, User: adele, Text: "help", DeliveryID: "same"})
}
