package bot

import (
	"context"
	"time"
)

// AuditRecord is one line of the audit trail: who did what to which device
// and how it ended. It never holds a passcode.
type AuditRecord struct {
	Time    time.Time `json:"time"`
	Actor   string    `json:"actor"`             // platform:id of who acted
	Subject string    `json:"subject,omitempty"` // platform:id of whose device, when not the actor
	UPN     string    `json:"upn,omitempty"`
	// OID is the Entra object ID a link names.
	OID     string `json:"oid,omitempty"`
	Action  string `json:"action"` // reset_started, reset, remote_lock, report_lost, request, approve, deny, expire, refuse
	Device  string `json:"device,omitempty"`
	Name    string `json:"device_name,omitempty"`
	Request string `json:"request,omitempty"`
	Outcome string `json:"outcome"`
	// Verified is, for a reset, who the sign-in before it proved the person
	// to be (their UPN), or "unverified" where sign-in is turned off.
	Verified string `json:"verified,omitempty"`
	// Reason is what a person gave for a request ("request"), or an agent
	// for a denial ("deny_reason").
	Reason string `json:"reason,omitempty"`
}

// Auditor appends to and reads the audit trail.
type Auditor interface {
	Audit(ctx context.Context, r AuditRecord) error
	// RecentAudit returns up to n records, newest first, of the given
	// platform:id (any when empty).
	RecentAudit(ctx context.Context, who string, n int) ([]AuditRecord, error)
}

// Limiter caps how often something may happen: Allow counts one more event
// for each key and reports whether every key stays within its limit per
// window.
// A refused event is not counted.
type Limiter interface {
	Allow(ctx context.Context, window time.Duration, now time.Time, limits map[string]int) (bool, error)
	// Check reports, counting nothing, whether one more event fits every
	// limit, and when not, when the earliest one does.
	Check(ctx context.Context, window time.Duration, now time.Time, limits map[string]int) (ok bool, retryAt time.Time, err error)
}

// Quota is one more event under abuse limits: Limits (a key → the most
// events per Window) at Now. Once, when set, names the one event this may
// be (a reset's confirmation): another event under the same name is
// refused with ErrStarted, limits or not.
type Quota struct {
	Once   string
	Window time.Duration
	Now    time.Time
	Limits map[string]int
}
