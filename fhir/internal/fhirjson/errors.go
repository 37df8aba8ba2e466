package fhirjson

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

type wrapped struct {
	sentinel error
	msg      string
}

func (w *wrapped) Error() string { return w.msg }
func (w *wrapped) Unwrap() error { return w.sentinel }

// Errorf returns an error with a formatted message that wraps sentinel.
func Errorf(sentinel error, format string, args ...any) error {
	return &wrapped{sentinel: sentinel, msg: fmt.Sprintf(format, args...)}
}

// Sentinel errors wrapped by *DecodeError.
var (
	ErrSyntax              = errors.New("invalid JSON")
	ErrType                = errors.New("wrong JSON type")
	ErrDuplicateKey        = errors.New("duplicate key")
	ErrEmptyValue          = errors.New("empty value")
	ErrTooDeep             = errors.New("nesting too deep")
	ErrUnknownResourceType = errors.New("unknown resourceType")
	ErrNoResourceType      = errors.New("missing resourceType")
	ErrChoice              = errors.New("conflicting choice types")
	ErrArrayLength         = errors.New("value and extension arrays differ in length")
)

// DecodeError reports where a FHIR JSON document is wrong: the element's
// path (Patient.name[0].given[1]) and the byte offset in the input.
type DecodeError struct {
	Path   string
	Offset int64
	Err    error
	segs   []string // path segments, innermost first, while unwinding
}

func (e *DecodeError) Error() string {
	var b strings.Builder
	b.WriteString("fhir: ")
	if p := e.path(); p != "" {
		b.WriteString(p)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	b.WriteString(" at offset ")
	b.WriteString(strconv.FormatInt(e.Offset, 10))
	return b.String()
}

func (e *DecodeError) Unwrap() error { return e.Err }

func (e *DecodeError) path() string {
	if e.Path != "" || len(e.segs) == 0 {
		return e.Path
	}
	var b strings.Builder
	for i := len(e.segs) - 1; i >= 0; i-- {
		b.WriteString(e.segs[i])
	}
	return b.String()
}

// Finish completes the path of a *DecodeError found in err with the name
// of the root type it was read into, and returns err.
func Finish(err error, root string) error {
	var de *DecodeError
	if errors.As(err, &de) {
		de.finish(root)
	}
	return err
}

func (e *DecodeError) finish(root string) {
	if e.Path == "" {
		e.Path = root + e.path()
		e.segs = nil
	}
}

// AtKey adds a member name to the path of a *DecodeError unwinding.
func AtKey(err error, key []byte) error {
	if de, ok := err.(*DecodeError); ok {
		de.segs = append(de.segs, "."+string(key))
	}
	return err
}

// AtIndex adds an array index to the path of a *DecodeError unwinding.
func AtIndex(err error, i int) error {
	if de, ok := err.(*DecodeError); ok {
		de.segs = append(de.segs, "["+strconv.Itoa(i)+"]")
	}
	return err
}

// RawField is a JSON member that the model does not know, kept verbatim.
type RawField struct {
	Name  string
	Value []byte // the member's JSON value, as read
}
