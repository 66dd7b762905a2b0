package intune

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/passbot/passbot/adapters/device"
	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/wallclock"
)

// Client is bot.Devices over Microsoft Graph. It is safe for concurrent use.
type Client struct {
	base     *url.URL
	scopes   []string
	selects  string // $select of ListDevices
	timeout  time.Duration
	attempts int

	tokens  TokenSource
	http    *http.Client
	limiter Limiter
	clock   Clock
	log     *slog.Logger
	obs     Observer
	breaker *breaker

	breakerFailures int
	breakerCooldown time.Duration
}

var _ bot.Devices = (*Client)(nil)

// Option changes a Client's defaults.
type Option func(*Client)

// WithHTTPClient sends requests through c instead of a client of its own.
func WithHTTPClient(c *http.Client) Option { return func(cl *Client) { cl.http = c } }

// WithLimiter waits on l before every write (POST) attempt. Without it
// writes are not paced; production passes a store.WriteLimiter.
func WithLimiter(l Limiter) Option { return func(cl *Client) { cl.limiter = l } }

// WithClock sets the clock for backoff.
func WithClock(c Clock) Option { return func(cl *Client) { cl.clock = c } }

// WithLogger logs retries, breaker changes and, at debug level, each request.
func WithLogger(l *slog.Logger) Option { return func(cl *Client) { cl.log = l } }

// Observer is told of every HTTP attempt at Graph, of the circuit breaker's
// changes and of waits for the write budget; ops.Metrics is one.
type Observer interface {
	// GraphCall reports the method, the status code ("429") or "error" when
	// no answer came, and how long the attempt took.
	GraphCall(method, status string, took time.Duration)
	// Circuit reports the breaker opening (true) or closing (false).
	Circuit(open bool)
	// WriteWait reports how long a write waited for the Limiter.
	WriteWait(took time.Duration)
}

// WithObserver reports every attempt to o.
func WithObserver(o Observer) Option { return func(cl *Client) { cl.obs = o } }

// WithBreaker opens the circuit after failures consecutive outages for
// cooldown (defaults DefaultBreakerFailures, DefaultBreakerCooldown).
func WithBreaker(failures int, cooldown time.Duration) Option {
	return func(cl *Client) { cl.breakerFailures, cl.breakerCooldown = failures, cooldown }
}

// New returns a client for the Graph at cfg.URL that authenticates with
// tokens (see NewCredential).
func New(cfg Config, tokens TokenSource, opts ...Option) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if tokens == nil {
		return nil, fmt.Errorf("intune: no token source")
	}
	base, _ := url.Parse(cfg.URL) // checked by withDefaults
	c := &Client{
		base:     base,
		scopes:   []string{scope(base)},
		selects:  strings.Join(device.Properties(beta(base)), ","),
		timeout:  cfg.Timeout,
		attempts: cfg.MaxAttempts,
		tokens:   tokens,

		breakerFailures: DefaultBreakerFailures,
		breakerCooldown: DefaultBreakerCooldown,
	}
	for _, o := range opts {
		o(c)
	}
	if c.http == nil {
		c.http = &http.Client{}
	}
	if c.clock == nil {
		c.clock = wallclock.Clock{}
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.breakerFailures <= 0 {
		c.breakerFailures = DefaultBreakerFailures
	}
	c.breaker = newBreaker(c.breakerFailures, c.breakerCooldown, c.log, c.obs)
	return c, nil
}

// maxPages bounds paging, should Graph hand out nextLinks forever.
const maxPages = 50

// ListDevices returns the Intune managed devices of the user, named by user
// principal name or Entra object ID, following @odata.nextLink until the
// last page. Graph addresses a user by either, /users/{id |
// userPrincipalName} (https://learn.microsoft.com/graph/api/user-get), and
// managedDevices is a relationship of that user
// (https://learn.microsoft.com/graph/api/resources/intune-devices-user).
func (c *Client) ListDevices(ctx context.Context, user string) ([]bot.DeviceRef, error) {
	if user == "" {
		return nil, &bot.Error{Code: ErrCodeNotFound, Err: fmt.Errorf("intune: list devices: the user has no user principal name or object ID")}
	}
	next := c.endpoint("users", user, "managedDevices") + "?$select=" + c.selects
	var devices []bot.DeviceRef
	for page := 1; next != ""; page++ {
		if page > maxPages {
			return nil, &bot.Error{Code: bot.ErrCodeInternal, Err: fmt.Errorf("intune: list devices of %s: more than %d pages", user, maxPages)}
		}
		if err := c.sameOrigin(next); err != nil {
			return nil, &bot.Error{Code: bot.ErrCodeInternal, Err: fmt.Errorf("intune: list devices of %s: %w", user, err)}
		}
		var body struct {
			Value    []device.Managed `json:"value"`
			NextLink string           `json:"@odata.nextLink"`
		}
		r := request{method: http.MethodGet, url: next, op: "list devices of " + user}
		if err := c.send(ctx, r, &body); err != nil {
			return nil, err
		}
		for _, d := range body.Value {
			devices = append(devices, d.Ref())
		}
		next = body.NextLink
	}
	return devices, nil
}

// ResetPasscode starts a passcode reset. Intune answers at once; the new
// passcode, if the platform sets one, comes later through ResetStatus.
func (c *Client) ResetPasscode(ctx context.Context, deviceID string) (bot.ResetResult, error) {
	if err := c.action(ctx, deviceID, "resetPasscode"); err != nil {
		return bot.ResetResult{}, err
	}
	return bot.ResetResult{State: bot.ActionPending}, nil
}

// RemoteLock locks the device. Intune answers at once; a Mac's recovery
// PIN comes later through LockStatus.
func (c *Client) RemoteLock(ctx context.Context, deviceID string) (bot.LockResult, error) {
	if err := c.action(ctx, deviceID, "remoteLock"); err != nil {
		return bot.LockResult{}, err
	}
	return bot.LockResult{State: bot.ActionPending}, nil
}

// LockStatus reads the device's latest remoteLock action result that
// started at since or later (less clockSkew), with its unlockPin
// (remoteLockActionResult, Graph beta) and the device's last check-in.
func (c *Client) LockStatus(ctx context.Context, deviceID string, since time.Time) (bot.LockResult, error) {
	body, err := c.actionResults(ctx, deviceID, "lock status", "lastSyncDateTime")
	if err != nil {
		return bot.LockResult{}, err
	}
	res := bot.LockResult{LastSync: parseTime(body.LastSync)}
	notBefore := time.Time{}
	if !since.IsZero() {
		notBefore = since.Add(-clockSkew)
	}
	latest, ok := latestAction(body.Results, "remoteLock", notBefore)
	if !ok {
		if !since.IsZero() {
			// Accepted a moment ago and not listed yet: still on its way.
			res.State = bot.ActionPending
		}
		return res, nil
	}
	res.State = actionState(latest.ActionState)
	res.Started, res.Updated = parseTime(latest.Started), parseTime(latest.LastUpdated)
	if latest.UnlockPin != nil {
		res.UnlockPin = *latest.UnlockPin
	}
	return res, nil
}

// deviceActions is a managedDevice with its action results.
type deviceActions struct {
	ID       string         `json:"id"`
	LastSync string         `json:"lastSyncDateTime"`
	Results  []actionResult `json:"deviceActionResults"`
}

// actionResults reads one device's action results (and the extra
// properties named): one device at a time, since list queries are reported
// to return the collection empty.
func (c *Client) actionResults(ctx context.Context, deviceID, what string, extra ...string) (deviceActions, error) {
	var body deviceActions
	r := request{
		method: http.MethodGet,
		url:    c.endpoint("deviceManagement", "managedDevices", deviceID) + "?$select=" + strings.Join(append([]string{"id", "deviceActionResults"}, extra...), ","),
		op:     what + " of device " + deviceID,
	}
	err := c.send(ctx, r, &body)
	return body, err
}

// parseTime reads a Graph timestamp; zero when absent or unreadable.
func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

func (c *Client) action(ctx context.Context, deviceID, name string) error {
	r := request{
		method: http.MethodPost,
		url:    c.endpoint("deviceManagement", "managedDevices", deviceID, name),
		op:     name + " on device " + deviceID,
	}
	return c.send(ctx, r, nil)
}

// ResetStatus reads the device's latest resetPasscode action result that
// started at since or later (less clockSkew). The passcode is returned only
// when the action is done.
func (c *Client) ResetStatus(ctx context.Context, deviceID string, since time.Time) (bot.ResetResult, error) {
	body, err := c.actionResults(ctx, deviceID, "reset status")
	if err != nil {
		return bot.ResetResult{}, err
	}
	latest, ok := latestAction(body.Results, "resetPasscode", since.Add(-clockSkew))
	if !ok {
		// Intune may not list a reset it accepted a moment ago; until it
		// does, an earlier reset's result is not this one's.
		return bot.ResetResult{State: bot.ActionPending}, nil
	}
	res := bot.ResetResult{State: actionState(latest.ActionState)}
	if res.State == bot.ActionDone && latest.Passcode != nil {
		res.Passcode = *latest.Passcode
	}
	if res.State == bot.ActionFailed {
		c.log.InfoContext(ctx, "intune: passcode reset failed", "device", deviceID, "error_code", latest.ErrorCode)
	}
	return res, nil
}

// actionResult is a deviceActionResult; resetPasscodeActionResult adds
// passcode and errorCode, remoteLockActionResult unlockPin.
type actionResult struct {
	ActionName  string  `json:"actionName"`
	ActionState string  `json:"actionState"`
	Started     string  `json:"startDateTime"`
	LastUpdated string  `json:"lastUpdatedDateTime"`
	Passcode    *string `json:"passcode"`
	ErrorCode   int     `json:"errorCode"`
	UnlockPin   *string `json:"unlockPin"`
}

// clockSkew is how far Intune's clock and ours may disagree: a result that
// started this much before the reset passbot sent may still be that reset.
const clockSkew = 2 * time.Minute

// latestAction returns the most recently updated result of the named action
// that started at notBefore or later (one with no readable start counts);
// of equal times, the later in the list.
func latestAction(results []actionResult, name string, notBefore time.Time) (actionResult, bool) {
	var (
		best  actionResult
		bestT time.Time
		found bool
	)
	for _, r := range results {
		if !strings.EqualFold(r.ActionName, name) {
			continue
		}
		if start, err := time.Parse(time.RFC3339Nano, r.Started); err == nil && start.Before(notBefore) {
			continue
		}
		t, _ := time.Parse(time.RFC3339Nano, r.LastUpdated) // unparsable: oldest
		if !found || !t.Before(bestT) {
			best, bestT, found = r, t, true
		}
	}
	return best, found
}

// actionState maps Graph's actionState. "none" and values this code does not
// know yet count as pending: not finished, so the caller keeps polling.
func actionState(s string) bot.ActionState {
	switch st := bot.ActionState(s); st {
	case bot.ActionPending, bot.ActionActive, bot.ActionDone, bot.ActionFailed, bot.ActionNotSupported, bot.ActionCanceled:
		return st
	}
	return bot.ActionPending
}

// endpoint is the base URL followed by the path-escaped segments; "." and
// ".." are escaped too, so no ID can climb the path.
func (c *Client) endpoint(segments ...string) string {
	var b strings.Builder
	b.WriteString(c.base.String())
	for _, s := range segments {
		s = url.PathEscape(s)
		if s == "." || s == ".." {
			s = strings.ReplaceAll(s, ".", "%2E")
		}
		b.WriteString("/" + s)
	}
	return b.String()
}

// sameOrigin refuses to send the token anywhere but Graph's own host.
func (c *Client) sameOrigin(link string) error {
	u, err := url.Parse(link)
	if err != nil {
		return fmt.Errorf("nextLink %q: %w", link, err)
	}
	if u.Scheme != c.base.Scheme || !strings.EqualFold(u.Host, c.base.Host) {
		return fmt.Errorf("nextLink %s://%s is not Graph at %s://%s", u.Scheme, u.Host, c.base.Scheme, c.base.Host)
	}
	return nil
}
