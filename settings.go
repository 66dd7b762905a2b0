package main

import (
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
)

// setting is one PASSBOT_* variable as the Config's tags declare it: the one
// source of `passbot -h`, the README's settings table and the secret files.
type setting struct {
	Name, Default, Desc string
	// Secret settings also accept NAME_FILE, a file holding the value
	// (a Kubernetes or Docker secret mounted as a file).
	Secret bool
	field  reflect.Value
}

// settingsOf lists the settings of cfg in declaration order, embedded
// structs in place, each with its field so a secret file can fill it.
func settingsOf(cfg *Config) []setting {
	var out []setting
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				walk(v.Field(i))
				continue
			}
			key := f.Tag.Get("envconfig")
			if key == "" || !f.IsExported() {
				continue
			}
			out = append(out, setting{Name: "PASSBOT_" + key, Default: f.Tag.Get("default"), Desc: f.Tag.Get("desc"),
				Secret: f.Tag.Get("secret") == "true", field: v.Field(i)})
		}
	}
	walk(reflect.ValueOf(cfg).Elem())
	return out
}

// description is what -h and the README say of s.
func (s setting) description() string {
	if s.Secret {
		return s.Desc + "; or " + s.Name + "_FILE, a file holding it"
	}
	return s.Desc
}

// printSettings is the settings part of `passbot -h`, laid out as the
// flag package prints flags: the variable and its default, then its
// meaning indented and wrapped.
func printSettings(w io.Writer, cfg *Config) error {
	var b strings.Builder
	for _, s := range settingsOf(cfg) {
		b.WriteString("  " + s.Name)
		if s.Default != "" {
			fmt.Fprintf(&b, " (default %q)", s.Default)
		}
		b.WriteString("\n")
		line := 0
		for _, word := range strings.Fields(s.description()) {
			if line > 0 && line+1+len(word) > helpWidth {
				b.WriteString("\n")
				line = 0
			}
			if line == 0 {
				b.WriteString("    \t")
			} else {
				b.WriteString(" ")
				line++
			}
			b.WriteString(word)
			line += len(word)
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// helpWidth is where -h wraps a setting's meaning.
const helpWidth = 72

// settingsMarkdown is the README's settings table.
func settingsMarkdown(cfg *Config) string {
	var b strings.Builder
	b.WriteString("| variable | default | meaning |\n|---|---|---|\n")
	for _, s := range settingsOf(cfg) {
		def := ""
		if s.Default != "" {
			def = "`" + s.Default + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", s.Name, def, strings.ReplaceAll(s.description(), "|", `\|`))
	}
	return b.String()
}

// readSecretFiles fills each secret setting named by its NAME_FILE
// variable from that file, without the line ending an editor or `echo`
// leaves. Setting both NAME and NAME_FILE is refused: which one wins would
// be a guess.
func readSecretFiles(cfg *Config, lookup func(string) (string, bool)) error {
	for _, s := range settingsOf(cfg) {
		path, ok := lookup(s.Name + "_FILE")
		if !s.Secret || !ok {
			continue
		}
		if _, both := lookup(s.Name); both {
			return fmt.Errorf("%s_FILE: %s is set too; set one of them", s.Name, s.Name)
		}
		if path == "" {
			return fmt.Errorf("%s_FILE is empty (want the path of a file holding the secret)", s.Name)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("%s_FILE: %w", s.Name, err)
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			return fmt.Errorf("%s_FILE: %s is empty", s.Name, path)
		}
		s.field.SetString(v)
	}
	return nil
}
