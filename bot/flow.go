package bot

import "time"

// InputKind tells a flow what it is reacting to.
type InputKind int

// Inputs to a flow step.
const (
	// Text the person typed.
	Text InputKind = iota
	// Pressed button; Input.Action and Input.Arg say which.
	Pressed
	// Result of a Command the previous step asked for.
	Result
	// Due follow-up.
	Due
	// Approved helpdesk request (Input.Request): resume the requester's
	// conversation.
	Approved
	// Denied helpdesk request (Input.Request): the deciding agent's
	// conversation asks for the reason.
	Denied
	// SignedIn is the result of the sign-in the conversation waits for
	// (Input.SignIn).
	SignedIn
	// LateSignIn is a sign-in (Input.SignIn) that came after its
	// conversation moved on, on a stand-in conversation: what others
	// should hear of it (the engine tells its owner).
	LateSignIn
)

// Op is a device operation a flow asks the engine to run.
type Op int

// Device operations.
const (
	OpList Op = iota
	OpReset
	OpResetStatus
	OpLock
	// OpRequest asks the helpdesk to approve a reset of Device; Text is the
	// employee's reason.
	OpRequest
	// OpDenyReason sends the reason an agent typed (Text) for denying
	// Request to its requester.
	OpDenyReason
	// OpStatus reads the user's requests and resets, OpPending the open
	// requests, OpAudit the audit trail of Text (a user; all when empty).
	OpStatus
	OpPending
	OpAudit
	// OpSignIn opens a one-time sign-in link for the owner of Device.
	OpSignIn
	// OpLockStatus reads the latest Remote Lock of Device (the macOS
	// recovery PIN comes with it).
	OpLockStatus
	// OpReportLost records that the owner reported Device lost; the flow's
	// replies carry the notice to the helpdesk.
	OpReportLost
	// OpCheckLimits checks, counting nothing, that the abuse limits allow
	// one more reset or request of Device.
	OpCheckLimits
	// OpWithdraw withdraws the user's pending helpdesk requests.
	OpWithdraw
	// OpUndeny takes back an agent's denial of Request before they gave a
	// reason: the request waits for a decision again.
	OpUndeny
)

// Command asks the engine to run a device operation after the conversation
// is saved. Saving first is what makes a reset run at most once: a second
// click on the same button fails the compare-and-set and runs nothing.
type Command struct {
	Op     Op
	Device DeviceRef
	// Attempt counts earlier reads of a pending action (OpResetStatus);
	// Since is when the action was started.
	Attempt int
	Since   time.Time
	// Request is the helpdesk request the command belongs to.
	Request string
	Text    string
	// Lang is the conversation's language, kept with a new request.
	Lang string
	// Verified is, for a reset, what the audit record says of the sign-in
	// before it.
	Verified string
	// Intent, for OpReset, is the follow-up that finds out what became of
	// the reset should its result never be recorded (the process dies, or
	// Redis fails, after the device call). The engine queues it with a
	// "reset_started" audit record before calling the device; the
	// result's own follow-ups then replace it (same ID) or settle it.
	Intent *FollowUp
}

// CommandResult is what running a Command returned.
type CommandResult struct {
	Command
	Devices  []DeviceRef
	Reset    ResetResult
	Lock     LockResult
	Requests []Request
	Audit    []AuditRecord
	SignIn   SignIn
	Err      error

	// What the engine must write after the command, batched into one round
	// trip with the follow-ups the flow asks for.
	audit  []AuditRecord
	follow []FollowUp
	// intent is the Command's Intent as queued before the device call.
	intent *FollowUp
}

// Input is one thing a flow step reacts to.
type Input struct {
	Kind     InputKind
	Text     string
	Action   string
	Arg      string
	Result   *CommandResult
	FollowUp *FollowUp
	Request  *Request
	SignIn   *SignInResult
}

// Outcome is what a step decided: replies to send, device operations to run,
// follow-ups to schedule. The step has already updated the conversation.
type Outcome struct {
	Replies   []Reply
	Commands  []Command
	FollowUps []FollowUp
}

// Flow is a conversation's logic: pure, no I/O. Step updates c in place; to
// start a new conversation it clears c.ID and the engine issues a fresh one.
type Flow interface {
	Step(c *Conversation, in Input, now time.Time) Outcome
	// Notice is the reply for a refusal or failure the engine detects itself,
	// by code: NoticeStale, NoticeForeign, NoticeBusy or an error code.
	Notice(c *Conversation, code string) Reply
}

// Notice codes for refusals the engine detects before a flow runs.
const (
	NoticeStale   = "notice.stale"   // a button from an earlier step or conversation
	NoticeForeign = "notice.foreign" // a button from someone else's conversation
	NoticeBusy    = "notice.busy"    // a concurrent change won
	NoticeUnknown = "notice.unknown" // a button this bot did not make
	// NoticeOver replaces a message whose buttons belong to a step the
	// conversation left (see Engine.tidy).
	NoticeOver = "notice.over"
)

// ApprovalFlow is the helpdesk side of a request: pure, like Flow.
type ApprovalFlow interface {
	// Card is the approval card for the helpdesk channel; its buttons'
	// actions are "approve" and "deny".
	Card(r *Request, now time.Time) Reply
	// FollowUps are the escalation and expiry follow-ups of a new request.
	FollowUps(r *Request) []FollowUp
	// Decide applies an agent's click on a card to r.
	Decide(r *Request, actor User, action string, now time.Time) Decision
	// Closed is r's card once decided, without buttons: it replaces every
	// copy of the card posted.
	Closed(r *Request) Reply
	// Due applies an escalation or expiry follow-up to r.
	Due(r *Request, f FollowUp, now time.Time) Decision
	// Digest summarises the pending requests for the helpdesk channel.
	Digest(rs []Request, now time.Time) Reply
}

// Decision is what an approval step decided.
type Decision struct {
	// Changed means r was updated and must be saved.
	Changed bool
	// Approved means the requester's conversation resumes at the
	// confirmation banner: the requester still signs in before the reset.
	Approved bool
	// Reopened means a denial was taken back: every copy of the card gets
	// its buttons again.
	Reopened bool
	// Actor gets replies to the click (the first usually replaces the card);
	// Requester and Helpdesk get notified.
	Actor     []Reply
	Requester []Reply
	Helpdesk  []Reply
	FollowUps []FollowUp
	// Audit names the audited action ("approve", "deny", "deny_reason",
	// "expire", "escalate", "refuse"); Outcome its outcome, and Reason the
	// reason given with it.
	Audit, Outcome, Reason string
}
