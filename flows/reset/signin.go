package reset

import (
	"github.com/passbot/passbot/bot"
)

// signOut is the banner's Sign out: the guide signs the person out and has
// them sign in again within five minutes to prove the device is theirs.
// passbot asks for that sign-in for real, through a one-time link; without
// sign-in configured it goes straight to the last warning.
func (t *turn) signOut() {
	if !t.f.cfg.SignIn {
		t.withYou()
		return
	}
	if !t.selfService() {
		return
	}
	t.c.Step, t.c.Expires = stepVerify, t.now.Add(t.f.cfg.SignInTTL)
	t.c.Verified = nil
	t.out.Commands = append(t.out.Commands, bot.Command{Op: bot.OpSignIn, Device: *t.c.Device, Lang: t.lang()})
}

// signInLink shows the link privately: whoever has it can sign in for the
// conversation, though only the device's owner gets through.
func (t *turn) signInLink(s bot.SignIn) {
	if t.c.Step != stepVerify || t.c.Device == nil {
		return
	}
	t.c.SignIn = s.ID
	upn := s.Device.OwnerUPN
	if upn == "" {
		upn = t.c.Owner.UPN
	}
	text := t.text("signin.link", append(t.deviceArgs(t.c.Device), "link", s.URL, "upn", upn)...)
	t.say(bot.Reply{Text: text, Buttons: []bot.Button{t.button("btn.cancel", actCancel, bot.Default)}, Private: true, Replace: true})
}

// signedIn carries on after the sign-in: on to the device-with-you check
// when the device's owner signed in; otherwise back to the banner for
// another try, except after someone else signed in, which ends it.
func (t *turn) signedIn(r *bot.SignInResult) {
	if t.c.Step != stepVerify || t.c.Device == nil {
		return
	}
	args := append(t.deviceArgs(t.c.Device), "upn", r.Identity.UPN)
	t.c.SignIn = ""
	switch r.Outcome {
	case bot.SignInOK:
		t.c.Verified = &r.Identity
		t.say(bot.Reply{Text: t.text("signin.ok", args...)})
		t.withYou()
		t.out.Replies[len(t.out.Replies)-1].Replace = false
	case bot.SignInMismatch:
		t.end()
		t.say(bot.Reply{Text: t.text("signin.mismatch", args...) + "\n" + t.support()})
	default:
		t.say(bot.Reply{Text: t.text("signin."+r.Outcome, args...)})
		t.confirm()
		t.out.Replies[len(t.out.Replies)-1].Replace = false
	}
}
