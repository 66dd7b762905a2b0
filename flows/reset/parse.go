package reset

import (
	"slices"
	"strings"
	"unicode"

	"github.com/passbot/passbot/flows/locales"
)

type verb int

const (
	verbNone verb = iota
	verbStart
	verbHelp
	verbCancel
	verbStatus
	verbLanguage
	verbPending
	verbAudit
	verbYes // answers the device-with-you question
	verbNo
)

// command is what a typed line asks for. lang is the language the line was
// written in, when the words make that clear.
type command struct {
	verb verb
	arg  string
	lang string
}

// Trigger words. A line that contains a Dutch one starts the conversation in
// Dutch and an English one in English; "reset" and "pin" alone are the same
// in both and keep the current language.
var (
	dutchTriggers   = []string{"vergeten", "wachtwoordcode", "pincode", "wachtwoord", "opnieuw instellen", "herstellen", "ontgrendel"}
	englishTriggers = []string{"passcode", "password", "forgot", "forgotten", "locked out", "unlock", "reset my", "my pin"}
	neutralTriggers = []string{"reset", "pin", "start", "passbot"}
)

// parse reads one typed line. Empty text (a bare slash command) starts a
// reset.
func parse(text string) command {
	if strings.TrimSpace(text) == "?" {
		return command{verb: verbHelp}
	}
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	line := strings.Join(words, " ")
	if len(words) == 0 {
		return command{verb: verbStart}
	}
	switch words[0] {
	case "help", "hulp":
		return command{verb: verbHelp}
	case "cancel", "stop", "annuleren", "annuleer":
		return command{verb: verbCancel}
	case "status":
		return command{verb: verbStatus}
	case "pending", "openstaand":
		return command{verb: verbPending}
	case "audit":
		// The user argument is a UPN or platform:id: keep its characters.
		fields := strings.Fields(text)
		c := command{verb: verbAudit}
		if len(fields) > 1 {
			c.arg = fields[1]
		}
		return c
	case "yes", "ja":
		switch {
		case len(words) == 1 || len(words) == 2 && slices.Contains([]string{"please", "graag"}, words[1]):
			return command{verb: verbYes}
		case len(words) == 2 && slices.Contains([]string{"reset", "resetten"}, words[1]):
			// The button's label typed: the answer at the question, a start
			// word anywhere else (arg says so).
			return command{verb: verbYes, arg: words[1]}
		}
	case "no", "nee":
		if len(words) == 1 {
			return command{verb: verbNo}
		}
	case "language", "taal", "lang":
		c := command{verb: verbLanguage}
		if len(words) > 1 {
			c.arg = words[1]
		}
		return c
	}
	switch {
	case containsAny(line, dutchTriggers):
		return command{verb: verbStart, lang: locales.NL}
	case containsAny(line, englishTriggers):
		return command{verb: verbStart, lang: locales.EN}
	case containsAny(line, neutralTriggers):
		return command{verb: verbStart}
	}
	return command{}
}

// containsAny matches whole words or phrases of line.
func containsAny(line string, phrases []string) bool {
	padded := " " + line + " "
	for _, p := range phrases {
		if strings.Contains(padded, " "+p+" ") {
			return true
		}
	}
	return false
}

// deviceWords is a device name as compared with a typed one: lower case,
// words only, without a leading "my" or "mijn".
func deviceWords(name string) string {
	words := strings.FieldsFunc(strings.ToLower(name), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	if len(words) > 1 && slices.Contains([]string{"my", "mijn", "the", "de", "het"}, words[0]) {
		words = words[1:]
	}
	return strings.Join(words, " ")
}
