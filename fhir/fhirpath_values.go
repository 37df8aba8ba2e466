package fhir

import (
	"math/big"
	"strconv"
	"strings"
	"time"
)

// FHIRPath system values (https://hl7.org/fhirpath/N1/#literals): a result
// item is one of bool, string, int64, FPDecimal, FPTemporal, FPQuantity,
// FPType or a *Node (an element of the resource).

// FPDecimal is a FHIRPath Decimal: an exact value and the number of digits
// after the point it was written or computed with (its precision).
type FPDecimal struct {
	R     *big.Rat
	Scale int
}

func (d FPDecimal) String() string {
	if d.R == nil {
		return "0"
	}
	s := d.R.FloatString(d.Scale)
	return s
}

func decFromInt(i int64) FPDecimal { return FPDecimal{R: new(big.Rat).SetInt64(i)} }

// parseDec reads a decimal literal ("-1.50", "3", "1e3" is refused).
func parseDec(s string) (FPDecimal, bool) {
	if s == "" {
		return FPDecimal{}, false
	}
	body := s
	if body[0] == '-' || body[0] == '+' {
		body = body[1:]
	}
	if body == "" {
		return FPDecimal{}, false
	}
	dot := -1
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c == '.' {
			if dot >= 0 || i == 0 || i == len(body)-1 {
				return FPDecimal{}, false
			}
			dot = i
			continue
		}
		if c < '0' || c > '9' {
			return FPDecimal{}, false
		}
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return FPDecimal{}, false
	}
	scale := 0
	if dot >= 0 {
		scale = len(body) - dot - 1
	}
	return FPDecimal{R: r, Scale: scale}, true
}

// round returns d rounded half away from zero to n digits.
func (d FPDecimal) round(n int) FPDecimal {
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
	x := new(big.Rat).Mul(d.R, new(big.Rat).SetInt(p))
	num, den := x.Num(), x.Denom()
	q, m := new(big.Int).QuoRem(new(big.Int).Abs(num), den, new(big.Int))
	if new(big.Int).Mul(m, big.NewInt(2)).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if num.Sign() < 0 {
		q.Neg(q)
	}
	return FPDecimal{R: new(big.Rat).SetFrac(q, p), Scale: n}
}

// trunc returns d truncated toward zero (floor when floor is set) to n digits.
func (d FPDecimal) trunc(n int, floor bool) FPDecimal {
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
	x := new(big.Rat).Mul(d.R, new(big.Rat).SetInt(p))
	q, m := new(big.Int).QuoRem(x.Num(), x.Denom(), new(big.Int))
	if floor && m.Sign() < 0 {
		q.Sub(q, big.NewInt(1))
	}
	return FPDecimal{R: new(big.Rat).SetFrac(q, p), Scale: n}
}

// trimmed gives a computed decimal (a quotient, a root) the shortest scale
// up to 8 digits that shows it.
func trimmed(r *big.Rat) FPDecimal {
	s := r.FloatString(8)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	d, _ := parseDec(s)
	if d.R == nil {
		return FPDecimal{R: r}
	}
	return d
}

func decFloat(f float64) FPDecimal {
	r := new(big.Rat)
	if r.SetFloat64(f) == nil {
		return FPDecimal{R: r}
	}
	return trimmed(r)
}

func (d FPDecimal) float() float64 { f, _ := d.R.Float64(); return f }

// FPTemporal is a FHIRPath Date, DateTime or Time with its precision.
type FPTemporal struct {
	Kind  byte // 'D' Date, 'T' DateTime, 't' Time
	Y     int
	Mo    int
	D     int
	H     int
	Mi    int
	S     int
	Ms    int
	Prec  int // 1 year, 2 month, 3 day, 4 hour, 5 minute, 6 second, 7 millisecond
	TZ    int // offset in minutes when HasTZ
	HasTZ bool
}

const (
	precYear = iota + 1
	precMonth
	precDayT
	precHour
	precMinute
	precSecond
	precMilli
)

func (t FPTemporal) String() string {
	var b strings.Builder
	if t.Kind != 't' {
		b.WriteString(pad(t.Y, 4))
		if t.Prec >= precMonth {
			b.WriteString("-" + pad(t.Mo, 2))
		}
		if t.Prec >= precDayT {
			b.WriteString("-" + pad(t.D, 2))
		}
		if t.Kind == 'D' {
			return b.String()
		}
		if t.Prec >= precHour {
			b.WriteByte('T')
		}
	}
	if t.Prec >= precHour {
		b.WriteString(pad(t.H, 2))
	}
	if t.Prec >= precMinute {
		b.WriteString(":" + pad(t.Mi, 2))
	}
	if t.Prec >= precSecond {
		b.WriteString(":" + pad(t.S, 2))
	}
	if t.Prec >= precMilli {
		b.WriteString("." + pad(t.Ms, 3))
	}
	if t.Kind == 'T' && t.HasTZ && t.Prec >= precHour {
		if t.TZ == 0 {
			b.WriteString("Z")
		} else {
			o := t.TZ
			sign := "+"
			if o < 0 {
				sign, o = "-", -o
			}
			b.WriteString(sign + pad(o/60, 2) + ":" + pad(o%60, 2))
		}
	}
	return b.String()
}

func pad(n, w int) string {
	s := strconv.Itoa(n)
	for len(s) < w {
		s = "0" + s
	}
	return s
}

// parseTemporal reads FHIR/FHIRPath date, dateTime and time text. kind is
// 'D', 'T' or 't'; for 'T' a value with only a date part is a DateTime at
// that precision. A trailing "T" (FHIRPath @2015T) is allowed for 'T'.
func parseTemporal(s string, kind byte) (FPTemporal, bool) {
	t := FPTemporal{Kind: kind}
	rest := s
	if kind != 't' {
		var ok bool
		if t.Y, ok = digits(rest, 4); !ok {
			return t, false
		}
		t.Prec, rest = precYear, rest[4:]
		if strings.HasPrefix(rest, "-") {
			if t.Mo, ok = digits(rest[1:], 2); !ok || t.Mo < 1 || t.Mo > 12 {
				return t, false
			}
			t.Prec, rest = precMonth, rest[3:]
			if strings.HasPrefix(rest, "-") {
				if t.D, ok = digits(rest[1:], 2); !ok || t.D < 1 || t.D > daysIn(t.Y, t.Mo) {
					return t, false
				}
				t.Prec, rest = precDayT, rest[3:]
			}
		}
		if kind == 'D' {
			return t, rest == ""
		}
		if rest == "" {
			return t, true
		}
		if rest[0] != 'T' {
			return t, false
		}
		rest = rest[1:]
		if rest == "" {
			return t, true
		}
		if t.Prec != precDayT {
			return t, false
		}
	}
	var ok bool
	if t.H, ok = digits(rest, 2); !ok || t.H > 23 {
		return t, false
	}
	t.Prec, rest = precHour, rest[2:]
	if strings.HasPrefix(rest, ":") {
		if t.Mi, ok = digits(rest[1:], 2); !ok || t.Mi > 59 {
			return t, false
		}
		t.Prec, rest = precMinute, rest[3:]
		if strings.HasPrefix(rest, ":") {
			if t.S, ok = digits(rest[1:], 2); !ok || t.S > 59 {
				return t, false
			}
			t.Prec, rest = precSecond, rest[3:]
			if strings.HasPrefix(rest, ".") {
				i := 1
				for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
					i++
				}
				if i == 1 {
					return t, false
				}
				frac := rest[1:i] + "00"
				t.Ms, _ = digits(frac, 3)
				t.Prec, rest = precMilli, rest[i:]
			}
		}
	}
	if rest == "" {
		return t, true
	}
	if kind == 't' {
		return t, false
	}
	if rest == "Z" {
		t.HasTZ = true
		return t, true
	}
	if len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' {
		h, ok1 := digits(rest[1:], 2)
		m, ok2 := digits(rest[4:], 2)
		if !ok1 || !ok2 || h > 14 || m > 59 {
			return t, false
		}
		t.TZ = h*60 + m
		if rest[0] == '-' {
			t.TZ = -t.TZ
		}
		t.HasTZ = true
		return t, true
	}
	return t, false
}

// utc returns t moved to UTC when it has a time zone and an hour.
func (t FPTemporal) utc() FPTemporal {
	if !t.HasTZ || t.TZ == 0 || t.Prec < precHour || t.Kind != 'T' {
		return t
	}
	g := time.Date(t.Y, time.Month(t.Mo), t.D, t.H, t.Mi, t.S, t.Ms*1e6, time.UTC).Add(-time.Duration(t.TZ) * time.Minute)
	u := t
	u.Y, u.Mo, u.D, u.H, u.Mi, u.S = g.Year(), int(g.Month()), g.Day(), g.Hour(), g.Minute(), g.Second()
	u.TZ = 0
	return u
}

func (t FPTemporal) parts() [7]int {
	if t.Kind == 't' {
		return [7]int{0, 0, 0, t.H, t.Mi, t.S, t.Ms}
	}
	return [7]int{t.Y, t.Mo, t.D, t.H, t.Mi, t.S, t.Ms}
}

// cmpTemporal compares a and b: -1, 0, 1, or ok=false when the precisions
// leave the answer unknown. Seconds and milliseconds are one precision.
func cmpTemporal(a, b FPTemporal) (int, bool) {
	if (a.Kind == 't') != (b.Kind == 't') {
		return 0, false
	}
	if a.HasTZ && b.HasTZ {
		a, b = a.utc(), b.utc()
	} else if a.HasTZ != b.HasTZ && a.Prec >= precHour && b.Prec >= precHour && a.Kind == 'T' && b.Kind == 'T' {
		// one zone unknown: the order is unknown
		return 0, false
	}
	pa, pb := a.parts(), b.parts()
	start := 0
	if a.Kind == 't' {
		start = 3
	}
	ap, bp := a.Prec, b.Prec
	if ap == precMilli {
		ap = precSecond
	}
	if bp == precMilli {
		bp = precSecond
	}
	n := ap
	if bp < n {
		n = bp
	}
	for i := start; i < n; i++ {
		if i == precSecond-1 {
			x, y := pa[5]*1000+pa[6], pb[5]*1000+pb[6]
			if x != y {
				return sign(x - y), true
			}
			continue
		}
		if pa[i] != pb[i] {
			return sign(pa[i] - pb[i]), true
		}
	}
	if ap != bp {
		return 0, false
	}
	return 0, true
}

func sign(x int) int {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}

// FPQuantity is a FHIRPath Quantity: a decimal value and a UCUM unit or a
// calendar duration keyword (year, month, week, day, hour, minute, second,
// millisecond).
type FPQuantity struct {
	Value FPDecimal
	Unit  string
}

func (q FPQuantity) String() string {
	if _, ok := calendarUnits[q.Unit]; ok {
		return q.Value.String() + " " + q.Unit
	}
	return q.Value.String() + " '" + q.Unit + "'"
}

// calendarUnits maps calendar duration keywords to their singular form.
var calendarUnits = map[string]string{
	"year": "year", "years": "year", "month": "month", "months": "month",
	"week": "week", "weeks": "week", "day": "day", "days": "day",
	"hour": "hour", "hours": "hour", "minute": "minute", "minutes": "minute",
	"second": "second", "seconds": "second", "millisecond": "millisecond", "milliseconds": "millisecond",
}

// calendarUCUM is the UCUM unit a calendar keyword equals; year and month
// have none (a UCUM year 'a' is 365.25 days, a calendar year is not).
var calendarUCUM = map[string]string{
	"week": "wk", "day": "d", "hour": "h", "minute": "min", "second": "s", "millisecond": "ms",
}

// FPType is the result of type(): a namespace and a name.
type FPType struct {
	Namespace string
	Name      string
}

// ucum: a minimal UCUM model (https://ucum.org/ucum) that converts the
// common metric, time and imperial units to base dimensions for comparison.
type ucumDim [7]int // m, g, s, mol, K, A, cd

type ucumAtom struct {
	f   *big.Rat
	dim ucumDim
}

func ratOf(s string) *big.Rat { r, _ := new(big.Rat).SetString(s); return r }

var ucumAtoms = map[string]ucumAtom{
	"m":       {ratOf("1"), ucumDim{1}},
	"g":       {ratOf("1"), ucumDim{0, 1}},
	"s":       {ratOf("1"), ucumDim{0, 0, 1}},
	"mol":     {ratOf("1"), ucumDim{0, 0, 0, 1}},
	"K":       {ratOf("1"), ucumDim{0, 0, 0, 0, 1}},
	"A":       {ratOf("1"), ucumDim{0, 0, 0, 0, 0, 1}},
	"cd":      {ratOf("1"), ucumDim{0, 0, 0, 0, 0, 0, 1}},
	"L":       {ratOf("1/1000"), ucumDim{3}},
	"l":       {ratOf("1/1000"), ucumDim{3}},
	"min":     {ratOf("60"), ucumDim{0, 0, 1}},
	"h":       {ratOf("3600"), ucumDim{0, 0, 1}},
	"d":       {ratOf("86400"), ucumDim{0, 0, 1}},
	"wk":      {ratOf("604800"), ucumDim{0, 0, 1}},
	"mo":      {ratOf("2629800"), ucumDim{0, 0, 1}},
	"a":       {ratOf("31557600"), ucumDim{0, 0, 1}},
	"[in_i]":  {ratOf("0.0254"), ucumDim{1}},
	"[ft_i]":  {ratOf("0.3048"), ucumDim{1}},
	"[lb_av]": {ratOf("453.59237"), ucumDim{0, 1}},
	"[oz_av]": {ratOf("28.349523125"), ucumDim{0, 1}},
	"%":       {ratOf("1/100"), ucumDim{}},
	"1":       {ratOf("1"), ucumDim{}},
	"10*3":    {ratOf("1000"), ucumDim{}},
	"10*6":    {ratOf("1000000"), ucumDim{}},
	"10*9":    {ratOf("1000000000"), ucumDim{}},
	"[iU]":    {ratOf("1"), ucumDim{}},
	"U":       {ratOf("1"), ucumDim{0, 0, -1, 1}},
	"eq":      {ratOf("1"), ucumDim{0, 0, 0, 1}},
	"mm[Hg]":  {ratOf("133322"), ucumDim{-1, 1, -2}},
	"bar":     {ratOf("100000000"), ucumDim{-1, 1, -2}},
}

var ucumPrefixes = map[string]string{
	"k": "1000", "h": "100", "da": "10", "d": "1/10", "c": "1/100", "m": "1/1000",
	"u": "1/1000000", "n": "1/1000000000", "p": "1/1000000000000", "M": "1000000", "G": "1000000000",
}

// maxUCUMExponent bounds the exponent of a unit term (m3, s-1): UCUM's
// own tables go no higher than a few.
const maxUCUMExponent = 99

func ucumTerm(s string) (ucumAtom, bool) {
	exp := 1
	// a trailing signed integer is the exponent
	i := len(s)
	for i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
		i--
	}
	if i > 0 && (s[i-1] == '-' || s[i-1] == '+') && i < len(s) {
		i--
	}
	if i > 0 && i < len(s) && s[:i] != "10*" && !strings.HasSuffix(s[:i], "*") {
		e, err := strconv.Atoi(s[i:])
		if err == nil {
			exp = e
			s = s[:i]
		}
		if err != nil || exp > maxUCUMExponent || exp < -maxUCUMExponent {
			// no unit is raised that far; taking it would be a loop of
			// that many multiplications (found by FuzzFHIRPath)
			return ucumAtom{}, false
		}
	}
	a, ok := ucumAtoms[s]
	if !ok {
		for p, f := range ucumPrefixes {
			if strings.HasPrefix(s, p) {
				if b, ok2 := ucumAtoms[s[len(p):]]; ok2 && s[len(p):] != "1" && s[len(p):] != "%" {
					a = ucumAtom{new(big.Rat).Mul(ratOf(f), b.f), b.dim}
					ok = true
					break
				}
			}
		}
	}
	if !ok {
		return a, false
	}
	out := ucumAtom{f: ratOf("1")}
	neg := exp < 0
	if neg {
		exp = -exp
	}
	for k := 0; k < exp; k++ {
		out.f.Mul(out.f, a.f)
		for j := range out.dim {
			out.dim[j] += a.dim[j]
		}
	}
	if neg {
		out.f.Inv(out.f)
		for j := range out.dim {
			out.dim[j] = -out.dim[j]
		}
	}
	return out, true
}

// ucumParse converts a unit expression of terms joined by '.' and '/' to a
// factor and dimension.
func ucumParse(u string) (ucumAtom, bool) {
	if c, ok := calendarUCUM[calendarUnits[u]]; ok {
		u = c
	}
	if u == "" {
		u = "1"
	}
	out := ucumAtom{f: ratOf("1")}
	div := false
	start := 0
	for i := 0; i <= len(u); i++ {
		if i < len(u) && u[i] != '.' && u[i] != '/' {
			if u[i] == '[' {
				for i < len(u) && u[i] != ']' {
					i++
				}
			}
			continue
		}
		t, ok := ucumTerm(u[start:i])
		if !ok {
			return out, false
		}
		if div {
			out.f.Quo(out.f, t.f)
		} else {
			out.f.Mul(out.f, t.f)
		}
		for j := range out.dim {
			if div {
				out.dim[j] -= t.dim[j]
			} else {
				out.dim[j] += t.dim[j]
			}
		}
		if i < len(u) {
			div = u[i] == '/'
		}
		start = i + 1
	}
	return out, true
}

// canon returns q's value in base units and its dimension.
func (q FPQuantity) canon() (*big.Rat, ucumDim, bool) {
	a, ok := ucumParse(q.Unit)
	if !ok {
		return nil, ucumDim{}, false
	}
	return new(big.Rat).Mul(q.Value.R, a.f), a.dim, true
}

// cmpQuantity compares quantities with convertible units; ok=false when
// they cannot be compared.
func cmpQuantity(a, b FPQuantity) (int, bool) {
	ca, cb := calendarUnits[a.Unit], calendarUnits[b.Unit]
	if a.Unit == b.Unit || (ca != "" && ca == cb) {
		return a.Value.R.Cmp(b.Value.R), true
	}
	// calendar years and months compare only with themselves
	if ca == "year" || ca == "month" || cb == "year" || cb == "month" {
		return 0, false
	}
	ra, da, ok1 := a.canon()
	rb, db, ok2 := b.canon()
	if !ok1 || !ok2 || da != db {
		return 0, false
	}
	return ra.Cmp(rb), true
}

type ratT = big.Rat
