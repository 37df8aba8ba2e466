package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/nhskit/nhskit/nhsid"
)

// MessageStatus is a message's overall status, aggregated from its
// channels.
type MessageStatus string

// Message statuses.
const (
	StatusCreated           MessageStatus = "created"
	StatusPendingEnrichment MessageStatus = "pending_enrichment"
	StatusEnriched          MessageStatus = "enriched"
	StatusSending           MessageStatus = "sending"
	StatusDelivered         MessageStatus = "delivered"
	StatusFailed            MessageStatus = "failed"
)

// Final reports whether no further status can follow.
func (s MessageStatus) Final() bool { return s == StatusDelivered || s == StatusFailed }

// ChannelType is a communication channel.
type ChannelType string

// Channels.
const (
	NHSApp ChannelType = "nhsapp"
	Email  ChannelType = "email"
	SMS    ChannelType = "sms"
	Letter ChannelType = "letter"
)

// ChannelStatus is the status of one channel of a message.
type ChannelStatus string

// Channel statuses.
const (
	ChannelCreated   ChannelStatus = "created"
	ChannelSending   ChannelStatus = "sending"
	ChannelDelivered ChannelStatus = "delivered"
	ChannelFailed    ChannelStatus = "failed"
	ChannelSkipped   ChannelStatus = "skipped"
)

// Recipient is who a message is for. NHS Notify looks the NHS number up
// in PDS for contact details; ContactDetails overrides them, which needs
// the onboarding team's approval.
type Recipient struct {
	NHSNumber      nhsid.NHSNumber `json:"nhsNumber,omitempty"`
	ContactDetails *ContactDetails `json:"contactDetails,omitempty"`
}

// ContactDetails are overriding contact details.
type ContactDetails struct {
	Email   string   `json:"email,omitempty"`
	SMS     string   `json:"sms,omitempty"`
	Address *Address `json:"address,omitempty"`
	Name    *Name    `json:"name,omitempty"`
}

// Address is an overriding postal address (2 to 5 lines and a postcode).
type Address struct {
	Lines    []string `json:"lines,omitempty"`
	Postcode string   `json:"postcode,omitempty"`
}

// Name is an overriding name.
type Name struct {
	Prefix      string `json:"prefix,omitempty"`
	FirstName   string `json:"firstName,omitempty"`
	MiddleNames string `json:"middleNames,omitempty"`
	LastName    string `json:"lastName,omitempty"`
	Suffix      string `json:"suffix,omitempty"`
}

// Message is a message to send.
type Message struct {
	// RoutingPlanID names the routing plan (channels and their fall-back
	// order) agreed at onboarding, or a global free-text plan.
	RoutingPlanID string
	// Reference is the caller's unique reference (messageReference): NHS
	// Notify actions one request per reference and answers a repeat with
	// 422 CM_DUPLICATE_REQUEST, which is what makes a retry safe.
	Reference        string
	BillingReference string
	Recipient        Recipient
	// OriginatorODS overrides the sender's ODS code (NHS App channel),
	// when the client is allowed to.
	OriginatorODS nhsid.ODSCode
	// Personalisation holds the routing plan's template fields.
	Personalisation map[string]string
}

// RoutingPlan is the routing plan a message was sent with.
type RoutingPlan struct {
	ID          string    `json:"id"`
	Name        string    `json:"name,omitempty"`
	Version     string    `json:"version,omitempty"`
	CreatedDate time.Time `json:"createdDate,omitzero"`
	// Type is "original" or "override" (per channel only).
	Type string `json:"type,omitempty"`
}

// Channel is one channel of a message, in the order they are attempted.
type Channel struct {
	Type              ChannelType   `json:"type"`
	RetryCount        int           `json:"retryCount,omitempty"`
	CascadeType       string        `json:"cascadeType,omitempty"` // primary or secondary
	CascadeOrder      int           `json:"cascadeOrder,omitempty"`
	Status            ChannelStatus `json:"channelStatus"`
	StatusDescription string        `json:"channelStatusDescription,omitempty"`
	FailureReasonCode string        `json:"channelFailureReasonCode,omitempty"`
	// SupplierStatus is the channel supplier's own status (delivered,
	// read, notified, permanent_failure, …).
	SupplierStatus string      `json:"supplierStatus,omitempty"`
	Timestamps     Timestamps  `json:"timestamps"`
	RoutingPlan    RoutingPlan `json:"routingPlan"`
}

// Timestamps are when a message or channel reached its statuses; zero
// when it has not.
type Timestamps struct {
	Created   time.Time `json:"created,omitzero"`
	Enriched  time.Time `json:"enriched,omitzero"`
	Delivered time.Time `json:"delivered,omitzero"`
	Failed    time.Time `json:"failed,omitzero"`
}

// Lookup is one look-up made for a message (PDS), with the version of the
// record it read.
type Lookup struct {
	Source    string    `json:"source"`
	Version   string    `json:"version,omitempty"`
	QueriedAt time.Time `json:"queriedAt"`
	Labels    []string  `json:"labels,omitempty"`
}

// Status is a message as NHS Notify knows it: the answer to Send (status
// created) and to Message.
type Status struct {
	ID                string
	Reference         string
	Status            MessageStatus
	StatusDescription string
	FailureReasonCode string
	Channels          []Channel
	Timestamps        Timestamps
	RoutingPlan       RoutingPlan
	Metadata          []Lookup
	// BatchID is the batch the message was sent in, if any.
	BatchID string
	// Self is the message's URL as the service gave it.
	Self string
}

type messageAttributes struct {
	MessageReference         string        `json:"messageReference"`
	MessageStatus            MessageStatus `json:"messageStatus"`
	MessageStatusDescription string        `json:"messageStatusDescription,omitempty"`
	MessageFailureReasonCode string        `json:"messageFailureReasonCode,omitempty"`
	Channels                 []Channel     `json:"channels,omitempty"`
	Timestamps               Timestamps    `json:"timestamps"`
	RoutingPlan              RoutingPlan   `json:"routingPlan"`
	Metadata                 []Lookup      `json:"metadata,omitempty"`
}

type messageDocument struct {
	Data struct {
		Type          string            `json:"type"`
		ID            string            `json:"id"`
		Attributes    messageAttributes `json:"attributes"`
		Relationships *struct {
			MessageBatch *struct {
				Data struct {
					Type string `json:"type"`
					ID   string `json:"id"`
				} `json:"data"`
			} `json:"messageBatch,omitempty"`
		} `json:"relationships,omitempty"`
		Links struct {
			Self string `json:"self"`
		} `json:"links"`
	} `json:"data"`
}

func (d *messageDocument) status() *Status {
	a := d.Data.Attributes
	s := &Status{
		ID: d.Data.ID, Reference: a.MessageReference, Status: a.MessageStatus,
		StatusDescription: a.MessageStatusDescription, FailureReasonCode: a.MessageFailureReasonCode,
		Channels: a.Channels, Timestamps: a.Timestamps, RoutingPlan: a.RoutingPlan, Metadata: a.Metadata,
		Self: d.Data.Links.Self,
	}
	if r := d.Data.Relationships; r != nil && r.MessageBatch != nil {
		s.BatchID = r.MessageBatch.Data.ID
	}
	return s
}

// ErrInvalidMessage is wrapped by the errors Send and SendBatch return,
// before any request, for a message NHS Notify would refuse.
var ErrInvalidMessage = errors.New("notify: invalid message")

func (m *Message) check() error {
	if m.RoutingPlanID == "" {
		return fmt.Errorf("%w: no routing plan id", ErrInvalidMessage)
	}
	return checkOne(m.Reference, m.Recipient)
}

func checkOne(ref string, r Recipient) error {
	if ref == "" {
		return fmt.Errorf("%w: no message reference", ErrInvalidMessage)
	}
	if r.NHSNumber != "" && !r.NHSNumber.Valid() {
		return fmt.Errorf("%w: NHS number %s fails the modulus 11 check", ErrInvalidMessage, r.NHSNumber.Masked())
	}
	if r.NHSNumber == "" && r.ContactDetails == nil {
		return fmt.Errorf("%w: recipient has neither an NHS number nor contact details", ErrInvalidMessage)
	}
	return nil
}

type messageIn struct {
	MessageReference string            `json:"messageReference"`
	BillingReference string            `json:"billingReference,omitempty"`
	Recipient        Recipient         `json:"recipient"`
	Originator       *originator       `json:"originator,omitempty"`
	Personalisation  map[string]string `json:"personalisation,omitempty"`
}

type originator struct {
	ODSCode nhsid.ODSCode `json:"odsCode"`
}

func origin(ods nhsid.ODSCode) *originator {
	if ods == "" {
		return nil
	}
	return &originator{ODSCode: ods}
}

// Send asks NHS Notify to send one message and returns it as created
// (status created, with its id: keep it to read its status later).
//
// The request may be sent more than once (connection failures, 429 with
// Retry-After): Message.Reference makes NHS Notify action it once. When an
// earlier attempt or call already reached NHS Notify, the answer is an
// *Error matching ErrDuplicateRequest: the message exists and will be sent
// once. A 425 (ErrRetryTooEarly: the first request with that reference is
// still being processed) carries the wait in Error.RetryAfter.
func (c *Client) Send(ctx context.Context, m Message) (*Status, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	type attrs struct {
		RoutingPlanID string `json:"routingPlanId"`
		messageIn
	}
	var in struct {
		Data struct {
			Type       string `json:"type"`
			Attributes attrs  `json:"attributes"`
		} `json:"data"`
	}
	in.Data.Type = "Message"
	in.Data.Attributes = attrs{m.RoutingPlanID, messageIn{
		MessageReference: m.Reference, BillingReference: m.BillingReference, Recipient: m.Recipient,
		Originator: origin(m.OriginatorODS), Personalisation: m.Personalisation,
	}}
	body, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("notify: encoding the message: %w", err)
	}
	req, err := c.newRequest(ctx, http.MethodPost, c.paths.Messages, body)
	if err != nil {
		return nil, err
	}
	req.RetrySafe = true // NHS Notify de-duplicates by messageReference
	var out messageDocument
	if _, err := c.do(ctx, req, &out); err != nil {
		return nil, err
	}
	if out.Data.ID == "" {
		return nil, errors.New("notify: answer has no message id")
	}
	return out.status(), nil
}

// ksuid matches a message id (a KSUID, 27 base62 characters).
var ksuid = regexp.MustCompile(`^[0-9A-Za-z]{27}$`)

// ErrInvalidID is returned, before any request, for a message id that is
// not a KSUID.
var ErrInvalidID = errors.New("notify: message id is not a KSUID")

// Message returns a message's status with the status of each channel.
func (c *Client) Message(ctx context.Context, id string) (*Status, error) {
	if !ksuid.MatchString(id) {
		return nil, ErrInvalidID
	}
	req, err := c.newRequest(ctx, http.MethodGet, c.paths.Messages+"/"+url.PathEscape(id), nil)
	if err != nil {
		return nil, err
	}
	var out messageDocument
	if _, err := c.do(ctx, req, &out); err != nil {
		return nil, err
	}
	if out.Data.ID == "" {
		return nil, errors.New("notify: answer has no message id")
	}
	return out.status(), nil
}

// Batch is a batch of messages sent with one routing plan.
type Batch struct {
	RoutingPlanID string
	// Reference is the caller's unique batch reference
	// (messageBatchReference); a repeat is 422 CM_DUPLICATE_REQUEST.
	Reference string
	Messages  []BatchMessage
}

// BatchMessage is one message of a batch; its Reference must be unique
// within the batch.
type BatchMessage struct {
	Reference        string
	BillingReference string
	Recipient        Recipient
	OriginatorODS    nhsid.ODSCode
	Personalisation  map[string]string
}

// BatchResult is a created batch: its id and each message's id by
// reference, in the order sent.
type BatchResult struct {
	ID          string
	Reference   string
	RoutingPlan RoutingPlan
	Messages    []BatchItem
}

// BatchItem is one created message of a batch.
type BatchItem struct {
	Reference string `json:"messageReference"`
	ID        string `json:"id"`
}

// MaxBatchMessages is the most messages SendBatch sends in one request.
const MaxBatchMessages = 45000

// SendBatch sends a batch of messages. As for Send, the references make
// a retry safe.
func (c *Client) SendBatch(ctx context.Context, b Batch) (*BatchResult, error) {
	if b.RoutingPlanID == "" || b.Reference == "" {
		return nil, fmt.Errorf("%w: a batch needs a routing plan id and a reference", ErrInvalidMessage)
	}
	if len(b.Messages) == 0 || len(b.Messages) > MaxBatchMessages {
		return nil, fmt.Errorf("%w: a batch holds 1 to %d messages, not %d", ErrInvalidMessage, MaxBatchMessages, len(b.Messages))
	}
	seen := make(map[string]int, len(b.Messages))
	msgs := make([]messageIn, len(b.Messages))
	for i, m := range b.Messages {
		if err := checkOne(m.Reference, m.Recipient); err != nil {
			return nil, fmt.Errorf("message %d: %w", i, err)
		}
		if j, dup := seen[m.Reference]; dup {
			return nil, fmt.Errorf("%w: messages %d and %d have the same reference", ErrInvalidMessage, j, i)
		}
		seen[m.Reference] = i
		msgs[i] = messageIn{MessageReference: m.Reference, BillingReference: m.BillingReference,
			Recipient: m.Recipient, Originator: origin(m.OriginatorODS), Personalisation: m.Personalisation}
	}
	var in struct {
		Data struct {
			Type       string `json:"type"`
			Attributes struct {
				RoutingPlanID         string      `json:"routingPlanId"`
				MessageBatchReference string      `json:"messageBatchReference"`
				Messages              []messageIn `json:"messages"`
			} `json:"attributes"`
		} `json:"data"`
	}
	in.Data.Type = "MessageBatch"
	in.Data.Attributes.RoutingPlanID = b.RoutingPlanID
	in.Data.Attributes.MessageBatchReference = b.Reference
	in.Data.Attributes.Messages = msgs
	body, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("notify: encoding the batch: %w", err)
	}
	req, err := c.newRequest(ctx, http.MethodPost, c.paths.MessageBatches, body)
	if err != nil {
		return nil, err
	}
	req.RetrySafe = true
	var out struct {
		Data *struct {
			ID         string `json:"id"`
			Attributes struct {
				MessageBatchReference string      `json:"messageBatchReference"`
				RoutingPlan           RoutingPlan `json:"routingPlan"`
				Messages              []BatchItem `json:"messages"`
			} `json:"attributes"`
		} `json:"data"`
		// The sandbox backend answers without the JSON:API envelope.
		RequestID   string      `json:"requestId"`
		RoutingPlan RoutingPlan `json:"routingPlan"`
		Messages    []BatchItem `json:"messages"`
	}
	if _, err := c.do(ctx, req, &out); err != nil {
		return nil, err
	}
	res := &BatchResult{Reference: b.Reference}
	if out.Data != nil {
		res.ID, res.RoutingPlan, res.Messages = out.Data.ID, out.Data.Attributes.RoutingPlan, out.Data.Attributes.Messages
		if r := out.Data.Attributes.MessageBatchReference; r != "" {
			res.Reference = r
		}
	} else {
		res.ID, res.RoutingPlan, res.Messages = out.RequestID, out.RoutingPlan, out.Messages
	}
	if res.ID == "" || len(res.Messages) != len(b.Messages) {
		return nil, fmt.Errorf("notify: batch answer has no id or %d of %d messages", len(res.Messages), len(b.Messages))
	}
	return res, nil
}
