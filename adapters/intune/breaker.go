package intune

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"
)

// Circuit breaker defaults: open after 5 consecutive outages, for 30 s.
const (
	DefaultBreakerFailures = 5
	DefaultBreakerCooldown = 30 * time.Second
)

// breaker keeps calls away from Graph after a run of outages. Closed, it lets
// every call through and counts consecutive outages; at failures it opens
// and refuses calls; once cooldown has passed it lets one probe through
// (half-open): success closes it, another outage opens it again. gobreaker
// keeps the time on the wall clock, not on the client's Clock.
type breaker struct {
	cb *gobreaker.TwoStepCircuitBreaker[struct{}]

	mu   sync.Mutex
	last error // the latest outage, for the refusal and the log
}

// errNeutral is what a call that says nothing about Graph reports: the
// caller gave up or the limiter failed. gobreaker counts it neither way, so
// a cancelled probe lets the next call probe.
var errNeutral = errors.New("intune: outcome says nothing about Graph")

// newBreaker logs each change of state and tells obs (when not nil) of the
// circuit opening and closing.
func newBreaker(failures int, cooldown time.Duration, log *slog.Logger, obs Observer) *breaker {
	b := &breaker{}
	b.cb = gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        "graph",
		MaxRequests: 1, // one probe at a time when half-open
		Timeout:     cooldown,
		ReadyToTrip: func(c gobreaker.Counts) bool { return int64(c.ConsecutiveFailures) >= int64(failures) },
		IsExcluded:  func(err error) bool { return errors.Is(err, errNeutral) },
		OnStateChange: func(_ string, _, to gobreaker.State) {
			switch to {
			case gobreaker.StateOpen:
				log.Error("intune: Graph failing, circuit open", "cooldown", cooldown, "error", b.lastOutage())
			case gobreaker.StateHalfOpen:
				log.Info("intune: circuit half-open, probing Graph")
			case gobreaker.StateClosed:
				log.Info("intune: Graph answering again, circuit closed")
			}
			if obs != nil && to != gobreaker.StateHalfOpen {
				obs.Circuit(to == gobreaker.StateOpen)
			}
		},
	})
	return b
}

// outcome is what a call tells the breaker.
type outcome int

const (
	healthy outcome = iota // Graph answered, even with a 4xx
	failed                 // Graph is failing: 5xx, 429 after retries, network, timeout
	neutral                // says nothing about Graph: the caller gave up, the limiter failed
)

// allow returns, when a call may go to Graph, the function that reports its
// outcome; otherwise an error wrapping ErrCircuitOpen.
func (b *breaker) allow() (record func(o outcome, err error), err error) {
	done, err := b.cb.Allow()
	if err != nil {
		return nil, fmt.Errorf("%w (%w); last: %v", ErrCircuitOpen, err, b.lastOutage())
	}
	return func(o outcome, err error) {
		switch o {
		case healthy:
			done(nil)
		case failed:
			b.mu.Lock()
			b.last = err
			b.mu.Unlock()
			done(err)
		default:
			done(errNeutral)
		}
	}, nil
}

func (b *breaker) lastOutage() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.last
}
