package bot

import (
	"context"
	"errors"
	"time"

	"github.com/passbot/passbot/bot/eligibility"
)

// DeviceRef is a device as the core knows it: what a device backend lists,
// classified into its Kind, and what a conversation remembers between steps.
type DeviceRef struct {
	ID        string           `json:"id"`
	Name      string           `json:"n"`
	Kind      eligibility.Kind `json:"k"`
	OSVersion string           `json:"v,omitempty"`
	Company   bool             `json:"c,omitempty"`
	// OwnerID and OwnerUPN are the Entra object ID and user principal name
	// of the device's primary user: whoever signs in must be them.
	OwnerID  string `json:"o,omitempty"`
	OwnerUPN string `json:"ou,omitempty"`
	// LastSync is the device's last check-in (zero: unknown). Unencrypted
	// means Intune reports the device as not encrypted: Graph has no
	// passcode property, and a phone without encryption may well have no
	// passcode, so a lock may not keep anyone out.
	LastSync    time.Time `json:"ls,omitzero"`
	Unencrypted bool      `json:"ue,omitempty"`
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
	// SignIn is the ID of the sign-in link the conversation waits for;
	// Verified who that sign-in proved the person to be (never a token).
	SignIn   string    `json:"si,omitempty"`
	Verified *Identity `json:"vf,omitempty"`
	// LinkMsg is the message the sign-in link was shown in (it took the
	// place of the pressed banner): the sign-in's answer takes its place
	// in turn, so its buttons do not stay live.
	LinkMsg MessageRef `json:"lm,omitempty"`
	// Expires is when an unfinished step is abandoned.
	Expires time.Time `json:"x,omitzero"`
	// Live are the messages with buttons the conversation has in the chat
	// (see Engine.tidy). Stored beside the conversation, not in it: they
	// are known only once sent, after the conversation was saved.
	Live []MessageRef `json:"-"`

	// ahead is the step this replica ran ahead for the event the
	// conversation was loaded for (see prepare.go); never stored.
	ahead *ahead
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
	// Attempt counts re-schedules of a polling follow-up; Since is when the
	// action it polls was started.
	Attempt int       `json:"a,omitempty"`
	Since   time.Time `json:"s,omitzero"`
	// Tries counts the failed sends of this follow-up (see Engine.settle).
	Tries int `json:"t,omitempty"`
	// Request is the helpdesk request an escalation or expiry is about.
	Request string `json:"r,omitempty"`
	// Ref and Text: the message a passcode removal replaces, and with what.
	Ref  MessageRef `json:"m,omitempty"`
	Text string     `json:"x,omitempty"`
	// Resend is a notice the chat did not take, to send again (never one
	// with a reset's result).
	Resend *Reply `json:"rs,omitempty"`
}

// Begun is what Store.Begin found.
type Begun struct {
	// Conv is the user's conversation, nil when they have none.
	Conv *Conversation
	// Duplicate: the delivery was seen before (a platform redelivery).
	Duplicate bool
	// Pressed: the same button version was pressed before (a double click,
	// or the same click reaching two replicas).
	Pressed bool
	// Prepared is what became of BeginPrepared's writes; nil when they
	// were not made.
	Prepared *Counted
}

// Prepared is what a reset writes before its device call (its count under
// Quota, its reset_started record and its intent), for BeginPrepared to
// write in Begin's round trip. Version is the conversation version the
// press was made for.
type Prepared struct {
	Version   int64
	Quota     Quota
	FollowUps []FollowUp
	Records   []AuditRecord
}

// Counted is the answer of a count under a Quota, as CommitCounted gives
// it: OK, or refused until RetryAt, or Err (ErrStarted: another event
// started it).
type Counted struct {
	OK      bool
	RetryAt time.Time
	Err     error
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
	// Begin marks the delivery, and the press of a button (a key naming the
	// conversation version it was made for), as seen, and loads the user's
	// conversation: one round trip. The press mark is what lets a button
	// act once, on whichever replica gets it first. Empty keys mark nothing.
	Begin(ctx context.Context, user User, delivery, press string) (Begun, error)
	// BeginPrepared is Begin that also writes p as CommitCounted would, in
	// the same round trip, but only when this call set its marks and the
	// conversation is still at p.Version, so p is written exactly when the
	// press goes on to the reset p was prepared from. Begun.Prepared is nil
	// when p was not written: the conversation moved on, a mark was
	// another event's, or the store cannot write it in that round trip (on
	// Cluster the keys live on different nodes).
	BeginPrepared(ctx context.Context, user User, delivery, press string, p Prepared) (Begun, error)
	// Forget unmarks a delivery and a press whose handling failed before it
	// acted, so a redelivery or a second click is handled again.
	Forget(ctx context.Context, user User, delivery, press string) error
	// Save stores conv if its stored version is still conv.Version, and
	// bumps conv.Version. Otherwise it returns ErrConflict.
	Save(ctx context.Context, conv *Conversation) error
	// Commit saves conv like Save (unless conv is nil) and, in the same
	// round trip and whether or not the save wins, queues follow-ups and
	// appends audit records: they record what already happened.
	Commit(ctx context.Context, conv *Conversation, fs []FollowUp, records []AuditRecord) error
	// CommitChecking is Commit and, in the same round trip, Limiter.Check
	// of q: a device card learns the limits at no cost of its own.
	CommitChecking(ctx context.Context, conv *Conversation, fs []FollowUp, records []AuditRecord, q Quota) (ok bool, retryAt time.Time, err error)
	// CommitCounted counts one more event under q (as Limiter.Allow) and,
	// only when it fits, queues fs and appends records (as Commit without
	// a conversation): one round trip. Refused, it writes and counts
	// nothing and says when the event fits again.
	CommitCounted(ctx context.Context, q Quota, fs []FollowUp, records []AuditRecord) (ok bool, retryAt time.Time, err error)
	// Claim takes up to limit follow-ups due at now whose owner is on one
	// of platforms (those the caller can deliver to), leasing them until
	// now+lease: a claimed follow-up not acknowledged by then is due again,
	// so one that a crashed replica claimed still fires. An error may come
	// with follow-ups: those are claimed and must be fired.
	Claim(ctx context.Context, platforms []Platform, now time.Time, lease time.Duration, limit int) ([]FollowUp, error)
	// Ack removes a delivered follow-up and, in the same round trip,
	// queues the follow-ups that come after it.
	Ack(ctx context.Context, f FollowUp, next ...FollowUp) error
	// UpdateLive changes the live messages of owner's conversation (loaded
	// with it as Conversation.Live), while the conversation is stored:
	// drop leaves, add joins, whatever another step changed meanwhile.
	UpdateLive(ctx context.Context, owner User, add, drop []MessageRef) error
}

// Clock tells the time; tests pass a fake one.
type Clock interface{ Now() time.Time }

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }
