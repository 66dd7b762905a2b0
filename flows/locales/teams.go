package locales

// Texts of the Teams adapter itself: what it tells a person before the
// engine is involved. They live apart from the conversation's texts so
// that the adapter and the flows change them without colliding.
var (
	enTeams = map[string]string{
		"teams.noaccount": "I can only help people who use Teams with a work account of this organisation, and Teams did not tell me yours. Contact your company support.",
		"teams.done":      "Done.",
	}
	nlTeams = map[string]string{
		"teams.noaccount": "Ik kan alleen mensen helpen die Teams gebruiken met een werkaccount van deze organisatie, en Teams gaf mij het uwe niet door. Neem contact op met de ondersteuning van uw bedrijf.",
		"teams.done":      "Klaar.",
	}
)

func init() {
	merge(en, enTeams)
	merge(nl, nlTeams)
}
