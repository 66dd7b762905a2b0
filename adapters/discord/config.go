package discord

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/bwmarrin/discordgo"
)

// Config is the Discord adapter's part of passbot's settings. Embed it
// anonymously in the application's configuration so envconfig reads it
// under the PASSBOT_ prefix (PASSBOT_DISCORD_TOKEN, ...).
type Config struct {
	DiscordToken     string `envconfig:"DISCORD_TOKEN" desc:"Discord bot token (Developer Portal > Bot > Token); required with the discord platform"`
	DiscordGuildID   string `envconfig:"DISCORD_GUILD_ID" desc:"register /passcode in this guild only (instant); empty registers it globally"`
	DiscordAPIURL    string `envconfig:"DISCORD_API_URL" desc:"base URL of the Discord REST API and gateway discovery, for tests and proxies; empty is https://discord.com/"`
	DiscordLinksFile string `envconfig:"DISCORD_LINKS_FILE" desc:"JSON file {\"<discord user id>\": \"upn\"} of static Discord-user to Intune-UPN links"`
	// DiscordHelpdeskChannel is where replies addressed to the helpdesk go.
	DiscordHelpdeskChannel string `envconfig:"DISCORD_HELPDESK_CHANNEL" desc:"Discord channel ID for helpdesk notices; empty drops them with a log line"`
	// SelfLink lets unlinked users reach the engine, which offers them a
	// sign-in that links their account; the program sets it when the
	// sign-in is on.
	SelfLink bool `ignored:"true"`
}

// check names the variable at fault.
func (c Config) check() error {
	if strings.TrimSpace(c.DiscordToken) == "" {
		return fmt.Errorf("PASSBOT_DISCORD_TOKEN is required for the discord platform")
	}
	if c.DiscordAPIURL != "" {
		u, err := url.Parse(c.DiscordAPIURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("PASSBOT_DISCORD_API_URL: want an http(s) URL, got %q", c.DiscordAPIURL)
		}
	}
	return nil
}

// botToken returns the Authorization value: discordgo sends the token as
// given, and Discord wants "Bot <token>".
func (c Config) botToken() string {
	t := strings.TrimSpace(c.DiscordToken)
	if strings.HasPrefix(t, "Bot ") {
		return t
	}
	return "Bot " + t
}

// loadLinksFile reads a {"<discord user id>": "upn"} file.
func loadLinksFile(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("PASSBOT_DISCORD_LINKS_FILE: %w", err)
	}
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("PASSBOT_DISCORD_LINKS_FILE %s: want {\"<discord user id>\": \"upn\"}: %w", path, err)
	}
	return m, nil
}

// setAPIURL points discordgo at another server. discordgo computes its
// endpoint strings once, at package init, from EndpointDiscord; the URL
// functions (EndpointChannelMessages, EndpointInteractionResponse, ...) read
// these variables when called, so reassigning the bases moves every REST
// call. The gateway URL comes from GET <api>/gateway, so a fake server
// answers it with its own ws:// address.
//
// These are package globals of discordgo: this is the one place passbot
// writes them, once, before a session is used. Tests that call it must not
// run in parallel.
func setAPIURL(base string) {
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	discordgo.EndpointDiscord = base
	api := base + "api/v" + discordgo.APIVersion + "/"
	discordgo.EndpointAPI = api
	discordgo.EndpointGuilds = api + "guilds/"
	discordgo.EndpointChannels = api + "channels/"
	discordgo.EndpointUsers = api + "users/"
	discordgo.EndpointGateway = api + "gateway"
	discordgo.EndpointGatewayBot = discordgo.EndpointGateway + "/bot"
	discordgo.EndpointWebhooks = api + "webhooks/"
	discordgo.EndpointStickers = api + "stickers/"
	discordgo.EndpointStageInstances = api + "stage-instances"
	discordgo.EndpointSKUs = api + "skus"
	discordgo.EndpointVoice = api + "/voice/"
	discordgo.EndpointVoiceRegions = discordgo.EndpointVoice + "regions"
	discordgo.EndpointNitroStickersPacks = api + "/sticker-packs"
	discordgo.EndpointGuildCreate = api + "guilds"
	discordgo.EndpointApplications = api + "applications"
	discordgo.EndpointOAuth2 = api + "oauth2/"
	discordgo.EndpointOAuth2Applications = discordgo.EndpointOAuth2 + "applications"
	discordgo.EndpointOauth2 = discordgo.EndpointOAuth2
	discordgo.EndpointOauth2Applications = discordgo.EndpointOAuth2Applications
}
