// Package remind schedules and sends appointment reminders, durably and
// exactly once: for each booked appointment, reminders at configured
// offsets before it on the Europe/London wall clock, moved out of quiet
// hours, through the routing plan that suits the patient's channel
// preferences, cancelled or moved when the appointment is cancelled or
// rescheduled; and a reply of "cancel" releases the slot to the waiting
// list.
//
//	s, err := remind.New(remind.Config{
//		Rules:    remind.Rules{Plans: []remind.Plan{{RoutingPlanID: plan, Channels: []notify.ChannelType{notify.NHSApp, notify.SMS}}}},
//		Store:    remind.NewMemoryStore(), // or waitlist/remind/pgstore, shared by every instance
//		Sender:   remind.NotifySender{Client: notifyClient},
//		Releaser: remind.LedgerReleaser{Ledger: ledger},
//	})
//	s.Schedule(ctx, remind.Appointment{ID: booking.ID, NHSNumber: nhs, Start: start})
//	go s.Run(ctx, time.Minute)
//
// [Scheduler.ConsumeLedger] keeps reminders in step with a booking.Ledger
// (booked, rescheduled, cancelled) without the caller calling Schedule and
// Cancel itself.
//
// Planning ([Rules.Plan]) is pure and takes now. Sending goes through a
// [Sender]; the engine makes no call of its own. Exactly once: every
// reminder has a fixed id, sent as NHS Notify's messageReference, and a
// [Store] leases each due reminder to one instance at a time (Claim);
// an instance that dies mid-send leaves a lease that expires, the next
// instance sends the same reference again, and NHS Notify answers a
// repeated reference 422 CM_DUPLICATE_REQUEST without sending it
// (NotifySender counts that as sent). So however many instances run and
// whichever dies, the patient gets each reminder once. A reminder whose
// time has come too close to the appointment (MinNotice) is skipped, not
// sent late.
//
// Replies come as NHS Notify recipient responses: a recipient answers an
// NHS App message with one of its keywords (free text is not supported),
// and notify.ResponseHandler hands over the response, whose
// messageReference is the reminder's id; pass [ReplyFromResponse] of it
// to [Scheduler.HandleReply]. Replies from other channels (an SMS
// provider's inbound messages) go the same way with the reminder's id.
//
// # Facts relied on
//
//   - Europe/London changes between GMT and BST at 01:00 UTC on the last
//     Sundays of March and October (the Summer Time Order; the IANA tz
//     database that Go's time package reads).
//   - NHS Notify de-duplicates by messageReference: "If you send the same
//     value through multiple times only one of the requests will be
//     actioned"; a repeat is 422 CM_DUPLICATE_REQUEST (NHS Notify API
//     specification, schemas/requests/CreateMessage.yaml and
//     responses/4xx/messages/422_DuplicateMessageRequest.yaml, read from
//     ../shared/notify). It keeps references for 9 months.
//   - The global free-text routing plans and their channels (NHS Notify
//     API specification, "Enable users to write and send messages from
//     your software").
package remind
