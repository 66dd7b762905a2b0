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

// parseBuild finds the go build command, with ${NAME} replaced by args or,
// for a name args lacks, the default of its ARG line.
func parseBuild(t *testing.T, lines []string, args map[string]string) dockerBuild {
	t.Helper()
	vars := map[string]string{}
	var found []dockerBuild
	for _, l := range lines {
		if arg, ok := strings.CutPrefix(l, "ARG "); ok {
			name, def, _ := strings.Cut(arg, "=")
			vars[name] = def
			if v, ok := args[name]; ok {
				vars[name] = v
			}
			continue
		}
		rest, ok := strings.CutPrefix(l, "RUN ")
		if !ok || !strings.Contains(rest, "go build") {
			continue
		}
		rest = os.Expand(rest, func(name string) string {
			v, ok := vars[name]
			if !ok {
				t.Fatalf("Dockerfile: ${%s} is no ARG declared before the build", name)
			}
			return v
		})
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
	t.Parallel()
	lines := readDockerfile(t)
	b := parseBuild(t, lines, nil)
	if !slices.Contains(b.env, "CGO_ENABLED=0") {
		t.Errorf("go build env %q lacks CGO_ENABLED=0 (a static binary for distroless/static)", b.env)
	}
	if !slices.Contains(b.args, "-trimpath") {
		t.Errorf("go build args %q lack -trimpath", b.args)
	}
	if !slices.ContainsFunc(b.args, func(a string) bool { return strings.HasPrefix(a, "-ldflags=-s -w ") }) {
		t.Errorf("go build args %q lack -ldflags=-s -w (stripped)", b.args)
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
		`(?m)^EXPOSE 8080 9090$`,
		`(?m)^ENV PASSBOT_HTTP_ADDR=:8080 PASSBOT_OPS_ADDR=:9090$`,
		`(?m)^HEALTHCHECK .*CMD \["/passbot", "healthcheck"\]$`,
		`(?m)^ENTRYPOINT \["/passbot"\]$`,
	} {
		if !regexp.MustCompile(re).MatchString(final) {
			t.Errorf("the final stage does not match %s:\n%s", re, final)
		}
	}
	// The image builds with the Go that go.mod asks for, as CI does.
	gomod, err := os.ReadFile(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(gomod)
	if goVersion == nil {
		t.Fatal("go.mod has no go line")
	}
	if want := "ENV GOTOOLCHAIN=go" + string(goVersion[1]); !slices.Contains(lines, want) {
		t.Errorf("the Dockerfile lacks %q (go.mod's go version)", want)
	}
}

// The binary the Dockerfile's command builds starts and knows its settings.
func TestDockerfileBinaryStarts(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the whole program")
	}
	b := parseBuild(t, readDockerfile(t), map[string]string{"VERSION": "1.4.0", "COMMIT": "c0ffee", "BUILD_DATE": "2026-11-30T09:00:00Z"})
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
	version, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatalf("passbot --version: %v", err)
	}
	if !strings.HasPrefix(string(version), "passbot 1.4.0 (commit c0ffee, built 2026-11-30T09:00:00Z, go") {
		t.Errorf("the build arguments are not stamped: --version printed %q", version)
	}
}
