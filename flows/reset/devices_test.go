package reset

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/bot/eligibility"
)

// synced is a last check-in d before t0.
func synced(d time.Duration) time.Time { return t0.Add(-d) }

const day = 24 * time.Hour

// kindCase is one kind of device in one state: what its card offers and
// says, what a done reset tells its owner, and whether it can be locked.
type kindCase struct {
	name    string
	d       bot.DeviceRef
	actions []string            // the card's buttons
	card    map[string][]string // per language, texts the card holds
	outcome map[string][]string // per language, texts of a done reset; nil: no reset path
}

var kindCases = []kindCase{
	{"Android device administrator 6.0.1, checked in an hour ago",
		bot.DeviceRef{Kind: eligibility.AndroidAdmin, OSVersion: "6.0.1", LastSync: synced(time.Hour)},
		[]string{actReset, actLost, actCancel},
		map[string][]string{"en": {"Android 6.0.1", "Last check-in with Intune: 2026-11-25 08:00 UTC (1 hour ago).",
			"Intune ended its support for this management on devices with Google Mobile Services on 31 December 2024"},
			"nl": {"Laatst gesynchroniseerd met Intune: 2026-11-25 08:00 UTC (1 uur geleden).",
				"op apparaten met Google Mobile Services op 31 december 2024 beëindigd"}},
		map[string][]string{"en": {"Your temporary passcode (letters and numbers) is: T3mpPass"}, "nl": {"Uw tijdelijke wachtwoordcode (letters en cijfers) is: T3mpPass"}}},
	{"Android device administrator, silent for 8 days: warned",
		bot.DeviceRef{Kind: eligibility.AndroidAdmin, OSVersion: "6.0.1", LastSync: synced(8*day + time.Hour)},
		[]string{actReset, actLost, actCancel},
		map[string][]string{"en": {"(8 days ago)", "has not checked in with Intune for 8 days", "only when it next connects"},
			"nl": {"(8 dagen geleden)", "al 8 dagen niet met Intune gesynchroniseerd", "pas uit als het apparaat weer verbinding maakt"}},
		map[string][]string{"en": {"temporary passcode (letters and numbers)"}, "nl": {"tijdelijke wachtwoordcode (letters en cijfers)"}}},
	{"Android device administrator, silent for 40 days: helpdesk",
		bot.DeviceRef{Kind: eligibility.AndroidAdmin, OSVersion: "6.0.1", LastSync: synced(40 * day)},
		[]string{actRequest, actLost, actCancel},
		map[string][]string{"en": {"has not checked in with Intune for 40 days", "the helpdesk decides"},
			"nl": {"al 40 dagen niet met Intune gesynchroniseerd", "het ondersteuningsteam beslist"}},
		map[string][]string{"en": {"temporary passcode (letters and numbers)"}, "nl": {"tijdelijke wachtwoordcode (letters en cijfers)"}}},
	{"Android device administrator 7.0: factory reset",
		bot.DeviceRef{Kind: eligibility.AndroidAdmin, OSVersion: "7.0", LastSync: synced(time.Hour)},
		[]string{actLost, actCancel},
		map[string][]string{"en": {"Android 7.0 and later", "factory settings"}, "nl": {"Android 7.0 en hoger", "fabrieksinstellingen"}},
		nil},
	{"personally owned work profile, Android 14",
		bot.DeviceRef{Kind: eligibility.AndroidWorkProfile, OSVersion: "14", LastSync: synced(time.Hour)},
		[]string{actRequest, actLost, actCancel},
		map[string][]string{"en": {"Android Enterprise work profile 14", "passcode of the work profile", "not the passcode of the device", "notification"},
			"nl": {"wachtwoordcode van het werkprofiel", "niet die van het apparaat zelf", "melding"}},
		map[string][]string{"en": {"The work profile passcode of Test device was reset", "temporary work profile passcode is: T3mpPass", "notification"},
			"nl": {"De wachtwoordcode van het werkprofiel op Test device is opnieuw ingesteld", "T3mpPass", "melding"}}},
	{"personally owned work profile below Android 8.0: not supported",
		bot.DeviceRef{Kind: eligibility.AndroidWorkProfile, OSVersion: "7.1.2", LastSync: synced(time.Hour)},
		[]string{actLost, actCancel},
		map[string][]string{"en": {"from Android 8.0 on", "runs Android 7.1.2"}, "nl": {"vanaf Android 8.0", "heeft Android 7.1.2"}},
		nil},
	{"corporate-owned work profile",
		bot.DeviceRef{Kind: eligibility.AndroidCorporateWorkProfile, OSVersion: "14", Company: true, LastSync: synced(time.Hour)},
		[]string{actRequest, actLock, actLost, actCancel},
		map[string][]string{"en": {"Android Enterprise corporate work profile", "company-owned", "passcode of the work profile"},
			"nl": {"Android Enterprise zakelijk werkprofiel", "bedrijfseigendom", "wachtwoordcode van het werkprofiel"}},
		map[string][]string{"en": {"work profile passcode of Test device was reset"}, "nl": {"wachtwoordcode van het werkprofiel"}}},
	{"fully managed",
		bot.DeviceRef{Kind: eligibility.AndroidEnterprise, OSVersion: "14", Company: true, LastSync: synced(time.Hour)},
		[]string{actRequest, actLock, actLost, actCancel},
		map[string][]string{"en": {"Android Enterprise 14", "passcode of the work profile"}, "nl": {"wachtwoordcode van het werkprofiel"}},
		map[string][]string{"en": {"work profile passcode of Test device was reset"}, "nl": {"wachtwoordcode van het werkprofiel"}}},
	{"dedicated: the device passcode",
		bot.DeviceRef{Kind: eligibility.AndroidDedicated, OSVersion: "13", Company: true, LastSync: synced(time.Hour)},
		[]string{actRequest, actLock, actLost, actCancel},
		map[string][]string{"en": {"Android Enterprise dedicated device 13"}, "nl": {"Android Enterprise toegewezen apparaat 13"}},
		map[string][]string{"en": {"Your temporary passcode (letters and numbers) is: T3mpPass"}, "nl": {"Uw tijdelijke wachtwoordcode (letters en cijfers) is: T3mpPass"}}},
	{"AOSP, known by its management agent",
		bot.DeviceRef{Kind: eligibility.AOSP, OSVersion: "12", Company: true, LastSync: synced(time.Hour)},
		[]string{actRequest, actLock, actLost, actCancel},
		map[string][]string{"en": {"Android (AOSP) 12"}, "nl": {"Android (AOSP) 12"}},
		map[string][]string{"en": {"temporary passcode (letters and numbers)"}, "nl": {"tijdelijke wachtwoordcode (letters en cijfers)"}}},
	{"personal iPhone",
		bot.DeviceRef{Kind: eligibility.IOS, OSVersion: "17.4", LastSync: synced(time.Hour)},
		[]string{actReset, actLock, actLost, actCancel},
		map[string][]string{"en": {"iOS/iPadOS 17.4"}, "nl": {"iOS/iPadOS 17.4"}},
		map[string][]string{"en": {"No temporary passcode was set", "Touch ID"}, "nl": {"Er is geen tijdelijke wachtwoordcode gemaakt", "Touch ID"}}},
	{"corporate-owned iPhone",
		bot.DeviceRef{Kind: eligibility.IOS, OSVersion: "17.4", Company: true, LastSync: synced(time.Hour)},
		[]string{actRequest, actLock, actLost, actCancel},
		map[string][]string{"en": {"company-owned"}, "nl": {"bedrijfseigendom"}},
		map[string][]string{"en": {"No temporary passcode was set"}, "nl": {"Er is geen tijdelijke wachtwoordcode gemaakt"}}},
	{"iOS User Enrollment",
		bot.DeviceRef{Kind: eligibility.IOSUserEnrollment, OSVersion: "17.4"},
		[]string{actLock, actLost, actCancel},
		map[string][]string{"en": {"User Enrollment", "Intune reports no check-in time", "Intune can lock it remotely, but cannot remove its passcode"},
			"nl": {"gebruikersinschrijving", "Intune meldt geen synchronisatietijd", "maar de wachtwoordcode niet verwijderen"}},
		nil},
	{"Windows 10 Mobile: Intune support ended",
		bot.DeviceRef{Kind: eligibility.Windows10Mobile, OSVersion: "10.0.15063.1868"},
		[]string{actRequest, actLost, actCancel},
		map[string][]string{"en": {"Intune no longer supports Windows 10 Mobile"}, "nl": {"Intune ondersteunt Windows 10 Mobile niet meer"}},
		map[string][]string{"en": {"(letters and numbers)", "Windows Hello"}, "nl": {"(letters en cijfers)", "Windows Hello"}}},
	{"Windows Phone 8.1, silent for two years",
		bot.DeviceRef{Kind: eligibility.WindowsPhone81, OSVersion: "8.10.15148.160", LastSync: synced(730 * day)},
		[]string{actRequest, actLost, actCancel},
		map[string][]string{"en": {"for 730 days"}, "nl": {"al 730 dagen"}},
		map[string][]string{"en": {"Your temporary passcode (numbers) is: T3mpPass"}, "nl": {"(cijfers)"}}},
	{"Windows PC",
		bot.DeviceRef{Kind: eligibility.WindowsPC, OSVersion: "10.0.22631", Company: true, LastSync: synced(time.Hour)},
		[]string{actLost, actCancel},
		map[string][]string{"en": {"cannot reset the passcode of this device (Windows)"}, "nl": {"(Windows) niet opnieuw instellen"}},
		nil},
	{"Mac",
		bot.DeviceRef{Kind: eligibility.MacOS, OSVersion: "14.4", Company: true, LastSync: synced(time.Hour)},
		[]string{actLock, actLost, actCancel},
		map[string][]string{"en": {"(macOS)"}, "nl": {"(macOS)"}},
		nil},
}

func TestEveryDeviceKindAndState(t *testing.T) {
	for _, tc := range kindCases {
		tc.d.ID, tc.d.Name = "dev", "Test device"
		for _, lang := range []string{"en", "nl"} {
			t.Run(tc.name+"/"+lang, func(t *testing.T) {
				card := pickCard(t, lang, tc.d)
				if got := actions(card); !slices.Equal(got, tc.actions) {
					t.Fatalf("card actions %q, want %q", got, tc.actions)
				}
				wantText(t, card.Text, tc.card[lang]...)
				if slices.Contains(tc.actions, actLock) {
					checkLock(t, lang, tc.d)
				}
				path := slices.Contains(tc.actions, actReset) || slices.Contains(tc.actions, actRequest)
				if !path {
					if tc.outcome != nil {
						t.Fatal("a case without a reset path has an outcome")
					}
					return
				}
				s := toWithYou(t, lang, tc.d, card)
				s.press(actYes, "")
				if len(s.out.Commands) != 1 || s.out.Commands[0].Op != bot.OpReset {
					t.Fatalf("Yes ran %+v", s.out.Commands)
				}
				s.result(bot.CommandResult{Command: s.out.Commands[0], Reset: bot.ResetResult{State: bot.ActionDone, Passcode: "T3mpPass"}})
				if r := s.out.Replies[0]; !r.Private {
					t.Error("the outcome with the passcode is not private")
				} else {
					wantText(t, r.Text, tc.outcome[lang]...)
				}
				checkLost(t, lang, tc.d, card)
			})
		}
	}
}

// pickCard lists d and picks it, returning its card.
func pickCard(t *testing.T, lang string, d bot.DeviceRef) bot.Reply {
	t.Helper()
	s := startWith(t, New(Config{Support: "helpdesk@contoso.com", Approvals: true}), lang, d)
	return s.reply()
}

// toWithYou picks d and walks to the device-with-you question: through the
// confirmation banner, or through an approved helpdesk request.
func toWithYou(t *testing.T, lang string, d bot.DeviceRef, card bot.Reply) *session {
	t.Helper()
	s := startWith(t, New(Config{Support: "helpdesk@contoso.com", Approvals: true}), lang, d)
	if slices.Contains(actions(card), actReset) {
		s.press(actReset, "")
		s.press(actSignIn, "")
	} else {
		approve(s, lang)
	}
	if s.c.Step != stepWithYou {
		t.Fatalf("step %q, want the device-with-you question", s.c.Step)
	}
	return s
}

// approve resumes s as the helpdesk's approval of a request for its device
// does, up to the device-with-you question: through the confirmation banner
// when the flow asks for it again after an approval.
func approve(s *session, lang string) {
	s.step(bot.Input{Kind: bot.Approved, Request: &bot.Request{ID: "rq1", Device: *s.c.Device, Lang: lang}})
	if s.c.Step == stepConfirm {
		s.press(actSignIn, "")
	}
}

// checkLock presses Remote Lock: it asks first, and a Mac's confirmation
// speaks of the recovery PIN.
func checkLock(t *testing.T, lang string, d bot.DeviceRef) {
	t.Helper()
	s := startWith(t, New(Config{Support: "helpdesk@contoso.com", Approvals: true}), lang, d)
	s.press(actLock, "")
	r := s.reply()
	if len(s.out.Commands) != 0 || !slices.Equal(actions(r), []string{actLockOK, actCancel}) {
		t.Fatalf("Remote Lock did not ask first: %+v, commands %+v", r, s.out.Commands)
	}
	pin := map[string]string{"en": "6-digit recovery PIN", "nl": "herstelpincode van 6 cijfers"}[lang]
	if strings.Contains(r.Text, pin) != (d.Kind == eligibility.MacOS) {
		t.Errorf("lock confirmation %q and the recovery PIN", r.Text)
	}
	s.press(actLockOK, "")
	if len(s.out.Commands) != 1 || s.out.Commands[0].Op != bot.OpLock {
		t.Fatalf("confirmed lock ran %+v", s.out.Commands)
	}
}

// checkLost answers No and reports the device lost: the helpdesk gets who,
// which device, when and its last check-in; the owner is told what next.
func checkLost(t *testing.T, lang string, d bot.DeviceRef, card bot.Reply) {
	t.Helper()
	s := toWithYou(t, lang, d, card)
	s.press(actNo, "")
	got := actions(s.reply())
	if !slices.Contains(got, actLost) || slices.Contains(got, actLock) != d.Eligibility().RemoteLock {
		t.Fatalf("not-with-you actions %q", got)
	}
	s.press(actLost, "")
	if len(s.out.Commands) != 1 || s.out.Commands[0].Op != bot.OpReportLost {
		t.Fatalf("Report it lost ran %+v", s.out.Commands)
	}
	s.result(bot.CommandResult{Command: s.out.Commands[0]})
	if len(s.out.Replies) != 2 || s.out.Replies[0].Audience != bot.ToHelpdesk {
		t.Fatalf("replies %+v, want the helpdesk notice and the owner's", s.out.Replies)
	}
	checkin := "Last check-in: Intune reports no check-in time"
	if !d.LastSync.IsZero() {
		checkin = "Last check-in: " + d.LastSync.Format(stamp) + " UTC"
	}
	wantText(t, s.out.Replies[0].Text, "Device reported lost", "adele.vance@contoso.com", "Test device", "Reported: 2026-11-25 09:00 UTC", checkin)
	next := map[string]string{"en": "They will contact you", "nl": "Zij nemen contact met u op"}[lang]
	wantText(t, s.out.Replies[1].Text, next, "helpdesk@contoso.com")
}

func TestAStartWordMidStepAsksBeforeStartingOver(t *testing.T) {
	for _, lang := range []string{"en", "nl"} {
		t.Run(lang, func(t *testing.T) {
			s := startWith(t, New(Config{Support: "helpdesk@contoso.com", Approvals: true}), lang, devices["company"])
			approve(s, lang)
			s.text(map[string]string{"en": "I forgot my PIN", "nl": "pincode vergeten"}[lang])
			r := s.reply()
			if len(s.out.Commands) != 0 || s.c.Step != stepWithYou || s.c.Request != "rq1" {
				t.Fatalf("the start word dropped the step: step %q request %q commands %+v", s.c.Step, s.c.Request, s.out.Commands)
			}
			if got := actions(r); !slices.Equal(got, []string{actRestart, actKeep}) {
				t.Errorf("actions %q", got)
			}
			wantText(t, r.Text, map[string][]string{
				"en": {"Work Galaxy", "Start over?", "approval is dropped too"},
				"nl": {"Work Galaxy", "Opnieuw beginnen?", "goedkeuring"},
			}[lang]...)
			s.press(actKeep, "")
			if s.c.Step != stepWithYou || !slices.Equal(actions(s.reply()), []string{actYes, actNo}) {
				t.Fatalf("Continue showed %+v at step %q", s.out.Replies, s.c.Step)
			}
			s.text("reset")
			s.press(actRestart, "")
			if s.c.Request != "" || len(s.out.Commands) != 1 || s.out.Commands[0].Op != bot.OpList {
				t.Errorf("Start over: request %q commands %+v", s.c.Request, s.out.Commands)
			}
		})
	}
}

func TestTypedYesAndNoAnswerTheWithYouQuestion(t *testing.T) {
	for _, tc := range []struct {
		line string
		op   bot.Op // OpList for none
		step string
	}{
		{"yes", bot.OpReset, ""},
		{"Ja", bot.OpReset, ""},
		{"yes, reset", bot.OpReset, ""},
		{"no", bot.OpList, stepNotWithYou},
		{"Nee", bot.OpList, stepNotWithYou},
	} {
		t.Run(tc.line, func(t *testing.T) {
			s := start(t, "en", devices["android6"])
			s.press(actReset, "")
			s.signIn()
			s.text(tc.line)
			var ops []bot.Op
			for _, c := range s.out.Commands {
				ops = append(ops, c.Op)
			}
			if tc.op == bot.OpList && len(ops) != 0 || tc.op != bot.OpList && !slices.Equal(ops, []bot.Op{tc.op}) {
				t.Errorf("commands %v", ops)
			}
			if s.c.Step != tc.step {
				t.Errorf("step %q, want %q", s.c.Step, tc.step)
			}
		})
	}
	t.Run("yes, reset with no question open starts a reset", func(t *testing.T) {
		s := start(t, "en", devices["android6"])
		s.text("cancel")
		s.text("yes, reset")
		if len(s.out.Commands) != 1 || s.out.Commands[0].Op != bot.OpList {
			t.Errorf("commands %+v, want the device list", s.out.Commands)
		}
	})
	t.Run("yes elsewhere points to the buttons", func(t *testing.T) {
		s := start(t, "en", devices["android6"])
		s.text("yes")
		if len(s.out.Commands) != 0 || s.c.Step != stepCard {
			t.Errorf("commands %+v step %q", s.out.Commands, s.c.Step)
		}
		wantText(t, s.reply().Text, "use the buttons")
	})
}

func TestMacLockShowsItsRecoveryPINOnceAndPrivately(t *testing.T) {
	s := start(t, "en", devices["macos"])
	s.press(actLock, "")
	s.press(actLockOK, "")
	lock := s.out.Commands[0]
	// Intune accepted the lock; the PIN comes with a later read.
	s.result(bot.CommandResult{Command: lock, Lock: bot.LockResult{State: bot.ActionPending}})
	wantText(t, s.reply().Text, "I will send you its recovery PIN")
	if len(s.out.FollowUps) != 1 || s.out.FollowUps[0].Kind != FollowLockPoll || !s.out.FollowUps[0].Since.Equal(t0) {
		t.Fatalf("follow-ups %+v", s.out.FollowUps)
	}
	f := s.out.FollowUps[0]
	s.out = s.f.Step(s.c, bot.Input{Kind: bot.Due, FollowUp: &f}, s.now)
	read := s.out.Commands[0]
	if read.Op != bot.OpLockStatus || !read.Since.Equal(t0) {
		t.Fatalf("poll ran %+v", read)
	}
	s.result(bot.CommandResult{Command: read, Lock: bot.LockResult{State: bot.ActionPending, UnlockPin: "482913"}})
	r := s.reply()
	if !r.Private || !strings.Contains(r.Text, "recovery PIN of MacBook is: 482913") {
		t.Errorf("PIN reply %+v", r)
	}
	// The remote-lock page: readable "for up to 30 days, or until another
	// device action is sent".
	wantText(t, r.Text, "for up to 30 days, or until another device action is sent to the Mac")
	if len(s.out.FollowUps) != 0 {
		t.Errorf("polling goes on after the PIN was shown: %+v", s.out.FollowUps)
	}
}

func TestASecondMacLockIsRefusedUntilThePINIsUsed(t *testing.T) {
	for lang, want := range map[string]string{"en": "recovery PIN was not used yet", "nl": "herstelpincode nog niet is gebruikt"} {
		s := start(t, lang, devices["macos"])
		s.press(actLock, "")
		s.press(actLockOK, "")
		s.result(bot.CommandResult{Command: s.out.Commands[0], Err: &bot.Error{Code: bot.ErrCodeLockUnused}})
		wantText(t, s.reply().Text, want)
	}
}

func TestLockWarnsWhenTheDeviceMayHaveNoPasscode(t *testing.T) {
	d := devices["ios"]
	d.Unencrypted = true
	s := start(t, "en", d)
	s.press(actLock, "")
	wantText(t, s.reply().Text, "not encrypted", "will not keep anyone out")
	s = start(t, "en", devices["ios"])
	s.press(actLock, "")
	if strings.Contains(s.reply().Text, "not encrypted") {
		t.Error("a device not reported unencrypted is called unencrypted")
	}
}

func TestStatusSaysOutcomesInWords(t *testing.T) {
	for lang, want := range map[string][]string{"en": {"Galaxy S7: done", "Pixel: refused: too many tries"}, "nl": {"Galaxy S7: gelukt", "Pixel: geweigerd: te vaak geprobeerd"}} {
		s := start(t, lang, devices["android6"])
		s.result(bot.CommandResult{Command: bot.Command{Op: bot.OpStatus}, Audit: []bot.AuditRecord{
			{Action: "reset", Name: "Galaxy S7", Outcome: "done", Time: t0},
			{Action: "reset", Name: "Pixel", Outcome: bot.ErrCodeRateLimited, Time: t0},
		}})
		text := s.reply().Text
		wantText(t, text, want...)
		if strings.Contains(text, "error.") {
			t.Errorf("%s: internal code in %q", lang, text)
		}
	}
}

func TestWithoutAHelpdeskChannelNoLostReportIsPromised(t *testing.T) {
	s := startWith(t, New(Config{Support: "helpdesk@contoso.com", NoHelpdesk: true}), "en", devices["ios"])
	s.press(actReset, "")
	s.press(actSignIn, "")
	s.press(actNo, "")
	r := s.reply()
	if got := actions(r); !slices.Equal(got, []string{actLock, actClose}) {
		t.Errorf("actions %q, want no Report it lost", got)
	}
	wantText(t, r.Text, "tell your company support", "helpdesk@contoso.com")
	s.press(actLost, "")
	if len(s.out.Commands) != 0 {
		t.Errorf("a forged Report it lost ran %+v", s.out.Commands)
	}
}

func TestAStartWordWhileSigningInAsksAndContinueSendsAFreshLink(t *testing.T) {
	s := start(t, "en", devices["android6"])
	s.press(actReset, "")
	s.press(actSignIn, "")
	if s.c.Step != stepVerify {
		t.Fatalf("step %q, want the sign-in", s.c.Step)
	}
	s.text("reset my pin")
	if len(s.out.Commands) != 0 || s.c.Step != stepVerify || !slices.Equal(actions(s.reply()), []string{actRestart, actKeep}) {
		t.Fatalf("the start word dropped the sign-in: step %q, %+v", s.c.Step, s.out)
	}
	s.press(actKeep, "")
	if len(s.out.Commands) != 1 || s.out.Commands[0].Op != bot.OpSignIn || s.c.Step != stepVerify {
		t.Errorf("Continue: commands %+v step %q, want a fresh sign-in link", s.out.Commands, s.c.Step)
	}
}
