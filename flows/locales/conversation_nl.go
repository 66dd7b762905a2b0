package locales

// nlConversation: see enConversation.
var nlConversation = map[string]string{
	"span.lessminute":      "minder dan een minuut",
	"until.lessminute":     "binnen een minuut",
	"until":                "over {span}",
	"help.helpdesk":        "• pending en audit [gebruiker] tonen openstaande aanvragen en de audittrail",
	"status.open.nodevice": "Nog open in deze chat: {step}.",
	"devices.page":         "Apparaten {from} tot en met {to} van {count}.",
	"btn.moredevices":      "Meer apparaten",
	"btn.firstdevices":     "Eerste apparaten",
	"devices.notfound":     "Geen van uw apparaten heet \"{text}\". Druk op een van de knoppen, of typ de naam van een apparaat zoals die in de lijst staat.",
	"devices.several":      "Meerdere van uw apparaten heten \"{text}\": druk op de knop van het apparaat dat u bedoelt.",
	"signin.expired.moved": "Een aanmeldlink van u werd geopend nadat die verlopen was. Er is niets opnieuw ingesteld. Typ \"wachtwoordcode vergeten\" voor een nieuwe.",
	"console.hello":        "passbot-console: u bent {user}. Typ \"wachtwoordcode vergeten\" (of \"forgot my PIN\"), \"help\", of druk op een knop door het nummer te typen. \"/as NAAM\" wisselt van persoon (goedkeurders van het ondersteuningsteam: {approvers}). Ctrl-D stopt.",
	"page.support":         "Vragen? Neem contact op met het ondersteuningsteam van uw bedrijf: {support}.",
	"page.next.microsoft":  "Aanmelden brengt u naar de aanmeldpagina van Microsoft ({host}), waar u zich zoals gewoonlijk aanmeldt met uw werkaccount; passbot ziet uw wachtwoord nooit.",
	"page.next.demo":       "Aanmelden brengt u naar de aanmeldpagina van de demo, die de plaats van die van Microsoft inneemt.",
	"page.after.device":    "Ga daarna terug naar de chat: die vraagt of u {name} bij u hebt voordat er iets opnieuw wordt ingesteld.",
	"page.after.link":      "Ga daarna terug naar de chat.",
	"signin.account":       "het koppelen van uw werkaccount",
	"idp.account":          "Werkaccount",
}

func init() { merge(nl, nlConversation) }
