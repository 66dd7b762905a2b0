package bot

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

// Audience tells an adapter where a reply goes.
type Audience int

// Audiences. A reply to the helpdesk goes to the configured helpdesk channel.
const (
	ToUser Audience = iota
	ToHelpdesk
)

// Reply is one message the bot sends.
type Reply struct {
	Text    string
	Buttons []Button
	// Private replies are shown only to their owner (Slack ephemeral or DM,
	// Discord ephemeral). A temporary passcode is always private.
	Private bool
	// Replace asks the adapter to replace the message whose button was
	// pressed instead of posting a new one, so old buttons disappear.
	Replace  bool
	Audience Audience
	// To is the person a reply addressed ToUser is for; the engine fills it in.
	To User
	// Receipt, when set, marks the reply that carries a reset's result (the
	// temporary passcode): until the adapter reports it sent (see
	// Engine.Delivered), a follow-up stands ready to read the result again
	// and send it, so a crash between the reset and the chat loses nothing.
	Receipt string
	Target  Target // TEMPORARY shim (route_shim.go)
}
