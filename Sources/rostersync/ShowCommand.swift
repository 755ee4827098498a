import ArgumentParser
import Foundation
import RosterSync
import RosterSyncRun

/// `rostersync show PLAN.json`: a plan saved by `plan --out`, printed as `plan` printed it
/// (as `terraform show` does): the same text, JSON or LDIF, byte for byte.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print a plan saved by `plan --out`, as `plan` printed it (reads no directory).",
        discussion: """
            Reads a plan saved with `rostersync plan --out PLAN.json` and prints it in the format \
            asked for, exactly as `plan` printed it in that format: the text grouped by unit that \
            units review, the JSON that `apply` executes, or the LDIF for ldapmodify. Needs no \
            config and touches no directory.

            Exit codes: 0 printed; 1 the file is unreadable or not a plan.
            """)

    @Argument(help: ArgumentHelp("A plan saved by `rostersync plan --out`.", valueName: "PLAN.json"))
    var planFile: String
    @Option(help: "text (grouped by unit), json (for apply and scripts) or ldif (for ldapmodify).")
    var format: PlanFormat = .text

    func run() throws {
        Log.survivePipes()
        let (plan, data) = try Runner.failing(outcome: "nothing was shown") {
            guard let data = FileManager.default.contents(atPath: planFile) else {
                throw Runner.Failure("\(planFile): cannot read the file")
            }
            do {
                return (try Plan.parse(json: data).withAddOrder(of: data), data)
            } catch {
                throw Runner.Failure("\(planFile): \(error)")
            }
        }
        // The saved file is the JSON plan printed: shown as it is, once it reads as a plan.
        if format == .json {
            Log.write(String(decoding: data, as: UTF8.self), to: 1)
        } else {
            Runner.printPlan(plan, format: format)
        }
    }
}
