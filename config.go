package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/passbot/passbot/adapters/discord"
	"github.com/passbot/passbot/adapters/intune"
	"github.com/passbot/passbot/adapters/slack"
)

// Config is every setting, read from PASSBOT_* environment variables.
// `passbot -h` prints them with their defaults. Each platform's settings are
// embedded, so their variables keep the plain PASSBOT_ prefix.
type Config struct {
	RedisURL    string   `envconfig:"REDIS_URL" desc:"Redis URL (redis://, rediss://, unix://); empty starts an in-process Redis that keeps nothing"`
	Platforms   []string `envconfig:"PLATFORMS" default:"console" desc:"chat platforms to serve: console, slack, discord"`
	Devices     string   `envconfig:"DEVICES" default:"demo" desc:"device backend: demo or intune"`
	DemoFleet   string   `envconfig:"DEMO_FLEET" desc:"JSON file of Graph managedDevice objects for the demo backend; empty uses the embedded fleet"`
	ConsoleUser string   `envconfig:"CONSOLE_USER" desc:"user principal name the console chats as; default the first user of the demo fleet"`
	Locale      string   `envconfig:"CONSOLE_LOCALE" default:"en" desc:"locale of the console user (en or nl)"`
	Support     string   `envconfig:"SUPPORT_CONTACT" default:"the IT helpdesk" desc:"how employees reach company support, shown wherever they need help"`
	LogLevel    string   `envconfig:"LOG_LEVEL" default:"info" desc:"debug, info, warn or error"`
	HTTPAddr    string   `envconfig:"HTTP_ADDR" desc:"address of /healthz, /readyz, /metrics and the Slack HTTP endpoints, e.g. :8080; empty serves none"`
	Timing
	Helpdesk
	SlackConfig
	DiscordConfig
	IntuneConfig
}

// Aliases give the embedded platform settings distinct field names; being
// embedded, their variables keep the plain PASSBOT_ prefix.
type (
	SlackConfig   = slack.Config
	DiscordConfig = discord.Config
	IntuneConfig  = intune.Config
)

// Timing is when things happen.
type Timing struct {
	SweepSpec   string        `envconfig:"SWEEP_SPEC" default:"@every 1s" desc:"cron spec (with seconds) of the follow-up sweep"`
	StepTimeout time.Duration `envconfig:"STEP_TIMEOUT" default:"15m" desc:"an unanswered step expires after this"`
	SignInWait  time.Duration `envconfig:"SIGNIN_WAIT" default:"5m" desc:"wait after the sign-out before 'you can sign in again'"`
	Reminder    time.Duration `envconfig:"REMINDER_AFTER" default:"1h" desc:"when to remind the user to change a temporary passcode"`
	PollEvery   time.Duration `envconfig:"POLL_EVERY" default:"30s" desc:"how often a pending reset's result is read from the device backend"`
}

// Helpdesk is the approval and abuse-limit settings.
type Helpdesk struct {
	Approvals     bool          `envconfig:"APPROVALS" default:"true" desc:"offer helpdesk approval for devices that are not self-service; each chat platform then needs its helpdesk channel"`
	Channel       string        `envconfig:"HELPDESK_CHANNEL" desc:"Slack channel ID where approval cards and the digest go (Discord: PASSBOT_DISCORD_HELPDESK_CHANNEL)"`
	Approvers     []string      `envconfig:"APPROVERS" default:"helpdesk" desc:"who may approve: Slack user or user-group IDs, Discord user or role IDs, console personas"`
	Lang          string        `envconfig:"HELPDESK_LOCALE" default:"en" desc:"language of the helpdesk channel (en or nl)"`
	EscalateAfter time.Duration `envconfig:"ESCALATE_AFTER" default:"30m" desc:"re-post an undecided request to the helpdesk after this, and again each time"`
	ExpireAfter   time.Duration `envconfig:"EXPIRE_AFTER" default:"8h" desc:"close an undecided request after this and tell the employee"`
	DigestSpec    string        `envconfig:"DIGEST_SPEC" default:"0 0 9 * * 1-5" desc:"cron spec (with seconds) of the digest of pending requests"`
	PerUser       int           `envconfig:"LIMIT_PER_USER" default:"5" desc:"resets and requests one user may make per LIMIT_WINDOW; 0 disables"`
	PerDevice     int           `envconfig:"LIMIT_PER_DEVICE" default:"3" desc:"resets and requests of one device per LIMIT_WINDOW; 0 disables"`
	LimitWindow   time.Duration `envconfig:"LIMIT_WINDOW" default:"24h" desc:"window of the abuse limits"`
}

// check validates what envconfig cannot, naming the variable at fault.
func (c *Config) check() error {
	for _, p := range c.Platforms {
		if !slices.Contains([]string{"console", "slack", "discord"}, p) {
			return fmt.Errorf("PASSBOT_PLATFORMS: unknown platform %q (want console, slack or discord)", p)
		}
	}
	c.SlackConfig.Mode = strings.ToLower(strings.TrimSpace(c.SlackConfig.Mode))
	if c.serves("slack") && c.SlackConfig.Mode == slack.ModeHTTP && c.HTTPAddr == "" {
		return fmt.Errorf("PASSBOT_HTTP_ADDR is required with PASSBOT_SLACK_MODE=http (Slack posts to /slack/...)")
	}
	if c.Approvals {
		// Set but empty (PASSBOT_APPROVERS= in an .env or a compose file)
		// would leave every request undecidable.
		if !slices.ContainsFunc(c.Helpdesk.Approvers, func(a string) bool { return strings.TrimSpace(a) != "" }) {
			return fmt.Errorf("PASSBOT_APPROVERS is empty: name who may approve (user or group IDs), or set PASSBOT_APPROVALS=false")
		}
		// A request nobody sees is worse than none: the employee would wait.
		if c.serves("slack") && c.Helpdesk.Channel == "" {
			return fmt.Errorf("PASSBOT_HELPDESK_CHANNEL: set the Slack channel for approval cards, or PASSBOT_APPROVALS=false")
		}
		if c.serves("discord") && c.DiscordHelpdeskChannel == "" {
			return fmt.Errorf("PASSBOT_DISCORD_HELPDESK_CHANNEL: set the Discord channel for approval cards, or PASSBOT_APPROVALS=false")
		}
	}
	if c.Devices != "demo" && c.Devices != "intune" {
		return fmt.Errorf("PASSBOT_DEVICES: unknown device backend %q (want demo or intune)", c.Devices)
	}
	return nil
}

func (c *Config) serves(platform string) bool { return slices.Contains(c.Platforms, platform) }
