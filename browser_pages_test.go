package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The sign-in pages an employee sees, in chromium at a phone's and a
// laptop's width, in both languages: they name the organisation and its
// support contact, the device and where Sign in leads; every button is a
// 44 px touch target, the demo provider's input has a name, and nothing is
// wider than the screen. PASSBOT_SCREENSHOTS=dir keeps a screenshot of
// each page there, to look at.
func TestSignInPagesAtPhoneAndLaptopWidths(t *testing.T) {
	cases := []struct {
		locale                  string
		start, reset, signInBtn string
		want                    []string // on the link's page
		idp, done               string
	}{
		{"en", "reset my passcode", "Reset Passcode", "Sign in again",
			[]string{"Contoso Ltd", "To reset the passcode of Adele's Galaxy S7", "Sign in takes you to the demo's sign-in page",
				"asks whether you have Adele's Galaxy S7 with you", "Questions? Contact your company support: +31 20 123 4567."},
			"Work account", "You are signed in. Go back to the chat."},
		{"nl", "wachtwoordcode vergeten", "Wachtwoordcode opnieuw instellen", "Opnieuw aanmelden",
			[]string{"Contoso Ltd", "Adele's Galaxy S7", "Aanmelden brengt u naar de aanmeldpagina van de demo",
				"Vragen? Neem contact op met het ondersteuningsteam van uw bedrijf: +31 20 123 4567."},
			"Werkaccount", "U bent aangemeld."},
	}
	shots := os.Getenv("PASSBOT_SCREENSHOTS")
	for _, tc := range cases {
		for _, width := range []int64{375, 1280} {
			t.Run(fmt.Sprintf("%s/%d", tc.locale, width), func(t *testing.T) {
				t.Setenv("PASSBOT_CONSOLE_LOCALE", tc.locale)
				t.Setenv("PASSBOT_ORG_NAME", "Contoso Ltd")
				t.Setenv("PASSBOT_SUPPORT_CONTACT", "+31 20 123 4567")
				c := startConsoleChat(t)
				c.say(tc.start, "1", tc.reset, tc.signInBtn)
				c.waitFor("/signin/")
				link := signInLink.FindString(c.out.String())
				b := browser(t, c.ctx)
				look := func(name, sel string) string {
					t.Helper()
					if err := chromedp.Do(b, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					text, err := chromedp.Run(b, chromedp.Text(chromedp.CSS("body")))
					if err != nil {
						t.Fatal(err)
					}
					// Touch targets, the input's name, and no sideways scrolling.
					check, err := chromedp.Run(b, chromedp.Evaluate[string](`(() => {
						const bad = [];
						for (const e of document.querySelectorAll('button, input:not([type=hidden])')) {
							const r = e.getBoundingClientRect();
							if (r.height < 44) bad.push(e.id + ' is ' + r.height + ' px high');
							if (e.tagName === 'INPUT' && (e.labels.length === 0 || e.labels[0].textContent.trim() === '')) bad.push(e.id + ' has no label');
						}
						if (document.documentElement.scrollWidth > window.innerWidth) bad.push('wider than the screen');
						return bad.join('; ');
					})()`))
					if err != nil || check != "" {
						t.Errorf("%s: %s %v", name, check, err)
					}
					if shots != "" {
						png, err := chromedp.Run(b, chromedp.FullScreenshot(100))
						if err == nil {
							err = os.WriteFile(filepath.Join(shots, fmt.Sprintf("%s-%s-%d.png", name, tc.locale, width)), png, 0o644)
						}
						if err != nil {
							t.Error(err)
						}
					}
					return text
				}
				if err := chromedp.Do(b, chromedp.EmulateViewport(width, 800), chromedp.Navigate(link)); err != nil {
					t.Fatal(err)
				}
				page := look("link", "#go-1")
				for _, w := range tc.want {
					if !strings.Contains(page, w) {
						t.Errorf("link page lacks %q: %q", w, page)
					}
				}
				if err := chromedp.Do(b, chromedp.Click(chromedp.ID("go-1"))); err != nil {
					t.Fatal(err)
				}
				if page := look("provider", "#action-signin"); !strings.Contains(page, tc.idp) {
					t.Errorf("provider page lacks the input's label %q: %q", tc.idp, page)
				}
				if err := chromedp.Do(b, chromedp.Click(chromedp.ID("action-signin")), chromedp.WaitVisible(chromedp.CSS("footer"))); err != nil {
					t.Fatal(err)
				}
				page = look("done", "footer")
				for _, w := range []string{tc.done, "Contoso Ltd", "+31 20 123 4567"} {
					if !strings.Contains(page, w) {
						t.Errorf("last page lacks %q: %q", w, page)
					}
				}
			})
		}
	}
}
