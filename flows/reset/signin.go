package reset

import (
	"strings"

	"github.com/passbot/passbot/bot"
)

// signInAgain is the banner's Sign in again: the Company Portal signs the
// person out and has them sign back in within five minutes to prove the
// device is theirs
// (https://learn.microsoft.com/intune/user-help/device-actions/reset-passcode-company-portal-website,
// ms.date 02/04/2025, step 4: "You must sign back in to confirm your
// identity. This step prevents malicious attempts to reset your device
// passcode."). passbot asks for that sign-in for real, through a one-time
// link; without sign-in configured it goes straight to the last warning.
func (t *turn) signInAgain() {
	if !t.f.cfg.SignIn {
		t.withYou()
		return
	}
	if !t.selfService() {
		return
	}
	t.waitForSignIn()
	t.out.Commands = append(t.out.Commands, bot.Command{Op: bot.OpSignIn, Device: *t.c.Device, Lang: t.lang()})
}

// unknownUser answers a person whose chat account names no company account
// (Discord, or a Slack profile without an e-mail): with the sign-in on,
// they may sign in once to link it themselves.
func (t *turn) unknownUser() {
	if !t.f.cfg.SignIn {
		t.say(bot.Reply{Text: t.text("devices.nouser")})
		return
	}
	t.goTo(stepLink)
	t.say(bot.Reply{Text: t.text("devices.nouser.signin"), Buttons: []bot.Button{
		t.button("btn.signin", actLink, bot.Primary), t.button("btn.cancel", actCancel, bot.Default)}})
}

// linkSignIn asks for a sign-in that proves which company account the
// chat account belongs to. It vouches for no reset: one still needs the
// device owner's own sign-in.
func (t *turn) linkSignIn() {
	t.c.Device = nil
	t.waitForSignIn()
	t.out.Commands = append(t.out.Commands, bot.Command{Op: bot.OpSignIn, Lang: t.lang()})
}

// waitForSignIn waits for a sign-in as long as any step waits, though the
// link expires sooner (SignInTTL): a link opened late then reaches a
// conversation that still waits, which says the link expired and offers a
// new one, rather than one that has gone.
func (t *turn) waitForSignIn() {
	t.c.Step, t.c.Verified = stepVerify, nil
	t.c.Expires = t.now.Add(max(t.f.cfg.StepTimeout, t.f.cfg.SignInTTL))
}

// signInLink shows the link privately: whoever has it can sign in for the
// conversation, though only the device's owner gets through. Sign in again
// gives a new link: the browser may have been refused this one (a spent or
// forged answer from the provider) and can tell nobody but its user.
func (t *turn) signInLink(s bot.SignIn) {
	if t.c.Step != stepVerify {
		return
	}
	t.c.SignIn = s.ID
	if t.c.Device == nil {
		t.say(bot.Reply{Text: t.text("signin.link.account", "link", s.URL, "ttl", t.ttl()), Private: true, Replace: true,
			Buttons: []bot.Button{t.button("btn.signinagain", actLink, bot.Default), t.button("btn.cancel", actCancel, bot.Default)}})
		return
	}
	text := t.text("signin.link", append(t.deviceArgs(t.c.Device), "link", s.URL, "upn", bot.SignIn{Owner: t.c.Owner, Device: *t.c.Device}.ExpectedUPN())...)
	t.say(bot.Reply{Text: text, Private: true, Replace: true,
		Buttons: []bot.Button{t.button("btn.signinagain", actSignIn, bot.Default), t.button("btn.cancel", actCancel, bot.Default)}})
}

// linked carries on after a sign-in that linked the chat account: the
// devices of the account it proved, found by its object ID. Linking a chat
// account to a company account it did not name before is what a sign-in
// link forwarded to a colleague would do, so the helpdesk hears of it.
func (t *turn) linked(r *bot.SignInResult) {
	t.c.SignIn = ""
	outcome := r.Outcome
	if outcome == bot.SignInOK && r.Identity.OID == "" {
		outcome = bot.SignInInvalid // a token without oid names nobody to link
	}
	if outcome != bot.SignInOK {
		// Nothing was linked; the way to a link stays open.
		t.say(bot.Reply{Text: t.text("signin."+outcome, "ttl", t.ttl(), "name", t.text("signin.account"), "upn", r.Identity.UPN), Replace: true})
		t.unknownUser()
		return
	}
	t.say(bot.Reply{Text: t.text("signin.linked", "upn", r.Identity.UPN), Replace: true})
	if !strings.EqualFold(t.c.Owner.OID, r.Identity.OID) {
		t.tellHelpdesk(t.hd("signin.linked.notice", "requester", t.requester(), "account", t.c.Owner.Key(),
			"upn", r.Identity.UPN, "oid", r.Identity.OID, "time", utc(t.now)))
	}
	t.c.Owner = bot.Account{OID: r.Identity.OID, UPN: r.Identity.UPN}.Of(t.c.Owner)
	t.out.Commands = append(t.out.Commands, bot.Command{Op: bot.OpList})
}

// signedIn carries on after the sign-in (its first reply, and linked's,
// takes the place of the sign-in link's message, whose buttons are over): on to the device-with-you check
// when the device's owner signed in; otherwise back to the banner for
// another try, except after someone else signed in, which ends it.
func (t *turn) signedIn(r *bot.SignInResult) {
	if t.c.Step != stepVerify {
		return
	}
	if t.c.Device == nil {
		t.linked(r)
		return
	}
	args := append(t.deviceArgs(t.c.Device), "upn", r.Identity.UPN)
	t.c.SignIn = ""
	switch r.Outcome {
	case bot.SignInOK:
		t.c.Verified = &r.Identity
		t.say(bot.Reply{Text: t.text("signin.ok", args...), Replace: true})
		t.withYou()
		t.out.Replies[len(t.out.Replies)-1].Replace = false
	case bot.SignInMismatch:
		t.say(bot.Reply{Text: t.text("signin.mismatch", args...) + "\n" + t.support(), Replace: true})
		t.mismatchNotice(r)
		t.end()
	default:
		t.say(bot.Reply{Text: t.text("signin."+r.Outcome, args...), Replace: true})
		t.confirm()
		t.out.Replies[len(t.out.Replies)-1].Replace = false
	}
}

// mismatchNotice tells the helpdesk that someone else than the owner of
// the conversation's device signed in on its link.
func (t *turn) mismatchNotice(r *bot.SignInResult) {
	d := t.c.Device
	t.tellHelpdesk(t.hd("signin.mismatch.notice", "requester", t.requester(), "account", t.c.Owner.Key(),
		"name", d.Name, "platform", t.hd("kind."+string(d.Kind)), "version", d.OSVersion,
		"upn", r.Identity.UPN, "oid", r.Identity.OID, "time", utc(t.now)))
}

// lateSignIn: someone else than the device's owner signed in on a link
// whose conversation had moved on. Nothing was at stake any more, but the
// link reached someone it was not for: the helpdesk hears of it as of one
// in time.
func (t *turn) lateSignIn(r *bot.SignInResult) {
	if r.Outcome == bot.SignInMismatch && r.Device.ID != "" {
		t.c.Device = &r.Device
		t.mismatchNotice(r)
	}
}

// ownerless reports a device for which Intune names no primary user's
// object ID (Graph's managedDevice userId,
// https://learn.microsoft.com/graph/api/resources/intune-devices-manageddevice):
// no sign-in can prove it anyone's (bot.Identity.Owns), so with the sign-in
// on the helpdesk resets it, not the chat.
func (t *turn) ownerless(d *bot.DeviceRef) bool { return t.f.cfg.SignIn && d != nil && d.OwnerID == "" }
