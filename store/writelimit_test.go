package store_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/passbot/passbot/internal/enginetest"
	"github.com/passbot/passbot/store"
	"github.com/passbot/passbot/store/redistest"
)

func TestWriteLimiter(t *testing.T) {
	t.Parallel()
	// A bucket of 3 refilled at 3 per 30 s: one token every 10 s.
	bucket := func(t *testing.T, clock store.LimiterClock) *store.WriteLimiter {
		l := store.NewWriteLimiter(redistest.Start(t).Client(), 3, 30*time.Second)
		l.Clock = clock
		return l
	}

	t.Run("a bucket of 3 lets 3 through and queues the 4th", func(t *testing.T) {
		clock := newSleepClock()
		l := bucket(t, clock)
		for i := range 3 {
			if err := l.Wait(t.Context()); err != nil {
				t.Fatal(err)
			}
			if s := clock.Sleeps(); len(s) != 0 {
				t.Fatalf("write %d waited %v", i+1, s)
			}
		}
		if err := l.Wait(t.Context()); err != nil {
			t.Fatal(err)
		}
		if s := clock.Sleeps(); !slices.Equal(s, []time.Duration{10 * time.Second}) {
			t.Fatalf("4th write waited %v, want 10s", s)
		}
		// The clock moved 10 s while the 4th waited: the 5th is next in line.
		if err := l.Wait(t.Context()); err != nil {
			t.Fatal(err)
		}
		if s := clock.Sleeps(); !slices.Equal(s, []time.Duration{10 * time.Second, 10 * time.Second}) {
			t.Fatalf("waits %v, want 10s, 10s", s)
		}
		// A quiet minute refills the bucket, never beyond 3.
		clock.Advance(time.Minute)
		for range 4 {
			if err := l.Wait(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		if s := clock.Sleeps(); len(s) != 3 || s[2] != 10*time.Second {
			t.Fatalf("waits %v, want a third 10s wait for the 4th write after the refill", s)
		}
	})

	t.Run("replicas under load queue in one line", func(t *testing.T) {
		srv := redistest.Start(t)
		clock := newSleepClock()
		clock.frozen = true // every reservation at the same instant
		replicas := []*store.WriteLimiter{store.NewWriteLimiter(srv.Client(), 3, 30*time.Second), store.NewWriteLimiter(srv.Client(), 3, 30*time.Second)}
		for _, l := range replicas {
			l.Clock = clock
		}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := range 8 {
			wg.Go(func() { errs <- replicas[i%2].Wait(t.Context()) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		s := clock.Sleeps()
		slices.Sort(s)
		want := []time.Duration{10 * time.Second, 20 * time.Second, 30 * time.Second, 40 * time.Second, 50 * time.Second}
		if !slices.Equal(s, want) {
			t.Fatalf("waits %v, want %v: 3 at once, then one every 10 s", s, want)
		}
	})

	t.Run("a wait past the deadline fails at once and takes no slot", func(t *testing.T) {
		clock := newSleepClock()
		l := bucket(t, clock)
		l.Burst, l.Per = 1, time.Hour
		if err := l.Wait(t.Context()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		if err := l.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err %v, want deadline exceeded", err)
		}
		if s := clock.Sleeps(); len(s) != 0 {
			t.Fatalf("slept %v", s)
		}
		if err := l.Wait(t.Context()); err != nil {
			t.Fatal(err)
		}
		if s := clock.Sleeps(); !slices.Equal(s, []time.Duration{time.Hour}) {
			t.Fatalf("waits %v, want 1h: the refused wait must not have queued", s)
		}
	})

	t.Run("a cancelled wait gives its slot back", func(t *testing.T) {
		clock := newSleepClock()
		clock.frozen = true
		l := bucket(t, clock)
		l.Burst, l.Per = 1, time.Hour
		l.Wait(t.Context())
		clock.fail = context.Canceled
		if err := l.Wait(t.Context()); !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v, want canceled", err)
		}
		clock.fail = nil
		if err := l.Wait(t.Context()); err != nil {
			t.Fatal(err)
		}
		if s := clock.Sleeps(); !slices.Equal(s, []time.Duration{time.Hour, time.Hour}) {
			t.Fatalf("waits %v, want 1h twice: the cancelled slot is reused", s)
		}
	})

	t.Run("bucket key is shared and expires when full", func(t *testing.T) {
		srv := redistest.Start(t)
		rdb := srv.Client()
		l := store.NewWriteLimiter(rdb, 100, 20*time.Second)
		if err := l.Wait(t.Context()); err != nil {
			t.Fatal(err)
		}
		ttl, err := rdb.PTTL(t.Context(), "passbot:{graph}:writes").Result()
		if err != nil {
			t.Fatal(err)
		}
		// One token used of 100 per 20 s: full again 200 ms later, plus a second.
		if ttl <= 0 || ttl > 1200*time.Millisecond {
			t.Errorf("TTL %v, want about 1.2s", ttl)
		}
	})

	t.Run("redis down fails the write", func(t *testing.T) {
		srv := redistest.Start(t)
		l := store.NewWriteLimiter(srv.Client(), 100, 20*time.Second)
		srv.Stop()
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond) // go-redis redials until then
		defer cancel()
		if err := l.Wait(ctx); err == nil {
			t.Fatal("no error with Redis down")
		}
	})
}

// sleepClock is a store.LimiterClock whose Sleep returns at once: it records
// the wait and moves time forward by it (or not, when frozen), or fails with
// fail.
type sleepClock struct {
	*enginetest.Clock
	mu     sync.Mutex
	sleeps []time.Duration
	frozen bool
	fail   error
}

func newSleepClock() *sleepClock { return &sleepClock{Clock: enginetest.NewClock()} }

func (c *sleepClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	if c.fail != nil {
		return c.fail
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if !c.frozen {
		c.Advance(d)
	}
	return nil
}

func (c *sleepClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sleeps)
}
