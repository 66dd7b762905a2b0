package slack

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestNewChecksConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  Config
		want string // substring of the error; "" means valid
	}{
		{"socket mode by default", Config{BotToken: "xoxb-1", AppToken: "xapp-1"}, ""},
		{"socket mode without app token", Config{BotToken: "xoxb-1", Mode: "socket"}, "PASSBOT_SLACK_APP_TOKEN is required"},
		{"socket mode with a bot token as app token", Config{BotToken: "xoxb-1", AppToken: "xoxb-2"}, "PASSBOT_SLACK_APP_TOKEN must be an app-level token"},
		{"no bot token", Config{AppToken: "xapp-1"}, "PASSBOT_SLACK_BOT_TOKEN is required"},
		{"http mode", Config{BotToken: "xoxb-1", SigningSecret: "s", Mode: "HTTP"}, ""},
		{"http mode without signing secret", Config{BotToken: "xoxb-1", Mode: "http"}, "PASSBOT_SLACK_SIGNING_SECRET is required"},
		{"unknown mode", Config{BotToken: "xoxb-1", Mode: "rtm"}, "PASSBOT_SLACK_MODE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg, &countingHandler{}, nil)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("New: %v, want an error naming %q", err, tc.want)
			}
		})
	}
}

func TestRunFailsOnRefusedToken(t *testing.T) {
	t.Parallel()
	for _, method := range []string{"auth.test", "apps.connections.open"} {
		t.Run(method, func(t *testing.T) {
			f := newFakeSlack(t)
			f.fail(method, "invalid_auth")
			a, err := New(Config{BotToken: botToken, AppToken: appToken, APIURL: f.APIURL()}, &countingHandler{}, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- a.Run(context.Background()) }()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), "invalid_auth") || !strings.Contains(err.Error(), "PASSBOT_SLACK_") {
					t.Fatalf("Run: %v, want invalid_auth naming the variable", err)
				}
			case <-time.After(waitTimeout):
				t.Fatal("Run kept going with a refused token")
			}
		})
	}
}
