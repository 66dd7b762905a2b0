package ops_test

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// There is no Docker engine in CI, so the image is never built there. These
// tests keep the Dockerfile honest instead: they read its build command, run
// exactly that command, and start the binary it makes.

// dockerBuild is the Dockerfile's `RUN <env> go build <args>` line, split.
type dockerBuild struct {
	env  []string // NAME=value
	args []string // after "go build"
}

func readDockerfile(t *testing.T) (lines []string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	return lines
}

func parseBuild(t *testing.T, lines []string) dockerBuild {
	t.Helper()
	var found []dockerBuild
	for _, l := range lines {
		rest, ok := strings.CutPrefix(l, "RUN ")
		if !ok || !strings.Contains(rest, "go build") {
			continue
		}
		words, err := shellWords(rest)
		if err != nil {
			t.Fatalf("Dockerfile: %q: %v", l, err)
		}
		var b dockerBuild
		i := 0
		for ; i < len(words) && strings.Contains(words[i], "=") && !strings.HasPrefix(words[i], "-"); i++ {
			b.env = append(b.env, words[i])
		}
		if i+1 >= len(words) || words[i] != "go" || words[i+1] != "build" {
			t.Fatalf("Dockerfile: want RUN [VAR=value ...] go build ..., got %q", l)
		}
		b.args = words[i+2:]
		found = append(found, b)
	}
	if len(found) != 1 {
		t.Fatalf("Dockerfile has %d go build commands, want 1", len(found))
	}
	return found[0]
}

// shellWords splits a command line as sh would for the plain quoting the
// Dockerfile uses: whitespace, and single or double quotes without escapes.
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == '\\' || r == '$' || r == '`' || r == ';' || r == '&' || r == '|':
			return nil, errors.New("shell syntax this test does not understand: " + string(r))
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, errors.New("unterminated quote")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

func TestDockerfileBuildsAStaticTrimmedBinary(t *testing.T) {
	lines := readDockerfile(t)
	b := parseBuild(t, lines)
	if !slices.Contains(b.env, "CGO_ENABLED=0") {
		t.Errorf("go build env %q lacks CGO_ENABLED=0 (a static binary for distroless/static)", b.env)
	}
	for _, want := range []string{"-trimpath", "-ldflags=-s -w"} {
		if !slices.Contains(b.args, want) {
			t.Errorf("go build args %q lack %q", b.args, want)
		}
	}
	if i := slices.Index(b.args, "-o"); i < 0 || i+1 >= len(b.args) || b.args[len(b.args)-1] != "." {
		t.Errorf("go build args %q: want -o PATH and the main package . last", b.args)
	}

	// The final stage: minimal base, non-root, the ops port, a health check.
	last := 0
	for i, l := range lines {
		if strings.HasPrefix(l, "FROM ") {
			last = i
		}
	}
	final := strings.Join(lines[last:], "\n")
	for _, re := range []string{
		`(?m)^FROM gcr\.io/distroless/static`,
		`(?m)^USER 65532(:65532)?$`,
		`(?m)^EXPOSE 8080$`,
		`(?m)^ENV PASSBOT_HTTP_ADDR=:8080$`,
		`(?m)^HEALTHCHECK .*CMD \["/passbot", "healthcheck"\]$`,
		`(?m)^ENTRYPOINT \["/passbot"\]$`,
	} {
		if !regexp.MustCompile(re).MatchString(final) {
			t.Errorf("the final stage does not match %s:\n%s", re, final)
		}
	}
	if !regexp.MustCompile(`(?m)^FROM golang:1\.26\b.* AS build$`).MatchString(strings.Join(lines, "\n")) {
		t.Error("the build stage is not golang:1.26")
	}
}

// The binary the Dockerfile's command builds starts and knows its settings.
func TestDockerfileBinaryStarts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the whole program")
	}
	b := parseBuild(t, readDockerfile(t))
	bin := filepath.Join(t.TempDir(), "passbot")
	args := []string{"build"}
	for i := 0; i < len(b.args); i++ {
		switch b.args[i] {
		case "-o":
			args = append(args, "-o", bin)
			i++
		default:
			args = append(args, b.args[i])
		}
	}
	build := exec.Command("go", args...)
	build.Dir = ".." // the module root, as WORKDIR /src
	build.Env = append(os.Environ(), b.env...)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	if st, err := os.Stat(bin); err == nil {
		t.Logf("binary size: %.1f MiB", float64(st.Size())/(1<<20))
	}
	// A static binary: no ELF interpreter (dynamic loader) for the scratch-like base.
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data[:min(len(data), 4096)], []byte("/lib64/ld-linux")) || bytes.Contains(data[:min(len(data), 4096)], []byte("/lib/ld-")) {
		t.Error("the binary is dynamically linked")
	}

	var stdout, stderr bytes.Buffer
	run := exec.Command(bin, "-h")
	run.Stdout, run.Stderr = &stdout, &stderr
	run.Env = []string{"PATH=/nonexistent"} // nothing from the test's environment
	if err := run.Run(); err != nil {
		t.Fatalf("passbot -h: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	if usage := stdout.String() + stderr.String(); !strings.Contains(usage, "PASSBOT_REDIS_URL") {
		t.Errorf("passbot -h does not list PASSBOT_REDIS_URL:\n%s", usage)
	}
}

func TestComposeRunsRedisWithPersistence(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	compose := string(data)
	for _, want := range []string{
		"image: redis:7",
		`"--appendonly", "yes"`,
		"redis-data:/data",
		"PASSBOT_REDIS_URL: redis://redis:6379/0",
		"PASSBOT_HTTP_ADDR: :8080",
		`test: ["CMD", "/passbot", "healthcheck"]`,
		`test: ["CMD", "redis-cli", "ping"]`,
		"condition: service_healthy",
	} {
		if !strings.Contains(compose, want) {
			t.Errorf("compose.yaml lacks %q", want)
		}
	}
}
