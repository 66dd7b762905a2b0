package main

import (
	"strings"
	"testing"
)

// The conversation as a new user tries it in the console, in English and
// Dutch (issue 24): the opening line in the console's language, a typed
// device name picks the device, a Mac's card reports it lost, times are in
// the console's zone (TZ) with the zone named, and no wait says "0 minutes".
func TestConsoleConversationReadsLikeThePortal(t *testing.T) {
	cases := []struct {
		locale string
		script []string
		want   []string
	}{
		{"en", []string{"reset my passcode", "Galaxy S7", "Cancel", "reset my passcode", "MacBook Air", "Report it lost"}, []string{
			"passbot console: you are adele.vance@contoso.com.",
			"bot> Adele's Galaxy S7\n",
			"Last check-in with Intune: ",
			"CET (1 hour ago).",
			"bot> Adele's MacBook Air\n",
			"helpdesk channel> 📵 Device reported lost or stolen",
			"I told your company support (the IT helpdesk) that Adele's MacBook Air is lost or stolen",
		}},
		{"nl", []string{"wachtwoordcode vergeten", "mijn Galaxy S7", "Annuleren", "wachtwoordcode vergeten", "MacBook Air", "Meld als verloren"}, []string{
			"passbot-console: u bent adele.vance@contoso.com.",
			"bot> Adele's Galaxy S7\n",
			"Laatst gesynchroniseerd met Intune: ",
			"CET (1 uur geleden).",
			"bot> Adele's MacBook Air\n",
			"helpdesk channel> 📵 Device reported lost or stolen",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.locale, func(t *testing.T) {
			out, logs := runConsole(t, map[string]string{"PASSBOT_CONSOLE_LOCALE": tc.locale, "TZ": "Europe/Amsterdam"}, tc.script...)
			wantOutput(t, out, logs, tc.want...)
			for _, never := range []string{" 0 minutes", " 0 minuten", "use the buttons", "Gebruik de knoppen", "unknown platform"} {
				if strings.Contains(out, never) {
					t.Errorf("output says %q:\n%s", never, out)
				}
			}
		})
	}
}

// One conversation on the console as on every chat (issue 21): a step the
// conversation left behind loses its buttons and says so, and a press of
// someone else's button is answered to the presser alone and leaves the
// owner's buttons working.
func TestConsoleLeavesNoLiveButtonAndAnswersAForeignPressPrivately(t *testing.T) {
	for _, tc := range []struct {
		locale, start, over, foreign string
	}{
		{"en", "reset my passcode", "bot (edits an earlier message)> This step is over: my latest message is below.",
			"bot (only you)> That button belongs to someone else's request."},
		{"nl", "wachtwoordcode vergeten", "bot (edits an earlier message)> Deze stap is afgesloten: mijn laatste bericht staat hieronder.",
			"bot (only you)> Die knop hoort bij de aanvraag van iemand anders."},
	} {
		t.Run(tc.locale, func(t *testing.T) {
			out, logs := runConsole(t, map[string]string{"PASSBOT_CONSOLE_LOCALE": tc.locale},
				tc.start, tc.start, "/as lieke.devries@contoso.com", "1", "/as adele.vance@contoso.com", "1")
			wantOutput(t, out, logs, tc.over, tc.foreign, "bot> Adele's Galaxy S7\n")
			if n := strings.Count(out, "(edits an earlier message)"); n != 1 {
				t.Errorf("%d messages edited, want the first device list only:\n%s", n, out)
			}
		})
	}
}
