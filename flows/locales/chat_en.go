package locales

// enChat are the texts a chat adapter writes itself, about the platform
// rather than the conversation: where the conversation happens (Slack), how
// a chat account gets linked to a work account (Discord). The flows know
// nothing of them; they are here so that both languages are kept together.
var enChat = map[string]string{
	"slack.mention":  "I help you reset the passcode of your phone or tablet, privately. Send me a direct message (for example \"reset my passcode\") or type `/passcode`; I do not do this in channels.",
	"slack.home":     "*passbot* resets the passcode of a phone or tablet you enrolled in Intune, when you have forgotten it.\nPress *Start*, send me a direct message such as \"reset my passcode\", or type `/passcode` anywhere. Type `help` in our chat for more.",
	"slack.start":    "Start",
	"slack.identity": "Slack did not tell me who you are just now, so nothing was changed. Please try again in a minute.",
	"slack.answered": "I answered in your DM.",
	"discord.unlinked": "I don't know yet which company account is yours, so I can't look up your devices.\n" +
		"Ask your IT helpdesk to link your Discord account to your work account: they use `/passcode link` with your Discord name and your work e-mail address. " +
		"Your Discord user ID is `{id}`.\nOnce you are linked, send me \"reset my passcode\" again.",
	"discord.link.denied": "Only passbot approvers can link accounts. Ask your IT helpdesk.",
	"discord.link.usage":  "Use `/passcode link user:@someone upn:name@company.com` to link, or `/passcode unlink user:@someone` to remove a link.",
	"discord.link.badupn": "`{upn}` does not look like a work account (name@company.com).",
	"discord.link.done":   "Linked <@{id}> to `{upn}`.",
	"discord.link.bot":    "Bots cannot be linked.",
	"discord.unlink.done": "<@{id}> is no longer linked.",
	// The /passcode command as Discord lists it: descriptions of at most
	// 100 characters, choice names of at most 100.
	"discord.cmd":          "Reset the passcode of a phone or tablet you enrolled in Intune",
	"discord.cmd.action":   "What to do (default: start a reset)",
	"discord.cmd.reset":    "reset",
	"discord.cmd.help":     "help",
	"discord.cmd.status":   "status",
	"discord.cmd.cancel":   "cancel",
	"discord.cmd.pending":  "pending (helpdesk)",
	"discord.cmd.audit":    "audit (helpdesk)",
	"discord.cmd.language": "The language I speak to you",
	"discord.cmd.link":     "Approvers: the Discord user to link to a work account",
	"discord.cmd.upn":      "Approvers: the work account (name@company.com) to link to, or whose audit trail to show",
	"discord.cmd.unlink":   "Approvers: the Discord user whose link to remove",
}

func init() { merge(en, enChat) }
