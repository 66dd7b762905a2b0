package store

import (
	"context"
	"testing"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/store/redistest"
)

// go-redis re-sends a pipeline whose reply timed out. When the
// conversation moved on between the two sendings, the re-send of
// preparedScript must still answer what the first did (written) and write
// nothing more: Begin's read then shows the new version, and the engine
// goes on from the step the start was written for (the start is the
// press's, no other event can start that reset).
func TestARepeatedPreparedScriptAnswersAsTheFirst(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := New(redistest.Start(t).Client())
	owner := bot.User{Platform: bot.Slack, ID: "U1"}
	c := &bot.Conversation{ID: "c1", Owner: owner, Step: "withyou"}
	if err := s.Save(ctx, c); err != nil {
		t.Fatal(err)
	}
	const token, press = "tok", "U1:c1:1"
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	p := bot.Prepared{Version: 1,
		Quota:     bot.Quota{Once: "c1:d", Window: 24 * time.Hour, Now: t0, Limits: map[string]int{"user:a": 5}},
		FollowUps: []bot.FollowUp{{ID: "c1:d:poll:1", Kind: "poll", Due: t0.Add(2 * time.Minute), Owner: owner}},
		Records:   []bot.AuditRecord{{Time: t0, Actor: owner.Key(), Action: "reset_started", Device: "d", Outcome: "started"}},
	}
	keys, args, err := preparedArgs(owner, "slack:E1", press, token, p)
	if err != nil {
		t.Fatal(err)
	}
	// Begin's marks, as the first sending set them.
	if err := markScript.Run(ctx, s.client, []string{seenKey("slack:E1")}, token, time.Hour.Milliseconds()).Err(); err != nil {
		t.Fatal(err)
	}
	if err := markFieldScript.Run(ctx, s.client, []string{convKey(owner)}, pressField(press), token, time.Minute.Milliseconds()).Err(); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{1, 1} {
		n, err := preparedScript.Run(ctx, s.client, keys, args...).Int()
		if err != nil || n != want {
			t.Fatalf("sending %d answered %d, %v; want %d", i+1, n, err, want)
		}
		if i == 0 {
			if err := s.Save(ctx, c); err != nil { // the conversation moves on
				t.Fatal(err)
			}
		}
	}
	if n, _ := s.Pending(ctx); n != 1 {
		t.Errorf("%d follow-ups pending, want the one intent", n)
	}
	if a, _ := s.RecentAudit(ctx, owner.Key(), 10); len(a) != 1 {
		t.Errorf("%d audit records, want the one start", len(a))
	}
	if ok, _, _ := s.Check(ctx, 24*time.Hour, t0, map[string]int{"user:a": 2}); !ok {
		t.Error("the try counted twice")
	}
}
