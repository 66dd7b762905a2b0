package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"regexp"
	"strings"
)

// Redacted replaces every secret the log handler removes.
const Redacted = "[REDACTED]"

// NewLogger returns passbot's logger: JSON lines on w at level, through
// Redact.
func NewLogger(w io.Writer, level slog.Leveler) *slog.Logger {
	return slog.New(Redact(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})))
}

// Redact wraps h so that secrets never reach the log, whoever logs them:
//
//   - an attribute whose key names a secret (token, secret, passcode,
//     password, authorization, cookie, credential, api key, private key, in
//     any case and with any separators, inside groups too) keeps its key but
//     its value becomes [REDACTED];
//   - structs, maps and slices logged with slog.Any are walked through their
//     JSON form and the same keys redacted, so logging a whole Config is safe;
//   - strings, errors and the message are scrubbed of secrets by their shape:
//     Slack tokens (xoxb-, xapp-…), bearer and basic credentials, JWTs
//     (Graph access tokens), Discord bot and interaction tokens, passwords in URLs
//     (redis://:pw@host), key=value pairs with a secret key, and a temporary
//     passcode in a bot reply ("… passcode … is: abc123").
//
// It also keeps the lines an operator reads plain: a time.Duration becomes
// milliseconds under the key with "_ms" appended ("took_ms": 12.5, not
// nanoseconds), and an attribute whose value is nil (an "err" that was
// nil) is left out instead of printing null.
func Redact(h slog.Handler) slog.Handler { return &redactHandler{h: h} }

type redactHandler struct{ h slog.Handler }

func (r *redactHandler) Enabled(ctx context.Context, l slog.Level) bool { return r.h.Enabled(ctx, l) }

func (r *redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, Scrub(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		if a = redactAttr(a); !a.Equal(slog.Attr{}) {
			out.AddAttrs(a)
		}
		return true
	})
	return r.h.Handle(ctx, out)
}

func (r *redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, 0, len(as))
	for _, a := range as {
		if a = redactAttr(a); !a.Equal(slog.Attr{}) {
			clean = append(clean, a)
		}
	}
	return &redactHandler{h: r.h.WithAttrs(clean)}
}

func (r *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{h: r.h.WithGroup(name)}
}

var secretWords = []string{"token", "secret", "passcode", "password", "passwd", "pwd", "authorization", "cookie", "credential", "apikey", "privatekey"}

// SecretKey reports whether an attribute or field named key holds a secret.
func SecretKey(key string) bool {
	k := strings.Map(func(r rune) rune {
		switch r {
		case '_', '-', '.', ' ':
			return -1
		}
		return r
	}, strings.ToLower(key))
	for _, w := range secretWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

func redactAttr(a slog.Attr) slog.Attr {
	if SecretKey(a.Key) {
		return slog.String(a.Key, Redacted)
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, Scrub(v.String()))
	case slog.KindDuration:
		return slog.Float64(a.Key+"_ms", float64(v.Duration().Microseconds())/1000)
	case slog.KindGroup:
		group := v.Group()
		clean := make([]any, 0, len(group))
		for _, g := range group {
			if g = redactAttr(g); !g.Equal(slog.Attr{}) {
				clean = append(clean, g)
			}
		}
		return slog.Group(a.Key, clean...)
	case slog.KindAny:
		if isNil(v.Any()) {
			return slog.Attr{}
		}
		return slog.Any(a.Key, redactAny(v.Any()))
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// isNil reports a nil interface or a nil pointer, map or slice inside one.
func isNil(x any) bool {
	if x == nil {
		return true
	}
	switch v := reflect.ValueOf(x); v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface, reflect.Func, reflect.Chan:
		return v.IsNil()
	}
	return false
}

// redactAny cleans a value logged with slog.Any.
func redactAny(x any) any {
	switch x := x.(type) {
	case nil:
		return nil
	case error:
		return Scrub(x.Error())
	case fmt.Stringer:
		return Scrub(x.String())
	case []byte:
		return Scrub(string(x))
	}
	data, err := json.Marshal(x)
	if err != nil {
		return Scrub(fmt.Sprintf("%+v", x))
	}
	var generic any
	if err := json.Unmarshal(data, &generic); err != nil {
		return Scrub(string(data))
	}
	return redactJSON(generic)
}

func redactJSON(x any) any {
	switch x := x.(type) {
	case map[string]any:
		for k, v := range x {
			if SecretKey(k) {
				x[k] = Redacted
			} else {
				x[k] = redactJSON(v)
			}
		}
	case []any:
		for i, v := range x {
			x[i] = redactJSON(v)
		}
	case string:
		return Scrub(x)
	}
	return x
}

var secretShapes = []struct {
	re   *regexp.Regexp
	repl string
}{
	// A temporary passcode in a reply, English or Dutch.
	{regexp.MustCompile(`(?i)((?:passcode|wachtwoordcode)[^\n]{0,60}?\bis:\s*)\S+`), "${1}" + Redacted},
	// Slack bot, user, app-level and config tokens.
	{regexp.MustCompile(`\bx(?:ox[abposre]|app)-[0-9A-Za-z-]+`), Redacted},
	// JWTs: Graph access tokens, id tokens, client assertions.
	{regexp.MustCompile(`\beyJ[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+\.[0-9A-Za-z_-]*`), Redacted},
	// Discord bot tokens: base64 user ID, timestamp, HMAC.
	{regexp.MustCompile(`\b[0-9A-Za-z_-]{23,28}\.[0-9A-Za-z_-]{6}\.[0-9A-Za-z_-]{27,}`), Redacted},
	// Discord interaction tokens in webhook and callback URLs (a failed
	// call's error names its URL) and in passbot's references to ephemeral
	// messages (wh/<application>/<token>/<message>).
	{regexp.MustCompile(`((?:/webhooks|/interactions|\bwh)/[0-9]+/)[0-9A-Za-z._-]{20,}`), "${1}" + Redacted},
	// Authorization header values.
	{regexp.MustCompile(`(?i)\b(bearer|basic|bot)\s+[0-9A-Za-z._~+/=-]{8,}`), "${1} " + Redacted},
	// A password in a URL: scheme://user:password@host.
	{regexp.MustCompile(`(://[^/\s:@]*:)[^/\s@]+@`), "${1}" + Redacted + "@"},
	// key=value or "key": "value" with a secret key (form bodies, JSON, DSNs).
	{regexp.MustCompile(`(?i)\b([0-9a-z_.-]*(?:token|secret|passcode|password|passwd|pwd|authorization|credential|api_?key)[0-9a-z_.-]*["']?\s*[:=]\s*["']?)([^\s"'&,;}]+)`), "${1}" + Redacted},
}

// Scrub removes secrets recognisable by their shape from s.
func Scrub(s string) string {
	for _, p := range secretShapes {
		s = p.re.ReplaceAllString(s, p.repl)
	}
	return s
}
