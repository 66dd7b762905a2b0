// Package locales holds every user-facing text of passbot, the flows' and the
// few the chat adapters write themselves, in English and Dutch. Both
// languages are product requirements: a key missing from one of them fails
// the tests.
//
// Texts are go-i18n messages. A text whose words depend on a number has one
// key per CLDR plural form, "key#one" and "key#other"; its number is the
// first of its placeholders named in countArgs. Placeholders are written
// {name} and filled from Text's arguments.
package locales

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Languages passbot speaks.
const (
	EN = "en"
	NL = "nl"
)

var catalog = map[string]map[string]string{EN: en, NL: nl}

// countArgs are the placeholder names that carry a plural text's number.
var countArgs = []string{"count", "n"}

// Lang picks the language for a locale such as "nl-NL", "nl_BE" or "en-US":
// Dutch for any nl locale, English otherwise.
func Lang(locale string) string {
	l := strings.ToLower(locale)
	if l == NL || strings.HasPrefix(l, "nl-") || strings.HasPrefix(l, "nl_") {
		return NL
	}
	return EN
}

// ForLocale returns the message key, as Text does, in the language of a
// chat platform's locale ("nl-NL"). A person whose locale the adapter does
// not know ("") gets it in English and in Dutch, a paragraph each: a wrong
// guess could leave them with a text they cannot read.
func ForLocale(locale, key string, args ...string) string {
	if locale == "" {
		return Text(EN, key, args...) + "\n\n" + Text(NL, key, args...)
	}
	return Text(Lang(locale), key, args...)
}

// Supported reports whether passbot has texts in lang.
func Supported(lang string) bool { _, ok := catalog[lang]; return ok }

var placeholder = regexp.MustCompile(`\{([a-z]+)\}`)

// text is what Text needs of a message besides go-i18n's copy of it.
type text struct {
	params []string // its placeholders
	count  string   // the placeholder carrying its number; "" without plural forms
}

// books are the go-i18n localizers and the messages' placeholders, built
// on first use: the catalog is complete only after every init has merged
// its texts in.
var books = sync.OnceValues(func() (map[string]*i18n.Localizer, map[string]text) {
	bundle := i18n.NewBundle(language.English)
	texts := map[string]text{}
	for lang, msgs := range catalog {
		byID := map[string]*i18n.Message{}
		for key, s := range msgs {
			id, form, plural := strings.Cut(key, "#")
			m := byID[id]
			if m == nil {
				m = &i18n.Message{ID: id}
				byID[id] = m
			}
			s = placeholder.ReplaceAllString(s, "{{.$1}}")
			switch {
			case !plural:
				m.Other = s
			case form == "one":
				m.One = s
			default:
				m.Other = s
			}
			t := texts[id]
			for _, p := range placeholder.FindAllStringSubmatch(msgs[key], -1) {
				if !slices.Contains(t.params, p[1]) {
					t.params = append(t.params, p[1])
				}
				if plural && t.count == "" && slices.Contains(countArgs, p[1]) {
					t.count = p[1]
				}
			}
			texts[id] = t
		}
		tag := language.MustParse(lang)
		for _, m := range byID {
			if err := bundle.AddMessages(tag, m); err != nil {
				panic("locales: " + lang + " " + m.ID + ": " + err.Error())
			}
		}
	}
	localizers := map[string]*i18n.Localizer{}
	for lang := range catalog {
		localizers[lang] = i18n.NewLocalizer(bundle, lang)
	}
	return localizers, texts
})

// Support is how to reach company support, in lang: the configured contact,
// else the company's IT helpdesk in words.
func Support(lang, contact string) string {
	if contact != "" {
		return contact
	}
	return Text(lang, "support.default")
}

// Span says a duration in words in lang, to the day, hour or minute: "1
// minute", "3 hours", "12 dagen".
func Span(lang string, d time.Duration) string {
	unit, n := "minutes", int(d.Round(time.Minute)/time.Minute)
	switch {
	case d < time.Minute:
		// Never "0 minutes": a wait of seconds is less than a minute.
		return Text(lang, "span.lessminute")
	case d >= 48*time.Hour:
		unit, n = "days", int(d/(24*time.Hour))
	case d >= time.Hour:
		unit, n = "hours", int(d/time.Hour)
	}
	return Text(lang, "span."+unit, "n", strconv.Itoa(n))
}

// Until says how long from now something happens: "in 3 minutes", "over 3
// minuten", and "in less than a minute", "binnen een minuut".
func Until(lang string, d time.Duration) string {
	if d < time.Minute {
		return Text(lang, "until.lessminute")
	}
	return Text(lang, "until", "span", Span(lang, d))
}

// Text returns the message key in lang with its {name} placeholders filled
// from args, given as name, value pairs; a placeholder without a value
// stays as it is. A plural text takes the form for its number. An unknown
// key returns the key itself, so a missing text is visible rather than
// blank.
func Text(lang, key string, args ...string) string {
	localizers, texts := books()
	loc, ok := localizers[lang]
	if !ok {
		loc = localizers[EN]
	}
	t, ok := texts[key]
	if !ok {
		return key
	}
	data := make(map[string]string, len(t.params))
	for _, p := range t.params {
		data[p] = "{" + p + "}"
	}
	for i := 0; i+1 < len(args); i += 2 {
		data[args[i]] = args[i+1]
	}
	cfg := &i18n.LocalizeConfig{MessageID: key, TemplateData: data}
	if t.count != "" {
		n, err := strconv.Atoi(data[t.count])
		if err != nil {
			n = 2 // no number given: the general form
		}
		cfg.PluralCount = n
	}
	s, err := loc.Localize(cfg)
	if err != nil {
		return key
	}
	return s
}
