package bot

import (
	"context"
	"time"
)

// Style is how prominently a button is drawn.
type Style int

// Button styles. Danger marks buttons that do something irreversible.
const (
	Default Style = iota
	Primary
	Danger
)

// Button is a choice offered to the person. Action is opaque to adapters: they
// hand it back unchanged in Event.Action when the button is pressed.
type Button struct {
	Label  string
	Action string
	Style  Style
}

// Audience is who a flow addresses a reply to; the engine turns it into
// a Target.
type Audience int

// Audiences. A reply to the helpdesk goes to the configured helpdesk channel.
const (
	ToUser Audience = iota
	ToHelpdesk
)

// Reply is one message the bot sends. A flow says whom it is for
// (Audience, To) and how (Private, Replace); the engine resolves that into
// the Target an adapter sends it to.
type Reply struct {
	Text    string
	Buttons []Button
	// Private replies are for their owner's eyes only. A temporary
	// passcode is always private.
	Private bool
	// Replace asks to take the place of the message whose button was
	// pressed instead of posting a new one, so old buttons disappear.
	Replace  bool
	Audience Audience
	// To is the person a reply addressed ToUser is for; the engine fills it in.
	To User
	// Target is where the reply goes, resolved by the engine.
	Target Target
	// Receipt, when set, marks the reply that carries a reset's result (the
	// temporary passcode): until the adapter reports it sent (see
	// Engine.Delivered), a follow-up stands ready to read the result again
	// and send it, so a crash between the reset and the chat loses nothing.
	Receipt string
	// Scrub, when set, is the text that replaces this reply once its
	// temporary passcode has been in the chat long enough (see
	// Engine.Delivered). It never holds the passcode.
	Scrub string
	// Card is the request whose approval card this is: every copy posted
	// is updated when the request is decided.
	Card string

	// unwritten is what the commit after the reset failed to write (the
	// reset's record, its reminder): written when the result is delivered,
	// with the acknowledgement of its Receipt.
	unwritten *writes
	// receiptDue is when the Receipt's standing read fires.
	receiptDue time.Time
}

// Handler is what a chat adapter needs of the engine (*Engine is one): run
// an event and get its replies, each with its target resolved, and report
// each reply sent with the message it became.
type Handler interface {
	Handle(ctx context.Context, ev Event) (Handled, error)
	Delivered(ctx context.Context, r Reply, ref MessageRef) error
}
