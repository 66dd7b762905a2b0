package bot

import (
	"context"
	"fmt"
	"time"
)

// lock sends a Remote Lock, except to a Mac whose previous lock's recovery
// PIN was not used yet: Intune fails a second lock, and the person would
// lose the PIN that unlocks the first (device-remote-lock.md).
func (e *Engine) lock(ctx context.Context, d DeviceRef) (LockResult, error) {
	if d.Eligibility().LockPIN {
		last, err := e.Devices.LockStatus(ctx, d.ID, time.Time{})
		if err != nil {
			return LockResult{}, err
		}
		if last.Unused() {
			return last, &Error{Code: ErrCodeLockUnused, Err: fmt.Errorf("engine: device %s: the previous remote lock (%s) is not used yet", d.ID, last.State)}
		}
	}
	return e.Devices.RemoteLock(ctx, d.ID)
}

// limits are the abuse-limit keys of one more reset or request of d by owner.
func (e *Engine) limits(owner User, d DeviceRef) map[string]int {
	limits := map[string]int{}
	if e.Limits.PerUser > 0 {
		limits["user:"+owner.Key()] = e.Limits.PerUser
	}
	if e.Limits.PerDevice > 0 {
		limits["device:"+d.ID] = e.Limits.PerDevice
	}
	return limits
}

// checkLimits tells, before anything is asked of the person, whether the
// limits would refuse a reset or request of d.
func (e *Engine) checkLimits(ctx context.Context, owner User, d DeviceRef) error {
	if e.Limits.Window <= 0 {
		return nil
	}
	ok, retryAt, err := e.Store.Check(ctx, e.Limits.Window, e.now(), e.limits(owner, d))
	if err != nil {
		e.storeError()
		return &Error{Code: ErrCodeUnavailable, Err: err}
	}
	if !ok {
		return &Error{Code: ErrCodeRateLimited, Err: &LimitError{RetryAt: retryAt}}
	}
	return nil
}

// limited is the refusal of a try over the limits, saying when the next
// one fits; it reads that time only for a refusal, which is rare.
func (e *Engine) limited(ctx context.Context, owner User, d DeviceRef) error {
	err := e.checkLimits(ctx, owner, d)
	if ErrorCode(err) == ErrCodeRateLimited {
		return err
	}
	return &Error{Code: ErrCodeRateLimited, Err: fmt.Errorf("engine: %s or device %s over the limit per %s", owner.Key(), d.ID, e.Limits.Window)}
}
