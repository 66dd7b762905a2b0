// Package locales holds every user-facing text of passbot's flows, in English
// and Dutch. Both languages are product requirements: a key missing from one
// of them fails the tests.
package locales

import (
	"strings"
)

// Languages passbot speaks.
const (
	EN = "en"
	NL = "nl"
)

var catalog = map[string]map[string]string{EN: en, NL: nl}

// Lang picks the language for a locale such as "nl-NL", "nl_BE" or "en-US":
// Dutch for any nl locale, English otherwise.
func Lang(locale string) string {
	l := strings.ToLower(locale)
	if l == NL || strings.HasPrefix(l, "nl-") || strings.HasPrefix(l, "nl_") {
		return NL
	}
	return EN
}

// Supported reports whether passbot has texts in lang.
func Supported(lang string) bool { _, ok := catalog[lang]; return ok }

// Text returns the message key in lang with {name} placeholders filled from
// args, given as name, value pairs. An unknown key returns the key itself, so
// a missing text is visible rather than blank.
func Text(lang, key string, args ...string) string {
	msgs, ok := catalog[lang]
	if !ok {
		msgs = en
	}
	s, ok := msgs[key]
	if !ok {
		return key
	}
	if len(args) == 0 {
		return s
	}
	pairs := make([]string, 0, len(args))
	for i := 0; i+1 < len(args); i += 2 {
		pairs = append(pairs, "{"+args[i]+"}", args[i+1])
	}
	return strings.NewReplacer(pairs...).Replace(s)
}
