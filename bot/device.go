package bot

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// Device is an Intune managed device in Microsoft Graph's managedDevice shape,
// limited to the properties passbot reads. Adapters decode Graph JSON straight
// into it.
type Device struct {
	ID               string `json:"id"`
	Name             string `json:"deviceName"`
	OperatingSystem  string `json:"operatingSystem"`
	OSVersion        string `json:"osVersion"`
	OwnerType        string `json:"managedDeviceOwnerType"`
	UPN              string `json:"userPrincipalName"`
	UserID           string `json:"userId,omitempty"`
	DeviceType       string `json:"deviceType,omitempty"`
	EnrollmentType   string `json:"deviceEnrollmentType,omitempty"`
	ManagementAgent  string `json:"managementAgent,omitempty"`
	Model            string `json:"model,omitempty"`
	Manufacturer     string `json:"manufacturer,omitempty"`
	UserDisplayName  string `json:"userDisplayName,omitempty"`
	LastSyncDateTime string `json:"lastSyncDateTime,omitempty"`
	ComplianceState  string `json:"complianceState,omitempty"`
}

// Kind is the device family as far as passcode reset is concerned.
type Kind string

// Device kinds, from the seed guide and Intune's passcode-reset documentation.
const (
	AndroidAdmin       Kind = "android"              // Android device administrator (legacy)
	AndroidEnterprise  Kind = "android-enterprise"   // fully managed, dedicated, corporate-owned work profile
	AndroidWorkProfile Kind = "android-work-profile" // personally owned work profile
	AOSP               Kind = "aosp"
	IOS                Kind = "ios" // iOS and iPadOS
	IOSUserEnrollment  Kind = "ios-user-enrollment"
	Windows10Mobile    Kind = "windows10mobile"
	WindowsPhone81     Kind = "windowsphone81"
	WindowsPC          Kind = "windows"
	MacOS              Kind = "macos"
	Unknown            Kind = "unknown"
)

// Kind classifies the device from the properties Intune reports.
func (d Device) Kind() Kind {
	os := strings.ToLower(d.OperatingSystem)
	typ := strings.ToLower(d.DeviceType)
	enr := strings.ToLower(d.EnrollmentType)
	switch {
	case strings.Contains(os, "aosp") || strings.Contains(enr, "aosp"):
		return AOSP
	case os == "android":
		// deviceType and the androidEnterprise* enrollment types are in Graph
		// beta; v1.0 shows Android Enterprise only as management by Google's
		// device policy controller.
		dpc := strings.EqualFold(d.ManagementAgent, "googleCloudDevicePolicyController")
		switch {
		case strings.HasPrefix(enr, "androidenterprise") || typ == "androidenterprise" || dpc && d.Company():
			return AndroidEnterprise
		case typ == "androidforwork" || dpc:
			return AndroidWorkProfile
		}
		return AndroidAdmin
	case os == "ios" || os == "ipados":
		if strings.HasPrefix(enr, "appleuserenrollment") {
			return IOSUserEnrollment
		}
		return IOS
	case os == "macos" || os == "mac os x" || typ == "mac" || typ == "macmdm":
		return MacOS
	case strings.HasPrefix(os, "windows"):
		// Desktop Windows 8 and 8.1 report osVersion 6.2 and 6.3, so an 8.x
		// is a phone whatever deviceType says; Windows 10 Mobile and desktop
		// share 10.0 and need deviceType (Graph beta) to tell them apart.
		phone := typ == "windowsphone" || typ == "winmo6" || os == "windows phone" || os == "windowsphone" || os == "windows mobile" ||
			versionAtLeast(d.OSVersion, 8, 0) && !versionAtLeast(d.OSVersion, 9, 0)
		switch {
		case phone && versionAtLeast(d.OSVersion, 10, 0):
			return Windows10Mobile
		case phone && versionAtLeast(d.OSVersion, 8, 1):
			return WindowsPhone81
		case phone:
			return Unknown
		}
		return WindowsPC
	}
	return Unknown
}

// Company reports whether the device is corporate-owned.
func (d Device) Company() bool { return strings.EqualFold(d.OwnerType, "company") }

// versionAtLeast compares osVersion's leading major.minor with the given one.
// Intune reports osVersion free-form ("6.0.1", "13", "8.10.14219.341"), so
// anything unparsable counts as 0.
func versionAtLeast(version string, major, minor int) bool {
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

// Eligibility is what passbot may do with a device.
type Eligibility struct {
	Kind       Kind
	Reset      ResetMode
	Passcode   PasscodeKind
	RemoteLock bool
}

// eligibility is the one table of what each kind of device allows (seed
// guide; Intune "Reset or remove a device passcode" and "Remote lock").
var eligibility = map[Kind]Eligibility{
	AndroidAdmin:       {Reset: SelfService, Passcode: Alphanumeric},
	AndroidEnterprise:  {Reset: NeedsApproval, Passcode: Alphanumeric, RemoteLock: true},
	AndroidWorkProfile: {Reset: NeedsApproval, Passcode: Alphanumeric},
	AOSP:               {Reset: NeedsApproval, Passcode: Alphanumeric, RemoteLock: true},
	IOS:                {Reset: SelfService, Passcode: NoPasscode, RemoteLock: true},
	IOSUserEnrollment:  {Reset: NotSupported, RemoteLock: true},
	Windows10Mobile:    {Reset: SelfService, Passcode: Alphanumeric},
	WindowsPhone81:     {Reset: SelfService, Passcode: Numeric},
	WindowsPC:          {Reset: NotSupported},
	MacOS:              {Reset: NotSupported, RemoteLock: true},
	Unknown:            {Reset: NotSupported},
}

// Eligibility applies the table to this device.
func (d Device) Eligibility() Eligibility { return d.Ref().Eligibility() }

// Ref is the part of the device a conversation remembers.
func (d Device) Ref() DeviceRef {
	return DeviceRef{ID: d.ID, Name: d.Name, Kind: d.Kind(), OSVersion: d.OSVersion, Company: d.Company(), OwnerID: d.UserID, OwnerUPN: d.UPN}
}

// Eligibility applies the table to the device: Android device administrator
// from 7.0 on needs a factory reset, and a corporate-owned device is never
// self-service.
func (d DeviceRef) Eligibility() Eligibility {
	e := eligibility[d.Kind]
	if _, known := eligibility[d.Kind]; !known {
		e = eligibility[Unknown]
	}
	e.Kind = d.Kind
	if d.Kind == AndroidAdmin && versionAtLeast(d.OSVersion, 7, 0) {
		e.Reset = FactoryReset
	}
	if e.Reset == SelfService && d.Company {
		e.Reset = NeedsApproval
	}
	return e
}

// ActionState is the state of a device action, as Graph reports it.
type ActionState string

// Action states from Graph's deviceActionResult.actionState.
const (
	ActionPending      ActionState = "pending"
	ActionActive       ActionState = "active"
	ActionDone         ActionState = "done"
	ActionFailed       ActionState = "failed"
	ActionNotSupported ActionState = "notSupported"
	ActionCanceled     ActionState = "canceled"
)

// Finished reports whether the action will not change state any more.
func (s ActionState) Finished() bool {
	return s == ActionDone || s == ActionFailed || s == ActionNotSupported || s == ActionCanceled
}

// ResetResult is what a passcode reset returned. Passcode is the temporary
// passcode, empty where the platform sets none or it is not known yet; it is
// shown to its owner once and never stored or logged.
type ResetResult struct {
	State    ActionState
	Passcode string
}

// String hides the passcode so a result can never leak into a log line.
func (r ResetResult) String() string { return "reset " + string(r.State) }

// Devices is the device-management backend (Intune, or the demo fleet).
type Devices interface {
	// ListDevices returns the devices enrolled by the user principal name.
	ListDevices(ctx context.Context, upn string) ([]Device, error)
	// ResetPasscode starts a passcode reset and returns what is known so far.
	ResetPasscode(ctx context.Context, deviceID string) (ResetResult, error)
	// ResetStatus reads the state of the latest passcode reset on the device
	// that started at since or later: an earlier reset's result (and its
	// passcode, dead by now) must not pass for this one. A zero since
	// takes the latest.
	ResetStatus(ctx context.Context, deviceID string, since time.Time) (ResetResult, error)
	// RemoteLock locks the device.
	RemoteLock(ctx context.Context, deviceID string) error
}
