package reset

import (
	"strconv"
	"strings"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/bot/eligibility"
)

// checkLimits asks the engine, before the card offers a reset or a request,
// whether the abuse limits allow one: the person learns it now, not after
// four presses. Devices with nothing to limit show their card at once.
func (t *turn) checkLimits() {
	switch t.c.Device.EligibilityAt(t.now).Reset {
	case eligibility.SelfService, eligibility.NeedsApproval:
		t.out.Commands = append(t.out.Commands, bot.Command{Op: bot.OpCheckLimits, Device: *t.c.Device})
	default:
		t.card(nil)
	}
}

// card shows the picked device: what it is, when it last checked in, what
// Intune does to it and which actions it has. limit is the limits' refusal
// of a reset or request, nil when they allow one.
func (t *turn) card(limit error) {
	d := t.c.Device
	if d == nil || t.c.Step != stepCard {
		return
	}
	e := d.EligibilityAt(t.now)
	owner := ""
	if d.Company {
		owner = t.text("device.company")
	}
	text := t.text("device.card", append(t.deviceArgs(d), "owner", owner, "checkin", t.checkin(d))...)
	if t.quiet(d) {
		text += "\n\n" + t.text("device.quiet", t.silenceArgs(d)...)
	}
	if e.GMSSupportEnded && (e.Reset == eligibility.SelfService || e.Reset == eligibility.NeedsApproval) {
		text += "\n\n" + t.text("device.gms.ended", t.deviceArgs(d)...)
	}
	var buttons []bot.Button
	offer := func(b bot.Button) {
		if limit != nil {
			text += "\n\n" + t.errorText(limit)
			return
		}
		buttons = append(buttons, b)
	}
	switch {
	case t.ownerless(d) && (e.Reset == eligibility.SelfService || e.Reset == eligibility.NeedsApproval):
		text += "\n\n" + t.text("device.noowner", t.deviceArgs(d)...) + "\n" + t.support()
	case e.Reset == eligibility.SelfService:
		offer(t.button("btn.reset", actReset, bot.Primary))
	case e.Reset == eligibility.NeedsApproval:
		// Ownership is the reason unless helpdeskWhy names another.
		ask, tell := "device.approval.ask", "device.approval"
		if why := t.helpdeskWhy(e); why != "" {
			text += "\n\n" + why
			ask, tell = "device.helpdesk.ask", "device.helpdesk"
		}
		if t.f.cfg.Approvals {
			text += "\n\n" + t.text(ask)
			offer(t.button("btn.request", actRequest, bot.Primary))
		} else {
			text += "\n\n" + t.text(tell) + "\n" + t.support()
		}
	case e.Reset == eligibility.FactoryReset:
		text += "\n\n" + t.text("device.factory") + "\n" + t.support()
	case e.Reset == eligibility.NotSupported:
		key := "device.unsupported"
		switch {
		case e.MinMajor > 0:
			key = "device.workprofile.old"
		case d.Kind == eligibility.IOSUserEnrollment:
			// Why, since it can be locked: User Enrollment leaves the admin
			// only retire, delete, remote lock and sync
			// (https://learn.microsoft.com/intune/device-enrollment/apple/user-enrollment-methods-ios,
			// ms.date 08/19/2024).
			key = "device.userenrollment"
		}
		text += "\n\n" + t.text(key, append(t.deviceArgs(d), "min", strconv.Itoa(e.MinMajor))...) + "\n" + t.support()
	}
	if e.RemoteLock {
		buttons = append(buttons, t.button("btn.lock", actLock, bot.Default))
	}
	if !t.f.cfg.NoHelpdesk {
		// A lost device is reported from its card, whatever it is, not only
		// after a reset was refused for it: the helpdesk decides what next.
		buttons = append(buttons, t.button("btn.lost", actLost, bot.Default))
	}
	if len(t.c.Devices) != 1 {
		buttons = append(buttons, t.button("btn.back", actBack, bot.Default))
	}
	buttons = append(buttons, t.button("btn.cancel", actCancel, bot.Default))
	t.say(bot.Reply{Text: text, Buttons: buttons, Replace: true})
}

// helpdeskWhy says why a device goes to the helpdesk when that is not just
// its ownership: it fell silent, Intune dropped its platform, or the reset
// is of the work profile only.
func (t *turn) helpdeskWhy(e eligibility.Rules) string {
	d := t.c.Device
	switch {
	case d.Silence(t.now) > eligibility.SilentAfter:
		return t.text("device.silent", t.silenceArgs(d)...)
	case e.SupportEnded:
		return t.text("device.ended", t.deviceArgs(d)...)
	case e.WorkProfile:
		return t.text("device.workprofile", t.deviceArgs(d)...)
	}
	return ""
}

// quiet reports a device silent long enough to warn about, but not so
// long that the helpdesk takes over (that text says it already).
func (t *turn) quiet(d *bot.DeviceRef) bool {
	s := d.Silence(t.now)
	return s > eligibility.QuietAfter && s <= eligibility.SilentAfter
}

func (t *turn) silenceArgs(d *bot.DeviceRef) []string {
	return append(t.deviceArgs(d), "days", strconv.Itoa(int(d.Silence(t.now)/(24*time.Hour))))
}

// checkin is the card's line about the device's last check-in.
func (t *turn) checkin(d *bot.DeviceRef) string {
	if d.LastSync.IsZero() {
		return t.text("device.checkin.unknown")
	}
	return t.text("device.checkin", "time", t.at(d.LastSync), "ago", t.span(d.Silence(t.now)))
}

// errorText is the message of a failed command; a refusal by the limits
// says when to try again.
func (t *turn) errorText(err error) string {
	code := bot.ErrorCode(err)
	if at := bot.RetryAt(err); code == bot.ErrCodeRateLimited && !at.IsZero() {
		return t.text("limit.reached", "time", t.at(at), "wait", t.until(at))
	}
	return t.text(code)
}

// askLock is Remote Lock's own confirmation: one tap must not lock a
// device. A lock needs no fresh sign-in: it removes nothing.
func (t *turn) askLock() {
	d := t.c.Device
	if d == nil || !d.Eligibility().RemoteLock {
		t.say(bot.Reply{Text: t.text(bot.NoticeStale), Private: true})
		return
	}
	t.goTo(stepLock)
	t.c.Request = "" // an approval was for a reset, not for whatever comes next
	parts := []string{t.text("lock.confirm", t.deviceArgs(d)...)}
	if d.Eligibility().LockPIN {
		parts = append(parts, t.text("lock.confirm.pin", t.deviceArgs(d)...))
	}
	if d.Unencrypted {
		parts = append(parts, t.text("lock.nopasscode", t.deviceArgs(d)...))
	}
	if d.Silence(t.now) > eligibility.QuietAfter {
		parts = append(parts, t.text("lock.quiet", t.silenceArgs(d)...))
	}
	t.say(bot.Reply{Text: strings.Join(parts, "\n\n"), Replace: true, Buttons: []bot.Button{
		t.button("btn.lockok", actLockOK, bot.Danger), t.button("btn.cancel", actCancel, bot.Default)}})
}

func (t *turn) lock() {
	d := t.c.Device
	if d == nil || !d.Eligibility().RemoteLock {
		t.say(bot.Reply{Text: t.text(bot.NoticeStale), Private: true})
		return
	}
	t.out.Commands = append(t.out.Commands, bot.Command{Op: bot.OpLock, Device: *d})
	t.end()
}

// locked answers a Remote Lock, or a read of a macOS lock's result: the
// recovery PIN goes to its owner privately, once, and polling stops there.
func (t *turn) locked(r *bot.CommandResult) {
	d, res := r.Device, r.Lock
	args := t.deviceArgs(&d)
	pin := d.Eligibility().LockPIN
	failed := res.State == bot.ActionFailed || res.State == bot.ActionNotSupported || res.State == bot.ActionCanceled
	if r.Op == bot.OpLock && !failed {
		key := "lock.sent"
		if pin && res.UnlockPin == "" {
			key = "lock.pin.pending"
		}
		t.say(bot.Reply{Text: t.text(key, args...), Replace: true})
	}
	// The helpdesk reads the PIN "on the device overview pane for up to 30
	// days, or until another device action is sent"
	// (https://learn.microsoft.com/intune/device-management/actions/remote-lock,
	// ms.date 10/27/2025).
	switch {
	case res.UnlockPin != "":
		t.say(bot.Reply{Text: t.text("lock.pin", append(args, "pin", res.UnlockPin)...) + " " + t.text("lock.pin.admin"), Private: true})
	case failed:
		t.say(bot.Reply{Text: t.text("lock.failed", args...) + "\n" + t.support(), Replace: r.Op == bot.OpLock})
	case !pin:
		// No PIN to wait for: "lock.sent" said it all.
	case res.State == bot.ActionDone || r.Attempt >= t.f.cfg.PollMax:
		t.say(bot.Reply{Text: t.text("lock.pin.missing", args...) + " " + t.text("lock.pin.admin") + "\n" + t.support()})
	default:
		since := r.Since
		if r.Op == bot.OpLock {
			since = t.now
		}
		t.pollLock(d, r.Attempt+1, since)
	}
}

// pollLock schedules the next read of a macOS lock sent at since.
func (t *turn) pollLock(d bot.DeviceRef, attempt int, since time.Time) {
	t.follow(FollowLockPoll, d, t.f.cfg.PollEvery, attempt)
	t.out.FollowUps[len(t.out.FollowUps)-1].Since = since
}

func (t *turn) reportLost() {
	d := t.c.Device
	if d == nil || t.f.cfg.NoHelpdesk {
		t.say(bot.Reply{Text: t.text(bot.NoticeStale), Private: true})
		return
	}
	t.out.Commands = append(t.out.Commands, bot.Command{Op: bot.OpReportLost, Device: *d})
	t.end()
}

// reportedLost tells the helpdesk, in its language, who lost which device
// and when it was last heard of, and tells the person what happens next.
func (t *turn) reportedLost(r *bot.CommandResult) {
	d, hd := r.Device, t.hd
	owner, checkin := "", hd("device.checkin.unknown")
	if d.Company {
		owner = hd("device.company")
	}
	if !d.LastSync.IsZero() {
		checkin = utc(d.LastSync)
	}
	t.say(bot.Reply{Audience: bot.ToHelpdesk, Text: hd("lost.notice", "requester", t.requester(), "upn", t.c.Owner.UPN, "name", d.Name,
		"platform", hd("kind."+string(d.Kind)), "version", d.OSVersion, "owner", owner,
		"time", utc(t.now), "checkin", checkin)})
	t.say(bot.Reply{Text: t.text("lost.sent", append(t.deviceArgs(&d), "support", t.contact())...), Replace: true})
}

// startWord starts a reset for a typed start word, or asks first when that
// would drop an open step.
func (t *turn) startWord(cmd command) {
	if cmd.lang != "" {
		t.c.Lang = cmd.lang
	}
	if t.midStep() {
		t.askRestart()
		return
	}
	t.start()
}

// midStep reports an open step that a typed start word would throw away
// something of: a confirmation under way, or an approval. Browsing the list
// or a card loses nothing, so a start word there simply starts again; a
// typed reason is the reason, whatever words it holds.
func (t *turn) midStep() bool {
	switch t.c.Step {
	case stepConfirm, stepVerify, stepWithYou, stepNotWithYou, stepLock:
		return true
	}
	return false
}

// askRestart asks before a start word typed mid-step drops the step, and
// an approval with it. The step stays open, and is touched (its expiry
// renewed, so the conversation is saved under a new version): the
// question's buttons then work even where a click on the step's old
// buttons died with its replica and left their version marked pressed.
func (t *turn) askRestart() {
	t.goTo(t.c.Step)
	text := t.openStep() + "\n" + t.text("restart.ask")
	if t.c.Request != "" {
		text += " " + t.text("restart.approval")
	}
	t.say(bot.Reply{Text: text, Buttons: []bot.Button{
		t.button("btn.restart", actRestart, bot.Default), t.button("btn.keep", actKeep, bot.Primary)}})
}

// resume shows the open step again, with fresh buttons.
func (t *turn) resume() {
	switch t.c.Step {
	case stepConfirm:
		t.confirm()
	case stepVerify:
		// A fresh link: the one shown before may be used or gone.
		t.signInAgain()
	case stepWithYou:
		t.withYou()
	case stepNotWithYou:
		t.notWithYou()
	case stepLock:
		t.askLock()
	default:
		t.say(bot.Reply{Text: t.text(bot.NoticeStale), Private: true})
	}
}

// answer takes a typed yes or no as the answer to the device-with-you
// question; anywhere else it points to the buttons.
func (t *turn) answer(v verb) {
	switch {
	case t.c.Step == stepWithYou && v == verbYes:
		t.reset()
	case t.c.Step == stepWithYou:
		t.notWithYou()
	case t.c.Step != "":
		t.say(bot.Reply{Text: t.text("midstep")})
	default:
		t.say(bot.Reply{Text: t.text("intro")})
	}
}

// outcome says an audit outcome (an action state or an error code) in words.
func (t *turn) outcome(o string) string {
	switch bot.ActionState(o) {
	case bot.ActionDone:
		return t.text("outcome.done")
	case bot.ActionPending, bot.ActionActive, "", "none":
		return t.text("outcome.pending")
	case bot.ActionFailed, bot.ActionNotSupported, bot.ActionCanceled:
		return t.text("outcome.failed")
	}
	if o == bot.ErrCodeRateLimited {
		return t.text("outcome.ratelimited")
	}
	return t.text("outcome.error")
}
