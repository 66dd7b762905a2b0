package discord

import (
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/passbot/passbot/flows/locales"
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
	en := func(key string) string { return locales.Text(locales.EN, key) }
	nl := func(key string) map[discordgo.Locale]string {
		return map[discordgo.Locale]string{discordgo.Dutch: locales.Text(locales.NL, key)}
	}
	description := nl("discord.cmd")
	return &discordgo.ApplicationCommand{
		Name:                     commandName,
		Type:                     discordgo.ChatApplicationCommand,
		Description:              en("discord.cmd"),
		DescriptionLocalizations: &description,
		Contexts:                 &contexts,
		IntegrationTypes:         &integrations,
		Options: []*discordgo.ApplicationCommandOption{
			{
				Type:                     discordgo.ApplicationCommandOptionString,
				Name:                     "action",
				Description:              en("discord.cmd.action"),
				DescriptionLocalizations: nl("discord.cmd.action"),
				Choices: []*discordgo.ApplicationCommandOptionChoice{
					{Name: en("discord.cmd.reset"), Value: "reset", NameLocalizations: nl("discord.cmd.reset")},
					{Name: en("discord.cmd.help"), Value: "help", NameLocalizations: nl("discord.cmd.help")},
					{Name: en("discord.cmd.status"), Value: "status", NameLocalizations: nl("discord.cmd.status")},
					{Name: en("discord.cmd.cancel"), Value: "cancel", NameLocalizations: nl("discord.cmd.cancel")},
					{Name: en("discord.cmd.pending"), Value: "pending", NameLocalizations: nl("discord.cmd.pending")},
					{Name: en("discord.cmd.audit"), Value: "audit", NameLocalizations: nl("discord.cmd.audit")},
				},
			},
			{
				Type:                     discordgo.ApplicationCommandOptionString,
				Name:                     "language",
				Description:              en("discord.cmd.language"),
				DescriptionLocalizations: nl("discord.cmd.language"),
				// Each language by its own name, whatever the reader's.
				Choices: []*discordgo.ApplicationCommandOptionChoice{
					{Name: "English", Value: "en"},
					{Name: "Nederlands", Value: "nl"},
				},
			},
			{
				Type:                     discordgo.ApplicationCommandOptionUser,
				Name:                     "link",
				Description:              en("discord.cmd.link"),
				DescriptionLocalizations: nl("discord.cmd.link"),
			},
			{
				Type:                     discordgo.ApplicationCommandOptionString,
				Name:                     "upn",
				Description:              en("discord.cmd.upn"),
				DescriptionLocalizations: nl("discord.cmd.upn"),
				MaxLength:                256,
			},
			{
				Type:                     discordgo.ApplicationCommandOptionUser,
				Name:                     "unlink",
				Description:              en("discord.cmd.unlink"),
				DescriptionLocalizations: nl("discord.cmd.unlink"),
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
