package bot

import (
	"strings"
	"testing"
	"time"
)

// One row per line of the eligibility table, with the Graph properties that
// Intune reports for such a device.
func TestEligibilityFromGraphProperties(t *testing.T) {
	cases := []struct {
		name string
		d    Device
		want Eligibility
	}{
		{"Android device administrator 6.0.1", Device{OperatingSystem: "Android", OSVersion: "6.0.1", OwnerType: "personal"},
			Eligibility{Kind: AndroidAdmin, Reset: SelfService, Passcode: Alphanumeric}},
		{"Android device administrator 6.0 no patch", Device{OperatingSystem: "Android", OSVersion: "6.0", DeviceType: "android"},
			Eligibility{Kind: AndroidAdmin, Reset: SelfService, Passcode: Alphanumeric}},
		{"Android 7.0 needs a factory reset", Device{OperatingSystem: "Android", OSVersion: "7.0"},
			Eligibility{Kind: AndroidAdmin, Reset: FactoryReset, Passcode: Alphanumeric}},
		{"Android 13", Device{OperatingSystem: "Android", OSVersion: "13"},
			Eligibility{Kind: AndroidAdmin, Reset: FactoryReset, Passcode: Alphanumeric}},
		{"Android Enterprise personally owned work profile: no remote lock", Device{OperatingSystem: "Android", OSVersion: "14", DeviceType: "androidForWork"},
			Eligibility{Kind: AndroidWorkProfile, Reset: NeedsApproval, Passcode: Alphanumeric, WorkProfile: true, MinMajor: 8}},
		{"personally owned work profile below Android 8.0: no reset", Device{OperatingSystem: "Android", OSVersion: "7.1.2", DeviceType: "androidForWork"},
			Eligibility{Kind: AndroidWorkProfile, Reset: NotSupported, Passcode: Alphanumeric, WorkProfile: true, MinMajor: 8}},
		{"Android Enterprise corporate-owned work profile", Device{OperatingSystem: "Android", OSVersion: "14", DeviceType: "androidForWork", EnrollmentType: "androidEnterpriseCorporateWorkProfile"},
			Eligibility{Kind: AndroidCorporateWorkProfile, Reset: NeedsApproval, Passcode: Alphanumeric, RemoteLock: true, WorkProfile: true}},
		{"Android Enterprise fully managed", Device{OperatingSystem: "Android", OSVersion: "14", EnrollmentType: "androidEnterpriseFullyManaged"},
			Eligibility{Kind: AndroidEnterprise, Reset: NeedsApproval, Passcode: Alphanumeric, RemoteLock: true, WorkProfile: true}},
		{"Android Enterprise dedicated", Device{OperatingSystem: "Android", OSVersion: "12", EnrollmentType: "androidEnterpriseDedicatedDevice"},
			Eligibility{Kind: AndroidDedicated, Reset: NeedsApproval, Passcode: Alphanumeric, RemoteLock: true}},
		{"Android Enterprise on Graph v1.0, personal", Device{OperatingSystem: "Android", OSVersion: "14", ManagementAgent: "googleCloudDevicePolicyController"},
			Eligibility{Kind: AndroidWorkProfile, Reset: NeedsApproval, Passcode: Alphanumeric, WorkProfile: true, MinMajor: 8}},
		{"Android Enterprise on Graph v1.0, company-owned", Device{OperatingSystem: "Android", OSVersion: "14", ManagementAgent: "googleCloudDevicePolicyController", OwnerType: "company"},
			Eligibility{Kind: AndroidEnterprise, Reset: NeedsApproval, Passcode: Alphanumeric, RemoteLock: true, WorkProfile: true}},
		{"AOSP", Device{OperatingSystem: "AOSP", OSVersion: "12", EnrollmentType: "androidAOSPUserOwnedDeviceEnrollment"},
			Eligibility{Kind: AOSP, Reset: NeedsApproval, Passcode: Alphanumeric, RemoteLock: true}},
		{"AOSP known only by its management agent", Device{OperatingSystem: "Android", OSVersion: "12", ManagementAgent: "intuneAosp"},
			Eligibility{Kind: AOSP, Reset: NeedsApproval, Passcode: Alphanumeric, RemoteLock: true}},
		{"iPhone", Device{OperatingSystem: "iOS", OSVersion: "17.4.1", DeviceType: "iPhone"},
			Eligibility{Kind: IOS, Reset: SelfService, Passcode: NoPasscode, RemoteLock: true}},
		{"iPad", Device{OperatingSystem: "iPadOS", OSVersion: "17.4"},
			Eligibility{Kind: IOS, Reset: SelfService, Passcode: NoPasscode, RemoteLock: true}},
		{"iOS User Enrollment", Device{OperatingSystem: "iOS", OSVersion: "17.4", EnrollmentType: "appleUserEnrollment"},
			Eligibility{Kind: IOSUserEnrollment, Reset: NotSupported, RemoteLock: true}},
		{"Windows 10 Mobile", Device{OperatingSystem: "Windows", OSVersion: "10.0.15063.1868", DeviceType: "windowsPhone"},
			Eligibility{Kind: Windows10Mobile, Reset: NeedsApproval, Passcode: Alphanumeric, SupportEnded: true}},
		{"Windows Phone 8.1", Device{OperatingSystem: "Windows", OSVersion: "8.10.15148.160", DeviceType: "windowsPhone"},
			Eligibility{Kind: WindowsPhone81, Reset: NeedsApproval, Passcode: Numeric, SupportEnded: true}},
		{"Windows Phone 8.1 without deviceType (Graph v1.0)", Device{OperatingSystem: "Windows", OSVersion: "8.10.14219.341"},
			Eligibility{Kind: WindowsPhone81, Reset: NeedsApproval, Passcode: Numeric, SupportEnded: true}},
		{"desktop Windows 8.1", Device{OperatingSystem: "Windows", OSVersion: "6.3.9600"},
			Eligibility{Kind: WindowsPC, Reset: NotSupported}},
		{"Windows Phone 8.0 is not supported", Device{OperatingSystem: "Windows", OSVersion: "8.0.10517", DeviceType: "windowsPhone"},
			Eligibility{Kind: Unknown, Reset: NotSupported}},
		{"Windows PC", Device{OperatingSystem: "Windows", OSVersion: "10.0.22631.3447", DeviceType: "desktop"},
			Eligibility{Kind: WindowsPC, Reset: NotSupported}},
		{"macOS", Device{OperatingSystem: "macOS", OSVersion: "14.4.1", DeviceType: "macMDM"},
			Eligibility{Kind: MacOS, Reset: NotSupported, RemoteLock: true, LockPIN: true}},
		{"corporate-owned Android 6", Device{OperatingSystem: "Android", OSVersion: "6.0.1", OwnerType: "company"},
			Eligibility{Kind: AndroidAdmin, Reset: NeedsApproval, Passcode: Alphanumeric}},
		{"corporate-owned iPhone", Device{OperatingSystem: "iOS", OSVersion: "17.4", OwnerType: "company"},
			Eligibility{Kind: IOS, Reset: NeedsApproval, Passcode: NoPasscode, RemoteLock: true}},
		{"corporate-owned Android 10 still needs a factory reset", Device{OperatingSystem: "Android", OSVersion: "10", OwnerType: "company"},
			Eligibility{Kind: AndroidAdmin, Reset: FactoryReset, Passcode: Alphanumeric}},
		{"unknown OS", Device{OperatingSystem: "BlackBerry", OSVersion: "10"},
			Eligibility{Kind: Unknown, Reset: NotSupported}},
		{"garbage version", Device{OperatingSystem: "Android", OSVersion: "unknown"},
			Eligibility{Kind: AndroidAdmin, Reset: SelfService, Passcode: Alphanumeric}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.d.Eligibility(); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestSilentDevicesGoToTheHelpdesk(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		synced string
		want   ResetMode
	}{
		{"checked in an hour ago", "2026-11-25T08:00:00Z", SelfService},
		{"silent for 8 days: warned, still self-service", "2026-11-17T08:00:00Z", SelfService},
		{"silent for 31 days", "2026-10-25T08:00:00Z", NeedsApproval},
		{"never checked in (Graph's zero date): unknown", "0001-01-01T00:00:00Z", SelfService},
		{"no check-in time", "", SelfService},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Device{OperatingSystem: "Android", OSVersion: "6.0.1", LastSyncDateTime: tc.synced}
			if got := d.Ref().EligibilityAt(now).Reset; got != tc.want {
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

func FuzzParseAction(f *testing.F) {
	f.Add("ABCDEFGH|3|U123|device:2")
	f.Add("||||")
	f.Add("x|-1|u|a")
	f.Add("x|99999999999999999999|u|a")
	f.Fuzz(func(t *testing.T, s string) {
		a, ok := parseAction(s)
		if !ok {
			return
		}
		if a.Conv == "" || a.Owner == "" || a.Name == "" || a.Version < 0 {
			t.Fatalf("parseAction(%q) accepted %+v", s, a)
		}
		c := &Conversation{ID: a.Conv, Version: a.Version, Owner: User{ID: a.Owner}}
		name := strings.SplitN(s, "|", 4)[3]
		if b, _ := parseAction(stamp(c, name)); b != a {
			t.Fatalf("round trip of %q: %+v != %+v", s, b, a)
		}
	})
}
