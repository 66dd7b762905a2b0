package reset

import (
	"strings"
	"testing"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/bot/eligibility"
)

// What passbot tells people about Intune, checked against Microsoft's pages
// (the citations are next to the code that says it).

// passbot signs nobody out: the banner's button asks for a fresh sign-in,
// and says neither where no sign-in is configured.
func TestTheBannerButtonSaysWhatItDoes(t *testing.T) {
	cases := []struct {
		name, lang string
		signIn     bool
		label      string
	}{
		{"with sign-in", "en", true, "Sign in again"},
		{"with sign-in", "nl", true, "Opnieuw aanmelden"},
		{"without sign-in", "en", false, "Continue"},
		{"without sign-in", "nl", false, "Doorgaan"},
	}
	for _, tc := range cases {
		t.Run(tc.name+"/"+tc.lang, func(t *testing.T) {
			s := startWith(t, New(Config{Support: "helpdesk@contoso.com", SignIn: tc.signIn}), tc.lang, devices["android6"])
			s.press(actReset, "")
			r := s.reply()
			if r.Buttons[0].Label != tc.label {
				t.Errorf("banner button %q, want %q", r.Buttons[0].Label, tc.label)
			}
			text := strings.ToLower(r.Text + " " + r.Buttons[0].Label)
			for _, never := range []string{"sign out", "afmeld", "meldt u zich hier af"} {
				if strings.Contains(text, never) {
					t.Errorf("banner %q speaks of signing out", text)
				}
			}
			if !tc.signIn && (strings.Contains(text, "sign in") || strings.Contains(text, "aanmeld")) {
				t.Errorf("banner %q speaks of a sign-in that is not asked for", text)
			}
			s.press(r.Buttons[0].Action, "")
			if tc.signIn && s.c.Step != stepVerify || !tc.signIn && s.c.Step != stepWithYou {
				t.Errorf("after %q the step is %q", tc.label, s.c.Step)
			}
		})
	}
}

// The temporary passcode is in the Company Portal only where the Company
// Portal offers the reset; on the kinds Intune's reset page lists, the
// helpdesk reads it in the admin center for seven days.
func TestWhereTheTemporaryPasscodeIs(t *testing.T) {
	portal := map[string]string{"en": "in the Company Portal", "nl": "in de Bedrijfsportal"}
	admin := map[string]string{"en": "in the Intune admin center for seven days", "nl": "zeven dagen lang in het Intune-beheercentrum"}
	cases := []struct {
		d      bot.DeviceRef
		portal bool
	}{
		{devices["android6"], true},
		{devices["w10m"], true},
		{devices["workprof"], false},
		{devices["dedicated"], false},
		{bot.DeviceRef{ID: "ao", Name: "RealWear", Kind: eligibility.AOSP, OSVersion: "11", Company: true}, false},
		{bot.DeviceRef{ID: "fm", Name: "Pixel 6", Kind: eligibility.AndroidEnterprise, OSVersion: "14", Company: true}, false},
		{bot.DeviceRef{ID: "cw", Name: "XCover", Kind: eligibility.AndroidCorporateWorkProfile, OSVersion: "14", Company: true}, false},
	}
	for _, tc := range cases {
		for _, lang := range []string{"en", "nl"} {
			t.Run(string(tc.d.Kind)+"/"+lang, func(t *testing.T) {
				want, not := admin[lang], portal[lang]
				if tc.portal {
					want, not = not, want
				}
				s := start(t, lang, tc.d)
				s.result(bot.CommandResult{Command: bot.Command{Op: bot.OpReset, Device: tc.d}, Reset: bot.ResetResult{State: bot.ActionDone, Passcode: "T3mpPass"}})
				scrub := s.out.Replies[0].Scrub
				s.result(bot.CommandResult{Command: bot.Command{Op: bot.OpResetStatus, Device: tc.d, Attempt: 1}, Reset: bot.ResetResult{State: bot.ActionDone}})
				readBack := s.out.Replies[0].Text
				for what, text := range map[string]string{"the scrubbed answer": scrub, "an answer without the passcode": readBack} {
					if !strings.Contains(text, want) || strings.Contains(text, not) {
						t.Errorf("%s %q: want %q, not %q", what, text, want, not)
					}
				}
			})
		}
	}
}

// Only the work profile's passcode changes on a work profile: its answers
// and reminder do not send the person to unlock the device.
func TestWorkProfileAnswersSpeakOfTheWorkProfile(t *testing.T) {
	never := map[string][]string{"en": {"unlock your device", "device Settings"}, "nl": {"Ontgrendel nu uw apparaat", "Instellingen op uw apparaat"}}
	want := map[string]string{"en": "temporary work profile passcode", "nl": "tijdelijke wachtwoordcode van het werkprofiel"}
	for _, lang := range []string{"en", "nl"} {
		t.Run(lang, func(t *testing.T) {
			d := devices["workprof"]
			s := start(t, lang, d)
			s.result(bot.CommandResult{Command: bot.Command{Op: bot.OpReset, Device: d}, Reset: bot.ResetResult{State: bot.ActionDone, Passcode: "T3mpPass"}})
			answer := s.out.Replies[0]
			if len(s.out.FollowUps) != 1 || s.out.FollowUps[0].Kind != FollowReminder {
				t.Fatalf("follow-ups %+v, want the reminder", s.out.FollowUps)
			}
			f := s.out.FollowUps[0]
			reminder := s.f.Step(&bot.Conversation{Lang: lang}, bot.Input{Kind: bot.Due, FollowUp: &f}, t0).Replies[0].Text
			for _, text := range []string{answer.Text, answer.Scrub, reminder} {
				wantText(t, text, want[lang])
				for _, n := range never[lang] {
					if strings.Contains(text, n) {
						t.Errorf("%q says %q", text, n)
					}
				}
			}
		})
	}
}
