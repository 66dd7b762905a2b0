package slack

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The README tells admins which scopes the manifest asks for; the two lists
// must agree, and im:read stays out: no call passbot makes needs it
// (conversations.open needs im:write, DMs arrive through message.im with
// im:history).
func TestReadmeListsTheManifestScopes(t *testing.T) {
	manifest, err := os.ReadFile("manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	block := string(manifest)
	block = block[strings.Index(block, "  scopes:\n"):strings.Index(block, "\nsettings:")]
	var scopes []string
	for _, m := range regexp.MustCompile(`(?m)^      - ([a-z_.:]+)\s`).FindAllStringSubmatch(block, -1) {
		scopes = append(scopes, m[1])
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(readme), "It asks for exactly the scopes passbot needs (")
	if i < 0 {
		t.Fatal("the README no longer lists the Slack scopes")
	}
	list := string(readme[i:])
	list = list[strings.Index(list, "(")+1 : strings.Index(list, ")")]
	var documented []string
	for _, m := range regexp.MustCompile("`([a-z_.:]+)`").FindAllStringSubmatch(list, -1) {
		documented = append(documented, m[1])
	}
	slices.Sort(scopes)
	slices.Sort(documented)
	if !slices.Equal(scopes, documented) || len(scopes) == 0 {
		t.Errorf("manifest scopes %v, README %v", scopes, documented)
	}
	if slices.Contains(scopes, "im:read") {
		t.Error("the manifest asks for im:read, which no call needs")
	}
}
