package nhsid_test

import (
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/nhskit/nhskit/nhsid"
)

func ExampleParseNHSNumber() {
	n, err := nhsid.ParseNHSNumber("999 000 0018")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(n)             // masked: safe in logs and errors
	fmt.Println(n.Digits())    // the wire form, asked for by name
	fmt.Println(n.Formatted()) // for a person entitled to see it

	_, err = nhsid.ParseNHSNumber("999-000-0017")
	fmt.Println(err, errors.Is(err, nhsid.ErrNHSNumberCheckDigit))
	// Output:
	// *** *** 0018
	// 9990000018
	// 999 000 0018
	// nhsid: nhs number check digit does not match (modulus 11) true
}

func ExampleNHSNumber_LogValue() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	logger.Info("patient traced", "nhs_number", nhsid.NHSNumber("9990000018"))
	// Output:
	// level=INFO msg="patient traced" nhs_number="*** *** 0018"
}

func ExampleTestNHSNumber() {
	// Deterministic synthetic numbers for fakes: skip the stems that have
	// no check digit.
	for seq := uint64(0); seq < 4; seq++ {
		if n, ok := nhsid.TestNHSNumber(seq); ok {
			fmt.Println(n.Digits())
		}
	}
	// Output:
	// 9990000018
	// 9990000026
	// 9990000034
}

func ExampleODSCode_Kind() {
	c, err := nhsid.ParseODSCode(" a81001")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c, c.Kind() == nhsid.ODSGPPractice)
	// Output:
	// A81001 true
}
