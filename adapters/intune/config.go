package intune

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Config is the Graph connection, read from the environment with envconfig.
// Embed it (anonymously) in the program's configuration processed with the
// prefix PASSBOT, so the variables are PASSBOT_GRAPH_URL and so on.
type Config struct {
	// URL is the Graph endpoint including its version. The default is beta:
	// only beta reports deviceType and the androidEnterprise* enrollment
	// types that tell Android Enterprise and Windows Phone devices apart
	// (device.Managed.Kind). v1.0 works too, classifying those less precisely.
	URL string `envconfig:"GRAPH_URL" default:"https://graph.microsoft.com/beta" desc:"Microsoft Graph endpoint with its version; beta (the default) reports deviceType, which tells Android Enterprise and Windows Phone devices apart; v1.0 works but classifies those as Android device administrator and Windows PCs; https://graph.microsoft.us/beta etc. for national clouds"`
	// AuthorityURL is the Entra ID authority host, for national clouds, a
	// private authority or tests. Empty means AZURE_AUTHORITY_HOST or the
	// public cloud. Setting it turns off MSAL's instance discovery.
	AuthorityURL string `envconfig:"GRAPH_AUTHORITY_URL" desc:"Entra ID authority host, e.g. https://login.microsoftonline.us/; empty uses AZURE_AUTHORITY_HOST or the public cloud; setting it turns off instance discovery"`
	TenantID     string `envconfig:"GRAPH_TENANT_ID" desc:"Entra ID tenant (directory) ID of passbot's app registration"`
	ClientID     string `envconfig:"GRAPH_CLIENT_ID" desc:"application (client) ID of passbot's app registration, or of a user-assigned managed identity"`
	ClientSecret string `envconfig:"GRAPH_CLIENT_SECRET" secret:"true" desc:"client secret of the app registration; or set GRAPH_CERTIFICATE_PATH, or neither for workload/managed identity and the AZURE_* variables"`
	// CertificatePath is a PEM or PKCS#12 file holding the app's certificate
	// and private key, used instead of a client secret.
	CertificatePath     string `envconfig:"GRAPH_CERTIFICATE_PATH" desc:"PEM or PKCS#12 file with the app registration's certificate and private key, instead of a client secret"`
	CertificatePassword string `envconfig:"GRAPH_CERTIFICATE_PASSWORD" secret:"true" desc:"password of an encrypted GRAPH_CERTIFICATE_PATH"`
	// Credential "azure-default" asks for azidentity's default chain even
	// when nothing in the environment names a credential: on a VM whose
	// managed identity is found only by probing its metadata endpoint, or
	// with a developer's az login. Unset, passbot refuses to start without
	// a credential rather than probe.
	Credential string `envconfig:"GRAPH_CREDENTIAL" desc:"azure-default: use the Azure SDK's default credential chain (a VM's managed identity, az login) when no secret, certificate, workload or managed identity variable is set; empty refuses to start without one"`
	// Timeout bounds each HTTP attempt, token included.
	Timeout time.Duration `envconfig:"GRAPH_TIMEOUT" default:"10s" desc:"time limit of each HTTP attempt at Graph or Entra ID"`
	// MaxAttempts bounds the tries of one request, the first included.
	MaxAttempts int `envconfig:"GRAPH_MAX_ATTEMPTS" default:"4" desc:"tries of one Graph request (429, 503, 504 and failed reads are retried), the first included: 1 to 10"`
}

// Defaults used where Config leaves a field at its zero value.
const (
	DefaultURL         = "https://graph.microsoft.com/beta"
	DefaultTimeout     = 10 * time.Second
	DefaultMaxAttempts = 4
)

// withDefaults checks c and fills in zero values; errors name the variable.
func (c Config) withDefaults() (Config, error) {
	if c.URL == "" {
		c.URL = DefaultURL
	}
	c.URL = strings.TrimRight(c.URL, "/")
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return c, fmt.Errorf("intune: GRAPH_URL %q is not an http(s) URL such as %s", c.URL, DefaultURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return c, fmt.Errorf("intune: GRAPH_URL %q must not have a query or fragment", c.URL)
	}
	if c.Timeout < 0 {
		return c, fmt.Errorf("intune: GRAPH_TIMEOUT %v is negative", c.Timeout)
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxAttempts < 0 {
		return c, fmt.Errorf("intune: GRAPH_MAX_ATTEMPTS %d is negative", c.MaxAttempts)
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	return c, nil
}

// TokenScope is the scope of the tokens the client asks for with cfg, for
// a caller that checks the credential before the first request.
func TokenScope(cfg Config) (string, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return "", err
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		return "", err
	}
	return scope(u), nil
}

// scope is the token scope for Graph at u: its origin plus "/.default", so
// national clouds (graph.microsoft.us, microsoftgraph.chinacloudapi.cn) get a
// token for themselves.
func scope(u *url.URL) string {
	return u.Scheme + "://" + u.Host + "/.default"
}

// beta reports whether u is Graph's beta endpoint.
func beta(u *url.URL) bool {
	return strings.HasSuffix(strings.TrimRight(u.Path, "/"), "/beta")
}
