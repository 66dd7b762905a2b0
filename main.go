// Command passbot is a chat bot that resets the passcode of an employee's
// Intune-enrolled phone or tablet. With no configuration it chats in the
// terminal over a demo device fleet and an in-process Redis.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/kelseyhightower/envconfig"
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
	fs := flag.NewFlagSet("passbot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg Config
	persona := fs.String("as", "", "console: start as this persona (a user principal name, or a helpdesk approver)")
	unregister := fs.Bool("discord-unregister", false, "remove the /passcode command from Discord and exit")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: passbot [-as PERSONA] [-discord-unregister]\n       passbot audit export    (the audit trail as JSON lines)\n\nFlags:")
		fs.PrintDefaults()
		fmt.Fprintln(stderr, "\npassbot is configured with environment variables:")
		envconfig.Usagef("passbot", &cfg, stderr, envconfig.DefaultTableFormat)
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil
		}
		return err
	}
	if err := envconfig.Process("passbot", &cfg); err != nil {
		return err
	}
	if err := cfg.check(); err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)
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

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}
