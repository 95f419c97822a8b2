import Foundation
import Testing
@testable import Core

/// PyTorch's reference tensors in Tests/CoreTests/Fixtures, written by pytorch/fixtures/generate.py (see Fixtures/README.md).
enum Fixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    static func load(_ name: String) throws -> StateDict {
        try Safetensors.read(path(name + ".safetensors")).0
    }
}

extension StateDict {
    /// A fixture tensor that must exist.
    func require(_ key: String) throws -> Tensor {
        try #require(self[key], "fixture has no tensor '\(key)'")
    }

    /// Integer labels stored as int64 (read as floats).
    func labels(_ key: String) throws -> [Int] {
        try require(key).scalars.map { Int($0) }
    }

    /// The entries whose keys start with `prefix.`, with the prefix removed.
    func withPrefix(_ prefix: String) -> StateDict {
        var out = StateDict()
        for (key, tensor, dtype) in entries where key.hasPrefix(prefix + ".") {
            out.set(String(key.dropFirst(prefix.count + 1)), tensor, dtype: dtype)
        }
        return out
    }
}

/// Largest absolute difference divided by the largest magnitude of the reference.
func relativeError(_ actual: Tensor, _ expected: Tensor) -> Float {
    precondition(actual.count == expected.count, "compare: \(actual.shape) vs \(expected.shape)")
    var worst: Float = 0, scale: Float = 0
    for i in 0..<expected.count {
        worst = max(worst, abs(actual.data[i] - expected.data[i]))
        scale = max(scale, abs(expected.data[i]))
    }
    return worst / max(scale, 1e-30)
}

/// Expects `actual` to match PyTorch's `expected` within `tolerance` relative error.
func expectClose(_ actual: Tensor?, _ expected: Tensor, tolerance: Float = 1e-5, _ what: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    guard let actual else {
        Issue.record("\(what): no tensor", sourceLocation: sourceLocation)
        return
    }
    #expect(actual.shape == expected.shape || actual.count == expected.count,
            "\(what): shape \(actual.shape) vs \(expected.shape)", sourceLocation: sourceLocation)
    let error = relativeError(actual, expected)
    #expect(error <= tolerance, "\(what): relative error \(error) > \(tolerance)", sourceLocation: sourceLocation)
}

/// A fresh folder under the system's temporary directory.
func temporaryFolder(_ prefix: String = "core-tests") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Expects `body` to throw a short error (at most `maxLines` lines) whose message contains every
/// one of `needles`; returns the message.
@discardableResult
func expectFailure(_ needles: String..., maxLines: Int = 4, sourceLocation: SourceLocation = #_sourceLocation,
                   _ body: () throws -> Void) -> String {
    do {
        try body()
        Issue.record("expected an error mentioning \(needles)", sourceLocation: sourceLocation)
        return ""
    } catch {
        let message = "\(error)"
        for needle in needles {
            #expect(message.contains(needle), "message was: \(message)", sourceLocation: sourceLocation)
        }
        #expect(message.split(separator: "\n").count <= maxLines, "a short message: \(message)", sourceLocation: sourceLocation)
        return message
    }
}

/// Expects every float entry of `state` within 3x PyTorch's own float32-vs-float64 drift of
/// `expected` (the twenty-step fixture's bound; `drift` from its meta.json, 1e-3 where absent).
func expectStateWithinDrift(_ state: StateDict, _ expected: StateDict, drift: [String: Double],
                            sourceLocation: SourceLocation = #_sourceLocation) throws {
    for (key, reference, _) in expected.entries where !key.hasSuffix("num_batches_tracked") {
        let actual = try #require(state[key], sourceLocation: sourceLocation)
        var worst: Float = 0
        for i in 0..<reference.count { worst = max(worst, abs(actual.data[i] - reference.data[i])) }
        let bound = 3 * (drift[key] ?? 1e-3) + 1e-5
        #expect(Double(worst) <= bound, "\(key): max difference \(worst) > \(bound)", sourceLocation: sourceLocation)
    }
}

/// Gives each test its own default generator, seeded 0 (see `Random`): tests run side by side,
/// and one test's draws never shift another's.
struct OwnGenerator: SuiteTrait, TestTrait, TestScoping {
    var isRecursive: Bool { true }

    func provideScope(for test: Test, testCase: Test.Case?,
                      performing function: @Sendable () async throws -> Void) async throws {
        try await Random.withSeed(0) { try await function() }
    }
}

extension Trait where Self == OwnGenerator {
    /// `@Suite(.ownGenerator)`: every test of the suite draws from a generator of its own.
    static var ownGenerator: Self { OwnGenerator() }
}

/// Runs `body` with the engine's fusion of consecutive operations on or off (KernelOptions.fusion).
func withFusion<T>(_ on: Bool, _ body: () throws -> T) rethrows -> T {
    var options = KernelOptions.current
    options.fusion = on
    return try KernelOptions.with(options, body)
}
