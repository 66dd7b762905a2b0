package main

import (
	"fmt"
	"slices"
	"time"
)

// Config is every setting, read from PASSBOT_* environment variables.
// `passbot -h` prints them with their defaults.
type Config struct {
	RedisURL    string        `envconfig:"REDIS_URL" desc:"Redis URL (redis://, rediss://, unix://); empty starts an in-process Redis that keeps nothing"`
	Platforms   []string      `envconfig:"PLATFORMS" default:"console" desc:"chat platforms to serve: console, slack, discord"`
	Devices     string        `envconfig:"DEVICES" default:"demo" desc:"device backend: demo or intune"`
	DemoFleet   string        `envconfig:"DEMO_FLEET" desc:"JSON file of Graph managedDevice objects for the demo backend; empty uses the embedded fleet"`
	ConsoleUser string        `envconfig:"CONSOLE_USER" desc:"user principal name the console chats as; default the first user of the demo fleet"`
	Locale      string        `envconfig:"CONSOLE_LOCALE" default:"en" desc:"locale of the console user (en or nl)"`
	Support     string        `envconfig:"SUPPORT_CONTACT" default:"the IT helpdesk" desc:"how employees reach company support, shown wherever they need help"`
	SweepSpec   string        `envconfig:"SWEEP_SPEC" default:"@every 1s" desc:"cron spec of the follow-up sweep"`
	StepTimeout time.Duration `envconfig:"STEP_TIMEOUT" default:"15m" desc:"an unanswered step expires after this"`
	SignInWait  time.Duration `envconfig:"SIGNIN_WAIT" default:"5m" desc:"wait after the sign-out before 'you can sign in again'"`
	Reminder    time.Duration `envconfig:"REMINDER_AFTER" default:"1h" desc:"when to remind the user to change a temporary passcode"`
	LogLevel    string        `envconfig:"LOG_LEVEL" default:"info" desc:"debug, info, warn or error"`
}

// check validates what envconfig cannot, naming the variable at fault.
func (c *Config) check() error {
	for _, p := range c.Platforms {
		if !slices.Contains([]string{"console", "slack", "discord"}, p) {
			return fmt.Errorf("PASSBOT_PLATFORMS: unknown platform %q (want console, slack or discord)", p)
		}
	}
	if c.Devices != "demo" {
		return fmt.Errorf("PASSBOT_DEVICES: unknown device backend %q (want demo)", c.Devices)
	}
	return nil
}
