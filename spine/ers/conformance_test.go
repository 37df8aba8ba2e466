package ers_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/fhir/stu3"
	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/spine"
	"github.com/nhskit/nhskit/spine/ers"
	"github.com/nhskit/nhskit/spine/ers/erstest"
)

// The sandbox answers only requests equal to the specification's examples
// (it compares the JSON bodies), so each scenario below builds, through the
// client's typed API, the request of one example; a body that differs in
// any member gets the sandbox's 422 SANDBOX_ERROR and fails the test. The
// values (UBRNs, service ids, the sandbox's patient 9912003888) are the
// examples'. Each scenario then runs against a fresh erstest seeded with
// the same ids, and both must answer with the same status and error code.

// sandboxURL is the e-RS sandbox's FHIR base, from NHSKIT_ERS_SANDBOX_URL
// (.ci/run starts it from ../shared/ers/run-sandbox.sh). Without it the
// test is skipped, except in CI, where it fails.
func sandboxURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("NHSKIT_ERS_SANDBOX_URL")
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("NHSKIT_ERS_SANDBOX_URL is not set in CI: .ci/run must start the e-RS sandbox")
		}
		t.Skip("NHSKIT_ERS_SANDBOX_URL not set; start ../shared/ers/run-sandbox.sh")
	}
	return strings.TrimSuffix(u, "/")
}

const sbPatient nhsid.NHSNumber = "9912003888" // the sandbox examples' patient

// sandboxHeader adds what NHS England's API proxy adds in front of the
// sandbox: the base URL it builds A042's redirect from.
type sandboxHeader struct{ base string }

func (s sandboxHeader) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-ERS-Sandbox-BaseURL", s.base)
	return http.DefaultTransport.RoundTrip(r)
}

type scenario struct {
	name string
	role ers.BusinessFunction
	run  func(ctx context.Context, c *ers.Client) (string, error)
	// status and code are the expected answer (0, "": success).
	status int
	code   spine.ErrorCode
	// sandbox checks the sandbox's answer (its examples' contents).
	sandbox func(t *testing.T, summary string)
	// noFake explains why erstest is not asked.
	noFake string
}

func b(v bool) *bool { return &v }

var (
	sbSpecialty = stu3.Coding{System: stu3.URI{Value: ers.ReferenceSystem("_baseUrl_", "SPECIALTY")}, Code: stu3.Code{Value: "CARDIOLOGY"}}
	pathway     = time.Date(2024, 5, 1, 9, 55, 0, 0, time.UTC)
)

func booking(service, slot string, start, end time.Time, clinician string) ers.Booking {
	return ers.Booking{UBRN: "000000070000", Version: 6, ServiceID: service, Patient: sbPatient,
		Slot: ers.Slot{ID: slot, Start: start, End: end, Clinician: clinician}}
}

func at(h, m int) time.Time { return time.Date(2022, 7, 11, h, m, 0, 0, time.UTC) }

func summarise(n int, what string) string { return fmt.Sprintf("%d %s", n, what) }

func eq(want string) func(t *testing.T, got string) {
	return func(t *testing.T, got string) { assert.Equal(t, want, got) }
}

func scenarios() []scenario {
	rc, rca, spc := ers.ReferringClinician, ers.ReferringClinicianAdmin, ers.ServiceProviderClinician
	search := func(q ers.ServiceSearch) func(context.Context, *ers.Client) (string, error) {
		return func(ctx context.Context, c *ers.Client) (string, error) {
			s, err := c.SearchServices(ctx, q)
			return summarise(len(s), "services"), err
		}
	}
	slots := func(q ers.SlotQuery) func(context.Context, *ers.Client) (string, error) {
		return func(ctx context.Context, c *ers.Client) (string, error) {
			p, err := c.SlotsPage(ctx, q)
			if err != nil {
				return "", err
			}
			clin := 0
			for _, s := range p.Slots {
				if s.Clinician != "" {
					clin++
				}
			}
			return fmt.Sprintf("%d slots, %d with clinician, next %d", len(p.Slots), clin, p.Next), nil
		}
	}
	book := func(bk ers.Booking) func(context.Context, *ers.Client) (string, error) {
		return func(ctx context.Context, c *ers.Client) (string, error) {
			a, err := c.Book(ctx, bk)
			if err != nil {
				return "", err
			}
			return a.Status.Value, nil
		}
	}
	deferTo := func(d ers.Deferral) func(context.Context, *ers.Client) (string, error) {
		d.UBRN, d.Version, d.Patient = "000000070000", 6, sbPatient
		return func(ctx context.Context, c *ers.Client) (string, error) {
			a, err := c.Defer(ctx, d)
			if err != nil {
				return "", err
			}
			return a.Status.Value, nil
		}
	}
	referral := func(ubrn string, version int) func(context.Context, *ers.Client) (string, error) {
		return func(ctx context.Context, c *ers.Client) (string, error) {
			r, err := c.ReferralVersion(ctx, ubrn, version)
			if err != nil {
				return "", err
			}
			return r.UBRN + " " + r.State, nil
		}
	}
	worklist := func(q ers.WorklistQuery) func(context.Context, *ers.Client) (string, error) {
		return func(ctx context.Context, c *ers.Client) (string, error) {
			n := 0
			for _, err := range c.Worklist(ctx, q) {
				if err != nil {
					return "", err
				}
				n++
			}
			return summarise(n, "items"), nil
		}
	}
	actions := func(ubrn string) func(context.Context, *ers.Client) (string, error) {
		return func(ctx context.Context, c *ers.Client) (string, error) {
			a, err := c.AvailableActions(ctx, ubrn, 6)
			if err != nil {
				return "", err
			}
			var codes []string
			for _, x := range a {
				codes = append(codes, x.Code)
			}
			return strings.Join(codes, ","), nil
		}
	}
	crit := ers.SearchCriteria{Priority: ers.Urgent, Specialty: &sbSpecialty, ClinicType: "LIPID_MANAGEMENT", AgeAndGenderAppropriate: b(true)}
	shortlistCrit := ers.SearchCriteria{Priority: ers.Urgent, Specialty: &sbSpecialty, ClinicType: "HEART_FAILURE", AgeAndGenderAppropriate: b(false)}
	zero := 0
	adviceCrit := ers.SearchCriteria{Priority: ers.Routine, Specialty: &sbSpecialty, ClinicType: "HEART_FAILURE", AgeAndGenderAppropriate: b(false)}
	return []scenario{
		{name: "A030 business functions", role: rc, run: func(ctx context.Context, c *ers.Client) (string, error) {
			r, err := c.BusinessFunctions(ctx)
			if err != nil || len(r) == 0 {
				return "0 roles", err
			}
			return fmt.Sprintf("%d roles, first %s %v", len(r), r[0].Organisation, r[0].BusinessFunctions), nil
		}, sandbox: eq("2 roles, first R69 [SERVICE_DEFINER SERVICE_PROVIDER_CLINICIAN SERVICE_PROVIDER_ADMIN]")},
		{name: "A010 minimal search", role: rc, run: search(ers.ServiceSearch{Patient: sbPatient, Criteria: crit})},
		{name: "A010 named clinician", role: rc, run: search(ers.ServiceSearch{Patient: sbPatient, Criteria: ers.SearchCriteria{Priority: ers.Urgent, NamedClinician: "021600556514", AgeAndGenderAppropriate: b(true)}}), sandbox: eq("1 services")},
		{name: "A010 commissioning rule organisation", role: rc, run: search(ers.ServiceSearch{Patient: sbPatient, Criteria: crit, CommissioningRuleOrganisation: "R69"})},
		{name: "A010 clinical term", role: rc, run: search(ers.ServiceSearch{Patient: sbPatient, SortBy: "IWT", ReferringClinician: "021600556514", Criteria: ers.SearchCriteria{
			Priority: ers.Urgent, IndicativeWaitLimit: 15, Postcode: "BR1 1AB", DistanceLimit: 23, ClinicalTerm: "1003", Organisation: "R69", AgeAndGenderAppropriate: b(true)}}), sandbox: eq("0 services")},
		{name: "A010 referring clinician admin", role: rca, run: search(ers.ServiceSearch{Patient: sbPatient, ReferringClinician: "021600556514", Criteria: ers.SearchCriteria{
			Priority: ers.Urgent, Specialty: &sbSpecialty, ClinicType: "LIPID_MANAGEMENT", IndicativeWaitLimit: 15, AgeAndGenderAppropriate: b(true)}})},
		{name: "A011 minimal", role: rc, status: http.StatusCreated, run: func(ctx context.Context, c *ers.Client) (string, error) {
			r, err := c.CreateReferral(ctx, ers.NewReferral{Patient: sbPatient, FirstReminderDays: &zero, PathwayStart: pathway, Criteria: shortlistCrit, Services: []string{"11002"}})
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("ubrn valid %t, %d shortlisted", ers.ValidUBRN(r.UBRN), len(r.Shortlist)), nil
		}, sandbox: eq("ubrn valid true, 1 shortlisted")},
		{name: "A011 referring clinician admin", role: rca, status: http.StatusCreated, run: func(ctx context.Context, c *ers.Client) (string, error) {
			r, err := c.CreateReferral(ctx, ers.NewReferral{Patient: sbPatient, ReferringClinician: "021600556514", FirstReminderDays: &zero, PathwayStart: pathway, Criteria: shortlistCrit, Services: []string{"11002"}})
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("ubrn valid %t", ers.ValidUBRN(r.UBRN)), nil
		}},
		{name: "A021 create referral and send for triage", role: rc, status: http.StatusCreated, run: func(ctx context.Context, c *ers.Client) (string, error) {
			r, err := c.CreateReferralForTriage(ctx, ers.NewReferral{Patient: sbPatient, FirstReminderDays: &zero, Criteria: ers.SearchCriteria{Priority: ers.Routine, Specialty: &sbSpecialty, ClinicType: "HEART_FAILURE", AgeAndGenderAppropriate: b(false)}, Services: []string{"11004"}})
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("ubrn valid %t", ers.ValidUBRN(r.UBRN)), nil
		}, sandbox: eq("ubrn valid true")},
		{name: "A015 minimum", role: rc, run: slots(ers.SlotQuery{ServiceID: "12000", Priority: ers.Routine, PageSize: 20, Page: 1})},
		{name: "A015 no slots", role: rc, run: slots(ers.SlotQuery{ServiceID: "10000", Priority: ers.Routine, PageSize: 20, Page: 1}), sandbox: eq("0 slots, 0 with clinician, next 0")},
		{name: "A015 page 1 of many", role: rc, run: slots(ers.SlotQuery{ServiceID: "11000", Priority: ers.Routine, PageSize: 5, Page: 1}), sandbox: eq("5 slots, 0 with clinician, next 2")},
		{name: "A015 page 2", role: rc, run: slots(ers.SlotQuery{ServiceID: "11000", Priority: ers.Routine, PageSize: 5, Page: 2})},
		{name: "A015 page out of range", role: rc, run: slots(ers.SlotQuery{ServiceID: "11000", Priority: ers.Routine, PageSize: 5, Page: 5}), status: http.StatusBadRequest, code: spine.ErrInvalidValue},
		{name: "A015 two schedules", role: rc, run: slots(ers.SlotQuery{ServiceID: "13000", Priority: ers.Routine, PageSize: 5, Page: 1})},
		{name: "A015 named clinician", role: rc, run: slots(ers.SlotQuery{ServiceID: "14000", NamedClinician: "921600556514", Priority: ers.Routine, PageSize: 5, Page: 1}), sandbox: eq("4 slots, 4 with clinician, next 0")},
		{name: "A016 minimal booking", role: rc, status: http.StatusCreated, run: book(booking("11000", "11000021", at(12, 0), at(13, 0), "")), sandbox: eq("booked")},
		{name: "A016 booking with named clinician", role: rc, status: http.StatusCreated, run: book(booking("11008", "11008006", at(13, 15), at(14, 15), "021600556514"))},
		{name: "A016 deferral, no slots", role: rc, status: http.StatusCreated, run: deferTo(ers.Deferral{ServiceID: "11021", Reason: ers.DeferNoSlots, Comment: "There are no slots"}), sandbox: eq("proposed")},
		{name: "A016 deferral, slot gone", role: rc, status: http.StatusCreated, run: deferTo(ers.Deferral{ServiceID: "11000", Reason: ers.DeferSlotGone, SlotID: "11000022", Comment: "Patient can only attend at 3pm"})},
		{name: "A016 deferral, booking attempt problem", role: rc, status: http.StatusCreated, run: deferTo(ers.Deferral{ServiceID: "11000", Reason: ers.DeferBookingProblem, Comment: "Booking failed"})},
		{name: "A016 triage deferral", role: rc, status: http.StatusCreated, run: deferTo(ers.Deferral{ServiceID: "50001", Reason: ers.DeferTriage})},
		{name: "A016 unknown slot", role: rc, status: http.StatusUnprocessableEntity, run: book(booking("11000", "99999999", at(12, 0), at(13, 0), "")),
			noFake: "the sandbox answers any request it has no example for with 422 SANDBOX_ERROR", code: ers.ErrSandbox},
		{name: "A005 unbooked referral", role: rc, run: referral("000000070000", 0), sandbox: eq("000000070000 NOT_BOOKED")},
		{name: "A005 versioned", role: spc, run: referral("000000070000", 5)},
		{name: "A005 unknown referral", role: rc, run: referral("000000079999", 0), status: http.StatusUnprocessableEntity, code: ers.ErrSandbox,
			noFake: "the sandbox answers an unknown referral with 422 SANDBOX_ERROR; erstest, like e-RS, with 404"},
		{name: "A008 appointment slot issues", role: spc, run: worklist(ers.WorklistQuery{ListType: ers.AppointmentSlotIssues})},
		{name: "A008 awaiting booking", role: rc, run: worklist(ers.WorklistQuery{ListType: ers.AwaitingBooking})},
		{name: "A008 filtered by service", role: spc, run: worklist(ers.WorklistQuery{ListType: ers.ReferralsForReview, ServiceID: "21012"})},
		{name: "A029 create appointment", role: rc, run: actions("000000070002"), sandbox: eq("CREATE_APPOINTMENT")},
		{name: "A033 service", role: rc, run: func(ctx context.Context, c *ers.Client) (string, error) {
			s, err := c.HealthcareService(ctx, "2")
			if err != nil {
				return "", err
			}
			return s.ID + " " + s.Name, nil
		}, sandbox: eq("2 Direct SVC 1")},
		{name: "A037 service version", role: rc, run: func(ctx context.Context, c *ers.Client) (string, error) {
			return c.HealthcareServiceVersion(ctx, "1")
		}, sandbox: eq("1")},
		{name: "A035 services by id", role: rca, run: func(ctx context.Context, c *ers.Client) (string, error) {
			s, err := c.HealthcareServices(ctx, "1", "2")
			return summarise(len(s), "services"), err
		}},
		{name: "A041 service request by UBRN", role: rc, run: func(ctx context.Context, c *ers.Client) (string, error) {
			s, err := c.ServiceRequests(ctx, "000000070000")
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("%d, %s %s", len(s), s[0].UBRN, s[0].Category), nil
		}, sandbox: eq("1, 000000070000 referral")},
		{name: "A042 attachment via 307", role: spc, run: func(ctx context.Context, c *ers.Client) (string, error) {
			a, err := c.Attachment(ctx, "50f0c0d5-7ed1-4587-8fce-889c8685eb54")
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("pdf %t", strings.HasPrefix(string(a.Data), "%PDF")), nil
		}, sandbox: eq("pdf true")},
		{name: "A020 upload", role: rc, status: http.StatusCreated, run: func(ctx context.Context, c *ers.Client) (string, error) {
			loc, err := c.UploadFile(ctx, "000000070000", "letter.txt", "text/plain", []byte("referral letter"))
			return fmt.Sprintf("binary %t", strings.HasPrefix(loc, "Binary/")), err
		}},
		{name: "A012 referral letter", role: rc, run: func(ctx context.Context, c *ers.Client) (string, error) {
			r, err := c.MaintainReferralLetter(ctx, "000000070000", 6, ers.Letter{
				Binary: "Binary/50f0c0d5-7ed1-4587-8fce-889c8685eb54", Description: "Blood test results showing an anomaly in the values of xxxx",
				Indexed: time.Date(2021, 6, 24, 13, 5, 3, 652000000, time.UTC)})
			if err != nil {
				return "", err
			}
			return r.UBRN, nil
		}},
		{name: "A007 clinical information", role: spc, run: func(ctx context.Context, c *ers.Client) (string, error) {
			p, err := c.ClinicalInformation(ctx, "000000070000")
			return fmt.Sprintf("pdf %t", strings.HasPrefix(string(p), "%PDF")), err
		}},
		{name: "A036 cancel referral", role: rc, run: func(ctx context.Context, c *ers.Client) (string, error) {
			r, err := c.CancelReferral(ctx, "000000070000", 6, "_baseurl_/STU3/CodeSystem/REFERRAL-CANCELLATION-REASON", "RAISED_IN_ERROR", "This is a cancellation reason comment")
			if err != nil {
				return "", err
			}
			return r.Status, nil
		}, sandbox: eq("cancelled")},
		{name: "A004 reference data", role: spc, run: func(ctx context.Context, c *ers.Client) (string, error) {
			cs, err := c.ReferenceData(ctx, "SPECIALTY")
			if err != nil || len(cs) == 0 {
				return "", err
			}
			return cs[0].Code + " from " + cs[0].EffectiveFrom, nil
		}, sandbox: eq("ADULT_MENTAL_ILLNESS from 2004-06-01")},
		{name: "A019 patient letter", role: rc, run: func(ctx context.Context, c *ers.Client) (string, error) {
			p, err := c.PatientLetter(ctx, "000000070000")
			return fmt.Sprintf("pdf %t", strings.HasPrefix(string(p), "%PDF")), err
		}, sandbox: eq("pdf true")},
		{name: "A031 change shortlist", role: rc, run: func(ctx context.Context, c *ers.Client) (string, error) {
			r, err := c.ChangeShortlist(ctx, "000000070000", 6, ers.ShortlistChange{Criteria: shortlistCrit, Services: []string{"11002"}, FirstReminderDays: &zero})
			if err != nil {
				return "", err
			}
			return fmt.Sprint(r.Shortlist), nil
		}, sandbox: eq("[11002]")},
		{name: "A040 on-behalf-of users", role: spc, run: func(ctx context.Context, c *ers.Client) (string, error) {
			u, err := c.OnBehalfOfUsers(ctx)
			return fmt.Sprint(u), err
		}, sandbox: eq("[111111111111]")},
		{name: "A044 advice request", role: rc, run: func(ctx context.Context, c *ers.Client) (string, error) {
			a, err := c.CreateAdviceRequest(ctx, ers.AdviceRequest{Patient: sbPatient, Criteria: adviceCrit, ServiceID: "11014", Request: "Request text."})
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("ubrn valid %t, authorised %t", ers.ValidUBRN(a.UBRN), a.ConversionAuthorised), nil
		}, sandbox: eq("ubrn valid true, authorised false")},
		{name: "A044 advice request with attachment", role: rca, run: func(ctx context.Context, c *ers.Client) (string, error) {
			a, err := c.CreateAdviceRequest(ctx, ers.AdviceRequest{Patient: sbPatient, ConversionAuthorised: true, Criteria: adviceCrit, ServiceID: "11014", Request: "Request text.",
				ReferringClinician: "021600556514",
				Attachments:        []ers.Letter{{Binary: "Binary/e1015896-92f4-4073-ad3c-5f30fca76448", Description: "Treatment Specification", Indexed: time.Date(2021, 9, 29, 13, 22, 35, 335000000, time.UTC)}}})
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("authorised %t", a.ConversionAuthorised), nil
		}},
		{name: "A023 advice worklist", role: spc, run: func(ctx context.Context, c *ers.Client) (string, error) {
			n := 0
			for _, err := range c.AdviceWorklist(ctx) {
				if err != nil {
					return "", err
				}
				n++
			}
			return summarise(n, "items"), nil
		}, sandbox: eq("2 items")},
		{name: "A024 advice request", role: spc, run: func(ctx context.Context, c *ers.Client) (string, error) {
			a, err := c.AdviceVersion(ctx, "000000070000", 0)
			if err != nil {
				return "", err
			}
			return a.UBRN + " " + a.Specialty, nil
		}, sandbox: eq("000000070000 CARDIOLOGY"), noFake: "erstest's advice requests are made by A044, not seeded"},
		{name: "A043 advice overview", role: rc, run: func(ctx context.Context, c *ers.Client) (string, error) {
			p, err := c.AdviceOverview(ctx, "000049146177")
			return fmt.Sprintf("pdf %t", strings.HasPrefix(string(p), "%PDF")), err
		}, sandbox: eq("pdf true"), noFake: "erstest's advice requests are made by A044, not seeded"},
		{name: "A013 accept referral", role: spc, run: func(ctx context.Context, c *ers.Client) (string, error) {
			r, err := c.AcceptReferral(ctx, "000000070000", 6)
			if err != nil {
				return "", err
			}
			return r.UBRN, nil
		}, noFake: "the sandbox's example accepts 000000070000, which its other examples need unbooked (erstest accepts only booked or deferred referrals)"},
		{name: "A014 reject referral", role: spc, run: func(ctx context.Context, c *ers.Client) (string, error) {
			r, err := c.RejectReferral(ctx, "000000070001", 6, "_baseurl_/STU3/CodeSystem/APPOINTMENT-CANCELLATION-REASON", "SERVICE_INAPPROPRIATE", "This is a short comment")
			if err != nil {
				return "", err
			}
			return r.Status, nil
		}},
		{name: "A025 advice conversation", role: spc, run: func(ctx context.Context, c *ers.Client) (string, error) {
			m, err := c.AdviceConversation(ctx, "000000070000", 2)
			if err != nil || len(m) == 0 {
				return "", err
			}
			return fmt.Sprintf("%d messages, first from %s", len(m), m[0].SentBy), nil
		}, sandbox: eq("2 messages, first from REQUESTER"), noFake: "erstest's advice requests are made by A044, not seeded"},
		{name: "A026 advice response", role: spc, run: func(ctx context.Context, c *ers.Client) (string, error) {
			a, err := c.SendAdviceResponse(ctx, "000000070000", 5, ers.AdviceResponse{Outcome: ers.ReturnToReferrerWithAdvice, Recommendation: "ADVICE_ONLY_NO_REFERRAL_RECOMMENDED",
				Guidance: "No evidence of serious problem: patient can be advised to xxx", UpdatedPriority: ers.Routine})
			if err != nil {
				return "", err
			}
			return a.UBRN, nil
		}, sandbox: eq("000000070000"), noFake: "erstest's advice requests are made by A044, not seeded"},
		{name: "A022 cancel appointment, action later", role: spc, run: func(ctx context.Context, c *ers.Client) (string, error) {
			r, err := c.CancelAppointmentActionLater(ctx, "000000070000", 6, ers.ActionLater{Comments: "Please contact patient to rebook"})
			if err != nil {
				return "", err
			}
			return r.UBRN, nil
		}, sandbox: eq("000000070000"), noFake: noTriage},
		{name: "A028 triage outcome", role: spc, run: func(ctx context.Context, c *ers.Client) (string, error) {
			r, err := c.RecordTriageOutcome(ctx, "000000070000", 6, ers.TriageOutcome{Priority: ers.Urgent, Outcome: ers.ReviewAcceptBookLater, Comments: "Urgent action needed. To be booked ASAP"})
			if err != nil {
				return "", err
			}
			return r.UBRN, nil
		}, noFake: noTriage},
		{name: "A028 triage outcome with attachment", role: spc, run: func(ctx context.Context, c *ers.Client) (string, error) {
			_, err := c.RecordTriageOutcome(ctx, "000000070000", 6, ers.TriageOutcome{Outcome: ers.ReviewReturnWithAdvice, Comments: "Condition not serious. See attached document",
				Attachments: []ers.Letter{{Binary: "Binary/a7c98bb4-c0d0-4094-b26d-8dbd1677edc8", Description: "Condition details", Indexed: time.Date(2021, 10, 7, 15, 0, 41, 239000000, time.UTC)}}})
			return "", err
		}, noFake: noTriage},
		{name: "A027 convert advice to referral", role: spc, status: http.StatusCreated, run: func(ctx context.Context, c *ers.Client) (string, error) {
			r, err := c.ConvertAdviceToReferral(ctx, ers.Conversion{UBRN: "000000070000", Version: 3, Guidance: "I have converted this to send the patient to one of our services",
				Priority: ers.Routine, Comments: "Refer this patient to our 'xxx' service please as soon as possible"})
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("ubrn valid %t", ers.ValidUBRN(r.UBRN)), nil
		}, sandbox: eq("ubrn valid true"), noFake: noTriage},
		{name: "A034 cancel appointment", role: rc, run: func(ctx context.Context, c *ers.Client) (string, error) {
			a, err := c.CancelAppointment(ctx, sbAppointment("70004", "000000070005"), ers.ReferenceSystem("_baseUrl_", "APPOINTMENT-CANCELLATION-REASON"), "PATIENT_APPOINTMENT_CANCELLATION_OTHER", "Cancellation Comment")
			if err != nil {
				return "", err
			}
			return a.Status.Value, nil
		}, noFake: "erstest's appointments are made by A016, not seeded"},
	}
}

const noTriage = "the example acts on a UBRN whose state the other examples need otherwise (erstest_test covers it)"

// sbAppointment is the appointment of the sandbox's A034 examples, as A038
// would have returned it.
func sbAppointment(id, ubrn string) *stu3.Appointment {
	actor := func(system, value, display string) *stu3.Reference {
		return &stu3.Reference{Identifier: &stu3.Identifier{System: stu3.URI{Value: system}, Value: stu3.String{Value: value}}, Display: stu3.String{Value: display}}
	}
	accepted := stu3.Code{Value: "accepted"}
	return &stu3.Appointment{
		ID: stu3.ID{Value: id},
		Meta: &stu3.Meta{VersionID: stu3.ID{Value: "1"}, Profile: []stu3.URI{
			{Value: "https://fhir.nhs.uk/STU3/StructureDefinition/eRS-Appointment-1"},
			{Value: "https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Appointment-1"}}},
		Language: stu3.Code{Value: "en"}, Status: stu3.Code{Value: "booked"}, Description: stu3.String{Value: "e-Referral Appointment"},
		IncomingReferral: []stu3.Reference{{Reference: stu3.String{Value: "ReferralRequest/" + ubrn + "/_history/6"}}},
		Participant: []stu3.AppointmentParticipant{
			{Actor: actor(ers.SystemService, "50", "Direct SVC 1"), Status: accepted},
			{Actor: actor(ers.SystemNHSNumber, "1000000001", ""), Status: accepted},
		},
	}
}

// seedLikeSandbox gives a fresh erstest the ids the sandbox's examples use.
func seedLikeSandbox(f *erstest.Server) {
	for _, s := range []erstest.Service{
		{ID: "1", Name: "Direct SVC 1", Specialty: "CARDIOLOGY", DirectlyBookable: true, Provider: "R69"},
		{ID: "2", Name: "Direct SVC 1", Specialty: "CARDIOLOGY", DirectlyBookable: true, Provider: "R69"},
		{ID: "10000", Specialty: "CARDIOLOGY", DirectlyBookable: true, Provider: "R69"},
		{ID: "11000", Specialty: "CARDIOLOGY", DirectlyBookable: true, Provider: "R69"},
		{ID: "11002", Specialty: "CARDIOLOGY", DirectlyBookable: true, Provider: "R69"},
		{ID: "11008", Specialty: "CARDIOLOGY", DirectlyBookable: true, Provider: "R69"},
		{ID: "11021", Specialty: "CARDIOLOGY", DirectlyBookable: true, Provider: "R69"},
		{ID: "12000", Specialty: "CARDIOLOGY", DirectlyBookable: true, Provider: "R69"},
		{ID: "13000", Specialty: "CARDIOLOGY", DirectlyBookable: true, Provider: "R69"},
		{ID: "14000", Specialty: "CARDIOLOGY", DirectlyBookable: true, Provider: "R69"},
		{ID: "50001", Specialty: "CARDIOLOGY", Provider: "R69"},
		{ID: "11004", Name: "Cardiology Triage", Specialty: "CARDIOLOGY", Provider: "R69"},
		{ID: "11014", Name: "Advice Only", Specialty: "CARDIOLOGY", Provider: "R69"},
	} {
		f.AddService(s)
	}
	hour := func(d, h int) erstest.Slot {
		s := time.Date(2022, 7, d, h, 0, 0, 0, time.UTC)
		return erstest.Slot{ID: fmt.Sprintf("x%d%02d", d, h), Start: s, End: s.Add(time.Hour)}
	}
	f.AddSlots("12000", hour(1, 9))
	f.AddSlots("11000", erstest.Slot{ID: "11000021", Start: at(12, 0), End: at(13, 0)}, erstest.Slot{ID: "11000022", Start: at(15, 0), End: at(16, 0)})
	for i := range 10 {
		f.AddSlots("11000", hour(12+i/8, 9+i%8))
	}
	f.AddSlots("13000", hour(1, 9), hour(1, 10))
	f.AddSlots("14000", erstest.Slot{ID: "c1", Start: at(9, 0), End: at(10, 0), Clinician: "921600556514"})
	f.AddSlots("11008", erstest.Slot{ID: "11008006", Start: at(13, 15), End: at(14, 15), Clinician: "021600556514"})
	for _, u := range []string{"000000070000", "000000070002"} {
		f.AddReferral(erstest.Referral{UBRN: u, Version: 6, Patient: sbPatient, Specialty: "CARDIOLOGY", Services: []string{"11000", "11008", "11021", "50001"}, Referrer: "R69"})
	}
	f.AddRole(erstest.Role{UserID: "000000000101", Organisation: "R68", BusinessFunctions: []string{"REFERRING_CLINICIAN"}})
	f.AddReferral(erstest.Referral{UBRN: "000000070001", Version: 6, Patient: sbPatient, Specialty: "CARDIOLOGY", Services: []string{"11021"}, Referrer: "R69", DeferredTo: "11021"})
	f.AddOnBehalfOfUser("111111111111")
	f.TakeSlot("11000", "11000022") // the slot the deferral example says is gone
	f.AddAttachment("e1015896-92f4-4073-ad3c-5f30fca76448", []byte("%PDF-1.4 treatment"))
	f.AddAttachment("50f0c0d5-7ed1-4587-8fce-889c8685eb54", []byte("%PDF-1.4 seeded"))
}

// outcome is what the two answers are compared on.
type outcome struct {
	status int
	code   string
}

func runScenario(t *testing.T, sc scenario, base string, hc *http.Client) (outcome, string) {
	t.Helper()
	cfg := ers.Config{BaseURL: base, HTTPClient: hc, BusinessFunction: sc.role, Organisation: "R69", RequestsPerSecond: 50, Burst: 10,
		Backoff: func(int) time.Duration { return 10 * time.Millisecond }}
	c, err := ers.New(cfg)
	require.NoError(t, err)
	var rec spine.Response
	ctx := spine.WithResponse(context.Background(), &rec)
	summary, err := sc.run(ctx, c)
	var o outcome
	var ae *spine.APIError
	switch {
	case err == nil:
		o.status = rec.StatusCode
	case errors.As(err, &ae):
		o.status, o.code = ae.StatusCode, ae.Code
	default:
		t.Fatalf("%s: %v", sc.name, err)
	}
	return o, summary
}

func TestSandboxConformance(t *testing.T) {
	base := sandboxURL(t)
	sb := &http.Client{Transport: sandboxHeader{base: strings.TrimSuffix(base, "/FHIR")}, Timeout: 20 * time.Second}
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			want := outcome{status: sc.status, code: string(sc.code)}
			if want.status == 0 {
				want.status = http.StatusOK
			}
			got, summary := runScenario(t, sc, base, sb)
			require.Equal(t, want, got, "sandbox (summary %q)", summary)
			if sc.sandbox != nil {
				sc.sandbox(t, summary)
			}
			if sc.noFake != "" {
				t.Logf("erstest not compared: %s", sc.noFake)
				return
			}
			f := erstest.NewServer()
			defer f.Close()
			seedLikeSandbox(f)
			fakeGot, fakeSummary := runScenario(t, sc, f.URL, f.Client())
			assert.Equal(t, got, fakeGot, "erstest answers as the sandbox (sandbox %q, erstest %q)", summary, fakeSummary)
		})
	}
}

// TestSandboxRoleChecks asks the sandbox, endpoint by endpoint, which
// business functions it lets through, and checks that the client's table
// (Endpoint.Allows) and erstest agree with it.
func TestSandboxRoleChecks(t *testing.T) {
	base := sandboxURL(t)
	f := erstest.NewServer()
	defer f.Close()
	probes := []struct {
		ep           ers.Endpoint
		method, path string
	}{
		{ers.A004, "GET", "/STU3/CodeSystem/SPECIALTY"},
		{ers.A005, "GET", "/STU3/ReferralRequest/000000070000"},
		{ers.A019, "POST", "/STU3/ReferralRequest/000000070000/$ers.generatePatientLetter"},
		{ers.A031, "POST", "/STU3/ReferralRequest/000000070000/$ers.changeShortlist"},
		{ers.A021, "POST", "/STU3/ReferralRequest/$ers.createReferralAndSendForTriage"},
		{ers.A013, "POST", "/STU3/ReferralRequest/000000070000/$ers.acceptReferral"},
		{ers.A014, "POST", "/STU3/ReferralRequest/000000070000/$ers.rejectReferral"},
		{ers.A007, "POST", "/STU3/ReferralRequest/000000070000/$ers.generateCRI"},
		{ers.A008, "POST", "/STU3/ReferralRequest/$ers.fetchworklist"},
		{ers.A010, "POST", "/STU3/HealthcareService/$ers.searchHealthcareServicesForPatient"},
		{ers.A011, "POST", "/STU3/ReferralRequest/$ers.createReferral"},
		{ers.A012, "POST", "/STU3/ReferralRequest/000000070000/$ers.maintainReferralLetter"},
		{ers.A015, "GET", "/STU3/Slot"},
		{ers.A016, "POST", "/STU3/Appointment"},
		{ers.A029, "GET", "/STU3/Task"},
		{ers.A033, "GET", "/R4/HealthcareService/1"},
		{ers.A034, "PUT", "/STU3/Appointment/70003"},
		{ers.A035, "GET", "/R4/HealthcareService"},
		{ers.A036, "POST", "/STU3/ReferralRequest/000000070000/$ers.cancelReferral"},
		{ers.A038, "GET", "/STU3/Appointment/70000"},
		{ers.A041, "GET", "/R4/ServiceRequest?identifier=000000070000"},
		{ers.A042, "GET", "/R4/Binary/50f0c0d5-7ed1-4587-8fce-889c8685eb54"},
		{ers.A023, "POST", "/STU3/CommunicationRequest/$ers.fetchworklist"},
		{ers.A024, "GET", "/STU3/CommunicationRequest/000000070000"},
		{ers.A043, "POST", "/STU3/CommunicationRequest/000000070000/$ers.generateCRI"},
		{ers.A044, "POST", "/STU3/CommunicationRequest/$ers.createAdviceAndGuidance"},
		{ers.A022, "POST", "/STU3/ReferralRequest/000000070000/$ers.cancelAppointmentActionLater"},
		{ers.A027, "POST", "/STU3/ReferralRequest/$ers.createFromCommunicationRequestActionLater"},
		{ers.A028, "POST", "/STU3/ReferralRequest/000000070000/$ers.recordReviewOutcome"},
		{ers.A025, "GET", "/STU3/Communication?based-on=CommunicationRequest/000000070000/_history/1"},
		{ers.A026, "POST", "/STU3/CommunicationRequest/000000070000/$ers.sendCommunicationToRequester"},
	}
	roles := []ers.BusinessFunction{ers.ReferringClinician, ers.ReferringClinicianAdmin, ers.ReferringAdmin,
		ers.ServiceProviderClinician, ers.ServiceProviderAdmin, ers.ServiceDefiner}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 10 * time.Second}
	forbidden := func(base string, method, path string, bf ers.BusinessFunction) bool {
		req, err := http.NewRequest(method, base+path, strings.NewReader("{}"))
		require.NoError(t, err)
		req.Header.Set("NHSD-eRS-Business-Function", string(bf))
		req.Header.Set("NHSD-End-User-Organisation-ODS", "R69")
		req.Header.Set("Content-Type", "application/fhir+json")
		resp, err := noRedirect.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode == http.StatusForbidden
	}
	for _, p := range probes {
		for _, bf := range roles {
			sandboxRefuses := forbidden(base, p.method, p.path, bf)
			assert.Equal(t, sandboxRefuses, !p.ep.Allows(bf), "%s %s: client table vs sandbox", p.ep.ID, bf)
			assert.Equal(t, sandboxRefuses, forbidden(f.URL, p.method, p.path, bf), "%s %s: erstest vs sandbox", p.ep.ID, bf)
		}
	}
}
