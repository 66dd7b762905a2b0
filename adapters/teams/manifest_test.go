package teams

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// The limits are the app manifest schema's (v1.22):
// https://learn.microsoft.com/microsoftteams/platform/resources/schema/manifest-schema
func TestTheAppPackageFitsTheManifestSchema(t *testing.T) {
	t.Parallel()
	const appID = "8f1e3a52-6b3c-4d7e-9a10-2b4c6d8e0f12"
	pkg, err := Package(App{ID: appID})
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
	if _, err := Package(App{ID: "not-a-guid"}); err == nil {
		t.Error("a package with a malformed app ID")
	}
}

// The developer's name and URLs come from the operator, not from a
// rebuilt binary, and the zip's entries are dated when it was built.
func TestTheAppPackageNamesTheDeveloper(t *testing.T) {
	t.Parallel()
	built := time.Date(2026, 12, 8, 10, 30, 0, 0, time.UTC)
	dev := Developer{Name: "Contoso IT", WebsiteURL: "https://it.contoso.com/passbot",
		PrivacyURL: "https://it.contoso.com/privacy", TermsURL: "https://it.contoso.com/terms"}
	pkg, err := Package(App{ID: "8f1e3a52-6b3c-4d7e-9a10-2b4c6d8e0f12", Developer: dev, Built: built})
	if err != nil {
		t.Fatal(err)
	}
	z, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range z.File {
		if !f.Modified.Equal(built) {
			t.Errorf("%s dated %v, want %v", f.Name, f.Modified, built)
		}
	}
	r, err := z.Open("manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var m struct {
		Developer struct{ Name, WebsiteURL, PrivacyURL, TermsOfUseURL string }
	}
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		t.Fatal(err)
	}
	if got := (Developer{m.Developer.Name, m.Developer.WebsiteURL, m.Developer.PrivacyURL, m.Developer.TermsOfUseURL}); got != dev {
		t.Errorf("developer %+v, want %+v", got, dev)
	}
	for _, bad := range []Developer{{WebsiteURL: "http://it.contoso.com"}, {PrivacyURL: "privacy"}, {Name: strings.Repeat("x", 33)}} {
		if _, err := Package(App{ID: "8f1e3a52-6b3c-4d7e-9a10-2b4c6d8e0f12", Developer: bad}); err == nil {
			t.Errorf("a package with developer %+v", bad)
		}
	}
}
