package reset

import (
	"cmp"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/bot/eligibility"
)

func (t *turn) onResult(r *bot.CommandResult) {
	if r.Op == bot.OpCheckLimits {
		t.card(r.Err)
		return
	}
	if r.Err != nil {
		t.failed(r)
		return
	}
	switch r.Op {
	case bot.OpList:
		t.listed(r.Devices)
	case bot.OpLock, bot.OpLockStatus:
		t.locked(r)
	case bot.OpReportLost:
		t.reportedLost(r)
	case bot.OpReset, bot.OpResetStatus:
		t.resetResult(r)
	case bot.OpSignIn:
		t.signInLink(r.SignIn)
	case bot.OpRequest:
		t.say(bot.Reply{Text: t.text("request.sent", t.deviceArgs(&r.Device)...)})
	case bot.OpDenyReason:
		if r.Text == "" {
			t.say(bot.Reply{Text: t.text("approval.noreason"), Replace: true})
			return
		}
		t.say(bot.Reply{Text: t.text("approval.reasonsent"), Private: true})
	case bot.OpUndeny:
		t.say(bot.Reply{Text: t.text("approval.undone"), Replace: true})
	case bot.OpStatus:
		t.statusResult(r)
	case bot.OpWithdraw:
		t.withdrawn(r.Requests)
	case bot.OpPending:
		t.pendingResult(r.Requests)
	case bot.OpAudit:
		t.auditResult(r.Audit)
	}
}

func (t *turn) statusResult(r *bot.CommandResult) {
	var lines []string
	if open := t.openStep(); open != "" {
		lines = append(lines, open)
	}
	if len(r.Requests) > 0 {
		lines = append(lines, t.text("status.requests"))
		for _, q := range r.Requests {
			lines = append(lines, t.text("status.request", "name", q.Device.Name, "state", t.text("state."+string(q.State)), "time", t.at(q.Created)))
		}
	}
	var resets []string
	for _, a := range r.Audit {
		if a.Action == bot.OpReset.String() {
			resets = append(resets, t.text("status.reset", "name", a.Name, "outcome", t.outcome(a.Outcome), "time", t.at(a.Time)))
		}
	}
	if len(resets) > 0 {
		lines = append(append(lines, t.text("status.resets")), resets...)
	}
	if len(lines) == 0 {
		lines = []string{t.text("status.none")}
	}
	t.say(bot.Reply{Text: strings.Join(lines, "\n"), Private: true})
}

func (t *turn) withdrawn(rs []bot.Request) {
	if len(rs) == 0 {
		t.say(bot.Reply{Text: t.text("status.none")})
		return
	}
	for _, r := range rs {
		t.say(bot.Reply{Text: t.text("request.withdrawn", "name", r.Device.Name)})
	}
}

func (t *turn) pendingResult(rs []bot.Request) {
	if len(rs) == 0 {
		t.say(bot.Reply{Text: t.text("pending.none"), Private: true})
		return
	}
	lines := []string{t.text("approval.digest", "count", strconv.Itoa(len(rs)))}
	for _, r := range rs {
		lines = append(lines, t.text("approval.digestline", "requester", r.Requester.UPN, "name", r.Device.Name,
			"waited", t.span(t.now.Sub(r.Created)), "id", r.ID))
	}
	t.say(bot.Reply{Text: strings.Join(lines, "\n"), Private: true})
}

func (t *turn) auditResult(rs []bot.AuditRecord) {
	if len(rs) == 0 {
		t.say(bot.Reply{Text: t.text("audit.none"), Private: true})
		return
	}
	lines := []string{t.text("audit.header")}
	for _, a := range rs {
		lines = append(lines, strings.TrimSpace(t.text("audit.line", "time", t.at(a.Time), "actor", a.Actor,
			"action", a.Action, "name", a.Name, "outcome", a.Outcome, "request", a.Request)))
	}
	t.say(bot.Reply{Text: strings.Join(lines, "\n"), Private: true})
}

func (t *turn) failed(r *bot.CommandResult) {
	code := bot.ErrorCode(r.Err)
	if r.Attempt < t.f.cfg.PollMax && (code == bot.ErrCodeUnavailable || code == bot.ErrCodeRateLimited) {
		// The action may well be done: a passing Graph error must not cost
		// the person their temporary passcode or recovery PIN. Read again
		// later.
		switch r.Op {
		case bot.OpResetStatus:
			t.poll(r.Device, r.Attempt+1, r.Since)
			return
		case bot.OpLockStatus:
			t.pollLock(r.Device, r.Attempt+1, r.Since)
			return
		}
	}
	if r.Op == bot.OpReset && code == bot.ErrCodeUnavailable && !errors.Is(r.Err, bot.ErrNotStarted) {
		// A reset that timed out may have reached Intune all the same; it is
		// never sent twice, so find out what became of it.
		t.say(bot.Reply{Text: t.text("result.unconfirmed", t.deviceArgs(&r.Device)...)})
		t.poll(r.Device, 1, t.now)
		return
	}
	text := t.errorText(r.Err)
	switch r.Op {
	case bot.OpSignIn:
		// No link: the banner again, so Sign in again can be pressed once more.
		t.say(bot.Reply{Text: text})
		t.confirm()
		return
	case bot.OpLock, bot.OpLockStatus:
		text = t.text("lock.failed", t.deviceArgs(&r.Device)...) + " " + text
	case bot.OpReset, bot.OpResetStatus:
		text = t.failedText(r.Device) + " " + text
	}
	t.say(bot.Reply{Text: text + "\n" + t.support()})
}

func (t *turn) listed(devices []bot.DeviceRef) {
	if len(devices) == 0 {
		t.say(bot.Reply{Text: t.text("devices.none", "upn", cmp.Or(t.c.Owner.UPN, t.c.Owner.Name)) + "\n" + t.support()})
		return
	}
	back := t.c.Step == stepCard
	t.c.Devices = slices.Clone(devices)
	if len(devices) == 1 {
		// Nothing to choose: the card at once, as the Company Portal opens
		// the only device. The list stays, one long, so the card offers
		// no Back to it.
		only := devices[0]
		t.c.Device = &only
		t.goTo(stepCard)
		t.checkLimits()
		return
	}
	// Back from a device card lists again in place of the card.
	t.listDevices(0, back)
}

// resetResult answers per platform as the guide describes. The passcode is
// put only in a private reply and nowhere else. attempt counts the polls so
// far of a pending reset.
func (t *turn) resetResult(r *bot.CommandResult) {
	d, res, attempt, since := r.Device, r.Reset, r.Attempt, r.Since
	if r.Op == bot.OpReset {
		since = t.now
	}
	args := t.deviceArgs(&d)
	switch res.State {
	case bot.ActionDone:
		answer := bot.Reply{Text: t.platformAnswer(d, res.Passcode) + "\n\n" + t.next(d), Private: true}
		if res.Passcode != "" {
			// The passcode leaves the chat after a while: say where it
			// still is.
			answer.Scrub = t.text("passcode.removed", args...) + " " + t.passcodeWhere(d) + "\n\n" + t.next(d)
		}
		t.say(answer)
		t.say(bot.Reply{Text: t.text("result.done", args...) + "\n" + t.support()})
		if d.Eligibility().Passcode != eligibility.NoPasscode {
			t.follow(FollowReminder, d, t.f.cfg.ReminderAfter, 0)
		}
	case bot.ActionPending, bot.ActionActive, "", "none":
		if attempt == 0 {
			t.say(bot.Reply{Text: t.text("result.pending", args...)})
		}
		if attempt >= t.f.cfg.PollMax {
			t.say(bot.Reply{Text: t.failedText(d) + "\n" + t.support()})
			return
		}
		t.poll(d, attempt+1, since)
	default:
		t.say(bot.Reply{Text: t.failedText(d) + " (" + string(res.State) + ")\n" + t.support()})
	}
}

// failedText says a reset did not succeed, with the usual cause
// (https://learn.microsoft.com/intune/device-management/actions/reset-passcode,
// ms.date 10/27/2025): a work profile passcode resets only when
// policy manages it and the person allowed the reset; a dedicated or AOSP
// device needs a passcode policy.
func (t *turn) failedText(d bot.DeviceRef) string {
	text := t.text("result.failed", t.deviceArgs(&d)...)
	switch {
	case d.Eligibility().WorkProfile:
		text += " " + t.text("result.failed.workprofile")
	case d.Kind == eligibility.AndroidDedicated, d.Kind == eligibility.AOSP:
		text += " " + t.text("result.failed.policy")
	}
	return text
}

func (t *turn) platformAnswer(d bot.DeviceRef, passcode string) string {
	args := append(t.deviceArgs(&d), "passcode", passcode)
	if passcode == "" && d.Eligibility().Passcode != eligibility.NoPasscode {
		// A result read back later (after a crash between the reset and its
		// answer, or from a backend that keeps no passcode) may not hold it.
		return t.text("result.passcode.elsewhere", args...) + " " + t.passcodeWhere(d)
	}
	if d.Eligibility().WorkProfile {
		return t.text("result.workprofile", args...)
	}
	switch d.Kind {
	case eligibility.IOS:
		return t.text("result.ios", args...)
	case eligibility.Windows10Mobile:
		return t.text("result.w10m", args...)
	case eligibility.WindowsPhone81:
		return t.text("result.wp81", args...)
	}
	return t.text("result.android", args...)
}

// passcodeWhere says where the temporary passcode of d can be read besides
// this chat. The Company Portal shows it in the device's details for
// device administrator
// (https://learn.microsoft.com/intune/user-help/device-actions/reset-passcode-company-portal-website,
// ms.date 02/04/2025, step 6; the seed guide has the same for Windows
// phones). That page says its reset does not work on work profiles and
// dedicated devices, and the seed guide that corporate devices may lack it:
// the kinds Intune's reset page lists are reset by the helpdesk, to whom
// "it's displayed in the admin center for seven days"
// (https://learn.microsoft.com/intune/device-management/actions/reset-passcode,
// ms.date 10/27/2025).
func (t *turn) passcodeWhere(d bot.DeviceRef) string {
	if d.Eligibility().PasscodeInAdminCenter {
		return t.text("passcode.admincenter")
	}
	return t.text("passcode.portal")
}

// next is the guide's last step: unlock and set a new passcode. Where only
// the work profile's passcode changed, the device unlocks as before.
func (t *turn) next(d bot.DeviceRef) string {
	e := d.Eligibility()
	switch {
	case e.WorkProfile:
		return t.text("result.next.workprofile")
	case e.Passcode == eligibility.NoPasscode:
		return t.text("result.next.nopasscode")
	}
	return t.text("result.next")
}

// follow schedules a follow-up. Its ID is fixed by the conversation, kind
// and attempt, so a follow-up that fires twice (a sweep past its lease)
// queues its successor once.
func (t *turn) follow(kind string, d bot.DeviceRef, after time.Duration, attempt int) {
	t.out.FollowUps = append(t.out.FollowUps, t.followUp(kind, d, after, attempt))
}

func (t *turn) followUp(kind string, d bot.DeviceRef, after time.Duration, attempt int) bot.FollowUp {
	return bot.FollowUp{
		ID:   t.c.ID + ":" + d.ID + ":" + kind + ":" + strconv.Itoa(attempt),
		Kind: kind, Due: t.now.Add(after), Lang: t.lang(), Device: d, Attempt: attempt,
	}
}

// poll schedules the next read of a reset started at since.
func (t *turn) poll(d bot.DeviceRef, attempt int, since time.Time) {
	t.follow(FollowPoll, d, t.f.cfg.PollEvery, attempt)
	t.out.FollowUps[len(t.out.FollowUps)-1].Since = since
}

// intent is the first read of the reset of d starting now, for the engine
// to queue before the device call. A result that is still pending
// schedules the same read (same ID) at its own time.
func (t *turn) intent(d bot.DeviceRef) *bot.FollowUp {
	f := t.followUp(FollowPoll, d, t.f.cfg.RecoverAfter, 1)
	f.Since = t.now
	return &f
}

func (t *turn) onDue(f *bot.FollowUp) {
	args := t.deviceArgs(&f.Device)
	switch f.Kind {
	case FollowReminder:
		key := "followup.reminder"
		if f.Device.Eligibility().WorkProfile {
			key = "followup.reminder.workprofile"
		}
		t.say(bot.Reply{Text: t.text(key, args...)})
	case FollowPoll:
		t.out.Commands = append(t.out.Commands, bot.Command{Op: bot.OpResetStatus, Device: f.Device, Attempt: f.Attempt, Since: f.Since})
	case FollowLockPoll:
		t.out.Commands = append(t.out.Commands, bot.Command{Op: bot.OpLockStatus, Device: f.Device, Attempt: f.Attempt, Since: f.Since})
	}
}
