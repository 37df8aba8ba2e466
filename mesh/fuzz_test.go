package mesh

import (
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
)

// FuzzParseAPIError feeds arbitrary bodies to the error-body reader: it
// never panics, and keeps the status whatever the body.
func FuzzParseAPIError(f *testing.F) {
	for _, s := range []string{
		`{"detail":[{"event":"SEND","code":"12","msg":"Unregistered to address"}],"internal_id":"x"}`,
		`{"errorEvent":"SEND","errorCode":"12","errorDescription":"Unregistered to address","messageID":"M"}`,
		`{"detail":[{"loc":["header","mex-to"],"msg":"field required","type":"value_error.missing"}]}`,
		`{"detail":"Not Found"}`, `{"message":"An internal error occurred."}`, `null`, `[]`, `{"detail":[1,2]}`,
	} {
		f.Add(417, []byte(s))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := parseAPIError("op", status, body)
		if e.StatusCode != status {
			t.Fatalf("status %d became %d", status, e.StatusCode)
		}
		_ = e.Error()
	})
}

// FuzzReceivedHeaders reads arbitrary mex- header values without panicking;
// a chunk count is always at least one.
func FuzzReceivedHeaders(f *testing.F) {
	f.Add("1:3", "DATA", "Y", "00")
	f.Add("1:0", "REPORT", "", "14")
	f.Add(":", "", "y", "")
	f.Fuzz(func(t *testing.T, chunkRange, typ, compressed, code string) {
		h := http.Header{}
		h.Set("mex-Chunk-Range", chunkRange)
		h.Set("mex-MessageType", typ)
		h.Set("mex-Content-Compressed", compressed)
		h.Set("mex-StatusCode", code)
		r := receivedFrom(h)
		if r.Chunks < 1 {
			t.Fatalf("chunks %d from %q", r.Chunks, chunkRange)
		}
		if r.MessageType == "" || r.MessageType != strings.ToUpper(r.MessageType) {
			t.Fatalf("message type %q", r.MessageType)
		}
	})
}

// FuzzParseTime never panics and returns UTC or the zero time.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2026-12-09T15:44:21.135751", "20261204154421", "2026-12-04T15:44:21Z", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if tm := parseTime(s); !tm.IsZero() && tm.Location().String() != "UTC" {
			t.Fatalf("%q parsed to %v", s, tm)
		}
	})
}

// FuzzParseAuthHeader: a header that parses rebuilds to the same value
// when its MAC is recomputed, and nothing panics.
func FuzzParseAuthHeader(f *testing.F) {
	f.Add("NHSMESH X26ABC1:nonce:0:202612041544:abcdef")
	f.Add("NHSMESH ::::")
	f.Add("Bearer x")
	f.Fuzz(func(t *testing.T, h string) {
		tok, err := ParseAuthHeader(h)
		if err != nil {
			return
		}
		if got := "NHSMESH " + strings.Join([]string{tok.Mailbox, tok.Nonce, tok.NonceCount, tok.Timestamp, tok.MAC}, ":"); got != h {
			t.Fatalf("%q parsed into parts that join to %q", h, got)
		}
		_ = tok.Verify("password", "TestKey")
	})
}

// FuzzDecryptPKCS8 feeds arbitrary DER to the PKCS#8 decrypter: it never
// panics, and fails or returns a key, never both or neither.
func FuzzDecryptPKCS8(f *testing.F) {
	for _, name := range []string{"key-pbes2-sha256-aes256.pem", "key-pbes2-sha1-aes128.pem", "key-pbes2-aes192.pem"} {
		if b, _ := pem.Decode(readPEM(f, name)); b != nil {
			f.Add(b.Bytes, []byte(testPassphrase))
			f.Add(b.Bytes, []byte("wrong"))
		}
	}
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x01}, []byte{})
	old := maxPBKDF2Iterations
	maxPBKDF2Iterations = 4096 // keep each input cheap
	f.Cleanup(func() { maxPBKDF2Iterations = old })
	f.Fuzz(func(t *testing.T, der, pass []byte) {
		k, err := DecryptPKCS8PrivateKey(der, pass)
		if (err == nil) == (k == nil) {
			t.Fatalf("key %v with error %v", k, err)
		}
	})
}
