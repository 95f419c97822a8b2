/// An error the engine reports to a person: one message that says what happened and what to do.
/// Lessons and tools print `description` and exit with a non-zero status.
public struct CoreError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public init(message: String) { self.message = message }
    public var description: String { message }
}
