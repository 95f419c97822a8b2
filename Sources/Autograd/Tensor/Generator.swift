import Foundation

/// The project's seeded random number generator (xoshiro256**, seeded through SplitMix64).
///
/// Every random draw in the engine (initial weights, dropout masks, shuffling) comes from a
/// `Generator`, so the same seed gives the same run. It does not reproduce `torch.manual_seed`'s
/// exact values; it reproduces PyTorch's *distributions*.
///
/// A generator is used by one task at a time (each task draws from its own, see `Random`), which
/// is why it may cross into a task-local value (`@unchecked Sendable`).
public final class Generator: RandomNumberGenerator, @unchecked Sendable {
    /// The four words of xoshiro256** state; saved in training checkpoints so a run can resume.
    public var state: [UInt64]

    public init(seed: UInt64) {
        var splitMix = seed
        state = (0..<4).map { _ in Generator.splitMix64(&splitMix) }
    }

    public init(state: [UInt64]) {
        precondition(state.count == 4 && state.contains { $0 != 0 }, "generator state must be 4 words, not all zero")
        self.state = state
    }

    private static func splitMix64(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always) private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }

    public func next() -> UInt64 {
        let result = Generator.rotl(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = Generator.rotl(state[3], 45)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    public func nextUniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform in [low, high).
    public func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * nextUniform()
    }

    /// Standard normal through the Box-Muller transform (one value per call, for simplicity).
    public func nextNormal() -> Double {
        var u1 = nextUniform()
        while u1 <= .leastNormalMagnitude { u1 = nextUniform() }
        let u2 = nextUniform()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }

    /// A random permutation of 0..<n (Fisher-Yates), as a DataLoader's shuffle uses.
    public func permutation(_ n: Int) -> [Int] {
        var order = Array(0..<n)
        if n < 2 { return order }
        for i in stride(from: n - 1, to: 0, by: -1) {
            let j = Int(next() % UInt64(i + 1))
            order.swapAt(i, j)
        }
        return order
    }
}

/// The default generator, PyTorch's global one: layers draw their initial weights from it, dropout
/// its masks, and a data loader its shuffles, unless given a generator of their own.
///
/// It is scoped, not process-wide: `Random.withSeed(seed) { ... }` gives the code inside (in this
/// task) a generator of its own, so two tests or two runs side by side never draw from each other's.
/// Code outside any scope (a learner's first script) shares one default generator, seeded 0.
public enum Random {
    @TaskLocal private static var scoped: Generator?
    private static let unscoped = Generator(seed: 0)

    /// The generator in force here: the innermost `withSeed` scope's, else the shared default.
    public static var global: Generator { scoped ?? unscoped }

    /// Reseeds the generator in force, as `torch.manual_seed(seed)` does.
    public static func manualSeed(_ seed: UInt64) {
        global.state = Generator(seed: seed).state
    }

    /// Runs `body` with a generator of its own, seeded `seed`, as the default generator.
    public static func withSeed<T>(_ seed: UInt64, _ body: () throws -> T) rethrows -> T {
        try $scoped.withValue(Generator(seed: seed)) { try body() }
    }

    /// The same for asynchronous code (a test that gives each case its own generator).
    public static func withSeed<T>(_ seed: UInt64, _ body: () async throws -> T) async rethrows -> T {
        try await $scoped.withValue(Generator(seed: seed)) { try await body() }
    }
}
