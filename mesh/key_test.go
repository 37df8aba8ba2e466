package mesh

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fixtures in testdata are a synthetic EC P-256 key, written with
// OpenSSL 3.0 under testPassphrase (see the table below for the commands).
const testPassphrase = "nhskit-test-passphrase"

type equalKey interface{ Equal(crypto.PrivateKey) bool }

func readPEM(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func TestParsePrivateKeyPEMFixtures(t *testing.T) {
	plain, err := ParsePrivateKeyPEM(readPEM(t, "key-plain.pem"), nil)
	require.NoError(t, err)
	for _, tc := range []struct {
		name, file, pass string
		wantErr          error
	}{
		// openssl pkcs8 -topk8 -v2 aes256 -v2prf hmacWithSHA256
		{"sha256 aes256 right passphrase", "key-pbes2-sha256-aes256.pem", testPassphrase, nil},
		// openssl pkcs8 -topk8 -v2 aes128 -v2prf hmacWithSHA1 (PRF left to its default)
		{"sha1 aes128 right passphrase", "key-pbes2-sha1-aes128.pem", testPassphrase, nil},
		{"sha256 aes256 wrong passphrase", "key-pbes2-sha256-aes256.pem", "not-it", ErrKeyPassphrase},
		{"sha1 aes128 wrong passphrase", "key-pbes2-sha1-aes128.pem", testPassphrase + "x", ErrKeyPassphrase},
		{"no passphrase for an encrypted key", "key-pbes2-sha256-aes256.pem", "", ErrKeyPassphrase},
		// openssl pkcs8 -topk8 -v2 aes192
		{"unsupported cipher aes192", "key-pbes2-aes192.pem", testPassphrase, ErrKeyEncryption},
		// openssl ec -aes256: Proc-Type: 4,ENCRYPTED
		{"legacy PEM encryption refused", "key-legacy.pem", testPassphrase, ErrKeyEncryption},
		{"plain key ignores the passphrase", "key-plain.pem", "anything", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParsePrivateKeyPEM(readPEM(t, tc.file), []byte(tc.pass))
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				assert.Nil(t, k)
				if tc.pass != "" {
					assert.NotContains(t, err.Error(), tc.pass)
				}
				return
			}
			require.NoError(t, err)
			assert.True(t, plain.(equalKey).Equal(k), "decrypted key differs from the plain one")
		})
	}
}

func TestDecryptPKCS8MalformedKey(t *testing.T) {
	b, _ := pem.Decode(readPEM(t, "key-pbes2-sha256-aes256.pem"))
	require.NotNil(t, b)
	der := b.Bytes
	flip := func(i int) []byte { c := append([]byte(nil), der...); c[i] ^= 0xff; return c }
	for _, tc := range []struct {
		name string
		der  []byte
	}{
		{"empty", nil},
		{"truncated header", der[:10]},
		{"truncated half", der[:len(der)/2]},
		{"truncated last byte", der[:len(der)-1]},
		{"trailing data", append(append([]byte(nil), der...), 0)},
		{"garbled outer tag", flip(0)},
		{"garbled OID", flip(12)},
		{"garbled ciphertext", flip(len(der) - 20)},
		{"garbled last block", flip(len(der) - 1)},
		{"not DER", []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var k any
			var err error
			require.NotPanics(t, func() { k, err = DecryptPKCS8PrivateKey(tc.der, []byte(testPassphrase)) })
			require.Error(t, err)
			assert.Nil(t, k)
			assert.NotContains(t, err.Error(), testPassphrase)
		})
	}
}

// TestEncryptedKeyOpenSSL writes fresh keys with the local openssl (RSA,
// the other combinations) when it is installed.
func TestEncryptedKeyOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed; the testdata fixtures cover decryption")
	}
	dir := t.TempDir()
	plainFile := filepath.Join(dir, "plain.pem")
	run := func(args ...string) {
		t.Helper()
		out, err := exec.Command("openssl", args...).CombinedOutput()
		require.NoError(t, err, "openssl %s: %s", strings.Join(args, " "), out)
	}
	run("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", plainFile)
	plain, err := ParsePrivateKeyPEM(readFile(t, plainFile), nil)
	require.NoError(t, err)
	pass := "pass:" + testPassphrase
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"genpkey aes-256-cbc", []string{"pkey", "-in", plainFile, "-aes-256-cbc", "-passout", pass}},
		{"pkcs8 v2 aes128 hmacWithSHA1", []string{"pkcs8", "-topk8", "-in", plainFile, "-v2", "aes128", "-v2prf", "hmacWithSHA1", "-passout", pass}},
		{"pkcs8 v2 aes256 hmacWithSHA256", []string{"pkcs8", "-topk8", "-in", plainFile, "-v2", "aes256", "-v2prf", "hmacWithSHA256", "-passout", pass}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "enc.pem")
			run(append(tc.args, "-out", out)...)
			enc := readFile(t, out)
			require.Contains(t, string(enc), "BEGIN ENCRYPTED PRIVATE KEY")
			k, err := ParsePrivateKeyPEM(enc, []byte(testPassphrase))
			require.NoError(t, err)
			assert.True(t, plain.(equalKey).Equal(k))
			_, err = ParsePrivateKeyPEM(enc, []byte("wrong passphrase"))
			require.ErrorIs(t, err, ErrKeyPassphrase)
		})
	}
	// genpkey -aes-256-cbc writes the same as above, straight from key generation.
	out := filepath.Join(dir, "gen.pem")
	run("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-aes-256-cbc", "-pass", pass, "-out", out)
	_, err = ParsePrivateKeyPEM(readFile(t, out), []byte(testPassphrase))
	require.NoError(t, err)
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	return b
}

// TestHTTPClientFromEncryptedPEMKey builds the mutual-TLS client from a
// certificate and the encrypted fixture key.
func TestHTTPClientFromEncryptedPEMKey(t *testing.T) {
	k, err := ParsePrivateKeyPEM(readPEM(t, "key-plain.pem"), nil)
	require.NoError(t, err)
	key := k.(*ecdsa.PrivateKey)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "X26TRUST1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	dir := t.TempDir()
	certFile := filepath.Join(dir, "cert.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	keyFile := filepath.Join("testdata", "key-pbes2-sha256-aes256.pem")

	for _, tc := range []struct {
		name    string
		pass    []byte
		wantErr error
	}{
		{"right passphrase", []byte(testPassphrase), nil},
		{"wrong passphrase", []byte("hunter2-wrong"), ErrKeyPassphrase},
		{"no passphrase", nil, ErrKeyPassphrase},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hc, err := HTTPClientFromEncryptedPEM(certFile, keyFile, "", tc.pass)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				assert.Nil(t, hc)
				if len(tc.pass) > 0 {
					assert.NotContains(t, err.Error(), string(tc.pass))
				}
				return
			}
			require.NoError(t, err)
			require.NotNil(t, hc)
		})
	}
	_, err = HTTPClientFromPEM(certFile, filepath.Join("testdata", "key-plain.pem"), "")
	require.NoError(t, err)
}
