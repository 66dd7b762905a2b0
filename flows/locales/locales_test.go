package locales

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEveryTextExistsInBothLanguagesWithTheSamePlaceholders(t *testing.T) {
	for key, e := range en {
		n, ok := nl[key]
		if !ok {
			t.Errorf("%s: no Dutch text", key)
			continue
		}
		pe, pn := placeholder.FindAllString(e, -1), placeholder.FindAllString(n, -1)
		slices.Sort(pe)
		slices.Sort(pn)
		if !slices.Equal(pe, pn) {
			t.Errorf("%s: placeholders en %v nl %v", key, pe, pn)
		}
	}
	for key := range nl {
		if _, ok := en[key]; !ok {
			t.Errorf("%s: no English text", key)
		}
	}
}

// The Dutch texts use the seed guide's words: "opnieuw instellen", never
// the loan word "reset", and one word for a device's check-in with Intune,
// "gesynchroniseerd" (the card's "Laatst gesynchroniseerd"), never "zich
// gemeld", which the texts also use for reporting a device lost.
func TestDutchUsesTheGuidesWords(t *testing.T) {
	reset := regexp.MustCompile(`(?i)\breset\b`)
	checkedIn := regexp.MustCompile(`(?i)\bzich\b[^.:]*\bgemeld\b|\bmelden zich\b`)
	for key, text := range nl {
		if reset.MatchString(text) {
			t.Errorf("%s: %q uses the loan word reset", key, text)
		}
		if checkedIn.MatchString(text) {
			t.Errorf("%s: %q says a check-in is \"gemeld\"", key, text)
		}
	}
	for _, key := range []string{"device.checkin", "device.quiet", "device.silent", "device.ended", "lock.quiet", "lost.notice"} {
		if !strings.Contains(nl[key], "gesynchroniseerd") && !strings.Contains(nl[key], "synchroniseren") {
			t.Errorf("%s: %q does not say synchroniseren", key, nl[key])
		}
	}
}

func TestLang(t *testing.T) {
	for locale, want := range map[string]string{"nl": NL, "nl-NL": NL, "nl_BE": NL, "NL-nl": NL, "en-US": EN, "": EN, "de-DE": EN, "nlx": EN} {
		if got := Lang(locale); got != want {
			t.Errorf("Lang(%q) = %q, want %q", locale, got, want)
		}
	}
}

func TestForLocale(t *testing.T) {
	if got := ForLocale("nl-NL", "lock.sent", "name", "iPad"); got != "🔒 iPad wordt extern vergrendeld." {
		t.Errorf("nl-NL: got %q", got)
	}
	if got := ForLocale("en-GB", "btn.no"); got != "No" {
		t.Errorf("en-GB: got %q", got)
	}
	if got := ForLocale("", "btn.no"); got != "No\n\nNee" {
		t.Errorf("unknown locale: got %q, want both languages", got)
	}
}

func TestText(t *testing.T) {
	if got := Text(NL, "lock.sent", "name", "iPad"); got != "🔒 iPad wordt extern vergrendeld." {
		t.Errorf("got %q", got)
	}
	if got := Text("fr", "btn.no"); got != "No" {
		t.Errorf("unknown language: got %q, want English", got)
	}
	if got := Text(EN, "no.such.key"); got != "no.such.key" {
		t.Errorf("missing key: got %q", got)
	}
}

func TestPluralsFollowTheNumber(t *testing.T) {
	cases := []struct {
		lang string
		d    time.Duration
		want string
	}{
		{EN, time.Minute, "1 minute"}, {EN, 5 * time.Minute, "5 minutes"},
		{EN, time.Hour, "1 hour"}, {EN, 3 * time.Hour, "3 hours"}, {EN, 50 * time.Hour, "2 days"},
		{NL, time.Minute, "1 minuut"}, {NL, 5 * time.Minute, "5 minuten"}, {NL, 3 * time.Hour, "3 uur"},
		{NL, 24 * time.Hour, "24 uur"}, {NL, 72 * time.Hour, "3 dagen"},
	}
	for _, tc := range cases {
		if got := Span(tc.lang, tc.d); got != tc.want {
			t.Errorf("Span(%s, %v) = %q, want %q", tc.lang, tc.d, got, tc.want)
		}
	}
	// Never "0 minutes" for a wait of seconds.
	for _, tc := range []struct {
		lang string
		d    time.Duration
		span string
		in   string
	}{
		{EN, 0, "less than a minute", "in less than a minute"}, {EN, 29 * time.Second, "less than a minute", "in less than a minute"},
		{NL, 29 * time.Second, "minder dan een minuut", "binnen een minuut"},
		{EN, 3 * time.Minute, "3 minutes", "in 3 minutes"}, {NL, 3 * time.Minute, "3 minuten", "over 3 minuten"},
	} {
		if got := Span(tc.lang, tc.d); got != tc.span {
			t.Errorf("Span(%s, %v) = %q, want %q", tc.lang, tc.d, got, tc.span)
		}
		if got := Until(tc.lang, tc.d); got != tc.in {
			t.Errorf("Until(%s, %v) = %q, want %q", tc.lang, tc.d, got, tc.in)
		}
	}
	if got := Text(NL, "approval.digest", "count", "1"); !strings.HasPrefix(got, "📋 1 aanvraag voor") {
		t.Errorf("one request in Dutch: %q", got)
	}
	if got := Text(EN, "approval.digest", "count", "3"); got != "📋 3 passcode reset requests are waiting for a decision:" {
		t.Errorf("three requests: %q", got)
	}
	if got := Text(EN, "signin.link"); !strings.Contains(got, "{link}") {
		t.Errorf("a placeholder without a value must stay visible: %q", got)
	}
}
