package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var updateReadme = flag.Bool("update-readme", false, "rewrite the README's settings table from the Config's tags")

// The README's settings table is the one `passbot -h` prints: both come
// from the Config's tags, so they cannot drift apart.
func TestReadmeSettingsTableIsTheConfigs(t *testing.T) {
	const begin, end = "<!-- settings: generated from config.go's tags by go test -run TestReadmeSettingsTableIsTheConfigs -update-readme -->\n", "<!-- end of settings -->\n"
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok := strings.Cut(string(readme), begin)
	table, after, ok2 := strings.Cut(rest, end)
	if !ok || !ok2 {
		t.Fatalf("README.md lacks the settings markers %q ... %q", begin, end)
	}
	want := settingsMarkdown(&Config{})
	if table == want {
		return
	}
	if *updateReadme {
		if err := os.WriteFile("README.md", []byte(before+begin+want+end+after), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, wantLines := strings.Split(table, "\n"), strings.Split(want, "\n")
	for i := range max(len(got), len(wantLines)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(wantLines) {
			w = wantLines[i]
		}
		if g != w {
			t.Errorf("README.md's settings table, row %d:\n got: %s\nwant: %s", i+1, g, w)
		}
	}
	t.Log("go test -run TestReadmeSettingsTableIsTheConfigs -update-readme rewrites it")
}

// Every secret also comes from a file, as Kubernetes and Docker mount
// secrets; the file's line ending is not part of the secret.
func TestSecretsFromFiles(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	env := map[string]string{
		"PASSBOT_SLACK_BOT_TOKEN_FILE":     file("bot", "xoxb-from-file\n"),
		"PASSBOT_GRAPH_CLIENT_SECRET_FILE": file("graph", "s3cret\r\n"),
		"PASSBOT_REDIS_URL_FILE":           file("redis", "redis://:pw@redis:6379/0"),
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	var cfg Config
	if err := readSecretFiles(&cfg, lookup); err != nil {
		t.Fatal(err)
	}
	if cfg.BotToken != "xoxb-from-file" || cfg.ClientSecret != "s3cret" || cfg.RedisURL != "redis://:pw@redis:6379/0" {
		t.Errorf("read %q, %q, %q", cfg.BotToken, cfg.ClientSecret, cfg.RedisURL)
	}

	var secrets []string
	for _, s := range settingsOf(&cfg) {
		if s.Secret {
			secrets = append(secrets, s.Name)
		}
	}
	for _, want := range []string{"PASSBOT_REDIS_URL", "PASSBOT_SLACK_BOT_TOKEN", "PASSBOT_SLACK_APP_TOKEN", "PASSBOT_SLACK_SIGNING_SECRET",
		"PASSBOT_DISCORD_TOKEN", "PASSBOT_TEAMS_APP_PASSWORD", "PASSBOT_GRAPH_CLIENT_SECRET", "PASSBOT_GRAPH_CERTIFICATE_PASSWORD"} {
		if !strings.Contains(strings.Join(secrets, " "), want) {
			t.Errorf("%s does not accept %s_FILE", want, want)
		}
	}

	for name, bad := range map[string]map[string]string{
		"both set":     {"PASSBOT_DISCORD_TOKEN": "x", "PASSBOT_DISCORD_TOKEN_FILE": file("d", "y")},
		"missing file": {"PASSBOT_DISCORD_TOKEN_FILE": filepath.Join(dir, "absent")},
		"empty file":   {"PASSBOT_DISCORD_TOKEN_FILE": file("e", "\n")},
	} {
		t.Run(name, func(t *testing.T) {
			err := readSecretFiles(&Config{}, func(k string) (string, bool) { v, ok := bad[k]; return v, ok })
			if err == nil || !strings.Contains(err.Error(), "PASSBOT_DISCORD_TOKEN_FILE") {
				t.Errorf("err = %v, want one naming PASSBOT_DISCORD_TOKEN_FILE", err)
			}
		})
	}
}

// helpEntry is what `passbot -h` says of one variable: its line and the
// wrapped lines of its meaning, joined by single spaces.
func helpEntry(help, name string) string {
	var words []string
	in := false
	for l := range strings.Lines(help) {
		f := strings.Fields(l)
		if len(f) > 0 && strings.HasPrefix(f[0], "PASSBOT_") && !strings.HasPrefix(l, "    ") {
			in = f[0] == name
		}
		if in {
			words = append(words, f...)
		}
	}
	return strings.Join(words, " ")
}

// -h lists each setting with its default and its whole meaning, the same
// text as the README's table, wrapped under the variable's name.
func TestHelpLaysOutEverySetting(t *testing.T) {
	var out, errs bytes.Buffer
	if err := run(context.Background(), []string{"-h"}, strings.NewReader(""), &out, &errs); err != nil {
		t.Fatal(err)
	}
	help := errs.String()
	for _, s := range settingsOf(&Config{}) {
		want := s.Name
		if s.Default != "" {
			want += " (default " + strconv.Quote(s.Default) + ")"
		}
		want += " " + strings.Join(strings.Fields(s.description()), " ")
		if got := helpEntry(help, s.Name); got != want {
			t.Errorf("-h entry:\n got %q\nwant %q", got, want)
		}
	}
	for l := range strings.Lines(help) {
		if len(strings.TrimRight(l, "\n")) > 100 && strings.HasPrefix(l, "    \t") {
			t.Errorf("-h line over 100 columns: %q", l)
		}
	}
}
