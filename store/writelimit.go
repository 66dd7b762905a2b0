package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/passbot/passbot/internal/wallclock"
	"github.com/redis/go-redis/v9"
)

// writesKey is the bucket of a WriteLimiter; the hash tag keeps it
// Cluster-safe.
const writesKey = "passbot:{graph}:writes"

// LimiterClock is the time a WriteLimiter reserves by and waits on; tests
// pass a fake one and never sleep.
type LimiterClock interface {
	Now() time.Time
	// Sleep waits d or until ctx is done, and returns ctx.Err() then.
	Sleep(ctx context.Context, d time.Duration) error
}

// WriteLimiter is a token bucket in Redis shared by every replica. Wait
// reserves the next token, going into debt when the bucket is empty, and
// sleeps until the reserved token's time: callers queue in arrival order
// instead of failing or polling. A reservation that would outlive the
// context's deadline is not taken; one whose wait is cancelled is given back.
//
// The bucket's time is the callers' clock (passed to the script), so replicas
// should have synchronised clocks; skew only shifts refills by the skew.
type WriteLimiter struct {
	client redis.UniversalClient
	// Key of the bucket hash.
	Key string
	// Burst is the bucket size, refilled at Burst tokens per Per.
	Burst int
	Per   time.Duration
	// Clock is the wall clock when nil.
	Clock LimiterClock
}

// NewWriteLimiter returns a bucket of burst tokens refilled at burst per
// per, on client.
func NewWriteLimiter(client redis.UniversalClient, burst int, per time.Duration) *WriteLimiter {
	return &WriteLimiter{client: client, Key: writesKey, Burst: burst, Per: per}
}

// reserveScript takes a token, possibly going negative, and returns the
// milliseconds until it is due; or, when that exceeds ARGV[4] (≥ 0), takes
// nothing and returns minus the wait.
//
// KEYS[1] bucket; ARGV: now (ms), burst, milliseconds per token, max wait (ms, -1 none).
var reserveScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local interval = tonumber(ARGV[3])
local maxwait = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
if now > ts then
  tokens = math.min(burst, tokens + (now - ts) / interval)
  ts = now
end
tokens = tokens - 1
local wait = 0
if tokens < 0 then
  wait = math.ceil(-tokens * interval)
end
if maxwait >= 0 and wait > maxwait then
  return -wait
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(ts))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) * interval) + 1000)
return wait
`)

// refundScript gives back one reserved token, never filling past the burst.
//
// KEYS[1] bucket; ARGV[1] burst.
var refundScript = redis.NewScript(`
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens'))
if tokens then
  redis.call('HSET', KEYS[1], 'tokens', tostring(math.min(tonumber(ARGV[1]), tokens + 1)))
end
return 0
`)

// Wait reserves a write slot and sleeps until it is due.
func (l *WriteLimiter) Wait(ctx context.Context) error {
	clock := l.Clock
	if clock == nil {
		clock = wallclock.Clock{}
	}
	key := l.Key
	if key == "" {
		key = writesKey
	}
	if l.Burst <= 0 || l.Per <= 0 {
		return fmt.Errorf("store: write limiter %s: burst %d per %v is not a budget", key, l.Burst, l.Per)
	}
	interval := float64(l.Per) / float64(time.Millisecond) / float64(l.Burst)
	maxWait := int64(-1)
	if deadline, ok := ctx.Deadline(); ok {
		maxWait = max(0, time.Until(deadline).Milliseconds())
	}
	ms, err := reserveScript.Run(ctx, l.client, []string{key},
		clock.Now().UnixMilli(), l.Burst, strconv.FormatFloat(interval, 'f', -1, 64), maxWait).Int64()
	if err != nil {
		return fmt.Errorf("store: write limiter %s: %w", key, err)
	}
	if ms < 0 {
		return fmt.Errorf("store: write limiter %s: next slot in %v: %w", key, time.Duration(-ms)*time.Millisecond, context.DeadlineExceeded)
	}
	if ms == 0 {
		return nil
	}
	if err := clock.Sleep(ctx, time.Duration(ms)*time.Millisecond); err != nil {
		// Give the slot to whoever queues next; a failed refund only makes
		// the bucket stricter for a while.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		refundScript.Run(rctx, l.client, []string{key}, l.Burst)
		cancel()
		return fmt.Errorf("store: write limiter %s: %w", key, err)
	}
	return nil
}
