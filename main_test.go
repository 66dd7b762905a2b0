package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/internal/enginetest"
	"github.com/passbot/passbot/store/redistest"
)

// runConsole runs the real program with a scripted console and returns what
// it printed.
func runConsole(t *testing.T, env map[string]string, script ...string) (stdout, stderr string) {
	t.Helper()
	t.Setenv("PASSBOT_REDIS_URL", redistest.Start(t).URL)
	for k, v := range env {
		t.Setenv(k, v)
	}
	var out, errs bytes.Buffer
	in := strings.NewReader(strings.Join(script, "\n") + "\n")
	if err := run(context.Background(), nil, in, &out, &errs); err != nil {
		t.Fatalf("run: %v\nstderr: %s", err, errs.String())
	}
	return out.String(), errs.String()
}

func TestScriptedConsoleOverAGraphFleet(t *testing.T) {
	out, logs := runConsole(t, map[string]string{"PASSBOT_DEMO_FLEET": "testdata/graph_fleet.json"},
		"reset my passcode",
		"1",              // Megan_Android_6/2/2018
		"reset passcode", // by label, any case
		"1",              // Sign in again
		"/signin",        // on the demo provider's page, as a browser would
		"Yes, reset",
		"forgot my PIN",
		"2", // Megan_Android_10/9/2020
		"reset my passcode",
		"3", // Megan's iPhone
		"1", // Reset Passcode
		"1", // Sign in again
		"/signin",
		"No",
	)
	for _, want := range []string{
		"you are megan.bowen@contoso.com",
		"[1] Megan_Android_6/2/2018 (Android)\n     [2] Megan_Android_10/9/2020 (Android)\n     [3] Megan's iPhone (iOS/iPadOS)\n     [4] Cancel\n",
		"[1] Sign in again  [2] Cancel",
		"[1] Yes, reset  [2] No",
		"You cannot reset the passcode of devices with Android 7.0 and later",
		"factory settings",
		"OK, the passcode of Megan's iPhone was not reset.",
		"lock it remotely",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	m := regexp.MustCompile(`bot \(only you\)> The passcode of Megan_Android_6/2/2018 was removed\. Your temporary passcode \(letters and numbers\) is: ([a-z0-9]{8})\n`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no temporary passcode for the Android 6 device in:\n%s", out)
	}
	if strings.Count(out, "temporary passcode (letters") != 1 {
		t.Errorf("more than one reset:\n%s", out)
	}
	if strings.Contains(logs, m[1]) {
		t.Error("the passcode is in the logs")
	}
}

func TestConsoleInDutch(t *testing.T) {
	out, _ := runConsole(t, map[string]string{"PASSBOT_CONSOLE_USER": "lieke.devries@contoso.com"},
		"ik ben mijn pincode vergeten", "2", "1", "1", "/signin", "1")
	for _, want := range []string{
		"Welk apparaat wilt u beheren?",
		"[1] Wachtwoordcode opnieuw instellen",
		"[1] Opnieuw aanmelden  [2] Annuleren",
		"Meld u opnieuw aan met uw werkaccount (lieke.devries@contoso.com)",
		"-- browser: U bent aangemeld. Ga terug naar de chat.",
		"✅ U bent aangemeld als lieke.devries@contoso.com.",
		"Hebt u Lieke's Galaxy A5 bij u?",
		"Uw tijdelijke wachtwoordcode (letters en cijfers) is: ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestHelpPrintsEveryVariable(t *testing.T) {
	var out, errs bytes.Buffer
	if err := run(context.Background(), []string{"-h"}, strings.NewReader(""), &out, &errs); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"PASSBOT_REDIS_URL", "PASSBOT_PLATFORMS", "PASSBOT_DEMO_FLEET", "PASSBOT_CONSOLE_USER", "PASSBOT_SUPPORT_CONTACT", "PASSBOT_SWEEP_SPEC"} {
		if !strings.Contains(errs.String(), v) {
			t.Errorf("-h does not list %s", v)
		}
	}
}

func TestBadConfigurationNamesTheVariable(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"PASSBOT_DEVICES": "jamf"}, "PASSBOT_DEVICES"},
		{map[string]string{"PASSBOT_PLATFORMS": "matrix"}, "PASSBOT_PLATFORMS"},
		{map[string]string{"PASSBOT_PLATFORMS": "teams"}, "PASSBOT_HTTP_ADDR is required with the teams platform"},
		{map[string]string{"PASSBOT_PLATFORMS": "teams", "PASSBOT_HTTP_ADDR": "127.0.0.1:0"}, "PASSBOT_TEAMS_HELPDESK_CHANNEL"},
		{map[string]string{"PASSBOT_PLATFORMS": "slack", "PASSBOT_SLACK_BOT_TOKEN": "xoxb-1", "PASSBOT_SLACK_APP_TOKEN": "xapp-1"}, "PASSBOT_HELPDESK_CHANNEL"},
		{map[string]string{"PASSBOT_PLATFORMS": "discord", "PASSBOT_DISCORD_TOKEN": "t"}, "PASSBOT_DISCORD_HELPDESK_CHANNEL"},
		{map[string]string{"PASSBOT_PLATFORMS": "slack", "PASSBOT_SLACK_MODE": "http", "PASSBOT_HELPDESK_CHANNEL": "C1"}, "PASSBOT_HTTP_ADDR"},
		{map[string]string{"PASSBOT_PLATFORMS": "slack", "PASSBOT_APPROVALS": "false"}, "PASSBOT_SLACK_BOT_TOKEN"},
		{map[string]string{"PASSBOT_LOG_LEVEL": "loud"}, "PASSBOT_LOG_LEVEL"},
		{map[string]string{"PASSBOT_APPROVERS": ""}, "PASSBOT_APPROVERS"},
		{map[string]string{"PASSBOT_VERIFY": "maybe"}, "PASSBOT_VERIFY"},
		{map[string]string{"PASSBOT_VERIFY_TTL": "10s"}, "PASSBOT_VERIFY_TTL"},
		{map[string]string{"PASSBOT_STEP_TIMEOUT": "2h"}, "PASSBOT_STEP_TIMEOUT: 2h0m0s is longer than 1h0m0s"},
		{map[string]string{"PASSBOT_VERIFY_AUTH_CONTEXT": "mfa"}, "PASSBOT_VERIFY_AUTH_CONTEXT: \"mfa\" is not an authentication context ID c1 to c99"},
		{map[string]string{"PASSBOT_VERIFY_AUTH_CONTEXT": "c100"}, "PASSBOT_VERIFY_AUTH_CONTEXT"},
		{map[string]string{"PASSBOT_VERIFY_AUTH_CONTEXT": "c1", "PASSBOT_VERIFY": "off"}, "PASSBOT_VERIFY_AUTH_CONTEXT: \"c1\" is not an authentication context ID c1 to c99 for a sign-in (PASSBOT_VERIFY=off)"},
		{map[string]string{"PASSBOT_TRUSTED_PROXIES": "proxy.contoso.com"}, "PASSBOT_TRUSTED_PROXIES: \"proxy.contoso.com\" is neither an address nor a CIDR"},
		{map[string]string{"PASSBOT_PUBLIC_URL": "http://passbot.contoso.com"}, "PASSBOT_PUBLIC_URL"},
		{map[string]string{"PASSBOT_DEVICES": "intune", "PASSBOT_GRAPH_TENANT_ID": "t", "PASSBOT_GRAPH_CLIENT_ID": "c", "PASSBOT_GRAPH_CLIENT_SECRET": "s"}, "PASSBOT_HTTP_ADDR, PASSBOT_PUBLIC_URL"},
		{map[string]string{"PASSBOT_VERIFY": "entra", "PASSBOT_HTTP_ADDR": "127.0.0.1:0", "PASSBOT_PUBLIC_URL": "https://passbot.contoso.com"}, "PASSBOT_GRAPH_CLIENT_ID, PASSBOT_GRAPH_CLIENT_SECRET or PASSBOT_GRAPH_CERTIFICATE_PATH, PASSBOT_GRAPH_TENANT_ID"},
		{map[string]string{"PASSBOT_VERIFY": "entra", "PASSBOT_HTTP_ADDR": "127.0.0.1:0", "PASSBOT_PUBLIC_URL": "https://passbot.contoso.com", "PASSBOT_GRAPH_TENANT_ID": "common", "PASSBOT_GRAPH_CLIENT_ID": "c", "PASSBOT_GRAPH_CLIENT_SECRET": "s"}, "PASSBOT_GRAPH_TENANT_ID"},
		{map[string]string{"PASSBOT_VERIFY": "entra", "PASSBOT_HTTP_ADDR": "127.0.0.1:0", "PASSBOT_PUBLIC_URL": "https://passbot.contoso.com", "PASSBOT_GRAPH_TENANT_ID": "t", "PASSBOT_SIGNIN_CLIENT_ID": "c"}, "PASSBOT_VERIFY=entra needs PASSBOT_SIGNIN_CLIENT_SECRET"},
		{map[string]string{"PASSBOT_VERIFY": "entra", "PASSBOT_HTTP_ADDR": "127.0.0.1:0", "PASSBOT_PUBLIC_URL": "https://passbot.contoso.com", "PASSBOT_GRAPH_TENANT_ID": "t", "PASSBOT_GRAPH_CLIENT_ID": "c", "PASSBOT_GRAPH_CLIENT_SECRET": "s", "PASSBOT_SIGNIN_CLIENT_SECRET": "s2"}, "PASSBOT_SIGNIN_CLIENT_SECRET is set without PASSBOT_SIGNIN_CLIENT_ID"},
		{map[string]string{"PASSBOT_LIMIT_WINDOW": "500µs"}, "PASSBOT_LIMIT_WINDOW: 500µs is out of range (want 1s or more, or 0 for no limits at all)"},
		{map[string]string{"PASSBOT_LIMIT_WINDOW": "-1h"}, "PASSBOT_LIMIT_WINDOW: -1h0m0s is out of range"},
		{map[string]string{"PASSBOT_LIMIT_PER_USER": "-1"}, "PASSBOT_LIMIT_PER_USER: -1 is out of range (want 1 or more, or 0 for no per-user limit)"},
		{map[string]string{"PASSBOT_LIMIT_PER_DEVICE": "-3"}, "PASSBOT_LIMIT_PER_DEVICE: -3 is out of range"},
		{map[string]string{"PASSBOT_PLATFORMS": ""}, "PASSBOT_PLATFORMS is empty (want one or more of console, slack, discord, teams)"},
		{map[string]string{"PASSBOT_PLATFORMS": " , "}, "PASSBOT_PLATFORMS is empty"},
		{map[string]string{"PASSBOT_CONSOLE_LOCALE": "fr"}, "PASSBOT_CONSOLE_LOCALE: unknown locale \"fr\" (want en or nl"},
		{map[string]string{"PASSBOT_HELPDESK_LOCALE": "de"}, "PASSBOT_HELPDESK_LOCALE: unknown language \"de\" (want en or nl)"},
		{map[string]string{"PASSBOT_STEP_TIMEOUT": "-5m"}, "PASSBOT_STEP_TIMEOUT: -5m0s is out of range (want a duration above 0"},
		{map[string]string{"PASSBOT_POLL_EVERY": "0"}, "PASSBOT_POLL_EVERY: 0s is out of range"},
		{map[string]string{"PASSBOT_ESCALATE_AFTER": "-1s"}, "PASSBOT_ESCALATE_AFTER: -1s is out of range"},
		{map[string]string{"PASSBOT_EXPIRE_AFTER": "-1s"}, "PASSBOT_EXPIRE_AFTER: -1s is out of range"},
		{map[string]string{"PASSBOT_REMINDER_AFTER": "-1s"}, "PASSBOT_REMINDER_AFTER: -1s is out of range"},
		{map[string]string{"PASSBOT_GRAPH_TIMEOUT": "-1s"}, "PASSBOT_GRAPH_TIMEOUT: -1s is out of range"},
		{map[string]string{"PASSBOT_GRAPH_MAX_ATTEMPTS": "0"}, "PASSBOT_GRAPH_MAX_ATTEMPTS: 0 is out of range (want 1 to 10)"},
		{map[string]string{"PASSBOT_PASSCODE_TTL": "0"}, "PASSBOT_PASSCODE_TTL: 0s is out of range"},
		{map[string]string{"PASSBOT_FOLLOWUP_LEASE": "2s"}, "PASSBOT_FOLLOWUP_LEASE: 2s is out of range (want 3s or more)"},
		{map[string]string{"PASSBOT_PLATFORMS": "discord", "PASSBOT_DISCORD_TOKEN": "t", "PASSBOT_DISCORD_HELPDESK_CHANNEL": "1", "PASSBOT_PASSCODE_TTL": "20m"}, "PASSBOT_PASSCODE_TTL: 20m0s is too long for Discord (want 14m0s or less)"},
		{map[string]string{"PASSBOT_APPROVERS": ""}, "PASSBOT_APPROVERS is empty"},
		// The in-process Redis is the console demo's: chat platforms need a shared one.
		{map[string]string{"PASSBOT_REDIS_URL": "", "PASSBOT_PLATFORMS": "slack", "PASSBOT_SLACK_BOT_TOKEN": "xoxb-1", "PASSBOT_SLACK_APP_TOKEN": "xapp-1", "PASSBOT_HELPDESK_CHANNEL": "C1"},
			"PASSBOT_REDIS_URL is required with the slack platform"},
		{map[string]string{"PASSBOT_REDIS_URL": "", "PASSBOT_PLATFORMS": "console,discord", "PASSBOT_DISCORD_TOKEN": "t", "PASSBOT_DISCORD_HELPDESK_CHANNEL": "1"},
			"PASSBOT_REDIS_URL is required with the discord platform"},
		// The demo sign-in asks no password: never before real devices, never off this machine.
		{withGraph(map[string]string{"PASSBOT_DEVICES": "intune", "PASSBOT_VERIFY": "demo"}), "PASSBOT_VERIFY=demo cannot guard PASSBOT_DEVICES=intune"},
		{map[string]string{"PASSBOT_HTTP_ADDR": ":8080"}, `PASSBOT_HTTP_ADDR: ":8080" is not a loopback address`},
		{map[string]string{"PASSBOT_HTTP_ADDR": "0.0.0.0:0", "PASSBOT_VERIFY": "demo"}, `PASSBOT_HTTP_ADDR: "0.0.0.0:0" is not a loopback address`},
		{map[string]string{"PASSBOT_HTTP_ADDR": "127.0.0.1:0", "PASSBOT_PUBLIC_URL": "https://passbot.contoso.com"}, `PASSBOT_PUBLIC_URL: "https://passbot.contoso.com" is not a loopback URL`},
		// Timings that would run, but not as written or not usefully.
		{map[string]string{"PASSBOT_SWEEP_SPEC": "@every 0s"}, `PASSBOT_SWEEP_SPEC: "@every 0s" is out of range (want @every with whole seconds, 1s or more`},
		{map[string]string{"PASSBOT_SWEEP_SPEC": "@every 1ms"}, `PASSBOT_SWEEP_SPEC: "@every 1ms" is out of range`},
		{map[string]string{"PASSBOT_SWEEP_SPEC": "@every 1500ms"}, `PASSBOT_SWEEP_SPEC: "@every 1500ms" is out of range`},
		{map[string]string{"PASSBOT_SWEEP_SPEC": "every second"}, "PASSBOT_SWEEP_SPEC: "},
		{map[string]string{"PASSBOT_DIGEST_SPEC": "@every 0s"}, `PASSBOT_DIGEST_SPEC: "@every 0s" is out of range`},
		{map[string]string{"PASSBOT_RESULT_RECOVERY": "1s"}, "PASSBOT_RESULT_RECOVERY: 1s is too short (want 5s or more)"},
		{withGraph(map[string]string{"PASSBOT_DEVICES": "intune", "PASSBOT_VERIFY": "off", "PASSBOT_RESULT_RECOVERY": "40s"}),
			"PASSBOT_RESULT_RECOVERY: 40s is too short for Graph (want more than PASSBOT_GRAPH_TIMEOUT x PASSBOT_GRAPH_MAX_ATTEMPTS, 40s)"},
		{map[string]string{"PASSBOT_ESCALATE_AFTER": "30m", "PASSBOT_EXPIRE_AFTER": "10m"}, "PASSBOT_EXPIRE_AFTER: 10m0s is shorter than PASSBOT_ESCALATE_AFTER (30m0s)"},
		{map[string]string{"PASSBOT_VERIFY_TTL": "30m", "PASSBOT_STEP_TIMEOUT": "15m"}, "PASSBOT_VERIFY_TTL: 30m0s is longer than PASSBOT_STEP_TIMEOUT (15m0s)"},
		{map[string]string{"PASSBOT_PASSCODE_TTL": "1ns"}, "PASSBOT_PASSCODE_TTL: 1ns is too short (want 1m0s or more)"},
		{map[string]string{"PASSBOT_POLL_EVERY": "1ns"}, "PASSBOT_POLL_EVERY: 1ns is too short (want 5s or more)"},
		{map[string]string{"PASSBOT_DEVICES": "intune", "PASSBOT_VERIFY": "off", "PASSBOT_GRAPH_TENANT_ID": "t", "PASSBOT_GRAPH_CLIENT_ID": "c",
			"AZURE_CLIENT_SECRET": "", "AZURE_CLIENT_CERTIFICATE_PATH": "", "AZURE_USERNAME": "",
			"AZURE_FEDERATED_TOKEN_FILE": "", "IDENTITY_ENDPOINT": "", "MSI_ENDPOINT": ""}, "no Graph credential"},
	}
	// The cases with a chat platform get past PASSBOT_REDIS_URL's check.
	t.Setenv("PASSBOT_REDIS_URL", redistest.Start(t).URL)
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			var out, errs bytes.Buffer
			err := run(context.Background(), nil, strings.NewReader(""), &out, &errs)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// withGraph adds Graph settings that point at this machine, where nothing
// answers: a setting refused at start never gets to call Graph.
func withGraph(env map[string]string) map[string]string {
	for k, v := range map[string]string{"PASSBOT_GRAPH_URL": "http://127.0.0.1:1/beta", "PASSBOT_GRAPH_AUTHORITY_URL": "http://127.0.0.1:1/",
		"PASSBOT_GRAPH_TENANT_ID": "t", "PASSBOT_GRAPH_CLIENT_ID": "c", "PASSBOT_GRAPH_CLIENT_SECRET": "s"} {
		env[k] = v
	}
	return env
}

func TestConsoleApprovalStoryWithTwoPersonas(t *testing.T) {
	out, logs := runConsole(t, nil,
		"reset my passcode",
		"Contoso Galaxy Tab (Android)",
		"Ask the helpdesk",
		"Forgot the PIN after my holiday",
		"Approve", // Adele is no approver
		"/as helpdesk",
		"Approve",
		"/as adele.vance@contoso.com",
		"Sign in again",
		"/signin",
		"Yes, reset",
	)
	for _, want := range []string{
		"helpdesk channel> 🔐 Passcode reset request",
		"Reason: Forgot the PIN after my holiday",
		"[1] Approve  [2] Deny",
		"Only helpdesk approvers can decide",
		"-- you are now helpdesk (helpdesk approver)",
		"bot to adele.vance@contoso.com> Your company support (helpdesk) approved the passcode reset of Contoso Galaxy Tab.",
		"bot to adele.vance@contoso.com> Reset the passcode of Contoso Galaxy Tab?",
		"✅ Approved by helpdesk.",
		"-- you are now adele.vance@contoso.com (employee)",
		"bot (edits an earlier message)> ✅ You signed in as adele.vance@contoso.com.",
		"bot> Do you have Contoso Galaxy Tab with you?",
		"bot (only you)> The passcode of Contoso Galaxy Tab was removed. Your temporary passcode (letters and numbers) is: ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s\nlogs:\n%s", out, logs)
	}

	export := auditExport(t)
	lines := strings.Split(strings.TrimSpace(export), "\n")
	var actions []string
	for _, l := range lines {
		var r struct{ Action, Outcome string }
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("export line %q: %v", l, err)
		}
		actions = append(actions, r.Action+":"+r.Outcome)
	}
	if got, want := strings.Join(actions, " "), "request:pending refuse:not_approver approve:ok verify:ok link:ok reset_started:started reset:done"; got != want {
		t.Errorf("audit export %q, want %q", got, want)
	}
	code := out[strings.Index(out, "letters and numbers) is: ")+len("letters and numbers) is: "):]
	code = code[:strings.Index(code, "\n")]
	if strings.Contains(export, code) || strings.Contains(logs, code) {
		t.Error("the passcode is in the audit export or the logs")
	}
}

func TestVersionNeedsNoConfiguration(t *testing.T) {
	t.Setenv("PASSBOT_PLATFORMS", "teams") // would fail start-up
	var out, errs bytes.Buffer
	if err := run(context.Background(), []string{"--version"}, strings.NewReader(""), &out, &errs); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^passbot dev \(commit unknown, built unknown, go1\.\d+\.\d+\)\n$`).MatchString(out.String()) {
		t.Errorf("--version printed %q", out.String())
	}
}

func TestTeamsPackageNeedsOnlyTheAppID(t *testing.T) {
	t.Setenv("PASSBOT_PLATFORMS", "teams") // would fail start-up
	t.Setenv("PASSBOT_TEAMS_APP_ID", "8f1e3a52-6b3c-4d7e-9a10-2b4c6d8e0f12")
	var out, errs bytes.Buffer
	if err := run(context.Background(), []string{"teams", "package"}, strings.NewReader(""), &out, &errs); err != nil {
		t.Fatal(err)
	}
	z, err := zip.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil || len(z.File) != 3 || z.File[0].Name != "manifest.json" {
		t.Fatalf("package: %v %+v", err, z)
	}
}

// The log tells an operator what runs, each reset's outcome and the end:
// a start line with the version and settings, one line per reset, a stop
// line; no passcode in any of them.
func TestLogSaysStartResetAndStop(t *testing.T) {
	out, logs := runConsole(t, nil, "reset my passcode", "1", "1", "sign in again", "/signin", "yes, reset")
	type line struct {
		Level, Msg, Version, Platforms, Redis, Step, Outcome, Device string
	}
	var lines []line
	for l := range strings.Lines(logs) {
		var ln line
		if err := json.Unmarshal([]byte(l), &ln); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		lines = append(lines, ln)
	}
	count := func(msg string) (n int, last line) {
		for _, l := range lines {
			if l.Msg == msg {
				n, last = n+1, l
			}
		}
		return n, last
	}
	if n, l := count("passbot started"); n != 1 || l.Level != "INFO" || l.Version != version || l.Platforms != "console" || !strings.HasPrefix(l.Redis, "unix://") {
		t.Errorf("start lines: %d, last %+v", n, l)
	}
	if n, l := count("passcode reset"); n != 1 || l.Level != "INFO" || l.Step != "sent" || l.Outcome == "" || l.Device == "" {
		t.Errorf("reset lines: %d, last %+v\n%s", n, l, logs)
	}
	if n, _ := count("passbot stopped"); n != 1 {
		t.Errorf("stop lines: %d", n)
	}
	if m := regexp.MustCompile(`passcode[^:]*is: ([a-zA-Z0-9]+)`).FindStringSubmatch(out); m == nil || strings.Contains(logs, m[1]) {
		t.Errorf("no passcode shown, or the passcode is in the logs:\n%s", out)
	}
}

// A cron job forwards the audit trail to a SIEM incrementally: each line
// is a JSON object with its "id", and -since that ID exports what came
// after it.
func TestAuditExportSinceTheLastID(t *testing.T) {
	runConsole(t, nil, "reset my passcode", "1", "1", "sign in again", "/signin", "yes, reset")
	all := strings.Split(strings.TrimSpace(auditExport(t)), "\n")
	if len(all) < 2 {
		t.Fatalf("audit export after a reset: %q", all)
	}
	var first struct{ ID, Action string }
	if err := json.Unmarshal([]byte(all[0]), &first); err != nil || first.ID == "" || first.Action == "" {
		t.Fatalf("first line %q: %v", all[0], err)
	}
	rest := strings.Split(strings.TrimSpace(auditExport(t, "-since", first.ID)), "\n")
	if !slices.Equal(rest, all[1:]) {
		t.Errorf("export -since %s:\n%q\nwant\n%q", first.ID, rest, all[1:])
	}
	if from := auditExport(t, "--since", "2000-01-01T00:00:00Z"); strings.TrimSpace(from) != strings.Join(all, "\n") {
		t.Errorf("export --since 2000: %q", from)
	}
}

// The developer URLs come from flags, not from a rebuilt binary.
func TestTeamsPackageTakesTheDeveloperFromFlags(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"teams", "package", "-app-id", "8f1e3a52-6b3c-4d7e-9a10-2b4c6d8e0f12",
		"-developer-name", "Contoso IT", "-website-url", "https://it.contoso.com", "-privacy-url", "https://it.contoso.com/privacy",
		"-terms-url", "https://it.contoso.com/terms"}, strings.NewReader(""), &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	z, err := zip.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil {
		t.Fatal(err)
	}
	r, err := z.Open("manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	manifest, _ := io.ReadAll(r)
	for _, want := range []string{`"name": "Contoso IT"`, `"privacyUrl": "https://it.contoso.com/privacy"`, `"8f1e3a52-6b3c-4d7e-9a10-2b4c6d8e0f12"`} {
		if !strings.Contains(string(manifest), want) {
			t.Errorf("manifest.json lacks %s:\n%s", want, manifest)
		}
	}
	if age := time.Since(z.File[0].Modified); age < 0 || age > time.Hour {
		t.Errorf("manifest.json dated %v, want now", z.File[0].Modified)
	}
}

// An agent decides a given request by its ID, whatever the console printed
// since its card.
func TestConsoleApproveByID(t *testing.T) {
	c := startConsoleChat(t)
	c.say("reset my passcode", "Contoso Galaxy Tab (Android)", "Ask the helpdesk", "Forgot the PIN after my holiday")
	c.waitFor("is with the helpdesk")
	id := regexp.MustCompile(`Passcode reset request ([A-Z0-9]+)`).FindStringSubmatch(c.out.String())
	if id == nil {
		t.Fatalf("no card in:\n%s", c.out)
	}
	// Something else with buttons comes after the card: "approve" alone
	// would not reach it any more.
	c.say("reset my passcode")
	c.waitFor("Which device do you want to manage?")
	c.say("/as helpdesk", "approve "+strings.ToLower(id[1]))
	c.waitFor("bot to adele.vance@contoso.com> Reset the passcode of Contoso Galaxy Tab?")
	c.waitFor("✅ Approved by helpdesk.")
}

// A PASSBOT_PUBLIC_URL with a trailing slash starts (ServeMux panicked on
// "//demo-idp") and its links have one slash: the demo sign-in works
// through them.
func TestPublicURLWithATrailingSlash(t *testing.T) {
	addr := enginetest.FreeAddr(t)
	out, _ := runConsole(t, map[string]string{"PASSBOT_DEMO_FLEET": "testdata/graph_fleet.json",
		"PASSBOT_HTTP_ADDR": addr, "PASSBOT_PUBLIC_URL": "http://" + addr + "/"},
		"reset my passcode", "1", "reset passcode", "1", "/signin", "Yes, reset")
	if !strings.Contains(out, "http://"+addr+"/signin/") || !strings.Contains(out, "Your temporary passcode") {
		t.Errorf("no sign-in through http://%s/signin/ and no reset:\n%s", addr, out)
	}

	// Under a path (a proxy's prefix) the links keep it, with one slash.
	addr = enginetest.FreeAddr(t)
	out, _ = runConsole(t, map[string]string{"PASSBOT_DEMO_FLEET": "testdata/graph_fleet.json",
		"PASSBOT_HTTP_ADDR": addr, "PASSBOT_PUBLIC_URL": "http://" + addr + "/bot/"},
		"reset my passcode", "1", "reset passcode", "1")
	if !regexp.MustCompile(`http://` + regexp.QuoteMeta(addr) + `/bot/signin/[A-Za-z0-9_-]+`).MatchString(out) {
		t.Errorf("no link under http://%s/bot/signin/:\n%s", addr, out)
	}
}

// Commands passbot does not know, and extra words after one it knows, are
// refused at once with the short usage and exit status 2; `version` needs
// neither settings nor Redis (PASSBOT_REDIS_URL points where nothing
// listens).
func TestCommandLine(t *testing.T) {
	t.Setenv("PASSBOT_REDIS_URL", "redis://127.0.0.1:1/0")
	for _, args := range [][]string{{"healthcheck", "extra"}, {"frobnicate"}, {"audit"}, {"audit", "export", "now"}, {"audit", "export", "-since", "yesterday"}, {"teams"}, {"teams", "package", "-nope"}, {"teams", "package", "extra"}, {"-nope"}, {"-discord-unregister", "audit", "export"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var out, errs bytes.Buffer
			err := run(context.Background(), args, strings.NewReader(""), &out, &errs)
			if err == nil || exitCode(err) != 2 || !strings.HasSuffix(err.Error(), usage) {
				t.Errorf("err %v (exit %d), want the usage and exit 2", err, exitCode(err))
			}
			if out.Len()+errs.Len() > 0 {
				t.Errorf("printed %q %q besides the error", out.String(), errs.String())
			}
		})
	}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		var out bytes.Buffer
		if err := run(context.Background(), args, strings.NewReader(""), &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), "passbot dev (commit") {
			t.Errorf("%s: %v, printed %q", args, err, out.String())
		}
	}
}

// TestMain runs the real program instead of the tests when a test asks for
// it, so that test sees its exit status and output as an operator would.
func TestMain(m *testing.M) {
	if os.Getenv("PASSBOT_TEST_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// The program refuses bad settings and command lines with its exit status,
// within a second, naming what to change.
func TestProgramExitsAtOnceOnBadSettings(t *testing.T) {
	graph := []string{"PASSBOT_GRAPH_URL=http://127.0.0.1:1/beta", "PASSBOT_GRAPH_AUTHORITY_URL=http://127.0.0.1:1/",
		"PASSBOT_GRAPH_TENANT_ID=t", "PASSBOT_GRAPH_CLIENT_ID=c", "PASSBOT_GRAPH_CLIENT_SECRET=s"}
	cases := []struct {
		name string
		args []string
		env  []string
		code int
		want string
	}{
		{"a demo sign-in before Intune", nil, append([]string{"PASSBOT_DEVICES=intune", "PASSBOT_VERIFY=demo"}, graph...), 1, "PASSBOT_VERIFY"},
		{"slack without Redis", nil, []string{"PASSBOT_PLATFORMS=slack", "PASSBOT_SLACK_BOT_TOKEN=xoxb-1", "PASSBOT_SLACK_APP_TOKEN=xapp-1", "PASSBOT_HELPDESK_CHANNEL=C1"}, 1, "PASSBOT_REDIS_URL"},
		{"a sweep every 0s", nil, []string{"PASSBOT_SWEEP_SPEC=@every 0s"}, 1, "PASSBOT_SWEEP_SPEC"},
		{"version", []string{"version"}, []string{"PASSBOT_REDIS_URL=redis://127.0.0.1:1/0"}, 0, "passbot dev"},
		{"healthcheck extra", []string{"healthcheck", "extra"}, []string{"PASSBOT_REDIS_URL=redis://127.0.0.1:1/0"}, 2, "\n" + usage + "\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], tc.args...)
			// GORACE: a -race binary otherwise waits a second at exit.
			env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "PASSBOT_") })
			cmd.Env = append(env, append(tc.env, "PASSBOT_TEST_RUN_MAIN=1", "GORACE=atexit_sleep_ms=0")...)
			cmd.Stdin = strings.NewReader("")
			began := time.Now()
			out, _ := cmd.CombinedOutput()
			took := time.Since(began)
			if code := cmd.ProcessState.ExitCode(); code != tc.code || !strings.Contains(string(out), tc.want) {
				t.Errorf("exit %d, printed %q; want %d and %q", code, out, tc.code, tc.want)
			}
			if took > time.Second {
				t.Errorf("took %v, want under a second", took)
			}
		})
	}
}
