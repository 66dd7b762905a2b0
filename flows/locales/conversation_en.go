package locales

// enConversation are the texts that make the conversation read like the
// Company Portal: spans of seconds, long device lists, typed device names,
// expired sign-in links and the organisation on the sign-in pages.
var enConversation = map[string]string{
	"span.lessminute":      "less than a minute",
	"until.lessminute":     "in less than a minute",
	"until":                "in {span}",
	"help.helpdesk":        "• pending and audit [user] list open requests and the audit trail",
	"status.open.nodevice": "Still open in this chat: {step}.",
	"devices.page":         "Devices {from} to {to} of {count}.",
	"btn.moredevices":      "More devices",
	"btn.firstdevices":     "First devices",
	"devices.notfound":     "None of your devices is called \"{text}\". Press one of the buttons, or type a device's name as it is listed.",
	"devices.several":      "Several of your devices are called \"{text}\": press the button of the one you mean.",
	"signin.expired.moved": "A sign-in link of yours was opened after it expired. Nothing was reset. Type \"reset my passcode\" for a new one.",
	"console.hello":        "passbot console: you are {user}. Type \"reset my passcode\" (or \"wachtwoordcode vergeten\"), \"help\", or press a button by its number. \"/as NAME\" switches persona (helpdesk approvers: {approvers}). Ctrl-D quits.",
	"page.support":         "Questions? Contact your company support: {support}.",
	"page.next.microsoft":  "Sign in takes you to Microsoft's sign-in page ({host}), where you sign in with your work account as usual; passbot never sees your password.",
	"page.next.demo":       "Sign in takes you to the demo's sign-in page, which stands in for Microsoft's.",
	"page.after.device":    "Then come back to the chat: it asks whether you have {name} with you before anything is reset.",
	"page.after.link":      "Then come back to the chat.",
	"signin.account":       "linking your work account",
	"idp.account":          "Work account",
}

func init() { merge(en, enConversation) }
