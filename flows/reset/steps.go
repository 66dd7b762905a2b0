package reset

import (
	"cmp"
	"strconv"
	"strings"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/bot/eligibility"
	"github.com/passbot/passbot/flows/locales"
)

func (t *turn) onText(text string) {
	cmd := parse(text)
	if cmd.verb != verbCancel {
		switch {
		case t.c.Step == stepReason:
			t.request(text)
			return
		case t.c.Step == stepDenyReason && !helpdeskCommand(cmd.verb):
			t.denyReason(text)
			return
		}
	}
	switch cmd.verb {
	case verbStart:
		t.startWord(cmd)
	case verbYes, verbNo:
		if cmd.arg != "" && t.c.Step != stepWithYou {
			t.startWord(cmd)
			return
		}
		t.answer(cmd.verb)
	case verbHelp:
		t.help()
	case verbCancel:
		t.cancel(false)
	case verbStatus:
		t.out.Commands = append(t.out.Commands, bot.Command{Op: bot.OpStatus})
	case verbPending:
		t.out.Commands = append(t.out.Commands, bot.Command{Op: bot.OpPending})
	case verbAudit:
		t.out.Commands = append(t.out.Commands, bot.Command{Op: bot.OpAudit, Text: cmd.arg})
	case verbLanguage:
		if !locales.Supported(cmd.arg) {
			t.say(bot.Reply{Text: t.text("language.usage")})
			return
		}
		t.c.Lang = cmd.arg
		t.say(bot.Reply{Text: t.text("language.set")})
	default:
		if t.c.Step == stepDevices {
			t.typedDevice(text)
			return
		}
		if t.c.Step != "" {
			t.say(bot.Reply{Text: t.text("midstep")})
			return
		}
		t.say(bot.Reply{Text: t.text("intro")})
	}
}

// start begins a new conversation: a fresh ID makes every button of an
// earlier one stale.
func (t *turn) start() {
	t.end()
	t.c.ID = ""
	if t.c.Owner.Directory() == "" {
		t.unknownUser()
		return
	}
	t.out.Commands = append(t.out.Commands, bot.Command{Op: bot.OpList})
}

// help lists what a person can type; the helpdesk's commands only to
// approvers, who are the only ones they work for.
func (t *turn) help() {
	text := t.text("help")
	if t.c.Owner.Approver {
		text += "\n" + t.text("help.helpdesk")
	}
	t.say(bot.Reply{Text: text})
}

// helpdeskCommand reports whether a verb is one of the commands an agent
// may type while passbot waits for their deny reason: those run, and the
// prompt stays; any other line is the reason, start words included.
func helpdeskCommand(v verb) bool {
	switch v {
	case verbHelp, verbStatus, verbPending, verbAudit, verbLanguage:
		return true
	}
	return false
}

// cancel closes the open step; with none open, a typed cancel withdraws the
// person's requests that wait for the helpdesk.
func (t *turn) cancel(replace bool) {
	if t.c.Step == "" && !replace {
		t.out.Commands = append(t.out.Commands, bot.Command{Op: bot.OpWithdraw})
		return
	}
	t.end()
	t.say(bot.Reply{Text: t.text("cancelled"), Replace: replace})
}

// openStep describes the conversation's open step, "" when there is none.
func (t *turn) openStep() string {
	if t.c.Step == "" || t.c.Step == stepDenyReason {
		return ""
	}
	step := t.text("step." + t.c.Step)
	if t.c.Device == nil {
		return t.text("status.open.nodevice", "step", step)
	}
	return t.text("status.open", "name", t.c.Device.Name, "step", step)
}

func (t *turn) onPress(action, arg string) {
	switch action {
	case actCancel:
		t.cancel(true)
		return
	case actClose:
		t.end()
		t.say(bot.Reply{Text: t.text("closed"), Replace: true})
		return
	}
	switch t.c.Step + "/" + action {
	case stepDevices + "/" + actDevice, stepCard + "/" + actBack:
		t.pickDevice(action, arg)
	case stepDevices + "/" + actMore:
		t.morePage(arg)
	case stepCard + "/" + actReset:
		t.confirm()
	case stepCard + "/" + actRequest:
		t.askReason()
	case stepCard + "/" + actLock, stepNotWithYou + "/" + actLock:
		t.askLock()
	case stepLock + "/" + actLockOK:
		t.lock()
	case stepNotWithYou + "/" + actLost, stepCard + "/" + actLost:
		t.reportLost()
	case stepConfirm + "/" + actSignIn, stepVerify + "/" + actSignIn:
		t.signInAgain()
	case stepLink + "/" + actLink, stepVerify + "/" + actLink:
		t.linkSignIn()
	case stepWithYou + "/" + actYes:
		t.reset()
	case stepWithYou + "/" + actNo:
		t.notWithYou()
	case t.c.Step + "/" + actRestart:
		t.start()
	case t.c.Step + "/" + actKeep:
		t.resume()
	case stepDenyReason + "/" + actNoReason:
		t.denyReason("")
	case stepDenyReason + "/" + actUndeny:
		t.out.Commands = append(t.out.Commands, bot.Command{Op: bot.OpUndeny, Request: t.c.Request})
		t.end()
	default:
		// A button the flow did not offer at this step: the engine's version
		// check makes this unreachable for real clicks.
		t.say(bot.Reply{Text: t.text(bot.NoticeStale), Private: true})
	}
}

// listDevices shows the page of the device list that starts at from, with
// a button to the next page when there is more.
func (t *turn) listDevices(from int, replace bool) {
	t.goTo(stepDevices)
	t.c.Device = nil
	to := min(from+pageSize, len(t.c.Devices))
	buttons := make([]bot.Button, 0, to-from+2)
	for i, d := range t.c.Devices[from:to] {
		label := d.Name + " (" + t.text("kind."+string(d.Kind)) + ")"
		buttons = append(buttons, bot.Button{Label: label, Action: actDevice + ":" + strconv.Itoa(from+i)})
	}
	text := t.text("devices.pick")
	if len(t.c.Devices) > pageSize {
		text += "\n" + t.text("devices.page", "from", strconv.Itoa(from+1), "to", strconv.Itoa(to), "count", strconv.Itoa(len(t.c.Devices)))
		next, label := to, "btn.moredevices"
		if to == len(t.c.Devices) {
			next, label = 0, "btn.firstdevices"
		}
		buttons = append(buttons, bot.Button{Label: t.text(label), Action: actMore + ":" + strconv.Itoa(next)})
	}
	buttons = append(buttons, t.button("btn.cancel", actCancel, bot.Default))
	t.say(bot.Reply{Text: text, Buttons: buttons, Replace: replace})
}

// morePage shows another page of the device list in place of this one.
func (t *turn) morePage(arg string) {
	from, err := strconv.Atoi(arg)
	if err != nil || from < 0 || from >= len(t.c.Devices) {
		t.say(bot.Reply{Text: t.text(bot.NoticeStale), Private: true})
		return
	}
	t.listDevices(from, true)
}

// typedDevice picks the device whose name the person typed instead of
// pressing its button ("Galaxy S7" for "Adele's Galaxy S7", "mijn iPhone"):
// the device of exactly that name, else the one device whose name holds
// those words.
func (t *turn) typedDevice(text string) {
	typed := deviceWords(text)
	var exact, within []int
	for i, d := range t.c.Devices {
		name := deviceWords(d.Name)
		switch {
		case typed == "":
		case name == typed:
			exact = append(exact, i)
		case strings.Contains(" "+name+" ", " "+typed+" "):
			within = append(within, i)
		}
	}
	picks := cmp.Or(len(exact), len(within))
	switch {
	case picks == 0:
		t.say(bot.Reply{Text: t.text("devices.notfound", "text", strings.TrimSpace(text))})
	case len(exact) == 1:
		t.pickDevice(actDevice, strconv.Itoa(exact[0]))
	case len(exact) == 0 && len(within) == 1:
		t.pickDevice(actDevice, strconv.Itoa(within[0]))
	default:
		// Only the buttons tell those devices apart.
		t.say(bot.Reply{Text: t.text("devices.several", "text", strings.TrimSpace(text))})
	}
}

// pickDevice shows a device's card. The list is dropped once a device is
// picked, which keeps an open conversation small in Redis however many
// devices the person has; Back lists them again from the backend.
func (t *turn) pickDevice(action, arg string) {
	if action == actBack {
		t.c.Device = nil
		t.out.Commands = append(t.out.Commands, bot.Command{Op: bot.OpList})
		return
	}
	d, ok := t.device(arg)
	if !ok {
		t.say(bot.Reply{Text: t.text(bot.NoticeStale), Private: true})
		return
	}
	picked := *d
	t.c.Device, t.c.Devices = &picked, nil
	t.goTo(stepCard)
	t.checkLimits()
}

// selfService re-checks, at every step towards a reset, that the device
// allows one, or that the helpdesk approved one: buttons are not proof of
// anything.
func (t *turn) selfService() bool {
	if t.c.Device == nil || t.ownerless(t.c.Device) {
		t.say(bot.Reply{Text: t.text(bot.NoticeStale), Private: true})
		return false
	}
	switch t.c.Device.EligibilityAt(t.now).Reset {
	case eligibility.SelfService:
		return true
	case eligibility.NeedsApproval:
		if t.c.Request != "" {
			return true
		}
	}
	t.say(bot.Reply{Text: t.text(bot.NoticeStale), Private: true})
	return false
}

// confirm is the guide's banner. The guide's button is Sign out, but
// passbot signs nobody out: it asks for a fresh sign-in (prompt=login), so
// the button says that, and without sign-in only that the reset goes on.
func (t *turn) confirm() {
	key, label := "confirm", "btn.signinagain"
	if !t.f.cfg.SignIn {
		key, label = "confirm.unverified", "btn.continue"
	}
	t.ask(stepConfirm, key, t.button(label, actSignIn, bot.Danger), t.button("btn.cancel", actCancel, bot.Default))
}

// withYou is the guide's last warning: no reset for a device not at hand.
func (t *turn) withYou() {
	t.ask(stepWithYou, "withyou", t.button("btn.yes", actYes, bot.Danger), t.button("btn.no", actNo, bot.Default))
}

// ask moves a reset that is still allowed to step, asking the question of
// key about the device, with the irreversible answer first.
func (t *turn) ask(step, key string, proceed, stop bot.Button) {
	if !t.selfService() {
		return
	}
	t.goTo(step)
	t.say(bot.Reply{Text: t.text(key, t.deviceArgs(t.c.Device)...), Buttons: []bot.Button{proceed, stop}, Replace: true})
}

func (t *turn) notWithYou() {
	d := t.c.Device
	t.goTo(stepNotWithYou)
	t.c.Request = "" // an approval was for one answer: it is spent
	text := t.text("notwithyou", t.deviceArgs(d)...) + "\n"
	var buttons []bot.Button
	key := "notwithyou.nolock"
	if d.Eligibility().RemoteLock {
		key = "notwithyou.lock"
		buttons = append(buttons, t.button("btn.lock", actLock, bot.Danger))
	}
	if t.f.cfg.NoHelpdesk {
		key += ".tell"
	} else {
		buttons = append(buttons, t.button("btn.lost", actLost, bot.Danger))
	}
	text += t.text(key)
	buttons = append(buttons, t.button("btn.close", actClose, bot.Default))
	t.say(bot.Reply{Text: text + "\n" + t.support(), Buttons: buttons, Replace: true})
}

func (t *turn) reset() {
	if !t.selfService() {
		return
	}
	verified := "unverified"
	if t.f.cfg.SignIn {
		// Only a sign-in by the device's owner in this conversation opens
		// the way here; a button press is not proof of anything.
		v := t.c.Verified
		if v == nil || !v.Owns(*t.c.Device) {
			t.say(bot.Reply{Text: t.text(bot.NoticeStale), Private: true})
			return
		}
		verified = v.UPN
	}
	d := *t.c.Device
	t.say(bot.Reply{Text: t.text("resetting", t.deviceArgs(&d)...), Replace: true})
	t.out.Commands = append(t.out.Commands, bot.Command{Op: bot.OpReset, Device: d, Request: t.c.Request, Verified: verified, Intent: t.intent(d)})
	t.end()
}

func (t *turn) askReason() {
	if t.c.Device == nil || t.c.Device.EligibilityAt(t.now).Reset != eligibility.NeedsApproval || !t.f.cfg.Approvals || t.ownerless(t.c.Device) {
		t.say(bot.Reply{Text: t.text(bot.NoticeStale), Private: true})
		return
	}
	t.goTo(stepReason)
	t.say(bot.Reply{Text: t.text("request.ask", t.deviceArgs(t.c.Device)...), Buttons: []bot.Button{t.button("btn.cancel", actCancel, bot.Default)}, Replace: true})
}

// maxReason caps the reason shown on the helpdesk card.
const maxReason = 300

func (t *turn) request(reason string) {
	reason = strings.TrimSpace(reason)
	if r := []rune(reason); len(r) > maxReason {
		reason = string(r[:maxReason]) + "…"
	}
	t.out.Commands = append(t.out.Commands, bot.Command{Op: bot.OpRequest, Device: *t.c.Device, Text: reason, Lang: t.lang()})
	t.end()
}

// approved resumes the requester's conversation at the confirmation banner
// once the helpdesk approved their request: an approval is not a sign-in,
// so the requester still proves it is them before anything is reset.
func (t *turn) approved(r *bot.Request) {
	t.end()
	d := r.Device
	t.c.Device, t.c.Request = &d, r.ID
	if r.Lang != "" {
		t.c.Lang = r.Lang
	}
	t.confirm()
	t.out.Replies[len(t.out.Replies)-1].Replace = false
}

func (t *turn) askDenyReason(r *bot.Request) {
	t.end()
	t.c.Step, t.c.Request, t.c.Expires = stepDenyReason, r.ID, t.now.Add(t.f.cfg.StepTimeout)
	name := r.Requester.Name
	if name == "" {
		name = r.Requester.UPN
	}
	t.say(bot.Reply{Text: t.text("approval.askreason", "requester", name), Private: true, Buttons: []bot.Button{
		t.button("btn.noreason", actNoReason, bot.Default),
		t.button("btn.undeny", actUndeny, bot.Danger),
	}})
}

func (t *turn) denyReason(reason string) {
	t.out.Commands = append(t.out.Commands, bot.Command{Op: bot.OpDenyReason, Request: t.c.Request, Text: strings.TrimSpace(reason)})
	t.end()
}
