package mesh

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
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
// The key is read by [ParsePrivateKeyPEM]: unencrypted, or encrypted
// PKCS#8 (use [HTTPClientFromEncryptedPEM] to give the passphrase).
func HTTPClientFromPEM(certFile, keyFile, caFile string) (*http.Client, error) {
	return HTTPClientFromEncryptedPEM(certFile, keyFile, caFile, nil)
}

// HTTPClientFromEncryptedPEM is [HTTPClientFromPEM] for a key encrypted
// with passphrase, as NHS England's mesh-client accepts one: an
// "ENCRYPTED PRIVATE KEY" (PKCS#8, PBES2 with PBKDF2 and AES-CBC, RFC
// 8018; see [DecryptPKCS8PrivateKey]). A wrong passphrase is
// [ErrKeyPassphrase]; legacy "Proc-Type: 4,ENCRYPTED" keys are refused
// with [ErrKeyEncryption]. An unencrypted key ignores the passphrase.
func HTTPClientFromEncryptedPEM(certFile, keyFile, caFile string, passphrase []byte) (*http.Client, error) {
	pair, err := loadKeyPair(certFile, keyFile, passphrase)
	if err != nil {
		return nil, err
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

// loadKeyPair is tls.LoadX509KeyPair with an optionally encrypted key.
func loadKeyPair(certFile, keyFile string, passphrase []byte) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("mesh: client certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("mesh: client key: %w", err)
	}
	defer clear(keyPEM)
	key, err := ParsePrivateKeyPEM(keyPEM, passphrase)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("mesh: client key %s: %w", keyFile, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("mesh: client key %s: %w", keyFile, err)
	}
	plain := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	defer clear(plain)
	clear(der)
	pair, err := tls.X509KeyPair(certPEM, plain)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("mesh: client certificate: %w", err)
	}
	return pair, nil
}
