// Package graphtest is a local Microsoft Graph and Entra ID token endpoint
// for tests of the Intune backend, in this package or anywhere in passbot.
//
// The server speaks TLS (azidentity insists on an https authority); Client
// trusts its certificate. It serves Microsoft's documented example payloads
// (embedded from testdata/, so it works from any test directory):
//
//   - the client-credentials token endpoint and the tenant's OpenID
//     configuration, under AuthorityURL/{TenantID}/…, and the sign-in of a
//     user (authorize, authorization-code token, keys) by IDP, a
//     demoidp.Provider that knows every user with a device;
//   - GET {URL}/{v1.0|beta}/users/{upn}/managedDevices, in pages of
//     PageSize linked by @odata.nextLink, honouring $select as Graph does
//     (400 for a property the version lacks: deviceType is beta only);
//   - GET {URL}/{version}/deviceManagement/managedDevices/{id} with the
//     device's deviceActionResults;
//   - POST …/managedDevices/{id}/resetPasscode and …/remoteLock → 204, adding
//     a pending action result that OnReset decides the end of (OnLock: a
//     lock's state and macOS unlockPin).
//
// New starts it with the fixture fleet: Adele Vance's four devices (Adele,
// AndroidDevice, WorkDevice, IPhone, Desktop) over two pages, and the
// fixture's action results. Tests add devices with AddDevice or
// AddManagedDevice, queue failures (429 with Retry-After, 503, Graph's 403,
// 404 and 400 bodies, a hanging request) in front of any path with Queue,
// and read what the server saw with Requests and TokenRequests.
package graphtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passbot/passbot/adapters/device"
	"github.com/passbot/passbot/adapters/entra/demoidp"
	"github.com/passbot/passbot/internal/entratest"
)

//go:embed testdata/*.json
var fixtures embed.FS

// Fixture returns the embedded testdata file name, e.g. "error_403.json".
func Fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := fixtures.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatalf("graphtest: %v", err)
	}
	return b
}

// The fixture fleet.
const (
	Adele         = "adele.vance@contoso.com"
	AndroidDevice = "1b2c3d4e-0000-4a1b-9c2d-000000000001" // Android 6.0.1, company-owned; reset pending in the fixture
	WorkDevice    = "1b2c3d4e-0000-4a1b-9c2d-000000000002" // Android 13, personal; reset done with FixturePasscode
	IPhone        = "1b2c3d4e-0000-4a1b-9c2d-000000000003" // iOS 17.4.1, company-owned
	Desktop       = "1b2c3d4e-0000-4a1b-9c2d-000000000004" // Windows: resetPasscode answers 400
	// FixturePasscode is the passcode of WorkDevice's done reset in
	// managed_device_action_results.json.
	FixturePasscode = "4817-2290"
)

// DefaultPageSize is the page size of managedDevices lists, as in Microsoft's
// example ($top=2).
const DefaultPageSize = 2

// Server is the fake Graph. Its methods are safe for concurrent use.
type Server struct {
	// URL is the server's origin; Graph is at URL+"/v1.0" and URL+"/beta".
	URL string
	// AuthorityURL is the Entra ID authority host (PASSBOT_GRAPH_AUTHORITY_URL).
	AuthorityURL string
	// TenantID, ClientID and Secret are the app registration the token
	// endpoint accepts; a signed client assertion is accepted too.
	TenantID, ClientID, Secret string
	// Token is the access token the token endpoint hands out and Graph
	// requires.
	Token string
	// IDP signs users in for the app: set IDP.RedirectURI to the app's
	// callback, and IDP.Tamper or IDP.SignWith to make it misbehave.
	IDP *demoidp.Provider

	t        testing.TB
	srv      *httptest.Server
	pageSize int

	mu         sync.Mutex
	requests   []Request
	tokenForms []url.Values
	failures   map[string][]Failure // "POST /deviceManagement/…" → served first
	devices    map[string]map[string]any
	order      []string        // device IDs as added
	users      map[string]bool // lower-case UPNs Graph knows
	results    map[string][]map[string]any
	outcomes   map[string]Outcome
	locks      map[string]lockOutcome
	reads      map[string]int // reads of a device since its latest reset
	tick       time.Time
	signIn     *http.ServeMux // IDP's endpoints
	nextID     int
}

// Option changes how New sets the server up.
type Option func(*Server)

// WithoutFixtures starts with no devices and no users.
func WithoutFixtures() Option { return func(s *Server) { s.devices = nil } }

// WithPageSize sets how many devices a page of managedDevices holds.
func WithPageSize(n int) Option { return func(s *Server) { s.pageSize = n } }

// New starts the server, stopped at the test's cleanup.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{
		t:        t,
		TenantID: "contoso-tenant",
		ClientID: "6731de76-14a6-49ae-97bc-6eba6914391e",
		Secret:   "fake-client-secret",
		pageSize: DefaultPageSize,
		failures: map[string][]Failure{},
		devices:  map[string]map[string]any{},
		users:    map[string]bool{},
		results:  map[string][]map[string]any{},
		outcomes: map[string]Outcome{},
		locks:    map[string]lockOutcome{},
		reads:    map[string]int{},
		// Action results are stamped from the wall clock, as Graph's are:
		// a reset the bot sent "now" must not look older than itself.
		tick: time.Now().UTC().Truncate(time.Second),
	}
	for _, o := range opts {
		o(s)
	}
	fixtureFleet := s.devices != nil
	s.devices = map[string]map[string]any{}
	if s.pageSize <= 0 {
		s.pageSize = DefaultPageSize
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	s.decodeFixture("token_response.json", &tok)
	s.Token = tok.AccessToken
	if fixtureFleet {
		s.loadFixtureFleet()
	}
	s.srv = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	s.URL = s.srv.URL
	s.AuthorityURL = s.srv.URL + "/"
	idp, err := demoidp.New(s.URL, s.TenantID, s.ClientID, s.Secret, "", s.person)
	if err != nil {
		t.Fatal(err)
	}
	s.IDP, s.signIn = idp, http.NewServeMux()
	for pattern, h := range idp.Routes() {
		s.signIn.Handle(pattern, h)
	}
	return s
}

// person is a user as the sign-in knows them: by the userId of their
// devices.
func (s *Server) person(upn string) (demoidp.User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range s.order {
		d := s.devices[id]
		if u, _ := d["userPrincipalName"].(string); strings.EqualFold(u, upn) {
			oid, _ := d["userId"].(string)
			name, _ := d["userDisplayName"].(string)
			return demoidp.User{UPN: u, OID: oid, Name: name}, true
		}
	}
	return demoidp.User{}, false
}

// UserID is the Entra object ID the server gives upn's devices.
func UserID(upn string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(upn)))
	return fmt.Sprintf("%x-%x-4%x-8%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])[:36]
}

func (s *Server) loadFixtureFleet() {
	for _, page := range []string{"managed_devices_page1.json", "managed_devices_page2.json"} {
		var p struct {
			Value []map[string]any `json:"value"`
		}
		s.decodeFixture(page, &p)
		for _, d := range p.Value {
			s.add(d)
		}
	}
	var ar struct {
		Value []struct {
			ID      string           `json:"id"`
			Results []map[string]any `json:"deviceActionResults"`
		} `json:"value"`
	}
	s.decodeFixture("managed_device_action_results.json", &ar)
	for _, d := range ar.Value {
		s.results[d.ID] = d.Results
	}
}

func (s *Server) decodeFixture(name string, v any) {
	s.t.Helper()
	if err := json.Unmarshal(Fixture(s.t, name), v); err != nil {
		s.t.Fatalf("graphtest: testdata/%s: %v", name, err)
	}
}

// Client returns an HTTP client that trusts the server's certificate, for
// the credential and the Graph client alike.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// InProcessClient returns an HTTP client that calls the server's handler
// directly. Inside a testing/synctest bubble time moves only while every
// goroutine is durably blocked, which one reading a socket never is.
func (s *Server) InProcessClient() *http.Client {
	return &http.Client{Transport: inProcess{s.srv.Config.Handler}}
}

// inProcess is a RoundTripper that serves each request with h.
type inProcess struct{ h http.Handler }

func (p inProcess) RoundTrip(r *http.Request) (resp *http.Response, err error) {
	in := r.Clone(r.Context())
	in.RequestURI = r.URL.RequestURI()
	if in.Body == nil {
		in.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	defer func() {
		// A handler that aborts (see Hang) answers nothing, as a dropped
		// connection would.
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				panic(v)
			}
			resp, err = nil, fmt.Errorf("graphtest: %s %s: handler aborted: %w", r.Method, r.URL.Path, context.Cause(r.Context()))
		}
	}()
	p.h.ServeHTTP(rec, in)
	return rec.Result(), nil
}

// AddUser makes upn a user Graph knows, with no devices yet; listing the
// devices of an unknown user is a 404.
func (s *Server) AddUser(upn string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[strings.ToLower(upn)] = true
}

// AddDevice adds d, listed for d.UPN after the devices already there, and
// returns its ID (one is made up when d.ID is empty).
func (s *Server) AddDevice(d device.Managed) string {
	s.t.Helper()
	b, err := json.Marshal(d)
	if err != nil {
		s.t.Fatalf("graphtest: %v", err)
	}
	var obj map[string]any
	if err := json.Unmarshal(b, &obj); err != nil {
		s.t.Fatalf("graphtest: %v", err)
	}
	if d.ID == "" {
		delete(obj, "id")
	}
	return s.AddManagedDevice(obj)
}

// AddManagedDevice adds a managedDevice as Graph's JSON has it (at least
// userPrincipalName; "id" is made up when missing) and returns its ID.
func (s *Server) AddManagedDevice(obj map[string]any) string {
	obj = clone(obj)
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, _ := obj["id"].(string); id == "" {
		s.nextID++
		obj["id"] = fmt.Sprintf("9f8e7d6c-0000-4b1a-8c2d-%012d", s.nextID)
	}
	if _, ok := obj["@odata.type"]; !ok {
		obj["@odata.type"] = "#microsoft.graph.managedDevice"
	}
	if _, ok := obj["deviceActionResults"]; !ok {
		obj["deviceActionResults"] = []any{}
	}
	return s.add(obj)
}

func (s *Server) add(obj map[string]any) string {
	id, _ := obj["id"].(string)
	if _, dup := s.devices[id]; !dup {
		s.order = append(s.order, id)
	}
	s.devices[id] = obj
	if upn, _ := obj["userPrincipalName"].(string); upn != "" {
		s.users[strings.ToLower(upn)] = true
		if _, ok := obj["userId"]; !ok {
			obj["userId"] = UserID(upn)
		}
	}
	return id
}

// Outcome is how a device's resetPasscode ends: its actionResult reads
// pending PendingReads times after the reset was accepted, then State (with
// Passcode and ErrorCode).
type Outcome struct {
	State        string // done, failed, notSupported, canceled; pending stays pending
	Passcode     string // the temporary passcode of a done reset; "" for none (iOS)
	ErrorCode    int
	PendingReads int
}

// Done is a reset that succeeds with the temporary passcode ("" for none).
func Done(passcode string) Outcome { return Outcome{State: "done", Passcode: passcode} }

// Failed is a reset the device reports as failed.
func Failed() Outcome { return Outcome{State: "failed", ErrorCode: 1} }

// After makes the result read pending n times first.
func (o Outcome) After(n int) Outcome { o.PendingReads = n; return o }

// OnReset decides how the device's resets, from the next one on, end. A
// device without an outcome stays pending until FinishReset.
func (s *Server) OnReset(deviceID string, o Outcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outcomes[deviceID] = o
}

// FinishReset moves the device's latest resetPasscode result to state now,
// with the passcode Intune generated ("" for none).
func (s *Server) FinishReset(deviceID, state, passcode string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.latestReset(deviceID)
	if r == nil {
		s.t.Fatalf("graphtest: device %s has no resetPasscode to finish", deviceID)
	}
	s.finish(r, Outcome{State: state, Passcode: passcode})
}

func (s *Server) latestReset(id string) map[string]any {
	rs := s.results[id]
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i]["actionName"] == "resetPasscode" {
			return rs[i]
		}
	}
	return nil
}

func (s *Server) finish(r map[string]any, o Outcome) {
	r["actionState"] = o.State
	r["passcode"] = nil
	if o.Passcode != "" {
		r["passcode"] = o.Passcode
	}
	r["errorCode"] = o.ErrorCode
	r["lastUpdatedDateTime"] = s.next()
}

// next is the action clock: a second later on every call.
func (s *Server) next() string {
	s.tick = s.tick.Add(time.Second)
	return s.tick.Format(time.RFC3339)
}

type lockOutcome struct{ state, pin string }

// OnLock makes the device's next remoteLocks answer with a
// remoteLockActionResult in state, with unlockPin pin ("" for none, as
// for every device but a Mac). Without it a lock stays pending, PIN-less.
func (s *Server) OnLock(deviceID, state, pin string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.locks[deviceID] = lockOutcome{state, pin}
}

// CheckIn sets the device's lastSyncDateTime to t, as when it syncs.
func (s *Server) CheckIn(deviceID string, t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d, ok := s.devices[deviceID]; ok {
		d["lastSyncDateTime"] = t.UTC().Format(time.RFC3339)
	}
}

// Failure is an answer the server gives instead of the normal one.
type Failure struct {
	Status     int
	RetryAfter string // Retry-After header, "" for none
	Fixture    string // body from testdata/, "" for none
	// Hang answers nothing until the request's context ends; Arrived, when
	// set, is closed once the request is in.
	Hang    bool
	Arrived chan struct{}
}

// Throttled is Graph's 429 with Retry-After (seconds, or "" for none).
func Throttled(retryAfter string) Failure {
	return Failure{Status: http.StatusTooManyRequests, RetryAfter: retryAfter, Fixture: "error_429.json"}
}

// Unavailable is a 503 without a body.
func Unavailable() Failure { return Failure{Status: http.StatusServiceUnavailable} }

// Forbidden is Intune's 403 for an app without
// DeviceManagementManagedDevices.PrivilegedOperations.All.
func Forbidden() Failure { return Failure{Status: http.StatusForbidden, Fixture: "error_403.json"} }

// NotFound is Graph's 404 Request_ResourceNotFound.
func NotFound() Failure { return Failure{Status: http.StatusNotFound, Fixture: "error_404.json"} }

// BadRequest is Graph's 400 BadRequest.
func BadRequest() Failure { return Failure{Status: http.StatusBadRequest, Fixture: "error_400.json"} }

// Hang is a request that gets no answer; arrived may be nil.
func Hang(arrived chan struct{}) Failure { return Failure{Hang: true, Arrived: arrived} }

// ListKey is the Queue key of listing the user's devices (every page).
func ListKey(upn string) string { return "GET /users/" + upn + "/managedDevices" }

// StatusKey is the Queue key of reading the device (its action results).
func StatusKey(deviceID string) string { return "GET /deviceManagement/managedDevices/" + deviceID }

// ResetKey is the Queue key of the device's resetPasscode.
func ResetKey(deviceID string) string {
	return "POST /deviceManagement/managedDevices/" + deviceID + "/resetPasscode"
}

// LockKey is the Queue key of the device's remoteLock.
func LockKey(deviceID string) string {
	return "POST /deviceManagement/managedDevices/" + deviceID + "/remoteLock"
}

// Queue makes the server answer the next requests for key ("METHOD /path",
// the path after the version, unescaped; see ListKey and friends) with fs,
// in order, before behaving normally again.
func (s *Server) Queue(key string, fs ...Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[key] = append(s.failures[key], fs...)
}

// Request is a Graph request as the server received it.
type Request struct {
	Method, Path, EscapedPath, RawQuery string
	Query                               url.Values
	Auth, Accept, ClientRequestID       string
}

// Requests returns the Graph (not token) requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// TokenRequests returns the forms posted to the token endpoint so far.
func (s *Server) TokenRequests() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.tokenForms)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") && r.PostFormValue("grant_type") != "authorization_code":
		s.tokenEndpoint(w, r)
		return
	case strings.HasPrefix(r.URL.Path, "/"+s.TenantID+"/"):
		s.signIn.ServeHTTP(w, r)
		return
	case strings.HasSuffix(r.URL.Path, "/v2.0/.well-known/openid-configuration"):
		entratest.TenantDiscovery(s.URL)(w, r)
		return
	}
	version, path, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if !ok || (version != "v1.0" && version != "beta") {
		s.graphError(w, http.StatusNotFound, "UnknownError", "no such endpoint "+r.URL.Path)
		return
	}
	path = "/" + path

	s.mu.Lock()
	s.requests = append(s.requests, Request{
		Method: r.Method, Path: r.URL.Path, EscapedPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
		Query: r.URL.Query(), Auth: r.Header.Get("Authorization"), Accept: r.Header.Get("Accept"),
		ClientRequestID: r.Header.Get("client-request-id"),
	})
	key := r.Method + " " + path
	var f *Failure
	if q := s.failures[key]; len(q) > 0 {
		f, s.failures[key] = &q[0], q[1:]
	}
	s.mu.Unlock()

	if f != nil {
		s.fail(w, r, f)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+s.Token {
		s.graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
		return
	}
	s.route(w, r, version, path)
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, f *Failure) {
	if f.Hang {
		if f.Arrived != nil {
			close(f.Arrived)
		}
		<-r.Context().Done()
		// Answer nothing at all: returning would send a 200, which the
		// client may still read as it tears the connection down.
		panic(http.ErrAbortHandler)
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	var body []byte
	if f.Fixture != "" {
		body = Fixture(s.t, f.Fixture)
	}
	s.write(w, f.Status, body)
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, version, path string) {
	seg := strings.Split(strings.TrimPrefix(path, "/"), "/")
	switch {
	case r.Method == http.MethodGet && len(seg) == 3 && seg[0] == "users" && seg[2] == "managedDevices":
		s.listDevices(w, r, version, seg[1])
	case r.Method == http.MethodGet && len(seg) == 3 && seg[0] == "deviceManagement" && seg[1] == "managedDevices":
		s.getDevice(w, r, version, seg[2])
	case r.Method == http.MethodPost && len(seg) == 4 && seg[0] == "deviceManagement" && seg[1] == "managedDevices":
		s.action(w, seg[2], seg[3])
	default:
		s.graphError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", seg[len(seg)-1]))
	}
}

// v1Properties are the managedDevice properties of the v1.0 reference
// (api-reference/v1.0/resources/intune-devices-manageddevice.md).
var v1Properties = strings.Fields(`id userId deviceName managedDeviceOwnerType deviceActionResults
	enrolledDateTime lastSyncDateTime operatingSystem complianceState jailBroken managementAgent osVersion
	easActivated easDeviceId easActivationDateTime azureADRegistered deviceEnrollmentType
	activationLockBypassCode emailAddress azureADDeviceId deviceRegistrationState deviceCategoryDisplayName
	isSupervised exchangeLastSuccessfulSyncDateTime exchangeAccessState exchangeAccessStateReason
	remoteAssistanceSessionUrl remoteAssistanceSessionErrorDetails isEncrypted userPrincipalName model
	manufacturer imei complianceGracePeriodExpirationDateTime serialNumber phoneNumber
	androidSecurityPatchLevel userDisplayName configurationManagerClientEnabledFeatures wiFiMacAddress
	deviceHealthAttestationState subscriberCarrier meid totalStorageSpaceInBytes freeStorageSpaceInBytes
	managedDeviceName partnerReportedThreatState requireUserEnrollmentApproval
	managementCertificateExpirationDate iccid udid notes ethernetMacAddress physicalMemoryInBytes`)

// betaProperties are the beta-only properties the server knows of.
var betaProperties = []string{"deviceType"}

func hasProperty(version, p string) bool {
	return slices.Contains(v1Properties, p) || (version == "beta" && slices.Contains(betaProperties, p))
}

// selected checks $select like Graph does (400 for a property the version
// does not have) and returns the property list, nil for all.
func (s *Server) selected(w http.ResponseWriter, r *http.Request, version string) ([]string, bool) {
	sel := r.URL.Query().Get("$select")
	if sel == "" {
		return nil, true
	}
	props := strings.Split(sel, ",")
	for _, p := range props {
		if !hasProperty(version, p) {
			s.graphError(w, http.StatusBadRequest, "BadRequest",
				fmt.Sprintf("Could not find a property named '%s' on type 'microsoft.graph.managedDevice'.", p))
			return nil, false
		}
	}
	return props, true
}

// view is obj as the version shows it: the selected properties, or all the
// version has.
func view(obj map[string]any, version string, props []string) map[string]any {
	out := map[string]any{"@odata.type": obj["@odata.type"]}
	for k, v := range obj {
		if (props == nil && hasProperty(version, k)) || slices.Contains(props, k) {
			out[k] = v
		}
	}
	return out
}

const skiptoken = "opaque-skiptoken-value" // the fixture's, for page 2

func (s *Server) listDevices(w http.ResponseWriter, r *http.Request, version, user string) {
	props, ok := s.selected(w, r, version)
	if !ok {
		return
	}
	page := 1
	switch tok := r.URL.Query().Get("$skiptoken"); {
	case tok == "":
	case tok == skiptoken:
		page = 2
	case strings.HasPrefix(tok, skiptoken+"-"):
		n, err := strconv.Atoi(strings.TrimPrefix(tok, skiptoken+"-"))
		if err != nil || n < 3 {
			s.graphError(w, http.StatusBadRequest, "BadRequest", "Invalid skip token.")
			return
		}
		page = n
	default:
		s.graphError(w, http.StatusBadRequest, "BadRequest", "Invalid skip token.")
		return
	}

	s.mu.Lock()
	known := s.users[strings.ToLower(user)]
	var mine []map[string]any
	for _, id := range s.order {
		d := s.devices[id]
		// Graph names a user by userPrincipalName or object ID alike.
		u, _ := d["userPrincipalName"].(string)
		oid, _ := d["userId"].(string)
		if strings.EqualFold(u, user) || oid != "" && strings.EqualFold(oid, user) {
			known = true
			mine = append(mine, view(d, version, props))
		}
	}
	size := s.pageSize
	s.mu.Unlock()

	if !known {
		body := bytes.ReplaceAll(Fixture(s.t, "error_404.json"), []byte("nobody@contoso.com"), []byte(user))
		s.write(w, http.StatusNotFound, body)
		return
	}
	from := min((page-1)*size, len(mine))
	to := min(from+size, len(mine))
	value := mine[from:to]
	if value == nil {
		value = []map[string]any{}
	}
	body := map[string]any{
		"@odata.context": s.URL + "/" + version + "/$metadata#users('" + url.QueryEscape(user) + "')/managedDevices",
		"value":          value,
	}
	if to < len(mine) {
		tok := skiptoken
		if page+1 > 2 {
			tok = fmt.Sprintf("%s-%d", skiptoken, page+1)
		}
		body["@odata.nextLink"] = fmt.Sprintf("%s/%s/users/%s/managedDevices?$top=%d&$skiptoken=%s",
			s.URL, version, url.PathEscape(user), size, tok)
	}
	s.writeJSON(w, http.StatusOK, body)
}

func (s *Server) getDevice(w http.ResponseWriter, r *http.Request, version, id string) {
	props, ok := s.selected(w, r, version)
	if !ok {
		return
	}
	s.mu.Lock()
	d, found := s.devices[id]
	var body []byte
	var err error
	if found {
		s.advance(id)
		obj := clone(d)
		if rs := s.results[id]; rs != nil {
			obj["deviceActionResults"] = rs
		}
		obj = view(obj, version, props)
		obj["@odata.context"] = s.URL + "/" + version + "/$metadata#deviceManagement/managedDevices/$entity"
		body, err = json.Marshal(obj)
	}
	s.mu.Unlock()
	if err != nil {
		s.t.Errorf("graphtest: %v", err)
	}
	if !found {
		s.deviceNotFound(w, id)
		return
	}
	s.write(w, http.StatusOK, body)
}

// advance applies the device's Outcome to its pending latest reset on a
// read: pending for PendingReads reads, then the outcome.
func (s *Server) advance(id string) {
	o, ok := s.outcomes[id]
	r := s.latestReset(id)
	if !ok || r == nil || r["actionState"] != "pending" || o.State == "" || o.State == "pending" {
		return
	}
	if s.reads[id] < o.PendingReads {
		s.reads[id]++
		return
	}
	s.finish(r, o)
}

func (s *Server) action(w http.ResponseWriter, id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, found := s.devices[id]
	switch {
	case !found:
		s.deviceNotFound(w, id)
		return
	case name != "resetPasscode" && name != "remoteLock":
		s.graphError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", name))
		return
	case name == "resetPasscode" && windowsPC(d):
		s.write(w, http.StatusBadRequest, Fixture(s.t, "error_400.json"))
		return
	}
	now := s.next()
	res := map[string]any{
		"@odata.type": "#microsoft.graph.deviceActionResult", "actionName": name,
		"actionState": "pending", "startDateTime": now, "lastUpdatedDateTime": now,
	}
	if name == "resetPasscode" {
		res["@odata.type"] = "#microsoft.graph.resetPasscodeActionResult"
		res["passcode"] = nil
		res["errorCode"] = 0
		s.reads[id] = 0
	}
	if lo, ok := s.locks[id]; name == "remoteLock" && ok {
		res["@odata.type"] = "#microsoft.graph.remoteLockActionResult"
		res["actionState"] = lo.state
		res["unlockPin"] = nil
		if lo.pin != "" {
			res["unlockPin"] = lo.pin
		}
	}
	s.results[id] = append(s.results[id], res)
	w.WriteHeader(http.StatusNoContent)
}

// windowsPC reports a Windows device that is no phone: Intune has no
// passcode reset for it and answers 400.
func windowsPC(d map[string]any) bool {
	os, _ := d["operatingSystem"].(string)
	typ, _ := d["deviceType"].(string)
	return strings.HasPrefix(strings.ToLower(os), "windows") && !strings.Contains(strings.ToLower(os), "phone") &&
		!strings.EqualFold(typ, "windowsPhone") && !strings.EqualFold(typ, "winMO6")
}

func (s *Server) deviceNotFound(w http.ResponseWriter, id string) {
	s.graphError(w, http.StatusNotFound, "ResourceNotFound",
		fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id))
}

func (s *Server) graphError(w http.ResponseWriter, status int, code, msg string) {
	s.writeJSON(w, status, map[string]any{"error": map[string]any{
		"code": code, "message": msg,
		"innerError": map[string]any{"date": "2024-05-01T10:00:00", "request-id": "fake-request-id", "client-request-id": "fake-request-id"},
	}})
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.t.Errorf("graphtest: %v", err)
	}
	s.write(w, status, b)
}

func (s *Server) write(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("request-id", "fake-request-id")
	w.WriteHeader(status)
	w.Write(body)
}

// tokenEndpoint is the client credentials grant: the client secret or a
// certificate's signed assertion (not verified here) buys
// token_response.json.
func (s *Server) tokenEndpoint(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	form := r.PostForm
	s.mu.Lock()
	s.tokenForms = append(s.tokenForms, form)
	s.mu.Unlock()
	tokenErr := func(status int, code, desc string) {
		s.writeJSON(w, status, map[string]any{"error": code, "error_description": desc, "error_codes": []int{7000215}})
	}
	switch {
	case form.Get("grant_type") != "client_credentials" || form.Get("client_id") != s.ClientID:
		tokenErr(http.StatusBadRequest, "unauthorized_client", "AADSTS700016: Application not found in the directory.")
	case !slices.ContainsFunc(strings.Fields(form.Get("scope")), func(sc string) bool { return strings.HasSuffix(sc, "/.default") }):
		s.write(w, http.StatusBadRequest, Fixture(s.t, "token_error_invalid_scope.json"))
	case form.Get("client_secret") == s.Secret:
		s.write(w, http.StatusOK, Fixture(s.t, "token_response.json"))
	case form.Get("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" && form.Get("client_assertion") != "":
		s.write(w, http.StatusOK, Fixture(s.t, "token_response.json"))
	default:
		tokenErr(http.StatusUnauthorized, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
	}
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
