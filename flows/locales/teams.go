package locales

// Texts of the Teams adapter itself: what it tells a person before the
// engine is involved. They live apart from the conversation's texts so
// that the adapter and the flows change them without colliding.
var (
	enTeams = map[string]string{
		"teams.noaccount": "I can only help people who use Teams with a work account of this organisation, and Teams did not tell me yours. Contact your company support.",
		"teams.done":      "Done.",
		"teams.working":   "One moment: I am still working on it, my answer follows.",
		"teams.welcome":   "Hi, I am passbot. I reset the passcode (PIN) of a phone or tablet you enrolled in Intune, when you forgot it. To start, type \"reset my passcode\" here; \"help\" tells more.",
	}
	nlTeams = map[string]string{
		"teams.noaccount": "Ik kan alleen mensen helpen die Teams gebruiken met een werkaccount van deze organisatie, en Teams gaf mij het uwe niet door. Neem contact op met de ondersteuning van uw bedrijf.",
		"teams.done":      "Klaar.",
		"teams.working":   "Een ogenblik: ik ben er nog mee bezig, mijn antwoord volgt.",
		"teams.welcome":   "Hallo, ik ben passbot. Ik stel de wachtwoordcode (pincode) opnieuw in van een telefoon of tablet die u bij Intune hebt geregistreerd, als u die bent vergeten. Typ om te beginnen hier \"wachtwoordcode vergeten\"; \"help\" vertelt meer.",
	}
)

func init() {
	merge(en, enTeams)
	merge(nl, nlTeams)
}
