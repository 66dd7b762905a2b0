package inflight

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestCloseWaitsForTheWorkInFlightAndRefusesMore(t *testing.T) {
	var done atomic.Int32
	release := make(chan struct{})
	g := &Group{Timeout: time.Minute, Done: func() { done.Add(1) }}
	var deadline bool
	if !g.Go(func(ctx context.Context) { <-release; _, deadline = ctx.Deadline() }) {
		t.Fatal("work refused before Close")
	}
	closed := make(chan struct{})
	go func() { g.Close(); close(closed) }()
	close(release)
	<-closed
	if done.Load() != 1 || !deadline {
		t.Fatalf("done %d, deadline %v: Close returned before the work ended, or the work had no time limit", done.Load(), deadline)
	}
	if g.Go(func(context.Context) { t.Error("ran after Close") }) {
		t.Fatal("work taken after Close")
	}
}
