import Foundation

/// The project's seeded random number generator (xoshiro256**, seeded through SplitMix64).
///
/// Every random draw in the engine (initial weights, dropout masks, shuffling) comes from a
/// `Generator`, so the same seed gives the same run. It does not reproduce `torch.manual_seed`'s
/// exact values; it reproduces PyTorch's *distributions*.
public final class Generator: RandomNumberGenerator {
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

/// The process-wide default generator, like PyTorch's global one; `manualSeed` resets it.
public enum Random {
    nonisolated(unsafe) public static var global = Generator(seed: 0)

    /// Reseeds the default generator, as `torch.manual_seed(seed)` does.
    public static func manualSeed(_ seed: UInt64) {
        global = Generator(seed: seed)
    }
}
