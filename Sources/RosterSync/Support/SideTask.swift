import Dispatch

/// Work started on another thread now, its result taken with `wait()`: how the rosters are
/// read while the directory is, and how the planner uses the machine's second core for a part
/// that does not depend on the rest. Only computation moves; `wait()` may be called again.
public final class SideTask<T: Sendable, Failure: Error>: @unchecked Sendable {
    // @unchecked: `result` is written once by the worker before `done` is signalled, and read
    // only after `wait()` has seen the signal.
    private var result: Result<T, Failure>?
    private let done = DispatchSemaphore(value: 0)

    /// Work that cannot fail: `wait()` needs no `try`.
    public init(_ work: @escaping @Sendable () -> T) where Failure == Never {
        DispatchQueue.global().async {
            self.result = .success(work())
            self.done.signal()
        }
    }

    public init(_ work: @escaping @Sendable () throws -> T) where Failure == any Error {
        DispatchQueue.global().async {
            self.result = Result { try work() }
            self.done.signal()
        }
    }

    /// The result, once the work is done.
    public func wait() throws(Failure) -> T {
        done.wait()
        done.signal()  // a second wait() returns at once
        return try result!.get()
    }
}
