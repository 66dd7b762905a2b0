package locales

import (
	"regexp"
	"slices"
	"testing"
)

var placeholder = regexp.MustCompile(`\{[a-z]+\}`)

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

func TestLang(t *testing.T) {
	for locale, want := range map[string]string{"nl": NL, "nl-NL": NL, "nl_BE": NL, "NL-nl": NL, "en-US": EN, "": EN, "de-DE": EN, "nlx": EN} {
		if got := Lang(locale); got != want {
			t.Errorf("Lang(%q) = %q, want %q", locale, got, want)
		}
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
