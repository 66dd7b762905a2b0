package intune

import (
	"fmt"
	"sync"
	"time"
)

// Circuit breaker defaults: open after 5 consecutive outages, for 30 s.
const (
	DefaultBreakerFailures = 5
	DefaultBreakerCooldown = 30 * time.Second
)

// breaker keeps calls away from Graph after a run of outages. Closed, it lets
// every call through and counts consecutive outages; at failures it opens
// for cooldown and refuses calls; after that it lets one probe through
// (half-open): success closes it, another outage opens it again.
type breaker struct {
	failures int
	cooldown time.Duration

	mu        sync.Mutex
	run       int // consecutive outages
	openUntil time.Time
	probing   bool // a half-open probe is in flight
	last      error
}

// outcome is what a call tells the breaker.
type outcome int

const (
	healthy outcome = iota // Graph answered, even with a 4xx
	failed                 // Graph is failing: 5xx, 429 after retries, network, timeout
	neutral                // says nothing about Graph: the caller gave up, the limiter failed
)

// allow returns nil when a call may go to Graph, and whether that call is the
// half-open probe, which must be passed back to record.
func (b *breaker) allow(now time.Time) (probe bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.run < b.failures {
		return false, nil
	}
	if now.Before(b.openUntil) || b.probing {
		return false, fmt.Errorf("%w after %d consecutive failures, until %s; last: %v",
			ErrCircuitOpen, b.run, b.openUntil.Format(time.RFC3339), b.last)
	}
	b.probing = true
	return true, nil
}

// record counts a call's outcome and reports a change of state: "opened" or
// "closed", or "" when none.
func (b *breaker) record(now time.Time, probe bool, o outcome, err error) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if probe {
		b.probing = false
	}
	switch o {
	case healthy:
		wasOpen := b.run >= b.failures
		b.run, b.last = 0, nil
		if wasOpen {
			return "closed"
		}
	case failed:
		b.run++
		b.last = err
		if b.run >= b.failures {
			b.openUntil = now.Add(b.cooldown)
			if b.run == b.failures || probe {
				return "opened"
			}
		}
	}
	// neutral: a probe the caller cancelled leaves the state as it was, and
	// the next call probes.
	return ""
}
