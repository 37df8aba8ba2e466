package meshtest_test

// Raw probes of a MESH server, run against meshtest and, when it is
// running, NHS England's mesh-sandbox: both must answer every probe with
// the status and body shape the table records (read off the sandbox).

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/internal/httpx"
	"github.com/nhskit/nhskit/mesh"
	"github.com/nhskit/nhskit/mesh/meshtest"
)

const (
	mb1, mb2, mb3 = "X26ABC1", "X26ABC2", "X26ABC3"
	v2            = mesh.MediaTypeV2
)

// server is one server under probe.
type server struct {
	t    *testing.T
	base string
	run  string // makes local ids unique to this run: the sandbox is shared
}

func (s *server) local(id string) string { return id + "-" + s.run }

type answer struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request authorised as mailbox ("" for none) with the given
// headers ("Accept" defaults to v2).
func (s *server) do(method, path, mailbox string, hdr map[string]string, body []byte) answer {
	s.t.Helper()
	req, err := http.NewRequest(method, s.base+path, bytes.NewReader(body))
	require.NoError(s.t, err)
	req.Header.Set("Accept", v2)
	if mailbox != "" {
		req.Header.Set("Authorization", mesh.AuthHeader(mailbox, "password", "TestKey", httpx.NewUUID(), 0, time.Now()))
	}
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	return answer{resp.StatusCode, resp.Header, b}
}

// send creates a message from mb1 to mb2 (chunks "1:n" when n > 1) and
// returns its id.
func (s *server) send(local string, chunks int, hdr map[string]string, body []byte) string {
	s.t.Helper()
	h := map[string]string{"mex-To": mb2, "mex-WorkflowID": "TEST_WORKFLOW", "mex-LocalID": s.local(local), "mex-Chunk-Range": fmt.Sprintf("1:%d", chunks)}
	for k, v := range hdr {
		h[k] = v
	}
	a := s.do(http.MethodPost, "/messageexchange/"+mb1+"/outbox", mb1, h, body)
	require.Equal(s.t, http.StatusAccepted, a.status, "send: %s", a.body)
	var r struct {
		MessageID string `json:"message_id"`
	}
	require.NoError(s.t, json.Unmarshal(a.body, &r))
	return r.MessageID
}

func (s *server) chunk(id string, n, total int, hdr map[string]string, body []byte) answer {
	h := map[string]string{"mex-Chunk-Range": fmt.Sprintf("%d:%d", n, total)}
	for k, v := range hdr {
		h[k] = v
	}
	return s.do(http.MethodPost, fmt.Sprintf("/messageexchange/%s/outbox/%s/%d", mb1, id, n), mb1, h, body)
}

// shape describes a body: its JSON keys (internal ids aside), an error
// detail's keys and code, "empty", "null" or "bytes".
func shape(b []byte) string {
	if len(bytes.TrimSpace(b)) == 0 {
		return "empty"
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return "bytes"
	}
	switch o := v.(type) {
	case nil:
		return "null"
	case map[string]any:
		var keys []string
		for k := range o {
			if k == "internal_id" || k == "internalID" || k == "query_id" {
				continue
			}
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := strings.Join(keys, ",")
		if d, ok := o["detail"].([]any); ok && len(d) > 0 {
			if first, ok := d[0].(map[string]any); ok {
				var dk []string
				for k := range first {
					dk = append(dk, k)
				}
				sort.Strings(dk)
				out += " detail[" + strings.Join(dk, ",") + "]"
				if c, ok := first["code"]; ok {
					out += fmt.Sprintf(" code=%v", c)
				}
			}
		}
		if c, ok := o["errorCode"]; ok {
			out += fmt.Sprintf(" code=%v", c)
		}
		if r, ok := o["results"].([]any); ok && len(r) > 0 {
			if first, ok := r[0].(map[string]any); ok {
				var rk []string
				for k := range first {
					rk = append(rk, k)
				}
				sort.Strings(rk)
				out += " results[" + strings.Join(rk, ",") + "]"
			}
		}
		return out
	case []any:
		return "list"
	}
	return "scalar"
}

// headers replaces an answer's body with its mex- and content header
// names, so that shape compares which headers a server sends.
func headers(a answer) answer {
	names := map[string]bool{}
	for k := range a.header {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "mex-") || strings.HasPrefix(lk, "content-") {
			names[lk] = true
		}
	}
	a.body, _ = json.Marshal(names)
	return a
}

// report puts a report in mb1's inbox through the sandbox's admin
// endpoint (meshtest has the same) and returns its id.
func (s *server) report(status, linked string) string {
	s.t.Helper()
	body, _ := json.Marshal(map[string]string{"mailbox_id": mb1, "code": "14", "description": "Message not collected by recipient after 5 days",
		"workflow_id": "TEST_WORKFLOW", "linked_message_id": linked, "status": status})
	resp, err := http.Post(s.base+"/messageexchange/admin/report", "application/json", bytes.NewReader(body))
	require.NoError(s.t, err)
	defer resp.Body.Close()
	var r struct {
		MessageID string `json:"message_id"`
	}
	require.NoError(s.t, json.NewDecoder(resp.Body).Decode(&r))
	return r.MessageID
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

type probe struct {
	name   string
	run    func(s *server) answer
	status int
	shape  string
}

var hs = map[string]string{"mex-ClientVersion": "probe/1", "mex-OSName": "Linux", "mex-OSVersion": "6"}

func withHeaders(h map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range h {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

var letter = []byte("synthetic letter for 999 000 0018")

var probes = []probe{
	{"handshake POST v2", func(s *server) answer { return s.do("POST", "/messageexchange/"+mb1, mb1, hs, nil) }, 200, "empty"},
	{"handshake GET v2", func(s *server) answer { return s.do("GET", "/messageexchange/"+mb1, mb1, hs, nil) }, 200, "empty"},
	{"handshake v1", func(s *server) answer {
		return s.do("POST", "/messageexchange/"+mb1, mb1, withHeaders(hs, "Accept", "application/json"), nil)
	}, 200, "mailboxId"},
	{"handshake without client headers", func(s *server) answer { return s.do("POST", "/messageexchange/"+mb1, mb1, nil, nil) }, 400, "detail detail[loc,msg,type]"},
	{"no authorization", func(s *server) answer { return s.do("POST", "/messageexchange/"+mb1, "", hs, nil) }, 403, "detail detail[code,event,msg] code="},
	{"wrong password", func(s *server) answer {
		a := s.do("POST", "/messageexchange/"+mb1, "", withHeaders(hs, "Authorization", mesh.AuthHeader(mb1, "wrong", "TestKey", httpx.NewUUID(), 0, time.Now())), nil)
		return a
	}, 403, "detail detail[code,event,msg] code="},
	{"token for another mailbox", func(s *server) answer {
		return s.do("POST", "/messageexchange/"+mb1, "", withHeaders(hs, "Authorization", mesh.AuthHeader(mb2, "password", "TestKey", httpx.NewUUID(), 0, time.Now())), nil)
	}, 403, "detail detail[code,event,msg] code="},
	{"unknown mailbox", func(s *server) answer { return s.do("POST", "/messageexchange/X26NONE9", "X26NONE9", hs, nil) }, 403, "detail detail[code,event,msg] code=EPL-151"},
	{"bad accept version", func(s *server) answer {
		return s.do("POST", "/messageexchange/"+mb1, mb1, withHeaders(hs, "Accept", "application/vnd.mesh.v2+xml"), nil)
	}, 400, "errorCode,errorDescription,errorEvent code="},
	{"send", func(s *server) answer {
		return s.do("POST", "/messageexchange/"+mb1+"/outbox", mb1, map[string]string{"mex-To": mb2, "mex-WorkflowID": "TEST_WORKFLOW"}, letter)
	}, 202, "message_id"},
	{"send v1", func(s *server) answer {
		return s.do("POST", "/messageexchange/"+mb1+"/outbox", mb1, map[string]string{"Accept": "application/json", "mex-To": mb2, "mex-WorkflowID": "TEST_WORKFLOW"}, letter)
	}, 202, "messageID"},
	{"send empty body", func(s *server) answer {
		return s.do("POST", "/messageexchange/"+mb1+"/outbox", mb1, map[string]string{"mex-To": mb2, "mex-WorkflowID": "TEST_WORKFLOW"}, nil)
	}, 417, "detail detail[code,event,msg] code=02"},
	{"send unknown recipient", func(s *server) answer {
		return s.do("POST", "/messageexchange/"+mb1+"/outbox", mb1, map[string]string{"mex-To": "X26NONE9", "mex-WorkflowID": "TEST_WORKFLOW"}, letter)
	}, 417, "detail detail[code,event,msg] code=12"},
	{"send unknown recipient v1", func(s *server) answer {
		return s.do("POST", "/messageexchange/"+mb1+"/outbox", mb1, map[string]string{"Accept": "application/json", "mex-To": "X26NONE9", "mex-WorkflowID": "TEST_WORKFLOW"}, letter)
	}, 417, "errorCode,errorDescription,errorEvent code=12"},
	{"send without mex-To", func(s *server) answer {
		return s.do("POST", "/messageexchange/"+mb1+"/outbox", mb1, map[string]string{"mex-WorkflowID": "TEST_WORKFLOW"}, letter)
	}, 400, "detail detail[loc,msg,type]"},
	{"send without workflow", func(s *server) answer {
		return s.do("POST", "/messageexchange/"+mb1+"/outbox", mb1, map[string]string{"mex-To": mb2}, letter)
	}, 400, "detail detail[loc,msg,type]"},
	{"send unsupported encoding", func(s *server) answer {
		return s.do("POST", "/messageexchange/"+mb1+"/outbox", mb1, map[string]string{"mex-To": mb2, "mex-WorkflowID": "TEST_WORKFLOW", "Content-Encoding": "br"}, letter)
	}, 422, "detail detail[code,event,msg] code=UnsupportedContentEncoding"},
	{"send first chunk as 2:3", func(s *server) answer {
		return s.do("POST", "/messageexchange/"+mb1+"/outbox", mb1, map[string]string{"mex-To": mb2, "mex-WorkflowID": "TEST_WORKFLOW", "mex-Chunk-Range": "2:3"}, letter)
	}, 417, "detail detail[code,event,msg] code=InvalidHeaderChunks"},
	{"send 301-character local id", func(s *server) answer {
		return s.do("POST", "/messageexchange/"+mb1+"/outbox", mb1, map[string]string{"mex-To": mb2, "mex-WorkflowID": "TEST_WORKFLOW", "mex-LocalID": strings.Repeat("a", 301)}, letter)
	}, 400, "detail detail[ctx,loc,msg,type]"},
	{"send checksum with plus", func(s *server) answer {
		return s.do("POST", "/messageexchange/"+mb1+"/outbox", mb1, map[string]string{"mex-To": mb2, "mex-WorkflowID": "TEST_WORKFLOW", "mex-Content-Checksum": "md5:ab+cd"}, letter)
	}, 400, "detail detail[code,event,msg] code=Invalid checksum"},
	{"send control character", func(s *server) answer {
		return s.do("POST", "/messageexchange/"+mb1+"/outbox", mb1, map[string]string{"mex-To": mb2, "mex-WorkflowID": "TEST_WORKFLOW", "mex-Subject": "a\tb"}, letter)
	}, 400, "detail detail[code,event,msg] code=06"},
	{"chunk 2 of 2", func(s *server) answer {
		id := s.send("c22", 2, nil, letter)
		return s.chunk(id, 2, 2, nil, letter)
	}, 202, "null"},
	{"chunk resent after completion", func(s *server) answer {
		id := s.send("c-resent", 2, nil, letter)
		s.chunk(id, 2, 2, nil, letter)
		return s.chunk(id, 2, 2, nil, letter)
	}, 423, "message"},
	{"chunk of a single-chunk message", func(s *server) answer {
		id := s.send("c-single", 1, nil, letter)
		return s.chunk(id, 2, 2, nil, letter)
	}, 423, "message"},
	{"chunk beyond the total", func(s *server) answer {
		id := s.send("c-beyond", 2, nil, letter)
		return s.chunk(id, 3, 3, nil, letter)
	}, 406, "message"},
	{"chunk without range", func(s *server) answer {
		id := s.send("c-norange", 2, nil, letter)
		return s.chunk(id, 2, 2, map[string]string{"mex-Chunk-Range": ""}, letter)
	}, 417, "detail,message_id detail[code,event,msg] code=InvalidHeaderChunks"},
	{"chunk range not matching the url", func(s *server) answer {
		id := s.send("c-mismatch", 3, nil, letter)
		return s.chunk(id, 2, 3, map[string]string{"mex-Chunk-Range": "3:3"}, letter)
	}, 417, "detail,message_id detail[code,event,msg] code=InvalidHeaderChunks"},
	{"chunk changing content encoding", func(s *server) answer {
		id := s.send("c-enc", 2, map[string]string{"Content-Encoding": "gzip"}, gz(letter))
		return s.chunk(id, 2, 2, nil, letter)
	}, 417, "detail detail[code,event,msg] code="},
	{"chunk of an unknown message", func(s *server) answer { return s.chunk("NOSUCHMESSAGE", 2, 2, nil, letter) }, 404, "detail detail[code,event,msg] code="},
	{"chunk of another mailbox's message", func(s *server) answer {
		id := s.send("c-other", 2, nil, letter)
		return s.do("POST", fmt.Sprintf("/messageexchange/%s/outbox/%s/2", mb3, id), mb3, map[string]string{"mex-Chunk-Range": "2:2"}, letter)
	}, 403, "detail detail[code,event,msg] code="},
	{"tracking by message id", func(s *server) answer {
		id := s.send("t-1", 1, nil, letter)
		return s.do("GET", "/messageexchange/"+mb1+"/outbox/tracking?messageID="+id, mb1, nil, nil)
	}, 200, "expiry_time,filename,local_id,message_id,recipient,recipient_name,recipient_ods_code,recipient_org_code,recipient_org_name,status,status_success,upload_timestamp,workflow_id"},
	{"tracking an unknown message", func(s *server) answer {
		return s.do("GET", "/messageexchange/"+mb1+"/outbox/tracking?messageID=NOSUCHMESSAGE", mb1, nil, nil)
	}, 404, "detail detail[code,event,msg] code="},
	{"tracking another mailbox's message", func(s *server) answer {
		id := s.send("t-other", 1, nil, letter)
		return s.do("GET", "/messageexchange/"+mb3+"/outbox/tracking?messageID="+id, mb3, nil, nil)
	}, 404, "detail detail[code,event,msg] code="},
	{"tracking with ?localID=", func(s *server) answer {
		s.send("t-q", 1, nil, letter)
		return s.do("GET", "/messageexchange/"+mb1+"/outbox/tracking?localID="+s.local("t-q"), mb1, nil, nil)
	}, 400, "detail detail[loc,msg,type]"},
	{"tracking by local id", func(s *server) answer {
		s.send("t-local", 1, nil, letter)
		return s.do("GET", "/messageexchange/"+mb1+"/outbox/tracking/"+s.local("t-local"), mb1, nil, nil)
	}, 200, "addressType,checksum,chunkCount,compressFlag,contentEncoding,downloadTimestamp,dtsId,encryptedFlag,expiryTime,fileName,fileSize,isCompressed,localId,meshRecipientOdsCode,messageId,messageType,partnerId,recipient,recipientName,recipientOrgCode,recipientOrgName,recipientSmtp,sender,senderName,senderOdsCode,senderOrgCode,senderOrgName,senderSmtp,status,statusSuccess,subject,uploadTimestamp,version,workflowId"},
	{"tracking a reused local id", func(s *server) answer {
		s.send("t-twice", 1, nil, letter)
		s.send("t-twice", 1, nil, letter)
		return s.do("GET", "/messageexchange/"+mb1+"/outbox/tracking/"+s.local("t-twice"), mb1, nil, nil)
	}, 300, "detail detail[code,event,msg] code="},
	{"tracking an unknown local id", func(s *server) answer {
		return s.do("GET", "/messageexchange/"+mb1+"/outbox/tracking/no-such-local", mb1, nil, nil)
	}, 404, "detail detail[code,event,msg] code="},
	{"inbox", func(s *server) answer {
		s.send("i-1", 1, nil, letter)
		return s.do("GET", "/messageexchange/"+mb2+"/inbox", mb2, nil, nil)
	}, 200, "approx_inbox_count,links,messages"},
	{"inbox v1", func(s *server) answer {
		return s.do("GET", "/messageexchange/"+mb2+"/inbox", mb2, map[string]string{"Accept": "application/json"}, nil)
	}, 200, "messages"},
	{"inbox max_results 9", func(s *server) answer {
		return s.do("GET", "/messageexchange/"+mb2+"/inbox?max_results=9", mb2, nil, nil)
	}, 400, "detail detail[ctx,loc,msg,type]"},
	{"inbox max_results 5001", func(s *server) answer {
		return s.do("GET", "/messageexchange/"+mb2+"/inbox?max_results=5001", mb2, nil, nil)
	}, 400, "detail detail[ctx,loc,msg,type]"},
	{"inbox workflow_filter", func(s *server) answer {
		return s.do("GET", "/messageexchange/"+mb2+"/inbox?workflow_filter=TEST_*", mb2, nil, nil)
	}, 200, "approx_inbox_count,links,messages"},
	{"count", func(s *server) answer { return s.do("GET", "/messageexchange/"+mb2+"/count", mb2, nil, nil) }, 200, "count"},
	{"head", func(s *server) answer {
		id := s.send("h-1", 1, nil, letter)
		return s.do("HEAD", "/messageexchange/"+mb2+"/inbox/"+id, mb2, nil, nil)
	}, 200, "empty"},
	{"head unknown", func(s *server) answer {
		return s.do("HEAD", "/messageexchange/"+mb2+"/inbox/NOSUCHMESSAGE", mb2, nil, nil)
	}, 404, "empty"},
	{"download", func(s *server) answer {
		id := s.send("d-1", 1, nil, letter)
		return s.do("GET", "/messageexchange/"+mb2+"/inbox/"+id, mb2, map[string]string{"Accept-Encoding": "identity"}, nil)
	}, 200, "bytes"},
	{"download chunk 1 of 2", func(s *server) answer {
		id := s.send("d-2", 2, nil, letter)
		s.chunk(id, 2, 2, nil, letter)
		return s.do("GET", "/messageexchange/"+mb2+"/inbox/"+id+"/1", mb2, map[string]string{"Accept-Encoding": "identity"}, nil)
	}, 206, "bytes"},
	{"download chunk 3 of 2", func(s *server) answer {
		id := s.send("d-3", 2, nil, letter)
		s.chunk(id, 2, 2, nil, letter)
		return s.do("GET", "/messageexchange/"+mb2+"/inbox/"+id+"/3", mb2, nil, nil)
	}, 404, "detail detail[code,event,msg] code=20"},
	{"download unknown", func(s *server) answer {
		return s.do("GET", "/messageexchange/"+mb2+"/inbox/NOSUCHMESSAGE", mb2, nil, nil)
	}, 404, "detail detail[code,event,msg] code=20"},
	{"download another mailbox's message", func(s *server) answer {
		id := s.send("d-other", 1, nil, letter)
		return s.do("GET", "/messageexchange/"+mb3+"/inbox/"+id, mb3, nil, nil)
	}, 403, "detail detail[code,event,msg] code="},
	{"download an incomplete message", func(s *server) answer {
		id := s.send("d-incomplete", 2, nil, letter)
		return s.do("GET", "/messageexchange/"+mb2+"/inbox/"+id, mb2, nil, nil)
	}, 410, "detail detail[code,event,msg] code=Message already accepted"},
	{"acknowledge", func(s *server) answer {
		id := s.send("a-1", 1, nil, letter)
		return s.do("PUT", "/messageexchange/"+mb2+"/inbox/"+id+"/status/acknowledged", mb2, nil, nil)
	}, 200, "empty"},
	{"acknowledge v1", func(s *server) answer {
		id := s.send("a-v1", 1, nil, letter)
		return s.do("PUT", "/messageexchange/"+mb2+"/inbox/"+id+"/status/acknowledged", mb2, map[string]string{"Accept": "application/json"}, nil)
	}, 200, "messageId"},
	{"acknowledge unknown", func(s *server) answer {
		return s.do("PUT", "/messageexchange/"+mb2+"/inbox/NOSUCHMESSAGE/status/acknowledged", mb2, nil, nil)
	}, 404, "detail detail[code,event,msg] code=20"},
	{"acknowledge another mailbox's message", func(s *server) answer {
		id := s.send("a-other", 1, nil, letter)
		return s.do("PUT", "/messageexchange/"+mb3+"/inbox/"+id+"/status/acknowledged", mb3, nil, nil)
	}, 403, "detail detail[code,event,msg] code="},
	{"download after acknowledgement", func(s *server) answer {
		id := s.send("a-then-d", 1, nil, letter)
		s.do("PUT", "/messageexchange/"+mb2+"/inbox/"+id+"/status/acknowledged", mb2, nil, nil)
		return s.do("GET", "/messageexchange/"+mb2+"/inbox/"+id, mb2, nil, nil)
	}, 200, "bytes"},
	{"endpoint lookup without auth", func(s *server) answer {
		return s.do("GET", "/messageexchange/endpointlookup/X26/TEST_WORKFLOW", "", nil, nil)
	}, 200, "results results[mailbox_id,mailbox_name]"},
	{"endpoint lookup v1", func(s *server) answer {
		return s.do("GET", "/messageexchange/endpointlookup/X26/TEST_WORKFLOW", "", map[string]string{"Accept": "application/json"}, nil)
	}, 200, "results results[address,description,endpoint_type]"},
	{"workflow search", func(s *server) answer {
		return s.do("GET", "/messageexchange/workflowsearch/TEST_WORKFLOW", "", nil, nil)
	}, 200, "results results[mailbox_id,mailbox_name]"},
	{"download headers", func(s *server) answer {
		id := s.send("dh", 1, map[string]string{"mex-Subject": "s", "mex-FileName": "f.txt", "mex-Content-Checksum": "sha256:ab", "mex-PartnerID": "p"}, letter)
		return headers(s.do("GET", "/messageexchange/"+mb2+"/inbox/"+id, mb2, map[string]string{"Accept-Encoding": "identity"}, nil))
	}, 200, "content-length,content-type,mex-addresstype,mex-chunk-range,mex-content-checksum,mex-filename,mex-from,mex-localid,mex-messageid,mex-messagetype,mex-partnerid,mex-statuscode,mex-statusdescription,mex-statusevent,mex-statussuccess,mex-statustimestamp,mex-subject,mex-to,mex-total-chunks,mex-version,mex-workflowid"},
	{"download headers gzip", func(s *server) answer {
		id := s.send("dhz", 1, nil, letter)
		return headers(s.do("GET", "/messageexchange/"+mb2+"/inbox/"+id, mb2, map[string]string{"Accept-Encoding": "gzip"}, nil))
	}, 200, "content-encoding,content-length,content-type,mex-addresstype,mex-chunk-range,mex-content-compressed,mex-filename,mex-from,mex-localid,mex-messageid,mex-messagetype,mex-statuscode,mex-statusdescription,mex-statusevent,mex-statussuccess,mex-statustimestamp,mex-to,mex-total-chunks,mex-version,mex-workflowid"},
	{"head headers", func(s *server) answer {
		id := s.send("hh", 1, map[string]string{"mex-Content-Compressed": "Y"}, letter)
		return headers(s.do("HEAD", "/messageexchange/"+mb2+"/inbox/"+id, mb2, nil, nil))
	}, 200, "content-length,mex-addresstype,mex-chunk-range,mex-content-compressed,mex-filename,mex-from,mex-localid,mex-messageid,mex-messagetype,mex-statuscode,mex-statusdescription,mex-statusevent,mex-statussuccess,mex-statustimestamp,mex-to,mex-total-chunks,mex-version,mex-workflowid"},
	{"error report headers", func(s *server) answer {
		id := s.report("error", s.send("rep", 1, nil, letter))
		return headers(s.do("GET", "/messageexchange/"+mb1+"/inbox/"+id, mb1, nil, nil))
	}, 200, "content-length,mex-addresstype,mex-chunk-range,mex-filename,mex-linkedmsgid,mex-messageid,mex-messagetype,mex-statuscode,mex-statusdescription,mex-statusevent,mex-statussuccess,mex-statustimestamp,mex-to,mex-total-chunks,mex-version,mex-workflowid"},
	{"undeliverable report headers", func(s *server) answer {
		id := s.report("undeliverable", s.send("rep-u", 1, nil, letter))
		return headers(s.do("GET", "/messageexchange/"+mb1+"/inbox/"+id, mb1, nil, nil))
	}, 200, "content-length,mex-addresstype,mex-chunk-range,mex-filename,mex-messageid,mex-messagetype,mex-statussuccess,mex-statustimestamp,mex-to,mex-total-chunks,mex-version,mex-workflowid"},
	{"ping", func(s *server) answer { return s.do("GET", "/messageexchange/_ping", "", nil, nil) }, 200, "build_label,env,outcome,status"},
}

func TestProbes(t *testing.T) {
	targets := map[string]string{}
	fake := meshtest.NewServer()
	defer fake.Close()
	fake.AddSandboxMailboxes()
	targets["meshtest"] = fake.URL
	if u := os.Getenv("NHSKIT_MESH_SANDBOX_URL"); u != "" {
		targets["mesh-sandbox"] = u
	} else if os.Getenv("CI") != "" {
		t.Fatal("NHSKIT_MESH_SANDBOX_URL is not set: .ci/run starts mesh-sandbox")
	}
	run := httpx.NewUUID()
	for _, p := range probes {
		t.Run(p.name, func(t *testing.T) {
			got := map[string]string{}
			for name, base := range targets {
				a := p.run(&server{t: t, base: base, run: run})
				got[name] = fmt.Sprintf("%d %s", a.status, shape(a.body))
				if os.Getenv("MESH_PROBE_PRINT") != "" {
					fmt.Printf("PROBE %s | %s | %q | %s\n", name, p.name, got[name], a.body)
				}
				assert.Equal(t, fmt.Sprintf("%d %s", p.status, p.shape), got[name], "%s: %s", name, a.body)
			}
		})
	}
}
