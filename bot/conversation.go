package bot

import (
	"context"
	"errors"
	"time"
)

// DeviceRef is the part of a device a conversation remembers between steps.
type DeviceRef struct {
	ID        string `json:"id"`
	Name      string `json:"n"`
	Kind      Kind   `json:"k"`
	OSVersion string `json:"v,omitempty"`
	Company   bool   `json:"c,omitempty"`
}

// Conversation is one user's state with the bot. There is at most one per
// user; it outlives a finished reset so the user's language choice sticks.
// It never holds a passcode.
type Conversation struct {
	// ID changes with every new conversation, so buttons from an earlier one
	// are recognised as stale.
	ID    string `json:"id"`
	Owner User   `json:"u"`
	// Version is bumped by every save; a save succeeds only if nobody saved
	// since the conversation was loaded (compare-and-set).
	Version int64  `json:"-"`
	Step    string `json:"s,omitempty"`
	// Lang is the language chosen with the language command, or that the
	// conversation was started in; empty means "from the user's locale".
	Lang    string      `json:"l,omitempty"`
	Devices []DeviceRef `json:"d,omitempty"`
	Device  *DeviceRef  `json:"dv,omitempty"`
	// Request is the helpdesk request this conversation is about: for an
	// employee, an approved request that allows one reset of Device; for an
	// agent, the denied request whose reason they are typing.
	Request string `json:"rq,omitempty"`
	// Expires is when an unfinished step is abandoned.
	Expires time.Time `json:"x,omitzero"`
}

// FollowUp is a message or check due later (sign in again after 5 minutes,
// change the temporary passcode, poll an action result). It carries all it
// needs, since the conversation may have moved on by then.
type FollowUp struct {
	ID     string    `json:"id"`
	Kind   string    `json:"k"`
	Due    time.Time `json:"due"`
	Owner  User      `json:"u"`
	Lang   string    `json:"l,omitempty"`
	ConvID string    `json:"c,omitempty"`
	Device DeviceRef `json:"d"`
	// Attempt counts re-schedules of a polling follow-up.
	Attempt int `json:"a,omitempty"`
	// Request is the helpdesk request an escalation or expiry is about.
	Request string `json:"r,omitempty"`
}

// ErrConflict means someone else saved the conversation first.
var ErrConflict = errors.New("conversation changed concurrently")

// Store keeps conversations, delivery marks, follow-ups, helpdesk requests,
// the audit trail and rate limits. The Redis store is the real one; every
// method can block and takes a context.
type Store interface {
	Requests
	Auditor
	Limiter
	// Begin marks the delivery as seen and loads the user's conversation, in
	// one round trip. dup reports a delivery seen before; conv is nil when the
	// user has none. An empty deliveryID is never a duplicate.
	Begin(ctx context.Context, deliveryID string, user User) (conv *Conversation, dup bool, err error)
	// Forget unmarks a delivery whose handling failed, so a redelivery is
	// handled again instead of being dropped.
	Forget(ctx context.Context, deliveryID string) error
	// Save stores conv if its stored version is still conv.Version, and
	// bumps conv.Version. Otherwise it returns ErrConflict.
	Save(ctx context.Context, conv *Conversation) error
	// Schedule queues follow-ups.
	Schedule(ctx context.Context, fs ...FollowUp) error
	// Record queues follow-ups and appends audit records, in one round trip.
	Record(ctx context.Context, fs []FollowUp, records []AuditRecord) error
	// Claim takes up to limit follow-ups due at now, leasing them until
	// now+lease: a claimed follow-up not acknowledged by then is due again,
	// so one that a crashed replica claimed still fires.
	Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]FollowUp, error)
	// Ack removes a fired follow-up.
	Ack(ctx context.Context, f FollowUp) error
}

// Clock tells the time; tests pass a fake one.
type Clock interface{ Now() time.Time }

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// Notifier sends replies outside a request: follow-ups and, later, helpdesk
// cards. Each adapter is the Notifier of its platform.
type Notifier interface {
	Notify(ctx context.Context, replies []Reply) error
}
