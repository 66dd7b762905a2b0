package discord

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/flows/locales"
	"github.com/passbot/passbot/internal/enginetest"
	"github.com/passbot/passbot/internal/golden"
)

func TestRender(t *testing.T) {
	t.Parallel()
	logs := &enginetest.SyncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	action := "ABCDEFGH|12|80351110224678912|"

	t.Run("the sign-out banner", func(t *testing.T) {
		m := render(bot.Reply{
			Text: "Reset the passcode of Adele's Galaxy S7?",
			Buttons: []bot.Button{
				{Label: "Sign out", Action: action + "signout", Style: bot.Danger},
				{Label: "Cancel", Action: action + "cancel"},
			},
		}, log)
		golden.JSON(t, "render_signout", discordgo.MessageSend{Content: m.Content, Components: m.Components, AllowedMentions: noMentions()})
	})
	t.Run("styles", func(t *testing.T) {
		for s, want := range map[bot.Style]discordgo.ButtonStyle{bot.Danger: discordgo.DangerButton, bot.Primary: discordgo.PrimaryButton, bot.Default: discordgo.SecondaryButton} {
			if got := style(s); got != want {
				t.Errorf("style(%d) = %d, want %d", s, got, want)
			}
		}
	})
	t.Run("no buttons clears old ones", func(t *testing.T) {
		m := render(bot.Reply{Text: "Cancelled."}, log)
		b, _ := json.Marshal(discordgo.InteractionResponseData{Content: m.Content, Components: m.Components})
		if !strings.Contains(string(b), `"components":[]`) {
			t.Errorf("an update without buttons must send components: [], got %s", b)
		}
	})
	t.Run("21 buttons fill five rows of at most five", func(t *testing.T) {
		var buttons []bot.Button
		for i := range 21 {
			buttons = append(buttons, bot.Button{Label: "device", Action: action + "device:" + string(rune('a'+i))})
		}
		m := render(bot.Reply{Text: "Which device?", Buttons: buttons}, log)
		var sizes []int
		for _, row := range m.Components {
			sizes = append(sizes, len(row.(discordgo.ActionsRow).Components))
		}
		if len(sizes) != 5 || sizes[0] != 5 || sizes[4] != 1 {
			t.Errorf("row sizes %v, want [5 5 5 5 1]", sizes)
		}
	})
	t.Run("over 25 buttons, the rest is dropped loudly", func(t *testing.T) {
		var buttons []bot.Button
		for range 27 {
			buttons = append(buttons, bot.Button{Label: "x", Action: action + "x"})
		}
		m := render(bot.Reply{Text: "t", Buttons: buttons}, log)
		n := 0
		for _, row := range m.Components {
			n += len(row.(discordgo.ActionsRow).Components)
		}
		if n != 25 || !strings.Contains(logs.String(), "at most 25 buttons") {
			t.Errorf("%d buttons kept; log %q", n, logs.String())
		}
	})
	t.Run("a custom_id over 100 characters is dropped and logged, never sent", func(t *testing.T) {
		long := action + strings.Repeat("x", 100)
		m := render(bot.Reply{Text: "t", Buttons: []bot.Button{{Label: "Long", Action: long}, {Label: "Ok", Action: action + "ok"}}}, log)
		if len(m.Components) != 1 || len(m.Components[0].(discordgo.ActionsRow).Components) != 1 {
			t.Fatalf("components %+v", m.Components)
		}
		if !strings.Contains(logs.String(), "longer than a custom_id") {
			t.Error("dropping a button was not logged")
		}
		if strings.Contains(logs.String(), long) {
			t.Error("the action was logged")
		}
	})
	t.Run("labels and text are cut to Discord's limits", func(t *testing.T) {
		m := render(bot.Reply{Text: strings.Repeat("é", 2100), Buttons: []bot.Button{{Label: strings.Repeat("L", 90), Action: action + "x"}}}, log)
		label := m.Components[0].(discordgo.ActionsRow).Components[0].(discordgo.Button).Label
		if n := len([]rune(label)); n != 80 {
			t.Errorf("label of %d characters", n)
		}
		if n := len([]rune(m.Content)); n != 2000 || !strings.HasSuffix(m.Content, "…") {
			t.Errorf("content of %d characters", n)
		}
	})
}

func TestParseCommand(t *testing.T) {
	t.Parallel()
	str := func(name, v string) *discordgo.ApplicationCommandInteractionDataOption {
		return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionString, Value: v}
	}
	usr := func(name, v string) *discordgo.ApplicationCommandInteractionDataOption {
		return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionUser, Value: v}
	}
	sub := func(name string, opts ...*discordgo.ApplicationCommandInteractionDataOption) *discordgo.ApplicationCommandInteractionDataOption {
		return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionSubCommand, Options: opts}
	}
	cases := []struct {
		name string
		opts []*discordgo.ApplicationCommandInteractionDataOption
		want request
	}{
		{"/passcode starts a reset", nil, request{}},
		{"/passcode action:reset starts a reset", []*discordgo.ApplicationCommandInteractionDataOption{str("action", "reset")}, request{}},
		{"/passcode action:help", []*discordgo.ApplicationCommandInteractionDataOption{str("action", "help")}, request{Text: "help"}},
		{"/passcode action:status", []*discordgo.ApplicationCommandInteractionDataOption{str("action", "status")}, request{Text: "status"}},
		{"/passcode action:cancel", []*discordgo.ApplicationCommandInteractionDataOption{str("action", "cancel")}, request{Text: "cancel"}},
		{"/passcode action:pending", []*discordgo.ApplicationCommandInteractionDataOption{str("action", "pending")}, request{Text: "pending"}},
		{"/passcode action:audit", []*discordgo.ApplicationCommandInteractionDataOption{str("action", "audit")}, request{Text: "audit"}},
		{"/passcode action:audit upn:y", []*discordgo.ApplicationCommandInteractionDataOption{str("action", "audit"), str("upn", "a@b.c")}, request{Text: "audit a@b.c"}},
		{"/passcode language:nl", []*discordgo.ApplicationCommandInteractionDataOption{str("language", "nl")}, request{Text: "language nl"}},
		{"/passcode link:@x upn:y", []*discordgo.ApplicationCommandInteractionDataOption{usr("link", "42"), str("upn", "a@b.c")}, request{Link: true, UserID: "42", UPN: "a@b.c"}},
		{"/passcode upn:y without a user", []*discordgo.ApplicationCommandInteractionDataOption{str("upn", "a@b.c")}, request{Link: true, UPN: "a@b.c"}},
		{"/passcode unlink:@x", []*discordgo.ApplicationCommandInteractionDataOption{usr("unlink", "42")}, request{Link: true, Unlink: true, UserID: "42"}},
		{"subcommand /passcode reset device:Pixel 7 (fixture)", []*discordgo.ApplicationCommandInteractionDataOption{sub("reset", str("device", "Pixel 7"))}, request{}},
		{"subcommand /passcode help", []*discordgo.ApplicationCommandInteractionDataOption{sub("help")}, request{Text: "help"}},
		{"subcommand /passcode language language:en", []*discordgo.ApplicationCommandInteractionDataOption{sub("language", str("language", "en"))}, request{Text: "language en"}},
		{"subcommand /passcode link user:@x upn:y", []*discordgo.ApplicationCommandInteractionDataOption{sub("link", usr("user", "42"), str("upn", "a@b.c"))}, request{Link: true, UserID: "42", UPN: "a@b.c"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := parseCommand(discordgo.ApplicationCommandInteractionData{Name: "passcode", Options: c.opts})
			if got != c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

// Discord refuses the whole registration if a description or a choice
// name, in any language, is longer than 100 characters.
func TestCommandTextsFitDiscordsLimits(t *testing.T) {
	t.Parallel()
	check := func(what, s string, l map[discordgo.Locale]string) {
		t.Helper()
		if len(l) == 0 {
			t.Errorf("%s %q has no Dutch text", what, s)
		}
		for _, v := range append([]string{s}, l[discordgo.Dutch]) {
			if n := len([]rune(v)); n == 0 || n > 100 {
				t.Errorf("%s %q: %d characters", what, v, n)
			}
		}
	}
	c := command()
	check("command description", c.Description, *c.DescriptionLocalizations)
	for _, o := range c.Options {
		check("option description", o.Description, o.DescriptionLocalizations)
		for _, ch := range o.Choices {
			if o.Name != "language" { // each language by its own name
				check("choice", ch.Name, ch.NameLocalizations)
			}
		}
	}
}

func TestTexts(t *testing.T) {
	t.Parallel()
	if got := locales.ForLocale("nl-NL", "discord.link.done", "id", "1", "upn", "a@b.c"); got != "<@1> is gekoppeld aan `a@b.c`." {
		t.Errorf("nl-NL link.done = %q", got)
	}
	if got := locales.ForLocale("", "discord.link.denied"); !strings.Contains(got, "Only passbot approvers") || !strings.Contains(got, "Alleen goedkeurders van passbot") {
		t.Errorf("unknown locale gives %q, want both languages", got)
	}
	for upn, want := range map[string]bool{"adele.vance@contoso.com": true, "adele": false, "@contoso.com": false, "a@": false, "a b@c.d": false} {
		if validUPN(upn) != want {
			t.Errorf("validUPN(%q) = %v", upn, !want)
		}
	}
}

type refuseHandler struct{ t *testing.T }

func (h refuseHandler) Handle(context.Context, bot.Event, bot.Sender) (bot.Handled, error) {
	h.t.Error("the engine was asked")
	return bot.Handled{}, nil
}

type noLinks struct{}

func (noLinks) Get(context.Context, string) (bot.Account, error)  { return bot.Account{}, nil }
func (noLinks) Set(context.Context, string, string, string) error { return nil }
func (noLinks) Delete(context.Context, string, string) error      { return nil }

func TestIgnoredMessages(t *testing.T) {
	t.Parallel()
	a, err := New(Config{DiscordToken: "t"}, refuseHandler{t}, noLinks{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	a.session.State.Ready.User = &discordgo.User{ID: testApp, Bot: true}
	for name, m := range map[string]*discordgo.Message{
		"the bot's own message echoed back": {Author: &discordgo.User{ID: testApp}, Content: "reset my passcode"},
		"another bot":                       {Author: &discordgo.User{ID: "7", Bot: true}, Content: "reset my passcode"},
		"a guild message":                   {Author: &discordgo.User{ID: nelly.ID}, GuildID: testGuild, Content: "reset my passcode"},
		"no author":                         {Content: "reset my passcode"},
	} {
		t.Run(name, func(t *testing.T) {
			a.onMessage(a.session, &discordgo.MessageCreate{Message: m})
		})
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	if _, err := New(Config{}, refuseHandler{t}, noLinks{}, nil, nil); err == nil || !strings.Contains(err.Error(), "PASSBOT_DISCORD_TOKEN") {
		t.Errorf("no token: %v", err)
	}
	if _, err := New(Config{DiscordToken: "t", DiscordAPIURL: "discord.local"}, refuseHandler{t}, noLinks{}, nil, nil); err == nil || !strings.Contains(err.Error(), "PASSBOT_DISCORD_API_URL") {
		t.Errorf("bad API URL: %v", err)
	}
	if _, err := New(Config{DiscordToken: "t", DiscordLinksFile: filepath.Join(t.TempDir(), "missing.json")}, refuseHandler{t}, noLinks{}, nil, nil); err == nil || !strings.Contains(err.Error(), "PASSBOT_DISCORD_LINKS_FILE") {
		t.Errorf("missing links file: %v", err)
	}
	for token, want := range map[string]string{"abc": "Bot abc", "Bot abc": "Bot abc", " abc\n": "Bot abc"} {
		if got := (Config{DiscordToken: token}).botToken(); got != want {
			t.Errorf("botToken(%q) = %q", token, got)
		}
	}
}

// A proxy under a path prefix gets discordgo's calls under that prefix, and
// discordgo's package-level endpoints stay Discord's: another session in the
// process still talks to Discord.
func TestAPIURLIsPerSession(t *testing.T) {
	t.Parallel()
	endpointAPI := discordgo.EndpointAPI
	paths := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths <- r.URL.RequestURI()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id":"`+testApp+`"}`)
	}))
	t.Cleanup(srv.Close)
	a, err := New(Config{DiscordToken: testToken, DiscordAPIURL: srv.URL + "/proxy/discord"}, refuseHandler{t}, noLinks{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if id, err := a.applicationID(t.Context()); err != nil || id != testApp {
		t.Fatalf("applicationID = %q, %v", id, err)
	}
	if got, want := <-paths, "/proxy/discord"+apiPrefix+"oauth2/applications/@me"; got != want {
		t.Errorf("request for %s, want %s", got, want)
	}
	if discordgo.EndpointAPI != endpointAPI || !strings.HasPrefix(endpointAPI, "https://discord.com/") {
		t.Errorf("discordgo.EndpointAPI is %s, want Discord's own", discordgo.EndpointAPI)
	}
}
