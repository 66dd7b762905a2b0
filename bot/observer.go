package bot

import (
	"time"

	"github.com/passbot/passbot/bot/eligibility"
)

// Observer is told what the engine did, for metrics. All methods must be
// safe for concurrent use and fast; Config.Observer may be nil.
type Observer interface {
	// Handled reports one event: its platform and kind, its outcome
	// ("ok", "duplicate", "refused", "error") and how long it took.
	Handled(p Platform, kind EventKind, outcome string, took time.Duration)
	// DeviceOp reports one device-backend call and its outcome ("ok" or an
	// error code); for OpReset/OpResetStatus the kind of device too.
	DeviceOp(op Op, kind eligibility.Kind, outcome string, took time.Duration)
	// Fired reports a follow-up fired lag after it was due.
	Fired(kind string, lag time.Duration)
	// StoreError reports a failed Redis operation.
	StoreError()
	// ApprovalDecided reports how long a helpdesk request waited for its
	// decision.
	ApprovalDecided(took time.Duration)
	// SignIn reports a sign-in before a reset: "started" when its link is
	// handed out, then how it ended (one of the SignIn* outcomes).
	SignIn(outcome string)
}

// String names the operation for logs and metrics.
func (o Op) String() string {
	switch o {
	case OpList:
		return "list"
	case OpReset:
		return "reset"
	case OpResetStatus:
		return "reset_status"
	case OpLock:
		return "remote_lock"
	case OpRequest:
		return "request"
	case OpDenyReason:
		return "deny_reason"
	case OpStatus:
		return "status"
	case OpPending:
		return "pending"
	case OpAudit:
		return "audit"
	case OpSignIn:
		return "signin"
	case OpLockStatus:
		return "remote_lock_status"
	case OpReportLost:
		return "report_lost"
	case OpCheckLimits:
		return "check_limits"
	case OpWithdraw:
		return "withdraw"
	case OpUndeny:
		return "undeny"
	}
	return "unknown"
}

// mutates reports whether the operation changes a device or a request: the
// engine saves the conversation before running one, so it runs at most once.
func (o Op) mutates() bool {
	switch o {
	case OpReset, OpLock, OpRequest, OpDenyReason, OpReportLost, OpWithdraw, OpUndeny:
		return true
	}
	return false
}

// String names the event kind for logs and metrics.
func (k EventKind) String() string {
	if k == Press {
		return "press"
	}
	return "message"
}
