package intune

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// CredentialAzureDefault is the GRAPH_CREDENTIAL value that selects the
// Azure SDK's default credential chain.
const CredentialAzureDefault = "azure-default"

// TokenSource gives the client its access tokens; it is
// azcore.TokenCredential, so every azidentity credential is one.
type TokenSource interface {
	GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error)
}

// NewCredential picks the Entra ID credential from what cfg and the
// environment provide, in this order:
//
//   - GRAPH_CLIENT_SECRET: client secret of GRAPH_CLIENT_ID in GRAPH_TENANT_ID;
//   - GRAPH_CERTIFICATE_PATH: client certificate (PEM or PKCS#12, with
//     GRAPH_CERTIFICATE_PASSWORD if encrypted) of that app;
//   - AZURE_FEDERATED_TOKEN_FILE (set by the AKS workload identity webhook):
//     workload identity, GRAPH_CLIENT_ID / GRAPH_TENANT_ID overriding
//     AZURE_CLIENT_ID / AZURE_TENANT_ID;
//   - IDENTITY_ENDPOINT or MSI_ENDPOINT (App Service, Container Apps, Arc):
//     managed identity, user-assigned when GRAPH_CLIENT_ID is set;
//   - the AZURE_* variables of an app (AZURE_CLIENT_SECRET,
//     AZURE_CLIENT_CERTIFICATE_PATH, AZURE_USERNAME), or GRAPH_CREDENTIAL
//     set to azure-default: azidentity.NewDefaultAzureCredential, which
//     also tries managed identity (including a VM's IMDS) and the developer
//     tools (az, azd, PowerShell);
//   - otherwise an error: with nothing configured, the default chain would
//     probe the managed-identity endpoint and fail only at the first reset.
//
// GRAPH_AUTHORITY_URL sets the authority host and turns off instance
// discovery, which otherwise asks login.microsoftonline.com about any
// authority it does not know. client, when not nil, carries the token
// requests (tests); nil keeps azcore's transport, which honours HTTPS_PROXY
// and SSL_CERT_FILE.
func NewCredential(cfg Config, client *http.Client) (azcore.TokenCredential, error) {
	return newCredential(cfg, client, os.Getenv)
}

func newCredential(cfg Config, client *http.Client, getenv func(string) string) (azcore.TokenCredential, error) {
	var opts azcore.ClientOptions
	if client != nil {
		opts.Transport = client
	}
	noDiscovery := cfg.AuthorityURL != ""
	if noDiscovery {
		opts.Cloud = cloud.Configuration{ActiveDirectoryAuthorityHost: cfg.AuthorityURL}
	}
	app := func(secret string) error {
		var missing []error
		if cfg.TenantID == "" {
			missing = append(missing, fmt.Errorf("GRAPH_TENANT_ID is required with %s", secret))
		}
		if cfg.ClientID == "" {
			missing = append(missing, fmt.Errorf("GRAPH_CLIENT_ID is required with %s", secret))
		}
		return errors.Join(missing...)
	}
	wrap := func(kind string, err error) error { return fmt.Errorf("intune: %s credential: %w", kind, err) }

	switch {
	case cfg.ClientSecret != "" && cfg.CertificatePath != "":
		return nil, errors.New("intune: set one of GRAPH_CLIENT_SECRET and GRAPH_CERTIFICATE_PATH, not both")

	case cfg.ClientSecret != "":
		if err := app("GRAPH_CLIENT_SECRET"); err != nil {
			return nil, wrap("client secret", err)
		}
		c, err := azidentity.NewClientSecretCredential(cfg.TenantID, cfg.ClientID, cfg.ClientSecret,
			&azidentity.ClientSecretCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: noDiscovery})
		if err != nil {
			return nil, wrap("client secret", err)
		}
		return c, nil

	case cfg.CertificatePath != "":
		if err := app("GRAPH_CERTIFICATE_PATH"); err != nil {
			return nil, wrap("certificate", err)
		}
		data, err := os.ReadFile(cfg.CertificatePath)
		if err != nil {
			return nil, wrap("certificate", err)
		}
		var password []byte
		if cfg.CertificatePassword != "" {
			password = []byte(cfg.CertificatePassword)
		}
		certs, key, err := azidentity.ParseCertificates(data, password)
		if err != nil {
			return nil, wrap("certificate", fmt.Errorf("GRAPH_CERTIFICATE_PATH %s: %w", cfg.CertificatePath, err))
		}
		c, err := azidentity.NewClientCertificateCredential(cfg.TenantID, cfg.ClientID, certs, key,
			&azidentity.ClientCertificateCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: noDiscovery})
		if err != nil {
			return nil, wrap("certificate", err)
		}
		return c, nil

	case getenv("AZURE_FEDERATED_TOKEN_FILE") != "":
		c, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			ClientOptions: opts, DisableInstanceDiscovery: noDiscovery,
			ClientID: cfg.ClientID, TenantID: cfg.TenantID, TokenFilePath: getenv("AZURE_FEDERATED_TOKEN_FILE"),
		})
		if err != nil {
			return nil, wrap("workload identity", err)
		}
		return c, nil

	case getenv("IDENTITY_ENDPOINT") != "" || getenv("MSI_ENDPOINT") != "":
		mo := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: opts}
		if cfg.ClientID != "" {
			mo.ID = azidentity.ClientID(cfg.ClientID)
		}
		c, err := azidentity.NewManagedIdentityCredential(mo)
		if err != nil {
			return nil, wrap("managed identity", err)
		}
		return c, nil

	case cfg.Credential != "" && cfg.Credential != CredentialAzureDefault:
		return nil, fmt.Errorf("intune: GRAPH_CREDENTIAL: unknown value %q (want %s, or empty)", cfg.Credential, CredentialAzureDefault)

	case cfg.Credential == "" && getenv("AZURE_CLIENT_SECRET") == "" && getenv("AZURE_CLIENT_CERTIFICATE_PATH") == "" && getenv("AZURE_USERNAME") == "":
		return nil, errors.New("intune: no Graph credential: set GRAPH_CLIENT_SECRET or GRAPH_CERTIFICATE_PATH (with GRAPH_TENANT_ID and GRAPH_CLIENT_ID), " +
			"run with workload identity (AZURE_FEDERATED_TOKEN_FILE) or a managed identity endpoint (IDENTITY_ENDPOINT), " +
			"or set GRAPH_CREDENTIAL=" + CredentialAzureDefault + " for the Azure SDK's default chain")

	default:
		c, err := azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{
			ClientOptions: opts, DisableInstanceDiscovery: noDiscovery, TenantID: cfg.TenantID,
		})
		if err != nil {
			return nil, wrap("default Azure", err)
		}
		return c, nil
	}
}

// StaticToken is a TokenSource that always returns the same token: for a
// token obtained elsewhere, and for tests.
type StaticToken string

// GetToken returns the token.
func (t StaticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(t)}, nil
}
