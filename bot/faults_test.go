package bot_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/enginetest"
	"github.com/redis/go-redis/v9"
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
	h.useStore(&overtaken{Store: h.env.Store})
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
			rh, err := h.env.Engine.Handle(context.Background(), ev, &enginetest.Recorder{})
			r := rh.Replies
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
	slackSent, discordSent := &enginetest.Recorder{}, &enginetest.Recorder{}
	env := enginetest.New(t, enginetest.WithChat(bot.Slack, slackSent), enginetest.WithChat(bot.Discord, discordSent))
	ctx := context.Background()
	serving := func(p bot.Platform) *bot.Engine {
		c := env.Config
		c.Chats = []bot.ChatAdapter{env.Chats[p]}
		return bot.New(c)
	}
	onSlack, onDiscord := serving(bot.Slack), serving(bot.Discord)

	lieke := bot.User{Platform: bot.Discord, ID: "D1", UPN: "lieke.devries@contoso.com", Locale: "nl-NL"}
	r := &bot.Request{ID: "R1", Requester: lieke, Device: bot.DeviceRef{ID: "d-tab", Name: "Contoso Galaxy Tab"},
		Reason: "vergeten", State: bot.RequestPending, Created: env.Clock.Now()}
	if err := env.Store.SaveRequest(ctx, r); err != nil {
		t.Fatal(err)
	}
	fs := env.Config.Approval.FollowUps(r)
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

// lostAfterReset is a Store that fails the commit after a reset, as when
// Redis drops between the device call and the write of its result.
type lostAfterReset struct{ bot.Store }

func (s *lostAfterReset) Commit(ctx context.Context, c *bot.Conversation, fs []bot.FollowUp, rs []bot.AuditRecord) error {
	for _, r := range rs {
		if r.Action == "reset" {
			return errors.New("redis: connection reset by peer")
		}
	}
	return s.Store.Commit(ctx, c, fs, rs)
}

func TestResetWhoseResultIsLostIsInTheAuditTrailAndFollowedUp(t *testing.T) {
	h, sent := newRecordedHarness(t)
	yes := h.toWithYou()
	h.useStore(&lostAfterReset{Store: h.env.Store})
	ev := bot.Event{Kind: bot.Press, User: adele, Action: enginetest.Button(t, yes, "Yes, reset"), DeliveryID: "yes"}
	// ... and the chat is gone too: the result does not reach Adele.
	if _, err := h.env.Engine.Handle(context.Background(), ev, failing{}); err == nil {
		t.Fatal("the lost commit was not reported")
	}
	if n := h.env.Devices.Resets(); n != 1 {
		t.Fatalf("%d resets, want 1", n)
	}
	audit, err := h.env.Store.RecentAudit(context.Background(), adele.Key(), 10)
	if err != nil || len(audit) == 0 || audit[0].Action != "reset_started" || audit[0].Device == "" {
		t.Fatalf("audit trail after a reset whose result was lost: %+v, %v; want its reset_started record", audit, err)
	}

	// Redis is back: the intent's poll reads the result and tells Adele.
	h.useStore(h.env.Store)
	h.env.Clock.Advance(2 * time.Minute)
	if n, err := h.env.Engine.Sweep(context.Background()); n != 1 || err != nil {
		t.Fatalf("sweep after the lost result fired %d, %v; want the result poll", n, err)
	}
	// The device backend reads the passcode back (Intune keeps it seven
	// days): Adele is shown it, privately.
	shownPrivately(t, sent.Sent())
	// ... and the trail gets the reset's record the lost commit held, once.
	audit, _ = h.env.Store.RecentAudit(context.Background(), adele.Key(), 10)
	if len(audit) < 2 || audit[0].Action != "reset" || audit[0].Outcome != "done" || audit[0].Reason != "recorded by the recovery read" || audit[1].Action != "reset_started" {
		t.Errorf("audit trail after the recovery: %+v; want the reset record on top of its reset_started", audit)
	}
	h.env.Clock.Advance(2 * time.Hour)
	if _, err := h.env.Engine.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	again, _ := h.env.Store.RecentAudit(context.Background(), adele.Key(), 10)
	if n := slices.IndexFunc(again, func(r bot.AuditRecord) bool { return r.Action == "reset" }); n < 0 || len(again) != len(audit) {
		t.Errorf("later follow-ups changed the trail: %+v", again)
	}
}

// When the reset's result was sent (the event's Sender took it), its
// standing poll is dropped: the sweep sends nothing more about it.
func TestDeliveredResetIsNotPolledAgain(t *testing.T) {
	h, sent := newRecordedHarness(t)
	h.click(adele, h.toWithYou(), "Yes, reset")
	h.env.Clock.Advance(2 * time.Minute)
	if n, err := h.env.Engine.Sweep(context.Background()); n != 0 || err != nil {
		t.Fatalf("sweep at +2 minutes fired %d, %v; want nothing (the reminder is at 1 hour)", n, err)
	}
	if got := sent.Sent(); len(got) != 0 {
		t.Errorf("sent after a delivered reset: %q", enginetest.Text(got))
	}
	if n, _ := h.env.Store.Pending(context.Background()); n != 2 {
		t.Errorf("%d follow-ups pending, want the passcode's removal and the reminder", n)
	}
}

// The adapter died after the reset was recorded but before the passcode
// reached the chat: the standing poll reads the result again and sends it.
func TestResetWhoseResultWasNeverSentIsSentByTheSweep(t *testing.T) {
	h, sent := newRecordedHarness(t)
	yes := enginetest.Button(t, h.toWithYou(), "Yes, reset")
	repliesh, err := h.env.Engine.Handle(context.Background(), bot.Event{Kind: bot.Press, User: adele, Action: yes}, failing{})
	replies := repliesh.Replies
	if err != nil {
		t.Fatal(err)
	}
	var receipts int
	for _, r := range replies {
		if r.Receipt != "" {
			receipts++
			if !r.Private || !strings.Contains(r.Text, "temporary passcode") {
				t.Errorf("the receipt is on %+v, want the private passcode reply", r)
			}
		}
	}
	if receipts != 1 {
		t.Fatalf("%d replies carry a receipt, want 1", receipts)
	}
	// ... and none of them was sent. The first try of the sweep finds
	// the chat down: the result is not taken for delivered.
	h.env.Chats[bot.Slack].Use(failing{})
	h.env.Clock.Advance(2 * time.Minute)
	if _, err := h.env.Engine.Sweep(context.Background()); err == nil {
		t.Fatal("the sweep hid that the chat was down")
	}
	h.env.Chats[bot.Slack].Use(sent)
	h.env.Clock.Advance(61 * time.Second) // the failed try's lease
	if n, err := h.env.Engine.Sweep(context.Background()); n != 1 || err != nil {
		t.Fatalf("sweep fired %d, %v; want the standing poll", n, err)
	}
	shownPrivately(t, sent.Sent())
	if n := h.env.Devices.Resets(); n != 1 {
		t.Errorf("%d resets, want 1", n)
	}
}

// shownPrivately checks that a reset's result read back by the sweep shows
// the temporary passcode, in a private reply that leaves the chat later.
func shownPrivately(t *testing.T, sent []bot.Reply) {
	t.Helper()
	i := slices.IndexFunc(sent, func(r bot.Reply) bool {
		return strings.Contains(r.Text, "Your temporary passcode (letters and numbers) is: ")
	})
	if i < 0 || !sent[i].Private || sent[i].Scrub == "" || !strings.Contains(enginetest.Text(sent), "reset successfully") {
		t.Errorf("after the read Adele was sent %+v, want the passcode privately", sent)
	}
}

// A reset that cannot record its start does not run, and says so plainly.
func TestResetThatCannotRecordItsStartDoesNotRun(t *testing.T) {
	h := newHarness(t)
	yes := h.toWithYou()
	h.useStore(&failingCommits{Store: unprepared{h.env.Store}})
	ev := bot.Event{Kind: bot.Press, User: adele, Action: enginetest.Button(t, yes, "Yes, reset"), DeliveryID: "yes"}
	goth, _ := h.env.Engine.Handle(context.Background(), ev, &enginetest.Recorder{})
	got := goth.Replies
	if n := h.env.Devices.Resets(); n != 0 {
		t.Fatalf("%d resets without a recorded start", n)
	}
	if text := enginetest.Text(got); !strings.Contains(text, "Nothing was changed") || strings.Contains(text, "may") {
		t.Errorf("answered %q; want that nothing was changed", text)
	}
}

// failingCommits is a Store whose commits all fail.
type failingCommits struct{ bot.Store }

func (failingCommits) Commit(context.Context, *bot.Conversation, []bot.FollowUp, []bot.AuditRecord) error {
	return errRefused
}

func (failingCommits) CommitChecking(context.Context, *bot.Conversation, []bot.FollowUp, []bot.AuditRecord, bot.Quota) (bool, time.Time, error) {
	return false, time.Time{}, errRefused
}

func (failingCommits) CommitCounted(context.Context, bot.Quota, []bot.FollowUp, []bot.AuditRecord) (bool, time.Time, error) {
	return false, time.Time{}, errRefused
}

// unprepared is a Store that cannot write a reset's start in Begin's round
// trip, as on Cluster: the reset writes it in a round trip of its own.
type unprepared struct{ bot.Store }

func (s unprepared) BeginPrepared(ctx context.Context, u bot.User, delivery, press string, _ bot.Prepared) (bot.Begun, error) {
	return s.Begin(ctx, u, delivery, press)
}

var errRefused = errors.New("redis: connection refused")

// resumeFails is a Store on which loading the requester's conversation to
// resume it fails once, as when Redis fails right after the approval.
type resumeFails struct {
	bot.Store
	failed atomic.Bool
}

func (s *resumeFails) Begin(ctx context.Context, u bot.User, delivery, press string) (bot.Begun, error) {
	if u == adele && delivery == "" && press == "" && s.failed.CompareAndSwap(false, true) {
		return bot.Begun{}, errors.New("redis: i/o timeout")
	}
	return s.Store.Begin(ctx, u, delivery, press)
}

func TestApprovalWhoseResumeFailsIsResumedByTheSweep(t *testing.T) {
	h, rec := newRecordedHarness(t)
	card := h.requestReset(rec)
	flaky := &resumeFails{Store: h.env.Store}
	h.useStore(flaky)
	got := h.click(hank, []bot.Reply{card}, "Approve")
	if !flaky.failed.Load() || !strings.Contains(enginetest.Text(got), "Approved by Hank Helpdesk") {
		t.Fatalf("approval during the failure: %q (resume failed: %v)", enginetest.Text(got), flaky.failed.Load())
	}
	banner := func() []bot.Reply {
		var out []bot.Reply
		for _, x := range rec.Sent() {
			if x.To.ID == adele.ID && strings.Contains(x.Text, "Reset the passcode of Contoso Galaxy Tab?") {
				out = append(out, x)
			}
		}
		return out
	}
	if len(banner()) != 0 {
		t.Fatal("the failed resume offered Adele the reset")
	}

	h.env.Clock.Advance(time.Minute)
	if n, err := h.env.Engine.Sweep(context.Background()); n != 1 || err != nil {
		t.Fatalf("sweep a minute later fired %d, %v; want the resume", n, err)
	}
	asked := banner()
	if len(asked) != 1 {
		t.Fatalf("after the sweep Adele was asked %d times about her device", len(asked))
	}
	r := h.click(adele, h.click(adele, asked, "Continue"), "Yes, reset")
	if !strings.Contains(enginetest.Text(r), "Your temporary passcode") || h.env.Devices.Resets() != 1 {
		t.Fatalf("after Yes: %q, %d resets", enginetest.Text(r), h.env.Devices.Resets())
	}
	// The resume is done: later sweeps do not resume it again.
	h.env.Clock.Advance(time.Hour)
	h.env.Engine.Sweep(context.Background())
	if n := len(banner()); n != 1 {
		t.Errorf("Adele was asked %d times in all, want once", n)
	}
}

// A resume that worked at once leaves no retry behind.
func TestApprovalResumedAtOnceIsNotResumedAgain(t *testing.T) {
	h, rec := newRecordedHarness(t)
	h.click(hank, []bot.Reply{h.requestReset(rec)}, "Approve")
	before := len(rec.Sent())
	h.env.Clock.Advance(2 * time.Minute)
	h.env.Engine.Sweep(context.Background())
	if after := rec.Sent(); len(after) != before {
		t.Errorf("the sweep sent %q after a resume that worked", enginetest.Text(after[before:]))
	}
}

// A click whose replica died after marking it pressed (before saving) leaves
// that version of the step's buttons dead. Typing a start word renews the
// step under a new version, so the question it asks, and the step after
// it, work again.
func TestAStepWhoseClickDiedWithItsReplicaCanBeTakenUpAgain(t *testing.T) {
	h := newHarness(t)
	withYou := h.toWithYou()
	yes := enginetest.Button(t, withYou, "Yes, reset")
	f := strings.SplitN(yes, "|", 4) // conversation|version|owner|action
	if _, err := h.env.Store.Begin(context.Background(), adele, "", adele.Key()+":"+f[0]+":"+f[1]); err != nil {
		t.Fatal(err)
	}
	// ... and that replica is gone. The button is dead now:
	if got := enginetest.Text(h.click(adele, withYou, "Yes, reset")); !strings.Contains(got, "no longer works") {
		t.Fatalf("a click on the dead button: %q", got)
	}
	h.env.Clock.Advance(time.Second)
	ask := h.say(adele, "reset my passcode")
	h.env.Clock.Advance(time.Second)
	r := h.click(adele, ask, "Continue")
	if !strings.Contains(enginetest.Text(r), "Do you have Adele's Galaxy S7 with you?") {
		t.Fatalf("Continue answered %q", enginetest.Text(r))
	}
	done := h.click(adele, r, "Yes, reset")
	if n := h.env.Devices.Resets(); n != 1 {
		t.Errorf("%d resets, want 1: %q", n, enginetest.Text(done))
	}
}

// interleave runs hook once, while the press of "Yes, reset" writes its
// reset's start: another event arriving at that moment. at says when:
// "count", inside CommitCounted before it reaches Redis (on a store that
// cannot write the start in Begin's round trip); "begin" and
// "begun", before and after BeginPrepared writes it.
type interleave struct {
	bot.Store
	at   string
	done atomic.Bool
	hook func()
}

func (s *interleave) once(at string) {
	if s.at == at && s.done.CompareAndSwap(false, true) {
		s.hook()
	}
}

func (s *interleave) CommitCounted(ctx context.Context, q bot.Quota, fs []bot.FollowUp, rs []bot.AuditRecord) (bool, time.Time, error) {
	s.once("count")
	return s.Store.CommitCounted(ctx, q, fs, rs)
}

func (s *interleave) BeginPrepared(ctx context.Context, u bot.User, delivery, press string, p bot.Prepared) (bot.Begun, error) {
	s.once("begin")
	defer s.once("begun")
	return s.Store.BeginPrepared(ctx, u, delivery, press, p)
}

// A press of "Yes, reset" and a typed "yes" for the same confirmation: a
// button is guarded by its press mark, typed text by saving first, and
// neither sees the other. The reset's start, named by its confirmation,
// lets only one of them run: the first to write it.
func TestPressAndTypedYesResetOnce(t *testing.T) {
	for _, c := range []struct {
		at        string
		typedWins bool
	}{{"count", true}, {"begin", true}, {"begun", false}} {
		for _, limits := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/limits=%v", c.at, limits), func(t *testing.T) {
				var opts []enginetest.Option
				if limits {
					opts = append(opts, withLimits(bot.Limits{PerUser: 5, PerDevice: 3, Window: 24 * time.Hour}))
				}
				h := newHarness(t, opts...)
				yes := enginetest.Button(t, h.toWithYou(), "Yes, reset")
				var typed []bot.Reply
				var store bot.Store = h.env.Store
				if c.at == "count" {
					store = unprepared{store}
				}
				h.useStore(&interleave{Store: store, at: c.at, hook: func() {
					res, _ := h.env.Engine.Handle(context.Background(), bot.Event{Kind: bot.Message, User: adele, Text: "yes", DeliveryID: "typed-yes"}, &enginetest.Recorder{})
					typed = res.Replies
				}})
				res, _ := h.env.Engine.Handle(context.Background(), bot.Event{Kind: bot.Press, User: adele, Action: yes, DeliveryID: "press-yes"}, &enginetest.Recorder{})
				if n := h.env.Devices.Resets(); n != 1 {
					t.Fatalf("%d resets for one confirmation, want 1", n)
				}
				winner, loser := enginetest.Text(typed), enginetest.Text(res.Replies)
				if !c.typedWins {
					winner, loser = loser, winner
				}
				if !strings.Contains(winner, "temporary passcode") || strings.Contains(loser, "temporary passcode") {
					t.Errorf("the typed yes got %q, the press %q; the first to write the start should have the passcode", enginetest.Text(typed), enginetest.Text(res.Replies))
				}
				if c.typedWins && !strings.Contains(loser, "no longer works") {
					t.Errorf("the press after the typed yes was told %q", loser)
				}
			})
		}
	}
}

// resendStart is a go-redis hook that does to the first pipeline writing
// a reset's start in Begin's round trip what go-redis does to a pipeline
// whose reply timed out: it sends it again. between runs after Redis ran
// the first sending, before the re-send.
type resendStart struct {
	done    atomic.Bool
	between func()
}

func (h *resendStart) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (h *resendStart) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

func (h *resendStart) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if !slices.ContainsFunc(cmds, writesStart) || !h.done.CompareAndSwap(false, true) {
			return next(ctx, cmds)
		}
		_ = next(ctx, cmds) // its reply is lost
		h.between()
		return next(ctx, cmds)
	}
}

// writesStart reports whether c is the script that writes a reset's start
// in Begin's pipeline.
func writesStart(c redis.Cmder) bool {
	args := c.Args()
	if len(args) < 2 || args[0] != "eval" {
		return false
	}
	src, _ := args[1].(string)
	return strings.Contains(src, "schedule(part(KEYS")
}

// The press of "Yes, reset" writes its reset's start in Begin's round
// trip, and the reply is lost; before go-redis sends the pipeline again,
// a typed "yes" for the same confirmation saves the step on and finds the
// start written by the press. The re-send finds its start written: the
// press goes on, and the device is reset once, not never.
func TestAResentBeginThatWroteTheStartGoesOn(t *testing.T) {
	h := newHarness(t)
	yes := enginetest.Button(t, h.toWithYou(), "Yes, reset")
	var typed []bot.Reply
	hook := &resendStart{between: func() {
		res, _ := h.env.Engine.Handle(context.Background(), bot.Event{Kind: bot.Message, User: adele, Text: "yes", DeliveryID: "typed-yes"}, &enginetest.Recorder{})
		typed = res.Replies
	}}
	h.env.Store.Client().AddHook(hook)
	res, _ := h.env.Engine.Handle(context.Background(), bot.Event{Kind: bot.Press, User: adele, Action: yes, DeliveryID: "press-yes"}, &enginetest.Recorder{})
	if !hook.done.Load() {
		t.Fatal("the press did not write its start in Begin's round trip")
	}
	if n := h.env.Devices.Resets(); n != 1 {
		t.Fatalf("%d resets for one confirmation, want 1: the typed yes got %q, the press %q", n, enginetest.Text(typed), enginetest.Text(res.Replies))
	}
	if !strings.Contains(enginetest.Text(res.Replies), "temporary passcode") {
		t.Errorf("the press that wrote the start got %q", enginetest.Text(res.Replies))
	}
}

// redisBlip is a Store whose writes fail while down is set: Redis gone for
// the moment the passcode's message is sent.
type redisBlip struct {
	bot.Store
	down bool
}

func (s *redisBlip) Ack(ctx context.Context, f bot.FollowUp, next ...bot.FollowUp) error {
	if s.down {
		return errors.New("redis: connection refused")
	}
	return s.Store.Ack(ctx, f, next...)
}

// A passcode shown while Redis blinks still leaves the chat: the write of
// its removal waits in the replica for the next sweep.
func TestPasscodeShownWhileRedisBlinksIsStillRemoved(t *testing.T) {
	h, sent := newRecordedHarness(t)
	yes := enginetest.Button(t, h.toWithYou(), "Yes, reset")
	blip := &redisBlip{Store: h.env.Store}
	h.useStore(blip)
	// Redis goes as the replies are sent.
	shown := &enginetest.Recorder{}
	out := enginetest.SenderFunc(func(ctx context.Context, r bot.Reply) (bot.MessageRef, error) {
		blip.down = true
		return shown.Send(ctx, r)
	})
	if _, err := h.env.Engine.Handle(context.Background(), bot.Event{Kind: bot.Press, User: adele, Action: yes, DeliveryID: "yes"}, out); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(shown.Sent(), func(r bot.Reply) bool { return r.Scrub != "" })
	if i < 0 {
		t.Fatal("no passcode reply")
	}
	passcodeMsg := bot.MessageRef("rec:" + strconv.Itoa(i))
	blip.down = false
	for range 4 { // Redis is back: sweeps over the next quarter of an hour
		if _, err := h.env.Engine.Sweep(context.Background()); err != nil {
			t.Fatal(err)
		}
		h.env.Clock.Advance(5 * time.Minute)
	}
	if !slices.ContainsFunc(sent.Sent(), func(r bot.Reply) bool {
		return r.Target.Kind == bot.UpdateRef && r.Target.Ref == passcodeMsg && strings.Contains(r.Text, "removed from this chat")
	}) {
		t.Errorf("the passcode's message %s was never replaced; sent %+v", passcodeMsg, sent.Sent())
	}
}

// redisAway fails every write after the reset while away is set.
type redisAway struct {
	bot.Store
	away atomic.Bool
}

func (s *redisAway) Commit(ctx context.Context, c *bot.Conversation, fs []bot.FollowUp, rs []bot.AuditRecord) error {
	if s.away.Load() {
		return errors.New("redis: connection refused")
	}
	return s.Store.Commit(ctx, c, fs, rs)
}

func (s *redisAway) Ack(ctx context.Context, f bot.FollowUp, next ...bot.FollowUp) error {
	if s.away.Load() {
		return errors.New("redis: connection refused")
	}
	return s.Store.Ack(ctx, f, next...)
}

// resetWhoseCommitFails presses Yes, reset while every commit holding the
// reset's record fails (Redis dropped right after the start was written)
// and Redis is back when the replies are sent, or still away when away
// says so. It returns the store (Redis back unless told away) and what the
// chat was sent on its own since.
func resetWhoseCommitFails(t *testing.T, away bool) (*harness, *redisAway, *enginetest.Recorder) {
	t.Helper()
	h, sent := newRecordedHarness(t)
	yes := enginetest.Button(t, h.toWithYou(), "Yes, reset")
	store := &redisAway{Store: h.env.Store}
	h.useStore(&lostAfterReset{Store: store})
	shown := &enginetest.Recorder{}
	out := enginetest.SenderFunc(func(ctx context.Context, r bot.Reply) (bot.MessageRef, error) {
		h.useStore(store)
		store.away.Store(away)
		return shown.Send(ctx, r)
	})
	_, err := h.env.Engine.Handle(context.Background(), bot.Event{Kind: bot.Press, User: adele, Action: yes, DeliveryID: "yes"}, out)
	if err == nil || h.env.Devices.Resets() != 1 {
		t.Fatalf("handle: %v, %d resets; want the failed commit reported after one reset", err, h.env.Devices.Resets())
	}
	return h, store, sent
}

// Redis drops right after the reset's start is written and stays away
// until the device call returns: the device is reset and the passcode
// shown. The reset's record and its reminder, which the failed commit held,
// are written when the result is delivered (or by the next sweep, when
// Redis is still away then), and the standing read goes only with them: one
// reset record, one reminder, one result message.
func TestAResetWhoseCommitFailedIsRecordedWhenItsResultIsDelivered(t *testing.T) {
	for _, backAt := range []string{"delivery", "sweep"} {
		t.Run("Redis back at the "+backAt, func(t *testing.T) {
			h, store, sent := resetWhoseCommitFails(t, backAt == "sweep")
			store.away.Store(false)
			if _, err := h.env.Engine.Sweep(context.Background()); err != nil {
				t.Fatal(err)
			}
			audit, err := h.env.Store.RecentAudit(context.Background(), adele.Key(), 10)
			if err != nil || len(audit) < 2 || audit[0].Action != "reset" || audit[0].Outcome != "done" || audit[0].Reason != "" || audit[1].Action != "reset_started" {
				t.Fatalf("audit trail: %+v, %v; want the reset's own record on its reset_started", audit, err)
			}
			if n, _ := h.env.Store.Pending(context.Background()); n != 2 {
				t.Errorf("%d follow-ups pending, want the passcode's removal and the reminder", n)
			}
			h.env.Clock.Advance(2 * time.Minute) // the standing read's time
			if n, err := h.env.Engine.Sweep(context.Background()); n != 0 || err != nil || len(sent.Sent()) != 0 {
				t.Errorf("sweep at the standing read's time fired %d (%v) and sent %q; want nothing", n, err, enginetest.Text(sent.Sent()))
			}
			h.env.Clock.Advance(time.Hour)
			if _, err := h.env.Engine.Sweep(context.Background()); err != nil {
				t.Fatal(err)
			}
			if text := enginetest.Text(sent.Sent()); !strings.Contains(text, "Reminder: if you are still using the temporary passcode") {
				t.Errorf("after an hour Adele was sent %q, want the reminder", text)
			}
		})
	}
}

// stalled is a Store whose writing of a reset's start stalls (Redis or the
// network hangs) for a while of the test clock: in Begin's round trip on
// one node, or, where Begin cannot write it (apart), in its own.
type stalled struct {
	bot.Store
	clock *enginetest.Clock
	for_  time.Duration
	apart bool
}

func (s *stalled) BeginPrepared(ctx context.Context, u bot.User, delivery, press string, p bot.Prepared) (bot.Begun, error) {
	if s.apart {
		return s.Begin(ctx, u, delivery, press)
	}
	defer s.clock.Advance(s.for_)
	return s.Store.BeginPrepared(ctx, u, delivery, press, p)
}

func (s *stalled) CommitCounted(ctx context.Context, q bot.Quota, fs []bot.FollowUp, rs []bot.AuditRecord) (bool, time.Time, error) {
	defer s.clock.Advance(s.for_)
	return s.Store.CommitCounted(ctx, q, fs, rs)
}

// A reset whose start stalled until its standing read could fire during
// the device call does not run: one reset record, one message, and the
// read that would have raced it says nothing later.
func TestAResetWhoseStartStalledPastItsReadDoesNotRun(t *testing.T) {
	for _, apart := range []bool{false, true} {
		for _, stall := range []time.Duration{90 * time.Second, 3 * time.Minute} {
			t.Run(fmt.Sprintf("apart %v, stalled %v", apart, stall), func(t *testing.T) {
				// The read is 2 minutes after the start.
				h, sent := newRecordedHarness(t, enginetest.WithConfig(func(c *bot.Config) { c.ResetCallTime = 40 * time.Second }))
				yes := h.toWithYou()
				h.useStore(&stalled{Store: h.env.Store, clock: h.env.Clock, for_: stall, apart: apart})
				res, err := h.env.Engine.Handle(context.Background(), bot.Event{Kind: bot.Press, User: adele, Action: enginetest.Button(t, yes, "Yes, reset"), DeliveryID: "yes"}, &enginetest.Recorder{})
				if err != nil {
					t.Fatal(err)
				}
				h.useStore(h.env.Store)
				if n := h.env.Devices.Resets(); n != 0 {
					t.Fatalf("%d resets after a start that stalled for %v", n, stall)
				}
				if text := enginetest.Text(res.Replies); !strings.Contains(text, "did not succeed") || !strings.Contains(text, "Nothing was changed") {
					t.Errorf("Adele was told %q", text)
				}
				for range 20 { // the next hour: the read and its polls, had they stayed
					if _, err := h.env.Engine.Sweep(context.Background()); err != nil {
						t.Fatal(err)
					}
					h.env.Clock.Advance(3 * time.Minute)
				}
				if len(sent.Sent()) != 0 {
					t.Errorf("later Adele was also told %q", enginetest.Text(sent.Sent()))
				}
				audit, _ := h.env.Store.RecentAudit(context.Background(), adele.Key(), 10)
				var resets []string
				for _, a := range audit {
					if a.Action == "reset" {
						resets = append(resets, a.Outcome)
					}
				}
				if len(resets) != 1 || resets[0] == "done" {
					t.Errorf("reset records %q, want one saying it did not run", resets)
				}
			})
		}
	}
}

// deadlineDevices notes the deadline of each reset's device call.
type deadlineDevices struct {
	bot.Devices
	deadline time.Time
	set      bool
}

func (d *deadlineDevices) ResetPasscode(ctx context.Context, id string) (bot.ResetResult, error) {
	d.deadline, d.set = ctx.Deadline()
	return d.Devices.ResetPasscode(ctx, id)
}

// A reset's device call is held to ResetCallTime, its retries and waits
// included (Graph's Retry-After can be a minute): the standing read of its
// result, due after that, never runs while it does.
func TestAResetsDeviceCallIsHeldToItsTime(t *testing.T) {
	var devices *deadlineDevices
	h := newHarness(t, enginetest.WithConfig(func(c *bot.Config) {
		devices = &deadlineDevices{Devices: c.Devices}
		c.Devices, c.ResetCallTime = devices, 40*time.Second
	}))
	before := time.Now()
	h.click(adele, h.toWithYou(), "Yes, reset")
	if !devices.set || devices.deadline.After(time.Now().Add(40*time.Second)) || devices.deadline.Before(before.Add(40*time.Second)) {
		t.Errorf("the device call's deadline: %v (set %v), want 40 s after it started", devices.deadline, devices.set)
	}
}

// As above, but Redis stays away until the standing read's time: the read
// records the reset and shows the result again, and the records that
// waited in the replica are not written too. One reset, one record.
func TestAResetWhoseRecordWaitedPastItsReadIsRecordedOnce(t *testing.T) {
	h, store, sent := resetWhoseCommitFails(t, true)
	h.env.Clock.Advance(2 * time.Minute) // the standing read is due
	store.away.Store(false)
	for range 3 {
		if _, err := h.env.Engine.Sweep(context.Background()); err != nil {
			t.Fatal(err)
		}
		h.env.Clock.Advance(time.Minute)
	}
	audit, _ := h.env.Store.RecentAudit(context.Background(), adele.Key(), 10)
	var resets []string
	for _, a := range audit {
		if a.Action == "reset" {
			resets = append(resets, a.Outcome+" "+a.Reason)
		}
	}
	if len(resets) != 1 {
		t.Errorf("reset records %q, want one", resets)
	}
	shownPrivately(t, sent.Sent())
	if n := h.env.Devices.Resets(); n != 1 {
		t.Errorf("%d resets", n)
	}
}
