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
)

// Op is a device operation a flow asks the engine to run.
type Op int

// Device operations.
const (
	OpList Op = iota
	OpReset
	OpResetStatus
	OpLock
)

// Command asks the engine to run a device operation after the conversation
// is saved. Saving first is what makes a reset run at most once: a second
// click on the same button fails the compare-and-set and runs nothing.
type Command struct {
	Op     Op
	Device DeviceRef
	// Attempt counts earlier reads of a pending action (OpResetStatus).
	Attempt int
}

// CommandResult is what running a Command returned.
type CommandResult struct {
	Command
	Devices []Device
	Reset   ResetResult
	Err     error
}

// Input is one thing a flow step reacts to.
type Input struct {
	Kind     InputKind
	Text     string
	Action   string
	Arg      string
	Result   *CommandResult
	FollowUp *FollowUp
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
)
