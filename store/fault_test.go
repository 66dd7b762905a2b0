package store_test

// Fault tests: a real redis-server (when one is on PATH) that the tests stop
// and start, engines that "crash" and are replaced, and deliveries that come
// twice or out of order. Nothing may be lost and no device reset twice.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/flows/reset"
	"github.com/passbot/passbot/internal/enginetest"
	"github.com/passbot/passbot/store"
)

// faultRig is an engine over a Redis the test can stop; every engine
// ("replica" or "restarted bot") the test makes shares its reset counter.
type faultRig struct {
	t   *testing.T
	env *enginetest.Env
	seq int
}

func newFaultRig(t *testing.T) *faultRig {
	t.Helper()
	return &faultRig{t: t, env: enginetest.New(t)}
}

// newEngine is a bot process started afresh: its own Redis client, store,
// flow and chat, configured further by opts; only Redis, the device backend
// and the clock are shared.
func (r *faultRig) newEngine(opts ...enginetest.Option) (*bot.Engine, *enginetest.Recorder) {
	r.t.Helper()
	rec := &enginetest.Recorder{}
	fresh := enginetest.WithConfig(func(c *bot.Config) {
		*c = bot.Config{Store: c.Store, Devices: r.env.Devices, Flow: reset.New(reset.Config{Support: "helpdesk@contoso.com"}), Clock: r.env.Clock}
	})
	opts = append([]enginetest.Option{fresh, enginetest.WithChat(bot.Slack, rec)}, opts...)
	return enginetest.NewOn(store.New(r.env.Redis.Client()), opts...).Engine, rec
}

// event makes an event with a fresh delivery ID.
func (r *faultRig) event(kind bot.EventKind, textOrAction string) bot.Event {
	r.seq++
	ev := bot.Event{Kind: kind, User: enginetest.Adele, DeliveryID: fmt.Sprintf("Ev%03d", r.seq)}
	if kind == bot.Press {
		ev.Action = textOrAction
	} else {
		ev.Text = textOrAction
	}
	return ev
}

// click presses the button labelled label in replies on e, as a fresh delivery.
func (r *faultRig) click(e *bot.Engine, replies []bot.Reply, label string) []bot.Reply {
	r.t.Helper()
	return enginetest.Handle(r.t, e, r.event(bot.Press, enginetest.Button(r.t, replies, label)))
}

// converse asks e for a reset and clicks the first n of the reset clicks.
func (r *faultRig) converse(e *bot.Engine, n int) []bot.Reply {
	r.t.Helper()
	replies := enginetest.Handle(r.t, e, r.event(bot.Message, "reset my passcode"))
	for _, label := range enginetest.ResetClicks[:n] {
		replies = r.click(e, replies, label)
	}
	return replies
}

// wantPasscode fails the test unless replies give the temporary passcode
// and the device was reset exactly once.
func (r *faultRig) wantPasscode(replies []bot.Reply, when string) {
	r.t.Helper()
	if !strings.Contains(enginetest.Text(replies), "Your temporary passcode") {
		r.t.Fatalf("no passcode %s: %q", when, enginetest.Text(replies))
	}
	if n := r.env.Devices.Resets(); n != 1 {
		r.t.Errorf("%d resets, want 1", n)
	}
}

// conversation reads the stored conversation.
func (r *faultRig) conversation() *bot.Conversation {
	r.t.Helper()
	b, err := r.env.Store.Begin(context.Background(), enginetest.Adele, "", "")
	c := b.Conv
	if err != nil || c == nil {
		r.t.Fatalf("load conversation: %+v, %v", c, err)
	}
	return c
}

func outageCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestRedisRestartMidConversation(t *testing.T) {
	t.Parallel()
	for stop := 1; stop < len(enginetest.ResetClicks); stop++ {
		t.Run("outage before "+enginetest.ResetClicks[stop], func(t *testing.T) {
			r := newFaultRig(t)
			e := r.env.Engine
			replies := r.converse(e, stop)
			before := r.conversation()
			click := r.event(bot.Press, enginetest.Button(t, replies, enginetest.ResetClicks[stop]))

			r.env.Redis.Stop()
			goth, err := e.Handle(outageCtx(t), click, &enginetest.Recorder{})
			got := goth.Replies
			if err == nil || len(got) != 1 || !strings.Contains(got[0].Text, "try again in a minute") || !got[0].Private {
				t.Fatalf("click during the outage: %q, %v; want a private \"try again in a minute\"", enginetest.Text(got), err)
			}
			if len(got[0].Buttons) != 0 {
				t.Errorf("the outage notice offers buttons: %+v", got[0].Buttons)
			}
			if n := r.env.Devices.Resets(); n != 0 {
				t.Fatalf("%d resets during the outage", n)
			}

			r.env.Redis.Restart()
			if after := r.conversation(); after.Version != before.Version || after.Step != before.Step || after.ID != before.ID {
				t.Fatalf("the failed click changed the conversation: %+v -> %+v", before, after)
			}
			// The platform redelivers the same event (same delivery ID); it works now.
			replies = enginetest.Handle(t, e, click)
			for _, label := range enginetest.ResetClicks[stop+1:] {
				replies = r.click(e, replies, label)
			}
			r.wantPasscode(replies, "after the restart")
		})
	}
}

// The bot process dies mid-conversation; a new one on the same Redis (after
// a deploy, or another replica) carries on from the buttons the person has.
func TestBotRestartMidConversation(t *testing.T) {
	t.Parallel()
	r := newFaultRig(t)
	first := r.env.Engine
	replies := r.converse(first, 2)
	r.env.Store.Client().Close() // the old process is gone, connections and all

	second, _ := r.newEngine()
	replies = r.click(second, replies, "Continue")
	if !strings.Contains(enginetest.Text(replies), "with you?") {
		t.Fatalf("the new bot did not continue the conversation: %q", enginetest.Text(replies))
	}
	replies = r.click(second, replies, "Yes, reset")
	r.wantPasscode(replies, "from the new bot")
}

func TestDuplicatedAndReorderedDeliveries(t *testing.T) {
	t.Parallel()
	r := newFaultRig(t)
	e := r.env.Engine
	events := []bot.Event{r.event(bot.Message, "reset my passcode")}
	replies := enginetest.Handle(t, e, events[0])
	for _, label := range enginetest.ResetClicks {
		ev := r.event(bot.Press, enginetest.Button(t, replies, label))
		events = append(events, ev)
		replies = enginetest.Handle(t, e, ev)
	}
	if n := r.env.Devices.Resets(); n != 1 {
		t.Fatalf("%d resets after the conversation, want 1", n)
	}
	done := r.conversation()

	t.Run("redeliveries in reverse order are dropped", func(t *testing.T) {
		for i := len(events) - 1; i >= 0; i-- {
			if got := enginetest.Handle(t, e, events[i]); len(got) != 0 {
				t.Errorf("redelivery of %s answered %q", events[i].DeliveryID, enginetest.Text(got))
			}
		}
	})

	t.Run("old clicks in shuffled order with new delivery IDs are refused", func(t *testing.T) {
		for j, i := range []int{4, 2, 1, 3, 4, 1} {
			ev := events[i]
			ev.DeliveryID += fmt.Sprint("-retry", j)
			got := enginetest.Handle(t, e, ev)
			if len(got) != 1 || !strings.Contains(got[0].Text, "earlier step") || !got[0].Private {
				t.Errorf("old click %d answered %q, want a private stale notice", i, enginetest.Text(got))
			}
		}
		if after := r.conversation(); after.Version != done.Version || after.Step != done.Step {
			t.Errorf("old clicks changed the conversation: %+v -> %+v", done, after)
		}
	})

	t.Run("a late Continue does not undo the step after it", func(t *testing.T) {
		r := newFaultRig(t)
		e := r.env.Engine
		replies := r.converse(e, 2)
		signOut := enginetest.Button(t, replies, "Continue")
		replies = enginetest.Handle(t, e, r.event(bot.Press, signOut))
		// The same click again, as a retry with a new envelope.
		if got := enginetest.Handle(t, e, r.event(bot.Press, signOut)); !strings.Contains(enginetest.Text(got), "earlier step") {
			t.Errorf("late Continue answered %q", enginetest.Text(got))
		}
		// Three copies of Yes, with different delivery IDs, at once.
		yes := enginetest.Button(t, replies, "Yes, reset")
		var wg sync.WaitGroup
		passcodes := atomic.Int32{}
		for i := range 3 {
			ev := r.event(bot.Press, yes)
			ev.DeliveryID += fmt.Sprint("-copy", i)
			wg.Go(func() {
				goth, err := e.Handle(context.Background(), ev, &enginetest.Recorder{})
				got := goth.Replies
				if err != nil {
					t.Error(err)
				}
				if strings.Contains(enginetest.Text(got), "Your temporary passcode") {
					passcodes.Add(1)
				}
			})
		}
		wg.Wait()
		if n := r.env.Devices.Resets(); n != 1 {
			t.Errorf("%d resets, want 1", n)
		}
		if n := passcodes.Load(); n != 1 {
			t.Errorf("%d replies with a passcode, want 1", n)
		}
	})
}

// A follow-up scheduled by one bot process fires from the next one, also when
// Redis restarted in between, and exactly once.
func TestPendingFollowUpSurvivesRestarts(t *testing.T) {
	t.Parallel()
	r := newFaultRig(t)
	r.converse(r.env.Engine, len(enginetest.ResetClicks))
	pending, err := r.env.Store.Pending(context.Background())
	if err != nil || pending == 0 {
		t.Fatalf("pending follow-ups after the reset: %d, %v", pending, err)
	}
	r.env.Store.Client().Close() // the bot dies
	r.env.Redis.Stop()           // and Redis restarts (data kept in its append-only file)
	r.env.Redis.Restart()

	next, sent := r.newEngine()
	if n, err := next.Sweep(context.Background()); err != nil || n != 0 {
		t.Fatalf("sweep before due: %d, %v", n, err)
	}
	r.env.Clock.Advance(time.Hour)
	if n, err := next.Sweep(context.Background()); err != nil || n != 2 {
		t.Fatalf("sweep an hour later: fired %d, %v; want the passcode's removal and the reminder", n, err)
	}
	if n, _ := next.Sweep(context.Background()); n != 0 {
		t.Errorf("a second sweep fired %d again", n)
	}
	got := sent.Sent()
	if len(got) != 2 || !slices.ContainsFunc(got, func(r bot.Reply) bool {
		return strings.Contains(r.Text, "Reminder: if you are still using the temporary passcode on Adele's Galaxy S7") && r.To.ID == enginetest.Adele.ID
	}) {
		t.Fatalf("sent %+v", got)
	}
}

// A replica claims a follow-up and dies before firing it: another replica
// fires it once the lease runs out, not before.
func TestFollowUpOfACrashedReplicaFiresAfterItsLease(t *testing.T) {
	t.Parallel()
	r := newFaultRig(t)
	r.converse(r.env.Engine, len(enginetest.ResetClicks))
	r.env.Clock.Advance(time.Hour)
	lease := time.Minute
	claimed, err := r.env.Store.Claim(context.Background(), slackOnly, r.env.Clock.Now(), lease, 10)
	if err != nil || !slices.ContainsFunc(claimed, func(f bot.FollowUp) bool { return f.Kind == reset.FollowReminder }) {
		t.Fatalf("crashed replica's claim: %+v, %v; want the reminder", claimed, err)
	}
	// ... and it dies here, without firing or acknowledging.

	next, sent := r.newEngine(enginetest.WithConfig(func(c *bot.Config) { c.Lease = lease }))
	if n, err := next.Sweep(context.Background()); err != nil || n != 0 {
		t.Fatalf("sweep inside the lease fired %d, %v", n, err)
	}
	r.env.Clock.Advance(lease + time.Second)
	if n, err := next.Sweep(context.Background()); err != nil || n != len(claimed) {
		t.Fatalf("sweep after the lease fired %d, %v; want the %d claimed", n, err, len(claimed))
	}
	if got := sent.Sent(); !slices.ContainsFunc(got, func(r bot.Reply) bool { return strings.Contains(r.Text, "Reminder:") }) {
		t.Fatalf("sent %+v", got)
	}
}
