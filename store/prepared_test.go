package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/store"
	"github.com/passbot/passbot/store/redistest"
)

// BeginPrepared writes a reset's start exactly when its press goes on: its
// own marks are set and the conversation is at the version pressed. Every
// other press (a redelivery, a second click, a step that moved on, a full
// limit, a start another event wrote) writes, queues and counts nothing.
func TestBeginPreparedWritesOnlyForThePressThatGoesOn(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	prepared := func(version int64, once string) bot.Prepared {
		return bot.Prepared{
			Version:   version,
			Quota:     bot.Quota{Once: once, Window: day, Now: t0, Limits: map[string]int{"user:a": 1}},
			FollowUps: []bot.FollowUp{{ID: once + ":poll", Kind: "poll", Due: t0.Add(2 * time.Minute), Owner: adele}},
			Records:   []bot.AuditRecord{{Time: t0, Actor: adele.Key(), Action: "reset_started", Device: "d", Outcome: "started"}},
		}
	}
	for _, tc := range []struct {
		name   string
		before func(t *testing.T, s *store.Redis, c *bot.Conversation)
		once   string
		want   string // "ok", "refused", "started" or "" (not written)
	}{
		{"the press that goes on", nil, "c1:d", "ok"},
		{"a redelivery", func(t *testing.T, s *store.Redis, _ *bot.Conversation) {
			mustBegin(t, s, "slack:E1", "")
		}, "c1:d", ""},
		{"a second click", func(t *testing.T, s *store.Redis, _ *bot.Conversation) {
			mustBegin(t, s, "slack:E0", "U1:c1:1")
		}, "c1:d", ""},
		{"a step that moved on", func(t *testing.T, s *store.Redis, c *bot.Conversation) {
			if err := s.Save(ctx, c); err != nil {
				t.Fatal(err)
			}
		}, "c1:d", ""},
		{"a full limit", func(t *testing.T, s *store.Redis, _ *bot.Conversation) {
			if ok, err := s.Allow(ctx, day, t0, map[string]int{"user:a": 1}); !ok || err != nil {
				t.Fatal(ok, err)
			}
		}, "c1:d", "refused"},
		{"a start another event wrote", func(t *testing.T, s *store.Redis, _ *bot.Conversation) {
			if ok, _, err := s.CommitCounted(ctx, bot.Quota{Once: "c1:d"}, nil, nil); !ok || err != nil {
				t.Fatal(ok, err)
			}
		}, "c1:d", "started"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := store.New(redistest.Start(t).Client())
			c := &bot.Conversation{ID: "c1", Owner: adele, Step: "withyou"}
			if err := s.Save(ctx, c); err != nil { // version 1
				t.Fatal(err)
			}
			if tc.before != nil {
				tc.before(t, s, c)
			}
			pending, _ := s.Pending(ctx)
			audit, _ := s.RecentAudit(ctx, adele.Key(), 10)
			b, err := s.BeginPrepared(ctx, adele, "slack:E1", "U1:c1:1", prepared(1, tc.once))
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			switch p := b.Prepared; {
			case p == nil:
			case p.OK:
				got = "ok"
			case errors.Is(p.Err, bot.ErrStarted):
				got = "started"
			case !p.RetryAt.IsZero():
				got = "refused"
			}
			if got != tc.want {
				t.Fatalf("BeginPrepared wrote %q (%+v), want %q", got, b, tc.want)
			}
			written := 0
			if got == "ok" {
				written = 1
			}
			if n, _ := s.Pending(ctx); n != pending+int64(written) {
				t.Errorf("%d follow-ups pending, want %d", n, pending+int64(written))
			}
			if a, _ := s.RecentAudit(ctx, adele.Key(), 10); len(a) != len(audit)+written {
				t.Errorf("%d audit records, want %d", len(a), len(audit)+written)
			}
			if b.Conv == nil || b.Conv.ID != "c1" {
				t.Errorf("the conversation was not read: %+v", b.Conv)
			}
		})
	}
}

func mustBegin(t *testing.T, s *store.Redis, delivery, press string) {
	t.Helper()
	if _, err := s.Begin(ctx, adele, delivery, press); err != nil {
		t.Fatal(err)
	}
}
