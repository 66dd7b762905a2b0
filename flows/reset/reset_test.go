package reset

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/bot/eligibility"
)

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

func newFlow() *Flow { return New(Config{Support: "helpdesk@contoso.com", SignIn: true}) }

// owner and ownerOID are the UPN and object ID every test device is
// enrolled by.
const (
	owner    = "adele.vance@contoso.com"
	ownerOID = "4f2b6c1e-8d3a-4c55-9a6e-1b2c3d4e5f60"
)

// devices holds one device of every case of the Company Portal guide and of
// Intune's documentation, as a device backend lists them.
var devices = map[string]bot.DeviceRef{
	"android6":  {ID: "a6", Name: "Galaxy S7", Kind: eligibility.AndroidAdmin, OSVersion: "6.0.1"},
	"android10": {ID: "a10", Name: "Pixel 4", Kind: eligibility.AndroidAdmin, OSVersion: "10"},
	"ios":       {ID: "i1", Name: "iPhone", Kind: eligibility.IOS, OSVersion: "17.4"},
	"w10m":      {ID: "w10", Name: "Lumia 950", Kind: eligibility.Windows10Mobile, OSVersion: "10.0.15063"},
	"wp81":      {ID: "w81", Name: "Lumia 735", Kind: eligibility.WindowsPhone81, OSVersion: "8.10.15148.160"},
	"company":   {ID: "c1", Name: "Work Galaxy", Kind: eligibility.AndroidAdmin, OSVersion: "6.0.1", Company: true},
	"workprof":  {ID: "wp", Name: "Work profile Pixel", Kind: eligibility.AndroidWorkProfile, OSVersion: "14"},
	"windowspc": {ID: "pc", Name: "Surface", Kind: eligibility.WindowsPC, OSVersion: "10.0.22631"},
	"macos":     {ID: "mac", Name: "MacBook", Kind: eligibility.MacOS, OSVersion: "14.4"},
	"iosuser":   {ID: "iu", Name: "BYOD iPhone", Kind: eligibility.IOSUserEnrollment, OSVersion: "17.4"},
	"dedicated": {ID: "de", Name: "Kiosk tablet", Kind: eligibility.AndroidDedicated, OSVersion: "13", Company: true},
}

// trigger is the opening line in each language.
var trigger = map[string]string{"en": "reset my passcode", "nl": "wachtwoordcode vergeten"}

type session struct {
	t   *testing.T
	f   *Flow
	c   *bot.Conversation
	now time.Time
	out bot.Outcome
}

func start(t *testing.T, lang string, ds ...bot.DeviceRef) *session {
	t.Helper()
	return startWith(t, newFlow(), lang, ds...)
}

func startWith(t *testing.T, f *Flow, lang string, ds ...bot.DeviceRef) *session {
	t.Helper()
	s := &session{t: t, f: f, now: t0,
		c: &bot.Conversation{ID: "old", Owner: bot.User{Platform: bot.Console, ID: "u1", UPN: "adele.vance@contoso.com"}}}
	s.text(trigger[lang])
	if len(s.out.Commands) != 1 || s.out.Commands[0].Op != bot.OpList {
		t.Fatalf("trigger %q: commands %+v, want a device list", trigger[lang], s.out.Commands)
	}
	if s.c.ID != "" {
		t.Fatalf("trigger kept conversation ID %q; a new conversation must get a new one", s.c.ID)
	}
	s.c.ID = "conv"
	for i := range ds {
		ds[i].OwnerID, ds[i].OwnerUPN = ownerOID, owner
	}
	s.result(bot.CommandResult{Command: bot.Command{Op: bot.OpList}, Devices: ds})
	return s
}

// signIn presses Sign in again, gets the link and signs in as the device's owner.
func (s *session) signIn() {
	s.t.Helper()
	s.press(actSignIn, "")
	if len(s.out.Commands) != 1 || s.out.Commands[0].Op != bot.OpSignIn || s.c.Step != stepVerify {
		s.t.Fatalf("Sign in again: commands %+v step %q, want a sign-in link", s.out.Commands, s.c.Step)
	}
	s.result(bot.CommandResult{Command: s.out.Commands[0], SignIn: bot.SignIn{ID: "L1", URL: "http://127.0.0.1:8080/signin/L1"}})
	s.signedIn(bot.SignInOK, bot.Identity{OID: ownerOID, UPN: owner, AuthTime: s.now})
}

func (s *session) signedIn(outcome string, id bot.Identity) {
	r := bot.SignInResult{SignIn: bot.SignIn{ID: s.c.SignIn, Conv: s.c.ID}, Outcome: outcome, Identity: id}
	s.out = s.f.Step(s.c, bot.Input{Kind: bot.SignedIn, SignIn: &r}, s.now)
}

func (s *session) text(line string) {
	s.step(bot.Input{Kind: bot.Text, Text: line})
}

func (s *session) press(action, arg string) {
	s.step(bot.Input{Kind: bot.Pressed, Action: action, Arg: arg})
}

// step runs one input.
func (s *session) step(in bot.Input) {
	s.out = s.f.Step(s.c, in, s.now)
	s.allowLimits()
}

func (s *session) result(r bot.CommandResult) {
	s.out = s.f.Step(s.c, bot.Input{Kind: bot.Result, Result: &r}, s.now)
	s.allowLimits()
}

// allowLimits answers a limits check "allowed" at once, as the engine does
// when no limit is set.
func (s *session) allowLimits() {
	if len(s.out.Commands) == 1 && s.out.Commands[0].Op == bot.OpCheckLimits && len(s.out.Replies) == 0 {
		s.result(bot.CommandResult{Command: s.out.Commands[0]})
	}
}

// reply returns the only reply, failing otherwise.
func (s *session) reply() bot.Reply {
	s.t.Helper()
	if len(s.out.Replies) != 1 {
		s.t.Fatalf("got %d replies, want 1: %+v", len(s.out.Replies), s.out.Replies)
	}
	return s.out.Replies[0]
}

func (s *session) all() string {
	var b strings.Builder
	for _, r := range s.out.Replies {
		b.WriteString(r.Text + "\n")
	}
	return b.String()
}

func actions(r bot.Reply) []string {
	var out []string
	for _, b := range r.Buttons {
		out = append(out, b.Action)
	}
	return out
}

func labels(r bot.Reply) []string {
	var out []string
	for _, b := range r.Buttons {
		out = append(out, b.Label)
	}
	return out
}

func wantText(t *testing.T, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("reply %q lacks %q", got, w)
		}
	}
}

func TestTriggerWordsStartAResetInTheirLanguage(t *testing.T) {
	cases := []struct {
		line, lang string
	}{
		{"reset my passcode", "en"},
		{"I forgot my PIN", "en"},
		{"Forgot my password!", "en"},
		{"wachtwoordcode vergeten", "nl"},
		{"Ik ben mijn pincode vergeten", "nl"},
		{"pincode opnieuw instellen", "nl"},
		{"", ""},      // a bare /passcode
		{"reset", ""}, // the same word in both languages
		{"PIN", ""},
	}
	for _, tc := range cases {
		t.Run(tc.line, func(t *testing.T) {
			c := &bot.Conversation{ID: "x", Owner: bot.User{ID: "u", UPN: "a@b"}}
			out := newFlow().Step(c, bot.Input{Kind: bot.Text, Text: tc.line}, t0)
			if len(out.Commands) != 1 || out.Commands[0].Op != bot.OpList {
				t.Fatalf("commands %+v, want a device list", out.Commands)
			}
			if c.Lang != tc.lang {
				t.Errorf("language %q, want %q", c.Lang, tc.lang)
			}
		})
	}
}

// With no step open, cancel withdraws the person's waiting requests.
func TestCancelWithNothingOpenWithdrawsRequests(t *testing.T) {
	c := &bot.Conversation{ID: "x", Owner: bot.User{ID: "u", Locale: "en-US"}}
	f := newFlow()
	out := f.Step(c, bot.Input{Kind: bot.Text, Text: "cancel"}, t0)
	if len(out.Replies) != 0 || len(out.Commands) != 1 || out.Commands[0].Op != bot.OpWithdraw {
		t.Fatalf("replies %+v commands %+v, want a withdrawal", out.Replies, out.Commands)
	}
	none := f.Step(c, bot.Input{Kind: bot.Result, Result: &bot.CommandResult{Command: out.Commands[0]}}, t0)
	wantText(t, none.Replies[0].Text, "no open request")
	r := bot.Request{ID: "R1", Device: devices["company"]}
	took := f.Step(c, bot.Input{Kind: bot.Result, Result: &bot.CommandResult{Command: out.Commands[0], Requests: []bot.Request{r}}}, t0)
	wantText(t, took.Replies[0].Text, "Your request for Work Galaxy was withdrawn")
}

func TestTypedCommands(t *testing.T) {
	cases := []struct {
		name, locale, step, line string
		want                     []string
		lang                     string
	}{
		{"help in English", "en-US", "", "help", []string{"reset my passcode", "language nl"}, ""},
		{"help in Dutch by locale", "nl-NL", "", "help", []string{"wachtwoordcode vergeten", "taal en"}, ""},
		{"switch to Dutch", "en-US", "", "language nl", []string{"Nederlands"}, "nl"},
		{"switch to English with taal", "nl-NL", "", "taal en", []string{"English"}, "en"},
		{"unknown language", "en-US", "", "language fr", []string{"language en"}, ""},
		{"small talk gets the intro", "en-US", "", "hello there", []string{"reset my passcode"}, ""},
		{"small talk mid-step", "en-US", stepConfirm, "hello", []string{"buttons"}, ""},
		{"annuleren mid-step", "nl-NL", stepConfirm, "annuleren", []string{"Geannuleerd"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := devices["android6"]
			c := &bot.Conversation{ID: "x", Step: tc.step, Device: &d, Owner: bot.User{ID: "u", Locale: tc.locale}}
			out := newFlow().Step(c, bot.Input{Kind: bot.Text, Text: tc.line}, t0)
			if len(out.Replies) != 1 || len(out.Commands) != 0 {
				t.Fatalf("replies %+v commands %+v", out.Replies, out.Commands)
			}
			wantText(t, out.Replies[0].Text, tc.want...)
			if c.Lang != tc.lang {
				t.Errorf("language %q, want %q", c.Lang, tc.lang)
			}
		})
	}
}

func TestNoLinkedAccountExplainsInsteadOfListing(t *testing.T) {
	c := &bot.Conversation{Owner: bot.User{ID: "u"}}
	out := newFlow().Step(c, bot.Input{Kind: bot.Text, Text: "reset my passcode"}, t0)
	if len(out.Commands) != 0 || len(out.Replies) != 1 {
		t.Fatalf("outcome %+v", out)
	}
	wantText(t, out.Replies[0].Text, "company account")
}

func TestDeviceList(t *testing.T) {
	s := start(t, "en", devices["android6"], devices["ios"])
	r := s.reply()
	if got, want := labels(r), []string{"Galaxy S7 (Android)", "iPhone (iOS/iPadOS)", "Cancel"}; !slices.Equal(got, want) {
		t.Errorf("buttons %q, want %q", got, want)
	}
	if got, want := actions(r), []string{"device:0", "device:1", "cancel"}; !slices.Equal(got, want) {
		t.Errorf("actions %q, want %q", got, want)
	}
	if s.c.Step != stepDevices || !s.c.Expires.Equal(t0.Add(15*time.Minute)) {
		t.Errorf("step %q expires %v", s.c.Step, s.c.Expires)
	}

	t.Run("no devices", func(t *testing.T) {
		s := start(t, "nl")
		wantText(t, s.reply().Text, "geen apparaat", "adele.vance@contoso.com", "helpdesk@contoso.com")
	})
	t.Run("backend down", func(t *testing.T) {
		s := start(t, "en", devices["ios"])
		s.result(bot.CommandResult{Command: bot.Command{Op: bot.OpList}, Err: &bot.Error{Code: bot.ErrCodeUnavailable}})
		wantText(t, s.reply().Text, "try again in a minute")
	})
}

// A long list is paged within the platforms' button limits (25 a message),
// and every device can be picked: none is cut.
func TestTwentyThreeDevicesArePagedAndTheLastCanBePicked(t *testing.T) {
	for _, lang := range []string{"en", "nl"} {
		t.Run(lang, func(t *testing.T) {
			many := make([]bot.DeviceRef, 23)
			for i := range many {
				many[i] = devices["ios"]
				many[i].ID, many[i].Name = "d"+strconv.Itoa(i+1), "iPhone "+strconv.Itoa(i+1)
			}
			s := start(t, lang, many...)
			first := s.reply()
			if n := len(first.Buttons); n > 25 || n != pageSize+2 {
				t.Fatalf("%d buttons on the first page, want %d devices, More devices and Cancel", n, pageSize)
			}
			more := first.Buttons[pageSize]
			wantText(t, more.Label, map[string]string{"en": "More devices", "nl": "Meer apparaten"}[lang])
			wantText(t, first.Text, map[string]string{"en": "Devices 1 to 20 of 23", "nl": "Apparaten 1 tot en met 20 van 23"}[lang])
			act, arg, _ := strings.Cut(more.Action, ":")
			s.press(act, arg)
			second := s.reply()
			if got := labels(second); len(got) != 5 || !strings.HasPrefix(got[2], "iPhone 23 ") || !second.Replace {
				t.Fatalf("second page %q (replace %v), want iPhone 21 to 23, First devices and Cancel", got, second.Replace)
			}
			act, arg, _ = strings.Cut(second.Buttons[2].Action, ":")
			s.press(act, arg)
			if s.c.Step != stepCard || s.c.Device == nil || s.c.Device.ID != "d23" {
				t.Fatalf("step %q device %+v, want the card of the 23rd", s.c.Step, s.c.Device)
			}
			wantText(t, s.reply().Text, "iPhone 23")
		})
	}
}

// One device: nothing to choose, so its card comes first, without a Back
// to a list of one.
func TestASingleDeviceShowsItsCardFirst(t *testing.T) {
	s := start(t, "en", devices["ios"])
	r := s.reply()
	if s.c.Step != stepCard || s.c.Device == nil || s.c.Device.ID != "i1" {
		t.Fatalf("step %q device %+v, want the iPhone's card", s.c.Step, s.c.Device)
	}
	wantText(t, r.Text, "iPhone", "iOS/iPadOS 17.4")
	if got := actions(r); slices.Contains(got, actBack) || !slices.Contains(got, actReset) {
		t.Errorf("card actions %q: want Reset Passcode, and no Back", got)
	}
}

// A typed device name picks it, as a button would.
func TestATypedDeviceNamePicksTheDevice(t *testing.T) {
	cases := []struct{ lang, line, want string }{
		{"en", "Galaxy S7", "a6"},
		{"en", "galaxy s7", "a6"},
		{"en", "my iPhone", "i1"},
		{"nl", "mijn iPhone", "i1"},
	}
	for _, tc := range cases {
		t.Run(tc.line, func(t *testing.T) {
			s := start(t, tc.lang, devices["android6"], devices["ios"], devices["company"])
			s.text(tc.line)
			if s.c.Step != stepCard || s.c.Device == nil || s.c.Device.ID != tc.want {
				t.Fatalf("step %q device %+v, want the card of %s", s.c.Step, s.c.Device, tc.want)
			}
		})
	}
	t.Run("part of a name, of one device", func(t *testing.T) {
		s := start(t, "en", devices["android6"], devices["ios"], bot.DeviceRef{ID: "s7b", Name: "Adele's Galaxy S7 edge", Kind: eligibility.AndroidAdmin})
		s.text("galaxy s7 edge")
		if s.c.Device == nil || s.c.Device.ID != "s7b" {
			t.Fatalf("device %+v, want the S7 edge", s.c.Device)
		}
	})
	for _, tc := range []struct{ name, line, want string }{
		{"part of several names", "Galaxy", "Several of your devices are called \"Galaxy\""},
		{"no such device", "Nokia 3310", "None of your devices is called \"Nokia 3310\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, "en", devices["android6"], devices["company"])
			s.text(tc.line)
			if s.c.Step != stepDevices {
				t.Fatalf("step %q, want the list still open", s.c.Step)
			}
			wantText(t, s.reply().Text, tc.want)
		})
	}
}

func TestDeviceCardPerPlatform(t *testing.T) {
	cases := []struct {
		device  string
		actions []string
		text    []string
	}{
		{"android6", []string{"reset", "lost", "cancel"}, []string{"Android 6.0.1"}},
		{"android10", []string{"lost", "cancel"}, []string{"Android 7.0 and later", "factory settings", "helpdesk@contoso.com"}},
		{"ios", []string{"reset", "lock", "lost", "cancel"}, []string{"iOS/iPadOS 17.4"}},
		{"w10m", []string{"lost", "cancel"}, []string{"Windows 10 Mobile", "no longer supports", "helpdesk@contoso.com"}},
		{"wp81", []string{"lost", "cancel"}, []string{"Windows Phone 8.1", "no longer supports", "helpdesk@contoso.com"}},
		{"company", []string{"lost", "cancel"}, []string{"company-owned", "Contact your company support", "helpdesk@contoso.com"}},
		{"workprof", []string{"lost", "cancel"}, []string{"Android Enterprise work profile", "passcode of the work profile", "Contact your company support"}},
		{"windowspc", []string{"lost", "cancel"}, []string{"cannot reset the passcode of this device (Windows)"}},
		{"macos", []string{"lock", "lost", "cancel"}, []string{"(macOS)"}},
		{"iosuser", []string{"lock", "lost", "cancel"}, []string{"User Enrollment"}},
	}
	for _, tc := range cases {
		t.Run(tc.device, func(t *testing.T) {
			s := start(t, "en", devices[tc.device])
			r := s.reply()
			if got := actions(r); !slices.Equal(got, tc.actions) {
				t.Errorf("actions %q, want %q", got, tc.actions)
			}
			wantText(t, r.Text, append(tc.text, devices[tc.device].Name)...)
			if !r.Replace || s.c.Step != stepCard {
				t.Errorf("replace %v step %q", r.Replace, s.c.Step)
			}
		})
	}
}

func TestResetConversation(t *testing.T) {
	for _, lang := range []string{"en", "nl"} {
		t.Run(lang, func(t *testing.T) {
			want := map[string]map[string][]string{
				"en": {
					"confirm": {"Reset the passcode of Galaxy S7?", "sign in again with your work account", "works for 5 minutes", "Nothing is reset before you have signed in"},
					"buttons": {"Sign in again", "Cancel"},
					"link":    {"Sign in again with your work account (adele.vance@contoso.com)", "http://127.0.0.1:8080/signin/L1", "works once, for 5 minutes", "do not share"},
					"ok":      {"✅ You signed in as adele.vance@contoso.com."},
					"withyou": {"Do you have Galaxy S7 with you?", "do not remove the passcode", "personal or corporate"},
					"yesno":   {"Yes, reset", "No"},
				},
				"nl": {
					"confirm": {"Wachtwoordcode van Galaxy S7 opnieuw instellen?", "meldt u zich opnieuw aan met uw werkaccount", "5 minuten werkt", "niets opnieuw ingesteld voordat u zich hebt aangemeld"},
					"buttons": {"Opnieuw aanmelden", "Annuleren"},
					"link":    {"Meld u opnieuw aan met uw werkaccount (adele.vance@contoso.com)", "http://127.0.0.1:8080/signin/L1", "één keer, 5 minuten lang", "deel hem met niemand"},
					"ok":      {"✅ U bent aangemeld als adele.vance@contoso.com."},
					"withyou": {"Hebt u Galaxy S7 bij u?", "verwijder de wachtwoordcode dan niet", "zowel persoonlijke als zakelijke"},
					"yesno":   {"Ja, opnieuw instellen", "Nee"},
				},
			}[lang]
			s := start(t, lang, devices["android6"])
			s.press(actReset, "")
			r := s.reply()
			wantText(t, r.Text, want["confirm"]...)
			if !slices.Equal(labels(r), want["buttons"]) || r.Buttons[0].Style != bot.Danger {
				t.Errorf("confirm buttons %+v", r.Buttons)
			}
			s.press(actSignIn, "")
			if len(s.out.Replies) != 0 || len(s.out.Commands) != 1 || s.out.Commands[0].Op != bot.OpSignIn || s.out.Commands[0].Device.ID != "a6" {
				t.Fatalf("Sign in again: replies %+v commands %+v, want only a sign-in link for a6", s.out.Replies, s.out.Commands)
			}
			if s.c.Step != stepVerify || !s.c.Expires.Equal(t0.Add(15*time.Minute)) {
				t.Errorf("step %q expires %v, want the sign-in step to wait as long as any step, past its link", s.c.Step, s.c.Expires)
			}
			s.result(bot.CommandResult{Command: s.out.Commands[0], SignIn: bot.SignIn{ID: "L1", URL: "http://127.0.0.1:8080/signin/L1"}})
			r = s.reply()
			wantText(t, r.Text, want["link"]...)
			if !r.Private || !r.Replace || s.c.SignIn != "L1" || !slices.Equal(actions(r), []string{actSignIn, actCancel}) {
				t.Errorf("link reply %+v sign-in %q: want it private, in place of the banner, with Sign in again and Cancel", r, s.c.SignIn)
			}
			s.press(actYes, "")
			if len(s.out.Commands) != 0 {
				t.Fatalf("Yes before the sign-in ran %+v", s.out.Commands)
			}
			s.signedIn(bot.SignInOK, bot.Identity{OID: ownerOID, UPN: owner, AuthTime: t0})
			if len(s.out.Replies) != 2 {
				t.Fatalf("after the sign-in: replies %+v", s.out.Replies)
			}
			wantText(t, s.out.Replies[0].Text, want["ok"]...)
			r = s.out.Replies[1]
			wantText(t, r.Text, want["withyou"]...)
			if !slices.Equal(labels(r), want["yesno"]) || s.c.Step != stepWithYou || r.Replace {
				t.Errorf("with-you buttons %+v step %q replace %v", r.Buttons, s.c.Step, r.Replace)
			}
			s.press(actYes, "")
			if len(s.out.Commands) != 1 || s.out.Commands[0].Op != bot.OpReset || s.out.Commands[0].Device.ID != "a6" || s.out.Commands[0].Verified != owner {
				t.Fatalf("commands %+v, want a reset of a6 verified by %s", s.out.Commands, owner)
			}
			if s.c.Step != "" {
				t.Errorf("step %q after Yes: the conversation must be closed before the reset runs", s.c.Step)
			}
		})
	}
}

func TestCancelFromEveryStep(t *testing.T) {
	steps := []struct {
		name    string
		presses [][2]string
	}{
		{"device list", nil},
		{"device card", [][2]string{{actDevice, "0"}}},
		{"confirm banner", [][2]string{{actDevice, "0"}, {actReset, ""}}},
		{"sign-in", [][2]string{{actDevice, "0"}, {actReset, ""}, {actSignIn, ""}}},
		{"device-with-you check", [][2]string{{actDevice, "0"}, {actReset, ""}, {"signin", ""}}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			s := start(t, "en", devices["android6"], devices["ios"])
			for _, p := range st.presses {
				if p[0] == "signin" {
					s.signIn()
					continue
				}
				s.press(p[0], p[1])
			}
			s.press(actCancel, "")
			r := s.reply()
			wantText(t, r.Text, "Cancelled", "Nothing was changed")
			if !r.Replace || s.c.Step != "" || len(s.out.Commands) != 0 {
				t.Errorf("replace %v step %q commands %v", r.Replace, s.c.Step, s.out.Commands)
			}
		})
	}
}

func TestBackReturnsToTheDeviceList(t *testing.T) {
	s := start(t, "en", devices["android6"], devices["ios"])
	s.press(actDevice, "1")
	if s.c.Devices != nil || s.c.Device.Name != "iPhone" {
		t.Fatalf("after the pick: devices %v device %+v; the list must go, the device stay", s.c.Devices, s.c.Device)
	}
	s.press(actBack, "")
	if len(s.out.Commands) != 1 || s.out.Commands[0].Op != bot.OpList || s.c.Device != nil {
		t.Fatalf("Back: commands %+v device %+v, want a fresh device list", s.out.Commands, s.c.Device)
	}
	s.result(bot.CommandResult{Command: bot.Command{Op: bot.OpList}, Devices: []bot.DeviceRef{devices["android6"], devices["ios"]}})
	if r := s.reply(); len(r.Buttons) != 3 || !r.Replace || s.c.Step != stepDevices {
		t.Errorf("reply %+v step %q", r, s.c.Step)
	}
}

func TestDeviceNotWithYou(t *testing.T) {
	cases := []struct {
		device  string
		lang    string
		want    []string
		actions []string
	}{
		{"ios", "en", []string{"was not reset", "lock it remotely", "helpdesk@contoso.com"}, []string{"lock", "lost", "close"}},
		{"android6", "en", []string{"was not reset", "report it lost"}, []string{"lost", "close"}},
		{"ios", "nl", []string{"niet opnieuw ingesteld", "extern", "Nog hulp nodig?"}, []string{"lock", "lost", "close"}},
	}
	for _, tc := range cases {
		t.Run(tc.device+"/"+tc.lang, func(t *testing.T) {
			s := start(t, tc.lang, devices[tc.device])
			s.press(actReset, "")
			s.signIn()
			s.press(actNo, "")
			r := s.reply()
			wantText(t, r.Text, tc.want...)
			if got := actions(r); !slices.Equal(got, tc.actions) || len(s.out.Commands) != 0 {
				t.Errorf("actions %q commands %v", got, s.out.Commands)
			}
			if tc.device == "ios" {
				s.press(actLock, "")
				if len(s.out.Commands) != 0 || s.c.Step != stepLock {
					t.Fatalf("Remote Lock ran without its confirmation: %+v", s.out.Commands)
				}
				s.press(actLockOK, "")
				if len(s.out.Commands) != 1 || s.out.Commands[0].Op != bot.OpLock {
					t.Fatalf("commands %+v, want a remote lock", s.out.Commands)
				}
				s.result(bot.CommandResult{Command: s.out.Commands[0]})
				if r := s.reply(); !strings.Contains(r.Text, "🔒") {
					t.Errorf("lock reply %q", r.Text)
				}
			}
		})
	}
}

// Buttons prove nothing: a press the flow did not offer for the device is
// refused and runs no command.
func TestForgedPressesRunNothing(t *testing.T) {
	cases := []struct {
		device string
		path   [][2]string
	}{
		{"android10", [][2]string{{actDevice, "0"}, {actReset, ""}}},
		{"company", [][2]string{{actDevice, "0"}, {actReset, ""}}},
		{"android6", [][2]string{{actDevice, "0"}, {actLock, ""}}},
		{"android6", [][2]string{{actDevice, "7"}}},
		{"android6", [][2]string{{actYes, ""}}},
		{"android6", [][2]string{{actDevice, "0"}, {actSignIn, ""}}},
	}
	for _, tc := range cases {
		t.Run(tc.device, func(t *testing.T) {
			s := start(t, "en", devices[tc.device], devices["ios"])
			for _, p := range tc.path {
				s.press(p[0], p[1])
			}
			if len(s.out.Commands) != 0 {
				t.Fatalf("commands %+v", s.out.Commands)
			}
			wantText(t, s.reply().Text, "no longer works")
		})
	}
}

func TestResetResultPerPlatform(t *testing.T) {
	cases := []struct {
		device, lang, passcode string
		want                   []string
		reminder               bool
	}{
		{"android6", "en", "k7pm2xqa", []string{"temporary passcode (letters and numbers) is: k7pm2xqa", "change the temporary passcode"}, true},
		{"android6", "nl", "k7pm2xqa", []string{"tijdelijke wachtwoordcode (letters en cijfers) is: k7pm2xqa", "Instellingen"}, true},
		{"ios", "en", "", []string{"No temporary passcode", "Touch ID", "set it up again"}, false},
		{"ios", "nl", "", []string{"geen tijdelijke wachtwoordcode", "Touch ID"}, false},
		{"w10m", "en", "r4nd0mpw", []string{"(letters and numbers) is: r4nd0mpw", "Windows Hello"}, true},
		{"w10m", "nl", "r4nd0mpw", []string{"(letters en cijfers) is: r4nd0mpw", "Windows Hello"}, true},
		{"wp81", "en", "482913", []string{"temporary passcode (numbers) is: 482913"}, true},
		{"wp81", "nl", "482913", []string{"tijdelijke wachtwoordcode (cijfers) is: 482913"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.device+"/"+tc.lang, func(t *testing.T) {
			s := start(t, tc.lang, devices[tc.device])
			d := devices[tc.device]
			s.result(bot.CommandResult{Command: bot.Command{Op: bot.OpReset, Device: d},
				Reset: bot.ResetResult{State: bot.ActionDone, Passcode: tc.passcode}})
			if len(s.out.Replies) != 2 {
				t.Fatalf("replies %+v", s.out.Replies)
			}
			answer, done := s.out.Replies[0], s.out.Replies[1]
			if !answer.Private {
				t.Error("the platform answer must be private")
			}
			wantText(t, answer.Text, tc.want...)
			if tc.passcode != "" && strings.Contains(done.Text, tc.passcode) {
				t.Error("the passcode leaked into a non-private reply")
			}
			wantText(t, done.Text, "✅")
			kinds := map[string]time.Time{}
			for _, f := range s.out.FollowUps {
				kinds[f.Kind] = f.Due
				if f.Lang != tc.lang || f.Device.ID != d.ID {
					t.Errorf("follow-up %+v", f)
				}
			}
			if len(kinds) != 1 && tc.reminder || len(kinds) != 0 && !tc.reminder {
				t.Errorf("follow-ups %v, want only the reminder", kinds)
			}
			if _, ok := kinds[FollowReminder]; ok != tc.reminder {
				t.Errorf("reminder scheduled %v, want %v", ok, tc.reminder)
			}
		})
	}
}

func TestPendingResetIsPolledUntilDone(t *testing.T) {
	s := start(t, "en", devices["android6"])
	d := devices["android6"]
	s.result(bot.CommandResult{Command: bot.Command{Op: bot.OpReset, Device: d}, Reset: bot.ResetResult{State: bot.ActionPending}})
	wantText(t, s.reply().Text, "was sent", "as soon as the device reports back")
	if len(s.out.FollowUps) != 1 || s.out.FollowUps[0].Kind != FollowPoll || s.out.FollowUps[0].Attempt != 1 {
		t.Fatalf("follow-ups %+v, want a first poll", s.out.FollowUps)
	}
	poll := s.out.FollowUps[0]
	s.out = s.f.Step(s.c, bot.Input{Kind: bot.Due, FollowUp: &poll}, t0.Add(30*time.Second))
	if len(s.out.Commands) != 1 || s.out.Commands[0].Op != bot.OpResetStatus || s.out.Commands[0].Attempt != 1 {
		t.Fatalf("poll commands %+v", s.out.Commands)
	}
	s.result(bot.CommandResult{Command: s.out.Commands[0], Reset: bot.ResetResult{State: bot.ActionPending}})
	if len(s.out.Replies) != 0 || len(s.out.FollowUps) != 1 || s.out.FollowUps[0].Attempt != 2 {
		t.Fatalf("still pending: replies %+v follow-ups %+v", s.out.Replies, s.out.FollowUps)
	}
	s.result(bot.CommandResult{Command: bot.Command{Op: bot.OpResetStatus, Device: d, Attempt: 2}, Reset: bot.ResetResult{State: bot.ActionDone, Passcode: "zz9plz"}})
	wantText(t, s.all(), "zz9plz", "✅")

	t.Run("gives up after PollMax", func(t *testing.T) {
		s.result(bot.CommandResult{Command: bot.Command{Op: bot.OpResetStatus, Device: d, Attempt: 40}, Reset: bot.ResetResult{State: bot.ActionPending}})
		wantText(t, s.reply().Text, "did not succeed")
		if len(s.out.FollowUps) != 0 {
			t.Errorf("follow-ups %+v after giving up", s.out.FollowUps)
		}
	})
	t.Run("failed action", func(t *testing.T) {
		s.result(bot.CommandResult{Command: bot.Command{Op: bot.OpResetStatus, Device: d, Attempt: 3}, Reset: bot.ResetResult{State: bot.ActionFailed}})
		wantText(t, s.reply().Text, "did not succeed", "failed", "helpdesk@contoso.com")
	})
	t.Run("backend error", func(t *testing.T) {
		s.result(bot.CommandResult{Command: bot.Command{Op: bot.OpReset, Device: d}, Err: &bot.Error{Code: bot.ErrCodeForbidden, Err: errors.New("403")}})
		wantText(t, s.reply().Text, "did not succeed", "permission")
	})
}

func TestFollowUps(t *testing.T) {
	d := devices["w10m"]
	cases := []struct{ kind, lang, want string }{
		{FollowReminder, "en", "change it in your device Settings"},
		{FollowReminder, "nl", "Wijzig die via Instellingen"},
	}
	for _, tc := range cases {
		t.Run(tc.kind+"/"+tc.lang, func(t *testing.T) {
			f := bot.FollowUp{Kind: tc.kind, Lang: tc.lang, Device: d}
			c := &bot.Conversation{Lang: tc.lang}
			out := newFlow().Step(c, bot.Input{Kind: bot.Due, FollowUp: &f}, t0)
			if len(out.Replies) != 1 {
				t.Fatalf("replies %+v", out.Replies)
			}
			wantText(t, out.Replies[0].Text, tc.want)
		})
	}
}

func TestNoticesInBothLanguages(t *testing.T) {
	f := newFlow()
	for _, code := range []string{bot.NoticeStale, bot.NoticeForeign, bot.NoticeBusy, bot.NoticeUnknown, bot.ErrCodeUnavailable, bot.ErrCodeInternal} {
		en := f.Notice(&bot.Conversation{Owner: bot.User{Locale: "en-GB"}}, code).Text
		nl := f.Notice(&bot.Conversation{Owner: bot.User{Locale: "nl-BE"}}, code).Text
		if en == code || nl == code || en == nl {
			t.Errorf("%s: en %q nl %q", code, en, nl)
		}
	}
}

func TestTextsFollowTheConfiguredSignInTTL(t *testing.T) {
	f := New(Config{SignIn: true, SignInTTL: 10 * time.Minute})
	c := &bot.Conversation{ID: "c", Step: stepCard, Owner: bot.User{ID: "u"}}
	d := devices["android6"]
	d.OwnerID = ownerOID
	c.Device = &d
	out := f.Step(c, bot.Input{Kind: bot.Pressed, Action: actReset}, t0)
	wantText(t, out.Replies[0].Text, "works for 10 minutes")
	f = New(Config{SignIn: true, SignInTTL: 20 * time.Minute})
	c.Step = stepCard
	out = f.Step(c, bot.Input{Kind: bot.Pressed, Action: actReset}, t0)
	wantText(t, out.Replies[0].Text, "works for 20 minutes")
	f.Step(c, bot.Input{Kind: bot.Pressed, Action: actSignIn}, t0)
	if !c.Expires.Equal(t0.Add(20 * time.Minute)) {
		t.Errorf("the sign-in step expires %v, want after 20 minutes: never before its link", c.Expires)
	}
}

func TestAPassingGraphErrorKeepsPolling(t *testing.T) {
	s := start(t, "en", devices["android6"])
	d := devices["android6"]
	s.result(bot.CommandResult{Command: bot.Command{Op: bot.OpResetStatus, Device: d, Attempt: 3}, Err: &bot.Error{Code: bot.ErrCodeUnavailable}})
	if len(s.out.Replies) != 0 || len(s.out.FollowUps) != 1 || s.out.FollowUps[0].Kind != FollowPoll || s.out.FollowUps[0].Attempt != 4 {
		t.Errorf("replies %+v follow-ups %+v: want a silent next poll", s.out.Replies, s.out.FollowUps)
	}
}

func TestAnApprovalAllowsOneReset(t *testing.T) {
	s := start(t, "en", devices["company"])
	d := devices["company"]
	d.OwnerID, d.OwnerUPN = ownerOID, owner
	r := &bot.Request{ID: "R1", Device: d, State: bot.RequestApproved}
	s.out = s.f.Step(s.c, bot.Input{Kind: bot.Approved, Request: r}, t0)
	if s.c.Request != "R1" || s.c.Step != stepConfirm {
		t.Fatalf("after approval: %+v, want the banner: the requester still signs in", s.c)
	}
	s.signIn()
	if s.c.Step != stepWithYou {
		t.Fatalf("after the sign-in: step %q", s.c.Step)
	}
	s.press(actNo, "")
	if s.c.Request != "" {
		t.Error("the approval outlived its answer")
	}
}

func TestQuestionMarkIsHelp(t *testing.T) {
	if c := parse(" ? "); c.verb != verbHelp {
		t.Errorf("parse(?) = %+v", c)
	}
}

func TestAFailedEnterpriseResetNamesThePasscodePolicy(t *testing.T) {
	for device, want := range map[string]string{
		"workprof":  "alleen opnieuw worden ingesteld als het beleid van uw bedrijf die beheert en het opnieuw instellen op het apparaat is toegestaan",
		"dedicated": "wachtwoordcodebeleid",
	} {
		s := start(t, "nl", devices[device])
		d := devices[device]
		s.result(bot.CommandResult{Command: bot.Command{Op: bot.OpReset, Device: d}, Reset: bot.ResetResult{State: bot.ActionFailed}})
		wantText(t, s.reply().Text, want)
	}
}

func TestPollsAskForThisResetOnly(t *testing.T) {
	s := start(t, "en", devices["android6"])
	d := devices["android6"]
	s.result(bot.CommandResult{Command: bot.Command{Op: bot.OpReset, Device: d}, Reset: bot.ResetResult{State: bot.ActionPending}})
	poll := s.out.FollowUps[len(s.out.FollowUps)-1]
	if poll.Kind != FollowPoll || !poll.Since.Equal(t0) {
		t.Fatalf("poll %+v: want Since at the reset (%v)", poll, t0)
	}
	s.out = s.f.Step(s.c, bot.Input{Kind: bot.Due, FollowUp: &poll}, t0.Add(time.Minute))
	if cmd := s.out.Commands[0]; !cmd.Since.Equal(t0) {
		t.Errorf("status read %+v: want Since %v", cmd, t0)
	}
}

func TestAResetThatTimedOutIsCheckedNotCalledFailed(t *testing.T) {
	s := start(t, "en", devices["android6"])
	d := devices["android6"]
	s.result(bot.CommandResult{Command: bot.Command{Op: bot.OpReset, Device: d}, Err: &bot.Error{Code: bot.ErrCodeUnavailable}})
	wantText(t, s.reply().Text, "could not confirm", "I will check")
	if len(s.out.FollowUps) != 1 || s.out.FollowUps[0].Kind != FollowPoll || !s.out.FollowUps[0].Since.Equal(t0) {
		t.Errorf("follow-ups %+v, want a status read of this reset", s.out.FollowUps)
	}
	s.result(bot.CommandResult{Command: bot.Command{Op: bot.OpReset, Device: d}, Err: &bot.Error{Code: bot.ErrCodeRateLimited}})
	wantText(t, s.reply().Text, "too many resets")
}
