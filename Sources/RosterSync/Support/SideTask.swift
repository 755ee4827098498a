import Dispatch

/// Work started on another thread now, its result taken with `wait()`: how the planner uses
/// the machine's second core for a part that does not depend on the rest (slapd has finished
/// its part by then). Still no I/O: only computation moves.
final class SideTask<T: Sendable>: @unchecked Sendable {
    // @unchecked: `result` is written once by the worker before `done` is signalled, and read
    // only after `wait()` has seen the signal.
    private var result: T?
    private let done = DispatchSemaphore(value: 0)

    init(_ work: @escaping @Sendable () -> T) {
        DispatchQueue.global().async {
            self.result = work()
            self.done.signal()
        }
    }

    /// The result, once the work is done. Call it once.
    func wait() -> T {
        done.wait()
        return result!
    }
}
