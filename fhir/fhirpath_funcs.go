package fhir

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"html"
	"math"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

type fpFunc struct {
	min, max int
	call     func(e *env, f *funcNode, in []any) ([]any, error)
}

var fpFuncs map[string]*fpFunc

func fn(min, max int, call func(e *env, f *funcNode, in []any) ([]any, error)) *fpFunc {
	return &fpFunc{min, max, call}
}

// arg evaluates a plain (not per-item) argument in the caller's scope.
func (e *env) arg(f *funcNode, i int) ([]any, error) {
	return eval(f.args[i], e, e.this)
}

// lambda evaluates argument i with $this set to item.
func (e *env) lambda(f *funcNode, i int, item any, idx int) ([]any, error) {
	if err := e.c.tick(); err != nil {
		return nil, err
	}
	// the scope and its $this in one allocation; $this is capped, so
	// appending to it copies
	sub := &lambdaEnv{env: env{c: e.c, index: int64(idx), hasIndex: true, total: e.total, hasTotal: e.hasTotal}}
	sub.item[0] = item
	sub.this = sub.item[:1:1]
	return eval(f.args[i], &sub.env, sub.this)
}

// lambdasPerCtxCheck is how many items of where(), select() and the like
// are evaluated between looks at the context.
const lambdasPerCtxCheck = 1024

// tick counts one item a function argument is evaluated for and, every
// lambdasPerCtxCheck, gives the context's error: an expression that nests
// one function over a large resource in another's argument could
// otherwise run on for minutes after its caller has given up.
func (c *evalCtx) tick() error {
	if c.lambdas++; c.lambdas%lambdasPerCtxCheck == 0 {
		return c.ctx.Err()
	}
	return nil
}

type lambdaEnv struct {
	env
	item [1]any
}

// single returns the only item of an argument (nil when empty).
func (e *env) single(f *funcNode, i int) (any, error) {
	v, err := e.arg(f, i)
	if err != nil {
		return nil, err
	}
	if len(v) > 1 {
		return nil, e.errf(f.pos, "%s(): argument %d has more than one item", f.name, i+1)
	}
	if len(v) == 0 || noValue(v[0]) {
		return nil, nil
	}
	return sysVal(v[0]), nil
}

func (e *env) intArg(f *funcNode, i int) (int64, bool, error) {
	v, err := e.single(f, i)
	if err != nil || v == nil {
		return 0, false, err
	}
	n, ok := v.(int64)
	if !ok {
		return 0, false, e.errf(f.pos, "%s(): argument %d is not an integer", f.name, i+1)
	}
	return n, true, nil
}

func (e *env) strArg(f *funcNode, i int) (string, bool, error) {
	v, err := e.single(f, i)
	if err != nil || v == nil {
		return "", false, err
	}
	s, ok := v.(string)
	if !ok {
		return "", false, e.errf(f.pos, "%s(): argument %d is not a string", f.name, i+1)
	}
	return s, true, nil
}

// inputOne returns the single input item, nil for empty, and an error for
// more than one.
func inputOne(e *env, f *funcNode, in []any) (any, error) {
	if len(in) == 0 {
		return nil, nil
	}
	if len(in) > 1 {
		return nil, e.errf(f.pos, "%s(): input has %d items, expected one", f.name, len(in))
	}
	return sysVal(in[0]), nil
}

// inputValue is inputOne for a function that needs the item's value: a
// primitive element without one (only an id or extensions) is empty to
// it, as it is to fhirpath.js.
func inputValue(e *env, f *funcNode, in []any) (any, error) {
	v, err := inputOne(e, f, in)
	if noValue(v) {
		return nil, err
	}
	return v, err
}

func inputStr(e *env, f *funcNode, in []any) (string, bool, error) {
	v, err := inputValue(e, f, in)
	if err != nil || v == nil {
		return "", false, err
	}
	s, ok := v.(string)
	if !ok {
		return "", false, e.errf(f.pos, "%s(): input is %s, not a string", f.name, typeName(v))
	}
	return s, true, nil
}

func boolRes(b bool) ([]any, error) { return boolColl(b), nil }

// boolColls are the two Boolean results, shared as a literal's values
// are: no result is changed in place, and appending to one (its capacity
// is 1) copies it.
var boolColls = [2][]any{{false}, {true}}

func boolColl(b bool) []any {
	if b {
		return boolColls[1]
	}
	return boolColls[0]
}

// allIn reports whether every item of xs is in coll (containsItem's
// equality): subsetOf and, turned round, supersetOf.
func allIn(xs, coll []any) bool {
	set := newItemSet(coll)
	for _, x := range xs {
		if !set.has(x) {
			return false
		}
	}
	return true
}

// maxCollection bounds any collection an expression makes: a resource
// holds far fewer elements, and an expression that multiplies its items
// (select() of combine() of combine() ...) would otherwise grow without
// bound in memory.
const maxCollection = 1000000

// repeat() stops with an error rather than go on without end: after
// maxRepeatRounds rounds that each found new items (a resource nests at
// most fhirjson.MaxDepth deep, so a walk of its tree needs fewer; a
// projection that keeps making new values, 'a' + 'b' ..., does not end),
// or past maxRepeatItems items or maxRepeatWork comparisons of items
// (strings, numbers and booleans are looked up, not compared).
const (
	maxRepeatRounds = 1000
	maxRepeatItems  = 100000
	maxRepeatWork   = 10000000
)

// maxRoundPrecision bounds round()'s precision: far beyond any decimal a
// resource holds, and small enough that the answer is quick to write out.
const maxRoundPrecision = 1000

func init() {
	fpFuncs = map[string]*fpFunc{
		"empty": fn(0, 0, func(e *env, f *funcNode, in []any) ([]any, error) { return boolRes(len(in) == 0) }),
		"exists": fn(0, 1, func(e *env, f *funcNode, in []any) ([]any, error) {
			if len(f.args) == 0 {
				return boolRes(len(in) > 0)
			}
			w, err := where(e, f, in)
			return boolRes(len(w) > 0 && err == nil)
		}),
		"all": fn(1, 1, func(e *env, f *funcNode, in []any) ([]any, error) {
			for i, it := range in {
				v, err := e.lambda(f, 0, it, i)
				if err != nil {
					return nil, err
				}
				b, known, err := singleBool(e, v, f.pos, "all")
				if err != nil {
					return nil, err
				}
				if !known || !b {
					return boolRes(false)
				}
			}
			return boolRes(true)
		}),
		"allTrue":  fn(0, 0, boolAgg(true, true)),
		"anyTrue":  fn(0, 0, boolAgg(false, true)),
		"allFalse": fn(0, 0, boolAgg(true, false)),
		"anyFalse": fn(0, 0, boolAgg(false, false)),
		"subsetOf": fn(1, 1, func(e *env, f *funcNode, in []any) ([]any, error) {
			other, err := e.arg(f, 0)
			if err != nil {
				return nil, err
			}
			return boolRes(allIn(in, other))
		}),
		"supersetOf": fn(1, 1, func(e *env, f *funcNode, in []any) ([]any, error) {
			other, err := e.arg(f, 0)
			if err != nil {
				return nil, err
			}
			return boolRes(allIn(other, in))
		}),
		"count":    fn(0, 0, func(e *env, f *funcNode, in []any) ([]any, error) { return []any{int64(len(in))}, nil }),
		"distinct": fn(0, 0, func(e *env, f *funcNode, in []any) ([]any, error) { return union(in, nil), nil }),
		"isDistinct": fn(0, 0, func(e *env, f *funcNode, in []any) ([]any, error) {
			return boolRes(len(union(in, nil)) == len(in))
		}),
		"where": fn(1, 1, where),
		"select": fn(1, 1, func(e *env, f *funcNode, in []any) ([]any, error) {
			var out []any
			for i, it := range in {
				v, err := e.lambda(f, 0, it, i)
				if err != nil {
					return nil, err
				}
				if len(out)+len(v) > maxCollection {
					return nil, e.errf(f.pos, "select(): more than %d items", maxCollection)
				}
				out = append(out, v...)
			}
			return out, nil
		}),
		"repeat": fn(1, 1, func(e *env, f *funcNode, in []any) ([]any, error) {
			var out []any
			var seen itemSet
			queue := in
			for round := 0; len(queue) > 0; round++ {
				if err := e.c.ctx.Err(); err != nil {
					return nil, err
				}
				if round > maxRepeatRounds {
					return nil, e.errf(f.pos, "repeat(): still finding new items after %d rounds", maxRepeatRounds)
				}
				var next []any
				for i, it := range queue {
					v, err := e.lambda(f, 0, it, i)
					if err != nil {
						return nil, err
					}
					for _, x := range v {
						if !seen.insert(x) {
							continue
						}
						if len(out) >= maxRepeatItems || seen.compared > maxRepeatWork {
							// a projection that keeps making new items
							// ('a' + 'b' ...) never ends: refused, not
							// cut short
							return nil, e.errf(f.pos, "repeat(): more than %d items, or too many comparisons", maxRepeatItems)
						}
						out = append(out, x)
						next = append(next, x)
					}
				}
				queue = next
			}
			return out, nil
		}),
		"ofType": fn(0, 0, func(e *env, f *funcNode, in []any) ([]any, error) {
			if err := checkTypeSpec(e, f.typ, f.pos); err != nil {
				return nil, err
			}
			return filterAs(in, f.typ), nil
		}),
		"is": fn(0, 0, func(e *env, f *funcNode, in []any) ([]any, error) {
			if err := checkTypeSpec(e, f.typ, f.pos); err != nil {
				return nil, err
			}
			v, err := inputOne(e, f, in)
			if err != nil || v == nil {
				return nil, err
			}
			return boolRes(isType(in[0], f.typ))
		}),
		"as": fn(0, 0, func(e *env, f *funcNode, in []any) ([]any, error) {
			if err := checkTypeSpec(e, f.typ, f.pos); err != nil {
				return nil, err
			}
			if len(in) > 1 && e.c.lenientAs {
				return filterAs(in, f.typ), nil
			}
			v, err := inputOne(e, f, in)
			if err != nil || v == nil {
				return nil, err
			}
			if asType(in[0], f.typ) {
				return in, nil
			}
			return nil, nil
		}),
		"single": fn(0, 0, func(e *env, f *funcNode, in []any) ([]any, error) {
			if len(in) > 1 {
				return nil, e.errf(f.pos, "single(): input has %d items", len(in))
			}
			return in, nil
		}),
		"first": fn(0, 0, func(e *env, f *funcNode, in []any) ([]any, error) {
			if len(in) == 0 {
				return nil, nil
			}
			return in[:1], nil
		}),
		"last": fn(0, 0, func(e *env, f *funcNode, in []any) ([]any, error) {
			if len(in) == 0 {
				return nil, nil
			}
			return in[len(in)-1:], nil
		}),
		"tail": fn(0, 0, func(e *env, f *funcNode, in []any) ([]any, error) {
			if len(in) < 2 {
				return nil, nil
			}
			return in[1:], nil
		}),
		"skip": fn(1, 1, func(e *env, f *funcNode, in []any) ([]any, error) {
			n, ok, err := e.intArg(f, 0)
			if err != nil || !ok {
				return nil, err
			}
			if n <= 0 {
				return in, nil
			}
			if n >= int64(len(in)) {
				return nil, nil
			}
			return in[n:], nil
		}),
		"take": fn(1, 1, func(e *env, f *funcNode, in []any) ([]any, error) {
			n, ok, err := e.intArg(f, 0)
			if err != nil || !ok || n <= 0 {
				return nil, err
			}
			if n >= int64(len(in)) {
				return in, nil
			}
			return in[:n], nil
		}),
		"intersect": fn(1, 1, func(e *env, f *funcNode, in []any) ([]any, error) {
			other, err := e.arg(f, 0)
			if err != nil {
				return nil, err
			}
			var out []any
			others, seen := newItemSet(other), &itemSet{}
			for _, x := range in {
				if others.has(x) && seen.insert(x) {
					out = append(out, x)
				}
			}
			return out, nil
		}),
		"exclude": fn(1, 1, func(e *env, f *funcNode, in []any) ([]any, error) {
			other, err := e.arg(f, 0)
			if err != nil {
				return nil, err
			}
			var out []any
			others := newItemSet(other)
			for _, x := range in {
				if !others.has(x) {
					out = append(out, x)
				}
			}
			return out, nil
		}),
		"union": fn(1, 1, func(e *env, f *funcNode, in []any) ([]any, error) {
			other, err := e.arg(f, 0)
			if err != nil {
				return nil, err
			}
			return union(in, other), nil
		}),
		"combine": fn(1, 1, func(e *env, f *funcNode, in []any) ([]any, error) {
			other, err := e.arg(f, 0)
			if err != nil {
				return nil, err
			}
			return append(append([]any{}, in...), other...), nil
		}),
		"iif": fn(2, 3, func(e *env, f *funcNode, in []any) ([]any, error) {
			if len(in) > 1 {
				return nil, e.errf(f.pos, "iif(): input has %d items", len(in))
			}
			sub := e
			if len(in) == 1 && !sameColl(in, e.this) {
				sub = &env{c: e.c, this: in, index: e.index, hasIndex: e.hasIndex, total: e.total, hasTotal: e.hasTotal}
			}
			c, err := sub.arg(f, 0)
			if err != nil {
				return nil, err
			}
			if len(c) == 1 && noValue(c[0]) {
				c = nil // a boolean element without a value: no criterion
			}
			if len(c) == 1 {
				if _, ok := sysVal(c[0]).(bool); !ok {
					return nil, e.errf(f.pos, "iif(): criterion is %s, not a boolean", typeName(c[0]))
				}
			}
			b, known, err := singleBool(e, c, f.pos, "iif")
			if err != nil {
				return nil, err
			}
			if known && b {
				return sub.arg(f, 1)
			}
			if len(f.args) == 3 {
				return sub.arg(f, 2)
			}
			return nil, nil
		}),
		"toBoolean":          fn(0, 0, conv(toBoolean, false)),
		"convertsToBoolean":  fn(0, 0, conv(toBoolean, true)),
		"toInteger":          fn(0, 0, conv(toInteger, false)),
		"convertsToInteger":  fn(0, 0, conv(toInteger, true)),
		"toDecimal":          fn(0, 0, conv(toDecimal, false)),
		"convertsToDecimal":  fn(0, 0, conv(toDecimal, true)),
		"toString":           fn(0, 0, conv(toString, false)),
		"convertsToString":   fn(0, 0, conv(toString, true)),
		"toDate":             fn(0, 0, conv(toTemporal('D'), false)),
		"convertsToDate":     fn(0, 0, conv(toTemporal('D'), true)),
		"toDateTime":         fn(0, 0, conv(toTemporal('T'), false)),
		"convertsToDateTime": fn(0, 0, conv(toTemporal('T'), true)),
		"toTime":             fn(0, 0, conv(toTemporal('t'), false)),
		"convertsToTime":     fn(0, 0, conv(toTemporal('t'), true)),
		"toQuantity": fn(0, 1, func(e *env, f *funcNode, in []any) ([]any, error) {
			v, err := inputValue(e, f, in)
			if err != nil || v == nil {
				return nil, err
			}
			q, ok := toQuantity(in[0])
			if !ok {
				return nil, nil
			}
			if len(f.args) == 1 {
				u, ok, err := e.strArg(f, 0)
				if err != nil || !ok {
					return nil, err
				}
				if u != q.Unit {
					return convertQuantity(q, u), nil
				}
			}
			return []any{q}, nil
		}),
		"convertsToQuantity": fn(0, 1, func(e *env, f *funcNode, in []any) ([]any, error) {
			v, err := inputValue(e, f, in)
			if err != nil || v == nil {
				return nil, err
			}
			_, ok := toQuantity(in[0])
			return boolRes(ok)
		}),
		"indexOf": fn(1, 1, strFn(func(e *env, f *funcNode, s string) ([]any, error) {
			sub, ok, err := e.strArg(f, 0)
			if err != nil || !ok {
				return nil, err
			}
			i := strings.Index(s, sub)
			if i > 0 {
				i = utf8.RuneCountInString(s[:i])
			}
			return []any{int64(i)}, nil
		})),
		"substring": fn(1, 2, strFn(func(e *env, f *funcNode, s string) ([]any, error) {
			start, ok, err := e.intArg(f, 0)
			if err != nil || !ok {
				return nil, err
			}
			r := []rune(s)
			if start < 0 || start >= int64(len(r)) {
				return nil, nil
			}
			end := int64(len(r))
			if len(f.args) == 2 {
				n, ok, err := e.intArg(f, 1)
				if err != nil {
					return nil, err
				}
				if ok {
					if n < 0 {
						n = 0
					}
					if start+n < end {
						end = start + n
					}
				}
			}
			return []any{string(r[start:end])}, nil
		})),
		"startsWith": fn(1, 1, strFn(func(e *env, f *funcNode, s string) ([]any, error) {
			p, ok, err := e.strArg(f, 0)
			if err != nil || !ok {
				return nil, err
			}
			return boolRes(strings.HasPrefix(s, p))
		})),
		"endsWith": fn(1, 1, strFn(func(e *env, f *funcNode, s string) ([]any, error) {
			p, ok, err := e.strArg(f, 0)
			if err != nil || !ok {
				return nil, err
			}
			return boolRes(strings.HasSuffix(s, p))
		})),
		"contains": fn(1, 1, strFn(func(e *env, f *funcNode, s string) ([]any, error) {
			p, ok, err := e.strArg(f, 0)
			if err != nil || !ok {
				return nil, err
			}
			return boolRes(strings.Contains(s, p))
		})),
		"upper": fn(0, 0, strFn(func(e *env, f *funcNode, s string) ([]any, error) { return []any{strings.ToUpper(s)}, nil })),
		"lower": fn(0, 0, strFn(func(e *env, f *funcNode, s string) ([]any, error) { return []any{strings.ToLower(s)}, nil })),
		"replace": fn(2, 2, strFn(func(e *env, f *funcNode, s string) ([]any, error) {
			a, ok1, err := e.strArg(f, 0)
			if err != nil {
				return nil, err
			}
			b, ok2, err := e.strArg(f, 1)
			if err != nil || !ok1 || !ok2 {
				return nil, err
			}
			return []any{strings.ReplaceAll(s, a, b)}, nil
		})),
		"matches": fn(1, 1, strFn(func(e *env, f *funcNode, s string) ([]any, error) {
			re, ok, err := regexArg(e, f, false)
			if err != nil || !ok {
				return nil, err
			}
			return boolRes(re.MatchString(s))
		})),
		"matchesFull": fn(1, 1, strFn(func(e *env, f *funcNode, s string) ([]any, error) {
			re, ok, err := regexArg(e, f, true)
			if err != nil || !ok {
				return nil, err
			}
			return boolRes(re.MatchString(s))
		})),
		"replaceMatches": fn(2, 2, strFn(func(e *env, f *funcNode, s string) ([]any, error) {
			re, ok1, err := regexArg(e, f, false)
			if err != nil {
				return nil, err
			}
			sub, ok2, err := e.strArg(f, 1)
			if err != nil || !ok1 || !ok2 {
				return nil, err
			}
			if re.String() == "(?s)" {
				return []any{s}, nil
			}
			// FHIRPath substitutions use $1; Go's ${1} form avoids $1x ambiguity
			sub = regexp.MustCompile(`\$(\d+)`).ReplaceAllString(sub, "$${$1}")
			return []any{re.ReplaceAllString(s, sub)}, nil
		})),
		"length": fn(0, 0, strFn(func(e *env, f *funcNode, s string) ([]any, error) {
			return []any{int64(utf8.RuneCountInString(s))}, nil
		})),
		"toChars": fn(0, 0, strFn(func(e *env, f *funcNode, s string) ([]any, error) {
			var out []any
			for _, r := range s {
				out = append(out, string(r))
			}
			return out, nil
		})),
		"trim": fn(0, 0, strFn(func(e *env, f *funcNode, s string) ([]any, error) { return []any{strings.TrimSpace(s)}, nil })),
		"split": fn(1, 1, strFn(func(e *env, f *funcNode, s string) ([]any, error) {
			sep, ok, err := e.strArg(f, 0)
			if err != nil || !ok {
				return nil, err
			}
			var out []any
			for _, p := range strings.Split(s, sep) {
				out = append(out, p)
			}
			return out, nil
		})),
		"join": fn(0, 1, func(e *env, f *funcNode, in []any) ([]any, error) {
			sep := ""
			if len(f.args) == 1 {
				s, _, err := e.strArg(f, 0)
				if err != nil {
					return nil, err
				}
				sep = s
			}
			parts := make([]string, 0, len(in))
			for _, it := range in {
				s, ok := sysVal(it).(string)
				if !ok {
					return nil, e.errf(f.pos, "join(): %s is not a string", typeName(it))
				}
				parts = append(parts, s)
			}
			return []any{strings.Join(parts, sep)}, nil
		}),
		"encode": fn(1, 1, strFn(func(e *env, f *funcNode, s string) ([]any, error) {
			enc, ok, err := e.strArg(f, 0)
			if err != nil || !ok {
				return nil, err
			}
			switch enc {
			case "base64":
				return []any{base64.StdEncoding.EncodeToString([]byte(s))}, nil
			case "urlbase64":
				return []any{base64.URLEncoding.EncodeToString([]byte(s))}, nil
			case "hex":
				return []any{hex.EncodeToString([]byte(s))}, nil
			}
			return nil, e.errf(f.pos, "encode(): unknown encoding %q", enc)
		})),
		"decode": fn(1, 1, strFn(func(e *env, f *funcNode, s string) ([]any, error) {
			enc, ok, err := e.strArg(f, 0)
			if err != nil || !ok {
				return nil, err
			}
			var b []byte
			switch enc {
			case "base64":
				b, err = base64.StdEncoding.DecodeString(s)
			case "urlbase64":
				b, err = base64.URLEncoding.DecodeString(s)
			case "hex":
				b, err = hex.DecodeString(s)
			default:
				return nil, e.errf(f.pos, "decode(): unknown encoding %q", enc)
			}
			if err != nil {
				return nil, nil
			}
			return []any{string(b)}, nil
		})),
		"escape": fn(1, 1, strFn(func(e *env, f *funcNode, s string) ([]any, error) {
			enc, ok, err := e.strArg(f, 0)
			if err != nil || !ok {
				return nil, err
			}
			switch enc {
			case "html":
				return []any{strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;").Replace(s)}, nil
			case "json":
				b, _ := json.Marshal(s)
				out := string(b[1 : len(b)-1])
				out = strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(out)
				return []any{out}, nil
			}
			return nil, e.errf(f.pos, "escape(): unknown target %q", enc)
		})),
		"unescape": fn(1, 1, strFn(func(e *env, f *funcNode, s string) ([]any, error) {
			enc, ok, err := e.strArg(f, 0)
			if err != nil || !ok {
				return nil, err
			}
			switch enc {
			case "html":
				return []any{html.UnescapeString(s)}, nil
			case "json":
				return []any{unescapeJSON(s)}, nil
			}
			return nil, e.errf(f.pos, "unescape(): unknown source %q", enc)
		})),
		"abs": fn(0, 0, numFn(func(d FPDecimal, isInt bool) any {
			return FPDecimal{R: new(big.Rat).Abs(d.R), Scale: d.Scale}
		})),
		"ceiling": fn(0, 0, numFn(func(d FPDecimal, _ bool) any {
			t := d.trunc(0, true)
			if t.R.Cmp(d.R) != 0 {
				t.R.Add(t.R, big.NewRat(1, 1))
			}
			return t.R.Num().Int64()
		})),
		"floor":    fn(0, 0, numFn(func(d FPDecimal, _ bool) any { return d.trunc(0, true).R.Num().Int64() })),
		"truncate": fn(0, 0, numFn(func(d FPDecimal, _ bool) any { return d.trunc(0, false).R.Num().Int64() })),
		"exp":      fn(0, 0, numFn(func(d FPDecimal, _ bool) any { return decFloat(math.Exp(d.float())) })),
		"ln": fn(0, 0, numFn(func(d FPDecimal, _ bool) any {
			if d.R.Sign() <= 0 {
				return nil
			}
			return decFloat(math.Log(d.float()))
		})),
		"sqrt": fn(0, 0, numFn(func(d FPDecimal, _ bool) any {
			if d.R.Sign() < 0 {
				return nil
			}
			return decFloat(math.Sqrt(d.float()))
		})),
		"log": fn(1, 1, func(e *env, f *funcNode, in []any) ([]any, error) {
			v, err := inputValue(e, f, in)
			if err != nil || v == nil {
				return nil, err
			}
			d, ok := toDec(v)
			b, err := e.single(f, 0)
			if err != nil || b == nil {
				return nil, err
			}
			db, ok2 := toDec(b)
			if !ok || !ok2 {
				return nil, e.errf(f.pos, "log(): not numbers")
			}
			if d.R.Sign() <= 0 || db.R.Sign() <= 0 {
				return nil, nil
			}
			return []any{decFloat(math.Log(d.float()) / math.Log(db.float()))}, nil
		}),
		"power": fn(1, 1, func(e *env, f *funcNode, in []any) ([]any, error) {
			v, err := inputValue(e, f, in)
			if err != nil || v == nil {
				return nil, err
			}
			b, err := e.single(f, 0)
			if err != nil || b == nil {
				return nil, err
			}
			ia, aInt := v.(int64)
			ib, bInt := b.(int64)
			if aInt && bInt && ib >= 0 {
				// an Integer that does not fit is empty, as a power that
				// cannot be represented is (N1 power()); beyond 2^63 the
				// answer is not worked out at all
				if (ia > 1 || ia < -1) && ib > 63 {
					return nil, nil
				}
				r := new(big.Int).Exp(big.NewInt(ia), big.NewInt(ib), nil)
				if !r.IsInt64() {
					return nil, nil
				}
				return []any{r.Int64()}, nil
			}
			da, ok1 := toDec(v)
			db, ok2 := toDec(b)
			if !ok1 || !ok2 {
				return nil, e.errf(f.pos, "power(): not numbers")
			}
			r := math.Pow(da.float(), db.float())
			if math.IsNaN(r) || math.IsInf(r, 0) {
				return nil, nil
			}
			return []any{decFloat(r)}, nil
		}),
		"round": fn(0, 1, func(e *env, f *funcNode, in []any) ([]any, error) {
			v, err := inputValue(e, f, in)
			if err != nil || v == nil {
				return nil, err
			}
			d, ok := toDec(v)
			if !ok {
				return nil, e.errf(f.pos, "round(): input is not a number")
			}
			p := int64(0)
			if len(f.args) == 1 {
				n, ok, err := e.intArg(f, 0)
				if err != nil {
					return nil, err
				}
				if ok {
					p = n
				}
				if p < 0 {
					return nil, e.errf(f.pos, "round(): negative precision")
				}
				if p > maxRoundPrecision {
					// the answer would be written out with that many digits
					return nil, e.errf(f.pos, "round(): precision %d is more than %d", p, maxRoundPrecision)
				}
			}
			return []any{d.round(int(p))}, nil
		}),
		"children": fn(0, 0, func(e *env, f *funcNode, in []any) ([]any, error) {
			var out []any
			for _, it := range in {
				if n, ok := it.(*Node); ok {
					for _, k := range n.kids {
						out = append(out, k)
					}
				}
			}
			return out, nil
		}),
		"descendants": fn(0, 0, func(e *env, f *funcNode, in []any) ([]any, error) {
			var out []any
			var walk func(n *Node)
			walk = func(n *Node) {
				for _, k := range n.kids {
					out = append(out, k)
				}
				for _, k := range n.kids {
					walk(k)
				}
			}
			for _, it := range in {
				if n, ok := it.(*Node); ok {
					walk(n)
				}
			}
			return out, nil
		}),
		"trace": fn(1, 2, func(e *env, f *funcNode, in []any) ([]any, error) {
			name, _, err := e.strArg(f, 0)
			if err != nil {
				return nil, err
			}
			vals := in
			if len(f.args) == 2 {
				var out []any
				for i, it := range in {
					v, err := e.lambda(f, 1, it, i)
					if err != nil {
						return nil, err
					}
					out = append(out, v...)
				}
				vals = out
			}
			if e.c.trace != nil {
				e.c.trace(name, vals)
			}
			return in, nil
		}),
		"now": fn(0, 0, func(e *env, f *funcNode, in []any) ([]any, error) {
			t := e.c.now
			_, off := t.Zone()
			return []any{FPTemporal{Kind: 'T', Y: t.Year(), Mo: int(t.Month()), D: t.Day(), H: t.Hour(), Mi: t.Minute(), S: t.Second(), Ms: t.Nanosecond() / 1e6, Prec: precMilli, TZ: off / 60, HasTZ: true}}, nil
		}),
		"today": fn(0, 0, func(e *env, f *funcNode, in []any) ([]any, error) {
			t := e.c.now
			return []any{FPTemporal{Kind: 'D', Y: t.Year(), Mo: int(t.Month()), D: t.Day(), Prec: precDayT}}, nil
		}),
		"timeOfDay": fn(0, 0, func(e *env, f *funcNode, in []any) ([]any, error) {
			t := e.c.now
			return []any{FPTemporal{Kind: 't', H: t.Hour(), Mi: t.Minute(), S: t.Second(), Ms: t.Nanosecond() / 1e6, Prec: precMilli}}, nil
		}),
		"not": fn(0, 0, func(e *env, f *funcNode, in []any) ([]any, error) {
			if len(in) == 0 {
				return nil, nil
			}
			if len(in) > 1 {
				return nil, e.errf(f.pos, "not(): input has %d items", len(in))
			}
			b, _, err := singleBool(e, in, f.pos, "not()")
			if err != nil {
				return nil, err
			}
			return boolRes(!b)
		}),
		"type": fn(0, 0, func(e *env, f *funcNode, in []any) ([]any, error) {
			out := make([]any, 0, len(in))
			for _, it := range in {
				out = append(out, typeOf(it))
			}
			return out, nil
		}),
		"extension": fn(1, 1, func(e *env, f *funcNode, in []any) ([]any, error) {
			url, ok, err := e.strArg(f, 0)
			if err != nil || !ok {
				return nil, err
			}
			var out []any
			for _, it := range in {
				if n, ok := it.(*Node); ok {
					for _, k := range n.kids {
						if k.Name == "extension" && k.str("url") == url {
							out = append(out, k)
						}
					}
				}
			}
			return out, nil
		}),
		"hasValue": fn(0, 0, func(e *env, f *funcNode, in []any) ([]any, error) {
			if len(in) != 1 {
				return boolRes(false)
			}
			n, ok := in[0].(*Node)
			return boolRes(ok && n.hasVal())
		}),
		"getValue": fn(0, 0, func(e *env, f *funcNode, in []any) ([]any, error) {
			if len(in) != 1 {
				return nil, nil
			}
			if n, ok := in[0].(*Node); ok && n.hasVal() {
				return []any{n.value()}, nil
			}
			return nil, nil
		}),
		"resolve": fn(0, 0, func(e *env, f *funcNode, in []any) ([]any, error) {
			var out []any
			for _, it := range in {
				ref := ""
				switch x := it.(type) {
				case *Node:
					if x.hasVal() {
						ref, _ = x.value().(string)
					} else {
						ref = x.str("reference")
					}
				case string:
					ref = x
				}
				if r := resolveRef(it, ref, e.c); r != nil {
					out = append(out, r)
				}
			}
			return out, nil
		}),
		"memberOf": fn(1, 1, func(e *env, f *funcNode, in []any) ([]any, error) {
			vs, ok, err := e.strArg(f, 0)
			if err != nil || !ok || len(in) == 0 {
				return nil, err
			}
			if len(in) > 1 {
				return nil, e.errf(f.pos, "memberOf(): input has %d items", len(in))
			}
			// a UK Core value set, or a base R4 one UK Core binds, is
			// answered from the generated tables, and the Terminology asked
			// only about the code systems they do not hold in full
			base, _, _ := strings.Cut(vs, "|")
			def := ukcoreValueSets[base]
			if def == nil && e.c.term == nil {
				return nil, nil
			}
			codings := codingsOf(in[0])
			if len(codings) == 0 {
				return nil, nil
			}
			for _, c := range codings {
				var in, known bool
				var err error
				if def != nil {
					in, known, err = valueSetMember(e.c.ctx, e.c.term, def, base, c.System, c.Code)
				} else {
					in, known, err = e.c.term.MemberOf(e.c.ctx, vs, c.System, c.Code)
				}
				if err != nil {
					return nil, e.errf(f.pos, "memberOf(): %v", err)
				}
				if !known {
					return nil, nil
				}
				if in {
					return boolRes(true)
				}
			}
			return boolRes(false)
		}),
		"conformsTo": fn(1, 1, func(e *env, f *funcNode, in []any) ([]any, error) {
			url, ok, err := e.strArg(f, 0)
			if err != nil || !ok {
				return nil, err
			}
			var out []any
			for _, it := range in {
				n, ok := it.(*Node)
				if !ok {
					out = append(out, false)
					continue
				}
				const base = "http://hl7.org/fhir/StructureDefinition/"
				if strings.HasPrefix(url, base) && (typeTable[url[len(base):]] != nil || fhirAbstract[url[len(base):]]) {
					out = append(out, inherits(n.Type, url[len(base):]))
					continue
				}
				if e.c.profiles != nil {
					res, known := e.c.profiles.ConformsTo(n, url)
					if known {
						out = append(out, res)
						continue
					}
				}
				return nil, e.errf(f.pos, "conformsTo(): unknown profile %s", url)
			}
			return out, nil
		}),
		"htmlChecks": fn(0, 0, func(e *env, f *funcNode, in []any) ([]any, error) {
			for _, it := range in {
				s, _ := sysVal(it).(string)
				if xhtmlProblem(s) != "" {
					return boolRes(false)
				}
			}
			return boolRes(true)
		}),
		"aggregate": fn(1, 2, func(e *env, f *funcNode, in []any) ([]any, error) {
			var total []any
			if len(f.args) == 2 {
				t, err := e.arg(f, 1)
				if err != nil {
					return nil, err
				}
				total = t
			}
			for i, it := range in {
				if err := e.c.tick(); err != nil {
					return nil, err
				}
				sub := &env{c: e.c, this: []any{it}, index: int64(i), hasIndex: true, total: total, hasTotal: true}
				v, err := eval(f.args[0], sub, sub.this)
				if err != nil {
					return nil, err
				}
				total = v
			}
			return total, nil
		}),
		"sort":         fn(0, 8, sortFn),
		"lowBoundary":  fn(0, 1, boundary(false)),
		"highBoundary": fn(0, 1, boundary(true)),
		"precision": fn(0, 0, func(e *env, f *funcNode, in []any) ([]any, error) {
			v, err := inputValue(e, f, in)
			if err != nil || v == nil {
				return nil, err
			}
			switch x := v.(type) {
			case FPDecimal:
				return []any{int64(x.Scale)}, nil
			case int64:
				return []any{int64(0)}, nil
			case FPTemporal:
				p := []int64{0, 4, 6, 8, 10, 12, 14, 17}[x.Prec]
				if x.Kind == 't' {
					p = []int64{0, 0, 0, 0, 2, 4, 6, 9}[x.Prec]
				}
				return []any{p}, nil
			}
			return nil, e.errf(f.pos, "precision(): input is %s", typeName(v))
		}),
		"comparable": fn(1, 1, func(e *env, f *funcNode, in []any) ([]any, error) {
			v, err := inputValue(e, f, in)
			if err != nil || v == nil {
				return nil, err
			}
			b, err := e.single(f, 0)
			if err != nil || b == nil {
				return nil, err
			}
			qa, ok1 := quantityOf(v)
			qb, ok2 := quantityOf(b)
			if !ok1 || !ok2 {
				return nil, e.errf(f.pos, "comparable(): not quantities")
			}
			_, ok := cmpQuantity(qa, qb)
			return boolRes(ok)
		}),
	}
	fpFuncs["distinct"].min = 0
}

func sameColl(a, b []any) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

func where(e *env, f *funcNode, in []any) ([]any, error) {
	var out []any
	for i, it := range in {
		v, err := e.lambda(f, 0, it, i)
		if err != nil {
			return nil, err
		}
		b, known, err := singleBool(e, v, f.pos, f.name)
		if err != nil {
			return nil, err
		}
		if known && b {
			out = append(out, it)
		}
	}
	return out, nil
}

func boolAgg(all, want bool) func(e *env, f *funcNode, in []any) ([]any, error) {
	return func(e *env, f *funcNode, in []any) ([]any, error) {
		for _, it := range in {
			b, ok := sysVal(it).(bool)
			if !ok {
				return nil, e.errf(f.pos, "%s(): %s is not a boolean", f.name, typeName(it))
			}
			if all && b != want {
				return boolRes(false)
			}
			if !all && b == want {
				return boolRes(true)
			}
		}
		return boolRes(all)
	}
}

func strFn(g func(e *env, f *funcNode, s string) ([]any, error)) func(e *env, f *funcNode, in []any) ([]any, error) {
	return func(e *env, f *funcNode, in []any) ([]any, error) {
		s, ok, err := inputStr(e, f, in)
		if err != nil || !ok {
			return nil, err
		}
		return g(e, f, s)
	}
}

func numFn(g func(d FPDecimal, isInt bool) any) func(e *env, f *funcNode, in []any) ([]any, error) {
	return func(e *env, f *funcNode, in []any) ([]any, error) {
		v, err := inputValue(e, f, in)
		if err != nil || v == nil {
			return nil, err
		}
		if q, ok := v.(FPQuantity); ok && f.name == "abs" {
			return []any{FPQuantity{Value: FPDecimal{R: new(big.Rat).Abs(q.Value.R), Scale: q.Value.Scale}, Unit: q.Unit}}, nil
		}
		d, ok := toDec(v)
		if !ok {
			return nil, e.errf(f.pos, "%s(): input is %s, not a number", f.name, typeName(v))
		}
		_, isInt := v.(int64)
		r := g(d, isInt)
		if r == nil {
			return nil, nil
		}
		if isInt && f.name == "abs" {
			return []any{r.(FPDecimal).R.Num().Int64()}, nil
		}
		return []any{r}, nil
	}
}

func regexArg(e *env, f *funcNode, full bool) (*regexp.Regexp, bool, error) {
	p, ok, err := e.strArg(f, 0)
	if err != nil || !ok {
		return nil, ok, err
	}
	if full {
		p = "^(?:" + p + ")$"
	}
	re, err := regexp.Compile("(?s)" + p)
	if err != nil {
		return nil, false, e.errf(f.pos, "%s(): bad regular expression: %v", f.name, err)
	}
	return re, true, nil
}

func conv(to func(v any) (any, bool), test bool) func(e *env, f *funcNode, in []any) ([]any, error) {
	return func(e *env, f *funcNode, in []any) ([]any, error) {
		if test && len(in) == 1 && noValue(in[0]) {
			return boolRes(false) // an element, but nothing to convert
		}
		v, err := inputValue(e, f, in)
		if err != nil || v == nil {
			return nil, err
		}
		r, ok := to(v)
		if test {
			return boolRes(ok)
		}
		if !ok {
			return nil, nil
		}
		return []any{r}, nil
	}
}

func toBoolean(v any) (any, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case int64:
		if x == 0 || x == 1 {
			return x == 1, true
		}
	case FPDecimal:
		if x.R.Cmp(big.NewRat(1, 1)) == 0 {
			return true, true
		}
		if x.R.Sign() == 0 {
			return false, true
		}
	case string:
		switch strings.ToLower(x) {
		case "true", "t", "yes", "y", "1", "1.0":
			return true, true
		case "false", "f", "no", "n", "0", "0.0":
			return false, true
		}
	}
	return nil, false
}

func toInteger(v any) (any, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case bool:
		if x {
			return int64(1), true
		}
		return int64(0), true
	case string:
		s := x
		if strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-") {
			s = s[1:]
		}
		if s == "" || strings.Trim(s, "0123456789") != "" {
			return nil, false
		}
		i, err := strconv.ParseInt(x, 10, 64)
		return i, err == nil
	}
	return nil, false
}

func toDecimal(v any) (any, bool) {
	switch x := v.(type) {
	case int64:
		return decFromInt(x), true
	case FPDecimal:
		return x, true
	case bool:
		if x {
			return FPDecimal{R: big.NewRat(1, 1), Scale: 1}, true
		}
		return FPDecimal{R: new(big.Rat), Scale: 1}, true
	case string:
		d, ok := parseDec(x)
		return d, ok
	}
	return nil, false
}

func toString(v any) (any, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case FPDecimal:
		return x.String(), true
	case FPTemporal:
		return x.String(), true
	case FPQuantity:
		return x.String(), true
	}
	return nil, false
}

func toTemporal(kind byte) func(v any) (any, bool) {
	return func(v any) (any, bool) {
		switch x := v.(type) {
		case string:
			t, ok := parseTemporal(x, kind)
			return t, ok
		case FPTemporal:
			if x.Kind == kind {
				return x, true
			}
			if kind == 'T' && x.Kind == 'D' {
				x.Kind = 'T'
				return x, true
			}
			if kind == 'D' && x.Kind == 'T' {
				x.Kind = 'D'
				if x.Prec > precDayT {
					x.Prec = precDayT
				}
				x.H, x.Mi, x.S, x.Ms, x.HasTZ, x.TZ = 0, 0, 0, 0, false, 0
				return x, true
			}
		}
		return nil, false
	}
}

var quantityText = regexp.MustCompile(`^([+-]?\d+(?:\.\d+)?)\s*(?:'([^']+)'|([a-zA-Z]+))?$`)

func toQuantity(v any) (FPQuantity, bool) {
	switch x := sysVal(v).(type) {
	case int64:
		return FPQuantity{Value: decFromInt(x), Unit: "1"}, true
	case FPDecimal:
		return FPQuantity{Value: x, Unit: "1"}, true
	case bool:
		if x {
			return FPQuantity{Value: FPDecimal{R: big.NewRat(1, 1), Scale: 1}, Unit: "1"}, true
		}
		return FPQuantity{Value: FPDecimal{R: new(big.Rat), Scale: 1}, Unit: "1"}, true
	case string:
		s := strings.ReplaceAll(x, `\'`, "'")
		m := quantityText.FindStringSubmatch(strings.TrimSpace(s))
		if m == nil {
			return FPQuantity{}, false
		}
		d, ok := parseDec(m[1])
		if !ok {
			return FPQuantity{}, false
		}
		unit := "1"
		switch {
		case m[2] != "":
			unit = m[2]
		case m[3] != "":
			if _, ok := calendarUnits[m[3]]; !ok {
				return FPQuantity{}, false
			}
			unit = m[3]
		}
		return FPQuantity{Value: d, Unit: unit}, true
	}
	if q, ok := quantityOf(v); ok {
		return q, true
	}
	return FPQuantity{}, false
}

func convertQuantity(q FPQuantity, unit string) []any {
	ra, da, ok1 := q.canon()
	f, ok2 := ucumParse(unit)
	if !ok1 || !ok2 || da != f.dim {
		return nil
	}
	return []any{FPQuantity{Value: trimmed(new(big.Rat).Quo(ra, f.f)), Unit: unit}}
}

func sortFn(e *env, f *funcNode, in []any) ([]any, error) {
	out := append([]any{}, in...)
	type keyed struct {
		v    any
		keys [][]any
	}
	ks := make([]keyed, len(out))
	for i, it := range out {
		ks[i].v = it
		for a := range f.args {
			desc := false
			expr := f.args[a]
			if u, ok := expr.(*unaryNode); ok && u.op == "-" {
				desc, expr = true, u.arg
			}
			sub := &env{c: e.c, this: []any{it}, index: int64(i), hasIndex: true}
			v, err := eval(expr, sub, sub.this)
			if err != nil {
				return nil, err
			}
			if desc {
				v = append([]any{"desc"}, v...)
			}
			ks[i].keys = append(ks[i].keys, v)
		}
	}
	var sortErr error
	less := func(a, b []any) int {
		desc := len(a) > 0 && a[0] == "desc"
		if desc {
			a = a[1:]
			b = b[1:]
		}
		var c int
		// an empty key sorts first in either direction
		switch {
		case len(a) == 0 && len(b) == 0:
			return 0
		case len(a) == 0:
			return -1
		case len(b) == 0:
			return 1
		default:
			var err error
			c, _, err = cmpItem(a[0], b[0])
			if err != nil {
				sortErr = err
			}
		}
		if desc {
			c = -c
		}
		return c
	}
	sort.SliceStable(ks, func(i, j int) bool {
		if len(f.args) == 0 {
			c, _, err := cmpItem(ks[i].v, ks[j].v)
			if err != nil {
				sortErr = err
			}
			return c < 0
		}
		for a := range f.args {
			if c := less(ks[i].keys[a], ks[j].keys[a]); c != 0 {
				return c < 0
			}
		}
		return false
	})
	if sortErr != nil {
		return nil, e.errf(f.pos, "sort(): %v", sortErr)
	}
	for i := range ks {
		out[i] = ks[i].v
	}
	return out, nil
}

// boundary implements lowBoundary()/highBoundary(): the least/greatest
// value the input could stand for at the given precision.
func boundary(high bool) func(e *env, f *funcNode, in []any) ([]any, error) {
	return func(e *env, f *funcNode, in []any) ([]any, error) {
		v, err := inputValue(e, f, in)
		if err != nil || v == nil {
			return nil, err
		}
		prec := int64(-1000)
		if len(f.args) == 1 {
			p, ok, err := e.intArg(f, 0)
			if err != nil {
				return nil, err
			}
			if ok {
				prec = p
			}
		}
		switch x := v.(type) {
		case int64:
			return decBoundary(decFromInt(x), prec, high), nil
		case FPDecimal:
			return decBoundary(x, prec, high), nil
		case FPQuantity:
			r := decBoundary(x.Value, prec, high)
			if len(r) == 0 {
				return nil, nil
			}
			return []any{FPQuantity{Value: r[0].(FPDecimal), Unit: x.Unit}}, nil
		case FPTemporal:
			return timeBoundary(x, prec, high), nil
		}
		return nil, e.errf(f.pos, "%s(): input is %s", f.name, typeName(v))
	}
}

func decBoundary(d FPDecimal, prec int64, high bool) []any {
	if prec == -1000 {
		prec = 8
	}
	if prec < 0 || prec > 28 {
		return nil
	}
	// half a unit of the input's last digit either side
	half := new(big.Rat).SetFrac(big.NewInt(5), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d.Scale+1)), nil))
	r := new(big.Rat)
	if high == (d.R.Sign() >= 0) {
		r.Add(d.R, half)
	} else {
		r.Sub(d.R, half)
	}
	if d.R.Sign() < 0 {
		// a negative value's low boundary is further from zero
		if high {
			r.Add(d.R, half)
		} else {
			r.Sub(d.R, half)
		}
	}
	out := FPDecimal{R: r}
	if int(prec) > d.Scale {
		return []any{FPDecimal{R: r, Scale: int(prec)}}
	}
	// fewer digits than the input: cut toward the boundary's side
	t := out.trunc(int(prec), !high)
	if high && t.R.Cmp(r) < 0 {
		unit := new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Exp(big.NewInt(10), big.NewInt(prec), nil))
		t.R.Add(t.R, unit)
	}
	return []any{t}
}

func timeBoundary(t FPTemporal, prec int64, high bool) []any {
	want := 0
	dateP := map[int64]int{4: precYear, 6: precMonth, 8: precDayT, 10: precHour, 12: precMinute, 14: precSecond, 17: precMilli}
	timeP := map[int64]int{2: precHour, 4: precMinute, 6: precSecond, 9: precMilli}
	if prec == -1000 {
		want = precMilli
		if t.Kind == 'D' {
			want = precDayT
		}
	} else if t.Kind == 't' {
		want = timeP[prec]
	} else {
		want = dateP[prec]
	}
	if want == 0 || t.Kind == 'D' && want > precDayT {
		return nil
	}
	out := t
	if want < t.Prec {
		out.Prec = want
		return []any{out}
	}
	for p := t.Prec + 1; p <= want; p++ {
		switch p {
		case precMonth:
			out.Mo = 1
			if high {
				out.Mo = 12
			}
		case precDayT:
			out.D = 1
			if high {
				out.D = daysIn(out.Y, out.Mo)
			}
		case precHour:
			out.H = 0
			if high {
				out.H = 23
			}
		case precMinute:
			out.Mi = 0
			if high {
				out.Mi = 59
			}
		case precSecond:
			out.S = 0
			if high {
				out.S = 59
			}
		case precMilli:
			out.Ms = 0
			if high {
				out.Ms = 999
			}
		}
	}
	out.Prec = want
	if out.Kind == 'T' && want >= precHour && !t.HasTZ {
		out.HasTZ = true
		out.TZ = 14 * 60
		if high {
			out.TZ = -12 * 60
		}
	}
	return []any{out}
}

type coding struct{ System, Code string }

// codingsOf reads the codes of a code, Coding or CodeableConcept item.
func codingsOf(v any) []coding {
	switch x := v.(type) {
	case string:
		return []coding{{Code: x}}
	case *Node:
		if x.hasVal() {
			s, _ := x.value().(string)
			return []coding{{Code: s}}
		}
		switch x.Type {
		case "Coding":
			return []coding{{x.str("system"), x.str("code")}}
		case "CodeableConcept":
			var out []coding
			for _, c := range x.child("coding") {
				out = append(out, coding{c.str("system"), c.str("code")})
			}
			return out
		}
	}
	return nil
}

// resolveRef finds the resource a reference points to: a contained
// resource ("#id") or an entry of the enclosing Bundle (by fullUrl or
// Type/id).
func resolveRef(from any, ref string, c *evalCtx) *Node {
	if ref == "" {
		return nil
	}
	n, _ := from.(*Node)
	if strings.HasPrefix(ref, "#") {
		for p := n; p != nil; p = p.parent {
			if isResourceType(p.Type) && (p.parent == nil || p.Name != "contained") {
				for _, k := range p.child("contained") {
					if k.str("id") == ref[1:] {
						return k
					}
				}
				if ref == "#" {
					return p
				}
				return nil
			}
		}
		return nil
	}
	for p := n; p != nil; p = p.parent {
		if p.Type != "Bundle" {
			continue
		}
		for _, entry := range p.child("entry") {
			r := entry.first("resource")
			if r == nil {
				continue
			}
			if full := entry.str("fullUrl"); full != "" && (full == ref || strings.HasSuffix(full, "/"+ref)) {
				return r
			}
			if r.Type+"/"+r.str("id") == ref || strings.HasSuffix(ref, "/"+r.Type+"/"+r.str("id")) {
				return r
			}
		}
	}
	return nil
}

// unescapeJSON undoes JSON string escapes; a bad escape is kept as it is.
func unescapeJSON(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch c := s[i]; c {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+4 < len(s) {
				if v, err := strconv.ParseUint(s[i+1:i+5], 16, 32); err == nil {
					b.WriteRune(rune(v))
					i += 4
					continue
				}
			}
			b.WriteString(`\u`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
