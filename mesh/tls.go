package mesh

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
)

// HTTPClientFromPEM builds the *http.Client MESH needs for mutual TLS from
// PEM files: the mailbox's client certificate and key, and optionally the
// CA bundle that signed the MESH server's certificate (empty: the system
// roots; for NHS England's environments pass the bundle NHS England's
// mesh-client ships for it: nhs-int-ca-bundle.pem, nhs-dep-ca-bundle.pem
// or nhs-live-ca-bundle.pem). TLS 1.2 is the floor.
//
// The key must be unencrypted: Go's standard library reads no encrypted
// PKCS#8 key. Decrypt one into a file only the service can read
// ("openssl pkey -in enc.pem -out key.pem"), or build the tls.Certificate
// yourself and pass an *http.Client in Config.HTTPClient.
func HTTPClientFromPEM(certFile, keyFile, caFile string) (*http.Client, error) {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("mesh: client certificate: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("mesh: ca bundle: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("mesh: ca bundle %s holds no certificates", caFile)
		}
		cfg.RootCAs = pool
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = cfg
	return &http.Client{Transport: tr}, nil
}
