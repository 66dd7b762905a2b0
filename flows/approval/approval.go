// Package approval is the helpdesk side of a passcode-reset request for a
// device that is not self-service: the approval card, the decision by an
// approver (never the requester), escalation, expiry and the daily digest.
// Like the reset flow it is pure; the bot engine stores and sends.
package approval

import (
	"strconv"
	"strings"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/flows/locales"
)

// Follow-up kinds of a request.
const (
	FollowEscalate = "escalate"
	FollowExpire   = "expire"
)

// Card button actions.
const (
	actApprove  = "approve"
	actDeny     = "deny"
	actReason   = "reason"   // the engine's action for a typed deny reason
	actWithdraw = "withdraw" // the engine's action for a requester taking theirs back
	actUndeny   = "undeny"   // the engine's action for an agent taking their denial back
)

// Config holds the approval settings.
type Config struct {
	// EscalateAfter re-posts an undecided request to the helpdesk. Default
	// 30 minutes.
	EscalateAfter time.Duration
	// ExpireAfter closes an undecided request. Default 8 hours.
	ExpireAfter time.Duration
	// Lang is the helpdesk channel's language. Default English.
	Lang string
	// Support is the support contact shown to employees.
	Support string
}

// Flow implements bot.ApprovalFlow.
type Flow struct{ cfg Config }

// New returns the flow with defaults filled in.
func New(cfg Config) *Flow {
	if cfg.EscalateAfter <= 0 {
		cfg.EscalateAfter = 30 * time.Minute
	}
	if cfg.ExpireAfter <= 0 {
		cfg.ExpireAfter = 8 * time.Hour
	}
	if !locales.Supported(cfg.Lang) {
		cfg.Lang = locales.EN
	}
	return &Flow{cfg: cfg}
}

// hd is a helpdesk text; emp a text for the requester, in their language.
func (f *Flow) hd(key string, args ...string) string { return locales.Text(f.cfg.Lang, key, args...) }

func (f *Flow) emp(r *bot.Request, key string, args ...string) string {
	lang := r.Lang
	if lang == "" {
		lang = locales.Lang(r.Requester.Locale)
	}
	return locales.Text(lang, key, append(args, "device", r.Device.Name, "support", locales.Support(lang, f.cfg.Support))...)
}

func who(u *bot.User) string {
	if u == nil {
		return "?"
	}
	if u.Name != "" {
		return u.Name
	}
	if u.UPN != "" {
		return u.UPN
	}
	return u.ID
}

func (f *Flow) cardText(r *bot.Request) string {
	owner := ""
	if r.Device.Company {
		owner = f.hd("device.company")
	}
	return f.hd("approval.card",
		"requester", who(&r.Requester), "upn", r.Requester.UPN,
		"name", r.Device.Name, "platform", f.hd("kind."+string(r.Device.Kind)), "version", r.Device.OSVersion, "owner", owner,
		"reason", r.Reason, "time", r.Created.UTC().Format("2006-01-02 15:04 UTC"), "id", r.ID)
}

// Card implements bot.ApprovalFlow.
func (f *Flow) Card(r *bot.Request, _ time.Time) bot.Reply {
	return bot.Reply{
		Audience: bot.ToHelpdesk,
		Text:     f.cardText(r),
		Buttons: []bot.Button{
			{Label: f.hd("btn.approve"), Action: actApprove, Style: bot.Primary},
			{Label: f.hd("btn.deny"), Action: actDeny, Style: bot.Danger},
		},
	}
}

// FollowUps implements bot.ApprovalFlow.
func (f *Flow) FollowUps(r *bot.Request) []bot.FollowUp {
	fs := []bot.FollowUp{{ID: r.ID + ":expire", Kind: FollowExpire, Due: r.Created.Add(f.cfg.ExpireAfter), Device: r.Device}}
	if f.cfg.EscalateAfter < f.cfg.ExpireAfter {
		fs = append(fs, escalation(r, r.Created.Add(f.cfg.EscalateAfter)))
	}
	return fs
}

// escalation is the next escalation of r. Its ID is fixed by the count, so
// firing the same escalation twice queues the next one once.
func escalation(r *bot.Request, due time.Time) bot.FollowUp {
	return bot.FollowUp{ID: r.ID + ":escalate:" + strconv.Itoa(r.Escalations+1), Kind: FollowEscalate, Due: due, Device: r.Device}
}

func refuse(text, outcome string) bot.Decision {
	return bot.Decision{Actor: []bot.Reply{{Text: text, Private: true}}, Audit: "refuse", Outcome: outcome}
}

// Decide implements bot.ApprovalFlow.
func (f *Flow) Decide(r *bot.Request, actor bot.User, action string, now time.Time) bot.Decision {
	switch action {
	case actReason:
		return f.reason(r, actor)
	case actUndeny:
		return f.undeny(r, actor)
	case actWithdraw:
		return f.withdraw(r, actor, now)
	}
	if action != actApprove && action != actDeny {
		return bot.Decision{Actor: []bot.Reply{{Text: f.hd(bot.NoticeUnknown), Private: true}}}
	}
	switch {
	case !actor.Approver:
		return refuse(f.hd("approval.notapprover"), "not_approver")
	case samePerson(actor, r):
		return refuse(f.hd("approval.self"), "self_approval")
	case r.State != bot.RequestPending:
		return bot.Decision{Actor: []bot.Reply{{Text: f.hd("approval.already", "state", f.hd("state."+string(r.State)), "agent", who(r.Decider)), Private: true}}}
	}
	decider := actor
	r.Decider, r.Decided = &decider, now
	d := bot.Decision{Changed: true, Audit: action, Outcome: "ok"}
	if action == actApprove {
		r.State = bot.RequestApproved
		d.Approved = true
		d.Actor = []bot.Reply{{Text: f.Closed(r).Text, Replace: true}}
		d.Requester = []bot.Reply{{Text: f.emp(r, "request.approved", "agent", who(&decider))}}
		return d
	}
	r.State = bot.RequestDenied
	d.Actor = []bot.Reply{{Text: f.Closed(r).Text, Replace: true}}
	d.Requester = []bot.Reply{{Text: f.emp(r, "request.denied", "agent", who(&decider))}}
	return d
}

// samePerson reports whether actor is the requester of r, through any of
// their chat accounts: the same chat account; the same Entra object ID,
// where the platform (Teams) or a sign-in (a link) gives the actor one,
// compared with the requester's and with the device owner's; or the same
// mailbox as the requester's or the device owner's, for accounts known
// only by an address: user+admin@ is user@ with
// a plus-address tag
// (https://learn.microsoft.com/exchange/recipients-in-exchange-online/plus-addressing-in-exchange-online).
func samePerson(actor bot.User, r *bot.Request) bool {
	if actor.Key() == r.Requester.Key() {
		return true
	}
	if actor.OID != "" && (strings.EqualFold(actor.OID, r.Requester.OID) || strings.EqualFold(actor.OID, r.Device.OwnerID)) {
		return true
	}
	return actor.UPN != "" && (strings.EqualFold(mailbox(actor.UPN), mailbox(r.Requester.UPN)) ||
		strings.EqualFold(mailbox(actor.UPN), mailbox(r.Device.OwnerUPN)))
}

// mailbox is an address without its plus-address tag.
func mailbox(upn string) string {
	local, domain, ok := strings.Cut(upn, "@")
	if !ok {
		return upn
	}
	local, _, _ = strings.Cut(local, "+")
	return local + "@" + domain
}

// Closed implements bot.ApprovalFlow: the card of a decided request,
// without buttons, saying what became of it.
func (f *Flow) Closed(r *bot.Request) bot.Reply {
	var line string
	switch r.State {
	case bot.RequestApproved:
		line = f.hd("approval.approved", "agent", who(r.Decider))
	case bot.RequestDenied:
		line = f.hd("approval.denied", "agent", who(r.Decider))
	case bot.RequestWithdrawn:
		line = f.hd("approval.closed.withdrawn")
	default:
		line = f.hd("approval.closed.expired")
	}
	return bot.Reply{Audience: bot.ToHelpdesk, Text: f.cardText(r) + "\n" + line}
}

// withdraw lets the requester take back a request still waiting for the
// helpdesk; the helpdesk channel is told.
func (f *Flow) withdraw(r *bot.Request, actor bot.User, now time.Time) bot.Decision {
	if actor.Key() != r.Requester.Key() || r.State != bot.RequestPending {
		return refuse(f.hd(bot.NoticeStale), "not_withdrawable")
	}
	by := actor
	r.State, r.Decider, r.Decided = bot.RequestWithdrawn, &by, now
	notice := bot.Reply{Audience: bot.ToHelpdesk, Text: f.hd("approval.withdrawn", "id", r.ID, "requester", who(&r.Requester), "name", r.Device.Name)}
	return bot.Decision{Changed: true, Helpdesk: []bot.Reply{notice}, Audit: "withdraw", Outcome: "ok"}
}

// undeny takes back a denial its agent has not explained yet: the request
// waits for a decision again, and the requester is told.
func (f *Flow) undeny(r *bot.Request, actor bot.User) bot.Decision {
	if r.State != bot.RequestDenied || r.Decider == nil || r.Decider.Key() != actor.Key() || r.DenyReason != "" {
		return refuse(f.hd(bot.NoticeStale), "not_undeniable")
	}
	r.State, r.Decider, r.Decided = bot.RequestPending, nil, time.Time{}
	return bot.Decision{
		Changed: true, Reopened: true,
		Requester: []bot.Reply{{Text: f.emp(r, "request.reopened")}},
		// Its expiry and escalation again (the same IDs: queued once).
		FollowUps: f.FollowUps(r),
		Audit:     "undeny", Outcome: "ok",
	}
}

// reason passes on the reason the deciding agent typed for a denial.
func (f *Flow) reason(r *bot.Request, actor bot.User) bot.Decision {
	if r.State != bot.RequestDenied || r.Decider == nil || r.Decider.Key() != actor.Key() {
		return refuse(f.hd(bot.NoticeStale), "not_decider")
	}
	if r.DenyReason == "" {
		// Send no reason: the employee hears nothing more; the trail says so.
		return bot.Decision{Changed: true, Audit: "deny_reason", Outcome: "none"}
	}
	return bot.Decision{
		Changed:   true,
		Requester: []bot.Reply{{Text: f.emp(r, "request.reason", "agent", who(&actor), "reason", r.DenyReason)}},
		Audit:     "deny_reason", Outcome: "ok", Reason: r.DenyReason,
	}
}

// Due implements bot.ApprovalFlow.
func (f *Flow) Due(r *bot.Request, fu bot.FollowUp, now time.Time) bot.Decision {
	if r.State != bot.RequestPending {
		return bot.Decision{}
	}
	switch fu.Kind {
	case FollowEscalate:
		r.Escalations++
		card := f.Card(r, now)
		card.Text = f.hd("approval.escalated", "waited", locales.Span(f.cfg.Lang, now.Sub(r.Created))) + "\n" + card.Text
		d := bot.Decision{Changed: true, Helpdesk: []bot.Reply{card}, Audit: "escalate", Outcome: strconv.Itoa(r.Escalations)}
		if next := now.Add(f.cfg.EscalateAfter); next.Before(r.Created.Add(f.cfg.ExpireAfter)) {
			d.FollowUps = []bot.FollowUp{escalation(r, next)}
		}
		return d
	case FollowExpire:
		r.State, r.Decided = bot.RequestExpired, now
		return bot.Decision{
			Changed:   true,
			Requester: []bot.Reply{{Text: f.emp(r, "request.expired")}},
			Helpdesk:  []bot.Reply{{Audience: bot.ToHelpdesk, Text: f.hd("approval.expired", "requester", who(&r.Requester), "name", r.Device.Name, "id", r.ID)}},
			Audit:     "expire",
			Outcome:   "expired",
		}
	}
	return bot.Decision{}
}

// Digest implements bot.ApprovalFlow.
func (f *Flow) Digest(rs []bot.Request, now time.Time) bot.Reply {
	text := f.hd("approval.digest", "count", strconv.Itoa(len(rs)))
	for _, r := range rs {
		text += "\n" + f.hd("approval.digestline", "requester", who(&r.Requester), "name", r.Device.Name,
			"waited", locales.Span(f.cfg.Lang, now.Sub(r.Created)), "id", r.ID)
	}
	return bot.Reply{Audience: bot.ToHelpdesk, Text: text}
}
