package store_test

import (
	"testing"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/store"
	"github.com/passbot/passbot/store/redistest"
)

func TestBacklogCountsDueFollowUpsAndPendingRequests(t *testing.T) {
	s := store.New(redistest.Start(t).Client())
	if b, err := s.Backlog(ctx, t0, slackOnly); err != nil || b != (bot.Backlog{}) {
		t.Fatalf("empty store: %+v, %v", b, err)
	}
	due := t0.Add(5 * time.Minute)
	if err := s.Schedule(ctx, followUps(3, due)...); err != nil {
		t.Fatal(err)
	}
	r := &bot.Request{ID: "R1", Requester: adele, State: bot.RequestPending, Created: t0}
	if err := s.SaveRequest(ctx, r); err != nil {
		t.Fatal(err)
	}

	b, err := s.Backlog(ctx, due.Add(-time.Second), slackOnly)
	if err != nil {
		t.Fatal(err)
	}
	want := bot.Backlog{FollowUps: 3, PendingRequests: 1, OldestRequest: t0}
	if !b.OldestRequest.Equal(want.OldestRequest) || b.FollowUps != 3 || b.DueFollowUps != 0 || !b.OldestDue.IsZero() || b.PendingRequests != 1 {
		t.Errorf("before due: %+v, want %+v", b, want)
	}
	// A sweep claims one; the other two stay due until fired.
	if _, err := s.Claim(ctx, slackOnly, due.Add(time.Second), time.Minute, 1); err != nil {
		t.Fatal(err)
	}
	b, err = s.Backlog(ctx, due.Add(30*time.Second), slackOnly)
	if err != nil {
		t.Fatal(err)
	}
	if b.FollowUps != 3 || b.DueFollowUps != 2 || !b.OldestDue.Equal(due) {
		t.Errorf("after due: %+v, want 3 queued, 2 due since %v", b, due)
	}
}

// Every platform's queue counts, Teams' included (it was left out).
func TestBacklogCountsEveryPlatform(t *testing.T) {
	s := store.New(redistest.Start(t).Client())
	every := []bot.Platform{bot.Console, bot.Slack, bot.Discord, bot.Teams}
	var fs []bot.FollowUp
	for _, p := range every {
		fs = append(fs, bot.FollowUp{ID: "f-" + string(p), Kind: "reminder", Due: t0, Owner: bot.User{Platform: p, ID: "U1"}})
	}
	if err := s.Schedule(ctx, fs...); err != nil {
		t.Fatal(err)
	}
	b, err := s.Backlog(ctx, t0.Add(time.Second), every)
	if err != nil {
		t.Fatal(err)
	}
	if b.DueFollowUps != int64(len(fs)) {
		t.Errorf("%d due follow-ups counted, want %d (one per platform)", b.DueFollowUps, len(fs))
	}
}
