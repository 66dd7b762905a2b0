// Package inflight runs the work of events a chat adapter has already
// acknowledged in the background, and waits for it at shutdown: an
// acknowledged event must be finished even when the request or envelope
// that brought it has ended.
package inflight

import (
	"context"
	"sync"
	"time"
)

// Group is the work in flight. Its zero value takes work without a time
// limit.
type Group struct {
	// Timeout bounds each piece of work; zero is none.
	Timeout time.Duration
	// Done, when set, is called after each piece of work; tests wait on it.
	Done func()

	mu      sync.Mutex
	closing bool
	wg      sync.WaitGroup
}

// Go runs fn in the background with a context of its own (not the
// caller's, which may end first). It reports false once Close was called.
func (g *Group) Go(fn func(ctx context.Context)) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closing {
		return false
	}
	g.wg.Go(func() {
		ctx, cancel := context.Background(), context.CancelFunc(func() {})
		if g.Timeout > 0 {
			ctx, cancel = context.WithTimeout(ctx, g.Timeout)
		}
		defer cancel()
		fn(ctx)
		if g.Done != nil {
			g.Done()
		}
	})
	return true
}

// Close stops taking work and waits for the work in flight.
func (g *Group) Close() {
	g.mu.Lock()
	g.closing = true
	g.mu.Unlock()
	g.wg.Wait()
}
