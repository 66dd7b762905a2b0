package teams

import (
	"archive/zip"
	"bytes"
	"embed"
	"fmt"
	"regexp"
	"strings"
)

// manifestFiles are the Teams app package's files: manifest.json with a
// placeholder app ID, and its icons.
//
//go:embed manifest/manifest.json manifest/color.png manifest/outline.png
var manifestFiles embed.FS

// placeholderID stands for the bot's app ID in manifest/manifest.json.
const placeholderID = "00000000-0000-0000-0000-000000000000"

var guid = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// Package returns the Teams app package to upload (a zip of the manifest,
// with appID as the app's and the bot's ID, and the icons).
func Package(appID string) ([]byte, error) {
	if !guid.MatchString(appID) {
		return nil, fmt.Errorf("teams: app package: PASSBOT_TEAMS_APP_ID %q is not an app (client) ID", appID)
	}
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for _, name := range []string{"manifest.json", "color.png", "outline.png"} {
		data, err := manifestFiles.ReadFile("manifest/" + name)
		if err != nil {
			return nil, err
		}
		if name == "manifest.json" {
			data = []byte(strings.ReplaceAll(string(data), placeholderID, strings.ToLower(appID)))
		}
		w, err := z.Create(name)
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
