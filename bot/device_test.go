package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/bot/eligibility"
)

// A DeviceRef is judged by its kind, OS version and ownership; the rules
// themselves are eligibility's (TestRules).
func TestDeviceRefEligibilityReadsVersionAndOwnership(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    DeviceRef
		want eligibility.ResetMode
	}{
		{"Android device administrator 7.0", DeviceRef{Kind: eligibility.AndroidAdmin, OSVersion: "7.0"}, eligibility.FactoryReset},
		{"corporate-owned iPhone", DeviceRef{Kind: eligibility.IOS, OSVersion: "17.4", Company: true}, eligibility.NeedsApproval},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if e := tc.d.Eligibility(); e.Reset != tc.want || e.Kind != tc.d.Kind {
				t.Errorf("reset mode %v kind %q, want %v %q", e.Reset, e.Kind, tc.want, tc.d.Kind)
			}
		})
	}
}

func TestSilentDevicesGoToTheHelpdesk(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		synced time.Time
		want   eligibility.ResetMode
	}{
		{"checked in an hour ago", now.Add(-time.Hour), eligibility.SelfService},
		{"silent for 8 days: warned, still self-service", now.Add(-8*24*time.Hour - time.Hour), eligibility.SelfService},
		{"silent for 31 days", now.Add(-31*24*time.Hour - time.Hour), eligibility.NeedsApproval},
		{"no check-in time", time.Time{}, eligibility.SelfService},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := DeviceRef{Kind: eligibility.AndroidAdmin, OSVersion: "6.0.1", LastSync: tc.synced}
			if got := d.EligibilityAt(now).Reset; got != tc.want {
				t.Errorf("reset mode %v, want %v", got, tc.want)
			}
		})
	}
}

func TestLockPINCountsAsUsedOnceTheMacCheckedInAfterTheLock(t *testing.T) {
	locked := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		r      LockResult
		unused bool
	}{
		{"no lock yet", LockResult{}, false},
		{"lock on its way", LockResult{State: ActionPending, Updated: locked}, true},
		{"locked, Mac silent since", LockResult{State: ActionDone, Updated: locked, LastSync: locked.Add(-time.Hour)}, true},
		{"locked, Mac checked in after (unlocked with the PIN)", LockResult{State: ActionDone, Updated: locked, LastSync: locked.Add(time.Hour)}, false},
		{"locked, the check-in that took the lock", LockResult{State: ActionDone, Updated: locked, LastSync: locked.Add(time.Minute)}, true},
		{"lock failed: no PIN took effect", LockResult{State: ActionFailed, Updated: locked}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.Unused(); got != tc.unused {
				t.Errorf("Unused() = %v, want %v", got, tc.unused)
			}
		})
	}
	if s := (LockResult{State: ActionDone, UnlockPin: "123456"}).String(); strings.Contains(s, "123456") {
		t.Errorf("String() shows the PIN: %q", s)
	}
}

func TestResetResultStringHidesThePasscode(t *testing.T) {
	r := ResetResult{State: ActionDone, Passcode: "s3cr3t42"}
	if s := r.String(); s != "reset done" {
		t.Errorf("String() = %q", s)
	}
}
