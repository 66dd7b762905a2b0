package intune

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeGraph is a local Microsoft Graph and Entra ID token endpoint over TLS
// (azidentity insists on an https authority). It serves Microsoft's
// documented example payloads from testdata/ and keeps deviceActionResults
// per device, so a reset moves from pending to done or failed as a test
// decides. Tests queue failures (429, 503, …) in front of any path.
type fakeGraph struct {
	t        testing.TB
	srv      *httptest.Server
	tenant   string
	clientID string
	secret   string
	token    string // access_token of token_response.json

	mu            sync.Mutex
	requests      []seen
	tokenRequests []url.Values
	canned        map[string][]canned // "POST /deviceManagement/…" → failures to serve first
	devices       map[string]map[string]any
	results       map[string][]map[string]any // device ID → deviceActionResults
	tick          time.Time
}

// seen is a Graph request as the fake received it.
type seen struct {
	Method, Path, EscapedPath, RawQuery string
	Query                               url.Values
	Auth, Accept, ClientRequestID       string
}

// canned is a failure the fake serves before behaving normally again.
type canned struct {
	status     int
	retryAfter string        // Retry-After header, "" for none
	file       string        // body from testdata/, "" for none
	hang       bool          // answer nothing until the request's context ends
	arrived    chan struct{} // closed when a hanging request has arrived
}

const (
	adele         = "adele.vance@contoso.com"
	androidDevice = "1b2c3d4e-0000-4a1b-9c2d-000000000001" // Android 6.0.1, reset pending in the fixture
	workDevice    = "1b2c3d4e-0000-4a1b-9c2d-000000000002" // Android 13, reset done with a passcode
	iPhone        = "1b2c3d4e-0000-4a1b-9c2d-000000000003"
	desktop       = "1b2c3d4e-0000-4a1b-9c2d-000000000004" // Windows: resetPasscode answers 400
	donePasscode  = "4817-2290"                            // in managed_device_action_results.json
)

func newFakeGraph(t testing.TB) *fakeGraph {
	t.Helper()
	f := &fakeGraph{
		t:        t,
		tenant:   "contoso-tenant",
		clientID: "6731de76-14a6-49ae-97bc-6eba6914391e",
		secret:   "fake-client-secret",
		canned:   map[string][]canned{},
		devices:  map[string]map[string]any{},
		results:  map[string][]map[string]any{},
		tick:     time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC),
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	f.decodeFile("token_response.json", &tok)
	f.token = tok.AccessToken
	for _, page := range []string{"managed_devices_page1.json", "managed_devices_page2.json"} {
		var p struct {
			Value []map[string]any `json:"value"`
		}
		f.decodeFile(page, &p)
		for _, d := range p.Value {
			f.devices[d["id"].(string)] = d
		}
	}
	var ar struct {
		Value []struct {
			ID      string           `json:"id"`
			Results []map[string]any `json:"deviceActionResults"`
		} `json:"value"`
	}
	f.decodeFile("managed_device_action_results.json", &ar)
	for _, d := range ar.Value {
		f.results[d.ID] = d.Results
	}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeGraph) decodeFile(name string, v any) {
	f.t.Helper()
	if err := json.Unmarshal(readTestdata(f.t, name), v); err != nil {
		f.t.Fatalf("testdata/%s: %v", name, err)
	}
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// config points a Config at the fake with the client-secret credential.
func (f *fakeGraph) config() Config {
	return Config{
		URL:          f.srv.URL + "/v1.0",
		AuthorityURL: f.srv.URL + "/",
		TenantID:     f.tenant,
		ClientID:     f.clientID,
		ClientSecret: f.secret,
	}
}

// queue makes the fake answer the next requests for "METHOD /path" (path
// after the version) with these failures, in order.
func (f *fakeGraph) queue(key string, c ...canned) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.canned[key] = append(f.canned[key], c...)
}

// graphRequests returns the Graph (not token) requests received so far.
func (f *fakeGraph) graphRequests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

func (f *fakeGraph) tokenForms() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.tokenRequests)
}

func (f *fakeGraph) tokenRequestCount() int { return len(f.tokenForms()) }

// finishReset moves the device's latest resetPasscode result to state, with
// the passcode Intune generated (nil for none).
func (f *fakeGraph) finishReset(id, state string, passcode any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rs := f.results[id]
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i]["actionName"] == "resetPasscode" {
			rs[i]["actionState"] = state
			rs[i]["passcode"] = passcode
			rs[i]["lastUpdatedDateTime"] = f.next()
			return
		}
	}
	f.t.Fatalf("device %s has no resetPasscode to finish", id)
}

// next is the fake's action clock: a second later on every call.
func (f *fakeGraph) next() string {
	f.tick = f.tick.Add(time.Second)
	return f.tick.Format(time.RFC3339)
}

func (f *fakeGraph) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasSuffix(r.URL.Path, "/v2.0/.well-known/openid-configuration"):
		f.openIDConfiguration(w, r)
		return
	case strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token"):
		f.tokenEndpoint(w, r)
		return
	}
	version, path, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if !ok || (version != "v1.0" && version != "beta") {
		f.graphError(w, http.StatusNotFound, "", "UnknownError", "no such endpoint "+r.URL.Path)
		return
	}
	path = "/" + path

	f.mu.Lock()
	f.requests = append(f.requests, seen{
		Method: r.Method, Path: r.URL.Path, EscapedPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
		Query: r.URL.Query(), Auth: r.Header.Get("Authorization"), Accept: r.Header.Get("Accept"),
		ClientRequestID: r.Header.Get("client-request-id"),
	})
	key := r.Method + " " + path
	var c *canned
	if q := f.canned[key]; len(q) > 0 {
		c, f.canned[key] = &q[0], q[1:]
	}
	f.mu.Unlock()

	if c != nil {
		if c.hang {
			if c.arrived != nil {
				close(c.arrived)
			}
			<-r.Context().Done()
			// Answer nothing at all: returning would send a 200, which the
			// client may still read as it tears the connection down.
			panic(http.ErrAbortHandler)
		}
		if c.retryAfter != "" {
			w.Header().Set("Retry-After", c.retryAfter)
		}
		var body []byte
		if c.file != "" {
			body = readTestdata(f.t, c.file)
		}
		f.write(w, c.status, body)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		f.graphError(w, http.StatusUnauthorized, "", "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
		return
	}
	f.route(w, r, version, path)
}

func (f *fakeGraph) route(w http.ResponseWriter, r *http.Request, version, path string) {
	seg := strings.Split(strings.TrimPrefix(path, "/"), "/")
	switch {
	case r.Method == http.MethodGet && len(seg) == 3 && seg[0] == "users" && seg[2] == "managedDevices":
		f.listDevices(w, r, version, seg[1])
	case r.Method == http.MethodGet && len(seg) == 3 && seg[0] == "deviceManagement" && seg[1] == "managedDevices":
		f.getDevice(w, r, version, seg[2])
	case r.Method == http.MethodPost && len(seg) == 4 && seg[0] == "deviceManagement" && seg[1] == "managedDevices":
		f.action(w, seg[2], seg[3])
	default:
		f.graphError(w, http.StatusBadRequest, "", "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", seg[len(seg)-1]))
	}
}

// v1Properties are the managedDevice properties of the v1.0 reference
// (api-reference/v1.0/resources/intune-devices-manageddevice.md); beta has
// these and more, deviceType among them.
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

// selected checks $select like Graph does (400 for a property the version
// does not have) and returns the property list, nil for all.
func (f *fakeGraph) selected(w http.ResponseWriter, r *http.Request, version string) ([]string, bool) {
	sel := r.URL.Query().Get("$select")
	if sel == "" {
		return nil, true
	}
	props := strings.Split(sel, ",")
	for _, p := range props {
		if !slices.Contains(v1Properties, p) && !(version == "beta" && p == "deviceType") {
			f.graphError(w, http.StatusBadRequest, "", "BadRequest",
				fmt.Sprintf("Could not find a property named '%s' on type 'microsoft.graph.managedDevice'.", p))
			return nil, false
		}
	}
	return props, true
}

func project(obj map[string]any, props []string) map[string]any {
	if props == nil {
		return obj
	}
	out := map[string]any{"@odata.type": obj["@odata.type"]}
	for _, p := range props {
		if v, ok := obj[p]; ok {
			out[p] = v
		}
	}
	return out
}

func (f *fakeGraph) listDevices(w http.ResponseWriter, r *http.Request, version, upn string) {
	props, ok := f.selected(w, r, version)
	if !ok {
		return
	}
	if upn != adele {
		body := bytes.ReplaceAll(readTestdata(f.t, "error_404.json"), []byte("nobody@contoso.com"), []byte(upn))
		f.write(w, http.StatusNotFound, body)
		return
	}
	file := "managed_devices_page1.json"
	switch tok := r.URL.Query().Get("$skiptoken"); tok {
	case "":
	case "opaque-skiptoken-value":
		file = "managed_devices_page2.json"
	default:
		f.graphError(w, http.StatusBadRequest, "", "BadRequest", "Invalid skip token.")
		return
	}
	var page map[string]any
	f.decodeFile(file, &page)
	if link, ok := page["@odata.nextLink"].(string); ok {
		page["@odata.nextLink"] = strings.Replace(link, "https://graph.microsoft.com/v1.0", f.srv.URL+"/"+version, 1)
	}
	var value []any
	for _, d := range page["value"].([]any) {
		value = append(value, project(d.(map[string]any), props))
	}
	page["value"] = value
	f.writeJSON(w, http.StatusOK, page)
}

func (f *fakeGraph) getDevice(w http.ResponseWriter, r *http.Request, version, id string) {
	props, ok := f.selected(w, r, version)
	if !ok {
		return
	}
	f.mu.Lock()
	d, found := f.devices[id]
	var obj map[string]any
	if found {
		obj = map[string]any{"deviceActionResults": []map[string]any{}}
		for k, v := range d {
			obj[k] = v
		}
		if rs := f.results[id]; rs != nil {
			obj["deviceActionResults"] = rs
		}
		obj = project(obj, props)
		obj["@odata.context"] = f.srv.URL + "/" + version + "/$metadata#deviceManagement/managedDevices/$entity"
	}
	body, err := json.Marshal(obj)
	f.mu.Unlock()
	if err != nil {
		f.t.Error(err)
	}
	if !found {
		f.deviceNotFound(w, id)
		return
	}
	f.write(w, http.StatusOK, body)
}

func (f *fakeGraph) action(w http.ResponseWriter, id, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, found := f.devices[id]
	switch {
	case !found:
		f.deviceNotFound(w, id)
		return
	case name != "resetPasscode" && name != "remoteLock":
		f.graphError(w, http.StatusBadRequest, "", "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", name))
		return
	case name == "resetPasscode" && d["operatingSystem"] == "Windows":
		f.write(w, http.StatusBadRequest, readTestdata(f.t, "error_400.json"))
		return
	}
	now := f.next()
	res := map[string]any{
		"@odata.type": "#microsoft.graph.deviceActionResult", "actionName": name,
		"actionState": "pending", "startDateTime": now, "lastUpdatedDateTime": now,
	}
	if name == "resetPasscode" {
		res["@odata.type"] = "#microsoft.graph.resetPasscodeActionResult"
		res["passcode"] = nil
		res["errorCode"] = 0
	}
	f.results[id] = append(f.results[id], res)
	w.WriteHeader(http.StatusNoContent)
}

func (f *fakeGraph) deviceNotFound(w http.ResponseWriter, id string) {
	f.graphError(w, http.StatusNotFound, "", "ResourceNotFound",
		fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id))
}

func (f *fakeGraph) graphError(w http.ResponseWriter, status int, retryAfter, code, msg string) {
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	f.writeJSON(w, status, map[string]any{"error": map[string]any{
		"code": code, "message": msg,
		"innerError": map[string]any{"date": "2024-05-01T10:00:00", "request-id": "fake-request-id", "client-request-id": "fake-request-id"},
	}})
}

func (f *fakeGraph) writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		f.t.Error(err)
	}
	f.write(w, status, b)
}

func (f *fakeGraph) write(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("request-id", "fake-request-id")
	w.WriteHeader(status)
	w.Write(body)
}

// openIDConfiguration is the tenant discovery document MSAL reads before
// its first token request, even with instance discovery off.
func (f *fakeGraph) openIDConfiguration(w http.ResponseWriter, r *http.Request) {
	tenant := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")[0]
	base := f.srv.URL + "/" + tenant
	f.writeJSON(w, http.StatusOK, map[string]any{
		"token_endpoint":         base + "/oauth2/v2.0/token",
		"authorization_endpoint": base + "/oauth2/v2.0/authorize",
		"issuer":                 base + "/v2.0",
	})
}

// tokenEndpoint is the client credentials grant: a client secret or a
// certificate's signed assertion (not verified here) buys token_response.json.
func (f *fakeGraph) tokenEndpoint(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	form := r.PostForm
	f.mu.Lock()
	f.tokenRequests = append(f.tokenRequests, form)
	f.mu.Unlock()
	tokenErr := func(status int, code, desc string) {
		f.writeJSON(w, status, map[string]any{"error": code, "error_description": desc, "error_codes": []int{7000215}})
	}
	switch {
	case form.Get("grant_type") != "client_credentials" || form.Get("client_id") != f.clientID:
		tokenErr(http.StatusBadRequest, "unauthorized_client", "AADSTS700016: Application not found in the directory.")
	case !slices.ContainsFunc(strings.Fields(form.Get("scope")), func(s string) bool { return strings.HasSuffix(s, "/.default") }):
		f.write(w, http.StatusBadRequest, readTestdata(f.t, "token_error_invalid_scope.json"))
	case form.Get("client_secret") == f.secret:
		f.write(w, http.StatusOK, readTestdata(f.t, "token_response.json"))
	case form.Get("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" && form.Get("client_assertion") != "":
		f.write(w, http.StatusOK, readTestdata(f.t, "token_response.json"))
	default:
		tokenErr(http.StatusUnauthorized, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
	}
}

// fakeClock is a Clock whose Sleep returns at once: it records the wait and
// moves time forward by it (or not, with frozen set), or fails with fail.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
	frozen bool
	fail   error
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	if c.fail != nil {
		return c.fail
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if !c.frozen {
		c.now = c.now.Add(d)
	}
	return nil
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sleeps)
}

// logBuffer is a goroutine-safe log destination.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newClient is a Client on the fake with a real azidentity client-secret
// credential, a fake clock and a debug logger into the returned buffer.
func newClient(t testing.TB, f *fakeGraph, clock *fakeClock, opts ...Option) (*Client, *logBuffer) {
	t.Helper()
	return newClientConfig(t, f, f.config(), clock, opts...)
}

func newClientConfig(t testing.TB, f *fakeGraph, cfg Config, clock *fakeClock, opts ...Option) (*Client, *logBuffer) {
	t.Helper()
	cred, err := NewCredential(cfg, f.srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	base := []Option{
		WithHTTPClient(f.srv.Client()),
		WithClock(clock),
		WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
	}
	c, err := New(cfg, cred, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, logs
}
