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
	"slices"
	"strings"
	"syscall"
	"time"

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
		os.Exit(exitCode(err))
	}
}

// usage is the short help for a command line passbot does not understand.
const usage = "usage: passbot [-as PERSONA] [-discord-unregister] [version | healthcheck | audit export [-since ID|TIME] | teams package [-app-id ID] [-developer-name NAME] [-website-url URL] [-privacy-url URL] [-terms-url URL]]; passbot -h lists the settings"

// usageError is a command line passbot does not understand.
type usageError string

func (e usageError) Error() string { return string(e) + "\n" + usage }

// exitCode is the program's exit status for err: 2 for a command line it
// does not understand, as the flag package's own, 1 for everything else.
func exitCode(err error) int {
	if errors.As(err, new(usageError)) {
		return 2
	}
	return 1
}

// probeTimeout bounds `passbot healthcheck`: under the image HEALTHCHECK's
// --timeout=3s, so passbot says why before Docker gives up on it.
const probeTimeout = 2 * time.Second

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("passbot", flag.ContinueOnError)
	// Errors come back as a usageError with the short usage; -h alone
	// prints the long help below.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var (
		cfg   Config
		since store.AuditCursor
		err   error
	)
	persona := fs.String("as", "", "console: start as this persona (a user principal name, or a helpdesk approver)")
	unregister := fs.Bool("discord-unregister", false, "remove the /passcode command from Discord and exit")
	showVersion := fs.Bool("version", false, "print the version, commit, build date and Go version, and exit (also: passbot version)")
	if err = fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			help(fs, &cfg, stderr)
			return nil
		}
		return usageError(err.Error())
	}
	// The commands that need neither settings nor Redis come first.
	switch rest := fs.Args(); {
	case *showVersion || slices.Equal(rest, []string{"version"}):
		_, err := fmt.Fprintln(stdout, build())
		return err
	case slices.Equal(rest, []string{"healthcheck"}):
		return healthcheck(ctx)
	case len(rest) >= 2 && rest[0] == "teams" && rest[1] == "package":
		return teamsPackage(rest[2:], stdout)
	case len(rest) >= 2 && rest[0] == "audit" && rest[1] == "export" && !*unregister:
		if since, err = auditFlags(rest[2:]); err != nil {
			return err
		}
	case len(rest) > 0 && !slices.Equal(rest[:min(2, len(rest))], []string{"audit", "export"}):
		return usageError(fmt.Sprintf("unknown command %q", strings.Join(rest, " ")))
	case len(rest) > 0 && *unregister:
		return usageError("-discord-unregister takes no command")
	}
	if err := envconfig.Process("passbot", &cfg); err != nil {
		return err
	}
	if err := readSecretFiles(&cfg, os.LookupEnv); err != nil {
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
	switch {
	case *unregister:
		d, err := app.newDiscord(app.handler())
		if err != nil {
			return err
		}
		return d.Unregister(ctx)
	case len(fs.Args()) > 0: // audit export
		err := app.store.ExportAudit(ctx, stdout, since)
		if errors.Is(err, store.ErrAuditTrimmed) {
			// Every line still kept was written: say what may be missing
			// and let the cron job go on from the last line's ID.
			fmt.Fprintln(stderr, "passbot: audit export:", err)
			return nil
		}
		return err
	}
	return app.Run(ctx, stdin, stdout, *persona)
}

// subcommandFlags parses a command's own flags; a positional argument or
// an unknown flag is a usage error, and -h is one too (its usage names the
// flags).
func subcommandFlags(name string, args []string, define func(*flag.FlagSet)) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	define(fs)
	var flags []string
	fs.VisitAll(func(f *flag.Flag) { flags = append(flags, "-"+f.Name) })
	if err := fs.Parse(args); err != nil {
		return usageError(fmt.Sprintf("passbot %s: %v (flags: %s)", name, err, strings.Join(flags, ", ")))
	}
	if fs.NArg() > 0 {
		return usageError(fmt.Sprintf("passbot %s: unexpected %q (flags: %s)", name, strings.Join(fs.Args(), " "), strings.Join(flags, ", ")))
	}
	return nil
}

// auditFlags reads `passbot audit export [-since ID|TIME]`.
func auditFlags(args []string) (store.AuditCursor, error) {
	var since string
	if err := subcommandFlags("audit export", args, func(fs *flag.FlagSet) {
		fs.StringVar(&since, "since", "", "export after this entry ID (the \"id\" of the last line exported) or from this RFC 3339 time")
	}); err != nil {
		return store.AuditCursor{}, err
	}
	c, err := store.ParseAuditCursor(since)
	if err != nil {
		return c, usageError("passbot audit export -since: " + err.Error())
	}
	return c, nil
}

// teamsPackage is `passbot teams package`: the Teams app package to
// upload, on stdout. It needs only the bot's app ID; the developer's name
// and URLs, which an organisation publishing the app sets, come from flags.
func teamsPackage(args []string, stdout io.Writer) error {
	app := teams.App{ID: os.Getenv("PASSBOT_TEAMS_APP_ID"), Built: time.Now()}
	if err := subcommandFlags("teams package", args, func(fs *flag.FlagSet) {
		fs.StringVar(&app.ID, "app-id", app.ID, "the bot's Microsoft App ID (default PASSBOT_TEAMS_APP_ID)")
		fs.StringVar(&app.Developer.Name, "developer-name", "", "who publishes the app, e.g. Contoso IT (32 characters at most)")
		fs.StringVar(&app.Developer.WebsiteURL, "website-url", "", "the developer's https website")
		fs.StringVar(&app.Developer.PrivacyURL, "privacy-url", "", "the https privacy statement")
		fs.StringVar(&app.Developer.TermsURL, "terms-url", "", "the https terms of use")
	}); err != nil {
		return err
	}
	pkg, err := teams.Package(app)
	if err != nil {
		return err
	}
	_, err = stdout.Write(pkg)
	return err
}

// help is `passbot -h`: the commands, the flags and every setting.
func help(fs *flag.FlagSet, cfg *Config, w io.Writer) {
	fmt.Fprintln(w, "usage: passbot [-as PERSONA] [-discord-unregister] [--version]\n       passbot version         (the version, commit, build date and Go version)\n       passbot audit export [-since ID|TIME]\n                               (the audit trail as JSON lines, each with its \"id\": -since the last one exported, or an RFC 3339 time)\n       passbot healthcheck     (exit 0 when PASSBOT_OPS_ADDR's /healthz answers)\n       passbot teams package [-app-id ID] [-developer-name NAME] [-website-url URL] [-privacy-url URL] [-terms-url URL]\n                               (the Teams app zip for PASSBOT_TEAMS_APP_ID, on stdout)\n\nFlags:")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprintln(w, "\npassbot is configured with environment variables:")
	if err := printSettings(w, cfg); err != nil {
		fmt.Fprintln(w, err)
	}
}

// healthcheck is the container's HEALTHCHECK: it asks /healthz on the ops
// address passbot itself serves, read as passbot reads it; no Redis, no chat.
func healthcheck(ctx context.Context) error {
	var cfg Config
	if err := envconfig.Process("passbot", &cfg); err != nil {
		return err
	}
	if cfg.OpsAddr == "" {
		return errors.New("PASSBOT_OPS_ADDR is not set, so passbot serves no /healthz to ask: set it for passbot and its healthcheck alike (the image sets :9090)")
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	return ops.Probe(ctx, ops.HealthURL(cfg.OpsAddr))
}
