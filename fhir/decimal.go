package fhir

import (
	"errors"
	"math/big"
	"strconv"
)

// ErrDecimal is returned for text that is not a FHIR decimal.
var ErrDecimal = errors.New("fhir: not a decimal")

// DecimalOf makes a Decimal from its text, which must be a JSON number; the
// text is kept as given ("4.50" stays "4.50").
func DecimalOf(s string) (Decimal, error) {
	if !isJSONNumber(s) {
		return Decimal{}, ErrDecimal
	}
	return Decimal{Raw: s}, nil
}

// Float64 converts the decimal to the nearest float64.
func (d *Decimal) Float64() (float64, error) {
	if d.Raw == "" {
		return 0, ErrDecimal
	}
	return strconv.ParseFloat(d.Raw, 64)
}

// Rat converts the decimal exactly.
func (d *Decimal) Rat() (*big.Rat, error) {
	r, ok := new(big.Rat).SetString(d.Raw)
	if !ok || d.Raw == "" {
		return nil, ErrDecimal
	}
	return r, nil
}

// Scale is the number of digits after the decimal point as written
// ("4.50" has 2), which FHIR treats as significant.
func (d *Decimal) Scale() int {
	s := d.Raw
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			return j - i - 1
		}
	}
	return 0
}
