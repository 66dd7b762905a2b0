package discord

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/bwmarrin/discordgo"
)

// Config is the Discord adapter's part of passbot's settings. Embed it
// anonymously in the application's configuration so envconfig reads it
// under the PASSBOT_ prefix (PASSBOT_DISCORD_TOKEN, ...).
type Config struct {
	DiscordToken     string `envconfig:"DISCORD_TOKEN" secret:"true" desc:"Discord bot token (Developer Portal > Bot > Token); required with the discord platform"`
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

// rebase sends discordgo's REST calls to another server. discordgo builds
// every URL from package-level endpoint strings under EndpointDiscord
// (https://discord.com/); reassigning those would move every session in the
// process, so each session's HTTP client rewrites its own requests instead.
// The gateway URL comes from GET <api>/gateway through the same client, so a
// fake server answers it with its own ws:// address.
type rebase struct {
	from string // discordgo.EndpointDiscord
	to   string // the other server's base URL, ending in "/"
	next http.RoundTripper
}

func newRebase(to string, next http.RoundTripper) rebase {
	if !strings.HasSuffix(to, "/") {
		to += "/"
	}
	return rebase{from: discordgo.EndpointDiscord, to: to, next: next}
}

func (r rebase) RoundTrip(req *http.Request) (*http.Response, error) {
	rest, ok := strings.CutPrefix(req.URL.String(), r.from)
	if !ok {
		return r.next.RoundTrip(req)
	}
	u, err := url.Parse(r.to + rest)
	if err != nil {
		return nil, fmt.Errorf("discord: rebase %s onto %s: %w", req.URL.Path, r.to, err)
	}
	out := req.Clone(req.Context())
	out.URL, out.Host = u, ""
	return r.next.RoundTrip(out)
}
