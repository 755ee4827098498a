/// A password or other secret. It prints as `<redacted>` in every description, string
/// interpolation and dump, so it cannot reach a log, a plan or the audit by accident; the
/// bytes are reached only through `withBytes`/`reveal()` where a protocol needs them.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    private let bytes: [UInt8]

    public init(_ value: String) { self.bytes = Array(value.utf8) }
    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: []) }
    public var isEmpty: Bool { bytes.isEmpty }

    public func withBytes<R>(_ body: ([UInt8]) throws -> R) rethrows -> R { try body(bytes) }
    /// The secret as text, for the one place that must write it (a notice file, mode 0600).
    public func reveal() -> String { String(decoding: bytes, as: UTF8.self) }
}
