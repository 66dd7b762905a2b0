package teams

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/enginetest"
)

// slowDevices is a device backend whose passcode reset waits until the
// test releases it, after telling that it was asked.
type slowDevices struct {
	bot.Devices
	asked   chan struct{}
	release chan struct{}
}

func (d *slowDevices) ResetPasscode(ctx context.Context, id string) (bot.ResetResult, error) {
	d.asked <- struct{}{}
	<-d.release
	return d.Devices.ResetPasscode(ctx, id)
}

// gate holds the next event the test hands it a release channel for until
// that channel is closed: an engine slower than Teams waits.
type gate struct {
	bot.Handler
	next chan chan struct{}
}

func (g *gate) Handle(ctx context.Context, ev bot.Event, out bot.Sender) (bot.Handled, error) {
	select {
	case release := <-g.next:
		<-release
	default:
	}
	return g.Handler.Handle(ctx, ev, out)
}

// answerAtOnce answers every press without waiting for the engine.
func answerAtOnce(a *Adapter) { a.answerAfter = time.Nanosecond }

// slowPress delivers act, an invoke whose engine is held, and returns the
// answer Teams got; then it runs release and waits until the press was
// handled.
func (h *harness) slowPress(act Activity, release func()) InvokeResponse {
	h.t.Helper()
	h.mu.Lock()
	before := h.handled
	h.mu.Unlock()
	// A press answered only after the engine would never return: the
	// engine waits for release.
	ctx, cancel := context.WithTimeout(h.t.Context(), 10*time.Second)
	defer cancel()
	status, body, err := h.bf.Deliver(ctx, h.url, act, "")
	var res InvokeResponse
	if err != nil || status != http.StatusOK || json.Unmarshal(body, &res) != nil {
		h.t.Fatalf("slow press: %d %s, %v", status, body, err)
	}
	release()
	h.awaitHandled(before)
	return res
}

// A reset slower than Teams' patience: the press is answered in time, the
// question loses its buttons and the passcode arrives once, in the
// personal chat, where it is replaced after its time as usual.
func TestASlowResetIsAnsweredInTimeAndFollowsInThePersonalChat(t *testing.T) {
	t.Parallel()
	var dev *slowDevices
	h := startEngineWith(t, []enginetest.Option{enginetest.WithConfig(func(c *bot.Config) {
		dev = &slowDevices{Devices: c.Devices, asked: make(chan struct{}, 1), release: make(chan struct{})}
		c.Devices = dev
	})}, nil, answerAtOnce)
	h.click(adele, h.toConfirmation(), "Sign in again")
	if outcome := h.env.SignIn(t, h.signIns); outcome != bot.SignInOK {
		t.Fatalf("sign-in outcome %q", outcome)
	}
	question := h.find(personal(adele), "with you?")

	calls := len(h.posts())
	res := h.slowPress(h.pressing(adele, h.current(question), "Yes, reset"), func() {
		<-dev.asked
		if n := len(h.posts()); n != calls {
			t.Errorf("%d Connector calls while the device was still resetting", n-calls)
		}
		close(dev.release)
	})
	if res.StatusCode != http.StatusOK || res.Type != contentTypeMessage || answerText(res) != "One moment: I am still working on it, my answer follows." {
		t.Fatalf("the press was answered %+v; want the note that the answer follows", res)
	}
	if left := h.current(question); len(left.Buttons()) != 0 {
		t.Errorf("the question keeps its buttons: %q", left.Text())
	}
	shown := h.find(personal(adele), "(letters and numbers) is: ")
	code := passcodeOf(shown.Text())
	var with []string
	for _, p := range h.posts() {
		if strings.Contains(p.Text(), code) {
			with = append(with, p.Method+" "+p.Conversation)
		}
	}
	if len(with) != 1 || with[0] != shown.Method+" "+personal(adele) {
		t.Fatalf("the passcode went to %q; want once, to adele's personal chat", with)
	}
	if n := h.env.Devices.Resets(); n != 1 {
		t.Fatalf("%d resets, want 1", n)
	}
	h.passcodeLeaves(code, shown)
}

// In the helpdesk channel a slow press's refusal, which only the clicker
// may see, goes to their personal chat once the answer is gone; a slow
// approval updates the card for everyone, once.
func TestSlowPressesOnAHelpdeskCard(t *testing.T) {
	t.Parallel()
	g := &gate{next: make(chan chan struct{}, 1)}
	h := startEngineWith(t, nil, func(e bot.Handler) bot.Handler { g.Handler = e; return g }, answerAtOnce)
	card := h.requestApproval()
	held := func() func() {
		release := make(chan struct{})
		g.next <- release
		return func() { close(release) }
	}

	calls := len(h.posts())
	res := h.slowPress(h.pressing(lieke, card, "Approve"), held())
	if answerText(res) == "" || strings.Contains(answerText(res), "approver") {
		t.Fatalf("lieke's slow press was answered %q", answerText(res))
	}
	var refusals []string
	for _, p := range h.posts()[calls:] {
		if p.Create != nil {
			continue // lieke's personal chat, opened: she only met passbot in the channel
		}
		refusals = append(refusals, p.Method+" "+p.Conversation+": "+p.Text())
	}
	if len(refusals) != 1 || !strings.HasPrefix(refusals[0], "POST "+personal(lieke)+": ") || !strings.Contains(refusals[0], "approver") {
		t.Fatalf("after lieke's slow press: %q; want the refusal once, in her personal chat", refusals)
	}

	calls = len(h.posts())
	h.slowPress(h.pressing(megan, card, "Approve"), held())
	decided := h.current(card)
	if !strings.Contains(decided.Text(), "Approved by "+megan.Name) || len(decided.Buttons()) != 0 || decided.Method != http.MethodPut {
		t.Fatalf("the card after the slow approval: %q %+v", decided.Text(), decided.Buttons())
	}
	updates := 0
	for _, p := range h.posts()[calls:] {
		if p.Conversation == helpdeskChannel && p.Method == http.MethodPut && p.ActivityID == card.ActivityID {
			updates++
		}
	}
	if updates != 1 {
		t.Fatalf("the card was updated %d times", updates)
	}
	h.find(personal(adele), "Reset the passcode of Contoso Galaxy Tab?")
}
