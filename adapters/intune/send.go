package intune

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/google/uuid"
)

// request is one Graph call. None has a body, so an attempt can always be
// rebuilt from it.
type request struct {
	method string
	url    string
	op     string // what the call does, for errors and logs
}

// write reports whether the call counts against Intune's write budget.
func (r request) write() bool { return r.method != http.MethodGet }

// permission is the application permission the call needs.
func (r request) permission() string {
	if r.write() {
		return PermissionActions
	}
	return PermissionRead
}

// Backoff bounds when Graph sends no Retry-After, and the longest
// Retry-After honoured: a longer one fails the call as unavailable.
const (
	backoffBase   = time.Second
	backoffMax    = 30 * time.Second
	retryAfterMax = time.Minute
)

// Answer size limits: a device list page is a few kB per device.
const (
	maxBody      = 8 << 20
	maxErrorBody = 64 << 10
)

// send runs r through the circuit breaker and the retry loop, decodes a JSON
// answer into out (when not nil) and turns failures into *bot.Error.
func (c *Client) send(ctx context.Context, r request, out any) error {
	probe, err := c.breaker.allow(c.clock.Now())
	if err != nil {
		return userError(ctx, r, err)
	}
	err = c.retry(ctx, r, out)
	o := healthy
	switch {
	case outage(ctx, err):
		o = failed
	case err != nil && ctx.Err() != nil, isLimiter(err):
		o = neutral
	}
	switch c.breaker.record(c.clock.Now(), probe, o, err) {
	case "opened":
		c.log.ErrorContext(ctx, "intune: Graph failing, circuit open", "cooldown", c.breaker.cooldown, "error", err)
		if c.obs != nil {
			c.obs.Circuit(true)
		}
	case "closed":
		c.log.InfoContext(ctx, "intune: Graph answering again, circuit closed")
		if c.obs != nil {
			c.obs.Circuit(false)
		}
	}
	if err != nil {
		return userError(ctx, r, err)
	}
	return nil
}

func isLimiter(err error) bool {
	_, ok := errors.AsType[*limiterError](err)
	return ok
}

// retry makes up to c.attempts attempts of r. 429 and 503 are retried for
// every call; 504, network errors and timeouts only for reads, since a write
// may have reached Intune (a second resetPasscode would show the person a
// passcode that no longer works). Each write attempt waits for the limiter first:
// Intune counts throttled requests too.
func (c *Client) retry(ctx context.Context, r request, out any) error {
	for attempt := 1; ; attempt++ {
		if r.write() && c.limiter != nil {
			start := c.clock.Now()
			if err := c.limiter.Wait(ctx); err != nil {
				return &limiterError{err}
			}
			if c.obs != nil {
				c.obs.WriteWait(c.clock.Now().Sub(start))
			}
		}
		retryAfter, err := c.attempt(ctx, r, out, attempt)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%w (attempt %d: %v)", ctx.Err(), attempt, err)
		}
		if !retryable(r, err) {
			return err
		}
		if attempt >= c.attempts {
			return fmt.Errorf("gave up after %d attempts: %w", attempt, err)
		}
		wait := retryAfter
		if wait > retryAfterMax {
			return fmt.Errorf("told to wait %v, longer than %v: %w", wait, retryAfterMax, err)
		}
		if wait <= 0 {
			wait = backoff(attempt)
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return fmt.Errorf("waiting %v would pass the deadline: %w", wait, err)
		}
		c.log.WarnContext(ctx, "intune: retrying Graph request", "op", r.op, "attempt", attempt, "wait", wait, "error", err)
		if serr := c.clock.Sleep(ctx, wait); serr != nil {
			return fmt.Errorf("%w (waiting to retry after: %v)", serr, err)
		}
	}
}

// retryable reports whether another attempt may succeed.
func retryable(r request, err error) bool {
	if ge, ok := errors.AsType[*graphError](err); ok {
		switch ge.Status {
		case http.StatusTooManyRequests, http.StatusServiceUnavailable:
			return true
		case http.StatusGatewayTimeout:
			return !r.write()
		}
		return false
	}
	// Token errors are not retried here: azidentity's pipeline already
	// retries the token endpoint's transient failures.
	_, ok := errors.AsType[*transportError](err)
	return ok && !r.write()
}

// backoff is the wait before attempt+1 when Graph gives no Retry-After:
// exponential from backoffBase, capped at backoffMax, with the upper half
// jittered so replicas do not retry in step.
func backoff(attempt int) time.Duration {
	d := backoffBase << min(attempt-1, 16)
	d = min(d, backoffMax)
	return d/2 + rand.N(d/2+1)
}

// attempt sends r once, within c.timeout, and returns Graph's Retry-After
// (zero when absent) with the error.
func (c *Client) attempt(ctx context.Context, r request, out any, n int) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	tok, err := c.tokens.GetToken(ctx, policy.TokenRequestOptions{Scopes: c.scopes})
	if err != nil {
		return 0, &tokenError{err}
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, nil)
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	clientRequestID := uuid.NewString()
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("client-request-id", clientRequestID)
	req.Header.Set("User-Agent", "passbot")
	start := c.clock.Now()
	resp, err := c.http.Do(req)
	took := c.clock.Now().Sub(start)
	if err != nil {
		c.observe(r.method, "error", took)
		return 0, &transportError{fmt.Errorf("%s %s: %w", r.method, redact(req.URL), err)}
	}
	defer resp.Body.Close()
	c.observe(r.method, strconv.Itoa(resp.StatusCode), took)
	c.log.DebugContext(ctx, "intune: Graph request", "method", r.method, "path", req.URL.EscapedPath(),
		"status", resp.StatusCode, "attempt", n, "duration", took,
		"client_request_id", clientRequestID, "request_id", resp.Header.Get("request-id"))

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		if err != nil && len(body) == 0 {
			return 0, &transportError{fmt.Errorf("%s %s: %d, reading body: %w", r.method, redact(req.URL), resp.StatusCode, err)}
		}
		return c.retryAfter(resp.Header), decodeGraphError(resp.StatusCode, resp.Header, body)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody)) // lets the connection be reused; a failed drain only costs that
		return 0, nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(out); err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return 0, &transportError{fmt.Errorf("%s %s: reading answer: %w", r.method, redact(req.URL), err)}
		}
		return 0, &decodeError{fmt.Errorf("%s %s: %w", r.method, redact(req.URL), err)}
	}
	return 0, nil
}

func (c *Client) observe(method, status string, took time.Duration) {
	if c.obs != nil {
		c.obs.GraphCall(method, status, took)
	}
}

// retryAfter reads Retry-After as seconds or an HTTP date; zero when absent
// or unreadable. Graph's throttling guidance shows fractional seconds
// ("2.128"): they are rounded up to whole seconds, so the wait is never
// shorter than asked.
func (c *Client) retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && !math.IsNaN(s) && !math.IsInf(s, 0) {
		// Bounded before converting: a huge value must not overflow.
		return time.Duration(math.Ceil(max(0, min(s, retryAfterMax.Seconds()+1)))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(c.clock.Now()))
	}
	return 0
}

// redact drops the query (skip tokens) from a URL for errors and logs.
func redact(u *url.URL) string {
	v := *u
	v.RawQuery = ""
	return v.String()
}
