package teams

import (
	"archive/zip"
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// manifestFiles are the Teams app package's files: manifest.json with a
// placeholder app ID, and its icons.
//
//go:embed manifest/manifest.json manifest/color.png manifest/outline.png
var manifestFiles embed.FS

// placeholderID stands for the bot's app ID in manifest/manifest.json.
const placeholderID = "00000000-0000-0000-0000-000000000000"

var guid = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// App is what the package says of the bot: its app ID and who publishes
// it. The developer's fields left empty keep the embedded manifest's
// placeholders (example.com), which Teams accepts for a custom app.
type App struct {
	ID        string
	Developer Developer
	// Built dates the zip's entries.
	Built time.Time
}

// Developer is the manifest's developer object
// (learn.microsoft.com/microsoftteams/platform/resources/schema/manifest-schema#developer).
type Developer struct {
	Name, WebsiteURL, PrivacyURL, TermsURL string
}

// Package returns the Teams app package to upload (a zip of the manifest,
// with app.ID as the app's and the bot's ID and app.Developer as its
// developer, and the icons).
func Package(app App) ([]byte, error) {
	if !guid.MatchString(app.ID) {
		return nil, fmt.Errorf("teams: app package: PASSBOT_TEAMS_APP_ID %q is not an app (client) ID", app.ID)
	}
	manifest, err := manifestFor(app)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for _, name := range []string{"manifest.json", "color.png", "outline.png"} {
		data := manifest
		if name != "manifest.json" {
			if data, err = manifestFiles.ReadFile("manifest/" + name); err != nil {
				return nil, err
			}
		}
		w, err := z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: app.Built})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(data); err != nil {
			return nil, err
		}
	}
	if err := z.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// manifestFor is the embedded manifest.json with app's ID and developer.
func manifestFor(app App) ([]byte, error) {
	data, err := manifestFiles.ReadFile("manifest/manifest.json")
	if err != nil {
		return nil, err
	}
	data = []byte(strings.ReplaceAll(string(data), placeholderID, strings.ToLower(app.ID)))
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("teams: embedded manifest.json: %w", err)
	}
	dev, _ := m["developer"].(map[string]any)
	// The schema's limits: a name of 32 characters at most, https URLs of
	// 2048 at most.
	if n := app.Developer.Name; n != "" {
		if utf8.RuneCountInString(n) > 32 {
			return nil, fmt.Errorf("teams: app package: the developer name %q is longer than 32 characters", n)
		}
		dev["name"] = n
	}
	for key, v := range map[string]string{"websiteUrl": app.Developer.WebsiteURL, "privacyUrl": app.Developer.PrivacyURL, "termsOfUseUrl": app.Developer.TermsURL} {
		if v == "" {
			continue
		}
		if u, err := url.Parse(v); err != nil || u.Scheme != "https" || u.Host == "" || len(v) > 2048 {
			return nil, fmt.Errorf("teams: app package: the developer's %s %q is not an https URL", key, v)
		}
		dev[key] = v
	}
	return json.MarshalIndent(m, "", "  ")
}
