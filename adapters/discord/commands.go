package discord

import (
	"strings"

	"github.com/bwmarrin/discordgo"
)

const commandName = "passcode"

// command is /passcode with optional options, not subcommands: Discord
// makes a command with subcommands unusable on its own, and a bare
// /passcode must start a reset. So:
//
//	/passcode                             start a reset
//	/passcode action:help|status|cancel   the flow's text commands
//	/passcode action:pending              helpdesk: open approval requests
//	/passcode action:audit [upn:a@b.com]  helpdesk: the audit trail (of one user)
//	/passcode language:nl|en              switch language
//	/passcode link:@user upn:a@b.com      approvers: link a Discord user
//	/passcode unlink:@user                approvers: remove a link
//
// parseCommand also reads the subcommand shape (/passcode reset,
// /passcode help, /passcode language language:nl, /passcode link user:@x
// upn:y) so either registration works.
func command() *discordgo.ApplicationCommand {
	contexts := []discordgo.InteractionContextType{discordgo.InteractionContextGuild, discordgo.InteractionContextBotDM}
	integrations := []discordgo.ApplicationIntegrationType{discordgo.ApplicationIntegrationGuildInstall}
	nl := func(s string) map[discordgo.Locale]string { return map[discordgo.Locale]string{discordgo.Dutch: s} }
	return &discordgo.ApplicationCommand{
		Name:                     commandName,
		Type:                     discordgo.ChatApplicationCommand,
		Description:              "Reset the passcode of a phone or tablet you enrolled in Intune",
		DescriptionLocalizations: &map[discordgo.Locale]string{discordgo.Dutch: "Stel de wachtwoordcode opnieuw in van een telefoon of tablet die bij Intune is geregistreerd"},
		Contexts:                 &contexts,
		IntegrationTypes:         &integrations,
		Options: []*discordgo.ApplicationCommandOption{
			{
				Type:                     discordgo.ApplicationCommandOptionString,
				Name:                     "action",
				Description:              "What to do (default: start a reset)",
				DescriptionLocalizations: nl("Wat te doen (standaard: opnieuw instellen starten)"),
				Choices: []*discordgo.ApplicationCommandOptionChoice{
					{Name: "reset", Value: "reset", NameLocalizations: nl("opnieuw instellen")},
					{Name: "help", Value: "help", NameLocalizations: nl("hulp")},
					{Name: "status", Value: "status"},
					{Name: "cancel", Value: "cancel", NameLocalizations: nl("annuleren")},
					{Name: "pending (helpdesk)", Value: "pending", NameLocalizations: nl("openstaand (helpdesk)")},
					{Name: "audit (helpdesk)", Value: "audit", NameLocalizations: nl("audittrail (helpdesk)")},
				},
			},
			{
				Type:                     discordgo.ApplicationCommandOptionString,
				Name:                     "language",
				Description:              "The language I speak to you",
				DescriptionLocalizations: nl("De taal waarin ik met u praat"),
				Choices: []*discordgo.ApplicationCommandOptionChoice{
					{Name: "English", Value: "en"},
					{Name: "Nederlands", Value: "nl"},
				},
			},
			{
				Type:                     discordgo.ApplicationCommandOptionUser,
				Name:                     "link",
				Description:              "Approvers: the Discord user to link to a work account",
				DescriptionLocalizations: nl("Beheerders: de Discord-gebruiker om aan een werkaccount te koppelen"),
			},
			{
				Type:                     discordgo.ApplicationCommandOptionString,
				Name:                     "upn",
				Description:              "Approvers: the work account (name@company.com) to link to, or whose audit trail to show",
				DescriptionLocalizations: nl("Beheerders: het werkaccount (naam@bedrijf.nl) om aan te koppelen, of wiens audittrail te tonen"),
				MaxLength:                256,
			},
			{
				Type:                     discordgo.ApplicationCommandOptionUser,
				Name:                     "unlink",
				Description:              "Approvers: the Discord user whose link to remove",
				DescriptionLocalizations: nl("Beheerders: de Discord-gebruiker wiens koppeling verdwijnt"),
			},
		},
	}
}

// request is what a /passcode interaction asks for: either text for the
// engine or a link change the adapter handles itself.
type request struct {
	Text   string // for the engine; "" starts a reset
	Link   bool   // link or unlink: approvers only
	Unlink bool
	UserID string // the user to link or unlink
	UPN    string
}

// parseCommand maps the command's options to a request.
func parseCommand(d discordgo.ApplicationCommandInteractionData) request {
	opts := d.Options
	sub := ""
	if len(opts) == 1 && opts[0].Type == discordgo.ApplicationCommandOptionSubCommand {
		sub, opts = opts[0].Name, opts[0].Options
	}
	vals := map[string]string{}
	for _, o := range opts {
		switch o.Type {
		case discordgo.ApplicationCommandOptionString, discordgo.ApplicationCommandOptionUser:
			if s, ok := o.Value.(string); ok {
				vals[o.Name] = strings.TrimSpace(s)
			}
		}
	}
	action := firstNonEmpty(sub, vals["action"])
	switch {
	case action == "audit":
		return request{Text: strings.TrimSpace("audit " + vals["upn"])}
	case sub == "link" || vals["link"] != "" || (sub == "" && vals["upn"] != ""):
		return request{Link: true, UserID: firstNonEmpty(vals["link"], vals["user"]), UPN: vals["upn"]}
	case sub == "unlink" || vals["unlink"] != "":
		return request{Link: true, Unlink: true, UserID: firstNonEmpty(vals["unlink"], vals["user"])}
	case sub == "language" || vals["language"] != "":
		return request{Text: strings.TrimSpace("language " + vals["language"])}
	}
	switch action {
	case "help", "status", "cancel", "pending":
		return request{Text: action}
	}
	return request{} // bare /passcode, action:reset, /passcode reset [device]
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
