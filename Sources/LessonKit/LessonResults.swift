import Foundation
import Core

/// The numbers a lesson states and the verdicts it reaches, written beside its report as
/// `results.json`, so that every sentence about what happened can be checked against what was
/// measured (by a reader, by `AllLessons`' index, by the end-to-end test).
///
///     lesson.results.record("test_accuracy", 0.9912)
///     lesson.results.verdict("stalled", stalled)
///     lesson.results.takeaway = "Residual blocks pass 2.4x more gradient to their input."
public final class LessonResults {
    /// Measured numbers (and the settings they were measured with), by name.
    public private(set) var numbers: [String: ResultValue] = [:]
    /// Each decision the narration took from the numbers (`stalled`, `vanishes`, `within_noise`).
    public private(set) var verdicts: [String: Bool] = [:]
    /// The lesson's conclusion in a sentence or two, as this run supports it.
    public var takeaway: String?

    public init() {}

    public func record(_ name: String, _ value: ResultValue) { numbers[name] = value }
    public func record(_ name: String, _ value: Double) { numbers[name] = .number(value) }
    public func record(_ name: String, _ value: Int) { numbers[name] = .integer(value) }
    public func record(_ name: String, _ values: [Double]) { numbers[name] = .list(values.map(ResultValue.number)) }
    public func record(_ name: String, _ values: [Int]) { numbers[name] = .list(values.map(ResultValue.integer)) }
    public func record(_ name: String, _ text: String) { numbers[name] = .text(text) }

    public func verdict(_ name: String, _ value: Bool) { verdicts[name] = value }

    /// The JSON text: `{"lesson": ..., "numbers": {...}, "verdicts": {...}, "takeaway": ...}`, keys sorted.
    public func json(lesson: String) throws -> Data {
        struct File: Encodable {
            let lesson: String
            let numbers: [String: ResultValue]
            let verdicts: [String: Bool]
            let takeaway: String?
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(File(lesson: lesson, numbers: numbers, verdicts: verdicts, takeaway: takeaway))
    }
}

/// One recorded value: a number, a whole number, text, a list or a table of them.
public enum ResultValue: Codable, Equatable, Sendable {
    case number(Double)
    case integer(Int)
    case text(String)
    case flag(Bool)
    case list([ResultValue])
    case object([String: ResultValue])

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        // JSON has no NaN or infinity: an unmeasurable number is written as null.
        case .number(let value): if value.isFinite { try container.encode(value) } else { try container.encodeNil() }
        case .integer(let value): try container.encode(value)
        case .text(let value): try container.encode(value)
        case .flag(let value): try container.encode(value)
        case .list(let values): try container.encode(values)
        case .object(let values): try container.encode(values)
        }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int.self) { self = .integer(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(Bool.self) { self = .flag(value) }
        else if let value = try? container.decode(String.self) { self = .text(value) }
        else if let values = try? container.decode([ResultValue].self) { self = .list(values) }
        else if container.decodeNil() { self = .number(.nan) }
        else { self = .object(try container.decode([String: ResultValue].self)) }
    }
}
