package main

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/passbot/passbot/adapters/discord"
	"github.com/passbot/passbot/adapters/intune"
	"github.com/passbot/passbot/adapters/slack"
	"github.com/passbot/passbot/adapters/teams"
	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/flows/locales"
	"github.com/robfig/cron/v3"
)

// Config is every setting, read from PASSBOT_* environment variables.
// `passbot -h` prints them with their defaults. Each platform's settings are
// embedded, so their variables keep the plain PASSBOT_ prefix.
type Config struct {
	RedisURL    string        `envconfig:"REDIS_URL" secret:"true" desc:"Redis URL (redis://, rediss://, unix://); required with a chat platform; empty, with the console only, starts an in-process Redis that keeps nothing"`
	Platforms   []string      `envconfig:"PLATFORMS" default:"console" desc:"chat platforms to serve: one or more of console, slack, discord, teams"`
	Devices     string        `envconfig:"DEVICES" default:"demo" desc:"device backend: demo or intune"`
	DemoFleet   string        `envconfig:"DEMO_FLEET" desc:"JSON file of Graph managedDevice objects for the demo backend; empty uses the embedded fleet"`
	ConsoleUser string        `envconfig:"CONSOLE_USER" desc:"user principal name the console chats as; default the first user of the demo fleet"`
	Locale      string        `envconfig:"CONSOLE_LOCALE" default:"en" desc:"locale of the console user: en or nl, or a locale of them such as nl-NL"`
	OrgName     string        `envconfig:"ORG_NAME" desc:"the organisation's name, shown on the sign-in pages so employees know whose they are"`
	OrgLogo     string        `envconfig:"ORG_LOGO_URL" desc:"https URL of the organisation's logo for the sign-in pages (about 40 px high); empty shows none"`
	Support     string        `envconfig:"SUPPORT_CONTACT" desc:"how employees reach company support, shown wherever they need help (an address, a phone number, a portal); empty says 'the IT helpdesk' in the conversation's language"`
	LogLevel    string        `envconfig:"LOG_LEVEL" default:"info" desc:"debug, info, warn or error"`
	HTTPAddr    string        `envconfig:"HTTP_ADDR" desc:"address of the public endpoints: the sign-in pages, Slack's HTTP mode and Teams' /api/messages, e.g. :8080; empty serves them only for the demo sign-in, on a free loopback port"`
	OpsAddr     string        `envconfig:"OPS_ADDR" desc:"address of /healthz, /readyz and /metrics, e.g. :9090; keep it off the internet; empty serves none"`
	PublicURL   string        `envconfig:"PUBLIC_URL" desc:"URL where browsers reach HTTP_ADDR (https, except on loopback); sign-in links and the redirect URI <PUBLIC_URL>/auth/callback start with it; default http://<HTTP_ADDR> for a loopback address"`
	Verify      string        `envconfig:"VERIFY" desc:"the sign-in before a reset: entra (default with DEVICES=intune), demo (default with the demo fleet: passbot's own demo provider, which asks no password: only with the demo fleet, on a loopback HTTP_ADDR and PUBLIC_URL), off (no sign-in: every reset is audited as unverified)"`
	VerifyTTL   time.Duration `envconfig:"VERIFY_TTL" default:"5m" desc:"how long a sign-in link stays valid, and how recently the person must have typed their credentials (1m to 1h)"`
	AuthContext string        `envconfig:"VERIFY_AUTH_CONTEXT" desc:"a Conditional Access authentication context ID (c1 to c99) the sign-in must satisfy, to demand e.g. MFA or a compliant device for a reset; empty asks for none"`
	// The sign-in's own app registration keeps the secret a public web
	// server holds away from the Graph app's device permissions, which
	// also retire and wipe every managed device of the tenant
	// (learn.microsoft.com/intune/developer/configure-graph-api-access#intune-permission-scopes).
	SignInClientID string   `envconfig:"SIGNIN_CLIENT_ID" desc:"application (client) ID of an app registration for the sign-in alone, with no Graph permissions, so the secret the sign-in holds cannot act on devices; empty signs in with GRAPH_CLIENT_ID's app"`
	SignInSecret   string   `envconfig:"SIGNIN_CLIENT_SECRET" secret:"true" desc:"client secret of SIGNIN_CLIENT_ID's app registration; required with it"`
	Proxies        []string `envconfig:"TRUSTED_PROXIES" desc:"addresses or CIDRs of the reverse proxies in front of HTTP_ADDR, whose X-Forwarded-For then names the browser for the sign-in's rate limits; empty trusts none"`
	proxies        []netip.Prefix
	Timing
	Helpdesk
	SlackConfig
	DiscordConfig
	TeamsConfig
	IntuneConfig
}

// Aliases give the embedded platform settings distinct field names; being
// embedded, their variables keep the plain PASSBOT_ prefix.
type (
	SlackConfig   = slack.Config
	DiscordConfig = discord.Config
	TeamsConfig   = teams.Config
	IntuneConfig  = intune.Config
)

// Timing is when things happen.
type Timing struct {
	SweepSpec   string        `envconfig:"SWEEP_SPEC" default:"@every 1s" desc:"cron spec (with seconds) of the follow-up sweep; @every takes whole seconds, 1s or more"`
	StepTimeout time.Duration `envconfig:"STEP_TIMEOUT" default:"15m" desc:"an unanswered step expires after this; at least VERIFY_TTL, at most 1h (above 0, like every duration below unless it says otherwise)"`
	Reminder    time.Duration `envconfig:"REMINDER_AFTER" default:"1h" desc:"when to remind the user to change a temporary passcode"`
	Lease       time.Duration `envconfig:"FOLLOWUP_LEASE" default:"1m" desc:"how long a replica holds a follow-up it claimed before another one may fire it (after a crash); a sweep may run for a third of it (at least 3s)"`
	PasscodeTTL time.Duration `envconfig:"PASSCODE_TTL" default:"10m" desc:"how long a temporary passcode stays in the chat before its message is replaced by a note where else to find it; 1m or more, at most 14m with Discord (its ephemeral message can be edited only while the click's interaction token lives, 15 minutes)"`
	PollEvery   time.Duration `envconfig:"POLL_EVERY" default:"30s" desc:"how often a pending reset's result is read from the device backend; 5s or more"`
	Recovery    time.Duration `envconfig:"RESULT_RECOVERY" default:"2m" desc:"when a reset's result that never reached the chat (a crash) is read again and sent; 5s or more, and with DEVICES=intune above the device call's time with its retries (GRAPH_TIMEOUT x GRAPH_MAX_ATTEMPTS)"`
}

// Helpdesk is the approval and abuse-limit settings.
type Helpdesk struct {
	Approvals     bool          `envconfig:"APPROVALS" default:"true" desc:"offer helpdesk approval for devices that are not self-service; each chat platform then needs its helpdesk channel"`
	Channel       string        `envconfig:"HELPDESK_CHANNEL" desc:"Slack channel ID where approval cards and the digest go (Discord: PASSBOT_DISCORD_HELPDESK_CHANNEL)"`
	Approvers     []string      `envconfig:"APPROVERS" default:"helpdesk" desc:"who may approve: Slack user or user-group IDs, Discord user or role IDs, Teams users' Entra object IDs or team IDs, console personas; must not be empty while APPROVALS is true"`
	Lang          string        `envconfig:"HELPDESK_LOCALE" default:"en" desc:"language of the helpdesk channel (en or nl)"`
	EscalateAfter time.Duration `envconfig:"ESCALATE_AFTER" default:"30m" desc:"re-post an undecided request to the helpdesk after this, and again each time"`
	ExpireAfter   time.Duration `envconfig:"EXPIRE_AFTER" default:"8h" desc:"close an undecided request after this and tell the employee; at least ESCALATE_AFTER (equal: never re-posted)"`
	DigestSpec    string        `envconfig:"DIGEST_SPEC" default:"0 0 9 * * 1-5" desc:"cron spec (with seconds) of the digest of pending requests; @every takes whole seconds, 1s or more"`
	PerUser       int           `envconfig:"LIMIT_PER_USER" default:"5" desc:"resets and requests one user may make per LIMIT_WINDOW: 1 or more; 0 disables this limit"`
	PerDevice     int           `envconfig:"LIMIT_PER_DEVICE" default:"3" desc:"resets and requests of one device per LIMIT_WINDOW: 1 or more; 0 disables this limit"`
	LimitWindow   time.Duration `envconfig:"LIMIT_WINDOW" default:"24h" desc:"window of the abuse limits: 1s or more; 0 disables both limits"`
}

// check validates what envconfig cannot, naming the variable at fault and
// the values it accepts: a bad value stops start-up rather than quietly
// turning something off.
func (c *Config) check() error {
	c.Platforms = nonEmpty(c.Platforms)
	if len(c.Platforms) == 0 {
		return fmt.Errorf("PASSBOT_PLATFORMS is empty (want one or more of %s)", platformNames())
	}
	for _, p := range c.Platforms {
		if !knownPlatform(p) {
			return fmt.Errorf("PASSBOT_PLATFORMS: unknown platform %q (want one of %s)", p, platformNames())
		}
		// The in-process Redis lives and dies with one process: replicas
		// would each keep their own dedupe, follow-ups and audit trail, and
		// a restart would lose a pending passcode removal.
		if p != "console" && c.RedisURL == "" {
			return fmt.Errorf("PASSBOT_REDIS_URL is required with the %s platform, e.g. redis://redis:6379/0: the in-process Redis is for the console demo only (it keeps nothing across restarts and is not shared between replicas)", p)
		}
	}
	if !supportedLocale(c.Locale) {
		return fmt.Errorf("PASSBOT_CONSOLE_LOCALE: unknown locale %q (want en or nl, or a locale of them such as nl-NL)", c.Locale)
	}
	if !locales.Supported(c.Helpdesk.Lang) {
		return fmt.Errorf("PASSBOT_HELPDESK_LOCALE: unknown language %q (want en or nl)", c.Helpdesk.Lang)
	}
	if err := c.checkDurations(); err != nil {
		return err
	}
	if err := checkSchedule("PASSBOT_SWEEP_SPEC", c.SweepSpec); err != nil {
		return err
	}
	if err := checkSchedule("PASSBOT_DIGEST_SPEC", c.DigestSpec); err != nil {
		return err
	}
	c.SlackConfig.Mode = strings.ToLower(strings.TrimSpace(c.SlackConfig.Mode))
	if c.serves("slack") && c.SlackConfig.Mode == slack.ModeHTTP && c.HTTPAddr == "" {
		return fmt.Errorf("PASSBOT_HTTP_ADDR is required with PASSBOT_SLACK_MODE=http (Slack posts to /slack/...)")
	}
	if c.serves("teams") && c.HTTPAddr == "" {
		return fmt.Errorf("PASSBOT_HTTP_ADDR is required with the teams platform (Teams posts to <PASSBOT_PUBLIC_URL>/api/messages)")
	}
	c.Helpdesk.Approvers = nonEmpty(c.Helpdesk.Approvers)
	if c.Approvals {
		if len(c.Helpdesk.Approvers) == 0 {
			return fmt.Errorf("PASSBOT_APPROVERS is empty: name who may approve requests (Slack user or group IDs, Discord user or role IDs, console personas), or set PASSBOT_APPROVALS=false")
		}
		// A request nobody sees is worse than none: the employee would wait.
		if c.serves("slack") && c.Helpdesk.Channel == "" {
			return fmt.Errorf("PASSBOT_HELPDESK_CHANNEL: set the Slack channel for approval cards, or PASSBOT_APPROVALS=false")
		}
		if c.serves("discord") && c.DiscordHelpdeskChannel == "" {
			return fmt.Errorf("PASSBOT_DISCORD_HELPDESK_CHANNEL: set the Discord channel for approval cards, or PASSBOT_APPROVALS=false")
		}
		if c.serves("teams") && c.TeamsHelpdeskChannel == "" {
			return fmt.Errorf("PASSBOT_TEAMS_HELPDESK_CHANNEL: set the Teams channel (its conversation ID) for approval cards, or PASSBOT_APPROVALS=false")
		}
	}
	if c.Devices != "demo" && c.Devices != "intune" {
		return fmt.Errorf("PASSBOT_DEVICES: unknown device backend %q (want demo or intune)", c.Devices)
	}
	if u, err := url.Parse(c.OrgLogo); c.OrgLogo != "" && (err != nil || u.Scheme != "https" || u.Host == "") {
		return fmt.Errorf("PASSBOT_ORG_LOGO_URL: %q is not an https URL (the sign-in pages are https and load nothing else)", c.OrgLogo)
	}
	return c.checkVerify()
}

// checkVerify checks the sign-in settings, filling in the mode's default.
func (c *Config) checkVerify() error {
	if c.Verify == "" {
		c.Verify = bot.VerifyDemo
		if c.Devices == "intune" {
			c.Verify = bot.VerifyEntra
		}
	}
	if !slices.Contains([]string{bot.VerifyEntra, bot.VerifyDemo, bot.VerifyOff}, c.Verify) {
		return fmt.Errorf("PASSBOT_VERIFY: unknown mode %q (want entra, demo or off)", c.Verify)
	}
	if c.VerifyTTL < time.Minute || c.VerifyTTL > time.Hour {
		return fmt.Errorf("PASSBOT_VERIFY_TTL: %v is outside 1m to 1h", c.VerifyTTL)
	}
	if c.AuthContext != "" && (c.Verify == bot.VerifyOff || !authContextRE.MatchString(c.AuthContext)) {
		return fmt.Errorf("PASSBOT_VERIFY_AUTH_CONTEXT: %q is not an authentication context ID c1 to c99 for a sign-in (PASSBOT_VERIFY=%s)", c.AuthContext, c.Verify)
	}
	c.proxies = nil
	for _, p := range c.Proxies {
		prefix, err := netip.ParsePrefix(p)
		if addr, aerr := netip.ParseAddr(p); aerr == nil {
			prefix, err = addr.Prefix(addr.BitLen())
		}
		if err != nil {
			return fmt.Errorf("PASSBOT_TRUSTED_PROXIES: %q is neither an address nor a CIDR", p)
		}
		c.proxies = append(c.proxies, prefix.Masked())
	}
	if c.VerifyTTL > c.StepTimeout {
		return fmt.Errorf("PASSBOT_VERIFY_TTL: %v is longer than PASSBOT_STEP_TIMEOUT (%v): a sign-in link would outlive the step that waits for it (want at most the step timeout)", c.VerifyTTL, c.StepTimeout)
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || (u.Scheme != "https" && (u.Scheme != "http" || !loopback(u.Hostname()))) {
			return fmt.Errorf("PASSBOT_PUBLIC_URL: %q is not an https URL (http only on loopback)", c.PublicURL)
		}
		// Paths are appended to it: a trailing slash made "//demo-idp",
		// a route ServeMux refuses with a panic, and "//signin" links.
		if u.Path = path.Clean("/" + u.Path); u.Path == "/" {
			u.Path = ""
		}
		u.RawPath = ""
		c.PublicURL = u.String()
	}
	if c.Verify == bot.VerifyDemo {
		return c.checkDemoSignIn()
	}
	if c.Verify != bot.VerifyEntra {
		return nil
	}
	var missing []string
	for name, v := range map[string]string{"PASSBOT_PUBLIC_URL": c.PublicURL, "PASSBOT_HTTP_ADDR": c.HTTPAddr,
		"PASSBOT_GRAPH_TENANT_ID": c.TenantID} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if c.SignInSecret != "" && c.SignInClientID == "" {
		return fmt.Errorf("PASSBOT_SIGNIN_CLIENT_SECRET is set without PASSBOT_SIGNIN_CLIENT_ID: name the sign-in's app registration, or leave both empty to sign in with the Graph app")
	}
	switch {
	case c.SignInClientID != "":
		if c.SignInSecret == "" {
			missing = append(missing, "PASSBOT_SIGNIN_CLIENT_SECRET")
		}
	default:
		if c.ClientID == "" {
			missing = append(missing, "PASSBOT_GRAPH_CLIENT_ID")
		}
		if c.ClientSecret == "" && c.CertificatePath == "" {
			missing = append(missing, "PASSBOT_GRAPH_CLIENT_SECRET or PASSBOT_GRAPH_CERTIFICATE_PATH")
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("PASSBOT_VERIFY=entra needs %s (or PASSBOT_VERIFY=off, which gives up the owner's sign-in)", strings.Join(missing, ", "))
	}
	switch strings.ToLower(c.TenantID) {
	case "common", "organizations", "consumers":
		return fmt.Errorf("PASSBOT_GRAPH_TENANT_ID: the sign-in needs your tenant's ID, not %q", c.TenantID)
	}
	return nil
}

// resetCallTime is the longest a reset's device call takes with its
// retries: Graph's time limit per attempt times the attempts (the demo
// fleet answers at once).
func (c Config) resetCallTime() time.Duration {
	if c.Devices != "intune" {
		return 0
	}
	return c.Timeout * time.Duration(c.MaxAttempts)
}

// authContextRE matches the authentication context IDs Conditional Access
// offers (learn.microsoft.com/graph/api/resources/authcontext: c1 through c99).
var authContextRE = regexp.MustCompile(`^c([1-9]|[1-9][0-9])$`)

// checkDemoSignIn keeps the demo provider to demos: it signs anyone in as
// any person of the fleet without a password, so it may neither vouch for
// a reset of a real device nor be reachable from another machine.
func (c *Config) checkDemoSignIn() error {
	if c.Devices == "intune" {
		return fmt.Errorf("PASSBOT_VERIFY=demo cannot guard PASSBOT_DEVICES=intune: the demo sign-in asks no password, so anyone could reset a real device as its owner; set PASSBOT_VERIFY=entra (the default with intune, with PASSBOT_PUBLIC_URL and PASSBOT_HTTP_ADDR) or PASSBOT_VERIFY=off (no sign-in, every reset audited as unverified)")
	}
	if c.HTTPAddr != "" {
		host, _, err := net.SplitHostPort(c.HTTPAddr)
		if err != nil || !loopback(host) {
			return fmt.Errorf("PASSBOT_HTTP_ADDR: %q is not a loopback address, and PASSBOT_VERIFY=demo serves its password-less sign-in only on this machine: listen on 127.0.0.1:PORT, or set PASSBOT_VERIFY=off (or entra with PASSBOT_DEVICES=intune)", c.HTTPAddr)
		}
	}
	if u, err := url.Parse(c.PublicURL); c.PublicURL != "" && (err != nil || !loopback(u.Hostname())) {
		return fmt.Errorf("PASSBOT_PUBLIC_URL: %q is not a loopback URL, and PASSBOT_VERIFY=demo serves its password-less sign-in only on this machine: use http://127.0.0.1:PORT, or set PASSBOT_VERIFY=off (or entra with PASSBOT_DEVICES=intune)", c.PublicURL)
	}
	return nil
}

// minLimitWindow is the shortest abuse-limit window: the limits count per
// window in whole milliseconds, and anything shorter than a second limits
// nothing a person could do.
const minLimitWindow = time.Second

// minLease leaves a sweep (a third of the lease) a second at least.
const minLease = 3 * time.Second

// discordTokenLife is how long a passcode may stay in a Discord chat: its
// ephemeral message can be edited only through the interaction's token,
// which lives 15 minutes; the rest is the sweep's margin.
const discordTokenLife = 14 * time.Minute

// Floors of timings that are positive but useless below them.
const (
	// minPasscodeTTL leaves a person time to read the passcode and type it.
	minPasscodeTTL = time.Minute
	// minPollEvery: each poll is a Graph request per pending reset.
	minPollEvery = 5 * time.Second
	// minRecovery: the reset's device call and the chat send take seconds
	// even with the demo fleet; reading the result again sooner races the
	// reset it is meant to recover.
	minRecovery = 5 * time.Second
)

// maxStepTimeout keeps a step shorter than the mark that makes its reset
// run once (store's onceMark, two hours).
const maxStepTimeout = time.Hour

// checkDurations checks the timings and the abuse limits. Only the limits
// can be switched off, and only with an explicit 0.
func (c *Config) checkDurations() error {
	positive := []struct {
		name string
		d    time.Duration
	}{
		{"PASSBOT_STEP_TIMEOUT", c.StepTimeout},
		{"PASSBOT_REMINDER_AFTER", c.Reminder},
		{"PASSBOT_PASSCODE_TTL", c.PasscodeTTL},
		{"PASSBOT_POLL_EVERY", c.PollEvery},
		{"PASSBOT_RESULT_RECOVERY", c.Recovery},
		{"PASSBOT_ESCALATE_AFTER", c.EscalateAfter},
		{"PASSBOT_EXPIRE_AFTER", c.ExpireAfter},
		{"PASSBOT_GRAPH_TIMEOUT", c.IntuneConfig.Timeout},
	}
	for _, p := range positive {
		if p.d <= 0 {
			return fmt.Errorf("%s: %v is out of range (want a duration above 0, such as 30s or 5m)", p.name, p.d)
		}
	}
	floors := []struct {
		name     string
		d, floor time.Duration
		why      string
	}{
		{"PASSBOT_PASSCODE_TTL", c.PasscodeTTL, minPasscodeTTL, "a person needs time to read the passcode and type it"},
		{"PASSBOT_POLL_EVERY", c.PollEvery, minPollEvery, "each read is a Graph request per pending reset, and reading more often only adds load"},
		{"PASSBOT_RESULT_RECOVERY", c.Recovery, minRecovery, "reading a reset's result again before its device call has returned races the reset"},
	}
	for _, f := range floors {
		if f.d < f.floor {
			return fmt.Errorf("%s: %v is too short (want %v or more): %s", f.name, f.d, f.floor, f.why)
		}
	}
	if c.StepTimeout > maxStepTimeout {
		return fmt.Errorf("PASSBOT_STEP_TIMEOUT: %v is longer than %v: a confirmation is marked done for two hours, so a step left open longer could be confirmed a second time after a failure (want %v or less)", c.StepTimeout, maxStepTimeout, maxStepTimeout)
	}
	// The device call with all its retries must return before its result
	// is read again, or both report one reset.
	if call := c.resetCallTime(); c.Devices == "intune" && c.Recovery <= call {
		return fmt.Errorf("PASSBOT_RESULT_RECOVERY: %v is too short for Graph (want more than PASSBOT_GRAPH_TIMEOUT x PASSBOT_GRAPH_MAX_ATTEMPTS, %v): a reset still retrying would be read again and reported twice", c.Recovery, call)
	}
	if c.ExpireAfter < c.EscalateAfter {
		return fmt.Errorf("PASSBOT_EXPIRE_AFTER: %v is shorter than PASSBOT_ESCALATE_AFTER (%v): a request would close before the helpdesk is reminded of it (want at least ESCALATE_AFTER; equal never re-posts)", c.ExpireAfter, c.EscalateAfter)
	}
	if c.Lease < minLease {
		return fmt.Errorf("PASSBOT_FOLLOWUP_LEASE: %v is out of range (want %v or more)", c.Lease, minLease)
	}
	if c.serves("discord") && c.PasscodeTTL > discordTokenLife {
		return fmt.Errorf("PASSBOT_PASSCODE_TTL: %v is too long for Discord (want %v or less): a passcode shown ephemerally can be removed only while its interaction's token lives, 15 minutes", c.PasscodeTTL, discordTokenLife)
	}
	if n := c.IntuneConfig.MaxAttempts; n < 1 || n > 10 {
		return fmt.Errorf("PASSBOT_GRAPH_MAX_ATTEMPTS: %d is out of range (want 1 to 10)", n)
	}
	if c.PerUser < 0 {
		return fmt.Errorf("PASSBOT_LIMIT_PER_USER: %d is out of range (want 1 or more, or 0 for no per-user limit)", c.PerUser)
	}
	if c.PerDevice < 0 {
		return fmt.Errorf("PASSBOT_LIMIT_PER_DEVICE: %d is out of range (want 1 or more, or 0 for no per-device limit)", c.PerDevice)
	}
	if w := c.LimitWindow; w != 0 && w < minLimitWindow {
		return fmt.Errorf("PASSBOT_LIMIT_WINDOW: %v is out of range (want %v or more, or 0 for no limits at all)", w, minLimitWindow)
	}
	return nil
}

// cronParser reads the schedules, with seconds, as the cron jobs do.
var cronParser = cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// checkSchedule checks a cron spec. The cron library turns an "@every"
// below a second, or a fraction of one, into whole seconds without a word:
// refuse what would not run as written.
func checkSchedule(name, spec string) error {
	if _, err := cronParser.Parse(spec); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if every, ok := strings.CutPrefix(strings.TrimSpace(spec), "@every "); ok {
		d, _ := time.ParseDuration(strings.TrimSpace(every)) // parsed above
		if d < time.Second || d%time.Second != 0 {
			return fmt.Errorf("%s: %q is out of range (want @every with whole seconds, 1s or more: the schedule counts in seconds)", name, spec)
		}
	}
	return nil
}

// supportedLocale reports whether passbot speaks the language of a locale
// such as "nl", "nl-NL" or "en_GB".
func supportedLocale(locale string) bool {
	lang, _, _ := strings.Cut(strings.ReplaceAll(locale, "_", "-"), "-")
	return locales.Supported(strings.ToLower(lang))
}

// nonEmpty drops blank entries of a comma-separated list, so
// PASSBOT_PLATFORMS=" " or "slack," do not count a blank as an entry.
func nonEmpty(list []string) []string {
	var out []string
	for _, s := range list {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// loopback reports whether host is this machine.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (c *Config) serves(platform string) bool { return slices.Contains(c.Platforms, platform) }

// helpdeskChannels reports whether every platform served has somewhere to
// post helpdesk notices (the console prints them itself).
func (c *Config) helpdeskChannels() bool {
	return (!c.serves("slack") || c.Helpdesk.Channel != "") && (!c.serves("discord") || c.DiscordHelpdeskChannel != "") &&
		(!c.serves("teams") || c.TeamsHelpdeskChannel != "")
}
