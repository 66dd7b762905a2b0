package main

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// jobBackoffMax is the longest a failing cron job waits between tries.
const jobBackoffMax = time.Minute

// jobOutage runs one cron job (the follow-up sweep, the digest) and keeps
// its failures from flooding the log: with Redis down every replica would
// log an error every second. The first failure is logged, then the job
// backs off (1s, 2s, 4s … up to a minute) and fails quietly, and the
// first success after failures is logged with how long the outage lasted
// and how many runs failed.
type jobOutage struct {
	name string
	log  *slog.Logger
	now  func() time.Time

	mu       sync.Mutex
	since    time.Time // the first failure; zero while the job works
	failures int
	next     time.Time // no run before this while failing
}

// run runs job unless the outage's backoff says to wait.
func (o *jobOutage) run(ctx context.Context, job func(context.Context) error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.now()
	if now.Before(o.next) {
		return
	}
	err := job(ctx)
	now = o.now()
	switch {
	case err == nil && o.failures > 0:
		o.log.Info(o.name+" works again", "failed_runs", o.failures, "outage_ms", now.Sub(o.since).Milliseconds())
		o.since, o.failures, o.next = time.Time{}, 0, time.Time{}
	case err == nil:
	default:
		if o.failures == 0 {
			o.since = now
			o.log.Error(o.name+" fails; retrying with backoff, logging again when it works", "err", err)
		} else {
			o.log.Debug(o.name+" still fails", "err", err, "failed_runs", o.failures+1)
		}
		o.failures++
		o.next = now.Add(min(time.Second<<min(o.failures-1, 6), jobBackoffMax))
	}
}
