package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

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
		{map[string]string{"PASSBOT_PUBLIC_URL": "http://passbot.contoso.com"}, "PASSBOT_PUBLIC_URL"},
		{map[string]string{"PASSBOT_DEVICES": "intune", "PASSBOT_GRAPH_TENANT_ID": "t", "PASSBOT_GRAPH_CLIENT_ID": "c", "PASSBOT_GRAPH_CLIENT_SECRET": "s"}, "PASSBOT_HTTP_ADDR, PASSBOT_PUBLIC_URL"},
		{map[string]string{"PASSBOT_VERIFY": "entra", "PASSBOT_HTTP_ADDR": "127.0.0.1:0", "PASSBOT_PUBLIC_URL": "https://passbot.contoso.com"}, "PASSBOT_GRAPH_CLIENT_ID, PASSBOT_GRAPH_CLIENT_SECRET or PASSBOT_GRAPH_CERTIFICATE_PATH, PASSBOT_GRAPH_TENANT_ID"},
		{map[string]string{"PASSBOT_VERIFY": "entra", "PASSBOT_HTTP_ADDR": "127.0.0.1:0", "PASSBOT_PUBLIC_URL": "https://passbot.contoso.com", "PASSBOT_GRAPH_TENANT_ID": "common", "PASSBOT_GRAPH_CLIENT_ID": "c", "PASSBOT_GRAPH_CLIENT_SECRET": "s"}, "PASSBOT_GRAPH_TENANT_ID"},
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
		{map[string]string{"PASSBOT_DEVICES": "intune", "PASSBOT_VERIFY": "off", "PASSBOT_GRAPH_TENANT_ID": "t", "PASSBOT_GRAPH_CLIENT_ID": "c",
			"AZURE_CLIENT_SECRET": "", "AZURE_CLIENT_CERTIFICATE_PATH": "", "AZURE_USERNAME": "",
			"AZURE_FEDERATED_TOKEN_FILE": "", "IDENTITY_ENDPOINT": "", "MSI_ENDPOINT": ""}, "no Graph credential"},
	}
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
		"bot> ✅ You signed in as adele.vance@contoso.com.",
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
