package locales

// nlIdentity: see enIdentity.
var nlIdentity = map[string]string{
	"signin.mismatch.notice": "⚠️ Aangemeld met een ander account dan dat van de eigenaar van het apparaat\nGevraagd door: {requester} ({account})\nApparaat: {name}, {platform} {version}\n" +
		"Aangemeld als: {upn} (object-ID {oid})\nTijd: {time}\nEr is niets opnieuw ingesteld. Als degene die het vroeg dit niet verwachtte, controleer dan de aanmelding in Entra ID.",
	"signin.linked.notice": "🔗 Chataccount gekoppeld aan een werkaccount\nChataccount: {requester} ({account})\nAangemeld als: {upn} (object-ID {oid})\nTijd: {time}\n" +
		"Dit chataccount ziet voortaan de apparaten van {upn}. Als dat niet dezelfde persoon is, controleer dan de aanmelding in Entra ID.",
	"device.noowner": "Intune noemt geen gebruiker voor {name}, dus een aanmelding kan niet bewijzen dat het van u is. Neem contact op met het ondersteuningsteam van uw bedrijf om de wachtwoordcode voor u opnieuw in te stellen.",
}

func init() { merge(nl, nlIdentity) }
