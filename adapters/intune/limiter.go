package intune

import (
	"context"
	"time"
)

// Limiter paces write requests. Wait blocks until the caller may send one,
// or returns an error when ctx ends first. store.WriteLimiter is the one
// production uses: a token bucket in Redis shared by every replica.
type Limiter interface {
	Wait(ctx context.Context) error
}

// Write budget defaults. Intune allows 200 writes per 20 s per app and
// tenant. A token bucket of Burst tokens refilled at Burst per Per lets
// through at most 2×Burst in any window of length Per, so the default bucket
// of 100 per 20 s never exceeds Intune's 200 per 20 s.
const (
	DefaultWriteBurst = 100
	DefaultWritePer   = 20 * time.Second
)
