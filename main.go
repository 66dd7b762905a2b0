// Command passbot is a chat bot that resets the passcode of an employee's
// Intune-enrolled phone or tablet. With no configuration it chats in the
// terminal over a demo device fleet and an in-process Redis.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/kelseyhightower/envconfig"
	"github.com/passbot/passbot/adapters/teams"
	"github.com/passbot/passbot/ops"
	"github.com/passbot/passbot/store"
	"github.com/redis/go-redis/v9"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "passbot:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 1 && args[0] == "healthcheck" {
		// The container's HEALTHCHECK: no Redis, no chat, just ask /healthz.
		addr := os.Getenv("PASSBOT_OPS_ADDR")
		if addr == "" {
			addr = ":8080"
		}
		return ops.Probe(ctx, ops.HealthURL(addr))
	}
	if len(args) == 2 && args[0] == "teams" && args[1] == "package" {
		// The Teams app package to upload: needs only the bot's app ID.
		pkg, err := teams.Package(os.Getenv("PASSBOT_TEAMS_APP_ID"))
		if err != nil {
			return err
		}
		_, err = stdout.Write(pkg)
		return err
	}
	fs := flag.NewFlagSet("passbot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg Config
	persona := fs.String("as", "", "console: start as this persona (a user principal name, or a helpdesk approver)")
	unregister := fs.Bool("discord-unregister", false, "remove the /passcode command from Discord and exit")
	showVersion := fs.Bool("version", false, "print the version, commit, build date and Go version, and exit")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: passbot [-as PERSONA] [-discord-unregister] [--version]\n       passbot audit export    (the audit trail as JSON lines)\n       passbot healthcheck     (exit 0 when PASSBOT_OPS_ADDR's /healthz answers)\n       passbot teams package   (the Teams app zip for PASSBOT_TEAMS_APP_ID, on stdout)\n\nFlags:")
		fs.PrintDefaults()
		fmt.Fprintln(stderr, "\npassbot is configured with environment variables:")
		if err := envconfig.Usagef("passbot", &cfg, stderr, envconfig.DefaultTableFormat); err != nil {
			fmt.Fprintln(stderr, err)
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *showVersion {
		_, err := fmt.Fprintln(stdout, build())
		return err
	}
	if err := envconfig.Process("passbot", &cfg); err != nil {
		return err
	}
	if err := cfg.check(); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return fmt.Errorf("PASSBOT_LOG_LEVEL: %w", err)
	}
	log := ops.NewLogger(stderr, level)
	redis.SetLogger(store.NewRedisLog(log))
	app, err := NewApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer app.Close()
	switch rest := fs.Args(); {
	case *unregister:
		d, err := app.discord()
		if err != nil {
			return err
		}
		return d.Unregister(ctx)
	case len(rest) == 2 && rest[0] == "audit" && rest[1] == "export":
		return app.store.ExportAudit(ctx, stdout)
	case len(rest) > 0:
		fs.Usage()
		return fmt.Errorf("unknown command %q", rest)
	}
	return app.Run(ctx, stdin, stdout, *persona)
}
