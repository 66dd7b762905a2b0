package discord

import (
	"strings"
)

// The adapter's own texts: linking is a Discord matter the flows know
// nothing about. Both languages are required, as for the flows.
var texts = map[string]map[string]string{
	"en": {
		"unlinked": "I don't know yet which company account is yours, so I can't look up your devices.\n" +
			"Ask your IT helpdesk to link your Discord account to your work account: they use `/passcode link` with your Discord name and your work e-mail address. " +
			"Your Discord user ID is `{id}`.\nOnce you are linked, send me \"reset my passcode\" again.",
		"link.denied": "Only passbot approvers can link accounts. Ask your IT helpdesk.",
		"link.usage":  "Use `/passcode link user:@someone upn:name@company.com` to link, or `/passcode unlink user:@someone` to remove a link.",
		"link.badupn": "`{upn}` does not look like a work account (name@company.com).",
		"link.done":   "Linked <@{id}> to `{upn}`.",
		"link.bot":    "Bots cannot be linked.",
		"unlink.done": "<@{id}> is no longer linked.",
		"unavailable": "I cannot reach a service I need right now. Nothing was changed: please try again in a minute.",
		"internal":    "Something went wrong on my side. Nothing was changed: please try again.",
	},
	"nl": {
		"unlinked": "Ik weet nog niet welk bedrijfsaccount van u is, dus ik kan uw apparaten niet opzoeken.\n" +
			"Vraag uw IT-helpdesk om uw Discord-account aan uw werkaccount te koppelen: zij gebruiken `/passcode link` met uw Discord-naam en uw werk-e-mailadres. " +
			"Uw Discord-gebruikers-ID is `{id}`.\nStuur me daarna opnieuw \"wachtwoordcode vergeten\".",
		"link.denied": "Alleen passbot-beheerders kunnen accounts koppelen. Vraag het uw IT-helpdesk.",
		"link.usage":  "Gebruik `/passcode link user:@iemand upn:naam@bedrijf.nl` om te koppelen, of `/passcode unlink user:@iemand` om een koppeling te verwijderen.",
		"link.badupn": "`{upn}` lijkt geen werkaccount (naam@bedrijf.nl).",
		"link.done":   "<@{id}> is gekoppeld aan `{upn}`.",
		"link.bot":    "Bots kunnen niet worden gekoppeld.",
		"unlink.done": "<@{id}> is niet meer gekoppeld.",
		"unavailable": "Ik kan een dienst die ik nodig heb nu niet bereiken. Er is niets gewijzigd: probeer het over een minuut opnieuw.",
		"internal":    "Er ging bij mij iets mis. Er is niets gewijzigd: probeer het opnieuw.",
	},
}

// lang picks nl for any Dutch locale ("nl", "nl-NL", "nl_BE") and en otherwise.
func lang(locale string) string {
	l := strings.ToLower(locale)
	if l == "nl" || strings.HasPrefix(l, "nl-") || strings.HasPrefix(l, "nl_") {
		return "nl"
	}
	return "en"
}

// text returns key in the language of locale with {name} placeholders
// filled from name, value pairs. An empty locale (a DM from someone the
// adapter has not seen in an interaction yet) gives both languages.
func text(locale, key string, args ...string) string {
	if locale == "" {
		return text("en", key, args...) + "\n\n" + text("nl", key, args...)
	}
	s := texts[lang(locale)][key]
	pairs := make([]string, 0, len(args))
	for i := 0; i+1 < len(args); i += 2 {
		pairs = append(pairs, "{"+args[i]+"}", args[i+1])
	}
	return strings.NewReplacer(pairs...).Replace(s)
}
