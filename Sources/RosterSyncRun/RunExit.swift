/// How a run ends when it does not succeed, as the process's exit status. The executable
/// turns it into `exit(code)`; whatever had to be said was logged before it was thrown.
package struct RunExit: Error, Sendable, Equatable {
    package let code: Int32
    package init(_ code: Int32) { self.code = code }

    /// An error before any write, or a failed check.
    package static let failure = RunExit(1)
    /// A safety threshold tripped; nothing was written.
    package static let threshold = RunExit(3)
    /// Some changes failed or went unanswered; the others were applied.
    package static let partial = RunExit(4)
}
