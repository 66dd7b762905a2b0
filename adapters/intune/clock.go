package intune

import (
	"context"
	"time"
)

// Clock is the time the client backs off by. Tests pass a fake one and never
// sleep.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx is done, whichever comes first, and returns
	// ctx.Err() in the second case.
	Sleep(ctx context.Context, d time.Duration) error
}
