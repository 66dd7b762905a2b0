package ops_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/ops"
)

// Secrets of every kind passbot handles, as they would leak.
const (
	slackBot      = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"
	slackApp      = "xapp-1-A0123456789-1234567890123-abcdef0123456789abcdef0123456789"
	signingSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	discordToken  = "MTA4NzY1NDMyMTA5ODc2NTQzMg.GhT7kQ.Zx9yW8vU7tS6rQ5pO4nM3lK2jI1hG0fE9dC8bA"
	graphSecret   = "Qw8~Xy7.Zz6_Ab5-Cd4Ef3Gh2Ij1Kl0Mn9Op8"
	graphJWT      = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoIn0.c2lnbmF0dXJlLWJ5dGVz"
	redisPassword = "r3d1s-pa55w0rd"
	passcode      = "asv7bc43"
	// An interaction's token: it lets whoever holds it answer the
	// interaction and edit its messages for 15 minutes.
	interactionToken = "aW50ZXJhY3Rpb246MTIwMDAwMDAwMDAwMDAwMDAwNzpXa0J4Y2RlZg"
)

type slackConfig struct {
	BotToken      string
	AppToken      string
	SigningSecret string `json:"signing_secret"`
	Channel       string
}

type credentials struct{ user, password string }

func (c credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("user", c.user), slog.String("password", c.password))
}

func TestLogsNeverHoldSecrets(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := ops.NewLogger(&buf, slog.LevelDebug)

	log.Info("slack connected", "token", slackBot, "app_token", slackApp, "conversation", "CONV1234")
	log.With("SLACK_SIGNING_SECRET", signingSecret).Info("verifying requests", "conversation", "CONV1234")
	log.WithGroup("graph").Info("token request", "client_secret", graphSecret, "tenant", "contoso")
	log.Info("graph call", "headers", map[string]string{"Authorization": "Bearer " + graphJWT, "Accept": "application/json"})
	log.Info("config", "slack", slackConfig{BotToken: slackBot, AppToken: slackApp, SigningSecret: signingSecret, Channel: "C-helpdesk"})
	log.Info("discord", slog.Group("gateway", slog.String("Token", discordToken), slog.Int("shard", 0)))
	log.Warn("store down", "err", fmt.Errorf("store: dial redis://:%s@redis:6379/0: connection refused", redisPassword))
	log.Error("graph token", "err", errors.New(`oauth2: "invalid_client" client_secret=`+graphSecret+`&grant_type=client_credentials`))
	log.Debug("reply", "text", "The passcode of Adele's Galaxy S7 was removed. Your temporary passcode (letters and numbers) is: "+passcode)
	log.Debug("antwoord", "text", "Uw tijdelijke wachtwoordcode (letters en cijfers) is: "+passcode)
	log.Info("request with header Authorization: Bearer " + graphJWT)
	log.Info("discord auth", "header", "Bot "+discordToken)
	log.Info("login", "who", credentials{user: "svc", password: redisPassword})
	log.Info("reset done", "Passcode", passcode, "temp_passcode", passcode, "device", "Adele's Galaxy S7")
	log.Error("engine: remove passcode", "err", errors.New(`notify: discord: update message: Patch "https://discord.com/api/v9/webhooks/1110000000000000001/`+interactionToken+`/messages/1200000000000000008": context deadline exceeded`))
	log.Error("discord: interaction response", "err", errors.New(`Post "https://discord.com/api/v9/interactions/1200000000000000007/`+interactionToken+`/callback": EOF`))
	log.Error("discord: bad reference", "ref", "wh/1110000000000000001/"+interactionToken+"/1200000000000000008")

	out := buf.String()
	for _, secret := range []string{slackBot, slackApp, signingSecret, discordToken, graphSecret, graphJWT, redisPassword, passcode, interactionToken} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds %q:\n%s", secret, out)
		}
	}
	// What is not secret survives, so the logs stay useful.
	for _, keep := range []string{`"conversation":"CONV1234"`, `"tenant":"contoso"`, `"Accept":"application/json"`,
		`"Channel":"C-helpdesk"`, `"shard":0`, `redis://:[REDACTED]@redis:6379/0: connection refused`,
		`"user":"svc"`, `"device":"Adele's Galaxy S7"`, `"token":"[REDACTED]"`, `The passcode of Adele's Galaxy S7 was removed`,
		`webhooks/1110000000000000001/[REDACTED]/messages/1200000000000000008`} {
		if !strings.Contains(out, keep) {
			t.Errorf("the log lost %s:\n%s", keep, out)
		}
	}
	// Every line is still one JSON object.
	for line := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("not JSON: %s", line)
		}
	}
}

func TestSecretKey(t *testing.T) {
	t.Parallel()
	for key, want := range map[string]bool{
		"token": true, "SLACK_BOT_TOKEN": true, "signingSecret": true, "client-secret": true,
		"passcode": true, "TempPasscode": true, "password": true, "Authorization": true,
		"cookie": true, "api_key": true, "private.key": true, "credentials": true,
		"conversation": false, "user": false, "device": false, "err": false, "platform": false,
	} {
		if got := ops.SecretKey(key); got != want {
			t.Errorf("SecretKey(%q) = %v, want %v", key, got, want)
		}
	}
}

func TestRedactKeepsLevels(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := ops.NewLogger(&buf, slog.LevelWarn)
	log.Info("dropped")
	log.Warn("kept")
	if out := buf.String(); strings.Contains(out, "dropped") || !strings.Contains(out, "kept") {
		t.Errorf("level not honoured: %s", out)
	}
}

func TestLogLinesAreReadable(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	var err error // nil, as on every successful event
	log := ops.NewLogger(&buf, slog.LevelInfo).With("wait", 2*time.Second, "none", nil)
	log.Info("event", "took", 1500*time.Microsecond, "err", err, "group", slog.GroupValue(slog.Any("cause", err)))
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	if line["took_ms"] != 1.5 || line["wait_ms"] != 2000.0 {
		t.Errorf("durations not in milliseconds: %s", buf.String())
	}
	for _, k := range []string{"took", "wait", "err", "none", "group"} {
		if _, ok := line[k]; ok {
			t.Errorf("%q is in %s", k, buf.String())
		}
	}
}
