package mesh

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Tracking is what MESH knows of a sent message.
type Tracking struct {
	MessageID       string
	LocalID         string
	Recipient       string
	WorkflowID      string
	FileName        string
	Checksum        string // only from tracking by local id (v1 body)
	Status          string // uploading, accepted, acknowledged, undeliverable, error
	StatusSuccess   bool
	StatusCode      string
	StatusEvent     string
	UploadTimestamp time.Time
	ExpiryTime      time.Time
}

// Track returns a sent message's tracking by its message id:
// GET .../outbox/tracking?messageID=.
func (c *Client) Track(ctx context.Context, messageID string) (*Tracking, error) {
	resp, err := c.do(ctx, "tracking", c.request(http.MethodGet, "outbox/tracking?messageID="+url.QueryEscape(messageID)))
	if err != nil {
		return nil, err
	}
	var b struct {
		MessageID       string `json:"message_id"`
		LocalID         string `json:"local_id"`
		WorkflowID      string `json:"workflow_id"`
		FileName        string `json:"filename"`
		ExpiryTime      string `json:"expiry_time"`
		UploadTimestamp string `json:"upload_timestamp"`
		Recipient       string `json:"recipient"`
		Status          string `json:"status"`
		StatusSuccess   *bool  `json:"status_success"`
		StatusEvent     string `json:"status_event"`
		StatusCode      string `json:"status_code"`
	}
	if err := json.Unmarshal(resp.Body, &b); err != nil || b.MessageID == "" {
		return nil, fmt.Errorf("mesh: tracking: response is not a v2 tracking body")
	}
	t := &Tracking{
		MessageID: b.MessageID, LocalID: b.LocalID, Recipient: b.Recipient, WorkflowID: b.WorkflowID,
		FileName: b.FileName, Status: strings.ToLower(b.Status), StatusCode: b.StatusCode, StatusEvent: b.StatusEvent,
		UploadTimestamp: parseTime(b.UploadTimestamp), ExpiryTime: parseTime(b.ExpiryTime),
	}
	if b.StatusSuccess != nil {
		t.StatusSuccess = *b.StatusSuccess
	}
	return t, nil
}

// TrackLocal returns a sent message's tracking by the sender's local id:
// GET .../outbox/tracking/{localID}, which the specification marks
// deprecated and answers in the v1 shape. MESH answers 300
// (ErrLocalIDAmbiguous) when more than one message has the local id and
// 404 (ErrNotFound) when none has.
func (c *Client) TrackLocal(ctx context.Context, localID string) (*Tracking, error) {
	resp, err := c.do(ctx, "tracking", c.request(http.MethodGet, "outbox/tracking/"+url.PathEscape(localID)))
	if err != nil {
		return nil, err
	}
	var b struct {
		MessageID       string `json:"messageId"`
		LocalID         string `json:"localId"`
		Recipient       string `json:"recipient"`
		WorkflowID      string `json:"workflowId"`
		FileName        string `json:"fileName"`
		Checksum        string `json:"checksum"`
		Status          string `json:"status"`
		StatusSuccess   string `json:"statusSuccess"`
		StatusCode      string `json:"statusCode"`
		StatusEvent     string `json:"statusEvent"`
		UploadTimestamp string `json:"uploadTimestamp"`
		ExpiryTime      string `json:"expiryTime"`
	}
	if err := json.Unmarshal(resp.Body, &b); err != nil || b.MessageID == "" {
		return nil, fmt.Errorf("mesh: tracking: response is not a tracking body")
	}
	return &Tracking{
		MessageID: b.MessageID, LocalID: b.LocalID, Recipient: b.Recipient, WorkflowID: b.WorkflowID,
		FileName: b.FileName, Checksum: b.Checksum, Status: strings.ToLower(b.Status),
		StatusSuccess: b.StatusSuccess == "SUCCESS", StatusCode: b.StatusCode, StatusEvent: b.StatusEvent,
		UploadTimestamp: parseTime(b.UploadTimestamp), ExpiryTime: parseTime(b.ExpiryTime),
	}, nil
}

// parseTime reads the timestamps MESH uses: RFC 3339 (v2, with or without
// a zone, taken as UTC without) and YYYYMMDDHHMMSS (v1). Anything else is
// the zero time.
func parseTime(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "20060102150405"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// InboxOptions narrows an inbox listing.
type InboxOptions struct {
	// WorkflowFilter selects by workflow id: "X" exactly, "X*" begins
	// with, "*X*" contains, and a leading "!" negates.
	WorkflowFilter string
	// MaxResults is the page size, 10 to 5000 (0: MESH's default, 500).
	MaxResults int
}

// Inbox lists the ids of the messages waiting, following every page.
func (c *Client) Inbox(ctx context.Context) iter.Seq2[string, error] {
	return c.InboxWith(ctx, InboxOptions{})
}

// InboxWith lists the ids of the messages waiting that opts selects,
// following every page.
func (c *Client) InboxWith(ctx context.Context, opts InboxOptions) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		if opts.MaxResults != 0 && (opts.MaxResults < 10 || opts.MaxResults > 5000) {
			yield("", fmt.Errorf("%w: inbox max results %d is outside 10 to 5000", ErrBadRequest, opts.MaxResults))
			return
		}
		q := url.Values{}
		if opts.WorkflowFilter != "" {
			q.Set("workflow_filter", opts.WorkflowFilter)
		}
		if opts.MaxResults != 0 {
			q.Set("max_results", strconv.Itoa(opts.MaxResults))
		}
		u := c.base + "inbox"
		if len(q) > 0 {
			u += "?" + q.Encode()
		}
		for u != "" {
			resp, err := c.do(ctx, "inbox", c.requestURL(http.MethodGet, u))
			if err != nil {
				yield("", err)
				return
			}
			var page struct {
				Messages []string          `json:"messages"`
				Links    map[string]string `json:"links"`
			}
			if err := json.Unmarshal(resp.Body, &page); err != nil {
				yield("", fmt.Errorf("mesh: inbox: %w", err))
				return
			}
			for _, id := range page.Messages {
				if !yield(id, nil) {
					return
				}
			}
			u = ""
			if next := page.Links["next"]; next != "" && len(page.Messages) > 0 {
				// next is a path on the server, query included.
				u = strings.TrimSuffix(c.root, "/messageexchange/") + next
			}
		}
	}
}
