package bot

// TEMPORARY, teams branch only: the routing API of the core commit (issue
// 13, CORE-API.md) the Teams adapter is written against, until it lands on
// main. The merge of main replaces this file.

// Teams is Microsoft Teams.
const Teams Platform = "teams"

// MessageRef names a message the bot posted, in the adapter's own terms.
type MessageRef string

// TargetKind is where a reply goes.
type TargetKind int

// Targets.
const (
	Unrouted TargetKind = iota
	Chat
	ReplaceClicked
	Ephemeral
	DirectMessage
	HelpdeskChannel
	UpdateRef
)

// Target is a reply's resolved destination.
type Target struct {
	Kind TargetKind
	User User
	Ref  MessageRef
}

// EventOutcome is how the engine dealt with an event.
type EventOutcome string

// Handled is what Handle returns.
type Handled struct {
	Outcome EventOutcome
	Replies []Reply
}
