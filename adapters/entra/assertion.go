package entra

import (
	"crypto"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
)

// Certificate authenticates passbot with a certificate's signed assertion
// ("Microsoft identity platform application authentication certificate
// credentials", learn.microsoft.com/entra/identity-platform/certificate-credentials):
// the same PEM or PKCS#12 file the Graph credential uses.
type Certificate struct {
	clientID string
	cert     *x509.Certificate
	key      crypto.PrivateKey
}

// LoadCertificate reads the app's certificate and private key.
func LoadCertificate(path, password, clientID string) (*Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("entra: certificate: %w", err)
	}
	certs, key, err := azidentity.ParseCertificates(data, []byte(password))
	if err != nil {
		return nil, fmt.Errorf("entra: certificate %s: %w", path, err)
	}
	return &Certificate{clientID: clientID, cert: certs[0], key: key}, nil
}

func (c *Certificate) tokenParams(tokenURL string, now time.Time) (string, []oauth2.AuthCodeOption, error) {
	sha := sha1.Sum(c.cert.Raw) // x5t is the SHA-1 thumbprint by definition (RFC 7515 4.1.7)
	sha256sum := sha256.Sum256(c.cert.Raw)
	opts := (&jose.SignerOptions{}).WithType("JWT").
		WithHeader("x5t", base64.RawURLEncoding.EncodeToString(sha[:])).
		WithHeader("x5t#S256", base64.RawURLEncoding.EncodeToString(sha256sum[:]))
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: c.key}, opts)
	if err != nil {
		return "", nil, fmt.Errorf("entra: client assertion: %w", err)
	}
	payload, err := json.Marshal(map[string]any{
		"aud": tokenURL, "iss": c.clientID, "sub": c.clientID, "jti": random(16),
		"nbf": now.Unix(), "iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
	})
	if err != nil {
		return "", nil, err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", nil, fmt.Errorf("entra: client assertion: %w", err)
	}
	assertion, err := jws.CompactSerialize()
	if err != nil {
		return "", nil, fmt.Errorf("entra: client assertion: %w", err)
	}
	return "", []oauth2.AuthCodeOption{
		oauth2.SetAuthURLParam("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
		oauth2.SetAuthURLParam("client_assertion", assertion),
	}, nil
}
