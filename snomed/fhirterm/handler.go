package fhirterm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/snomed"
)

// System is the SNOMED CT code system URI.
const System = "http://snomed.info/sct"

// Well-known edition modules (SNOMED CT URI Specification).
const (
	InternationalEdition snomed.ID = 900000000000207008
	UKEdition            snomed.ID = 83821000000107
)

// Classification systems the maps translate into.
const (
	ICD10System = "http://hl7.org/fhir/sid/icd-10"
	OPCS4System = "https://fhir.nhs.uk/Id/opcs-4"
)

// Handler answers FHIR R4 terminology operations over a store. It holds no
// global state: several handlers over several stores may serve side by
// side, each under its own prefix.
type Handler struct {
	store   *snomed.Store
	log     *slog.Logger
	maxBody int64
	maxExp  int
	timeout time.Duration
	exact   bool

	editionOnce sync.Once
	edition     snomed.ID
	version     string // YYYYMMDD

	sets      setCache
	boundSets boundSets // MemberOf's value sets
}

// Option configures a Handler.
type Option func(*Handler)

// WithEdition sets the edition module and version date (YYYYMMDD) the
// handler reports in http://snomed.info/sct/{module}/version/{date}; by
// default both are read from the store (see New).
func WithEdition(module snomed.ID, version string) Option {
	return func(h *Handler) {
		h.editionOnce.Do(func() { h.edition, h.version = module, version })
	}
}

// WithLogger logs each failed request (status and operation, never a
// parameter value). The default discards.
func WithLogger(l *slog.Logger) Option { return func(h *Handler) { h.log = l } }

// WithMaxExpansion bounds the concepts one $expand returns (default
// 1000): a larger count is lowered to it, and an expansion without a
// filter that is larger than it and asks for no count is refused as
// too-costly.
func WithMaxExpansion(n int) Option { return func(h *Handler) { h.maxExp = n } }

// WithTimeout bounds each request's work (default 10 s): an ECL
// evaluation that runs over answers 408 with an OperationOutcome.
func WithTimeout(d time.Duration) Option { return func(h *Handler) { h.timeout = d } }

// WithExactTotals makes $expand with a filter count every match to fill
// ValueSet.expansion.total. By default total is given when the last page
// is reached (or the set has no filter) and left out otherwise, as the
// R4 ValueSet resource allows for an unknown total; counting costs a walk
// of every candidate.
func WithExactTotals() Option { return func(h *Handler) { h.exact = true } }

// New returns a handler over store. Unless WithEdition says otherwise, the
// edition is the UK Edition (83821000000107) when the store holds UK
// extension content (a concept in a UK module: namespace 1000000 or
// 1000001) and the International Edition otherwise, and the version is
// the latest effectiveTime of any concept; both are read on first use.
func New(store *snomed.Store, opts ...Option) *Handler {
	h := &Handler{store: store, log: slog.New(slog.DiscardHandler), maxBody: 1 << 20, maxExp: 1000, timeout: 10 * time.Second}
	for _, o := range opts {
		o(h)
	}
	h.sets.init(16)
	return h
}

// ukModule reports whether a module id is in a UK namespace (1000000 for
// the UK Clinical Extension, 1000001 for the UK Drug Extension): the
// seven digits before the partition and check digit of a long-form id.
func ukModule(m snomed.ID) bool {
	s := strconv.FormatUint(uint64(m), 10)
	if len(s) < 11 {
		return false
	}
	ns := s[len(s)-10 : len(s)-3]
	return ns == "1000000" || ns == "1000001"
}

func (h *Handler) editionInfo() (snomed.ID, string) {
	h.editionOnce.Do(func() {
		latest, uk := 0, false
		for _, id := range h.store.Concepts() {
			c, _ := h.store.Concept(id)
			latest = max(latest, c.EffectiveTime)
			uk = uk || ukModule(c.Module)
		}
		h.edition = InternationalEdition
		if uk {
			h.edition = UKEdition
		}
		h.version = fmt.Sprintf("%08d", latest)
	})
	return h.edition, h.version
}

// VersionURI is the edition and version the handler reports:
// http://snomed.info/sct/{module}/version/{YYYYMMDD}.
func (h *Handler) VersionURI() string {
	m, v := h.editionInfo()
	return fmt.Sprintf("%s/%d/version/%s", System, m, v)
}

// checkVersion accepts an empty version, the handler's own version URI,
// or its edition URI without a version.
func (h *Handler) checkVersion(v string) error {
	if v == "" {
		return nil
	}
	m, _ := h.editionInfo()
	if v == h.VersionURI() || v == fmt.Sprintf("%s/%d", System, m) {
		return nil
	}
	return errf(http.StatusNotFound, "not-found", "version", "code system version %s is not known (this server has %s)", quote(v), h.VersionURI())
}

// Error is a failed request: an HTTP status and the OperationOutcome
// issue the handler answers with.
type Error struct {
	Status int    // HTTP status
	Code   string // OperationOutcome issue type (invalid, not-found, ...)
	Param  string // the parameter at fault, if any (issue expression)
	Msg    string
	Err    error // cause, for errors.Is (ecl.ErrSyntax, context.DeadlineExceeded)
}

func (e *Error) Error() string {
	if e.Param != "" {
		return fmt.Sprintf("fhirterm: %d %s: %s: %s", e.Status, e.Code, e.Param, e.Msg)
	}
	return fmt.Sprintf("fhirterm: %d %s: %s", e.Status, e.Code, e.Msg)
}

func (e *Error) Unwrap() error { return e.Err }

func errf(status int, code, param, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Param: param, Msg: fmt.Sprintf(format, args...)}
}

// quote shows a client's value in a message: valid UTF-8, at most 64
// bytes, quoted.
func quote(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) > 64 {
		i := 64
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		s = s[:i] + "…"
	}
	return strconv.Quote(s)
}

// ServeHTTP routes by the path's last segments, so the handler can be
// mounted under any prefix (with or without http.StripPrefix):
//
//	GET        metadata                      CapabilityStatement (?mode=terminology: TerminologyCapabilities)
//	GET, POST  CodeSystem/$lookup
//	GET, POST  CodeSystem/$subsumes
//	GET, POST  CodeSystem/$validate-code
//	GET, POST  ValueSet/$validate-code
//	GET, POST  ValueSet/$expand
//	GET, POST  ConceptMap/$translate
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := route(r.URL.Path)
	if op == "" {
		h.fail(w, op, errf(http.StatusNotFound, "not-supported", "", "no such operation: %s", quote(r.URL.Path)))
		return
	}
	if op == "metadata" {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			h.fail(w, op, errf(http.StatusMethodNotAllowed, "not-supported", "", "metadata answers GET"))
			return
		}
		h.write(w, http.StatusOK, h.metadata(r.URL.Query().Get("mode")))
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		h.fail(w, op, errf(http.StatusMethodNotAllowed, "not-supported", "", "%s answers GET and POST", op))
		return
	}
	ps, err := h.readParams(r)
	if err != nil {
		h.fail(w, op, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	defer cancel()
	var res fhir.Resource
	switch op {
	case "CodeSystem/$lookup":
		res, err = h.lookup(ps)
	case "CodeSystem/$subsumes":
		res, err = h.subsumes(ps)
	case "CodeSystem/$validate-code":
		res, err = h.validateCodeSystem(ps)
	case "ValueSet/$validate-code":
		res, err = h.validateValueSet(ctx, ps)
	case "ValueSet/$expand":
		res, err = h.expand(ctx, ps)
	case "ConceptMap/$translate":
		res, err = h.translate(ps)
	}
	if err != nil {
		h.fail(w, op, err)
		return
	}
	h.write(w, http.StatusOK, res)
}

var ops = []string{"CodeSystem/$lookup", "CodeSystem/$subsumes", "CodeSystem/$validate-code", "ValueSet/$validate-code", "ValueSet/$expand", "ConceptMap/$translate"}

func route(path string) string {
	if path == "metadata" || strings.HasSuffix(path, "/metadata") {
		return "metadata"
	}
	for _, op := range ops {
		if path == op || strings.HasSuffix(path, "/"+op) {
			return op
		}
	}
	return ""
}

func (h *Handler) write(w http.ResponseWriter, status int, res fhir.Resource) {
	b, err := fhir.Marshal(res)
	if err != nil {
		h.log.Error("fhirterm: encoding the response", "type", res.ResourceType(), "err", err)
		status = http.StatusInternalServerError
		b = []byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"exception","diagnostics":"the response could not be encoded"}]}`)
	}
	w.Header().Set("Content-Type", "application/fhir+json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

// fail answers an OperationOutcome.
func (h *Handler) fail(w http.ResponseWriter, op string, err error) {
	var e *Error
	switch {
	case errors.As(err, &e):
	case errors.Is(err, context.DeadlineExceeded):
		e = &Error{Status: http.StatusRequestTimeout, Code: "timeout", Msg: "the operation ran out of time", Err: err}
	case errors.Is(err, context.Canceled):
		e = &Error{Status: 499, Code: "timeout", Msg: "the request was cancelled", Err: err}
	default:
		e = &Error{Status: http.StatusInternalServerError, Code: "exception", Msg: "internal error", Err: err}
	}
	h.log.Info("fhirterm: request failed", "op", op, "status", e.Status, "code", e.Code)
	issue := fhir.OperationOutcomeIssue{Severity: fhir.Code{Value: "error"}, Code: fhir.Code{Value: e.Code}, Diagnostics: fhir.String{Value: e.Msg}}
	if e.Param != "" {
		issue.Expression = []fhir.String{{Value: e.Param}}
	}
	h.write(w, e.Status, &fhir.OperationOutcome{Issue: []fhir.OperationOutcomeIssue{issue}})
}

// param is one input parameter: its text (primitive values) or a Coding,
// CodeableConcept or resource.
type param struct {
	name   string
	text   string
	coding *fhir.Coding
	cc     *fhir.CodeableConcept
	res    fhir.Resource
}

type params []param

func (ps params) get(name string) (param, bool) {
	for _, p := range ps {
		if p.name == name {
			return p, true
		}
	}
	return param{}, false
}

func (ps params) str(name string) string {
	p, _ := ps.get(name)
	return p.text
}

func (ps params) all(name string) []param {
	var out []param
	for _, p := range ps {
		if p.name == name {
			out = append(out, p)
		}
	}
	return out
}

func (ps params) boolean(name string) (v, set bool, err error) {
	p, ok := ps.get(name)
	if !ok {
		return false, false, nil
	}
	switch p.text {
	case "true":
		return true, true, nil
	case "false":
		return false, true, nil
	}
	return false, false, errf(http.StatusBadRequest, "invalid", name, "%s must be true or false, not %s", name, quote(p.text))
}

func (ps params) integer(name string, def int) (int, error) {
	p, ok := ps.get(name)
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(p.text)
	if err != nil || n < 0 {
		return 0, errf(http.StatusBadRequest, "invalid", name, "%s must be a non-negative integer, not %s", name, quote(p.text))
	}
	return n, nil
}

// readParams reads the query string, and for POST a Parameters resource
// (application/fhir+json or application/json) or a form.
func (h *Handler) readParams(r *http.Request) (params, error) {
	var ps params
	add := func(vs url.Values) error {
		for name, list := range vs {
			for _, v := range list {
				p := param{name: name, text: v}
				if name == "coding" || name == "codingA" || name == "codingB" {
					// The token form system|code, as some servers accept in GET.
					sys, code, ok := strings.Cut(v, "|")
					if !ok {
						return errf(http.StatusBadRequest, "invalid", name, "%s in a query must be system|code", name)
					}
					p.coding = &fhir.Coding{System: fhir.URI{Value: sys}, Code: fhir.Code{Value: code}}
				}
				ps = append(ps, p)
			}
		}
		return nil
	}
	if err := add(r.URL.Query()); err != nil {
		return nil, err
	}
	if r.Method != http.MethodPost {
		return ps, nil
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, h.maxBody))
	if err != nil {
		return nil, errf(http.StatusRequestEntityTooLarge, "too-long", "", "the body is larger than %d bytes", h.maxBody)
	}
	switch ct {
	case "application/x-www-form-urlencoded":
		vs, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, errf(http.StatusBadRequest, "structure", "", "the form cannot be read")
		}
		if err := add(vs); err != nil {
			return nil, err
		}
		return ps, nil
	case "application/fhir+json", "application/json", "":
	default:
		return nil, errf(http.StatusUnsupportedMediaType, "not-supported", "", "the body must be a Parameters resource in application/fhir+json, or a form")
	}
	res, err := fhir.Unmarshal(body)
	if err != nil {
		e := errf(http.StatusBadRequest, "structure", "", "the body is not a FHIR resource: %s", strings.ToValidUTF8(err.Error(), "\uFFFD"))
		e.Err = err
		return nil, e
	}
	pr, ok := res.(*fhir.Parameters)
	if !ok {
		return nil, errf(http.StatusBadRequest, "invalid", "", "the body must be a Parameters resource, not %s", res.ResourceType())
	}
	for _, pp := range pr.Parameter {
		p := param{name: pp.Name.Value, res: pp.Resource}
		switch v := pp.Value.(type) {
		case nil:
		case *fhir.Coding:
			p.coding = v
		case *fhir.CodeableConcept:
			p.cc = v
		default:
			text, ok := primitive(v)
			if !ok {
				return nil, errf(http.StatusBadRequest, "invalid", p.name, "parameter %s has a value of type %s, which no operation here takes", quote(p.name), v.TypeName())
			}
			p.text = text
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// primitive is a primitive value's text.
func primitive(v fhir.Value) (string, bool) {
	switch x := v.(type) {
	case *fhir.String:
		return x.Value, true
	case *fhir.Code:
		return x.Value, true
	case *fhir.URI:
		return x.Value, true
	case *fhir.URL:
		return x.Value, true
	case *fhir.Canonical:
		return x.Value, true
	case *fhir.DateTime:
		return x.Value, true
	case *fhir.Date:
		return x.Value, true
	case *fhir.Boolean:
		return strconv.FormatBool(x.Value), true
	case *fhir.Integer:
		return strconv.FormatInt(x.Value, 10), true
	case *fhir.UnsignedInt:
		return strconv.FormatInt(int64(x.Value), 10), true
	case *fhir.PositiveInt:
		return strconv.FormatInt(int64(x.Value), 10), true
	}
	return "", false
}
