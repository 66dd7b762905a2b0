package slack

import (
	"context"
	"errors"
	"time"

	slackapi "github.com/slack-go/slack"
)

// Rate-limit handling: Slack answers 429 with Retry-After, which slack-go
// returns as *slackapi.RateLimitedError.
const (
	maxRetries    = 3                // retries of one call after a 429
	maxRetryAfter = 2 * time.Minute  // a longer wait gives up instead
	minRetryAfter = 1 * time.Second  // a 429 without a usable Retry-After
	workTimeout   = 90 * time.Second // bound on handling one event, waits included
)

// retry runs call, waiting out rate limits: at most maxRetries times, and
// never longer than maxRetryAfter or than ctx allows.
func (a *Adapter) retry(ctx context.Context, method string, call func() error) error {
	for attempt := 0; ; attempt++ {
		err := call()
		limited, ok := errors.AsType[*slackapi.RateLimitedError](err)
		if !ok || attempt == maxRetries {
			return err
		}
		wait := max(limited.RetryAfter, minRetryAfter)
		if wait > maxRetryAfter {
			return err
		}
		a.log.Warn("slack: rate limited, waiting", "method", method, "retry_after", wait, "attempt", attempt+1)
		if err := a.sleep(ctx, wait); err != nil {
			return errors.Join(limited, err)
		}
	}
}

// sleepContext waits d or until ctx ends.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
