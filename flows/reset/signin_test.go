package reset

import (
	"slices"
	"strings"
	"testing"

	"github.com/passbot/passbot/bot"
)

// toSignIn walks to the sign-in step of the Galaxy S7 and gets its link.
func toSignIn(t *testing.T, lang string) *session {
	t.Helper()
	s := start(t, lang, devices["android6"])
	s.press(actReset, "")
	s.press(actSignIn, "")
	s.result(bot.CommandResult{Command: s.out.Commands[0], SignIn: bot.SignIn{ID: "L1", URL: "http://127.0.0.1:8080/signin/L1"}})
	return s
}

func TestARefusedSignInResetsNothing(t *testing.T) {
	cases := []struct {
		outcome, lang string
		want          []string
		again         bool // the banner comes back for another try
	}{
		{bot.SignInMismatch, "en", []string{"You signed in as mallory@contoso.com", "belongs to another account", "Nothing was reset", "helpdesk@contoso.com"}, false},
		{bot.SignInMismatch, "nl", []string{"aangemeld als mallory@contoso.com", "hoort bij een ander account", "niets opnieuw ingesteld"}, false},
		{bot.SignInExpired, "en", []string{"That sign-in link for Galaxy S7 expired", "Nothing was reset", "Press Sign in again"}, true},
		{bot.SignInExpired, "nl", []string{"is verlopen", "Druk op Opnieuw aanmelden"}, true},
		{bot.SignInReused, "en", []string{"opened a second time", "no longer works"}, true},
		{bot.SignInDenied, "en", []string{"The sign-in was cancelled"}, true},
		{bot.SignInDenied, "nl", []string{"De aanmelding is geannuleerd"}, true},
		{bot.SignInInvalid, "en", []string{"could not verify that sign-in"}, true},
		{bot.SignInStale, "en", []string{"was not fresh", "within 5 minutes"}, true},
		{bot.SignInFailed, "nl", []string{"De aanmelding is niet gelukt"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.outcome+"/"+tc.lang, func(t *testing.T) {
			s := toSignIn(t, tc.lang)
			s.signedIn(tc.outcome, bot.Identity{UPN: "mallory@contoso.com", OID: "other"})
			if len(s.out.Commands) != 0 || s.c.Verified != nil || s.c.SignIn != "" {
				t.Fatalf("commands %+v verified %+v link %q", s.out.Commands, s.c.Verified, s.c.SignIn)
			}
			wantText(t, s.out.Replies[0].Text, tc.want...)
			if !tc.again {
				if s.c.Step != "" || len(s.out.Replies) != 2 {
					t.Fatalf("step %q replies %+v: a sign-in by someone else ends the conversation, and the helpdesk hears of it", s.c.Step, s.out.Replies)
				}
				// Who asked, for which device, which account signed in:
				// in the helpdesk's language (English by default).
				if n := s.out.Replies[1]; n.Audience != bot.ToHelpdesk {
					t.Errorf("second reply %+v, want a notice to the helpdesk", n)
				}
				wantText(t, s.out.Replies[1].Text, "Sign-in by another account than the device's owner", "Asked by: adele.vance@contoso.com (console:u1)",
					"Device: Galaxy S7, Android 6.0.1", "Signed in as: mallory@contoso.com (object ID other)", "Nothing was reset")
				return
			}
			if len(s.out.Replies) == 0 || s.out.Replies[len(s.out.Replies)-1].Audience == bot.ToHelpdesk {
				t.Errorf("replies %+v: only a sign-in by someone else reaches the helpdesk", s.out.Replies)
			}
			if s.c.Step != stepConfirm || len(s.out.Replies) != 2 || !slices.Equal(actions(s.out.Replies[1]), []string{"signout", "cancel"}) {
				t.Fatalf("step %q replies %+v: want the banner again", s.c.Step, s.out.Replies)
			}
			// The next Sign in again asks for a new link.
			s.press(actSignIn, "")
			if len(s.out.Commands) != 1 || s.out.Commands[0].Op != bot.OpSignIn {
				t.Errorf("second Sign in again: commands %+v", s.out.Commands)
			}
		})
	}
}

// Only the sign-in moves the conversation on: not a forged Yes, not a
// sign-in for another link or by someone who does not own the device.
func TestNoResetWithoutTheOwnersSignIn(t *testing.T) {
	t.Run("Yes while waiting for the sign-in", func(t *testing.T) {
		s := toSignIn(t, "en")
		s.press(actYes, "")
		if len(s.out.Commands) != 0 || s.c.Step != stepVerify {
			t.Errorf("commands %+v step %q", s.out.Commands, s.c.Step)
		}
	})
	t.Run("Yes at the with-you step without a sign-in", func(t *testing.T) {
		s := toSignIn(t, "en")
		s.c.Step = stepWithYou
		s.press(actYes, "")
		if len(s.out.Commands) != 0 {
			t.Errorf("commands %+v", s.out.Commands)
		}
	})
	t.Run("a sign-in kept from another device", func(t *testing.T) {
		s := toSignIn(t, "en")
		s.signedIn(bot.SignInOK, bot.Identity{OID: ownerOID, UPN: owner})
		other := devices["ios"]
		other.OwnerID, other.OwnerUPN = "7a9e3d2c-1b4f-4e8a-b6c5-0d1e2f3a4b5c", "lieke.devries@contoso.com"
		s.c.Device = &other
		s.press(actYes, "")
		if len(s.out.Commands) != 0 {
			t.Errorf("commands %+v", s.out.Commands)
		}
	})
	t.Run("a result for a conversation not waiting for it", func(t *testing.T) {
		s := start(t, "en", devices["android6"])
		s.signedIn(bot.SignInOK, bot.Identity{OID: ownerOID, UPN: owner})
		if len(s.out.Replies) != 0 || s.c.Step != stepCard || s.c.Verified != nil {
			t.Errorf("replies %+v step %q verified %+v", s.out.Replies, s.c.Step, s.c.Verified)
		}
	})
}

func TestWithoutSignInTheResetIsAuditedUnverified(t *testing.T) {
	s := start(t, "en", devices["android6"])
	s.f = New(Config{SignIn: false})
	s.press(actReset, "")
	r := s.reply()
	if r.Text != "Reset the passcode of Galaxy S7?" {
		t.Errorf("banner %q: without a sign-in it promises none", r.Text)
	}
	s.press(actSignIn, "")
	wantText(t, s.reply().Text, "Do you have Galaxy S7 with you?")
	s.press(actYes, "")
	if len(s.out.Commands) != 1 || s.out.Commands[0].Verified != "unverified" {
		t.Errorf("commands %+v, want a reset audited as unverified", s.out.Commands)
	}
}

func TestOwnership(t *testing.T) {
	d := bot.DeviceRef{OwnerID: ownerOID, OwnerUPN: owner}
	cases := []struct {
		name string
		id   bot.Identity
		d    bot.DeviceRef
		want bool
	}{
		{"same object ID", bot.Identity{OID: "4F2B6C1E-8D3A-4C55-9A6E-1B2C3D4E5F60", UPN: "renamed@contoso.com"}, d, true},
		{"same UPN, other object ID", bot.Identity{OID: "other", UPN: owner}, d, false},
		{"no object ID in the token", bot.Identity{UPN: owner}, d, false},
		// preferred_username is for display, never for a decision.
		{"the same UPN where Intune names no object ID", bot.Identity{OID: ownerOID, UPN: owner}, bot.DeviceRef{OwnerUPN: owner}, false},
		{"a device with no owner", bot.Identity{}, bot.DeviceRef{}, false},
	}
	for _, tc := range cases {
		if got := tc.id.Owns(tc.d); got != tc.want {
			t.Errorf("%s: Owns = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// A chat account with no company account (an unlinked Discord user) may
// sign in once to link it: that lists the devices of whoever signed in, and
// still vouches for no reset.
func TestSigningInLinksAnUnknownChatAccount(t *testing.T) {
	for _, lang := range []string{"en", "nl"} {
		t.Run(lang, func(t *testing.T) {
			s := &session{t: t, f: newFlow(), now: t0, c: &bot.Conversation{ID: "c", Lang: lang, Owner: bot.User{Platform: bot.Discord, ID: "D1"}}}
			s.text(trigger[lang])
			r := s.reply()
			wantText(t, r.Text, map[string]string{"en": "Sign in once with your work account", "nl": "Meld u één keer aan met uw werkaccount"}[lang])
			if !slices.Equal(actions(r), []string{actLink, "cancel"}) || s.c.Step != stepLink {
				t.Fatalf("actions %q step %q", actions(r), s.c.Step)
			}
			s.c.ID = "c"
			s.press(actLink, "")
			if len(s.out.Commands) != 1 || s.out.Commands[0].Op != bot.OpSignIn || s.out.Commands[0].Device.ID != "" {
				t.Fatalf("commands %+v, want a sign-in for no device", s.out.Commands)
			}
			s.result(bot.CommandResult{Command: s.out.Commands[0], SignIn: bot.SignIn{ID: "L1", URL: "http://127.0.0.1:8080/signin/L1"}})
			if r := s.reply(); !r.Private || !strings.Contains(r.Text, "http://127.0.0.1:8080/signin/L1") {
				t.Fatalf("link reply %+v", r)
			}
			s.signedIn(bot.SignInOK, bot.Identity{UPN: owner, OID: ownerOID, AuthTime: t0})
			if len(s.out.Replies) != 2 {
				t.Fatalf("replies %+v, want the person's and the helpdesk's", s.out.Replies)
			}
			wantText(t, s.out.Replies[0].Text, map[string]string{"en": "You signed in as adele.vance@contoso.com. I will use this account", "nl": "U bent aangemeld als adele.vance@contoso.com. Ik gebruik dit account"}[lang])
			// A first link is what a forwarded sign-in link would make: the
			// helpdesk hears of it (in its own language, English here).
			if n := s.out.Replies[1]; n.Audience != bot.ToHelpdesk {
				t.Errorf("second reply %+v, want a notice to the helpdesk", n)
			}
			wantText(t, s.out.Replies[1].Text, "Chat account linked to a work account", "Chat account: D1 (discord:D1)", "Signed in as: adele.vance@contoso.com (object ID "+ownerOID+")")
			// The devices are found by the object ID from now on.
			if len(s.out.Commands) != 1 || s.out.Commands[0].Op != bot.OpList || s.c.Owner.OID != ownerOID || s.c.Owner.UPN != owner || s.c.Verified != nil {
				t.Fatalf("commands %+v owner %+v verified %+v: want the devices of the account, and no verified reset", s.out.Commands, s.c.Owner, s.c.Verified)
			}
		})
	}
	t.Run("a token without an object ID links nothing", func(t *testing.T) {
		s := &session{t: t, f: newFlow(), now: t0, c: &bot.Conversation{ID: "c", Owner: bot.User{Platform: bot.Discord, ID: "D1"}}}
		s.text(trigger["en"])
		s.c.ID = "c"
		s.press(actLink, "")
		s.result(bot.CommandResult{Command: s.out.Commands[0], SignIn: bot.SignIn{ID: "L1", URL: "http://127.0.0.1:8080/signin/L1"}})
		s.signedIn(bot.SignInOK, bot.Identity{UPN: owner, AuthTime: t0})
		if len(s.out.Replies) == 0 {
			t.Fatal("no reply")
		}
		wantText(t, s.out.Replies[0].Text, "could not verify that sign-in")
		if len(s.out.Commands) != 0 || s.c.Owner.UPN != "" || s.c.Step != stepLink {
			t.Errorf("commands %+v owner %+v step %q, want nothing linked and the sign-in offered again", s.out.Commands, s.c.Owner, s.c.Step)
		}
		for _, r := range s.out.Replies {
			if r.Audience == bot.ToHelpdesk {
				t.Errorf("helpdesk told of a link that was not made: %q", r.Text)
			}
		}
	})
	t.Run("without the sign-in, support has to link it", func(t *testing.T) {
		f := New(Config{})
		out := f.Step(&bot.Conversation{Owner: bot.User{Platform: bot.Discord, ID: "D1"}}, bot.Input{Kind: bot.Text, Text: "reset my passcode"}, t0)
		if len(out.Replies) != 1 || len(out.Replies[0].Buttons) != 0 || !strings.Contains(out.Replies[0].Text, "Ask your company support to link") {
			t.Errorf("replies %+v", out.Replies)
		}
	})
}

// A platform that vouches for the person's Entra object ID (Teams) needs
// no UPN and no linking sign-in: the devices are listed by the object ID.
func TestAnObjectIDListsTheDevicesWithoutAUPN(t *testing.T) {
	f := New(Config{SignIn: true})
	c := &bot.Conversation{Owner: bot.User{Platform: "teams", ID: "oid-1", OID: "oid-1"}}
	out := f.Step(c, bot.Input{Kind: bot.Text, Text: "reset my passcode"}, t0)
	if len(out.Commands) != 1 || out.Commands[0].Op != bot.OpList || c.Step == stepLink {
		t.Fatalf("commands %+v step %q: want the device list", out.Commands, c.Step)
	}
}

// A result read back later may hold no passcode (a reset recovered after a
// crash, the demo fleet's status read): the answer says where to find it,
// never an empty passcode.
func TestAResetReadBackWithoutItsPasscodeSaysWhereItIs(t *testing.T) {
	for lang, want := range map[string]string{"en": "cannot show its temporary passcode here", "nl": "kan de tijdelijke wachtwoordcode hier niet tonen"} {
		s := start(t, lang, devices["android6"])
		d := devices["android6"]
		s.result(bot.CommandResult{Command: bot.Command{Op: bot.OpResetStatus, Device: d, Attempt: 1}, Reset: bot.ResetResult{State: bot.ActionDone}})
		if got := s.out.Replies[0].Text; !strings.Contains(got, want) || strings.Contains(got, "is: \n") {
			t.Errorf("%s: %q", lang, got)
		}
	}
}

func TestCloseSaysClosed(t *testing.T) {
	for lang, want := range map[string]string{"en": "Closed.", "nl": "Gesloten."} {
		s := toSignIn(t, lang)
		s.signedIn(bot.SignInOK, bot.Identity{OID: ownerOID, UPN: owner})
		s.press(actNo, "")
		s.press(actClose, "")
		if r := s.reply(); r.Text != want || !r.Replace || s.c.Step != "" {
			t.Errorf("%s: Close answered %+v, step %q", lang, r, s.c.Step)
		}
	}
}

// A device for which Intune names no user (userId empty) cannot be proven
// anyone's by a sign-in: with the sign-in on it goes to the helpdesk, even
// where its UPN is the person's; without the sign-in nothing is proven
// anyway, and it stays as its kind has it.
func TestADeviceWithoutAnOwnerObjectIDGoesToTheHelpdesk(t *testing.T) {
	for lang, want := range map[string]string{"en": "Intune names no user for Galaxy S7", "nl": "Intune noemt geen gebruiker voor Galaxy S7"} {
		s := start(t, lang, devices["android6"], devices["ios"])
		s.c.Devices[0].OwnerID = "" // as Graph lists a device with an empty userId
		s.press(actDevice, "0")
		r := s.reply()
		wantText(t, r.Text, want, "helpdesk@contoso.com")
		if slices.Contains(actions(r), actReset) || slices.Contains(actions(r), actRequest) {
			t.Errorf("%s: card buttons %q offer a reset", lang, actions(r))
		}
		// A Reset Passcode button kept from before is not proof either.
		s.press(actReset, "")
		if s.c.Step != stepCard || len(s.out.Commands) != 0 {
			t.Errorf("%s: a forged Reset press moved to step %q with %+v", lang, s.c.Step, s.out.Commands)
		}
	}
	s := startWith(t, New(Config{Support: "helpdesk@contoso.com"}), "en", devices["android6"], devices["ios"])
	s.c.Devices[0].OwnerID = ""
	s.press(actDevice, "0")
	if r := s.reply(); !slices.Contains(actions(r), actReset) {
		t.Errorf("without the sign-in: card %q, want Reset Passcode", actions(r))
	}
}
