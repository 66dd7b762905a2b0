package bot

// Platform names the chat platform an event came from and a reply goes to.
type Platform string

// Platforms passbot speaks.
const (
	Console Platform = "console"
	Slack   Platform = "slack"
	Discord Platform = "discord"
	Teams   Platform = "teams"
)

// User is a person on one chat platform. UPN is the Intune user principal
// name the person's devices are registered to; Locale is the platform's
// locale for them ("nl-NL", "en-US", "nl"), used to pick the language.
type User struct {
	Platform Platform `json:"p"`
	ID       string   `json:"id"`
	Name     string   `json:"n,omitempty"`
	UPN      string   `json:"upn,omitempty"`
	// OID is the person's Entra object ID, where the platform vouches for
	// it (Teams: the aadObjectId of an authenticated activity). Their
	// devices are then found by it, whatever their UPN.
	OID    string `json:"oid,omitempty"`
	Locale string `json:"loc,omitempty"`
	// TZ is the person's IANA time zone ("Europe/Amsterdam") where the
	// platform tells it (Slack users.info tz, Teams localTimezone, the
	// console's TZ); times are shown in it, else in UTC.
	TZ string `json:"tz,omitempty"`
	// Approver is set by the adapter for members of the configured
	// Approvers (see Approvers.Allows), per event.
	Approver bool `json:"-"`
}

// Directory names the person to the device backend: the Entra object ID
// where known, else the UPN; "" when passbot knows neither.
func (u User) Directory() string {
	if u.OID != "" {
		return u.OID
	}
	return u.UPN
}

// Account is the company account a chat account is linked to: the Entra
// object ID a sign-in proved, and the user principal name, which is for
// display (Entra lets it change and Microsoft says not to authorise on it).
// An approver's hand-made link has only the UPN until the person signs in.
type Account struct {
	OID string `json:"oid,omitempty"`
	UPN string `json:"upn,omitempty"`
}

// Of is u as linked to a: the link names whom u's devices are found by;
// no link leaves u as the platform described them.
func (a Account) Of(u User) User {
	if a.OID == "" && a.UPN == "" {
		return u
	}
	u.OID, u.UPN = a.OID, a.UPN
	return u
}

// Key identifies the user across platforms; conversations are stored under it.
func (u User) Key() string { return string(u.Platform) + ":" + u.ID }

// EventKind tells what the person did.
type EventKind int

// The kinds of event an adapter hands to the engine.
const (
	// Message is free text in a DM (or a slash command's text).
	Message EventKind = iota
	// Press is a button click; Event.Action carries the button's action.
	Press
)

// Event is one thing a person did, translated from a platform payload.
type Event struct {
	// DeliveryID is the platform's ID for this delivery (Slack event_id,
	// Socket Mode envelope, Discord interaction ID). Redeliveries carry the
	// same ID and are dropped. Empty means "do not dedupe".
	DeliveryID string
	Kind       EventKind
	User       User
	// Channel is where the event happened (a DM channel ID), so adapters can
	// answer in place. The engine does not interpret it.
	Channel string
	// Text is the message text, or for a slash command the words after it.
	Text string
	// Action is the pressed button's opaque action string, as the engine
	// produced it in a Reply.
	Action string
	// Shared: the event happened where others read along (a channel of a
	// Discord server or a Teams team), not in a DM with the bot.
	Shared bool
	// Clicked is the message whose button was pressed. ClickedPublic: it
	// is seen by everyone in a channel (a helpdesk card), not a message of
	// a DM or an ephemeral one; ClickedEphemeral: only the clicker sees it.
	Clicked          MessageRef
	ClickedPublic    bool
	ClickedEphemeral bool
}
