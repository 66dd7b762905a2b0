package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
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
	"github.com/redis/go-redis/v9"
)

var (
	ctx   = context.Background()
	t0    = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	adele = bot.User{Platform: bot.Slack, ID: "U1", UPN: "adele.vance@contoso.com"}
	// slackOnly is what a replica serving only Slack delivers to.
	slackOnly = []bot.Platform{bot.Slack}
)

func TestBeginMarksDeliveriesOnce(t *testing.T) {
	t.Parallel()
	s := store.New(redistest.Start(t).Client())
	if b, err := s.Begin(ctx, adele, "slack:Ev1", "U1:conv:3"); err != nil || b.Duplicate || b.Pressed {
		t.Fatalf("first delivery: %+v, %v", b, err)
	}
	if b, _ := s.Begin(ctx, adele, "slack:Ev1", ""); !b.Duplicate {
		t.Error("second delivery not reported as a duplicate")
	}
	if b, _ := s.Begin(ctx, adele, "slack:Ev2", "U1:conv:3"); b.Duplicate || !b.Pressed {
		t.Errorf("a second click on the same button version: %+v", b)
	}
	if err := s.Forget(ctx, adele, "slack:Ev1", "U1:conv:3"); err != nil {
		t.Fatal(err)
	}
	if b, _ := s.Begin(ctx, adele, "slack:Ev1", "U1:conv:3"); b.Duplicate || b.Pressed {
		t.Errorf("forgotten marks still count: %+v", b)
	}
	for range 2 {
		if b, _ := s.Begin(ctx, adele, "", ""); b.Duplicate || b.Pressed {
			t.Error("empty keys never mark anything")
		}
	}
}

func TestSaveIsCompareAndSet(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	a, b := store.New(srv.Client()), store.New(srv.Client())
	c := &bot.Conversation{ID: "c1", Owner: adele, Step: "devices", Lang: "nl"}
	if err := a.Save(ctx, c); err != nil || c.Version != 1 {
		t.Fatalf("save new: version %d err %v", c.Version, err)
	}
	begun, err := b.Begin(ctx, adele, "", "")
	got := begun.Conv
	if err != nil || got.ID != "c1" || got.Version != 1 || got.Step != "devices" || got.Lang != "nl" {
		t.Fatalf("loaded %+v, %v", got, err)
	}
	stale := *got
	got.Step = "card"
	if err := b.Save(ctx, got); err != nil || got.Version != 2 {
		t.Fatalf("save loaded: %v", err)
	}
	stale.Step = "confirm"
	if err := a.Save(ctx, &stale); !errors.Is(err, bot.ErrConflict) || stale.Version != 1 {
		t.Fatalf("stale save: %v (version %d), want ErrConflict", err, stale.Version)
	}
	if b, _ := a.Begin(ctx, adele, "", ""); b.Conv.Step != "card" {
		t.Errorf("stale save overwrote: %+v", got)
	}
	fresh := &bot.Conversation{ID: "c2", Owner: adele}
	if err := a.Save(ctx, fresh); !errors.Is(err, bot.ErrConflict) {
		t.Errorf("creating over an existing conversation: %v, want ErrConflict", err)
	}
}

func TestConversationsExpire(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s := store.New(srv.Client())
	s.ConvTTL = time.Hour
	if err := s.Save(ctx, &bot.Conversation{ID: "c1", Owner: adele}); err != nil {
		t.Fatal(err)
	}
	ttl, err := srv.Client().PTTL(ctx, "passbot:{u:slack:U1}:conv").Result()
	if err != nil || ttl <= 0 || ttl > time.Hour {
		t.Errorf("TTL %v, %v", ttl, err)
	}
}

func followUps(n int, due time.Time) []bot.FollowUp {
	fs := make([]bot.FollowUp, n)
	for i := range fs {
		fs[i] = bot.FollowUp{ID: fmt.Sprintf("f%04d", i), Kind: "signin", Due: due, Owner: adele, Device: bot.DeviceRef{ID: "d", Name: "Galaxy"}}
	}
	return fs
}

func TestClaimLeasesAndAck(t *testing.T) {
	t.Parallel()
	s := store.New(redistest.Start(t).Client())
	if err := s.Schedule(ctx, followUps(3, t0.Add(5*time.Minute))...); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Claim(ctx, slackOnly, t0, time.Minute, 10); err != nil || len(got) != 0 {
		t.Fatalf("claimed %d before due (%v)", len(got), err)
	}
	now := t0.Add(5 * time.Minute)
	got, err := s.Claim(ctx, slackOnly, now, time.Minute, 2)
	if err != nil || len(got) != 2 || got[0].Device.Name != "Galaxy" || got[0].Owner != adele {
		t.Fatalf("claim: %+v, %v", got, err)
	}
	if rest, _ := s.Claim(ctx, slackOnly, now, time.Minute, 10); len(rest) != 1 {
		t.Fatalf("second claim got %d, want the 1 left", len(rest))
	}
	if err := s.Ack(ctx, got[0]); err != nil {
		t.Fatal(err)
	}
	// got[1] and the third were claimed and never acknowledged, as by a
	// replica that crashed: after the lease they are due again.
	if again, _ := s.Claim(ctx, slackOnly, now.Add(59*time.Second), time.Minute, 10); len(again) != 0 {
		t.Fatalf("re-claimed %d inside the lease", len(again))
	}
	again, _ := s.Claim(ctx, slackOnly, now.Add(61*time.Second), time.Minute, 10)
	if len(again) != 2 {
		t.Fatalf("after the lease: %d, want 2", len(again))
	}
	if n, _ := s.Pending(ctx); n != 2 {
		t.Errorf("pending %d, want 2", n)
	}
}

// Two replicas sweep the same queue concurrently: every follow-up is
// claimed by exactly one of them.
func TestEachFollowUpIsClaimedOnceAcrossReplicas(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	replicas := []*store.Redis{store.New(srv.Client()), store.New(srv.Client())}
	const n = 1000
	if err := replicas[0].Schedule(ctx, followUps(n, t0)...); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for _, r := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := r.Claim(ctx, slackOnly, t0, time.Hour, 7)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, f := range got {
					seen[f.ID]++
				}
				mu.Unlock()
				for _, f := range got {
					if err := r.Ack(ctx, f); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if len(seen) != n {
		t.Errorf("%d follow-ups claimed, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("%s claimed %d times", id, c)
		}
	}
	if p, _ := replicas[0].Pending(ctx); p != 0 {
		t.Errorf("%d left pending", p)
	}
}

func TestOpenEmbedded(t *testing.T) {
	t.Parallel()
	var logs enginetest.SyncBuffer
	s, closeStore, err := store.Open(ctx, "", newLogger(&logs))
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	if err := s.Save(ctx, &bot.Conversation{ID: "c", Owner: adele}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "in-process Redis") {
		t.Errorf("start-up log does not say Redis is embedded: %q", logs.String())
	}
	if _, _, err := store.Open(ctx, "mysql://nope", newLogger(&logs)); err == nil {
		t.Error("a bad URL opened")
	}
}

func newLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

func TestUnreadableConversationStartsAfresh(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s := store.New(srv.Client())
	if err := srv.Client().HSet(ctx, "passbot:{u:slack:U1}:conv", "v", "7", "d", "{not json").Err(); err != nil {
		t.Fatal(err)
	}
	b, err := s.Begin(ctx, adele, "", "")
	c := b.Conv
	if err != nil || c == nil || c.Version != 7 || c.Step != "" {
		t.Fatalf("got %+v, %v", c, err)
	}
	c.ID, c.Owner = "fresh", adele
	if err := s.Save(ctx, c); err != nil {
		t.Fatalf("the next save must replace it: %v", err)
	}
}

func TestAnUnreadableFollowUpDoesNotHoldItsBatchBack(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s := store.New(srv.Client())
	if err := s.Schedule(ctx, followUps(2, t0)...); err != nil {
		t.Fatal(err)
	}
	if err := srv.Client().HSet(ctx, "passbot:{fu}:data", "f0000", "{broken").Err(); err != nil {
		t.Fatal(err)
	}
	got, err := s.Claim(ctx, slackOnly, t0, time.Minute, 10)
	if err == nil || len(got) != 1 || got[0].ID != "f0001" {
		t.Fatalf("claim: %+v, %v; want f0001 and an error about f0000", got, err)
	}
	if n, _ := s.Pending(ctx); n != 1 {
		t.Errorf("%d pending, want the unreadable one gone", n)
	}
}

func TestPressMarksLiveInTheConversationUntilItsNextSave(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s := store.New(srv.Client())
	c := &bot.Conversation{ID: "c1", Owner: adele}
	if err := s.Save(ctx, c); err != nil {
		t.Fatal(err)
	}
	if b, _ := s.Begin(ctx, adele, "", "c1:0"); b.Pressed {
		t.Fatal("a stale version's first click counted as pressed")
	}
	if b, _ := s.Begin(ctx, adele, "", "c1:1"); b.Pressed {
		t.Fatal("a stale click blocked the current version")
	}
	if b, _ := s.Begin(ctx, adele, "", "c1:1"); !b.Pressed {
		t.Fatal("the second click on version 1 was not caught")
	}
	if err := s.Save(ctx, c); err != nil {
		t.Fatal(err)
	}
	fields, err := srv.Client().HKeys(ctx, "passbot:{u:slack:U1}:conv").Result()
	slices.Sort(fields)
	if err != nil || !slices.Equal(fields, []string{"d", "t", "v"}) {
		t.Errorf("fields after the save %v, %v: want only v, d and t (the save's token)", fields, err)
	}
	if _, _ = s.Begin(ctx, bot.User{Platform: bot.Slack, ID: "U9"}, "", "gone:3"); srv.Client().PTTL(ctx, "passbot:{u:slack:U9}:conv").Val() <= 0 {
		t.Error("a click on an expired conversation left a key that never expires")
	}
}

// The messages with buttons of a conversation are kept beside it and
// loaded with it. For a conversation not stored (never, or expired, with
// only a press mark left) nothing is written: no key without a TTL.
func TestLiveMessagesAreKeptOnlyBesideAStoredConversation(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s, c := store.New(srv.Client()), srv.Client()
	const key = "passbot:{u:slack:U1}:conv"
	live := []bot.MessageRef{"D1/1700000000.000100"}
	if err := s.UpdateLive(ctx, adele, live, nil); err != nil {
		t.Fatal(err)
	}
	if n := c.Exists(ctx, key).Val(); n != 0 {
		t.Fatalf("live messages of no conversation made a key: %v", c.HGetAll(ctx, key).Val())
	}
	if _, err := s.Begin(ctx, adele, "", "gone:3"); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateLive(ctx, adele, live, nil); err != nil || c.HExists(ctx, key, "l").Val() {
		t.Fatalf("live messages beside a press mark only: %v, %v", c.HGetAll(ctx, key).Val(), err)
	}

	if err := s.Save(ctx, &bot.Conversation{ID: "c1", Owner: adele}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateLive(ctx, adele, live, nil); err != nil {
		t.Fatal(err)
	}
	if b, err := s.Begin(ctx, adele, "", ""); err != nil || b.Conv == nil || !slices.Equal(b.Conv.Live, live) {
		t.Fatalf("loaded %+v, %v; want the live messages", b.Conv, err)
	}
	if ttl := c.PTTL(ctx, key).Val(); ttl <= 0 {
		t.Errorf("TTL %v after the live messages were stored", ttl)
	}
	if err := s.UpdateLive(ctx, adele, nil, live); err != nil || c.HExists(ctx, key, "l").Val() {
		t.Errorf("no live messages left the field %v, %v", c.HGetAll(ctx, key).Val(), err)
	}
	if b, _ := s.Begin(ctx, adele, "", ""); b.Conv == nil || len(b.Conv.Live) != 0 {
		t.Errorf("loaded %+v, want no live messages", b.Conv)
	}
}

// Two steps of one person that overlap each change the live messages they
// dealt with: neither's new message is lost (a step that read the set
// before the other wrote it drops only what it saw), and the set keeps its
// newest 16.
func TestOverlappingStepsKeepEachOthersLiveMessages(t *testing.T) {
	t.Parallel()
	s := store.New(redistest.Start(t).Client())
	if err := s.Save(ctx, &bot.Conversation{ID: "c1", Owner: adele}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateLive(ctx, adele, []bot.MessageRef{"D1/0"}, nil); err != nil {
		t.Fatal(err)
	}
	// Both read {D1/0}; B writes first, then A.
	if err := s.UpdateLive(ctx, adele, []bot.MessageRef{"D1/B"}, []bot.MessageRef{"D1/0"}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateLive(ctx, adele, []bot.MessageRef{"D1/A"}, []bot.MessageRef{"D1/0"}); err != nil {
		t.Fatal(err)
	}
	b, err := s.Begin(ctx, adele, "", "")
	if err != nil || b.Conv == nil || !slices.Equal(b.Conv.Live, []bot.MessageRef{"D1/B", "D1/A"}) {
		t.Fatalf("live %+v, %v; want both steps' messages", b.Conv, err)
	}
	// A step that replaced D1/A in place, buttons and all, and moved past
	// D1/B keeps D1/A, as the newest.
	if err := s.UpdateLive(ctx, adele, []bot.MessageRef{"D1/A"}, []bot.MessageRef{"D1/A", "D1/B"}); err != nil {
		t.Fatal(err)
	}
	if b, _ = s.Begin(ctx, adele, "", ""); !slices.Equal(b.Conv.Live, []bot.MessageRef{"D1/A"}) {
		t.Errorf("live %v; want the message replaced in place", b.Conv.Live)
	}
	for i := range 20 {
		if err := s.UpdateLive(ctx, adele, []bot.MessageRef{bot.MessageRef("D1/n" + strconv.Itoa(i))}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if b, _ = s.Begin(ctx, adele, "", ""); len(b.Conv.Live) != 16 || b.Conv.Live[15] != "D1/n19" {
		t.Errorf("live %v; want the newest 16", b.Conv.Live)
	}
}

// A press mark holds its button for a lease: a replica that died after
// marking a press, before any save, blocks that button only until the
// lease ends (Redis's clock); a live mark, and one of an earlier release,
// still block.
func TestAPressMarkWhoseLeaseEndedIsTakenOver(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s := store.New(srv.Client())
	const key, field = "passbot:{u:slack:U1}:conv", "p:c1:1"
	if err := s.Save(ctx, &bot.Conversation{ID: "c1", Owner: adele}); err != nil {
		t.Fatal(err)
	}
	if b, _ := s.Begin(ctx, adele, "", "c1:1"); b.Pressed {
		t.Fatal("the first click counted as pressed")
	}
	mark := srv.Client().HGet(ctx, key, field).Val()
	token, deadline, ok := strings.Cut(mark, "@")
	end, err := strconv.ParseInt(deadline, 10, 64)
	now := srv.Client().Time(ctx).Val()
	if !ok || token == "" || err != nil || end < now.Add(4*time.Minute).UnixMilli() || end > now.Add(6*time.Minute).UnixMilli() {
		t.Fatalf("mark %q: want a token and the end of a five-minute lease", mark)
	}
	if b, _ := s.Begin(ctx, adele, "", "c1:1"); !b.Pressed {
		t.Fatal("a second click within the lease was not caught")
	}
	// The replica that marked it died long ago.
	srv.Client().HSet(ctx, key, field, token+"@"+strconv.FormatInt(now.Add(-time.Second).UnixMilli(), 10))
	if b, _ := s.Begin(ctx, adele, "", "c1:1"); b.Pressed {
		t.Fatal("a click after the lease ended was refused")
	}
	if taken := srv.Client().HGet(ctx, key, field).Val(); strings.HasPrefix(taken, token+"@") {
		t.Errorf("mark %q: the click did not take it over", taken)
	}
	if b, _ := s.Begin(ctx, adele, "", "c1:1"); !b.Pressed {
		t.Error("the mark taken over does not hold")
	}
	// A mark written by an earlier release has no lease: it holds, as it did.
	srv.Client().HSet(ctx, key, "p:c1:2", "oldtoken")
	if b, _ := s.Begin(ctx, adele, "", "c1:2"); !b.Pressed {
		t.Error("an earlier release's mark was taken over")
	}
}

func TestClaimTakesOnlyFollowUpsOfTheGivenPlatforms(t *testing.T) {
	t.Parallel()
	s := store.New(redistest.Start(t).Client())
	fs := followUps(4, t0)
	fs[1].Owner.Platform, fs[3].Owner.Platform = bot.Discord, bot.Discord
	if err := s.Schedule(ctx, fs...); err != nil {
		t.Fatal(err)
	}
	ids := func(got []bot.FollowUp) string {
		var out []string
		for _, f := range got {
			out = append(out, f.ID)
		}
		slices.Sort(out)
		return strings.Join(out, " ")
	}
	if got, err := s.Claim(ctx, []bot.Platform{bot.Console}, t0, time.Minute, 10); err != nil || len(got) != 0 {
		t.Fatalf("a console-only replica claimed %s (%v)", ids(got), err)
	}
	if got, err := s.Claim(ctx, []bot.Platform{bot.Discord}, t0, time.Minute, 10); err != nil || ids(got) != "f0001 f0003" {
		t.Fatalf("a Discord replica claimed %q (%v), want f0001 f0003", ids(got), err)
	}
	got, err := s.Claim(ctx, []bot.Platform{bot.Discord, bot.Slack}, t0, time.Minute, 10)
	if err != nil || ids(got) != "f0000 f0002" {
		t.Fatalf("a replica of both claimed %q (%v), want the Slack ones left", ids(got), err)
	}
	for _, f := range got {
		if err := s.Ack(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := s.Pending(ctx); n != 2 {
		t.Errorf("%d pending, want the 2 claimed Discord ones", n)
	}
}

// Follow-ups an earlier release queued in its single queue are still
// claimed, by a replica of their platform.
func TestFollowUpsOfTheSingleQueueMoveToTheirPlatform(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s := store.New(srv.Client())
	f := followUps(1, t0)[0]
	data, _ := json.Marshal(f)
	c := srv.Client()
	if err := c.HSet(ctx, "passbot:{fu}:data", f.ID, data).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.ZAdd(ctx, "passbot:{fu}:queue", redis.Z{Score: float64(t0.UnixMilli()), Member: f.ID}).Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Claim(ctx, []bot.Platform{bot.Discord}, t0, time.Minute, 10); err != nil || len(got) != 0 {
		t.Fatalf("a Discord replica claimed %+v (%v)", got, err)
	}
	got, err := s.Claim(ctx, slackOnly, t0, time.Minute, 10)
	if err != nil || len(got) != 1 || got[0].ID != f.ID {
		t.Fatalf("a Slack replica claimed %+v (%v), want %s", got, err, f.ID)
	}
	if err := s.Ack(ctx, got[0]); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Pending(ctx); n != 0 {
		t.Errorf("%d pending after the ack", n)
	}
}

func TestARefusedTryUsesUpNothing(t *testing.T) {
	t.Parallel()
	st := store.New(redistest.Start(t).Client())
	ctx, now, day := context.Background(), time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC), 24*time.Hour
	limits := map[string]int{"user:a": 5, "device:d": 1}
	if ok, err := st.Allow(ctx, day, now, limits); !ok || err != nil {
		t.Fatalf("first try: %v %v", ok, err)
	}
	if ok, err := st.Allow(ctx, day, now, limits); ok || err != nil {
		t.Fatalf("second try on the device: %v %v, want refused", ok, err)
	}
	// The refused try did not count against the user: four more fit.
	if ok, _, err := st.Check(ctx, day, now, map[string]int{"user:a": 2}); !ok || err != nil {
		t.Errorf("user count after a refusal: ok %v err %v, want one try counted", ok, err)
	}
	ok, retry, err := st.Check(ctx, day, now, limits)
	if ok || err != nil || !retry.Equal(time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Check = %v %v %v, want refused until the window ends", ok, retry, err)
	}
}

// A reset's start is written only when the limits take one more try: a
// refused one writes nothing, queues nothing and counts nothing.
func TestACountedCommitWritesOnlyWhatFits(t *testing.T) {
	t.Parallel()
	st := store.New(redistest.Start(t).Client())
	ctx, now, day := context.Background(), time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC), 24*time.Hour
	q := bot.Quota{Window: day, Now: now, Limits: map[string]int{"user:a": 5, "device:d": 1}}
	start := func(id string) (bool, time.Time, error) {
		f := bot.FollowUp{ID: id, Kind: "poll", Due: now.Add(2 * time.Minute), Owner: adele}
		rec := bot.AuditRecord{Time: now, Actor: adele.Key(), Action: "reset_started", Device: "d", Outcome: "started"}
		return st.CommitCounted(ctx, q, []bot.FollowUp{f}, []bot.AuditRecord{rec})
	}
	if ok, _, err := start("first"); !ok || err != nil {
		t.Fatalf("first try: %v %v", ok, err)
	}
	ok, retry, err := start("second")
	if ok || err != nil || !retry.Equal(time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("second try on the device: %v %v %v, want refused until the window ends", ok, retry, err)
	}
	if n, _ := st.Pending(ctx); n != 1 {
		t.Errorf("%d follow-ups pending, want the first try's", n)
	}
	if audit, err := st.RecentAudit(ctx, adele.Key(), 10); len(audit) != 1 || err != nil {
		t.Errorf("audit trail %+v, %v; want the first try's start", audit, err)
	}
	if ok, _, err := st.Check(ctx, day, now, map[string]int{"user:a": 2}); !ok || err != nil {
		t.Errorf("user count after a refusal: ok %v err %v, want one try counted", ok, err)
	}
}

// The limit check rides with a commit: the conversation is saved whatever
// the limits say, and the check tells them.
func TestACommitCarriesTheLimitCheck(t *testing.T) {
	t.Parallel()
	st := store.New(redistest.Start(t).Client())
	ctx, now, day := context.Background(), time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC), 24*time.Hour
	q := bot.Quota{Window: day, Now: now, Limits: map[string]int{"user:a": 5, "device:d": 1}}
	c := &bot.Conversation{ID: "c1", Owner: adele, Step: "card"}
	if ok, _, err := st.CommitChecking(ctx, c, nil, nil, q); !ok || err != nil || c.Version != 1 {
		t.Fatalf("before any try: %v %v, version %d", ok, err, c.Version)
	}
	if ok, err := st.Allow(ctx, day, now, q.Limits); !ok || err != nil {
		t.Fatalf("a try: %v %v", ok, err)
	}
	ok, retry, err := st.CommitChecking(ctx, c, nil, nil, q)
	if ok || err != nil || c.Version != 2 || !retry.Equal(time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("after the device's one try: %v %v %v, version %d; want saved and refused until midnight", ok, retry, err, c.Version)
	}
}
