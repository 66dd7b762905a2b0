package bot

import (
	"context"
	"time"

	"github.com/passbot/passbot/bot/eligibility"
)

// Eligibility is what passbot may do with the device (eligibility.Of).
func (d DeviceRef) Eligibility() eligibility.Rules {
	return eligibility.Of(d.Kind, d.OSVersion, d.Company)
}

// Silence is how long the device had not checked in at now; zero when
// Graph did not say.
func (d DeviceRef) Silence(now time.Time) time.Duration {
	if d.LastSync.IsZero() {
		return 0
	}
	return max(0, now.Sub(d.LastSync))
}

// EligibilityAt is Eligibility at now: a device silent for more than
// eligibility.SilentAfter is not self-service.
func (d DeviceRef) EligibilityAt(now time.Time) eligibility.Rules {
	e := d.Eligibility()
	if e.Reset == eligibility.SelfService && d.Silence(now) > eligibility.SilentAfter {
		e.Reset = eligibility.NeedsApproval
	}
	return e
}

// ActionState is the state of a device action, as Graph reports it.
type ActionState string

// Action states from Graph's deviceActionResult.actionState.
const (
	ActionPending      ActionState = "pending"
	ActionActive       ActionState = "active"
	ActionDone         ActionState = "done"
	ActionFailed       ActionState = "failed"
	ActionNotSupported ActionState = "notSupported"
	ActionCanceled     ActionState = "canceled"
)

// Finished reports whether the action will not change state any more.
func (s ActionState) Finished() bool {
	return s == ActionDone || s == ActionFailed || s == ActionNotSupported || s == ActionCanceled
}

// ResetResult is what a passcode reset returned. Passcode is the temporary
// passcode, empty where the platform sets none or it is not known yet; it is
// shown to its owner once and never stored or logged.
type ResetResult struct {
	State    ActionState
	Passcode string
}

// String hides the passcode so a result can never leak into a log line.
func (r ResetResult) String() string { return "reset " + string(r.State) }

// LockResult is the state of a device's latest Remote Lock. UnlockPin is
// the macOS recovery PIN: shown to its owner once, never stored or logged.
type LockResult struct {
	State     ActionState
	UnlockPin string
	// Started and Updated are the action's times; LastSync is the device's
	// last check-in as Graph reported it with them.
	Started, Updated, LastSync time.Time
}

// String hides the PIN so a result can never leak into a log line.
func (r LockResult) String() string { return "remote lock " + string(r.State) }

// Unused reports whether the lock may still hold its device, so that a
// second lock must not be sent ([lock] in package eligibility: "Don't resend
// remote lock to the same macOS device until that PIN is used"). Graph does not
// report the PIN being typed; a locked Mac cannot check in until it is, so
// the PIN counts as used once the device checked in after the lock was
// done, or the lock failed, was cancelled or is not supported (then there is
// no PIN). A lock still pending or active counts as unused.
func (r LockResult) Unused() bool {
	switch r.State {
	case ActionPending, ActionActive:
		return true
	case ActionDone:
		return !r.LastSync.After(r.Updated.Add(lockSettle))
	}
	return false
}

// lockSettle is how long after a lock is reported done a check-in may
// still be the one that delivered it, not one after the PIN was typed.
const lockSettle = 10 * time.Minute

// Devices is the device-management backend (Intune, or the demo fleet).
type Devices interface {
	// ListDevices returns the devices enrolled by the user, named by user
	// principal name or Entra object ID (User.Directory), each classified
	// into its Kind.
	ListDevices(ctx context.Context, user string) ([]DeviceRef, error)
	// ResetPasscode starts a passcode reset and returns what is known so far.
	ResetPasscode(ctx context.Context, deviceID string) (ResetResult, error)
	// ResetStatus reads the state of the latest passcode reset on the device
	// that started at since or later: an earlier reset's result (and its
	// passcode, dead by now) must not pass for this one. A zero since
	// takes the latest.
	ResetStatus(ctx context.Context, deviceID string, since time.Time) (ResetResult, error)
	// RemoteLock locks the device and returns what is known so far.
	RemoteLock(ctx context.Context, deviceID string) (LockResult, error)
	// LockStatus reads the device's latest Remote Lock that started at
	// since or later (the latest when since is zero), State "" when none.
	LockStatus(ctx context.Context, deviceID string, since time.Time) (LockResult, error)
}
