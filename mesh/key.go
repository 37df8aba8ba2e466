package mesh

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
)

// Errors reading the client's private key, matched with errors.Is. Neither
// they nor the errors wrapping them carry the passphrase or key bytes.
var (
	// ErrKeyPassphrase: the passphrase does not decrypt the key (or none
	// was given for an encrypted key). A corrupt ciphertext reads the same:
	// the two cannot be told apart.
	ErrKeyPassphrase = errors.New("mesh: private key passphrase is wrong")
	// ErrKeyEncryption: the key is encrypted in a way this package does
	// not read (a PBES2 cipher or PRF other than those listed in the
	// package documentation, PBES1, or legacy PEM encryption).
	ErrKeyEncryption = errors.New("mesh: unsupported private key encryption")
	// ErrKeyMalformed: the key is not well-formed PEM / DER.
	ErrKeyMalformed = errors.New("mesh: malformed private key")
)

// Object identifiers from RFC 8018 (PKCS #5 v2.1), appendices A.2, A.4,
// B.1.2 and B.2.5.
var (
	oidPBES2          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidHMACWithSHA1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidAES128CBC      = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES256CBC      = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
)

// maxPBKDF2Iterations bounds the work a key file can ask for (OpenSSL
// writes 2048 by default; NIST suggests 10,000s to 100,000s).
var maxPBKDF2Iterations = 10_000_000

// encryptedPrivateKeyInfo is RFC 5958 §3 / RFC 8018 A.
type encryptedPrivateKeyInfo struct {
	Algo pkix.AlgorithmIdentifier
	Data []byte
}

// pbes2Params is RFC 8018 A.4.
type pbes2Params struct {
	KDF    pkix.AlgorithmIdentifier
	Scheme pkix.AlgorithmIdentifier
}

// pbkdf2Params is RFC 8018 A.2; Salt is the CHOICE, only "specified"
// (an OCTET STRING) is read.
type pbkdf2Params struct {
	Salt      asn1.RawValue
	Iter      int
	KeyLength int                      `asn1:"optional"`
	PRF       pkix.AlgorithmIdentifier `asn1:"optional"`
}

func unmarshalAll(der []byte, v any, what string) error {
	rest, err := asn1.Unmarshal(der, v)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrKeyMalformed, what, err)
	}
	if len(rest) != 0 {
		return fmt.Errorf("%w: %s: trailing data", ErrKeyMalformed, what)
	}
	return nil
}

// DecryptPKCS8PrivateKey decrypts a DER EncryptedPrivateKeyInfo (the body
// of a "-----BEGIN ENCRYPTED PRIVATE KEY-----" block) with passphrase and
// parses the PKCS #8 key inside. It reads PBES2 (RFC 8018 §6.2) with
// PBKDF2 (§5.2) keyed by HMAC-SHA256 or HMAC-SHA1 and AES-128-CBC or
// AES-256-CBC (B.2.5): what "openssl genpkey -aes-256-cbc" and
// "openssl pkcs8 -topk8 -v2 aes256" write.
func DecryptPKCS8PrivateKey(der, passphrase []byte) (crypto.PrivateKey, error) {
	var info encryptedPrivateKeyInfo
	if err := unmarshalAll(der, &info, "EncryptedPrivateKeyInfo"); err != nil {
		return nil, err
	}
	if !info.Algo.Algorithm.Equal(oidPBES2) {
		return nil, fmt.Errorf("%w: scheme %s (only PBES2 is read; convert with \"openssl pkcs8 -topk8 -v2 aes256\")", ErrKeyEncryption, info.Algo.Algorithm)
	}
	var params pbes2Params
	if err := unmarshalAll(info.Algo.Parameters.FullBytes, &params, "PBES2-params"); err != nil {
		return nil, err
	}
	if !params.KDF.Algorithm.Equal(oidPBKDF2) {
		return nil, fmt.Errorf("%w: key derivation %s (only PBKDF2 is read)", ErrKeyEncryption, params.KDF.Algorithm)
	}
	var kdf pbkdf2Params
	if err := unmarshalAll(params.KDF.Parameters.FullBytes, &kdf, "PBKDF2-params"); err != nil {
		return nil, err
	}
	if kdf.Salt.Class != asn1.ClassUniversal || kdf.Salt.Tag != asn1.TagOctetString || kdf.Salt.IsCompound {
		return nil, fmt.Errorf("%w: PBKDF2 salt is not a specified OCTET STRING", ErrKeyEncryption)
	}
	if kdf.Iter < 1 || kdf.Iter > maxPBKDF2Iterations {
		return nil, fmt.Errorf("%w: PBKDF2 iteration count %d out of range 1..%d", ErrKeyMalformed, kdf.Iter, maxPBKDF2Iterations)
	}
	var prf func() hash.Hash
	switch {
	case len(kdf.PRF.Algorithm) == 0, kdf.PRF.Algorithm.Equal(oidHMACWithSHA1): // DEFAULT algid-hmacWithSHA1
		prf = sha1.New
	case kdf.PRF.Algorithm.Equal(oidHMACWithSHA256):
		prf = sha256.New
	default:
		return nil, fmt.Errorf("%w: PBKDF2 PRF %s (hmacWithSHA256 and hmacWithSHA1 are read)", ErrKeyEncryption, kdf.PRF.Algorithm)
	}
	var keyLen int
	switch {
	case params.Scheme.Algorithm.Equal(oidAES128CBC):
		keyLen = 16
	case params.Scheme.Algorithm.Equal(oidAES256CBC):
		keyLen = 32
	default:
		return nil, fmt.Errorf("%w: cipher %s (aes128-CBC and aes256-CBC are read)", ErrKeyEncryption, params.Scheme.Algorithm)
	}
	if kdf.KeyLength != 0 && kdf.KeyLength != keyLen {
		return nil, fmt.Errorf("%w: PBKDF2 key length %d does not fit the cipher", ErrKeyMalformed, kdf.KeyLength)
	}
	var iv []byte
	if err := unmarshalAll(params.Scheme.Parameters.FullBytes, &iv, "cipher IV"); err != nil {
		return nil, err
	}
	if len(iv) != aes.BlockSize {
		return nil, fmt.Errorf("%w: IV is %d bytes, not %d", ErrKeyMalformed, len(iv), aes.BlockSize)
	}
	if len(info.Data) == 0 || len(info.Data)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: ciphertext is %d bytes, not a whole number of AES blocks", ErrKeyMalformed, len(info.Data))
	}
	key, err := pbkdf2.Key(prf, string(passphrase), kdf.Salt.Bytes, kdf.Iter, keyLen)
	if err != nil {
		return nil, fmt.Errorf("%w: PBKDF2: %v", ErrKeyMalformed, err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKeyMalformed, err)
	}
	plain := make([]byte, len(info.Data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, info.Data)
	defer clear(plain)
	plain, ok := unpad(plain)
	if !ok {
		return nil, ErrKeyPassphrase
	}
	k, err := x509.ParsePKCS8PrivateKey(plain)
	if err != nil {
		// Padding that happens to check out under a wrong key still
		// leaves noise: no detail, since the text could echo key bytes.
		return nil, ErrKeyPassphrase
	}
	return k, nil
}

// unpad strips PKCS #7 padding (RFC 8018 §6.1.1 step 4), checking every
// padding byte.
func unpad(b []byte) ([]byte, bool) {
	if len(b) == 0 {
		return nil, false
	}
	n := int(b[len(b)-1])
	if n == 0 || n > aes.BlockSize || n > len(b) {
		return nil, false
	}
	if subtle.ConstantTimeCompare(b[len(b)-n:], bytes.Repeat([]byte{byte(n)}, n)) != 1 {
		return nil, false
	}
	return b[:len(b)-n], true
}

// ParsePrivateKeyPEM reads the first private key in pemBytes: an
// "ENCRYPTED PRIVATE KEY" (decrypted with passphrase, see
// [DecryptPKCS8PrivateKey]), or an unencrypted "PRIVATE KEY" (PKCS #8),
// "RSA PRIVATE KEY" (PKCS #1) or "EC PRIVATE KEY" (SEC 1), for which the
// passphrase is ignored. Legacy OpenSSL PEM encryption ("Proc-Type:
// 4,ENCRYPTED" with DEK-Info) is refused with [ErrKeyEncryption]: its key
// derivation is a single MD5 round and Go has deprecated
// reading it; convert the key with
// "openssl pkcs8 -topk8 -v2 aes256 -in old.pem -out new.pem".
func ParsePrivateKeyPEM(pemBytes, passphrase []byte) (crypto.PrivateKey, error) {
	for rest := pemBytes; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return nil, fmt.Errorf("%w: no PEM private key block", ErrKeyMalformed)
		}
		switch b.Type {
		case "ENCRYPTED PRIVATE KEY":
			if len(passphrase) == 0 {
				return nil, fmt.Errorf("%w: the key is encrypted and no passphrase was given", ErrKeyPassphrase)
			}
			return DecryptPKCS8PrivateKey(b.Bytes, passphrase)
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
		default:
			continue
		}
		if _, ok := b.Headers["DEK-Info"]; ok || b.Headers["Proc-Type"] == "4,ENCRYPTED" {
			return nil, fmt.Errorf("%w: legacy PEM encryption (Proc-Type: 4,ENCRYPTED) is insecure and not read; convert the key to encrypted PKCS#8 with \"openssl pkcs8 -topk8 -v2 aes256 -in old.pem -out new.pem\"", ErrKeyEncryption)
		}
		var k crypto.PrivateKey
		var err error
		switch b.Type {
		case "PRIVATE KEY":
			k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		case "RSA PRIVATE KEY":
			k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
		default:
			k, err = x509.ParseECPrivateKey(b.Bytes)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrKeyMalformed, b.Type, err)
		}
		return k, nil
	}
}
