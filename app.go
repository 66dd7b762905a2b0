package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/passbot/passbot/adapters/console"
	"github.com/passbot/passbot/adapters/demo"
	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/flows/reset"
	"github.com/passbot/passbot/store"
	"github.com/robfig/cron/v3"
)

// App is passbot wired together: store, device backend, flow, engine, the
// follow-up sweep and the chat adapters.
type App struct {
	cfg        Config
	log        *slog.Logger
	engine     *bot.Engine
	fleet      *demo.Fleet
	closeStore func()
}

// NewApp connects to Redis and the device backend.
func NewApp(ctx context.Context, cfg Config, log *slog.Logger) (*App, error) {
	st, closeStore, err := store.Open(ctx, cfg.RedisURL, log)
	if err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, log: log, closeStore: closeStore}
	a.fleet = demo.Default()
	if cfg.DemoFleet != "" {
		if a.fleet, err = demo.Load(cfg.DemoFleet); err != nil {
			closeStore()
			return nil, fmt.Errorf("PASSBOT_DEMO_FLEET: %w", err)
		}
	}
	a.engine = &bot.Engine{
		Store:   st,
		Devices: a.fleet,
		Flow: reset.New(reset.Config{
			Support:       cfg.Support,
			StepTimeout:   cfg.StepTimeout,
			SignInWait:    cfg.SignInWait,
			ReminderAfter: cfg.Reminder,
		}),
		Clock:     bot.SystemClock{},
		Notifiers: map[bot.Platform]bot.Notifier{},
		Log:       log,
	}
	return a, nil
}

// Run serves the configured platforms until ctx ends or, for the console,
// its input ends.
func (a *App) Run(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
	sweeper := cron.New(cron.WithSeconds())
	if _, err := sweeper.AddFunc(a.cfg.SweepSpec, func() {
		if _, err := a.engine.Sweep(ctx); err != nil {
			a.log.Error("follow-up sweep", "err", err)
		}
	}); err != nil {
		return fmt.Errorf("PASSBOT_SWEEP_SPEC: %w", err)
	}
	sweeper.Start()
	defer func() { <-sweeper.Stop().Done() }()

	upn := a.cfg.ConsoleUser
	if upn == "" {
		if users := a.fleet.Users(); len(users) > 0 {
			upn = users[0]
		}
	}
	user := bot.User{ID: upn, Name: upn, UPN: upn, Locale: a.cfg.Locale}
	c := console.New(stdin, stdout, user, a.engine)
	c.Prompt = isTerminal(stdin)
	a.engine.Notifiers[bot.Console] = c
	fmt.Fprintf(stdout, "passbot console: you are %s. Type \"reset my passcode\" (or \"wachtwoordcode vergeten\"), \"help\", or press a button by its number. Ctrl-D quits.\n", upn)
	return c.Run(ctx)
}

// Close releases Redis.
func (a *App) Close() { a.closeStore() }

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
