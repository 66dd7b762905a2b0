package teams

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"testing"
	"unicode/utf8"
)

// The limits are the app manifest schema's (v1.22):
// https://learn.microsoft.com/microsoftteams/platform/resources/schema/manifest-schema
func TestTheAppPackageFitsTheManifestSchema(t *testing.T) {
	t.Parallel()
	const appID = "8f1e3a52-6b3c-4d7e-9a10-2b4c6d8e0f12"
	pkg, err := Package(appID)
	if err != nil {
		t.Fatal(err)
	}
	z, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range z.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name], _ = io.ReadAll(r)
		r.Close()
	}
	var m struct {
		Schema, ManifestVersion, ID string
		Name                        struct{ Short, Full string }
		Description                 struct{ Short, Full string }
		Icons                       struct{ Color, Outline string }
		Bots                        []struct {
			BotID        string
			Scopes       []string
			CommandLists []struct {
				Scopes   []string
				Commands []struct{ Title, Description string }
			}
		}
	}
	if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	if m.ManifestVersion != "1.22" || m.ID != appID || len(m.Bots) != 1 || m.Bots[0].BotID != appID {
		t.Fatalf("manifest version %q, id %q, bots %+v", m.ManifestVersion, m.ID, m.Bots)
	}
	if utf8.RuneCountInString(m.Name.Short) > 30 || utf8.RuneCountInString(m.Name.Full) > 100 ||
		utf8.RuneCountInString(m.Description.Short) > 80 || utf8.RuneCountInString(m.Description.Full) > 4000 {
		t.Errorf("name or description too long: %+v %+v", m.Name, m.Description)
	}
	b := m.Bots[0]
	if len(b.Scopes) != 2 || b.Scopes[0] != "personal" || b.Scopes[1] != "team" {
		t.Errorf("bot scopes %v, want personal and team", b.Scopes)
	}
	for _, l := range b.CommandLists {
		if len(l.Commands) > 10 {
			t.Errorf("%d commands in a list: at most 10", len(l.Commands))
		}
		for _, c := range l.Commands {
			if utf8.RuneCountInString(c.Title) > 32 || utf8.RuneCountInString(c.Description) > 128 {
				t.Errorf("command %+v too long", c)
			}
		}
	}
	for name, size := range map[string]int{m.Icons.Color: 192, m.Icons.Outline: 32} {
		img, err := png.Decode(bytes.NewReader(files[name]))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if img.Bounds() != image.Rect(0, 0, size, size) {
			t.Errorf("%s is %v, want %dx%d", name, img.Bounds(), size, size)
		}
		if name != m.Icons.Outline {
			continue
		}
		// The outline icon is white on a transparent background.
		for y := range size {
			for x := range size {
				r, g, bl, a := img.At(x, y).RGBA()
				if a != 0 && (r != 0xffff || g != 0xffff || bl != 0xffff || a != 0xffff) {
					t.Fatalf("outline pixel %d,%d is %v: want white or transparent", x, y, img.At(x, y))
				}
			}
		}
	}
	if _, err := Package("not-a-guid"); err == nil {
		t.Error("a package with a malformed app ID")
	}
}
