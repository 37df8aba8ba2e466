package siufeedtest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/nhskit/nhskit/hl7v2"
	"github.com/nhskit/nhskit/nhsid"
)

// Options shape a day.
type Options struct {
	Seed int64
	// Date is the clinic day (its slots run from 08:00 Europe/London).
	Date time.Time
	// Clinics and SlotsPerClinic (15 minutes each) give the opened slots
	// (default 4 × 24 = 96).
	Clinics        int
	SlotsPerClinic int
	// Changes is how many messages follow the opening of the slots
	// (default 160).
	Changes int
	// Source is MSH-4, the trust's ODS code (default "RXX01").
	Source string
}

// Message is one message of the feed.
type Message struct {
	Data    []byte
	Trigger string
	// Resent is true for a copy of the message before it (same MSH-10).
	Resent bool
	// Refuse is "AE" or "AR" for a message a receiver must refuse, "" for
	// one it must accept.
	Refuse string
	// Releases is the filler slot id (SCH-2 of its S24) of the opened slot
	// this message frees, if any: a cancellation or a reschedule away from
	// it.
	Releases string
}

// Clinic is one clinic's slots.
type Clinic struct {
	Service    string // AIS-3 code, the waiting lists' service
	Location   string // AIL-3.1 point of care
	Room       string
	Consultant string // AIP-3.1, a consultant code
}

// Day is a generated day and the PAS's book at its end.
type Day struct {
	Source   string
	Clinics  []Clinic
	Messages []Message
	// Open maps each filler slot id still open at the end of the day to
	// the filler appointment id booked on it ("" when free).
	Open map[string]string
	// Blocked lists the filler slot ids blocked during the day.
	Blocked []string
	// Outside maps the appointments booked outside the opened slots to
	// their start; they are still booked at the end of the day.
	Outside map[string]time.Time
	// Starts gives each filler slot id's start.
	Starts map[string]time.Time
	// ClinicOf gives each filler slot id's clinic index.
	ClinicOf map[string]int
}

var services = []Clinic{
	{Service: "ENT", Location: "ENTOPD", Room: "R1", Consultant: "C3000001"},
	{Service: "CARDIO", Location: "CARDOPD", Room: "R2", Consultant: "C3000002"},
	{Service: "DERM", Location: "DERMOPD", Room: "R3", Consultant: "C3000003"},
	{Service: "OPHTH", Location: "EYEOPD", Room: "R4", Consultant: "C3000004"},
	{Service: "ORTHO", Location: "ORTHOPD", Room: "R5", Consultant: "C3000005"},
	{Service: "GASTRO", Location: "GIOPD", Room: "R6", Consultant: "C3000006"},
}

type gen struct {
	d     *Day
	rng   *rand.Rand
	ctl   int
	nhs   uint64
	at    time.Time
	appts map[string]string // appointment -> slot ("" outside)
	pid   map[string]string
	when  map[string]time.Time
	clin  map[string]int
	n     int
	day0  time.Time
}

// NewDay generates a day.
func NewDay(o Options) *Day {
	if o.Clinics <= 0 {
		o.Clinics = 4
	}
	if o.Clinics > len(services) {
		o.Clinics = len(services)
	}
	if o.SlotsPerClinic <= 0 {
		o.SlotsPerClinic = 24
	}
	if o.Changes <= 0 {
		o.Changes = 160
	}
	if o.Source == "" {
		o.Source = "RXX01"
	}
	if o.Date.IsZero() {
		o.Date = time.Date(2026, 11, 25, 0, 0, 0, 0, hl7v2.London)
	}
	y, m, dd := o.Date.Date()
	day0 := time.Date(y, m, dd, 8, 0, 0, 0, hl7v2.London)
	d := &Day{Source: o.Source, Clinics: services[:o.Clinics], Open: map[string]string{}, Outside: map[string]time.Time{},
		Starts: map[string]time.Time{}, ClinicOf: map[string]int{}}
	g := &gen{d: d, rng: rand.New(rand.NewPCG(uint64(o.Seed), 0x5109)), at: day0.AddDate(0, 0, -1).Add(-time.Hour),
		appts: map[string]string{}, pid: map[string]string{}, when: map[string]time.Time{}, clin: map[string]int{}, day0: day0}
	for c := range d.Clinics {
		for i := 0; i < o.SlotsPerClinic; i++ {
			start := day0.Add(time.Duration(i) * 15 * time.Minute)
			id := fmt.Sprintf("SL-%s-%s", d.Clinics[c].Service, start.Format("1504"))
			d.Open[id], d.Starts[id], d.ClinicOf[id] = "", start, c
			g.emit("S24", id, "", c, start, "", "")
		}
	}
	g.n = 0
	for g.n < o.Changes {
		g.step()
	}
	return d
}

func (g *gen) free(c int) []string {
	var out []string
	for id, a := range g.d.Open {
		if a == "" && (c < 0 || g.d.ClinicOf[id] == c) {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

func (g *gen) booked() []string {
	var out []string
	for a := range g.appts {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

func (g *gen) pick(ss []string) string { return ss[g.rng.IntN(len(ss))] }

// step emits one change at random, as a PAS's day goes.
func (g *gen) step() {
	r := g.rng.IntN(100)
	switch {
	case r < 40: // book an open slot
		if free := g.free(-1); len(free) > 0 {
			s := g.pick(free)
			a := g.newAppt()
			g.appts[a], g.d.Open[s], g.when[a], g.clin[a] = s, a, g.d.Starts[s], g.d.ClinicOf[s]
			g.emit("S12", a, g.pid[a], g.clin[a], g.when[a], "Booked", "")
		}
	case r < 44: // book outside the opened slots (an extra clinic at 17:00)
		c := g.rng.IntN(len(g.d.Clinics))
		a := g.newAppt()
		y, m, dd := g.day0.Date()
		start := time.Date(y, m, dd, 17, 15*g.rng.IntN(4), 0, 0, hl7v2.London)
		g.appts[a], g.when[a], g.clin[a] = "", start, c
		g.d.Outside[a] = start
		g.emit("S12", a, g.pid[a], c, start, "Booked", "")
	case r < 56: // reschedule to another open slot of the same clinic
		if bk := g.onSlots(); len(bk) > 0 {
			a := g.pick(bk)
			if free := g.free(g.clin[a]); len(free) > 0 {
				from, to := g.appts[a], g.pick(free)
				g.d.Open[from], g.d.Open[to], g.appts[a], g.when[a] = "", a, to, g.d.Starts[to]
				g.emit("S13", a, g.pid[a], g.clin[a], g.when[a], "Booked", from)
			}
		}
	case r < 62: // modify: same time, another note
		if bk := g.booked(); len(bk) > 0 {
			a := g.pick(bk)
			g.emit("S14", a, g.pid[a], g.clin[a], g.when[a], "Booked", "")
		}
	case r < 76: // cancel or delete
		if bk := g.booked(); len(bk) > 0 {
			a := g.pick(bk)
			trig := "S15"
			if g.rng.IntN(4) == 0 {
				trig = "S17"
			}
			s := g.appts[a]
			delete(g.appts, a)
			delete(g.d.Outside, a)
			status := "Cancelled"
			if trig == "S17" {
				status = "Deleted"
			}
			if s != "" {
				g.d.Open[s] = ""
			}
			g.emit(trig, a, g.pid[a], g.clin[a], g.when[a], status, s)
		}
	case r < 80: // block a free slot
		if free := g.free(-1); len(free) > 0 {
			s := g.pick(free)
			delete(g.d.Open, s)
			g.d.Blocked = append(g.d.Blocked, s)
			g.emit("S23", s, "", g.d.ClinicOf[s], g.d.Starts[s], "Blocked", "")
		}
	case r < 84: // a resource taken off an appointment
		if bk := g.booked(); len(bk) > 0 {
			a := g.pick(bk)
			g.emit("S20", a, g.pid[a], g.clin[a], g.when[a], "Booked", "")
		}
	case r < 87: // no-show
		if bk := g.booked(); len(bk) > 0 {
			a := g.pick(bk)
			g.emit("S26", a, g.pid[a], g.clin[a], g.when[a], "Noshow", "")
		}
	case r < 94: // the last message again: its acknowledgement was lost
		if len(g.d.Messages) > 0 {
			last := g.d.Messages[len(g.d.Messages)-1]
			if !last.Resent && last.Refuse == "" {
				last.Resent = true
				g.d.Messages = append(g.d.Messages, last)
				g.n++
			}
		}
	default: // a message to refuse
		g.ctl++
		ts := hl7v2.FormatDTM(g.at)
		var m Message
		if g.rng.IntN(2) == 0 {
			m = Message{Trigger: "A01", Refuse: "AR", Data: []byte(fmt.Sprintf("MSH|^~\\&|PAS|%s|NHSKIT|%s|%s||ADT^A01^ADT_A01|M%06d|P|2.5.1\rPID|1||%s^^^NHS^NH\r", g.d.Source, g.d.Source, ts, g.ctl, g.newNHS()))}
		} else {
			m = Message{Trigger: "S12", Refuse: "AE", Data: []byte(fmt.Sprintf("MSH|^~\\&|PAS|%s|NHSKIT|%s|%s||SIU^S12^SIU_S12|M%06d|P|2.5.1\rSCH||AP-BAD%d^PAS\rPID|1||%s^^^NHS^NH\rRGS|1|A\rAIS|1|A|ENT\r", g.d.Source, g.d.Source, ts, g.ctl, g.ctl, g.newNHS()))}
		}
		g.d.Messages = append(g.d.Messages, m)
		g.n++
	}
}

// onSlots are the booked appointments on opened slots.
func (g *gen) onSlots() []string {
	var out []string
	for _, a := range g.booked() {
		if g.appts[a] != "" {
			out = append(out, a)
		}
	}
	return out
}

func (g *gen) newNHS() string {
	for {
		g.nhs++
		if n, ok := nhsid.TestNHSNumber(g.nhs); ok {
			return n.Digits()
		}
	}
}

func (g *gen) newAppt() string {
	a := fmt.Sprintf("AP-%05d", len(g.pid)+1)
	g.pid[a] = g.newNHS()
	return a
}

// emit writes one SIU message; releases is the opened slot it frees.
func (g *gen) emit(trigger, fid, nhs string, c int, start time.Time, status, releases string) {
	g.ctl++
	g.at = g.at.Add(time.Duration(1+g.rng.IntN(120)) * time.Second)
	cl := g.d.Clinics[c]
	ts, st, end := hl7v2.FormatDTM(g.at), start.Format("20060102150405"), start.Add(15*time.Minute).Format("20060102150405")
	var b strings.Builder
	fmt.Fprintf(&b, "MSH|^~\\&|PAS|%s|NHSKIT|%s|%s||SIU^%s^SIU_S12|M%06d|P|2.5.1|||||GBR\r", g.d.Source, g.d.Source, ts, trigger, g.ctl)
	reason := map[string]string{"S12": "BOOK", "S13": "RESCHED", "S14": "MODIFY", "S15": "PATCAN", "S17": "DELETE", "S23": "BLOCK", "S24": "OPEN", "S20": "RESOURCE", "S26": "DNA"}[trigger]
	sch := make([]string, 26)
	sch[2] = fid + "^PAS"
	sch[6] = reason + "^^LOCAL"
	sch[7] = "ROUTINE"
	sch[9], sch[10] = "15", "min"
	sch[16] = cl.Consultant
	sch[25] = status
	b.WriteString("SCH" + strings.Join(sch[:], "|") + "\r")
	fmt.Fprintf(&b, "TQ1|1|||||15^min|%s|%s\r", st, end)
	if trigger == "S14" {
		b.WriteString("NTE|1||Please arrive ten minutes early\r")
	}
	if nhs != "" {
		fmt.Fprintf(&b, "PID|1||%s^^^NHS^NH\r", nhs)
	}
	action := "A"
	if trigger == "S20" {
		action = "D"
	}
	fmt.Fprintf(&b, "RGS|1|A\rAIS|1|A|%s^%s clinic^LOCAL|%s|||15|min\rAIL|1|A|%s^%s^^%s\rAIP|1|A|%s\r", cl.Service, cl.Service, st, cl.Location, cl.Room, g.d.Source, cl.Consultant)
	if trigger == "S20" {
		fmt.Fprintf(&b, "AIG|1|%s|SCOPE^Scope^LOCAL|EQUIP\r", action)
	}
	g.d.Messages = append(g.d.Messages, Message{Data: []byte(b.String()), Trigger: trigger, Releases: releases})
	g.n++
}

// Booked returns the appointments booked at the end of the day, sorted.
func (d *Day) Booked() []string {
	var out []string
	for _, a := range d.Open {
		if a != "" {
			out = append(out, a)
		}
	}
	for a := range d.Outside {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}
