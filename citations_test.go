package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Microsoft moved Intune's device-action pages to
// learn.microsoft.com/intune/device-management/actions/, and the rest out of
// the intune-service tree (MicrosoftDocs/memdocs, 2025-2026): a citation of
// an old path sends the reader to a redirect or nowhere.
func TestCitationsNameMicrosoftsCurrentPages(t *testing.T) {
	moved := []string{
		"intune-" + "service/", // every page of the old tree, remote actions and user help
		"device-passcode-" + "reset.md",
		"device-remove-" + "passcode.md",
		"device-remote-" + "lock.md",
		"reset-your-passcode-" + "cpwebsite",
	}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if ext := filepath.Ext(path); ext != ".go" && ext != ".md" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range moved {
			if strings.Contains(string(data), m) {
				t.Errorf("%s cites %q, a page that moved", path, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
