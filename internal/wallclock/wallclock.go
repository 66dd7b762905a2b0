// Package wallclock is the system's time for the code that waits on a clock
// its tests replace: Graph backoff, Slack rate limits, the write limiter's
// queue.
package wallclock

import (
	"context"
	"time"
)

// Clock is the wall clock.
type Clock struct{}

// Now returns the current time.
func (Clock) Now() time.Time { return time.Now() }

// Sleep waits d or until ctx is done, whichever comes first, and returns
// ctx.Err() in the second case.
func (Clock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
