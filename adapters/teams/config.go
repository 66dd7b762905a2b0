package teams

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/passbot/passbot/bot"
)

// Defaults of the Bot Framework's public cloud.
const (
	// DefaultOpenIDURL is the OpenID metadata of the tokens the Bot
	// Connector signs its requests to a bot with.
	DefaultOpenIDURL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
	// DefaultAuthorityURL is Entra ID, which issues the bot's own tokens.
	DefaultAuthorityURL = "https://login.microsoftonline.com/"
)

// Config is the Teams adapter's part of passbot's settings. Embed it
// anonymously in the application's configuration so envconfig reads it
// under the PASSBOT_ prefix (PASSBOT_TEAMS_APP_ID, ...).
type Config struct {
	TeamsAppID           string `envconfig:"TEAMS_APP_ID" desc:"Microsoft App ID of the Azure Bot resource (its Entra app registration's client ID); required with the teams platform"`
	TeamsAppPassword     string `envconfig:"TEAMS_APP_PASSWORD" secret:"true" desc:"client secret of that app registration"`
	TeamsTenantID        string `envconfig:"TEAMS_TENANT_ID" desc:"Entra tenant (directory) ID of the single-tenant bot"`
	TeamsOpenIDURL       string `envconfig:"TEAMS_OPENID_URL" default:"https://login.botframework.com/v1/.well-known/openidconfiguration" desc:"OpenID metadata of the Bot Framework tokens that sign incoming activities"`
	TeamsAuthorityURL    string `envconfig:"TEAMS_AUTHORITY_URL" default:"https://login.microsoftonline.com/" desc:"Entra ID authority host the bot gets its Bot Connector tokens from"`
	TeamsHelpdeskChannel string `envconfig:"TEAMS_HELPDESK_CHANNEL" desc:"Teams channel conversation ID (19:…@thread.tacv2) where approval cards go; the bot must be installed in its team"`
	// Approvers may decide helpdesk requests: Entra object IDs, and teams
	// (by team ID, "19:…@thread.tacv2") whose members all may. It is main's
	// PASSBOT_APPROVERS, shared with other platforms.
	Approvers bot.Approvers `ignored:"true"`
}

// check validates cfg, fills in defaults and names the variable at fault.
func (c *Config) check() error {
	var errs []error
	for name, v := range map[string]*string{"PASSBOT_TEAMS_APP_ID": &c.TeamsAppID, "PASSBOT_TEAMS_APP_PASSWORD": &c.TeamsAppPassword, "PASSBOT_TEAMS_TENANT_ID": &c.TeamsTenantID} {
		*v = strings.TrimSpace(*v)
		if *v == "" {
			errs = append(errs, fmt.Errorf("%s is required for the teams platform", name))
		}
	}
	switch strings.ToLower(c.TeamsTenantID) {
	case "common", "organizations", "consumers", "botframework.com":
		errs = append(errs, fmt.Errorf("PASSBOT_TEAMS_TENANT_ID: a single-tenant bot needs your tenant's ID, not %q", c.TeamsTenantID))
	}
	if c.TeamsOpenIDURL == "" {
		c.TeamsOpenIDURL = DefaultOpenIDURL
	}
	if c.TeamsAuthorityURL == "" {
		c.TeamsAuthorityURL = DefaultAuthorityURL
	}
	if !strings.HasSuffix(c.TeamsAuthorityURL, "/") {
		c.TeamsAuthorityURL += "/"
	}
	// azidentity only takes an https authority, any port.
	if u, err := url.Parse(c.TeamsAuthorityURL); err != nil || u.Scheme != "https" || u.Host == "" {
		errs = append(errs, fmt.Errorf("PASSBOT_TEAMS_AUTHORITY_URL: want an https URL, got %q", c.TeamsAuthorityURL))
	}
	if !trusted(c.TeamsOpenIDURL) {
		errs = append(errs, fmt.Errorf("PASSBOT_TEAMS_OPENID_URL: want an https URL (http only on loopback), got %q", c.TeamsOpenIDURL))
	}
	if len(errs) > 0 {
		return fmt.Errorf("teams: %w", errors.Join(errs...))
	}
	return nil
}

// trusted reports whether a URL may carry the bot's secrets or the keys it
// trusts: https, or http to this machine (a local imitation in tests).
func trusted(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return false
	}
	if u.Scheme == "https" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return u.Scheme == "http" && (u.Hostname() == "localhost" || ip != nil && ip.IsLoopback())
}
