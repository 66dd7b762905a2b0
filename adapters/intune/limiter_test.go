package intune

import (
	"slices"
	"testing"
	"time"

	"github.com/passbot/passbot/store"
	"github.com/passbot/passbot/store/redistest"
)

func TestClientWritesWaitForTheRedisBucket(t *testing.T) {
	t.Parallel()
	f := newFakeGraph(t)
	clock := newFakeClock()
	l := store.NewWriteLimiter(redistest.Start(t).Client(), 3, 30*time.Second)
	l.Clock = clock
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
