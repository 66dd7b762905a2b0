package slack

import (
	"errors"
	"fmt"
	"strings"

	"github.com/passbot/passbot/bot"
)

// Connection modes.
const (
	// ModeSocket receives events over a Socket Mode WebSocket: no public URL
	// is needed. It is the default.
	ModeSocket = "socket"
	// ModeHTTP receives events on HTTP endpoints (see Adapter.HTTPHandler)
	// that Slack calls, verified with the signing secret.
	ModeHTTP = "http"
)

// Config holds the Slack settings. Embed it (anonymously) in main's
// configuration read with the PASSBOT_ prefix, so the variables are
// PASSBOT_SLACK_BOT_TOKEN and so on.
type Config struct {
	BotToken      string `envconfig:"SLACK_BOT_TOKEN" secret:"true" desc:"Slack bot token (xoxb-…); needed in both modes"`
	AppToken      string `envconfig:"SLACK_APP_TOKEN" secret:"true" desc:"Slack app-level token (xapp-…) with connections:write; needed in socket mode"`
	SigningSecret string `envconfig:"SLACK_SIGNING_SECRET" secret:"true" desc:"Slack signing secret; needed in http mode"`
	Mode          string `envconfig:"SLACK_MODE" default:"socket" desc:"how Slack events arrive: socket (Socket Mode, no public URL) or http (/slack/events, /slack/interactions, /slack/commands)"`
	APIURL        string `envconfig:"SLACK_API_URL" desc:"Slack Web API base URL; empty uses https://slack.com/api/"`
	// HelpdeskChannel is the channel ID replies to the helpdesk go to. It is
	// main's PASSBOT_HELPDESK_CHANNEL, shared with other platforms, so main
	// sets it here rather than envconfig.
	HelpdeskChannel string `ignored:"true"`
	// Approvers may decide helpdesk requests: Slack user IDs (U…, W…) and
	// user group IDs (S…), whose members are looked up with
	// usergroups.users.list (scope usergroups:read). It is main's
	// PASSBOT_APPROVERS, shared with other platforms (entries of theirs
	// never match a Slack ID), so main sets it rather than envconfig.
	Approvers bot.Approvers `ignored:"true"`
}

// check validates the configuration and fills in defaults; errors name the
// variable at fault.
func (c *Config) check() error {
	c.Mode = strings.ToLower(strings.TrimSpace(c.Mode))
	if c.Mode == "" {
		c.Mode = ModeSocket
	}
	var errs []error
	if c.BotToken == "" {
		errs = append(errs, errors.New("PASSBOT_SLACK_BOT_TOKEN is required (the xoxb- bot token)"))
	}
	switch c.Mode {
	case ModeSocket:
		if c.AppToken == "" {
			errs = append(errs, errors.New("PASSBOT_SLACK_APP_TOKEN is required in socket mode (an xapp- app-level token with connections:write)"))
		} else if !strings.HasPrefix(c.AppToken, "xapp-") {
			errs = append(errs, errors.New("PASSBOT_SLACK_APP_TOKEN must be an app-level token (xapp-…)"))
		}
	case ModeHTTP:
		if c.SigningSecret == "" {
			errs = append(errs, errors.New("PASSBOT_SLACK_SIGNING_SECRET is required in http mode"))
		}
	default:
		errs = append(errs, fmt.Errorf("PASSBOT_SLACK_MODE: unknown mode %q (want socket or http)", c.Mode))
	}
	if c.APIURL != "" && !strings.HasSuffix(c.APIURL, "/") {
		c.APIURL += "/"
	}
	if len(errs) > 0 {
		return fmt.Errorf("slack: %w", errors.Join(errs...))
	}
	return nil
}
