package bot_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/flows/reset"
	"github.com/passbot/passbot/internal/enginetest"
)

// replicas returns two replicas sharing one Redis and clock, each with its
// own Slack chat.
func replicas(t *testing.T) ([2]*enginetest.Env, [2]*enginetest.Recorder) {
	recs := [2]*enginetest.Recorder{{}, {}}
	env := enginetest.New(t, enginetest.WithChat(bot.Slack, recs[0]))
	return [2]*enginetest.Env{env, newReplica(t, env, enginetest.WithChat(bot.Slack, recs[1]))}, recs
}

func scheduleSignIns(t *testing.T, env *enginetest.Env, n int) {
	t.Helper()
	fs := make([]bot.FollowUp, n)
	for i := range fs {
		fs[i] = bot.FollowUp{ID: fmt.Sprintf("f%04d", i), Kind: reset.FollowReminder, Due: env.Clock.Now(),
			Owner: bot.User{Platform: bot.Slack, ID: fmt.Sprintf("U%04d", i)}, Device: bot.DeviceRef{Name: "Galaxy"}}
	}
	if err := env.Store.Schedule(context.Background(), fs...); err != nil {
		t.Fatal(err)
	}
}

// fired counts the sign-in notices per user across both replicas.
func fired(recs [2]*enginetest.Recorder) map[string]int {
	got := map[string]int{}
	for _, r := range recs {
		for _, x := range r.Sent() {
			got[x.To.ID]++
		}
	}
	return got
}

func TestEachFollowUpFiresOnceAcrossTwoReplicas(t *testing.T) {
	envs, recs := replicas(t)
	const n = 1000
	scheduleSignIns(t, envs[0], n)
	var wg sync.WaitGroup
	for _, e := range envs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k, err := e.Engine.Sweep(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				if k == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	got := fired(recs)
	if len(got) != n {
		t.Errorf("%d users notified, want %d", len(got), n)
	}
	for u, c := range got {
		if c != 1 {
			t.Errorf("%s notified %d times", u, c)
		}
	}
	if len(recs[0].Sent()) == 0 || len(recs[1].Sent()) == 0 {
		t.Logf("one replica fired everything (%d/%d): fine, but the race was not exercised", len(recs[0].Sent()), len(recs[1].Sent()))
	}
}

func TestFollowUpsClaimedByACrashedReplicaFireAfterTheLease(t *testing.T) {
	envs, recs := replicas(t)
	env := envs[0]
	scheduleSignIns(t, env, 100)
	ctx := context.Background()
	// Replica 0 claims everything and dies before firing any of it.
	claimed, err := env.Store.Claim(ctx, slackOnly, env.Clock.Now(), time.Minute, 100)
	if err != nil || len(claimed) != 100 {
		t.Fatalf("claimed %d, %v", len(claimed), err)
	}
	if k, _ := envs[1].Engine.Sweep(ctx); k != 0 {
		t.Fatalf("replica 1 fired %d while the lease holds", k)
	}
	env.Clock.Advance(61 * time.Second)
	total := 0
	for {
		k, err := envs[1].Engine.Sweep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if k == 0 {
			break
		}
		total += k
	}
	if total != 100 || len(fired(recs)) != 100 {
		t.Errorf("fired %d (%d users) after the lease, want 100", total, len(fired(recs)))
	}
}

// A chat that fails leaves the follow-up queued: it fires again after the
// lease rather than being lost.
func TestFailedNotificationIsRetried(t *testing.T) {
	envs, recs := replicas(t)
	env := envs[0]
	scheduleSignIns(t, env, 1)
	ctx := context.Background()
	env.Chats[bot.Slack].Use(failing{})
	if _, err := env.Engine.Sweep(ctx); err == nil {
		t.Fatal("sweep hid a send failure")
	}
	env.Clock.Advance(61 * time.Second)
	if k, err := envs[1].Engine.Sweep(ctx); k != 1 || err != nil {
		t.Fatalf("retry fired %d, %v", k, err)
	}
	if len(recs[1].Sent()) != 1 {
		t.Errorf("sent %+v", recs[1].Sent())
	}
}

// failing is a chat that takes nothing.
type failing struct{}

func (failing) Send(context.Context, bot.Reply) (bot.MessageRef, error) {
	return "", errors.New("slack: not reachable")
}

// updatesFail is a chat that takes everything but edits: the passcode's
// message was deleted, or the interaction's token has expired.
type updatesFail struct {
	enginetest.Recorder
	updates int
}

func (f *updatesFail) Send(ctx context.Context, r bot.Reply) (bot.MessageRef, error) {
	if r.Target.Kind == bot.UpdateRef {
		f.updates++
		return "", errors.New("HTTP 404 Not Found, Unknown Message")
	}
	return f.Recorder.Send(ctx, r)
}

// A passcode's removal that cannot succeed is tried again with a growing
// wait, not every minute forever, and then given up.
func TestPasscodeRemovalThatCannotSucceedIsGivenUp(t *testing.T) {
	chat := &updatesFail{}
	env := enginetest.New(t, enginetest.WithChat(bot.Slack, chat))
	r := enginetest.Handle(t, env.Engine, bot.Event{Kind: bot.Message, User: enginetest.Adele, Text: "reset my passcode", DeliveryID: "m"})
	for i, label := range enginetest.ResetClicks {
		r = enginetest.Handle(t, env.Engine, bot.Event{Kind: bot.Press, User: enginetest.Adele, Action: enginetest.Button(t, r, label), DeliveryID: "p" + strconv.Itoa(i)})
	}
	for range 2 * 24 * 60 / 5 { // two days, a sweep every five minutes
		env.Clock.Advance(5 * time.Minute)
		_, _ = env.Engine.Sweep(context.Background())
	}
	if chat.updates != 10 {
		t.Errorf("the removal was tried %d times in two days, want 10 and then given up", chat.updates)
	}
	if n, _ := env.Store.Pending(context.Background()); n != 0 {
		t.Errorf("%d follow-ups still queued", n)
	}
}

// A reminder the chat never takes is tried again after 1, 2, 4 … minutes,
// as notices are, not after every lease, and dropped after ten tries.
func TestFollowUpTheChatNeverTakesBacksOffThenIsDropped(t *testing.T) {
	env := enginetest.New(t, enginetest.WithChat(bot.Slack, nil))
	r := enginetest.Handle(t, env.Engine, bot.Event{Kind: bot.Message, User: enginetest.Adele, Text: "reset my passcode", DeliveryID: "m"})
	for i, label := range enginetest.ResetClicks {
		r = enginetest.Handle(t, env.Engine, bot.Event{Kind: bot.Press, User: enginetest.Adele, Action: enginetest.Button(t, r, label), DeliveryID: "p" + strconv.Itoa(i)})
	}
	var tries []time.Time // of new messages, not the passcode's removal
	env.Chats[bot.Slack].Use(enginetest.SenderFunc(func(_ context.Context, r bot.Reply) (bot.MessageRef, error) {
		if r.Target.Kind != bot.UpdateRef {
			tries = append(tries, env.Clock.Now())
		}
		return "", errors.New("slack: cannot_dm_bot")
	}))
	env.Clock.Advance(time.Hour) // the reminder is due
	for range 2 * 24 * 60 * 2 {  // two days, a sweep every 30 seconds
		_, _ = env.Engine.Sweep(context.Background())
		env.Clock.Advance(30 * time.Second)
	}
	if len(tries) != 10 {
		t.Fatalf("the reminder was tried %d times in two days, want 10", len(tries))
	}
	for i := 1; i < len(tries); i++ {
		want := time.Minute << (i - 1)
		if gap := tries[i].Sub(tries[i-1]); gap < want || gap > want+30*time.Second {
			t.Errorf("wait before try %d: %v, want %v", i+1, gap, want)
		}
	}
	if n, _ := env.Store.Pending(context.Background()); n != 0 {
		t.Errorf("%d follow-ups still queued after the last try", n)
	}
}
