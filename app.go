package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/passbot/passbot/adapters/demo"
	"github.com/passbot/passbot/adapters/entra"
	"github.com/passbot/passbot/adapters/entra/demoidp"
	"github.com/passbot/passbot/adapters/intune"
	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/flows/approval"
	"github.com/passbot/passbot/flows/reset"
	"github.com/passbot/passbot/ops"
	"github.com/passbot/passbot/store"
	"github.com/robfig/cron/v3"
	"golang.org/x/sync/errgroup"
)

// App is passbot wired together: store, device backend, flows, engine, the
// cron jobs and the chat adapters.
type App struct {
	cfg   Config
	http  *http.Client // outbound calls to Graph; nil means the default
	log   *slog.Logger
	store *store.Redis
	// engineCfg is what the engine is made of when Run has wired the
	// chats; engine is made then.
	engineCfg bot.Config
	engine    *bot.Engine
	clock     bot.Clock // nil: the wall clock
	metrics   *ops.Metrics
	fleet     *demo.Fleet
	// credential is the Graph app's, with DEVICES=intune.
	credential *checkedCredential
	closeStore func()
}

// Option changes how NewApp wires the app.
type Option func(*App)

// withClock runs the engine on c: a test's clock.
func withClock(c bot.Clock) Option { return func(a *App) { a.clock = c } }

// WithHTTPClient sends the device backend's HTTP calls (Graph, Entra ID)
// through c: a proxy, or a test's TLS server.
func WithHTTPClient(c *http.Client) Option { return func(a *App) { a.http = c } }

// NewApp connects to Redis and the device backend.
func NewApp(ctx context.Context, cfg Config, log *slog.Logger, opts ...Option) (*App, error) {
	st, closeStore, err := store.Open(ctx, cfg.RedisURL, log)
	if err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, log: log, store: st, closeStore: closeStore, metrics: ops.NewMetrics()}
	for _, o := range opts {
		o(a)
	}
	a.metrics.SetBuild(build())
	a.metrics.WatchReady(a.ready)
	devices, err := a.devices()
	if err != nil {
		closeStore()
		return nil, err
	}
	if a.credential != nil {
		// A wrong or expired secret shows now, in the log and on /readyz,
		// not at the first employee's reset.
		checkCtx, cancel := context.WithTimeout(ctx, cfg.IntuneConfig.Timeout)
		tok, err := a.credential.check(checkCtx)
		cancel()
		logCheck(log, cfg.IntuneConfig, tok, err)
	}
	h := cfg.Helpdesk
	a.engineCfg = bot.Config{
		Store:   st,
		Devices: devices,
		Flow: reset.New(reset.Config{
			Support:       cfg.Support,
			StepTimeout:   cfg.StepTimeout,
			SignIn:        cfg.Verify != bot.VerifyOff,
			SignInTTL:     cfg.VerifyTTL,
			ReminderAfter: cfg.Reminder,
			PollEvery:     cfg.PollEvery,
			RecoverAfter:  cfg.Recovery,
			Approvals:     h.Approvals,
			HelpdeskLang:  h.Lang,
			NoHelpdesk:    !cfg.helpdeskChannels(),
		}),
		Approval: approval.New(approval.Config{
			EscalateAfter: h.EscalateAfter,
			ExpireAfter:   h.ExpireAfter,
			Lang:          h.Lang,
			Support:       cfg.Support,
		}),
		Limits:        bot.Limits{PerUser: h.PerUser, PerDevice: h.PerDevice, Window: h.LimitWindow},
		PasscodeTTL:   cfg.PasscodeTTL,
		ResetCallTime: cfg.resetCallTime(),
		Lease:         cfg.Lease,
		Clock:         cmp.Or[bot.Clock](a.clock, bot.SystemClock{}),
		Links:         st,
		Log:           log,
		Observer:      a.metrics,
	}
	return a, nil
}

// devices opens the device backend: Intune through Microsoft Graph, or the
// demo fleet (which also names the console's default user).
func (a *App) devices() (bot.Devices, error) {
	a.fleet = demo.Default()
	if a.cfg.DemoFleet != "" {
		var err error
		if a.fleet, err = demo.Load(a.cfg.DemoFleet); err != nil {
			return nil, fmt.Errorf("PASSBOT_DEMO_FLEET: %w", err)
		}
	}
	if a.cfg.Devices != "intune" {
		return a.fleet, nil
	}
	cred, err := intune.NewCredential(a.cfg.IntuneConfig, a.http)
	if err != nil {
		return nil, err
	}
	tokenScope, err := intune.TokenScope(a.cfg.IntuneConfig)
	if err != nil {
		return nil, err
	}
	a.credential = &checkedCredential{TokenCredential: cred, scope: tokenScope, report: a.metrics, now: time.Now}
	opts := []intune.Option{
		intune.WithLimiter(store.NewWriteLimiter(a.store.Client(), intune.DefaultWriteBurst, intune.DefaultWritePer)),
		intune.WithLogger(a.log),
		intune.WithObserver(a.metrics),
	}
	if a.http != nil {
		opts = append(opts, intune.WithHTTPClient(a.http))
	}
	return intune.New(a.cfg.IntuneConfig, a.credential, opts...)
}

// Run serves the configured platforms until ctx ends or, for the console,
// its input ends. persona, when set, is who the console starts as.
func (a *App) Run(ctx context.Context, stdin io.Reader, stdout io.Writer, persona string) (err error) {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	w := &wiring{handler: a.handler(), routes: http.NewServeMux(), stdin: stdin, stdout: stdout, persona: persona}
	public, signIns, err := a.publicServer(w.routes)
	if err != nil {
		return err
	}
	if public != nil {
		w.runners = append(w.runners, public)
	}
	ec := a.engineCfg
	ec.SignIns = signIns
	for _, p := range platforms {
		if !a.cfg.serves(string(p.name)) {
			continue
		}
		chat, err := p.wire(a, w)
		if err != nil {
			return err
		}
		ec.Chats = append(ec.Chats, chat)
	}
	a.engine = bot.New(ec)
	// The backlog of the chats' platforms: the follow-ups this app sends.
	served := a.engine.Platforms()
	a.metrics.WatchBacklog(func(ctx context.Context, now time.Time) (bot.Backlog, error) {
		return a.store.Backlog(ctx, now, served)
	})
	jobs, err := a.cron(ctx)
	if err != nil {
		return err
	}
	if a.cfg.OpsAddr != "" {
		srv := ops.NewServer(a.cfg.OpsAddr, a.metrics, a.ready, nil)
		if err := srv.Listen(); err != nil { // a taken port fails the start, not later
			return fmt.Errorf("PASSBOT_OPS_ADDR: %w", err)
		}
		a.log.Info("serving /healthz, /readyz, /metrics", "addr", srv.Addr().String())
		w.runners = append(w.runners, srv)
	}
	jobs.Start()
	defer func() { <-jobs.Stop().Done() }()
	started := time.Now()
	a.log.Info("passbot started", a.summary()...)
	defer func() {
		a.log.Info("passbot stopped", "uptime_s", int64(time.Since(started).Seconds()), "err", err)
	}()
	g, ctx := errgroup.WithContext(ctx)
	for _, r := range w.runners {
		g.Go(func() error { return r.Run(ctx) })
	}
	if w.console != nil {
		g.Go(func() error {
			defer stop() // the console's input ended: so does the program
			return w.console.Run(ctx)
		})
	}
	return g.Wait()
}

// handler is the engine's Handle for the adapters, which are made before
// the engine they are registered with: it runs only once Run serves.
func (a *App) handler() bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, ev bot.Event, out bot.Sender) (bot.Handled, error) {
		return a.engine.Handle(ctx, ev, out)
	})
}

// summary is the start-up line's settings: what an operator checks first,
// and no secret (the Redis URL by its scheme and host only).
func (a *App) summary() []any {
	c := a.cfg
	redisAt := "in-process"
	if u, err := url.Parse(c.RedisURL); c.RedisURL != "" && err == nil {
		redisAt = u.Scheme + "://" + u.Host + u.Path
	}
	signInApp := "graph"
	if c.SignInClientID != "" {
		signInApp = "own"
	}
	b := build()
	return []any{"version", b.Version, "commit", b.Commit, "platforms", strings.Join(c.Platforms, ","), "devices", c.Devices,
		"verify", c.Verify, "signin_app", signInApp, "redis", redisAt, "http_addr", c.HTTPAddr, "public_url", c.PublicURL,
		"ops_addr", c.OpsAddr, "approvals", c.Approvals, "helpdesk_locale", c.Helpdesk.Lang, "log_level", c.LogLevel}
}

// publicServer listens on the public address, when there is one, and
// serves the sign-in on it. Without PASSBOT_HTTP_ADDR the demo sign-in gets
// a free loopback port: `go run .` needs no configuration.
func (a *App) publicServer(routes *http.ServeMux) (*ops.Server, bot.SignIns, error) {
	addr := a.cfg.HTTPAddr
	if addr == "" && a.cfg.Verify == bot.VerifyDemo {
		addr = "127.0.0.1:0"
	}
	if a.cfg.Verify == bot.VerifyOff {
		a.log.Warn("PASSBOT_VERIFY=off: passcodes are reset without a sign-in by the device's owner; every reset is audited as unverified")
	}
	if addr == "" {
		return nil, nil, nil
	}
	srv := ops.NewPublicServer(addr, routes)
	if err := srv.Listen(); err != nil { // a taken port fails the start, not later
		return nil, nil, fmt.Errorf("PASSBOT_HTTP_ADDR: %w", err)
	}
	publicURL := a.cfg.PublicURL
	if publicURL == "" {
		publicURL = "http://" + browserAddr(srv.Addr())
	}
	var signIns bot.SignIns
	if a.cfg.Verify != bot.VerifyOff {
		var err error
		if signIns, err = a.signIn(publicURL, routes); err != nil {
			return nil, nil, err
		}
	}
	a.log.Info("serving the public endpoints", "addr", srv.Addr().String(), "url", publicURL)
	return srv, signIns, nil
}

// signIn sets up the sign-in before a reset: against Entra ID, or against
// the demo provider that it then serves itself. Both take the same path
// through entra.SignIn.
func (a *App) signIn(publicURL string, routes *http.ServeMux) (bot.SignIns, error) {
	g := a.cfg.IntuneConfig
	cfg := entra.Config{PublicURL: publicURL, AuthorityURL: g.AuthorityURL, TenantID: g.TenantID, ClientID: g.ClientID,
		TTL: a.cfg.VerifyTTL, HTTPClient: a.http, TrustedProxies: a.cfg.proxies, AuthContext: a.cfg.AuthContext,
		Org: entra.Org{Name: a.cfg.OrgName, Logo: a.cfg.OrgLogo, Support: a.cfg.Support}}
	switch {
	case a.cfg.Verify == bot.VerifyDemo:
		secret := rand.Text()
		cfg.AuthorityURL, cfg.TenantID, cfg.ClientID, cfg.Client = publicURL+"/demo-idp", "demo", "passbot-demo", entra.Secret(secret)
		idp, err := demoidp.New(cfg.AuthorityURL, cfg.TenantID, cfg.ClientID, secret, publicURL+"/auth/callback", a.demoUser)
		if err != nil {
			return nil, err
		}
		for pattern, h := range idp.Routes() {
			routes.Handle(pattern, h)
		}
	case a.cfg.SignInClientID != "":
		cfg.ClientID, cfg.Client = a.cfg.SignInClientID, entra.Secret(a.cfg.SignInSecret)
	case g.ClientSecret != "":
		cfg.Client = entra.Secret(g.ClientSecret)
	default:
		cert, err := entra.LoadCertificate(g.CertificatePath, g.CertificatePassword, g.ClientID)
		if err != nil {
			return nil, fmt.Errorf("PASSBOT_GRAPH_CERTIFICATE_PATH: %w", err)
		}
		cfg.Client = cert
	}
	if cfg.AuthorityURL == "" {
		cfg.AuthorityURL = "https://login.microsoftonline.com"
	}
	// The engine's clock: links expire by it, as the conversation's step
	// does. The engine, made after the sign-in it hands links out with,
	// takes the sign-ins' results once Run serves.
	s, err := entra.New(cfg, store.NewSignIns(a.store.Client()), signedIn{a}, a.store, a.log, a.engineCfg.Clock.Now)
	if err != nil {
		return nil, fmt.Errorf("PASSBOT_PUBLIC_URL: %w", err)
	}
	for pattern, h := range s.Routes() {
		routes.Handle(pattern, h)
	}
	a.log.Info("sign-in before a reset", "mode", a.cfg.Verify, "redirect_uri", s.RedirectURI())
	return s, nil
}

// signedIn hands a sign-in's result to the app's engine.
type signedIn struct{ a *App }

func (s signedIn) SignedIn(ctx context.Context, r bot.SignInResult) (string, error) {
	return s.a.engine.SignedIn(ctx, r)
}

// demoUser is a person of the demo fleet, for the demo provider.
func (a *App) demoUser(upn string) (demoidp.User, bool) {
	oid, name, ok := a.fleet.Person(upn)
	return demoidp.User{UPN: upn, OID: oid, Name: name}, ok
}

// jobTimeout bounds one sweep or digest: a third of the follow-ups' lease
// (20 s by default), so no other replica fires what this one still works
// on, and inside a container's stop grace period.
func (a *App) jobTimeout() time.Duration { return a.cfg.Lease / 3 }

// cron schedules the follow-up sweep and the helpdesk digest; every replica
// runs both, and the store makes each follow-up and digest happen once. A
// run that is still busy skips the next tick rather than piling up, and a
// shutdown lets the running one finish instead of cutting it between
// "sent" and "acknowledged".
func (a *App) cron(ctx context.Context) (*cron.Cron, error) {
	jobs := cron.New(cron.WithParser(cronParser), cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
	job := func(name string, run func(context.Context) error) func() {
		outage := &jobOutage{name: name, log: a.log, now: time.Now}
		return func() {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.jobTimeout())
			defer cancel()
			outage.run(ctx, run)
		}
	}
	sweep := func(ctx context.Context) error { _, err := a.engine.Sweep(ctx); return err }
	if _, err := jobs.AddFunc(a.cfg.SweepSpec, job("follow-up sweep", sweep)); err != nil {
		return nil, fmt.Errorf("PASSBOT_SWEEP_SPEC: %w", err)
	}
	if _, err := jobs.AddFunc(a.cfg.DigestSpec, job("helpdesk digest", a.engine.Digest)); err != nil {
		return nil, fmt.Errorf("PASSBOT_DIGEST_SPEC: %w", err)
	}
	return jobs, nil
}

// ready reports whether this replica can serve what the load balancer
// sends it (the sign-in pages, Slack's HTTP mode, Teams' messages): Redis
// answers and, with Intune, Entra ID gives the Graph app a token. A chat connection that is down is not a reason: a Slack outage
// would take every replica out of the load balancer, and Teams and the
// sign-in with it. Each connection is passbot_chat_connected on /metrics,
// which an alert watches.
func (a *App) ready(ctx context.Context) error {
	if err := a.store.Client().Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	// A refused Graph credential fails every reset on every replica: a
	// rollout with a wrong secret stops here, keeping the old replicas.
	if a.credential != nil {
		return a.credential.ready(ctx)
	}
	return nil
}

// Close releases Redis.
func (a *App) Close() { a.closeStore() }

// browserAddr is how a browser on this machine reaches addr: a wildcard
// address is reached as localhost.
func browserAddr(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
