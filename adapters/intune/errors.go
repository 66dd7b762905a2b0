package intune

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/passbot/passbot/bot"
)

// Codes of the user-facing errors this package returns in *bot.Error. They
// are bot's codes (the flows' message catalogue has a text for each); the
// comments say when this package uses them.
const (
	// ErrCodeForbidden: passbot's app registration may not do this in Intune
	// (403, or 401 when Graph rejects the token). The log names the missing
	// permission.
	ErrCodeForbidden = bot.ErrCodeForbidden
	// ErrCodeNotFound: the user or device is no longer in Intune (404), or
	// the user has no user principal name.
	ErrCodeNotFound = bot.ErrCodeNotFound
	// ErrCodeUnsupported: Intune refused the action for this device (400 on
	// resetPasscode or remoteLock), typically because the platform or
	// enrollment type does not support it.
	ErrCodeUnsupported = bot.ErrCodeUnsupported
	// ErrCodeUnavailable: Graph is down, throttling after every retry, timing
	// out, the token cannot be had, the write limiter's Redis is down, or the
	// circuit breaker is open.
	ErrCodeUnavailable = bot.ErrCodeUnavailable
)

// ErrCircuitOpen is wrapped in the errors returned while the circuit breaker
// keeps calls away from Graph.
var ErrCircuitOpen = errors.New("circuit open, not calling Graph")

// Application permissions, named in the errors of 401 and 403 answers.
const (
	PermissionRead    = "DeviceManagementManagedDevices.Read.All"
	PermissionActions = "DeviceManagementManagedDevices.PrivilegedOperations.All"
)

// graphError is Graph's error body, {"error":{"code","message","innerError":
// {"request-id",…}}}, with the HTTP status it came with.
type graphError struct {
	Status    int
	Code      string
	Message   string
	RequestID string
}

func (e *graphError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "graph: %d %s", e.Status, http.StatusText(e.Status))
	if e.Code != "" {
		b.WriteString(": " + e.Code)
	}
	if e.Message != "" {
		// Intune nests a JSON document in message; keep the log line bounded.
		msg := e.Message
		if len(msg) > 400 {
			msg = msg[:400] + "…"
		}
		b.WriteString(": " + msg)
	}
	if e.RequestID != "" {
		b.WriteString(" (request-id " + e.RequestID + ")")
	}
	return b.String()
}

// decodeGraphError reads an error answer. A body that is not Graph's shape
// (a proxy's HTML page, say) still gives the status and request-id header.
func decodeGraphError(status int, header http.Header, body []byte) *graphError {
	var doc struct {
		Error struct {
			Code       string `json:"code"`
			Message    string `json:"message"`
			InnerError struct {
				RequestID string `json:"request-id"`
			} `json:"innerError"`
		} `json:"error"`
	}
	ge := &graphError{Status: status, RequestID: header.Get("request-id")}
	if json.Unmarshal(body, &doc) == nil {
		ge.Code, ge.Message = doc.Error.Code, doc.Error.Message
		if id := doc.Error.InnerError.RequestID; id != "" {
			ge.RequestID = id
		}
	}
	return ge
}

// tokenError is a failure to get an access token.
type tokenError struct{ err error }

func (e *tokenError) Error() string { return "get token: " + e.err.Error() }
func (e *tokenError) Unwrap() error { return e.err }

// transportError is a request that got no HTTP answer: network error,
// per-attempt timeout, unreadable body.
type transportError struct{ err error }

func (e *transportError) Error() string { return e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

// limiterError is a failure to get a write slot from the Limiter.
type limiterError struct{ err error }

func (e *limiterError) Error() string { return "write limiter: " + e.err.Error() }
func (e *limiterError) Unwrap() error { return e.err }

// outage reports whether err says Graph itself is failing: what the circuit
// breaker counts. Client errors (4xx), the caller's own cancellation and
// Redis trouble in the limiter are not Graph's fault.
func outage(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil {
		return false
	}
	if ge, ok := errors.AsType[*graphError](err); ok {
		return ge.Status == http.StatusTooManyRequests || ge.Status >= 500
	}
	if _, ok := errors.AsType[*limiterError](err); ok {
		return false
	}
	_, token := errors.AsType[*tokenError](err)
	_, transport := errors.AsType[*transportError](err)
	return token || transport
}

// userError wraps err, which failed r, in a *bot.Error with the code the
// user sees and a log text that says what to fix.
func userError(ctx context.Context, r request, err error) error {
	err = fmt.Errorf("intune: %s: %w", r.op, err)
	code := ErrCodeUnavailable
	if ge, ok := errors.AsType[*graphError](err); ok && ctx.Err() == nil {
		switch s := ge.Status; {
		case s == http.StatusUnauthorized:
			code = ErrCodeForbidden
			err = fmt.Errorf("%w; Graph rejected the access token: check GRAPH_TENANT_ID, GRAPH_CLIENT_ID and the credential", err)
		case s == http.StatusForbidden:
			code = ErrCodeForbidden
			err = fmt.Errorf("%w; grant the app registration the Microsoft Graph application permission %s with admin consent, and check the tenant's Intune licence", err, r.permission())
		case s == http.StatusNotFound:
			code = ErrCodeNotFound
		case s == http.StatusBadRequest && r.method == http.MethodPost:
			code = ErrCodeUnsupported
		case s == http.StatusTooManyRequests || s >= 500:
			code = ErrCodeUnavailable
		default:
			code = bot.ErrCodeInternal
		}
	} else if _, ok := errors.AsType[*decodeError](err); ok {
		code = bot.ErrCodeInternal
	}
	return &bot.Error{Code: code, Err: err}
}

// decodeError is a 2xx answer whose JSON did not decode.
type decodeError struct{ err error }

func (e *decodeError) Error() string { return "decode answer: " + e.err.Error() }
func (e *decodeError) Unwrap() error { return e.err }
