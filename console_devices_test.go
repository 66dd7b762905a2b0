package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
)

// Console transcripts over the embedded demo fleet, which holds a device
// of every kind and state (adapters/demo/fleet.json).

func wantOutput(t *testing.T, out, logs string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q", w)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s\nlogs:\n%s", out, logs)
	}
}

// auditExport runs "passbot audit export" with flags against the test's
// Redis.
func auditExport(t *testing.T, flags ...string) string {
	t.Helper()
	var export, errs bytes.Buffer
	if err := run(context.Background(), append([]string{"audit", "export"}, flags...), strings.NewReader(""), &export, &errs); err != nil {
		t.Fatalf("audit export: %v\n%s", err, errs.String())
	}
	return export.String()
}

func TestConsoleWorkProfileReset(t *testing.T) {
	out, logs := runConsole(t, nil,
		"reset my passcode",
		"Adele's work profile Pixel 8 (Android Enterprise work profile)",
		"Ask the helpdesk",
		"Forgot my work PIN",
		"/as helpdesk",
		"Approve",
		"/as adele.vance@contoso.com",
		"Sign in again",
		"/signin", // on the demo provider's page, as a browser would
		"yes",
	)
	wantOutput(t, out, logs,
		"Intune resets the passcode of the work profile on Adele's work profile Pixel 8, not the passcode of the device itself.",
		"a notification on the device asks you to activate the new work profile passcode",
		"I can ask the helpdesk to approve a reset for you.",
		"bot to adele.vance@contoso.com> Reset the passcode of Adele's work profile Pixel 8?",
		"bot> Do you have Adele's work profile Pixel 8 with you?",
		"bot (only you)> The work profile passcode of Adele's work profile Pixel 8 was reset. Your temporary work profile passcode is: ",
		"Tap the notification on the device to activate it and enter this passcode",
	)
}

func TestConsoleMacLockShowsItsPIN(t *testing.T) {
	out, logs := runConsole(t, nil,
		"reset my passcode",
		"Adele's MacBook Air (macOS)",
		"Remote Lock",
		"Lock it",
		"reset my passcode",
		"Adele's MacBook Air (macOS)",
		"Remote Lock",
		"Lock it",
	)
	wantOutput(t, out, logs,
		"Lock Adele's MacBook Air remotely? Whoever has it then needs its passcode to use it.",
		"A Mac is locked with a 6-digit recovery PIN. I will show it only to you",
		"[1] Lock it  [2] Cancel",
		"bot> 🔒 Adele's MacBook Air is being locked remotely.",
		"This Mac is still locked by an earlier Remote Lock whose recovery PIN was not used yet.",
	)
	pins := regexp.MustCompile(`(?m)^bot \(only you\)> The recovery PIN of Adele's MacBook Air is: (\d{6})$`).FindAllStringSubmatch(out, -1)
	if len(pins) != 1 {
		t.Fatalf("%d private PIN replies, want 1:\n%s", len(pins), out)
	}
	if strings.Count(out, pins[0][1]) != 1 || strings.Contains(logs, pins[0][1]) {
		t.Errorf("the PIN %s is shown more than once or logged", pins[0][1])
	}
	export := auditExport(t)
	if strings.Contains(export, pins[0][1]) {
		t.Error("the PIN is in the audit trail")
	}
	if !strings.Contains(export, `"action":"remote_lock","device":"demo-0009","device_name":"Adele's MacBook Air","outcome":"error.lock.unused"`) {
		t.Errorf("the refused second lock is not audited:\n%s", export)
	}
}

func TestConsoleNoThenReportItLost(t *testing.T) {
	out, logs := runConsole(t, nil,
		"reset my passcode",
		"Adele's iPhone (iOS/iPadOS)",
		"Reset Passcode",
		"Sign in again",
		"/signin",
		"No",
		"Report it lost",
	)
	wantOutput(t, out, logs,
		"OK, the passcode of Adele's iPhone was not reset.",
		"[1] Remote Lock  [2] Report it lost  [3] Close",
		"helpdesk channel> 📵 Device reported lost or stolen",
		"From: adele.vance@contoso.com (adele.vance@contoso.com)",
		"Device: Adele's iPhone, iOS/iPadOS 17.4.1",
		"Last check-in: ",
		"Consider Remote Lock, retire or wipe in Intune.",
		"bot> I told your company support (the IT helpdesk) that Adele's iPhone is lost or stolen",
		"They will contact you",
	)
	if export := auditExport(t); !strings.Contains(export, `"action":"report_lost","device":"demo-0003"`) {
		t.Errorf("no audit record of the report:\n%s", export)
	}
}

func TestConsoleStaleDevices(t *testing.T) {
	out, logs := runConsole(t, nil,
		"reset my passcode",
		"Adele's Galaxy S6 (Android)",
		"Back",
		"Adele's Galaxy Note 5 (Android)",
		"Back",
		"Adele's Lumia 950 (Windows 10 Mobile)",
	)
	wantOutput(t, out, logs,
		"Last check-in with Intune: ",
		"(10 days ago).",
		"⚠️ Adele's Galaxy S6 has not checked in with Intune for 10 days. Intune acts on a device only when it next connects",
		"[1] Reset Passcode  [2] Report it lost  [3] Back  [4] Cancel",
		"Adele's Galaxy Note 5 has not checked in with Intune for 50 days.",
		"Adele's Lumia 950 has not checked in with Intune for ",
		"[1] Ask the helpdesk  [2] Report it lost  [3] Back  [4] Cancel",
	)
}

// A personal iPhone enrolled by account-driven User Enrollment, as a new
// user meets it in the console: Intune can lock it, not remove its
// passcode, in either language.
func TestConsoleUserEnrolledIPhoneOffersNoPasscodeRemoval(t *testing.T) {
	cases := []struct {
		locale, start string
		want          []string
		never         string
	}{
		{"en", "reset my passcode", []string{
			"Adele's personal iPhone 15 (iOS/iPadOS (User Enrollment))",
			"Adele's personal iPhone 15 is enrolled with Apple User Enrollment: Intune can lock it remotely, but cannot remove its passcode.",
			"[1] Remote Lock  [2] Report it lost  [3] Back  [4] Cancel",
		}, "Reset Passcode"},
		{"nl", "wachtwoordcode vergeten", []string{
			"Adele's personal iPhone 15 (iOS/iPadOS (gebruikersinschrijving))",
			"Intune kan het extern vergrendelen, maar de wachtwoordcode niet verwijderen.",
			"[1] Extern vergrendelen  [2] Meld als verloren  [3] Terug  [4] Annuleren",
		}, "[1] Wachtwoordcode opnieuw instellen"},
	}
	for _, tc := range cases {
		t.Run(tc.locale, func(t *testing.T) {
			out, logs := runConsole(t, map[string]string{"PASSBOT_CONSOLE_LOCALE": tc.locale}, tc.start, "16")
			wantOutput(t, out, logs, tc.want...)
			if i := strings.LastIndex(out, "iPhone 15\n"); i < 0 || strings.Contains(out[i:], tc.never) {
				t.Errorf("no card of the iPhone, or it offers %q", tc.never)
			}
		})
	}
}
