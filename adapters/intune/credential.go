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
//   - otherwise azidentity.NewDefaultAzureCredential: the AZURE_* variables,
//     workload identity, managed identity (including a VM's IMDS), then the
//     developer tools (az, azd, PowerShell).
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
