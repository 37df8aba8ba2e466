package erstest

// endpoint is what the fake checks of an endpoint: the business functions
// the specification's "Pre-requisites" list, and whether application-
// restricted access reaches it ("Access modes"). Written from
// components/*/schemas/endpoints/aNNN-*.yaml, independently of the
// client's own table.
type endpoint struct {
	id    string
	roles []string
	app   bool
	r4    bool
}

const (
	rc   = "REFERRING_CLINICIAN"
	rca  = "REFERRING_CLINICIAN_ADMIN"
	ra   = "REFERRING_ADMIN"
	spc  = "SERVICE_PROVIDER_CLINICIAN"
	spca = "SERVICE_PROVIDER_CLINICIAN_ADMIN"
	spa  = "SERVICE_PROVIDER_ADMIN"
)

var (
	a004 = endpoint{"A004", []string{rc, rca, spc, spca}, true, false}
	a019 = endpoint{"A019", []string{rc, rca}, false, false}
	a031 = endpoint{"A031", []string{rc, rca}, false, false}
	// A040 is called by a SERVICE_PROVIDER_CLINICIAN_ADMIN before it knows
	// whom to act for: no on-behalf-of user (checked by its handler).
	a040 = endpoint{"A040", nil, false, true}
	a023 = endpoint{"A023", []string{spc, spa, spca}, false, false}
	a024 = endpoint{"A024", []string{rc, rca, spc, spca}, true, false}
	a043 = endpoint{"A043", []string{rc, rca, spc, spca}, true, false}
	a044 = endpoint{"A044", []string{rc, rca}, false, false}
	a013 = endpoint{"A013", []string{spc, spca}, true, false}
	a014 = endpoint{"A014", []string{spc, spca}, false, false}
	a021 = endpoint{"A021", []string{rc, rca}, false, false}
	a025 = endpoint{"A025", []string{rc, rca, spc, spca}, true, false}
	a026 = endpoint{"A026", []string{spc, spca}, false, false}
	a022 = endpoint{"A022", []string{spc, spca}, false, false}
	a027 = endpoint{"A027", []string{spc, spca}, false, false}
	a028 = endpoint{"A028", []string{spc, spca}, true, false}
	a005 = endpoint{"A005", []string{rc, rca, spc, spca}, true, false}
	a007 = endpoint{"A007", []string{rc, rca, spc, spca}, true, false}
	a008 = endpoint{"A008", []string{spc, spa, spca, rc, rca, ra}, true, false}
	a010 = endpoint{"A010", []string{rc, rca}, false, false}
	a011 = endpoint{"A011", []string{rc, rca}, false, false}
	a012 = endpoint{"A012", []string{rc, rca}, false, false}
	a015 = endpoint{"A015", []string{rc, rca}, false, false}
	a016 = endpoint{"A016", []string{rc, rca}, false, false}
	a020 = endpoint{"A020", []string{rc, rca, spc, spca}, false, false}
	a029 = endpoint{"A029", []string{spc, spca, rc, rca}, true, false}
	a030 = endpoint{"A030", nil, false, true}
	a033 = endpoint{"A033", []string{rc, rca}, true, true}
	a034 = endpoint{"A034", []string{rc, rca}, false, false}
	a037 = endpoint{"A037", []string{rc, rca}, true, true}
	a035 = endpoint{"A035", []string{rc, rca}, true, true}
	a036 = endpoint{"A036", []string{rc, rca, spc, spca}, true, false}
	a038 = endpoint{"A038", []string{rc, rca, spc, spca}, false, false}
	a041 = endpoint{"A041", []string{rc, rca, spc, spca}, false, true}
	a042 = endpoint{"A042", []string{rc, rca, spc, spca}, true, true}
)
