package slack

import (
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"
)

// Rate-limit handling: Slack answers 429 with Retry-After. slack-go's retry
// client (OptionRetryConfig) repeats the request, rewinding its body, at most
// maxRetries times; rateLimitWait decides and waits.
const (
	maxRetries    = 3                // retries of one call after a 429
	maxRetryAfter = 2 * time.Minute  // a longer wait gives up instead
	minRetryAfter = 1 * time.Second  // a 429 without a usable Retry-After
	workTimeout   = 90 * time.Second // bound on handling one event, waits included
)

// rateLimitWait is slack-go's retry handler for 429 answers. It waits out
// Retry-After itself, on the adapter's sleep, which ends with the request's
// context and which tests replace, and returns no further wait to slack-go,
// whose own sleep cannot be replaced. A wait longer than maxRetryAfter, or one
// cut short by the context, gives up: the caller gets the
// *slackapi.RateLimitedError.
type rateLimitWait struct{ a *Adapter }

var _ slackapi.RetryHandler = rateLimitWait{}

func (h rateLimitWait) ShouldRetry(state *slackapi.RetryState, req *http.Request, resp *http.Response, _ error) (bool, time.Duration) {
	if resp == nil || resp.StatusCode != http.StatusTooManyRequests || state.Attempt >= state.MaxRetries {
		return false, 0
	}
	wait := minRetryAfter
	if s, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil {
		wait = max(time.Duration(s)*time.Second, minRetryAfter)
	}
	if wait > maxRetryAfter {
		return false, 0
	}
	h.a.log.Warn("slack: rate limited, waiting", "method", h.method(req), "retry_after", wait, "attempt", state.Attempt+1)
	// The connection goes back to the pool instead of idling through the wait.
	_, _ = io.Copy(io.Discard, resp.Body)
	if err := h.a.sleep(req.Context(), wait); err != nil {
		return false, 0
	}
	return true, 0
}

// method names the Web API method called; a response_url's path is a
// secret and is not logged.
func (h rateLimitWait) method(req *http.Request) string {
	api := h.a.cfg.APIURL
	if api == "" {
		api = slackapi.APIURL
	}
	if strings.HasPrefix(req.URL.String(), api) {
		return path.Base(req.URL.Path)
	}
	return "response_url"
}
