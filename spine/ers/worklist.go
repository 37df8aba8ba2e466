package ers

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"strings"
	"time"

	"github.com/nhskit/nhskit/fhir/stu3"
	"github.com/nhskit/nhskit/nhsid"
)

// Worklists (eRS-ReferralListSelector-1) of A008.
const (
	ReferralsForReview            = "REFERRALS_FOR_REVIEW"
	AppointmentSlotIssues         = "APPOINTMENT_SLOT_ISSUES"
	AwaitingBooking               = "AWAITING_BOOKING"
	LettersOutstanding            = "LETTERS_OUTSTANDING"
	RejectedTriageResponses       = "REJECTED_TRIAGE_RESPONSES"
	AssessmentReturnedCancelledDN = "ASSESSMENT_RETURNED_CANCELLED_DNA"
)

// WorklistQuery is an A008 request.
type WorklistQuery struct {
	ListType string
	// ServiceID filters by service.
	ServiceID string
}

// WorklistItem is one referral on a worklist. Patient prints masked.
type WorklistItem struct {
	UBRN      string
	Priority  string
	Specialty string
	Patient   nhsid.NHSNumber
	// Reason is why it is there (APPOINTMENT_SLOT_ISSUES: the deferral
	// reason, e.g. NO_SLOTS_AT_SERVICE).
	Reason      string
	ServiceID   string
	ServiceName string
	// PathwayStart is eReferralPathwayStart; ContactExpected
	// patientContactExpected (a date), when given.
	PathwayStart    time.Time
	ContactExpected string
}

// Worklist runs A008 and yields the worklist's items, stopping at the
// first error. e-RS answers a worklist in one List; the iterator keeps the
// shape the other list calls of this module have.
func (c *Client) Worklist(ctx context.Context, q WorklistQuery) iter.Seq2[WorklistItem, error] {
	return func(yield func(WorklistItem, error) bool) {
		items, err := c.worklist(ctx, q)
		if err != nil {
			yield(WorklistItem{}, err)
			return
		}
		for _, it := range items {
			if !yield(it, nil) {
				return
			}
		}
	}
}

func (c *Client) worklist(ctx context.Context, q WorklistQuery) ([]WorklistItem, error) {
	if err := c.check(A008); err != nil {
		return nil, err
	}
	switch q.ListType {
	case ReferralsForReview, AppointmentSlotIssues, AwaitingBooking, LettersOutstanding, RejectedTriageResponses, AssessmentReturnedCancelledDN:
	default:
		return nil, refused(A008, "listType", "%q is not a worklist", q.ListType)
	}
	if q.ServiceID != "" && !validServiceID(q.ServiceID) {
		return nil, refused(A008, "service", "is not a service id")
	}
	p := newParameters("https://fhir.nhs.uk/STU3/StructureDefinition/eRS-FetchWorklist-Parameters-1")
	p.Parameter = append(p.Parameter, param("listType", concept(SystemListSelector, q.ListType)))
	if q.ServiceID != "" {
		p.Parameter = append(p.Parameter, param("service", ident(SystemService, q.ServiceID)))
	}
	body, err := encodeSTU3(A008, p)
	if err != nil {
		return nil, err
	}
	// A008 reads and changes nothing: it is safe to send again.
	resp, err := c.do(ctx, &call{ep: A008, method: http.MethodPost, path: "/STU3/ReferralRequest/$ers.fetchworklist", body: body, retrySafe: true})
	if err != nil {
		return nil, err
	}
	return ParseWorklist(resp.Body)
}

// ParseWorklist reads an eRS-FetchWorklist-List-1.
func ParseWorklist(b []byte) ([]WorklistItem, error) {
	l, err := decodeSTU3[*stu3.List](b, "worklist")
	if err != nil {
		return nil, err
	}
	out := make([]WorklistItem, 0, len(l.Entry))
	for i, e := range l.Entry {
		ubrn, ok := "", false
		if e.Item != nil {
			ubrn, ok = strings.CutPrefix(e.Item.Reference.Value, "ReferralRequest/")
		}
		if !ok || !ValidUBRN(ubrn) {
			return nil, fmt.Errorf("ers: worklist entry[%d]: item is not a ReferralRequest reference", i)
		}
		it := WorklistItem{UBRN: ubrn}
		if len(e.Extension) > 0 {
			x := e.Extension[0].Extension
			it.Priority = extStr(findExt(x, "priority"))
			it.Specialty = extStr(findExt(x, "specialty"))
			it.Patient = nhsid.NHSNumber(extStr(findExt(x, "patient")))
			it.Reason = extStr(findExt(x, "reason"))
			if s := extRef(findExt(x, "service")); s != nil {
				it.ServiceName = s.Display.Value
				it.ServiceID = refIdent(s)
			}
			if p := findExt(x, "eReferralPathwayStart"); p != nil {
				if dt, ok := p.Value.(*stu3.DateTime); ok {
					it.PathwayStart, _ = time.Parse(time.RFC3339Nano, dt.Value)
				}
			}
			it.ContactExpected = extStr(findExt(x, "patientContactExpected"))
		}
		out = append(out, it)
	}
	return out, nil
}
