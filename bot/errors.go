package bot

import (
	"errors"
	"fmt"
	"time"
)

// Error is a failure with a message that is safe to show the user; adapters
// show Message and log the wrapped error.
type Error struct {
	// Code is the catalogue key of the message shown to the user.
	Code string
	Err  error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return e.Code
	}
	return fmt.Sprintf("%s: %v", e.Code, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Codes of user-facing errors; the flows' message catalogue has a text for each.
const (
	ErrCodeUnavailable = "error.unavailable" // Redis or the device backend is down
	ErrCodeInternal    = "error.internal"
	// Device backend refusals.
	ErrCodeForbidden   = "error.graph.forbidden"   // the app lacks a permission
	ErrCodeNotFound    = "error.graph.notfound"    // the device or user is gone
	ErrCodeUnsupported = "error.graph.unsupported" // not possible on this device
	ErrCodeRateLimited = "error.ratelimited"       // too many resets or requests
	ErrCodeNotApprover = "error.notapprover"       // helpdesk commands by others
	ErrCodeLockUnused  = "error.lock.unused"       // a macOS lock whose PIN was not used yet
)

// ErrNotStarted marks a device operation that did not run because what
// must be recorded before it could not be: unlike a timed-out call, it
// certainly changed nothing.
var ErrNotStarted = errors.New("not started")

// ErrStarted is a reset that another event started already: a press of
// "Yes, reset" and a typed "yes" for the same confirmation, on any replica.
var ErrStarted = errors.New("started by another event")

// LimitError is the cause of an ErrCodeRateLimited error: the limits allow
// the next try at RetryAt.
type LimitError struct{ RetryAt time.Time }

func (e *LimitError) Error() string {
	return "over the limit until " + e.RetryAt.UTC().Format(time.RFC3339)
}

// RetryAt returns when err, a rate-limit refusal, lifts; zero when err
// does not say.
func RetryAt(err error) time.Time {
	if le, ok := errors.AsType[*LimitError](err); ok {
		return le.RetryAt
	}
	return time.Time{}
}

// ErrorCode returns the user-facing code of err, ErrCodeInternal when it has none.
func ErrorCode(err error) string {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return ErrCodeInternal
}
