package main

import (
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/store/redistest"
)

const macName = "Megan's MacBook"

func TestIntuneMacLockShowsItsPINOnceAndRefusesASecondLock(t *testing.T) {
	const pin = "482913"
	fake, _ := meganGraph(t)
	mac := fake.AddManagedDevice(map[string]any{
		"deviceName": macName, "operatingSystem": "macOS", "osVersion": "14.4.1", "deviceType": "macMDM",
		"managedDeviceOwnerType": "company", "userPrincipalName": megan, "managementAgent": "mdm",
		"lastSyncDateTime": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339),
	})
	fake.OnLock(mac, "done", pin)
	c := startGraphChat(t, fake, megan)

	c.say("reset my passcode")
	c.waitFor("[4] " + macName + " (macOS)")
	c.say("4", "Remote Lock")
	c.waitFor("6-digit recovery PIN")
	if n := len(c.requests("POST", "/remoteLock")); n != 0 {
		t.Fatalf("%d locks before the confirmation", n)
	}
	c.say("Lock it")
	c.waitFor("I will send you its recovery PIN")
	if n := c.sweepAfter(pollEvery); n != 1 {
		t.Errorf("PIN read: %d follow-ups fired, want 1", n)
	}
	c.waitFor("bot (only you)> The recovery PIN of " + macName + " is: " + pin)
	if n := c.sweepAfter(time.Hour); n != 0 {
		t.Errorf("%d follow-ups after the PIN was shown, want none", n)
	}

	// The Mac has not checked in since: its PIN is unused.
	c.say("reset my passcode", "4", "Remote Lock", "Lock it")
	c.waitFor("recovery PIN was not used yet")
	if n := len(c.requests("POST", "/remoteLock")); n != 1 {
		t.Errorf("%d remoteLock calls, want 1: the second lock must not be sent", n)
	}
	// Unlocked with the PIN, the Mac checks in: it may be locked again.
	fake.CheckIn(mac, time.Now().Add(time.Hour))
	c.say("reset my passcode", "4", "Remote Lock", "Lock it")
	c.waitFor("I will send you its recovery PIN")
	out, logs := c.quit()

	if n := len(c.requests("POST", "/remoteLock")); n != 2 {
		t.Errorf("%d remoteLock calls, want 2", n)
	}
	if strings.Count(out, pin) != 1 {
		t.Errorf("the PIN appears %d times, want once:\n%s", strings.Count(out, pin), out)
	}
	if strings.Contains(logs, pin) {
		t.Errorf("the PIN is in the logs")
	}
	contents, err := redistest.Contents(t.Context(), c.redis.Client())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(contents, pin) {
		t.Error("Redis holds the PIN")
	}
}
