package bot

import (
	"context"
	"slices"
	"time"
)

// RequestState is where a helpdesk approval request stands.
type RequestState string

// Request states. Only a pending request can be decided.
const (
	RequestPending  RequestState = "pending"
	RequestApproved RequestState = "approved"
	RequestDenied   RequestState = "denied"
	RequestExpired  RequestState = "expired"
	// RequestWithdrawn: the employee took it back (Decider is them).
	RequestWithdrawn RequestState = "withdrawn"
)

// Request asks the helpdesk to approve a passcode reset of a device that is
// not self-service (corporate-owned, Android Enterprise).
type Request struct {
	ID        string    `json:"id"`
	Requester User      `json:"u"`
	Device    DeviceRef `json:"d"`
	Reason    string    `json:"r"`
	// Lang is the requester's language, for the messages sent to them later.
	Lang    string       `json:"l,omitempty"`
	State   RequestState `json:"s"`
	Created time.Time    `json:"t"`
	// Decider is the helpdesk agent who approved or denied it.
	Decider    *User     `json:"by,omitempty"`
	Decided    time.Time `json:"dt,omitzero"`
	DenyReason string    `json:"dr,omitempty"`
	// Escalations counts re-posts to the helpdesk.
	Escalations int `json:"e,omitempty"`
	// Version is bumped by every save (compare-and-set), as for Conversation.
	Version int64 `json:"-"`
}

// Requests stores approval requests.
type Requests interface {
	// SaveRequest stores r if its stored version is still r.Version, and
	// bumps r.Version; ErrConflict otherwise. A new request has version 0.
	SaveRequest(ctx context.Context, r *Request) error
	// Request loads one; nil when it does not exist (or expired from Redis).
	Request(ctx context.Context, id string) (*Request, error)
	// PendingRequests lists the pending requests, oldest first.
	PendingRequests(ctx context.Context) ([]Request, error)
	// UserRequests lists a user's recent requests, newest first.
	UserRequests(ctx context.Context, u User) ([]Request, error)
	// AddCard remembers a posted copy of request id's approval card;
	// Cards returns them all.
	AddCard(ctx context.Context, id string, ref MessageRef) error
	Cards(ctx context.Context, id string) ([]MessageRef, error)
}

// Approvers are the user IDs and groups (Slack user groups, Discord roles)
// whose members may decide helpdesk requests.
type Approvers []string

// Allows reports whether the user with this ID, member of these groups, may
// decide requests.
func (a Approvers) Allows(userID string, groups ...string) bool {
	if userID == "" {
		return false
	}
	if slices.Contains(a, userID) {
		return true
	}
	for _, g := range groups {
		if slices.Contains(a, g) {
			return true
		}
	}
	return false
}
