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
	s.press(actDevice, "0")
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
		{bot.SignInExpired, "en", []string{"came too late", "Nothing was reset", "Press Sign in again"}, true},
		{bot.SignInExpired, "nl", []string{"kwam te laat", "Druk op Opnieuw aanmelden"}, true},
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
				if s.c.Step != "" || len(s.out.Replies) != 1 {
					t.Errorf("step %q replies %+v: a sign-in by someone else ends the conversation", s.c.Step, s.out.Replies)
				}
				return
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
		s.signedIn(bot.SignInOK, bot.Identity{UPN: owner})
		other := devices["ios"]
		other.OwnerUPN = "lieke.devries@contoso.com"
		s.c.Device = &other
		s.press(actYes, "")
		if len(s.out.Commands) != 0 {
			t.Errorf("commands %+v", s.out.Commands)
		}
	})
	t.Run("a result for a conversation not waiting for it", func(t *testing.T) {
		s := start(t, "en", devices["android6"])
		s.press(actDevice, "0")
		s.signedIn(bot.SignInOK, bot.Identity{UPN: owner})
		if len(s.out.Replies) != 0 || s.c.Step != stepCard || s.c.Verified != nil {
			t.Errorf("replies %+v step %q verified %+v", s.out.Replies, s.c.Step, s.c.Verified)
		}
	})
}

func TestWithoutSignInTheResetIsAuditedUnverified(t *testing.T) {
	s := start(t, "en", devices["android6"])
	s.f = New(Config{SignIn: false})
	s.press(actDevice, "0")
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
	d := bot.DeviceRef{OwnerID: "4f2b6c1e-8d3a-4c55-9a6e-1b2c3d4e5f60", OwnerUPN: owner}
	cases := []struct {
		name string
		id   bot.Identity
		d    bot.DeviceRef
		want bool
	}{
		{"same object ID", bot.Identity{OID: "4F2B6C1E-8D3A-4C55-9A6E-1B2C3D4E5F60", UPN: "renamed@contoso.com"}, d, true},
		{"same UPN, other object ID", bot.Identity{OID: "other", UPN: owner}, d, false},
		{"no object ID in the token", bot.Identity{UPN: owner}, d, false},
		{"UPN where Intune names no object ID", bot.Identity{UPN: "ADELE.VANCE@contoso.com"}, bot.DeviceRef{OwnerUPN: owner}, true},
		{"other UPN", bot.Identity{UPN: "lieke.devries@contoso.com"}, bot.DeviceRef{OwnerUPN: owner}, false},
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
			s.signedIn(bot.SignInOK, bot.Identity{UPN: owner, OID: "x", AuthTime: t0})
			wantText(t, s.reply().Text, map[string]string{"en": "You signed in as adele.vance@contoso.com. I will use this account", "nl": "U bent aangemeld als adele.vance@contoso.com. Ik gebruik dit account"}[lang])
			if len(s.out.Commands) != 1 || s.out.Commands[0].Op != bot.OpList || s.c.Owner.UPN != owner || s.c.Verified != nil {
				t.Fatalf("commands %+v owner %+v verified %+v: want the devices of the account, and no verified reset", s.out.Commands, s.c.Owner, s.c.Verified)
			}
		})
	}
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
		s.signedIn(bot.SignInOK, bot.Identity{UPN: owner})
		s.press(actNo, "")
		s.press(actClose, "")
		if r := s.reply(); r.Text != want || !r.Replace || s.c.Step != "" {
			t.Errorf("%s: Close answered %+v, step %q", lang, r, s.c.Step)
		}
	}
}
