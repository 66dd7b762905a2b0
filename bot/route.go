package bot

import (
	"slices"
	"strings"
)

// MessageRef names a message the bot posted, in the adapter's own terms
// (Slack "channel/ts", Discord "channel/message", console a line number).
// The core keeps it to change that message later (every copy of an
// approval card after a decision, a temporary passcode after its time) and
// hands it back in Target.Ref; it never holds the message's text. Its last
// "/"-separated part names the message on its platform; what comes before
// may change while the message stays the same (a Discord ephemeral
// message is changed through the webhook of the latest interaction that
// touched it).
type MessageRef string

// message is the part of r that names the message itself.
func (r MessageRef) message() string {
	if i := strings.LastIndexByte(string(r), '/'); i >= 0 {
		return string(r[i+1:])
	}
	return string(r)
}

// TargetKind is where a reply goes.
type TargetKind int

// Targets. The engine resolves every reply's target; an adapter maps each to
// one platform call and decides nothing about who may see what.
const (
	// Unrouted never reaches an adapter.
	Unrouted TargetKind = iota
	// Chat is a new message where the event's person talks with the bot:
	// their DM (or the console).
	Chat
	// ReplaceClicked takes the place of the message whose button was
	// pressed (Event.Clicked), so its buttons disappear.
	ReplaceClicked
	// Ephemeral is shown only to the event's person, next to the event
	// (Slack response_url, Discord's ephemeral flag, Teams' invoke answer).
	Ephemeral
	// DirectMessage is a new message in Target.User's DM with the bot.
	DirectMessage
	// HelpdeskChannel is a new message in the helpdesk channel.
	HelpdeskChannel
	// UpdateRef replaces the message Target.Ref names.
	UpdateRef
	// DisarmClicked takes the buttons off the clicked message and keeps
	// its text: the reply that was to take its place may not (it is
	// private, the message is not), and its buttons belong to a step that
	// is over. The reply carries no text of its own.
	DisarmClicked
)

var targetNames = [...]string{"unrouted", "chat", "replace_clicked", "ephemeral", "dm", "helpdesk", "update", "disarm_clicked"}

func (k TargetKind) String() string {
	if k < 0 || int(k) >= len(targetNames) {
		return "unknown"
	}
	return targetNames[k]
}

// Target is where one reply goes.
type Target struct {
	Kind TargetKind
	// User is whose DM a DirectMessage goes to.
	User User
	// Ref is the message an UpdateRef replaces.
	Ref MessageRef
}

// EventOutcome is how the engine dealt with an event, for the adapter's
// logs and metrics; where the replies go is already in their targets.
type EventOutcome string

// Outcomes of Engine.Handle.
const (
	OutcomeOK        EventOutcome = "ok"
	OutcomeDuplicate EventOutcome = "duplicate" // a redelivery: nothing to send
	OutcomeRefused   EventOutcome = "refused"   // someone else's button, not an approver, busy
	OutcomeStale     EventOutcome = "stale"     // a button of an earlier step, or pressed twice
	OutcomeError     EventOutcome = "error"
)

// Handled is what Engine.Handle returns: the outcome and the replies, each
// with its target resolved.
type Handled struct {
	Outcome EventOutcome
	Replies []Reply

	// conv is the event's conversation, with its messages with buttons,
	// when the event was its person's own step; moved: the step moved it
	// on (see Engine.tidy).
	conv  *Conversation
	moved bool
}

// route resolves the target of every reply to ev. It is the one place
// that decides who sees a reply, and so holds the privacy rule: a private
// reply (a temporary passcode, a sign-in link, a refusal) never lands where
// others read along; a reply for someone else never lands where the event
// happened.
func route(ev Event, replies []Reply, caps Caps) []Reply {
	card := ev.Kind == Press && ev.ClickedPublic
	// A press on someone else's message (a forwarded card, a crafted
	// press): whatever answers it is the presser's alone, and the message
	// stays its owner's.
	foreign := ev.Kind == Press && pressedByOther(ev)
	// Where private means ephemeral, a private reply cannot take the place
	// of a message that is not: it would stay visible as that one was.
	hidden := !card && (!caps.EphemeralPrivacy || ev.ClickedEphemeral)
	// Only one reply takes the clicked message's place: the first that may.
	replace, blocked := -1, false
	for i, r := range replies {
		if foreign || r.Target.Kind != Unrouted || r.Audience != ToUser || r.forOther(ev.User) || !r.Replace || ev.Kind != Press {
			continue
		}
		if r.Private && !hidden {
			blocked = true
			continue
		}
		replace = i
		break
	}
	switch {
	case replace > 0:
		// The clicked message changes first: Discord answers a press with
		// one response, and once a new message answered it, the clicked
		// one can no longer be edited through it.
		replies = slices.Concat(replies[replace:replace+1], replies[:replace], replies[replace+1:])
		replace = 0
	case replace < 0 && blocked && !card && ev.Clicked != "":
		// No live button is left on a step that is over: the clicked
		// message keeps its text, loses its buttons.
		replies = append([]Reply{{To: ev.User, Target: Target{Kind: DisarmClicked}}}, replies...)
	}
	for i := range replies {
		r := &replies[i]
		if t, ok := fixed(*r, ev.User); ok {
			r.Target = t
			continue
		}
		switch {
		case i == replace:
			r.Target = Target{Kind: ReplaceClicked}
		case card && replace >= 0:
			// A decision on a helpdesk card: the agent's next step (the
			// reason for a denial) is theirs alone, in their DM.
			r.Target = Target{Kind: DirectMessage, User: ev.User}
		case card || foreign || ev.Shared || r.Private && caps.EphemeralPrivacy:
			// A refusal next to the card or someone else's message, a
			// conversation started in a channel, or a private reply where
			// private means ephemeral: only its person sees it.
			r.Target = Target{Kind: Ephemeral}
		default:
			r.Target = Target{Kind: Chat}
		}
	}
	return replies
}

// helpdeskCard reports whether ev presses a button of a helpdesk card,
// which any approver may press.
func helpdeskCard(ev Event) bool {
	a, ok := parseAction(ev.Action)
	return ev.Kind == Press && ok && a.Owner == anyApprover
}

// pressedByOther reports whether ev presses a button of a conversation
// that belongs to someone else than its presser (not a helpdesk card's,
// which any approver may press).
func pressedByOther(ev Event) bool {
	a, ok := parseAction(ev.Action)
	return ok && a.Owner != anyApprover && a.Owner != ev.User.ID
}

// forOther reports whether r is addressed to someone other than u.
func (r Reply) forOther(u User) bool { return r.To.ID != "" && r.To.Key() != u.Key() }

// fixed is the target of a reply whatever the event: one set already, the
// helpdesk channel, or the DM of someone other than u.
func fixed(r Reply, u User) (Target, bool) {
	switch {
	case r.Target.Kind != Unrouted:
		return r.Target, true
	case r.Audience == ToHelpdesk:
		return Target{Kind: HelpdeskChannel}, true
	case r.forOther(u):
		return Target{Kind: DirectMessage, User: r.To}, true
	}
	return Target{}, false
}

// routeLater resolves the targets of replies the engine sends on its own
// (follow-ups, helpdesk cards, notices to a requester): they answer no
// event, so each goes to its person's DM or to the helpdesk.
func routeLater(replies []Reply) []Reply {
	for i := range replies {
		r := &replies[i]
		t, ok := fixed(*r, User{})
		if !ok {
			t = Target{Kind: DirectMessage, User: r.To}
		}
		r.Target = t
	}
	return replies
}

// fallback is where a reply to ev goes when its chat did not take it where
// route put it, and whether it has such a place; a reply falls back once.
// Privacy holds here as in route: a private reply never lands where others
// read along, nor, where private means ephemeral, in a lasting message.
func fallback(ev Event, r Reply, caps Caps) (Target, bool) {
	dm := Target{Kind: DirectMessage, User: ev.User}
	switch r.Target.Kind {
	case Ephemeral:
		// The answer's way closed (Slack's response_url expired, Teams'
		// invoke answered already): the person's DM is private too.
		return dm, ev.User.ID != "" && (!r.Private || !caps.EphemeralPrivacy)
	case ReplaceClicked:
		// The clicked message is gone or cannot be changed: the reply
		// comes as a new message where it may be seen. A decided card's
		// in the helpdesk channel; the rest only where the clicked message
		// was seen by its person alone: never in a channel (a command run
		// there, a card forwarded there).
		switch {
		case helpdeskCard(ev) && !r.Private:
			return Target{Kind: HelpdeskChannel}, true
		case caps.EphemeralPrivacy && (r.Private || ev.Shared):
			return Target{Kind: Ephemeral}, true
		case r.Private || ev.Shared || ev.ClickedPublic:
			return dm, true
		}
		return Target{Kind: Chat}, true
	case DirectMessage:
		// The presser takes no DMs (Discord: turned off for a server's
		// members): they still see it, privately, next to their event.
		return Target{Kind: Ephemeral}, r.Target.User.Key() == ev.User.Key()
	}
	return Target{}, false
}
