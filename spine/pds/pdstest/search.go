package pdstest

import (
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
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
		if !validDate(d) {
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

// glob matches a name or postcode against a query with * wildcards
// (anywhere after the first two characters), case-insensitively.
func glob(pattern, s string) bool {
	parts := strings.Split(strings.ToLower(pattern), "*")
	s = strings.ToLower(s)
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for i, p := range parts[1:] {
		if i == len(parts)-2 {
			return p == "" || strings.HasSuffix(s, p)
		}
		j := strings.Index(s, p)
		if j < 0 {
			return false
		}
		s = s[j+len(p):]
	}
	return s == ""
}

// Penalties of the fake's score: a match scores 1 less these, rounded to
// four decimals. PDS does not publish its scoring; these are the fake's,
// chosen so that the sandbox's own figures come out: its wildcard search
// scores 0.8343 (the Node.js sandbox's patient-searcher), and its published
// search bundles, for one inexact element, 0.75.
const (
	penaltyWildcard  = 0.1657 // a name or postcode matched by a wildcard
	penaltyRange     = 0.05   // the birth date matched a range, not a date
	penaltyHistory   = 0.1    // matched only a previous name or address
	penaltyHomophone = 0.25   // a name matched by Soundex or transposed (fuzzy)
	penaltyGiven     = 0.1    // a later given name asked for is not recorded
	penaltyFuzzyMiss = 0.1    // a fuzzy search's death date or GP does not match
	// minFuzzyScore: fuzzy matches scoring less are not returned.
	minFuzzyScore = 0.6
)

// nameKind is how a query name matched.
type nameKind int

const (
	noMatch nameKind = iota
	exactName
	wildcardName
	homophone
)

// matchName compares one query name with one recorded name.
func matchName(query, candidate string, fuzzy bool) nameKind {
	q := strings.TrimSpace(query)
	switch {
	case strings.Contains(q, "*"):
		if glob(q, candidate) {
			return wildcardName
		}
	case strings.EqualFold(q, candidate):
		return exactName
	case fuzzy && soundex(q) != "" && soundex(q) == soundex(candidate):
		return homophone
	}
	return noMatch
}

// searchQuery is a validated search.
type searchQuery struct {
	family, postcode, gender, gp, email, phone string
	given                                      []string
	birth, death                               []dateBound
	fuzzy, history                             bool
	day                                        string // today, YYYY-MM-DD
}

// nameUses are the names a non-history search looks at.
var nameUses = map[any]bool{"usual": true, "nickname": true, "temp": true, nil: true}

// matchNames finds the best way the query's names match one of the
// recorded names, and its penalty.
func matchNames(doc map[string]any, q searchQuery) (float64, bool) {
	best, found := 0.0, false
	for _, n := range objs(doc["name"]) {
		historic := !nameUses[n["use"]] || !current(n, q.day)
		if historic && !q.history && !q.fuzzy {
			continue
		}
		pen, ok := matchOneName(n, q)
		if !ok {
			continue
		}
		if historic {
			pen += penaltyHistory
		}
		if !found || pen < best {
			best, found = pen, true
		}
	}
	return best, found
}

func matchOneName(n map[string]any, q searchQuery) (float64, bool) {
	family := firstStr(n["family"])
	given := strs(n["given"])
	first := ""
	if len(given) > 0 {
		first = given[0]
	}
	try := func(fam, giv string, transposed bool) (float64, bool) {
		pen := 0.0
		if transposed {
			pen += penaltyHomophone
		}
		score := func(k nameKind) bool {
			switch k {
			case noMatch:
				return false
			case wildcardName:
				pen += penaltyWildcard
			case homophone:
				pen += penaltyHomophone
			}
			return true
		}
		if q.family != "" && !score(matchName(q.family, fam, q.fuzzy)) {
			return 0, false
		}
		if len(q.given) > 0 {
			// The first given name asked for is the first recorded (a
			// wildcard matches its start only); later ones lower the
			// score when they are not recorded.
			if !score(matchName(q.given[0], giv, q.fuzzy)) {
				return 0, false
			}
			for _, g := range q.given[1:] {
				if !slices.ContainsFunc(given[min(1, len(given)):], func(c string) bool { return matchName(g, c, q.fuzzy) != noMatch }) {
					pen += penaltyGiven
				}
			}
		}
		return pen, true
	}
	if pen, ok := try(family, first, false); ok {
		return pen, true
	}
	if q.fuzzy && q.family != "" && len(q.given) > 0 {
		return try(first, family, true)
	}
	return 0, false
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

// match scores a patient against a query: ok when every criterion the
// search uses matches.
func (s *Server) match(doc map[string]any, q searchQuery) (float64, bool) {
	pen, ok := matchNames(doc, q)
	if !ok {
		return 0, false
	}
	if q.gender != "" && doc["gender"] != q.gender {
		return 0, false
	}
	if len(q.birth) > 0 {
		bd, _ := doc["birthDate"].(string)
		if !dateMatches(bd, q.birth) {
			return 0, false
		}
		if slices.ContainsFunc(q.birth, func(b dateBound) bool { return b.op != "eq" }) {
			pen += penaltyRange
		}
	}
	if len(q.death) > 0 {
		dd, _ := doc["deceasedDateTime"].(string)
		if !dateMatches(dd, q.death) {
			if !q.fuzzy {
				return 0, false
			}
			pen += penaltyFuzzyMiss // not used for a fuzzy search, only lowers the score
		}
	}
	if q.postcode != "" {
		best, found := 0.0, false
		for _, a := range objs(doc["address"]) {
			historic := !current(a, q.day)
			if historic && !q.history && !q.fuzzy {
				continue
			}
			have, p := normPostcode(firstStr(a["postalCode"])), 0.0
			want := normPostcode(q.postcode)
			switch {
			case strings.Contains(want, "*"):
				if !glob(want, have) {
					continue
				}
				p = penaltyWildcard
			case have != want:
				continue
			}
			if historic {
				p += penaltyHistory
			}
			if !found || p < best {
				best, found = p, true
			}
		}
		if !found {
			return 0, false
		}
		pen += best
	}
	if q.gp != "" {
		found := false
		for _, r := range objs(doc["generalPractitioner"]) {
			id, _ := r["identifier"].(map[string]any)
			if id["value"] == q.gp {
				found = true
			}
		}
		if !found {
			if !q.fuzzy {
				return 0, false
			}
			pen += penaltyFuzzyMiss
		}
	}
	// Email and phone match exactly (email whatever its case). Their
	// periods are not checked: the sandbox's published scenarios match an
	// email whose period ended in 2022.
	for _, p := range []struct{ want, system string }{{q.email, "email"}, {q.phone, "phone"}} {
		if p.want == "" {
			continue
		}
		if !slices.ContainsFunc(objs(doc["telecom"]), func(t map[string]any) bool {
			return t["system"] == p.system && strings.EqualFold(firstStr(t["value"]), p.want)
		}) {
			return 0, false
		}
	}
	score := math.Round((1-pen)*10000) / 10000
	if q.fuzzy && score < minFuzzyScore {
		return 0, false
	}
	return score, true
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

var genders = map[string]bool{"male": true, "female": true, "other": true, "unknown": true}

func validDate(d string) bool {
	_, err := time.Parse("2006-01-02", d)
	return err == nil
}

func (s *Server) search(w responseWriter, r *http.Request, appRestricted bool) {
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
	sq := searchQuery{
		family: q.Get("family"), given: q["given"], gender: q.Get("gender"),
		gp: q.Get("general-practitioner"), email: q.Get("email"), phone: q.Get("phone"),
	}
	for _, k := range []string{"birthdate", "death-date"} {
		if v, ok := q[k]; ok {
			b, valid := parseDates(v)
			if !valid {
				w.error(http.StatusBadRequest, "value", "INVALID_VALUE", "Invalid value - '"+strings.Join(v, ",")+"' in field '"+k+"'")
				return
			}
			if k == "birthdate" {
				sq.birth = b
			} else {
				sq.death = b
			}
		}
	}
	if sq.gender != "" && !genders[sq.gender] {
		w.error(http.StatusBadRequest, "value", "INVALID_VALUE", "Invalid value - '"+sq.gender+"' in field 'gender'")
		return
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
	sq.fuzzy, sq.history = fuzzy, history
	max := 50
	if appRestricted {
		max = 1
	}
	if v := q.Get("_max-results"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 50 {
			w.error(http.StatusBadRequest, "value", "INVALID_VALUE", "Invalid value - '"+v+"' in field '_max-results'")
			return
		}
		if appRestricted && n != 1 {
			// The platform proxy's refusal (RaiseFault.MaxResultsInvalidAppRestricted).
			w.errorDisplay(http.StatusForbidden, "token", "INVALID_VALUE", "Cannot retrieve more than one result with Application Restricted access token", "Your app has insufficient permissions to perform this search. Please contact support.")
			return
		}
		max = n
	}
	has := func(k string) bool { return q.Get(k) != "" }
	if has("address-postalcode") && has("address-postcode") {
		w.error(http.StatusBadRequest, "value", "INVALID_SEARCH_DATA", "Invalid search data provided - 'address-postalcode' and 'address-postcode' cannot be used together")
		return
	}
	sq.postcode = q.Get("address-postalcode") + q.Get("address-postcode")
	postcode := sq.postcode != ""
	for _, v := range append([]string{sq.family}, sq.given...) {
		if i := strings.Index(v, "*"); i >= 0 && i < 2 {
			w.error(http.StatusBadRequest, "value", "INVALID_SEARCH_DATA", "Invalid search data provided - a wildcard cannot be in the first two characters of a name")
			return
		}
	}
	if fuzzy {
		if strings.Contains(sq.family+strings.Join(sq.given, "")+sq.postcode, "*") {
			w.error(http.StatusBadRequest, "value", "INVALID_SEARCH_DATA", "Invalid search data provided - wildcards are not allowed in a fuzzy search")
			return
		}
		if !(has("given") && has("family") && has("birthdate") ||
			has("family") && has("birthdate") && has("gender") && postcode ||
			has("given") && has("birthdate") && has("gender") && postcode) {
			w.error(http.StatusBadRequest, "value", "INVALID_SEARCH_DATA", "Not enough search parameters were provided for a fuzzy search")
			return
		}
	} else {
		if !has("birthdate") {
			w.error(http.StatusBadRequest, "required", "MISSING_VALUE", "Missing value - 'birthdate'")
			return
		}
		if !has("family") {
			w.error(http.StatusBadRequest, "value", "INVALID_SEARCH_DATA", "Not enough search parameters were provided to be able to make a search")
			return
		}
	}
	type match struct {
		doc   map[string]any
		score float64
	}
	var matches []match
	sq.day = s.clock().UTC().Format("2006-01-02")
	s.mu.Lock()
	for id, rec := range s.patients {
		if s.invalid[id] {
			continue
		}
		if restricted(rec.doc) && (postcode || has("general-practitioner")) {
			continue
		}
		if sc, ok := s.match(rec.doc, sq); ok && (!exactOnly || sc == 1) {
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
