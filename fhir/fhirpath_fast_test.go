package fhir

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// Every invariant expression fastBool compiles gives, on every element of
// the UK Core examples and the golden invalid corpus, exactly what the
// interpreter gives (known, same Boolean).
func TestFastBoolMatchesInterpreter(t *testing.T) {
	exprs := map[string]bool{}
	for _, list := range baseInvariants {
		for _, inv := range list {
			exprs[inv.Expr] = true
		}
	}
	for _, p := range ukcoreProfiles {
		for _, inv := range p.Invariants {
			exprs[inv.Expr] = true
		}
	}
	type compiledPair struct {
		src  string
		prog *FHIRPath
		fast fastPred
	}
	type guardPair struct {
		src   string
		prog  *FHIRPath
		guard guardPred
	}
	var fast []compiledPair
	var guards []guardPair
	type absentPair struct {
		src    string
		prog   *FHIRPath
		absent []string
	}
	var absents []absentPair
	for e := range exprs {
		p, err := CompileFHIRPath(e)
		if err != nil {
			continue
		}
		if f := fastBool(p); f != nil {
			fast = append(fast, compiledPair{e, p, f})
		} else {
			if g := guardBool(p); g != nil {
				guards = append(guards, guardPair{e, p, g})
			}
			if a, ok := emptyWhenAbsent(p.root); ok {
				absents = append(absents, absentPair{e, p, a})
			}
		}
	}
	sort.Slice(fast, func(i, j int) bool { return fast[i].src < fast[j].src })
	if len(fast) < 10 {
		t.Fatalf("only %d invariants compiled to closures", len(fast))
	}
	t.Logf("%d of %d invariant expressions compiled to Go, %d more partly", len(fast), len(exprs), len(guards))
	if len(guards) < 5 {
		t.Fatalf("only %d invariants compiled to guards", len(guards))
	}

	var docs []*Node
	files, err := filepath.Glob(filepath.Join(ukcoreDir, "examples", "*.xml"))
	if err != nil || len(files) != 215 {
		t.Fatalf("want the 215 UK Core examples in %s (%v)", ukcoreDir, err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		n, err := NodeFromXML(data)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, n)
	}
	for _, js := range profileGoldenInvalid {
		n, err := NodeFromJSON([]byte(js))
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, n)
	}
	// choice elements by their typed names, empty elements, values with
	// and without extensions
	for _, js := range []string{
		`{"resourceType":"Observation","valueQuantity":{"value":1},"extension":[{"url":"u"},{"url":"v","valueString":"x"}]}`,
		`{"resourceType":"Patient","_gender":{"id":"g"},"text":{"status":"generated"},"contained":[{"resourceType":"Patient","meta":{"versionId":"1","security":[{"code":"x"}]}}]}`,
	} {
		n, err := NodeFromJSON([]byte(js))
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, n)
	}
	ctx := context.Background()
	cases, decidedCases, absentCases := 0, 0, 0
	var visit func(n *Node)
	visit = func(n *Node) {
		for _, c := range fast {
			ok, known, err := c.prog.EvaluateBool(ctx, n, nil)
			got := c.fast(n)
			cases++
			if err != nil || !known || ok != got {
				t.Errorf("%s on %s: interpreter %v (known %v, err %v), closure %v", c.src, nodeLocation(n), ok, known, err, got)
			}
		}
		for _, c := range absents {
			if _, count := pathFirst2(n, c.absent); count != 0 {
				continue
			}
			ok, known, err := c.prog.EvaluateBool(ctx, n, nil)
			cases++
			absentCases++
			if err != nil || known {
				t.Errorf("%s on %s with %v absent: interpreter %v (known %v, err %v), want unknown", c.src, nodeLocation(n), c.absent, ok, known, err)
			}
		}
		for _, c := range guards {
			got, decided := c.guard(n)
			if !decided {
				continue
			}
			ok, known, err := c.prog.EvaluateBool(ctx, n, nil)
			cases++
			decidedCases++
			if err != nil || !known || ok != got {
				t.Errorf("%s on %s: interpreter %v (known %v, err %v), guard %v", c.src, nodeLocation(n), ok, known, err, got)
			}
		}
		for _, k := range n.kids {
			visit(k)
		}
	}
	for _, d := range docs {
		visit(d)
	}
	t.Logf("%d cases, %d decided by guards, %d unknown for an absent element (%d expressions)", cases, decidedCases, absentCases, len(absents))
	if absentCases == 0 {
		t.Error("no constraint skipped for an absent element")
	}
	if decidedCases == 0 {
		t.Error("no guard decided anything")
	}
}
