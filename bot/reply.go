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
	// temporary passcode): until its chat took it, a follow-up stands
	// ready to read the result again and send it, so a crash between the
	// reset and the chat loses nothing.
	Receipt string
	// Scrub, when set, is the text that replaces this reply once its
	// temporary passcode has been in the chat long enough (see
	// Engine.delivered). It never holds the passcode.
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
// an event and send its replies through out, the event's own way of
// answering (Slack's response_url, Discord's interaction, Teams' invoke
// answer, the console). The engine decides where each reply goes, sends
// it, and records what it became; Handled tells the adapter how it went.
type Handler interface {
	Handle(ctx context.Context, ev Event, out Sender) (Handled, error)
}

// HandlerFunc is a Handler made of a function: the wiring hands adapters
// the engine's Handle before the engine, which is made with them, exists.
type HandlerFunc func(ctx context.Context, ev Event, out Sender) (Handled, error)

// Handle implements Handler.
func (f HandlerFunc) Handle(ctx context.Context, ev Event, out Sender) (Handled, error) {
	return f(ctx, ev, out)
}

// Sender sends one reply where its Target says and returns the message it
// became ("" when the platform names none, as for an ephemeral one).
type Sender interface {
	Send(ctx context.Context, r Reply) (MessageRef, error)
}

// ChatAdapter is a chat platform as the engine sees it: each chat adapter
// is one, registered in Config.Chats. Its Send takes what answers no event (a
// follow-up, a helpdesk card, a notice): a DirectMessage, the
// HelpdeskChannel or an UpdateRef.
type ChatAdapter interface {
	Sender
	Platform() Platform
	Caps() Caps
}

// Caps are what the engine must know of a platform to route its replies.
type Caps struct {
	// EphemeralPrivacy: a private reply is an ephemeral message even in a
	// DM, seen by its owner only and never found or forwarded later
	// (Discord, issue 4). Elsewhere the DM with the bot is private enough.
	EphemeralPrivacy bool
}
