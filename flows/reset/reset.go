// Package reset is the passcode-reset conversation of the Company Portal
// guide, as a pure state machine: given the conversation, an input and the
// time, Step updates the conversation and returns replies, device commands
// and follow-ups. It does no I/O; the bot engine runs what it asks for.
package reset

import (
	"strconv"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/flows/locales"
)

// Steps of the conversation. The empty step is "idle".
const (
	stepDevices    = "devices"    // picking a device
	stepCard       = "card"       // a device's actions
	stepConfirm    = "confirm"    // the confirmation banner
	stepVerify     = "verify"     // waiting for the owner's fresh sign-in
	stepLink       = "link"       // offered a sign-in to link the chat account
	stepWithYou    = "withyou"    // the device-with-you check
	stepNotWithYou = "notwithyou" // answered No: offer Remote Lock
	stepReason     = "reason"     // typing why the helpdesk should approve
	stepDenyReason = "denyreason" // an agent typing why they denied
	stepLock       = "lock"       // confirming a Remote Lock
)

// Button actions (the part of a button's action a flow owns).
const (
	actDevice   = "device" // arg: index into Conversation.Devices
	actReset    = "reset"
	actLock     = "lock"
	actBack     = "back"
	actCancel   = "cancel"
	actSignIn   = "signout" // the banner's Sign in again (the value predates the label: posted buttons carry it)
	actYes      = "yes"
	actNo       = "no"
	actRequest  = "request"
	actLink     = "link"
	actClose    = "close"
	actLockOK   = "lockok"   // the Remote Lock confirmed
	actLost     = "lost"     // report the device lost
	actRestart  = "restart"  // start over, asked after a start word mid-step
	actKeep     = "keep"     // carry on with the open step instead
	actNoReason = "noreason" // deny without telling the employee why
	actUndeny   = "undeny"   // take the denial back
	actMore     = "more"     // arg: where the next page of the device list starts
)

// Follow-up kinds.
const (
	FollowReminder = "reminder" // change the temporary passcode
	FollowPoll     = "poll"     // read the reset's action result
	FollowLockPoll = "lockpoll" // read a macOS lock's result for its PIN
)

// pageSize is how many device buttons one message holds: Slack allows 25
// elements in an actions block, Discord and Teams 25 buttons in a message;
// two more are More devices and Cancel.
const pageSize = 20

// Config holds the flow's settings.
type Config struct {
	// Support is how to reach company support, shown wherever the guide says
	// "contact your company support".
	Support string
	// StepTimeout abandons an unanswered step. Default 15 minutes.
	StepTimeout time.Duration
	// SignIn asks the device's owner to sign in again before a reset: the
	// guide's sign-out and sign-in, made real. Without it every reset is
	// audited as unverified.
	SignIn bool
	// SignInTTL is how long a sign-in link stays valid. The guide says 5
	// minutes.
	SignInTTL time.Duration
	// ReminderAfter is when to remind the user to change a temporary
	// passcode. Default 1 hour.
	ReminderAfter time.Duration
	// PollEvery is the interval between reads of a pending reset's result,
	// PollMax the number of reads before giving up.
	PollEvery time.Duration
	// RecoverAfter is when a reset whose result never reached the chat is
	// read back and sent: after the device call could have ended, retries
	// included. Default 2 minutes (four tries of up to 10 s, and back-off).
	RecoverAfter time.Duration
	PollMax      int
	// Approvals offers a helpdesk approval request for devices that are not
	// self-service; without it those devices only point to support.
	Approvals bool
	// HelpdeskLang is the language of notices to the helpdesk channel (a
	// device reported lost). Default English.
	HelpdeskLang string
	// NoHelpdesk means no helpdesk channel is configured: a lost device
	// cannot be reported from chat, so the person is told to call support.
	NoHelpdesk bool
}

// Flow is the reset conversation. It implements bot.Flow.
type Flow struct{ cfg Config }

// New returns the flow with defaults filled in.
func New(cfg Config) *Flow {

	if cfg.StepTimeout <= 0 {
		cfg.StepTimeout = 15 * time.Minute
	}
	if cfg.SignInTTL <= 0 {
		cfg.SignInTTL = 5 * time.Minute
	}
	if cfg.ReminderAfter <= 0 {
		cfg.ReminderAfter = time.Hour
	}
	if cfg.RecoverAfter <= 0 {
		cfg.RecoverAfter = 2 * time.Minute
	}
	if cfg.PollEvery <= 0 {
		cfg.PollEvery = 30 * time.Second
	}
	if cfg.PollMax <= 0 {
		cfg.PollMax = 40
	}
	if !locales.Supported(cfg.HelpdeskLang) {
		cfg.HelpdeskLang = locales.EN
	}
	return &Flow{cfg: cfg}
}

// turn is one step's work in progress: the conversation, its language and
// the outcome being built.
type turn struct {
	f   *Flow
	c   *bot.Conversation
	now time.Time
	out bot.Outcome
}

func (t *turn) lang() string {
	if t.c.Lang != "" {
		return t.c.Lang
	}
	return locales.Lang(t.c.Owner.Locale)
}

func (t *turn) text(key string, args ...string) string {
	return locales.Text(t.lang(), key, args...)
}

// hd is a text for the helpdesk channel, in its language.
func (t *turn) hd(key string, args ...string) string {
	return locales.Text(t.f.cfg.HelpdeskLang, key, args...)
}

// tellHelpdesk posts a notice to the helpdesk channel, where there is one.
func (t *turn) tellHelpdesk(text string) {
	if !t.f.cfg.NoHelpdesk {
		t.say(bot.Reply{Audience: bot.ToHelpdesk, Text: text})
	}
}

// requester names the conversation's owner to the helpdesk.
func (t *turn) requester() string {
	o := t.c.Owner
	switch {
	case o.Name != "":
		return o.Name
	case o.UPN != "":
		return o.UPN
	}
	return o.ID
}

func (t *turn) button(labelKey, action string, style bot.Style) bot.Button {
	return bot.Button{Label: t.text(labelKey), Action: action, Style: style}
}

// say adds a reply; replace makes it take the place of the clicked message.
func (t *turn) say(r bot.Reply) { t.out.Replies = append(t.out.Replies, r) }

// goTo moves to a step that waits for the user, which expires if unanswered.
func (t *turn) goTo(step string) {
	t.c.Step = step
	t.c.Expires = t.now.Add(t.f.cfg.StepTimeout)
}

// end finishes the conversation; the language choice stays.
func (t *turn) end() {
	t.c.Step, t.c.Devices, t.c.Device, t.c.Request, t.c.Expires = "", nil, nil, "", time.Time{}
	t.c.SignIn, t.c.Verified = "", nil
}

func (t *turn) support() string { return t.text("support", "support", t.contact()) }

// contact is how to reach company support, in the conversation's language.
func (t *turn) contact() string { return locales.Support(t.lang(), t.f.cfg.Support) }

// deviceArgs are the placeholders of texts about a device, and the time a
// sign-in link stays valid, which those texts mention.
func (t *turn) deviceArgs(d *bot.DeviceRef) []string {
	return []string{"name", d.Name, "platform", t.text("kind." + string(d.Kind)), "version", d.OSVersion, "ttl", t.ttl()}
}

// ttl says how long a sign-in link stays valid, in words.
func (t *turn) ttl() string { return t.span(max(time.Minute, t.f.cfg.SignInTTL)) }

// Step implements bot.Flow.
func (f *Flow) Step(c *bot.Conversation, in bot.Input, now time.Time) bot.Outcome {
	t := &turn{f: f, c: c, now: now}
	switch in.Kind {
	case bot.Text:
		t.onText(in.Text)
	case bot.Pressed:
		t.onPress(in.Action, in.Arg)
	case bot.Result:
		t.onResult(in.Result)
	case bot.Due:
		t.onDue(in.FollowUp)
	case bot.Approved:
		t.approved(in.Request)
	case bot.Denied:
		t.askDenyReason(in.Request)
	case bot.SignedIn:
		t.signedIn(in.SignIn)
	case bot.LateSignIn:
		t.lateSignIn(in.SignIn)
	}
	return t.out
}

// Notice implements bot.Flow.
func (f *Flow) Notice(c *bot.Conversation, code string) bot.Reply {
	t := &turn{f: f, c: c}
	return bot.Reply{Text: t.text(code)}
}

// device returns the conversation's device by index argument.
func (t *turn) device(arg string) (*bot.DeviceRef, bool) {
	i, err := strconv.Atoi(arg)
	if err != nil || i < 0 || i >= len(t.c.Devices) {
		return nil, false
	}
	return &t.c.Devices[i], true
}
