package bot

import (
	"context"
	"fmt"
	"time"
)

// lock sends a Remote Lock, except to a Mac whose previous lock's recovery
// PIN was not used yet: Intune fails a second lock, and the person would
// lose the PIN that unlocks the first
// (https://learn.microsoft.com/intune/device-management/actions/remote-lock,
// ms.date 10/27/2025).
func (e *Engine) lock(ctx context.Context, d DeviceRef) (LockResult, error) {
	if d.Eligibility().LockPIN {
		last, err := e.cfg.Devices.LockStatus(ctx, d.ID, time.Time{})
		if err != nil {
			return LockResult{}, err
		}
		if last.Unused() {
			return last, &Error{Code: ErrCodeLockUnused, Err: fmt.Errorf("engine: device %s: the previous remote lock (%s) is not used yet", d.ID, last.State)}
		}
	}
	return e.cfg.Devices.RemoteLock(ctx, d.ID)
}

// limits are the abuse-limit keys of one more reset or request of d by owner.
func (e *Engine) limits(owner User, d DeviceRef) map[string]int {
	limits := map[string]int{}
	if e.cfg.Limits.PerUser > 0 {
		limits["user:"+owner.Key()] = e.cfg.Limits.PerUser
	}
	if e.cfg.Limits.PerDevice > 0 {
		limits["device:"+d.ID] = e.cfg.Limits.PerDevice
	}
	return limits
}

// quota is one more reset or request of d by owner under the abuse limits;
// empty when they are off.
func (e *Engine) quota(owner User, d DeviceRef, now time.Time) Quota {
	if e.cfg.Limits.Window <= 0 {
		return Quota{}
	}
	return Quota{Window: e.cfg.Limits.Window, Now: now, Limits: e.limits(owner, d)}
}

// checkLimits answers OpCheckLimits: would the limits refuse a reset or
// request of cmd.Device? It reads them in the round trip that commits what
// the event changed so far (changed, fs, records), so the device card costs
// no round trip of its own. The error is that round trip's: the commit and
// the check fail together.
func (e *Engine) checkLimits(ctx context.Context, changed, conv *Conversation, fs []FollowUp, records []AuditRecord, cmd Command) (CommandResult, error) {
	res := CommandResult{Command: cmd}
	e.address(conv, fs)
	ok, retryAt, err := e.cfg.Store.CommitChecking(ctx, changed, fs, records, e.quota(conv.Owner, cmd.Device, e.now()))
	if err != nil {
		return res, e.committed(conv, err)
	}
	if !ok {
		res.Err = limitError(retryAt)
	}
	return res, nil
}

// limitError is a refusal by the limits; the next try fits at retryAt.
func limitError(retryAt time.Time) error {
	return &Error{Code: ErrCodeRateLimited, Err: &LimitError{RetryAt: retryAt}}
}

// limited is the refusal of a try over the limits, saying when the next
// one fits; it reads that time only for a refusal, which is rare.
func (e *Engine) limited(ctx context.Context, owner User, d DeviceRef) error {
	q := e.quota(owner, d, e.now())
	if ok, retryAt, err := e.cfg.Store.Check(ctx, q.Window, q.Now, q.Limits); err == nil && !ok {
		return limitError(retryAt)
	}
	return &Error{Code: ErrCodeRateLimited, Err: fmt.Errorf("engine: %s or device %s over the limit per %s", owner.Key(), d.ID, e.cfg.Limits.Window)}
}
