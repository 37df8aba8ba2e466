package notify

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"

	"github.com/nhskit/nhskit/nhsid"
)

// NHSAppAccount is one patient of a GP practice registered with the NHS
// App (identity verified to P9).
type NHSAppAccount struct {
	NHSNumber nhsid.NHSNumber `json:"nhsNumber"`
	// NotificationsEnabled is true when the patient has push
	// notifications on for at least one device.
	NotificationsEnabled bool `json:"notificationsEnabled"`
}

// AccountsPage is one page of a practice's NHS App accounts.
type AccountsPage struct {
	ODSCode  string
	Accounts []NHSAppAccount
	// Page is this page's number; Last the last page's (from the links).
	Page, Last int
	// Next is true when another page follows.
	Next bool
}

// ErrInvalidODSCode is returned, before any request, for an empty ODS
// code; any other code goes to NHS Notify, which answers 400
// (ErrInvalidRequest) for one that is not an ODS organisation code.
var ErrInvalidODSCode = errors.New("notify: invalid ODS organisation code")

// NHSAppAccountsPage returns one page (1-based) of the NHS App accounts of
// the patients of the practice with the ODS code. The data is refreshed
// daily by NHS Notify: cache it.
func (c *Client) NHSAppAccountsPage(ctx context.Context, ods nhsid.ODSCode, page int) (*AccountsPage, error) {
	if ods == "" {
		return nil, ErrInvalidODSCode
	}
	if page < 1 {
		return nil, fmt.Errorf("notify: page %d: pages start at 1", page)
	}
	q := url.Values{"ods-organisation-code": {string(ods)}, "page": {strconv.Itoa(page)}}
	req, err := c.newRequest(ctx, http.MethodGet, c.paths.NHSAppAccounts+"?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	var out struct {
		Data struct {
			ID         string `json:"id"`
			Attributes struct {
				Accounts []NHSAppAccount `json:"accounts"`
			} `json:"attributes"`
		} `json:"data"`
		Links struct {
			Last string `json:"last"`
			Next string `json:"next"`
			Self string `json:"self"`
		} `json:"links"`
	}
	if _, err := c.do(ctx, req, &out); err != nil {
		return nil, err
	}
	p := &AccountsPage{ODSCode: out.Data.ID, Accounts: out.Data.Attributes.Accounts, Page: page,
		Last: pageOf(out.Links.Last), Next: out.Links.Next != ""}
	if p.Last == 0 {
		p.Last = page
	}
	return p, nil
}

// pageOf reads the page parameter of a link ("" or unreadable: 0). The
// sandbox sends links with a %PATH_ROOT% placeholder, so only the query is
// read.
func pageOf(link string) int {
	if link == "" {
		return 0
	}
	q := link
	for i := 0; i < len(link); i++ {
		if link[i] == '?' {
			q = link[i+1:]
			break
		}
	}
	v, err := url.ParseQuery(q)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(v.Get("page"))
	return n
}

// NHSAppAccounts returns every NHS App account of the practice, page by
// page, and stops at the first error.
func (c *Client) NHSAppAccounts(ctx context.Context, ods nhsid.ODSCode) iter.Seq2[NHSAppAccount, error] {
	return func(yield func(NHSAppAccount, error) bool) {
		for page := 1; ; page++ {
			p, err := c.NHSAppAccountsPage(ctx, ods, page)
			if err != nil {
				yield(NHSAppAccount{}, err)
				return
			}
			for _, a := range p.Accounts {
				if !yield(a, nil) {
					return
				}
			}
			if !p.Next || page >= p.Last {
				return
			}
		}
	}
}
