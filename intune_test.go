package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kelseyhightower/envconfig"

	"github.com/passbot/passbot/adapters/device"
	"github.com/passbot/passbot/adapters/entra/demoidp"
	"github.com/passbot/passbot/adapters/intune"
	"github.com/passbot/passbot/adapters/intune/graphtest"
	"github.com/passbot/passbot/internal/enginetest"
	"github.com/passbot/passbot/ops"
	"github.com/passbot/passbot/store/redistest"
)

// Megan's devices in the local Graph: two pages of two and one.
const (
	megan     = "megan.bowen@contoso.com"
	android6  = "Megan_Android_6/2/2018"
	pollEvery = time.Minute
	support   = "helpdesk@contoso.com"
)

// meganGraph is a local Graph where Megan has an iPhone and an Android
// Enterprise work profile on the first page and a personal Android 6.0.1
// device, the one she resets, on the second. It returns that device's ID.
func meganGraph(t *testing.T) (*graphtest.Server, string) {
	f := graphtest.New(t, graphtest.WithoutFixtures())
	f.AddDevice(device.Managed{Name: "Megan's iPhone", OperatingSystem: "iOS", OSVersion: "17.4.1", OwnerType: "personal",
		UPN: megan, EnrollmentType: "userEnrollment", ManagementAgent: "mdm", Model: "iPhone 14", Manufacturer: "Apple"})
	f.AddManagedDevice(map[string]any{ // as Graph beta lists it
		"deviceName": "Megan's Pixel", "operatingSystem": "Android", "osVersion": "14", "deviceType": "androidForWork",
		"managedDeviceOwnerType": "personal", "userPrincipalName": megan, "deviceEnrollmentType": "userEnrollment",
		"managementAgent": "mdm", "model": "Pixel 8", "manufacturer": "Google", "complianceState": "compliant",
	})
	id := f.AddDevice(device.Managed{Name: android6, OperatingSystem: "Android", OSVersion: "6.0.1", OwnerType: "personal",
		UPN: megan, EnrollmentType: "userEnrollment", ManagementAgent: "mdm", Model: "SM-G920F", Manufacturer: "samsung"})
	return f, id
}

// graphChat is the real program — configuration from PASSBOT_* variables,
// NewApp's wiring, App.Run's console over a real Redis — chatting with the
// local Graph. The test types into the console and moves the engine's clock;
// it runs the follow-up sweep itself (PASSBOT_SWEEP_SPEC is set to never
// fire), so nothing waits on the wall clock.
type graphChat struct {
	terminal
	fake  *graphtest.Server
	app   *App
	redis *redistest.Server
	clock *enginetest.Clock
	done  chan error
}

// terminal is a running program's console: the test types into in and reads
// out (and the logs).
type terminal struct {
	t    *testing.T
	ctx  context.Context
	in   *io.PipeWriter
	out  *transcript
	logs *transcript
}

func startGraphChat(t *testing.T, fake *graphtest.Server, user string) *graphChat {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // bounds every wait
	t.Cleanup(cancel)
	rds := redistest.Start(t)
	addr := enginetest.FreeAddr(t)
	fake.IDP.RedirectURI = "http://" + addr + "/auth/callback"
	cfg := configFrom(t, map[string]string{
		"PASSBOT_DEVICES":             "intune",
		"PASSBOT_VERIFY":              "entra",
		"PASSBOT_PUBLIC_URL":          "http://" + addr,
		"PASSBOT_HTTP_ADDR":           addr,
		"PASSBOT_GRAPH_URL":           fake.URL + "/beta",
		"PASSBOT_GRAPH_AUTHORITY_URL": fake.AuthorityURL,
		"PASSBOT_GRAPH_TENANT_ID":     fake.TenantID,
		"PASSBOT_GRAPH_CLIENT_ID":     fake.ClientID,
		"PASSBOT_GRAPH_CLIENT_SECRET": fake.Secret,
		"PASSBOT_REDIS_URL":           rds.URL,
		"PASSBOT_CONSOLE_USER":        user,
		"PASSBOT_SUPPORT_CONTACT":     support,
		"PASSBOT_POLL_EVERY":          pollEvery.String(),
		"PASSBOT_SWEEP_SPEC":          "@every 87600h", // the test sweeps
		"PASSBOT_DIGEST_SPEC":         "@every 87600h",
		"PASSBOT_LOG_LEVEL":           "debug",
	})
	c := &graphChat{terminal: terminal{t: t, ctx: ctx, out: newTranscript(), logs: newTranscript()},
		fake: fake, redis: rds, clock: enginetest.NewClock(), done: make(chan error, 1)}
	app, err := NewApp(ctx, cfg, ops.NewLogger(c.logs, slog.LevelDebug), WithHTTPClient(fake.Client()), withClock(c.clock))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Close)
	c.app = app
	fake.IDP.Now = c.clock.Now // the sign-in is as fresh as the conversation

	stdin, in := io.Pipe()
	c.in = in
	go func() { c.done <- app.Run(ctx, stdin, c.out, "") }()
	t.Cleanup(func() { in.Close(); <-c.done })
	c.waitFor("passbot console: you are " + user)
	return c
}

// configFrom is the program's configuration read from env (set for the
// test) the way main reads it.
func configFrom(t *testing.T, env map[string]string) Config {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	var cfg Config
	if err := envconfig.Process("passbot", &cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.check(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// say types lines into the console; it handles them in order.
func (c *terminal) say(lines ...string) {
	c.t.Helper()
	if _, err := io.WriteString(c.in, strings.Join(lines, "\n")+"\n"); err != nil {
		c.t.Fatal(err)
	}
}

// waitFor waits until the console printed s after what earlier waits found.
func (c *terminal) waitFor(s string) {
	c.t.Helper()
	if err := c.out.waitFor(c.ctx, s); err != nil {
		c.t.Fatalf("console never printed %q: %v\noutput:\n%s\nlogs:\n%s", s, err, c.out, c.logs)
	}
}

// sweepAfter moves the engine's clock on by d and runs the follow-up sweep,
// as App.Run's cron would; the console prints what it sends before it
// returns. It returns how many follow-ups fired.
func (c *graphChat) sweepAfter(d time.Duration) int {
	c.t.Helper()
	c.clock.Advance(d)
	n, err := c.app.engine.Sweep(c.ctx)
	if err != nil {
		c.t.Fatalf("sweep: %v\nlogs:\n%s", err, c.logs)
	}
	return n
}

// quit ends the console's input and waits for App.Run to return.
func (c *graphChat) quit() (out, logs string) {
	c.t.Helper()
	c.in.Close()
	if err := <-c.done; err != nil {
		c.t.Fatalf("run: %v", err)
	}
	c.done <- nil // for the cleanup
	return c.out.String(), c.logs.String()
}

// requests counts the Graph requests of method whose path ends in suffix.
func (c *graphChat) requests(method, suffix string) []graphtest.Request {
	var rs []graphtest.Request
	for _, r := range c.fake.Requests() {
		if r.Method == method && strings.HasSuffix(r.Path, suffix) {
			rs = append(rs, r)
		}
	}
	return rs
}

// resetAndroid6 walks Megan through the reset of her Android 6 device, up
// to the engine's answer to the reset.
func (c *graphChat) resetAndroid6() {
	c.t.Helper()
	c.say("reset my passcode")
	c.waitFor("[3] " + android6 + " (Android)")
	c.say("3", "Reset Passcode", "Sign in again")
	if page := c.signIn(""); !strings.HasPrefix(page, "You are signed in. Go back to the chat. This sign-in was asked for by ") {
		c.t.Fatalf("sign-in page %q\nlogs:\n%s", page, c.logs)
	}
	c.waitFor("Do you have " + android6 + " with you?")
	c.say("Yes, reset")
	c.waitFor("Resetting the passcode of " + android6)
}

var signInLink = regexp.MustCompile(`http://\S+/signin/\S+`)

// signIn opens the sign-in link the console printed last as a browser
// would, signs in on the imitation of Entra ID as login (the login hint when
// empty) and returns the page the browser ends on.
func (c *graphChat) signIn(login string) string {
	c.t.Helper()
	c.waitFor("/signin/")
	links := signInLink.FindAllString(c.out.String(), -1)
	page, err := demoidp.Browse(c.ctx, c.fake.Client(), links[len(links)-1], login)
	if err != nil {
		c.t.Fatalf("sign-in: %v\nlogs:\n%s", err, c.logs)
	}
	return page
}

func TestIntuneResetShowsThePasscodeFromALaterRead(t *testing.T) {
	const passcode = "5093-1846"
	fake, id := meganGraph(t)
	fake.OnReset(id, graphtest.Done(passcode).After(1)) // pending on the first read
	c := startGraphChat(t, fake, megan)

	c.resetAndroid6()
	c.waitFor("The passcode reset of " + android6 + " was sent.")
	if got := c.out.String(); strings.Contains(got, passcode) {
		t.Fatalf("passcode shown before Intune reported it:\n%s", got)
	}

	if n := c.sweepAfter(pollEvery); n != 1 {
		t.Errorf("first poll: %d follow-ups fired, want 1", n)
	}
	if got := c.out.String(); strings.Contains(got, passcode) || strings.Contains(got, "✅ Your passcode") {
		t.Fatalf("the first read is pending, yet:\n%s", got)
	}
	if n := c.sweepAfter(pollEvery); n != 1 {
		t.Errorf("second poll: %d follow-ups fired, want 1", n)
	}
	c.waitFor("temporary passcode (letters and numbers) is: " + passcode)
	// PASSBOT_PASSCODE_TTL (10m) later the passcode leaves the chat: its
	// message now reads a note, and the passcode is printed nowhere again.
	if n := c.sweepAfter(10 * time.Minute); n != 1 {
		t.Errorf("ten minutes later: %d follow-ups fired, want the passcode removal only", n)
	}
	c.waitFor("bot (edits an earlier message)> 🔒 The temporary passcode for " + android6 + " was removed from this chat.")
	if n := c.sweepAfter(time.Hour); n != 1 {
		t.Errorf("an hour later: %d follow-ups fired, want the reminder only", n)
	}
	c.waitFor("Reminder: if you are still using the temporary passcode on " + android6)
	out, logs := c.quit()

	for _, want := range []string{
		"bot> The passcode reset of " + android6 + " was sent.",
		"bot> ✅ Your passcode was reset successfully.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Count(out, passcode) != 1 {
		t.Errorf("the passcode appears %d times, want once:\n%s", strings.Count(out, passcode), out)
	}
	private := regexp.MustCompile(`(?m)^bot \(only you\)> The passcode of ` + regexp.QuoteMeta(android6) +
		` was removed\. Your temporary passcode \(letters and numbers\) is: ` + passcode + `$`)
	if !private.MatchString(out) {
		t.Errorf("the passcode is not in a private reply:\n%s", out)
	}
	if strings.Index(out, "was sent.") > strings.Index(out, passcode) {
		t.Error("the passcode came before the pending message")
	}
	if strings.Contains(logs, passcode) {
		t.Errorf("the passcode is in the logs:\n%s", logs)
	}
	contents, err := redistest.Contents(t.Context(), c.redis.Client())
	if err != nil {
		t.Fatal(err)
	}
	if contents == "" || strings.Contains(contents, passcode) {
		t.Errorf("Redis holds %d bytes, with the passcode: %v", len(contents), strings.Contains(contents, passcode))
	}

	// One reset, read twice one device at a time, and no poll after done.
	if n := len(c.requests("POST", "/beta/deviceManagement/managedDevices/"+id+"/resetPasscode")); n != 1 {
		t.Errorf("%d resetPasscode calls, want 1", n)
	}
	reads := c.requests("GET", "/beta/deviceManagement/managedDevices/"+id)
	if len(reads) != 2 {
		t.Errorf("%d reads of the action result, want 2 (pending, done)", len(reads))
	}
	for _, r := range reads {
		if r.RawQuery != "$select=id,deviceActionResults" {
			t.Errorf("action result read with ?%s", r.RawQuery)
		}
	}
}

// The device list is Graph's two pages: the device reset above is on the
// second, and the beta endpoint's deviceType makes the Pixel Android
// Enterprise, which goes to the helpdesk.
// With a sign-in app of its own, the sign-in redeems its code with that
// app's secret: the Graph app's secret, which may reset and wipe devices,
// need not sit behind the public sign-in pages.
func TestSignInWithItsOwnAppRegistration(t *testing.T) {
	fake, _ := meganGraph(t)
	// Entra knows the sign-in app; Graph's token endpoint only the Graph app.
	fake.IDP.ClientID, fake.IDP.ClientSecret = "0f5b8e4c-sign-in-only", "sign-in-secret"
	t.Setenv("PASSBOT_SIGNIN_CLIENT_ID", fake.IDP.ClientID)
	t.Setenv("PASSBOT_SIGNIN_CLIENT_SECRET", fake.IDP.ClientSecret)
	c := startGraphChat(t, fake, megan)
	c.resetAndroid6() // the sign-in page says signed in, and the reset goes on
	if _, logs := c.quit(); strings.Contains(logs, "sign-in-secret") {
		t.Error("the sign-in app's secret is in the logs")
	}
}

func TestIntuneDeviceListFollowsGraphPaging(t *testing.T) {
	fake, _ := meganGraph(t)
	c := startGraphChat(t, fake, megan)
	c.say("reset my passcode")
	c.waitFor("[4] Cancel")
	c.say("2")
	c.waitFor("[1] Ask the helpdesk")
	out, _ := c.quit()

	if want := "[1] Megan's iPhone (iOS/iPadOS)\n     [2] Megan's Pixel (Android Enterprise work profile)\n     [3] " + android6 + " (Android)\n     [4] Cancel\n"; !strings.Contains(out, want) {
		t.Errorf("device list lacks\n%s\nin:\n%s", want, out)
	}
	list := c.requests("GET", "/beta/users/"+megan+"/managedDevices")
	if len(list) != 2 {
		t.Fatalf("%d list requests, want 2 pages", len(list))
	}
	if sel := list[0].Query.Get("$select"); !strings.Contains(sel, "deviceType") {
		t.Errorf("first page $select %q lacks deviceType", sel)
	}
	if tok := list[1].Query.Get("$skiptoken"); tok == "" {
		t.Errorf("second page %q is not the nextLink", list[1].RawQuery)
	}
}

func TestIntuneFailedResetPointsToSupport(t *testing.T) {
	fake, id := meganGraph(t)
	fake.OnReset(id, graphtest.Failed())
	c := startGraphChat(t, fake, megan)

	c.resetAndroid6()
	c.waitFor("was sent.")
	if n := c.sweepAfter(pollEvery); n != 1 {
		t.Errorf("poll: %d follow-ups fired, want 1", n)
	}
	c.waitFor("❌ The passcode reset of " + android6 + " did not succeed.")
	c.waitFor("Still need help? Contact your company support: " + support + ".")
	if n := c.sweepAfter(time.Hour); n != 0 {
		t.Errorf("%d follow-ups fired after a failed reset, want none", n)
	}
	out, _ := c.quit()

	if strings.Contains(out, "temporary passcode") || strings.Contains(out, "✅ Your passcode") {
		t.Errorf("a failed reset reads as a success:\n%s", out)
	}
	if n := len(c.requests("GET", "/deviceManagement/managedDevices/"+id)); n != 1 {
		t.Errorf("%d reads of the action result, want 1: no polling after failed", n)
	}
}

func TestIntuneMissingPermissionIsLoggedByName(t *testing.T) {
	fake, id := meganGraph(t)
	fake.Queue(graphtest.ResetKey(id), graphtest.Forbidden())
	c := startGraphChat(t, fake, megan)

	c.resetAndroid6()
	c.waitFor("❌ The passcode reset of " + android6 + " did not succeed. passbot is not allowed to do that in Intune yet.")
	c.waitFor("Contact your company support: " + support + ".")
	if n := c.sweepAfter(time.Hour); n != 0 {
		t.Errorf("%d follow-ups fired after a refused reset, want none", n)
	}
	out, logs := c.quit()

	if strings.Contains(out, "was sent") || strings.Contains(out, intune.PermissionActions) {
		t.Errorf("the user was told the reset was sent, or the permission's name:\n%s", out)
	}
	if !strings.Contains(logs, intune.PermissionActions) || !strings.Contains(logs, "admin consent") {
		t.Errorf("the log does not name %s:\n%s", intune.PermissionActions, logs)
	}
	if n := len(c.requests("POST", "/resetPasscode")); n != 1 {
		t.Errorf("%d resetPasscode calls, want 1 (403 is not retried)", n)
	}
}

func TestHelpExplainsGraphVariables(t *testing.T) {
	var out, errs bytes.Buffer
	if err := run(context.Background(), []string{"-h"}, strings.NewReader(""), &out, &errs); err != nil {
		t.Fatal(err)
	}
	help := errs.String()
	for v, phrase := range map[string]string{
		"PASSBOT_GRAPH_URL":                  "https://graph.microsoft.com/beta",
		"PASSBOT_GRAPH_AUTHORITY_URL":        "authority host",
		"PASSBOT_GRAPH_TENANT_ID":            "tenant",
		"PASSBOT_GRAPH_CLIENT_ID":            "client) ID",
		"PASSBOT_GRAPH_CLIENT_SECRET":        "client secret",
		"PASSBOT_GRAPH_CERTIFICATE_PATH":     "certificate and private key",
		"PASSBOT_GRAPH_CERTIFICATE_PASSWORD": "password",
		"PASSBOT_GRAPH_TIMEOUT":              "HTTP attempt",
		"PASSBOT_GRAPH_MAX_ATTEMPTS":         "retried",
	} {
		if entry := helpEntry(help, v); !strings.Contains(entry, phrase) {
			t.Errorf("-h entry of %s is %q, want it to explain %q", v, entry, phrase)
		}
	}
}

// transcript is console output a test can wait on: every write wakes the
// waiters, so nothing polls or sleeps.
type transcript struct {
	mu      sync.Mutex
	b       strings.Builder
	cursor  int           // where the next waitFor starts looking
	changed chan struct{} // closed on the next write
}

func newTranscript() *transcript { return &transcript{changed: make(chan struct{})} }

func (w *transcript) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b.Write(p)
	close(w.changed)
	w.changed = make(chan struct{})
	return len(p), nil
}

func (w *transcript) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// waitFor returns once s was written after the previous match.
func (w *transcript) waitFor(ctx context.Context, s string) error {
	for {
		w.mu.Lock()
		text, changed := w.b.String(), w.changed
		if i := strings.Index(text[w.cursor:], s); i >= 0 {
			w.cursor += i + len(s)
			w.mu.Unlock()
			return nil
		}
		w.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
