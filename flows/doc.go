// Package flows is the conversation engine and every member flow of the bot:
// onboarding (/start), reporting (/baocao), the member's own reports
// (/cuatoi), the emulation standing (/thidua), help, cancel and language.
//
// It is split in two layers, following nyaruka/goflow:
//
//   - The engine (engine.go and the step_*.go files, one per step type) does
//     no I/O. It takes a Session and one Input and returns the replies and the
//     changed Session; time and ids are passed in. Report flows are generated
//     from the report kinds of the campaign data, so a new campaign can add a
//     kind without code.
//   - The Service (service.go and the command files) does the I/O around one
//     engine turn: it identifies the sender in the store, loads the chat's
//     session with its version, runs the turn, saves it with compare-and-set,
//     writes what the turn decided (a confirmed report, a linked identity) and
//     sends the replies.
//
// Sessions are plain structs serialised as JSON with a version field ("v"),
// so a deploy that changes a flow does not break sessions in flight: a
// session the running code cannot read is dropped with a message offering to
// start the report again.
package flows
