// Command pdslookup retrieves or traces a patient in the Personal
// Demographics Service: against an in-process fake (the default), the
// public sandbox, or integration/production with signed-JWT
// application-restricted auth.
//
//	go run ./examples/pdslookup 9990000018
//	go run ./examples/pdslookup -family SMITH -birthdate 1980-01-01
//	go run ./examples/pdslookup -env integration -key $API_KEY -kid test-1 -private-key key.pem 9449305552
//
// It prints the patient's NHS number masked, whether it is superseded or
// restricted, the version and the registered practice, never names or
// addresses.
package main

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/spine"
	"github.com/nhskit/nhskit/spine/pds"
	"github.com/nhskit/nhskit/spine/pds/pdstest"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "pdslookup:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("pdslookup", flag.ContinueOnError)
	env := fs.String("env", "fake", "fake, sandbox, integration or production")
	apiKey := fs.String("key", "", "API key (integration, production)")
	kid := fs.String("kid", "", "key id of the registered public key")
	keyFile := fs.String("private-key", "", "PEM file of the RSA private key")
	family := fs.String("family", "", "trace: family name (wildcard * allowed)")
	given := fs.String("given", "", "trace: given name")
	birth := fs.String("birthdate", "", "trace: date of birth, YYYY-MM-DD")
	postcode := fs.String("postcode", "", "trace: postcode")
	fuzzy := fs.Bool("fuzzy", false, "trace: fuzzy match")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := pds.Config{}
	switch *env {
	case "fake":
		srv := pdstest.NewServer()
		defer srv.Close()
		cfg.BaseURL = srv.URL
	case "sandbox":
		cfg.BaseURL = spine.Sandbox.BaseURL + pds.BasePath
	case "integration", "production":
		e := spine.Integration
		if *env == "production" {
			e = spine.Production
		}
		pemBytes, err := os.ReadFile(*keyFile)
		if err != nil {
			return fmt.Errorf("reading the private key: %w", err)
		}
		block, _ := pem.Decode(pemBytes)
		if block == nil {
			return errors.New("the private key file is not PEM")
		}
		key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			k8, err8 := x509.ParsePKCS8PrivateKey(block.Bytes)
			rk, ok := k8.(*rsa.PrivateKey)
			if err8 != nil || !ok {
				return errors.New("the private key is neither PKCS#1 nor PKCS#8 RSA")
			}
			key = rk
		}
		cfg.BaseURL = e.BaseURL + pds.BasePath
		cfg.Tokens = &spine.AppRestricted{APIKey: *apiKey, KeyID: *kid, PrivateKey: key, TokenURL: e.TokenURL()}
	default:
		return fmt.Errorf("unknown environment %q", *env)
	}
	client, err := pds.New(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()

	if *family != "" || *given != "" {
		q := pds.Query{Family: *family, Postcode: *postcode, FuzzyMatch: *fuzzy}
		if *given != "" {
			q.Given = []string{*given}
		}
		if q.BirthDate, err = time.Parse("2006-01-02", *birth); err != nil {
			return errors.New("-birthdate must be YYYY-MM-DD")
		}
		matches, err := client.Search(ctx, q)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%d match(es)\n", len(matches))
		for _, m := range matches {
			describe(w, m.Patient, fmt.Sprintf("score %.2f", m.Score))
		}
		return nil
	}
	if fs.NArg() != 1 {
		return errors.New("give an NHS number, or -family and -birthdate to trace")
	}
	nhs, err := nhsid.ParseNHSNumber(fs.Arg(0))
	if err != nil {
		return err
	}
	p, err := client.Get(ctx, nhs)
	if err != nil {
		return err
	}
	describe(w, p, "")
	return nil
}

func describe(w io.Writer, p *pds.Patient, extra string) {
	fmt.Fprintf(w, "%s version %d", p.NHSNumber.Masked(), p.Version)
	if p.Superseded {
		fmt.Fprintf(w, ", superseded %s: update your records", p.Requested.Masked())
	}
	if p.Restricted {
		fmt.Fprint(w, ", RESTRICTED: do not disclose location details")
	}
	if ods, ok := p.GPPracticeODS(); ok {
		fmt.Fprintf(w, ", practice %s", ods)
	}
	if extra != "" {
		fmt.Fprintf(w, ", %s", extra)
	}
	fmt.Fprintln(w)
}
