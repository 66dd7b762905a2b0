package reset

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/bot/eligibility"
)

// help lists the helpdesk's commands to approvers only: an employee cannot
// use them.
func TestHelpListsHelpdeskCommandsToApproversOnly(t *testing.T) {
	for _, lang := range []string{"en", "nl"} {
		for _, approver := range []bool{false, true} {
			c := &bot.Conversation{ID: "x", Lang: lang, Owner: bot.User{ID: "u", UPN: owner, Approver: approver}}
			out := newFlow().Step(c, bot.Input{Kind: bot.Text, Text: "help"}, t0)
			text := out.Replies[0].Text
			if strings.Contains(text, "pending") != approver || strings.Contains(text, "audit") != approver {
				t.Errorf("%s, approver %v: help %q", lang, approver, text)
			}
		}
	}
}

// status names the open step of this chat, not a "request", which is the
// helpdesk's word.
func TestStatusCallsAnOpenStepWhatItIs(t *testing.T) {
	for lang, want := range map[string]string{"en": "Still open in this chat: Galaxy S7, choosing an action.", "nl": "Nog open in deze chat: Galaxy S7, actie kiezen."} {
		s := start(t, lang, devices["android6"])
		s.result(bot.CommandResult{Command: bot.Command{Op: bot.OpStatus}})
		text := s.reply().Text
		wantText(t, text, want)
		if strings.Contains(text, "request") || strings.Contains(text, "aanvraag") {
			t.Errorf("%s: status %q speaks of a request", lang, text)
		}
	}
	s := start(t, "en", devices["android6"], devices["ios"])
	s.result(bot.CommandResult{Command: bot.Command{Op: bot.OpStatus}})
	wantText(t, s.reply().Text, "Still open in this chat: choosing a device.")
}

func TestAnUnknownPlatformIsCapitalisedInTheList(t *testing.T) {
	odd := bot.DeviceRef{ID: "x1", Name: "Gadget", Kind: eligibility.Unknown}
	for lang, want := range map[string]string{"en": "Gadget (Unknown platform)", "nl": "Gadget (Onbekend platform)"} {
		s := start(t, lang, odd, devices["ios"])
		if got := labels(s.reply()); got[0] != want {
			t.Errorf("%s: label %q, want %q", lang, got[0], want)
		}
	}
}

// Every device card offers a lost report, not only the answer No after a
// reset was started; the helpdesk hears of it at once.
func TestEveryCardReportsALostDevice(t *testing.T) {
	for _, name := range []string{"macos", "windowspc", "android10", "company"} {
		t.Run(name, func(t *testing.T) {
			s := start(t, "en", devices[name])
			if got := actions(s.reply()); !slices.Contains(got, actLost) {
				t.Fatalf("card actions %q lack Report it lost", got)
			}
			s.press(actLost, "")
			if len(s.out.Commands) != 1 || s.out.Commands[0].Op != bot.OpReportLost || s.out.Commands[0].Device.ID != devices[name].ID {
				t.Fatalf("Report it lost ran %+v", s.out.Commands)
			}
			s.result(bot.CommandResult{Command: s.out.Commands[0]})
			if len(s.out.Replies) != 2 || s.out.Replies[0].Audience != bot.ToHelpdesk {
				t.Fatalf("replies %+v, want the helpdesk notice and the owner's", s.out.Replies)
			}
		})
	}
	s := startWith(t, New(Config{Support: "helpdesk@contoso.com", NoHelpdesk: true}), "en", devices["macos"])
	if got := actions(s.reply()); slices.Contains(got, actLost) {
		t.Errorf("without a helpdesk channel the card offers %q", got)
	}
}

// Times are the person's local time where the platform tells their zone,
// and say which zone; UTC otherwise.
func TestTimesAreInThePersonsZone(t *testing.T) {
	cases := []struct{ tz, want string }{
		{"Europe/Amsterdam", "2026-11-25 09:00 CET"},
		{"America/New_York", "2026-11-25 03:00 EST"},
		{"Asia/Kolkata", "2026-11-25 13:30 IST"},
		{"Asia/Dubai", "2026-11-25 12:00 UTC+04:00"},
		{"", "2026-11-25 08:00 UTC"},
		{"Not/AZone", "2026-11-25 08:00 UTC"},
	}
	for _, tc := range cases {
		t.Run(tc.tz, func(t *testing.T) {
			d := devices["ios"]
			d.LastSync = t0.Add(-time.Hour)
			s := &session{t: t, f: newFlow(), now: t0, c: &bot.Conversation{ID: "c", Owner: bot.User{ID: "u", UPN: owner, TZ: tc.tz}}}
			s.text("reset my passcode")
			s.c.ID = "conv"
			d.OwnerID = ownerOID
			s.result(bot.CommandResult{Command: bot.Command{Op: bot.OpList}, Devices: []bot.DeviceRef{d}})
			wantText(t, s.reply().Text, "Last check-in with Intune: "+tc.want+" (1 hour ago).")
		})
	}
}

// A limit that lifts within the minute says so, never "in 0 minutes".
func TestALimitLiftingSoonSaysLessThanAMinute(t *testing.T) {
	for lang, want := range map[string]string{"en": "(in less than a minute)", "nl": "(binnen een minuut)"} {
		s := start(t, lang, devices["android6"], devices["ios"])
		s.press(actDevice, "0")
		limit := &bot.Error{Code: bot.ErrCodeRateLimited, Err: &bot.LimitError{RetryAt: t0.Add(20 * time.Second)}}
		s.result(bot.CommandResult{Command: bot.Command{Op: bot.OpCheckLimits, Device: *s.c.Device}, Err: limit})
		text := s.reply().Text
		wantText(t, text, want, "2026-11-25 09:00 UTC")
		if strings.Contains(text, " 0 ") {
			t.Errorf("%s: %q", lang, text)
		}
	}
}

// A browser refused at the callback (a spent or forged state) can tell only
// its user "go back to the chat for a new link": the link's message has
// Sign in again, which gives one, for a reset and for linking an account.
func TestTheLinkMessageGivesANewLink(t *testing.T) {
	s := start(t, "en", devices["android6"])
	s.press(actReset, "")
	s.press(actSignIn, "")
	s.result(bot.CommandResult{Command: s.out.Commands[0], SignIn: bot.SignIn{ID: "L1", URL: "http://127.0.0.1:8080/signin/L1"}})
	if got := labels(s.reply()); !slices.Equal(got, []string{"Sign in again", "Cancel"}) {
		t.Fatalf("link buttons %q", got)
	}
	s.press(actSignIn, "")
	if len(s.out.Commands) != 1 || s.out.Commands[0].Op != bot.OpSignIn || s.c.Step != stepVerify {
		t.Fatalf("Sign in again at the link: commands %+v step %q, want a new link", s.out.Commands, s.c.Step)
	}

	c := &bot.Conversation{ID: "x", Owner: bot.User{ID: "u"}}
	f := newFlow()
	f.Step(c, bot.Input{Kind: bot.Text, Text: "reset my passcode"}, t0)
	f.Step(c, bot.Input{Kind: bot.Pressed, Action: actLink}, t0)
	out := f.Step(c, bot.Input{Kind: bot.Result, Result: &bot.CommandResult{Command: bot.Command{Op: bot.OpSignIn}, SignIn: bot.SignIn{ID: "L2", URL: "http://127.0.0.1:8080/signin/L2"}}}, t0)
	if got := actions(out.Replies[0]); !slices.Equal(got, []string{actLink, actCancel}) {
		t.Fatalf("account link buttons %q", got)
	}
	out = f.Step(c, bot.Input{Kind: bot.Pressed, Action: actLink}, t0)
	if len(out.Commands) != 1 || out.Commands[0].Op != bot.OpSignIn {
		t.Fatalf("Sign in again at the account link: %+v", out.Commands)
	}
}

// A link to link the chat account, opened late, says for what it was.
func TestAnExpiredAccountLinkSaysWhatItWasFor(t *testing.T) {
	for lang, want := range map[string]string{"en": "That sign-in link for linking your work account expired", "nl": "Die aanmeldlink voor het koppelen van uw werkaccount is verlopen"} {
		c := &bot.Conversation{ID: "x", Lang: lang, Owner: bot.User{ID: "u"}}
		f := newFlow()
		f.Step(c, bot.Input{Kind: bot.Text, Text: "reset"}, t0)
		f.Step(c, bot.Input{Kind: bot.Pressed, Action: actLink}, t0)
		f.Step(c, bot.Input{Kind: bot.Result, Result: &bot.CommandResult{Command: bot.Command{Op: bot.OpSignIn}, SignIn: bot.SignIn{ID: "L1"}}}, t0)
		r := bot.SignInResult{SignIn: bot.SignIn{ID: "L1", Conv: c.ID}, Outcome: bot.SignInExpired}
		out := f.Step(c, bot.Input{Kind: bot.SignedIn, SignIn: &r}, t0)
		wantText(t, out.Replies[0].Text, want)
	}
}
