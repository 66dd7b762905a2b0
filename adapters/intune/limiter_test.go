package intune

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/passbot/passbot/store/redistest"
)

func TestRedisLimiter(t *testing.T) {
	// A bucket of 3 refilled at 3 per 30 s: one token every 10 s.
	bucket := func(t *testing.T, clock Clock) *RedisLimiter {
		l := NewRedisLimiter(redistest.Start(t).Client())
		l.Burst, l.Per, l.Clock = 3, 30*time.Second, clock
		return l
	}

	t.Run("a bucket of 3 lets 3 through and queues the 4th", func(t *testing.T) {
		clock := newFakeClock()
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
		clock := newFakeClock()
		clock.frozen = true // every reservation at the same instant
		replicas := []*RedisLimiter{NewRedisLimiter(srv.Client()), NewRedisLimiter(srv.Client())}
		for _, l := range replicas {
			l.Burst, l.Per, l.Clock = 3, 30*time.Second, clock
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
		clock := newFakeClock()
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
		clock := newFakeClock()
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
		l := NewRedisLimiter(rdb)
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
		l := NewRedisLimiter(srv.Client())
		srv.Stop()
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond) // go-redis redials until then
		defer cancel()
		if err := l.Wait(ctx); err == nil {
			t.Fatal("no error with Redis down")
		}
	})
}

func TestClientWritesWaitForTheRedisBucket(t *testing.T) {
	f := newFakeGraph(t)
	clock := newFakeClock()
	l := NewRedisLimiter(redistest.Start(t).Client())
	l.Burst, l.Per, l.Clock = 3, 30*time.Second, clock
	obs := &callLog{}
	c, _ := newClient(t, f, clock, WithLimiter(l), WithObserver(obs))
	for _, id := range []string{androidDevice, workDevice, iPhone} {
		if _, err := c.ResetPasscode(t.Context(), id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.RemoteLock(t.Context(), iPhone); err != nil {
		t.Fatal(err)
	}
	// Reads do not spend the write budget.
	if _, err := c.ListDevices(t.Context(), adele); err != nil {
		t.Fatal(err)
	}
	if s := clock.Sleeps(); !slices.Equal(s, []time.Duration{10 * time.Second}) {
		t.Fatalf("waits %v, want one 10s wait for the 4th write", s)
	}
	if want := []time.Duration{0, 0, 0, 10 * time.Second}; !slices.Equal(obs.waits, want) {
		t.Errorf("observed write waits %v, want %v", obs.waits, want)
	}
}
