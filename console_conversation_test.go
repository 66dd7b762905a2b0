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
