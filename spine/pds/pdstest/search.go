package pdstest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

var searchParams = map[string]bool{
	"family": true, "given": true, "gender": true, "birthdate": true, "death-date": true,
	"address-postalcode": true, "address-postcode": true, "general-practitioner": true,
	"email": true, "phone": true, "_fuzzy-match": true, "_exact-match": true,
	"_history": true, "_max-results": true,
}

type dateBound struct {
	op   string // eq, ge, le
	date string // YYYY-MM-DD
}

func parseDates(vals []string) ([]dateBound, bool) {
	var out []dateBound
	for _, v := range vals {
		op, d := "eq", v
		if len(v) > 2 && (v[:2] == "eq" || v[:2] == "ge" || v[:2] == "le") {
			op, d = v[:2], v[2:]
		}
		if len(d) != 10 || d[4] != '-' || d[7] != '-' {
			return nil, false
		}
		if _, err := strconv.Atoi(d[:4] + d[5:7] + d[8:]); err != nil {
			return nil, false
		}
		out = append(out, dateBound{op, d})
	}
	return out, true
}

func dateMatches(value string, bounds []dateBound) bool {
	if value == "" {
		return false
	}
	if len(value) > 10 {
		value = value[:10]
	}
	for _, b := range bounds {
		switch b.op {
		case "eq":
			if value != b.date {
				return false
			}
		case "ge":
			if value < b.date {
				return false
			}
		case "le":
			if value > b.date {
				return false
			}
		}
	}
	return true
}

// soundex is the American Soundex code PDS uses for fuzzy name matching.
func soundex(s string) string {
	s = strings.ToUpper(s)
	codes := map[rune]byte{'B': '1', 'F': '1', 'P': '1', 'V': '1', 'C': '2', 'G': '2', 'J': '2', 'K': '2', 'Q': '2', 'S': '2', 'X': '2', 'Z': '2', 'D': '3', 'T': '3', 'L': '4', 'M': '5', 'N': '5', 'R': '6'}
	var out []byte
	var last byte
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			continue
		}
		c := codes[r]
		if len(out) == 0 {
			out = append(out, byte(r))
			last = c
			continue
		}
		if c != 0 && c != last {
			out = append(out, c)
		}
		if r != 'H' && r != 'W' {
			last = c
		}
		if len(out) == 4 {
			break
		}
	}
	for len(out) > 0 && len(out) < 4 {
		out = append(out, '0')
	}
	return string(out)
}

// nameMatch compares a query name (a trailing * is a prefix wildcard) with
// a candidate; exact says whether it matched without a wildcard or
// homophone.
func nameMatch(query, candidate string, fuzzy bool) (ok, exact bool) {
	q, c := strings.ToLower(strings.TrimSpace(query)), strings.ToLower(candidate)
	if strings.HasSuffix(q, "*") {
		return strings.HasPrefix(c, strings.TrimSuffix(q, "*")), false
	}
	if q == c {
		return true, true
	}
	if fuzzy && soundex(q) == soundex(c) {
		return true, false
	}
	return false, false
}

func normPostcode(s string) string { return strings.ToUpper(strings.ReplaceAll(s, " ", "")) }

func strs(v any) []string {
	var out []string
	switch x := v.(type) {
	case string:
		out = append(out, x)
	case []any:
		for _, y := range x {
			if s, ok := y.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

func objs(v any) []map[string]any {
	var out []map[string]any
	if a, ok := v.([]any); ok {
		for _, x := range a {
			if m, ok := x.(map[string]any); ok {
				out = append(out, m)
			}
		}
	}
	return out
}

// current reports whether an element's period has not ended.
// current reports whether a name or address is in use on today
// (YYYY-MM-DD): no period end, or one not yet passed.
func current(m map[string]any, today string) bool {
	p, _ := m["period"].(map[string]any)
	end, _ := p["end"].(string)
	if len(end) > 10 {
		end = end[:10] // a dateTime: its date
	}
	return end == "" || end >= today
}

// score matches a patient against a query: ok when every given criterion
// matches, score 1.0 when every match is exact.
func score(doc map[string]any, q url.Values, fuzzy, history bool, today string) (float64, bool) {
	exact := true
	check := func(ok, ex bool) bool {
		if !ex {
			exact = false
		}
		return ok
	}
	names := objs(doc["name"])
	if fam := q.Get("family"); fam != "" {
		found := false
		for _, n := range names {
			if !history && !fuzzy && !current(n, today) {
				continue
			}
			if ok, ex := nameMatch(fam, firstStr(n["family"]), fuzzy); ok {
				found = check(true, ex)
				break
			}
		}
		if !found {
			return 0, false
		}
	}
	for _, g := range q["given"] {
		found := false
		for _, n := range names {
			if !history && !fuzzy && !current(n, today) {
				continue
			}
			for _, cand := range strs(n["given"]) {
				if ok, ex := nameMatch(g, cand, fuzzy); ok {
					found = check(true, ex)
					break
				}
			}
			if found {
				break
			}
		}
		if !found {
			return 0, false
		}
	}
	if g := q.Get("gender"); g != "" && doc["gender"] != g {
		return 0, false
	}
	if v, ok := q["birthdate"]; ok {
		b, _ := parseDates(v)
		bd, _ := doc["birthDate"].(string)
		if !dateMatches(bd, b) {
			return 0, false
		}
		for _, x := range b {
			if x.op != "eq" {
				exact = false
			}
		}
	}
	if v, ok := q["death-date"]; ok {
		b, _ := parseDates(v)
		dd, _ := doc["deceasedDateTime"].(string)
		if !dateMatches(dd, b) {
			if fuzzy {
				exact = false // not used for a fuzzy search, only lowers the score
			} else {
				return 0, false
			}
		}
	}
	if pc := q.Get("address-postalcode") + q.Get("address-postcode"); pc != "" {
		want := normPostcode(pc)
		found := false
		for _, a := range objs(doc["address"]) {
			if !history && !fuzzy && !current(a, today) {
				continue
			}
			have := normPostcode(firstStr(a["postalCode"]))
			if strings.HasSuffix(want, "*") {
				if strings.HasPrefix(have, strings.TrimSuffix(want, "*")) {
					found = check(true, false)
				}
			} else if have == want {
				found = true
			}
		}
		if !found {
			return 0, false
		}
	}
	if gp := q.Get("general-practitioner"); gp != "" {
		found := false
		for _, r := range objs(doc["generalPractitioner"]) {
			id, _ := r["identifier"].(map[string]any)
			if id["value"] == gp {
				found = true
			}
		}
		if !found {
			if fuzzy {
				exact = false
			} else {
				return 0, false
			}
		}
	}
	for _, p := range []struct{ param, system string }{{"email", "email"}, {"phone", "phone"}} {
		v := q.Get(p.param)
		if v == "" {
			continue
		}
		found := false
		for _, t := range objs(doc["telecom"]) {
			if t["system"] == p.system && strings.EqualFold(firstStr(t["value"]), v) {
				found = true
			}
		}
		if !found {
			return 0, false
		}
	}
	if exact {
		return 1, true
	}
	if fuzzy {
		return 0.8, true
	}
	return 0.9, true
}

func firstStr(v any) string {
	s := strs(v)
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// searchView is the reduced record a search returns: usual, nickname and
// temporary names, the home address.
func searchView(r *record) map[string]any {
	doc := view(r)
	var names []any
	for _, n := range objs(doc["name"]) {
		switch n["use"] {
		case "usual", "nickname", "temp", "official", nil:
			names = append(names, n)
		}
	}
	if len(names) > 0 {
		doc["name"] = names
	}
	var addrs []any
	for _, a := range objs(doc["address"]) {
		if u := a["use"]; u == "home" || u == nil {
			addrs = append(addrs, a)
		}
	}
	if len(addrs) > 0 {
		doc["address"] = addrs
	} else {
		delete(doc, "address")
	}
	return doc
}

func (s *Server) search(w responseWriter, r *http.Request) {
	q := r.URL.Query()
	if len(q) == 0 {
		w.error(http.StatusBadRequest, "not-supported", "UNSUPPORTED_SERVICE", "No search parameters provided")
		return
	}
	for k := range q {
		if !searchParams[k] {
			w.error(http.StatusBadRequest, "structure", "ADDITIONAL_PROPERTIES", "Invalid search data provided - '"+k+"' is not a valid search parameter")
			return
		}
	}
	for _, k := range []string{"birthdate", "death-date"} {
		if v, ok := q[k]; ok {
			if _, valid := parseDates(v); !valid {
				w.error(http.StatusBadRequest, "value", "INVALID_SEARCH_DATA", "Invalid value - '"+strings.Join(v, ",")+"' in field '"+k+"'")
				return
			}
		}
	}
	boolParam := func(k string) (bool, bool) {
		v := q.Get(k)
		if v == "" {
			return false, true
		}
		b, err := strconv.ParseBool(v)
		return b, err == nil
	}
	fuzzy, ok1 := boolParam("_fuzzy-match")
	exactOnly, ok2 := boolParam("_exact-match")
	history, ok3 := boolParam("_history")
	if !ok1 || !ok2 || !ok3 {
		w.error(http.StatusBadRequest, "value", "INVALID_VALUE", "Invalid value in a boolean search parameter")
		return
	}
	max := 50
	if v := q.Get("_max-results"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 50 {
			w.error(http.StatusBadRequest, "value", "INVALID_VALUE", "Invalid value - '"+v+"' in field '_max-results'")
			return
		}
		max = n
	}
	has := func(k string) bool { return q.Get(k) != "" }
	postcode := has("address-postalcode") || has("address-postcode")
	if fuzzy {
		if strings.Contains(q.Get("family")+q.Get("given")+q.Get("address-postalcode")+q.Get("address-postcode"), "*") {
			w.error(http.StatusBadRequest, "value", "INVALID_SEARCH_DATA", "Invalid search data provided - wildcards are not allowed in a fuzzy search")
			return
		}
		if !(has("given") && has("family") && has("birthdate") ||
			has("family") && has("birthdate") && has("gender") && postcode ||
			has("given") && has("birthdate") && has("gender") && postcode) {
			w.error(http.StatusBadRequest, "value", "INVALID_SEARCH_DATA", "Not enough search parameters were provided for a fuzzy search")
			return
		}
	} else if !has("family") || !has("birthdate") {
		w.error(http.StatusBadRequest, "value", "INVALID_SEARCH_DATA", "Not enough search parameters were provided to be able to make a search")
		return
	}
	type match struct {
		doc   map[string]any
		score float64
	}
	var matches []match
	today := s.clock().UTC().Format("2006-01-02")
	s.mu.Lock()
	for id, rec := range s.patients {
		if s.invalid[id] {
			continue
		}
		if restricted(rec.doc) && (postcode || has("general-practitioner")) {
			continue
		}
		if sc, ok := score(rec.doc, q, fuzzy, history, today); ok && (!exactOnly || sc == 1) {
			matches = append(matches, match{searchView(rec), sc})
		}
	}
	s.mu.Unlock()
	sort.Slice(matches, func(i, j int) bool {
		if matches[i].score != matches[j].score {
			return matches[i].score > matches[j].score
		}
		return matches[i].doc["id"].(string) < matches[j].doc["id"].(string)
	})
	bundle := map[string]any{"resourceType": "Bundle", "type": "searchset", "timestamp": s.clock().UTC().Format("2006-01-02T15:04:05+00:00")}
	if len(matches) > max {
		// Too many matches is a completed search (200) whose only entry is
		// an OperationOutcome, not an empty result.
		var oo map[string]any
		_ = json.Unmarshal(outcome("information", "multiple-matches", "TOO_MANY_MATCHES", "Too many matches were found - refine the search parameters"), &oo)
		bundle["total"] = 0
		bundle["entry"] = []any{map[string]any{"resource": oo, "search": map[string]any{"mode": "outcome"}}}
	} else {
		var entries []any
		for _, m := range matches {
			entries = append(entries, map[string]any{
				"fullUrl":  s.URL + "/Patient/" + m.doc["id"].(string),
				"search":   map[string]any{"score": m.score},
				"resource": m.doc,
			})
		}
		bundle["total"] = len(entries)
		if len(entries) > 0 {
			bundle["entry"] = entries
		}
	}
	body, _ := json.Marshal(bundle)
	w.send(http.StatusOK, body)
}
