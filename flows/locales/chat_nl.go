package locales

// nlChat are the Dutch texts of enChat.
var nlChat = map[string]string{
	"slack.mention":  "Ik help u privé de wachtwoordcode van uw telefoon of tablet opnieuw in te stellen. Stuur me een direct bericht (bijvoorbeeld \"wachtwoordcode vergeten\") of typ `/passcode`; in kanalen doe ik dat niet.",
	"slack.home":     "*passbot* stelt de wachtwoordcode opnieuw in van een telefoon of tablet die u bij Intune hebt geregistreerd, als u die bent vergeten.\nDruk op *Starten*, stuur me een direct bericht zoals \"wachtwoordcode vergeten\", of typ `/passcode` waar u maar wilt. Typ `help` in ons gesprek voor meer.",
	"slack.start":    "Starten",
	"slack.identity": "Slack vertelde me zojuist niet wie u bent, dus er is niets gewijzigd. Probeer het over een minuut opnieuw.",
	"slack.answered": "Ik heb geantwoord in uw privébericht.",
	"discord.unlinked": "Ik weet nog niet welk bedrijfsaccount van u is, dus ik kan uw apparaten niet opzoeken.\n" +
		"Vraag uw IT-helpdesk om uw Discord-account aan uw werkaccount te koppelen: zij gebruiken `/passcode link` met uw Discord-naam en uw zakelijke e-mailadres. " +
		"Uw Discord-gebruikers-ID is `{id}`.\nStuur me daarna opnieuw \"wachtwoordcode vergeten\".",
	"discord.link.denied": "Alleen goedkeurders van passbot kunnen accounts koppelen. Vraag het aan uw IT-helpdesk.",
	"discord.link.usage":  "Gebruik `/passcode link user:@iemand upn:naam@bedrijf.nl` om te koppelen, of `/passcode unlink user:@iemand` om een koppeling te verwijderen.",
	"discord.link.badupn": "`{upn}` lijkt geen werkaccount te zijn (naam@bedrijf.nl).",
	"discord.link.done":   "<@{id}> is gekoppeld aan `{upn}`.",
	"discord.link.bot":    "Bots kunnen niet worden gekoppeld.",
	"discord.unlink.done": "<@{id}> is niet meer gekoppeld.",
	// The /passcode command as Discord lists it: descriptions of at most
	// 100 characters, choice names of at most 100.
	"discord.cmd":          "Stel de wachtwoordcode opnieuw in van een telefoon of tablet die u bij Intune hebt geregistreerd",
	"discord.cmd.action":   "Wat wilt u doen (standaard: opnieuw instellen)",
	"discord.cmd.reset":    "opnieuw instellen",
	"discord.cmd.help":     "hulp",
	"discord.cmd.status":   "status",
	"discord.cmd.cancel":   "annuleren",
	"discord.cmd.pending":  "openstaand (helpdesk)",
	"discord.cmd.audit":    "audittrail (helpdesk)",
	"discord.cmd.language": "De taal waarin ik met u praat",
	"discord.cmd.link":     "Goedkeurders: de Discord-gebruiker die u aan een werkaccount koppelt",
	"discord.cmd.upn":      "Goedkeurders: het werkaccount (naam@bedrijf.nl) om aan te koppelen, of waarvan u de audittrail ziet",
	"discord.cmd.unlink":   "Goedkeurders: de Discord-gebruiker van wie u de koppeling verwijdert",
}

func init() { merge(nl, nlChat) }
