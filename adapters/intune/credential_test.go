package intune

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/kelseyhightower/envconfig"
	"github.com/passbot/passbot/adapters/intune/graphtest"
)

func TestNewCredentialGetsTokensFromTheAuthority(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  func(*graphtest.Server) Config
		want any
		form func(*testing.T, map[string][]string)
	}{
		{
			name: "client secret",
			cfg:  func(f *graphtest.Server) Config { return fakeConfig(f) },
			want: &azidentity.ClientSecretCredential{},
			form: func(t *testing.T, form map[string][]string) {
				if form["client_secret"][0] == "" {
					t.Error("no client_secret sent")
				}
			},
		},
		{
			name: "client certificate",
			cfg: func(f *graphtest.Server) Config {
				cfg := fakeConfig(f)
				cfg.ClientSecret = ""
				cfg.CertificatePath = writeCertificate(t)
				return cfg
			},
			want: &azidentity.ClientCertificateCredential{},
			form: func(t *testing.T, form map[string][]string) {
				if len(form["client_assertion"]) == 0 || len(form["client_secret"]) != 0 {
					t.Errorf("want a signed assertion and no secret, got %v", form)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeGraph(t)
			cred, err := NewCredential(tt.cfg(f), f.Client())
			if err != nil {
				t.Fatal(err)
			}
			if got, want := typeName(cred), typeName(tt.want); got != want {
				t.Fatalf("credential %s, want %s", got, want)
			}
			tok, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
			if err != nil {
				t.Fatal(err)
			}
			if tok.Token != f.Token {
				t.Errorf("token %q, want the fixture's", tok.Token)
			}
			forms := f.TokenRequests()
			if len(forms) != 1 {
				t.Fatalf("%d token requests", len(forms))
			}
			if forms[0].Get("client_id") != f.ClientID || forms[0].Get("grant_type") != "client_credentials" {
				t.Errorf("token request %v", forms[0])
			}
			tt.form(t, forms[0])
		})
	}
}

func TestNewCredentialChoosesFromWhatIsSet(t *testing.T) {
	t.Parallel()
	tokenFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokenFile, []byte("service-account-jwt"), 0o600)
	app := Config{TenantID: "contoso-tenant", ClientID: "6731de76-14a6-49ae-97bc-6eba6914391e"}
	with := func(mod func(*Config)) Config { c := app; mod(&c); return c }
	tests := []struct {
		name    string
		cfg     Config
		env     map[string]string
		want    any
		wantErr []string
	}{
		{name: "workload identity from the AKS webhook's variables", cfg: app,
			env: map[string]string{"AZURE_FEDERATED_TOKEN_FILE": tokenFile}, want: &azidentity.WorkloadIdentityCredential{}},
		{name: "managed identity on App Service", cfg: app,
			env: map[string]string{"IDENTITY_ENDPOINT": "http://127.0.0.1:41741/msi/token"}, want: &azidentity.ManagedIdentityCredential{}},
		{name: "nothing set stops start-up instead of probing managed identity", cfg: Config{},
			wantErr: []string{"no Graph credential", "GRAPH_CLIENT_SECRET", "GRAPH_CREDENTIAL=azure-default"}},
		{name: "default chain when asked for", cfg: Config{Credential: CredentialAzureDefault}, want: &azidentity.DefaultAzureCredential{}},
		{name: "default chain for the AZURE_* variables of an app", cfg: Config{},
			env: map[string]string{"AZURE_CLIENT_SECRET": "s"}, want: &azidentity.DefaultAzureCredential{}},
		{name: "unknown credential choice", cfg: Config{Credential: "magic"}, wantErr: []string{"GRAPH_CREDENTIAL", "azure-default"}},
		{name: "secret wins over the environment", cfg: with(func(c *Config) { c.ClientSecret = "s" }),
			env: map[string]string{"AZURE_FEDERATED_TOKEN_FILE": tokenFile}, want: &azidentity.ClientSecretCredential{}},
		{name: "secret and certificate both set", cfg: with(func(c *Config) { c.ClientSecret, c.CertificatePath = "s", "/x.pem" }),
			wantErr: []string{"GRAPH_CLIENT_SECRET", "GRAPH_CERTIFICATE_PATH", "not both"}},
		{name: "secret without tenant and client", cfg: Config{ClientSecret: "s"},
			wantErr: []string{"GRAPH_TENANT_ID is required", "GRAPH_CLIENT_ID is required"}},
		{name: "certificate file missing", cfg: with(func(c *Config) { c.CertificatePath = "/nonexistent/app.pem" }),
			wantErr: []string{"/nonexistent/app.pem"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cred, err := newCredential(tt.cfg, nil, func(k string) string { return tt.env[k] })
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("no error, got %T", cred)
				}
				for _, s := range tt.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not mention %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := typeName(cred), typeName(tt.want); got != want {
				t.Errorf("credential %s, want %s", got, want)
			}
		})
	}
}

func typeName(v any) string { return fmt.Sprintf("%T", v) }

// writeCertificate writes a self-signed certificate and its key as one PEM
// file, the form an Entra app certificate is usually kept in.
func writeCertificate(t *testing.T) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048) // Entra takes RSA only
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "passbot"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	data := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk})...)
	path := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConfigFromEnvironment(t *testing.T) {
	t.Setenv("PASSBOT_GRAPH_TENANT_ID", "contoso-tenant")
	t.Setenv("PASSBOT_GRAPH_CLIENT_ID", "app")
	t.Setenv("PASSBOT_GRAPH_CLIENT_SECRET", "s3cret")
	t.Setenv("PASSBOT_GRAPH_AUTHORITY_URL", "https://login.microsoftonline.us/")
	t.Setenv("PASSBOT_GRAPH_MAX_ATTEMPTS", "6")
	var main struct {
		Config
		RedisURL string `envconfig:"REDIS_URL"`
	}
	if err := envconfig.Process("PASSBOT", &main); err != nil {
		t.Fatal(err)
	}
	want := Config{
		URL: DefaultURL, AuthorityURL: "https://login.microsoftonline.us/", TenantID: "contoso-tenant",
		ClientID: "app", ClientSecret: "s3cret", Timeout: DefaultTimeout, MaxAttempts: 6,
	}
	if main.Config != want {
		t.Errorf("config %+v\nwant %+v", main.Config, want)
	}
}

func TestNewChecksConfig(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		cfg  Config
		want string
	}{
		{Config{URL: "graph.microsoft.com/v1.0"}, "GRAPH_URL"},
		{Config{URL: "https://graph.microsoft.com/v1.0?x=1"}, "GRAPH_URL"},
		{Config{Timeout: -time.Second}, "GRAPH_TIMEOUT"},
		{Config{MaxAttempts: -1}, "GRAPH_MAX_ATTEMPTS"},
	} {
		if _, err := New(tt.cfg, StaticToken("t")); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) = %v, want an error naming %s", tt.cfg, err, tt.want)
		}
	}
	c, err := New(Config{URL: "https://graph.microsoft.us/v1.0/"}, StaticToken("t"))
	if err != nil {
		t.Fatal(err)
	}
	if c.timeout != DefaultTimeout || c.attempts != DefaultMaxAttempts || c.scopes[0] != "https://graph.microsoft.us/.default" {
		t.Errorf("defaults: timeout %v attempts %d scopes %v", c.timeout, c.attempts, c.scopes)
	}
	for segs, want := range map[[2]string]string{
		{"users", "a/b"}: "https://graph.microsoft.us/v1.0/users/a%2Fb",
		{"x", ".."}:      "https://graph.microsoft.us/v1.0/x/%2E%2E",
		{"x", "a?b#c"}:   "https://graph.microsoft.us/v1.0/x/a%3Fb%23c",
	} {
		if got := c.endpoint(segs[0], segs[1]); got != want {
			t.Errorf("endpoint(%q) = %s, want %s", segs, got, want)
		}
	}
}

var _ azcore.TokenCredential = StaticToken("")
