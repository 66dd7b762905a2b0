package eligibility

import (
	"strconv"
	"strings"
	"time"
)

// Kind is the device family as far as passcode reset is concerned.
type Kind string

// Device kinds, from the seed guide and Intune's passcode-reset documentation.
const (
	AndroidAdmin       Kind = "android"              // Android device administrator (legacy)
	AndroidEnterprise  Kind = "android-enterprise"   // fully managed, or corporate Android Enterprise Graph does not tell apart
	AndroidWorkProfile Kind = "android-work-profile" // personally owned work profile
	// AndroidCorporateWorkProfile is the corporate-owned work profile (COPE),
	// AndroidDedicated the userless kiosk-style device (COSU).
	AndroidCorporateWorkProfile Kind = "android-corporate-work-profile"
	AndroidDedicated            Kind = "android-dedicated"
	AOSP                        Kind = "aosp"
	IOS                         Kind = "ios" // iOS and iPadOS
	IOSUserEnrollment           Kind = "ios-user-enrollment"
	Windows10Mobile             Kind = "windows10mobile"
	WindowsPhone81              Kind = "windowsphone81"
	WindowsPC                   Kind = "windows"
	MacOS                       Kind = "macos"
	Unknown                     Kind = "unknown"
)

// VersionAtLeast compares osVersion's leading major.minor with the given one.
// Intune reports osVersion free-form ("6.0.1", "13", "8.10.14219.341"), so
// anything unparsable counts as 0.
func VersionAtLeast(version string, major, minor int) bool {
	parts := strings.SplitN(strings.TrimSpace(version), ".", 3)
	num := func(i int) int {
		if i >= len(parts) {
			return 0
		}
		digits := parts[i]
		if end := strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }); end >= 0 {
			digits = digits[:end]
		}
		n, _ := strconv.Atoi(digits)
		return n
	}
	maj := num(0)
	if maj != major {
		return maj > major
	}
	// "8.10" is Windows Phone 8.1: compare the minor by its first digit.
	m := num(1)
	for m >= 10 {
		m /= 10
	}
	return m >= minor
}

// PasscodeKind is what a reset leaves on the device.
type PasscodeKind int

// Passcode kinds per platform (seed guide).
const (
	NoPasscode   PasscodeKind = iota // iOS: the passcode is removed, none is set
	Alphanumeric                     // Android, Windows 10 Mobile: letters and digits
	Numeric                          // Windows Phone 8.1: digits
)

// ResetMode is how passbot may reset a device's passcode.
type ResetMode int

// Reset modes, most permissive first.
const (
	// SelfService: the owner may reset it from chat.
	SelfService ResetMode = iota
	// NeedsApproval: Intune can reset it, but only the helpdesk may decide.
	NeedsApproval
	// FactoryReset: the passcode cannot be reset; the device must be reset
	// to factory settings.
	FactoryReset
	// NotSupported: Intune has no passcode reset for this device.
	NotSupported
)

// Rules is what passbot may do with a device.
type Rules struct {
	Kind       Kind
	Reset      ResetMode
	Passcode   PasscodeKind
	RemoteLock bool
	// WorkProfile: the reset changes the passcode of the work profile, not
	// of the device; the person activates it from a notification.
	WorkProfile bool
	// LockPIN: a Remote Lock sets a 6-digit recovery PIN that Intune reports
	// in the lock's action result (macOS).
	LockPIN bool
	// SupportEnded: Intune no longer supports the platform; its devices no
	// longer check in.
	SupportEnded bool
	// GMSSupportEnded: Intune ended its support for the device's kind of
	// management on devices with Google Mobile Services ([da]); devices
	// without them keep it, so passbot cannot tell whether a reset arrives.
	GMSSupportEnded bool
	// PasscodeInAdminCenter: the temporary passcode is shown to the
	// helpdesk in the Intune admin center for seven days ([reset]), not to
	// the person in the Company Portal, whose reset leaves out work profiles
	// and dedicated devices ([cp]) and may be missing on corporate ones
	// ([seed]).
	PasscodeInAdminCenter bool
	// MinMajor is the oldest major OS version Intune resets, 0 for any; an
	// older device is NotSupported.
	MinMajor int
}

// Sources of the table, MicrosoftDocs/memdocs, cited by their pages under
// https://learn.microsoft.com/intune/ (the device actions' pages moved to
// device-management/actions/ in 2025):
//
//	[reset]  device-management/actions/reset-passcode, ms.date 10/27/2025
//	[remove] device-management/actions/remove-passcode, ms.date 04/21/2026
//	[lock]   device-management/actions/remote-lock, ms.date 10/27/2025
//	[supported] fundamentals/ref-supported-platforms, ms.date 10/14/2025
//	         (its include mdm-supported-devices.md, ms.date 04/27/2026)
//	[ue]     device-enrollment/apple/user-enrollment-methods-ios, ms.date 08/19/2024
//	[da]     device-enrollment/android/manage-device-administrator, ms.date
//	         10/28/2024 (its include android-device-administrator-support.md,
//	         ms.date 12/31/2024)
//	[cp]     user-help/device-actions/reset-passcode-company-portal-website,
//	         ms.date 02/04/2025
//	[seed]   the Company Portal guide passbot started from
//
// One row per kind: when Intune changes, the row changes.
var table = map[Kind]Rules{
	// [seed] temporary passcode below 7.0 (factory reset from 7.0, see Of).
	// [reset] and [lock] no longer list device administrator, and [da] and
	// [supported] say Intune ended its support on devices with Google
	// Mobile Services on 31 December 2024. It stays
	// self-service because [cp] still offers the person the reset in the
	// Company Portal on device administrator below Android 8.0, with the
	// temporary passcode in its device details; the card says that support
	// ended.
	AndroidAdmin: {Reset: SelfService, Passcode: Alphanumeric, GMSSupportEnded: true},
	// [reset] COBO: work profile passcode reset; [lock] COBO listed.
	AndroidEnterprise: {Reset: NeedsApproval, Passcode: Alphanumeric, WorkProfile: true, RemoteLock: true, PasscodeInAdminCenter: true},
	// [reset] COPE: work profile passcode reset; [lock] COPE listed.
	AndroidCorporateWorkProfile: {Reset: NeedsApproval, Passcode: Alphanumeric, WorkProfile: true, RemoteLock: true, PasscodeInAdminCenter: true},
	// [reset] COSU: device passcode reset; [lock] COSU listed.
	AndroidDedicated: {Reset: NeedsApproval, Passcode: Alphanumeric, RemoteLock: true, PasscodeInAdminCenter: true},
	// [reset] BYOD: work profile passcode reset; [lock] BYOD not listed.
	// Android 8.0 and later for the reset (Intune's earlier reset page, as
	// shared/PLATFORM-NOTES.md has it; [reset] names no version, and
	// [supported] manages work profiles from Android 10).
	AndroidWorkProfile: {Reset: NeedsApproval, Passcode: Alphanumeric, WorkProfile: true, MinMajor: 8, PasscodeInAdminCenter: true},
	// [reset] AOSP: device passcode reset; [lock] AOSP listed.
	AOSP: {Reset: NeedsApproval, Passcode: Alphanumeric, RemoteLock: true, PasscodeInAdminCenter: true},
	// [remove] iOS/iPadOS: passcode removed, none set; [lock] listed.
	IOS: {Reset: SelfService, Passcode: NoPasscode, RemoteLock: true},
	// [ue] Apple User Enrollment, profile-based or account-driven: of the
	// admin's remote actions only retire, delete, remote lock and sync, so
	// no passcode removal.
	IOSUserEnrollment: {Reset: NotSupported, RemoteLock: true},
	// [seed] texts; Intune support ended ([supported] lists neither), so
	// the helpdesk decides.
	Windows10Mobile: {Reset: NeedsApproval, Passcode: Alphanumeric, SupportEnded: true},
	WindowsPhone81:  {Reset: NeedsApproval, Passcode: Numeric, SupportEnded: true},
	// [reset], [remove] and [lock] do not list Windows.
	WindowsPC: {Reset: NotSupported},
	// [lock] macOS: a six-digit recovery PIN, not to be resent until used.
	MacOS:   {Reset: NotSupported, RemoteLock: true, LockPIN: true},
	Unknown: {Reset: NotSupported},
}

// Of applies the table to a device of the kind, its OS version and whether
// it is corporate-owned: Android device administrator from 7.0 on needs a
// factory reset, a device older than its row's MinMajor has no reset, and a
// corporate-owned device is never self-service.
func Of(kind Kind, osVersion string, company bool) Rules {
	e, known := table[kind]
	if !known {
		e = table[Unknown]
	}
	e.Kind = kind
	if kind == AndroidAdmin && VersionAtLeast(osVersion, 7, 0) {
		e.Reset = FactoryReset
	}
	if e.MinMajor > 0 && !VersionAtLeast(osVersion, e.MinMajor, 0) {
		e.Reset = NotSupported
	}
	if e.Reset == SelfService && company {
		e.Reset = NeedsApproval
	}
	return e
}

// How long a device may stay silent. Intune runs an action when the device
// next checks in, so after QuietAfter the person is warned that nothing
// happens until it connects, and after SilentAfter the helpdesk decides.
const (
	QuietAfter  = 7 * 24 * time.Hour
	SilentAfter = 30 * 24 * time.Hour
)
