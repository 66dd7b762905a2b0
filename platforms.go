package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/passbot/passbot/adapters/console"
	"github.com/passbot/passbot/adapters/discord"
	"github.com/passbot/passbot/adapters/entra/demoidp"
	"github.com/passbot/passbot/adapters/slack"
	"github.com/passbot/passbot/adapters/teams"
	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/flows/locales"
	"github.com/passbot/passbot/store"
)

// platform is a chat platform passbot serves: its name in
// PASSBOT_PLATFORMS and how Run wires its adapter. A new platform is its
// adapter's package, its settings and one line in platforms.
type platform struct {
	name bot.Platform
	wire func(*App, *wiring) (bot.ChatAdapter, error)
}

// platforms are the chat platforms passbot speaks, in the order their names
// are listed.
var platforms = []platform{
	{bot.Console, (*App).console},
	{bot.Slack, (*App).slack},
	{bot.Discord, (*App).discord},
	{bot.Teams, (*App).teams},
}

// platformNames lists the platforms PASSBOT_PLATFORMS takes.
func platformNames() string {
	names := make([]string, len(platforms))
	for i, p := range platforms {
		names[i] = string(p.name)
	}
	return strings.Join(names, ", ")
}

// knownPlatform reports whether name is one of platforms.
func knownPlatform(name string) bool {
	for _, p := range platforms {
		if string(p.name) == name {
			return true
		}
	}
	return false
}

// runner serves until its context ends.
type runner interface {
	Run(ctx context.Context) error
}

// wiring is what Run wires the adapters into: the engine's handler, the
// public routes, what runs, and the console with its terminal.
type wiring struct {
	handler bot.Handler
	routes  *http.ServeMux
	runners []runner
	console *console.Console
	stdin   io.Reader
	stdout  io.Writer
	persona string
}

func (a *App) slack(w *wiring) (bot.ChatAdapter, error) {
	sc := a.cfg.SlackConfig
	sc.HelpdeskChannel = a.cfg.Helpdesk.Channel
	sc.Approvers = a.cfg.Helpdesk.Approvers
	s, err := slack.New(sc, w.handler, a.log)
	if err != nil {
		return nil, err
	}
	s.Links = store.NewLinks(a.store.Client(), bot.Slack)
	a.metrics.WatchChat(string(bot.Slack), s.Ready)
	w.runners = append(w.runners, s)
	if sc.Mode == slack.ModeHTTP {
		w.routes.Handle("/slack/", s.HTTPHandler(a.metrics))
	}
	return s, nil
}

func (a *App) discord(w *wiring) (bot.ChatAdapter, error) {
	d, err := a.newDiscord(w.handler)
	if err != nil {
		return nil, err
	}
	a.metrics.WatchChat(string(bot.Discord), d.Ready)
	w.runners = append(w.runners, d)
	return d, nil
}

// newDiscord makes the Discord adapter; -discord-unregister needs it alone.
func (a *App) newDiscord(h bot.Handler) (*discord.Adapter, error) {
	links := store.NewLinks(a.store.Client(), bot.Discord)
	dc := a.cfg.DiscordConfig
	dc.SelfLink = a.cfg.Verify != bot.VerifyOff
	return discord.New(dc, h, links, a.cfg.Helpdesk.Approvers, a.log)
}

// teams wires the Teams adapter: conversation references in Redis,
// approvers by Entra object ID.
func (a *App) teams(w *wiring) (bot.ChatAdapter, error) {
	tc := a.cfg.TeamsConfig
	tc.Approvers = a.cfg.Helpdesk.Approvers
	var opts []teams.Option
	if a.http != nil {
		opts = append(opts, teams.WithHTTPClient(a.http))
	}
	t, err := teams.New(tc, w.handler, store.NewRefs(a.store.Client(), bot.Teams), a.log, opts...)
	if err != nil {
		return nil, err
	}
	for pattern, h := range t.Routes(a.metrics) {
		w.routes.Handle(pattern, h)
	}
	a.metrics.WatchChat(string(bot.Teams), t.Ready)
	w.runners = append(w.runners, t)
	return t, nil
}

// console wires the terminal chat, as persona (else the configured or the
// demo fleet's first user).
func (a *App) console(w *wiring) (bot.ChatAdapter, error) {
	upn := w.persona
	if upn == "" {
		upn = a.cfg.ConsoleUser
	}
	if upn == "" {
		if users := a.fleet.Users(); len(users) > 0 {
			upn = users[0]
		}
	}
	// The console's zone is the machine's (TZ), as a terminal's clock is.
	user := bot.User{ID: upn, Name: upn, UPN: upn, Locale: a.cfg.Locale, TZ: os.Getenv("TZ")}
	c := console.New(w.stdin, w.stdout, user, w.handler)
	c.Prompt = isTerminal(w.stdin)
	c.Approvers = a.cfg.Helpdesk.Approvers
	if a.cfg.Verify == bot.VerifyDemo {
		c.Browse = func(ctx context.Context, link, login string) (string, error) {
			return demoidp.Browse(ctx, nil, link, login)
		}
	}
	// The terminal is connected for as long as passbot runs.
	a.metrics.WatchChat(string(bot.Console), func() error { return nil })
	w.console = c
	fmt.Fprintln(w.stdout, locales.Text(locales.Lang(a.cfg.Locale), "console.hello", "user", upn, "approvers", fmt.Sprint(a.cfg.Helpdesk.Approvers)))
	return c, nil
}
