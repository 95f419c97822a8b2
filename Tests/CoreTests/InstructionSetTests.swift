import Foundation
import Testing
@testable import Core
@testable import Kernels

/// The C kernels' instruction-set paths (Sources/CKernels, InstructionSet.swift): the dispatcher's
/// choice, the refusal of a path the processor lacks, and every path this processor has against
/// the baseline.
///
/// Bound: zero. Every path does the same float operations in the same order (FMA contraction is
/// off, sums keep eight double lanes whatever the register width; CKernels.h), so the wider paths
/// must agree with the baseline bit for bit, NaN payloads and signed zeros included. Outputs are
/// compared as bit patterns, over whole buffers pre-filled with a sentinel NaN, so a path that
/// writes a value the baseline does not (or misses one) fails too.
@Suite(.ownGenerator) struct InstructionSetTests {
    /// The paths compared with the baseline: every wider one this processor has.
    let widerPaths = InstructionSet.available.filter { $0 != .baseline }

    /// Runs `body` with the C kernels on `isa`.
    func on<T>(_ isa: InstructionSet, _ body: () throws -> T) throws -> T {
        var options = KernelOptions.current
        try options.setInstructionSet(isa)
        return try KernelOptions.with(options, body)
    }

    /// `count` normal random floats, with a NaN, a negative zero and infinities where they fit
    /// (the ReLU loops must keep NaN and treat -0 as not below zero on every path).
    func randomFloats(_ count: Int, _ generator: Generator, specials: Bool = false) -> [Float] {
        var values = count == 0 ? [] : Tensor.randn([count], generator: generator).scalars
        if specials {
            for (i, special) in [Float.nan, -0.0, .infinity, -.infinity].enumerated() where 3 * i < count {
                values[3 * i] = special
            }
        }
        return values
    }

    /// Bit patterns, so that NaN equals NaN and -0 differs from +0.
    func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }
    func bits(_ values: [Double]) -> [UInt64] { values.map(\.bitPattern) }

    /// Where two runs differ, said briefly (nil when they agree bit for bit): printing whole
    /// buffers on a failure took longer than the test.
    func difference<Bits: Equatable>(_ a: [[Bits]], _ b: [[Bits]]) -> String? {
        guard a.count == b.count else { return "\(a.count) outputs against \(b.count)" }
        for (k, (x, y)) in zip(a, b).enumerated() where x != y {
            guard x.count == y.count else { return "output \(k): \(x.count) values against \(y.count)" }
            let diffs = zip(x, y).enumerated().filter { $0.element.0 != $0.element.1 }
            let (i, (p, q)) = diffs[0]
            return "output \(k): \(diffs.count) of \(x.count) values differ, first at \(i): bits \(p) against \(q)"
        }
        return nil
    }

    /// A buffer of `count` sentinel NaNs (a payload no kernel produces), filled by `body`.
    func written(_ count: Int, _ body: (UnsafeMutablePointer<Float>) -> Void) -> [UInt32] {
        var buffer = [Float](repeating: Float(bitPattern: 0x7fc0_1234), count: count)
        buffer.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
        return bits(buffer)
    }

    // MARK: The dispatcher

    /// The choice from the /proc/cpuinfo flags: a path needs all of its features (AVX2 without
    /// FMA, or AVX-512 F without BW, is not enough), and the widest such path wins.
    @Test func dispatcherChoosesTheWidestCompletePath() {
        let avx512: Set<Substring> = ["sse2", "avx", "avx2", "fma", "avx512f", "avx512vl", "avx512bw", "avx512dq"]
        #if arch(x86_64)
        let cases: [(Set<Substring>, InstructionSet)] = [
            ([], .baseline), (["sse2", "avx"], .baseline), (["avx2"], .baseline), (["fma"], .baseline),
            (["avx2", "fma"], .avx2), (["avx2", "fma", "avx512f"], .avx2),
            (avx512.subtracting(["avx512bw"]), .avx2), (avx512.subtracting(["avx512dq"]), .avx2),
            (avx512.subtracting(["avx512vl"]), .avx2), (avx512, .avx512),
            (avx512.subtracting(["fma"]), .baseline),
        ]
        for (flags, expected) in cases {
            #expect(InstructionSet.best(for: flags) == expected, "\(flags.sorted())")
        }
        #expect(InstructionSet.supported(by: avx512) == [.baseline, .avx2, .avx512])
        #else
        // Off x86-64 the C code has only its baseline instance, whatever the flags say.
        #expect(InstructionSet.best(for: avx512) == .baseline)
        #endif
        // The default is the best this processor has.
        #expect(KernelOptions().instructionSet == InstructionSet.best(for: Processor.flags))
        #expect(InstructionSet.available == InstructionSet.supported(by: Processor.flags))
    }

    /// A path the processor lacks is refused with the missing features named, and the options
    /// keep their path; a path it has is taken.
    @Test func missingFeaturesAreRefused() throws {
        let error = try #require(throws: UnsupportedInstructionSet.self) {
            try InstructionSet.avx512.check(against: ["avx2", "fma", "avx512f"])
        }
        #if arch(x86_64)
        #expect(error.missing == ["avx512vl", "avx512bw", "avx512dq"])
        #expect(error.description.contains("lacks avx512vl, avx512bw, avx512dq"), "\(error)")
        #endif
        #expect(throws: UnsupportedInstructionSet.self) { try InstructionSet.avx2.check(against: ["avx2"]) }
        try InstructionSet.baseline.check(against: [])

        var options = KernelOptions()
        let before = options.instructionSet
        for isa in InstructionSet.allCases where !InstructionSet.available.contains(isa) {
            #expect(throws: UnsupportedInstructionSet.self) { try options.setInstructionSet(isa) }
            #expect(options.instructionSet == before)
        }
        for isa in InstructionSet.available {
            try options.setInstructionSet(isa)
            #expect(options.instructionSet == isa)
        }
    }

    // MARK: Winograd transforms

    /// The input transform of both tiles, on sides that leave partial tiles (odd sides), single
    /// pixels, and rows whose tiles fall into every step the C code takes (8 tiles, 4 tiles,
    /// single tiles): 13 tiles (width 26) and 15 (width 60) are 8 + 4 + the rest; long rows too.
    @Test(arguments: [(1, 1), (2, 3), (3, 5), (7, 9), (4, 4), (16, 16), (32, 32), (5, 20), (3, 26), (5, 60),
                      (6, 132), (4, 260), (2, 516)])
    func winogradInputTransformsAgree(_ side: (Int, Int)) throws {
        let (h, w) = side
        let (images, channels) = (2, 3)
        let x = randomFloats(images * channels * h * w, Generator(seed: UInt64(h * 1000 + w)))
        for tile in [WinogradTile.f2, .f4] {
            let size = tile.outputSize
            let tiles = images * ((h + size - 1) / size) * ((w + size - 1) / size)
            let planeStride = channels * tiles + 3   // slack the kernels must leave alone
            func run(_ isa: InstructionSet) throws -> [UInt32] {
                try on(isa) {
                    written(tile.positions * planeStride) { v in
                        Kernels.winogradInputTransform(x, images: images, channels: channels, height: h, width: w,
                                                       tile: tile, v, planeStride: planeStride)
                    }
                }
            }
            let baseline = try run(.baseline)
            for isa in widerPaths {
                #expect(difference([try run(isa)], [baseline]) == nil, "\(isa) input transform \(tile) \(h)x\(w)")
            }
        }
    }

    /// The output maps the convolutions write through: none, a bias, BatchNorm's evaluation map,
    /// with and without the ReLU.
    func outputMaps(_ channels: Int, _ generator: Generator, bias: UnsafePointer<Float>) -> [OutputMap] {
        let affine = (mean: randomFloats(channels, generator), scale: randomFloats(channels, generator),
                      shift: randomFloats(channels, generator))
        return [OutputMap(), OutputMap(bias: bias), OutputMap(relu: true), OutputMap(bias: bias, affine: affine),
                OutputMap(bias: bias, affine: affine, relu: true)]
    }

    /// A whole Winograd convolution (input transform, the same GEMMs, output transform through
    /// each map) per path. F(2x2, 3x3) on odd sides (clipped edge tiles) and more than 64 tiles
    /// per row; F(4x4, 3x3) on its sides, multiples of 4; planes of more than the 64 tiles the
    /// output transforms take per step, with steps that end inside a row (130 and 65 tiles).
    @Test(arguments: [(WinogradTile.f2, 1, 1), (.f2, 5, 7), (.f2, 8, 8), (.f2, 3, 130), (.f2, 32, 32),
                      (.f4, 4, 4), (.f4, 8, 12), (.f4, 12, 36), (.f4, 16, 16), (.f4, 4, 260), (.f4, 32, 32)])
    func winogradConvolutionsAgree(_ setting: (WinogradTile, Int, Int)) throws {
        let (tile, h, w) = setting
        let (n, c, o) = (2, 3, 5)
        let generator = Generator(seed: UInt64(h * 1000 + w))
        let x = randomFloats(n * c * h * w, generator), weights = randomFloats(o * c * 9, generator)
        let bias = randomFloats(o, generator)
        let geometry = ConvGeometry(batch: n, inChannels: c, height: h, width: w, outChannels: o,
                                    kernelH: 3, kernelW: 3, stride: 1, padding: 1)
        try bias.withUnsafeBufferPointer { bias in
            for (index, map) in outputMaps(o, generator, bias: bias.baseAddress!).enumerated() {
                func run(_ isa: InstructionSet) throws -> [UInt32] {
                    try on(isa) {
                        written(n * o * h * w) { y in Kernels.winogradForward(x, weights, map: map, y, geometry, tile: tile) }
                    }
                }
                let baseline = try run(.baseline)
                #expect(!baseline.contains(0x7fc0_1234), "every output written")
                for isa in widerPaths {
                    #expect(difference([try run(isa)], [baseline]) == nil, "\(isa) convolution \(tile) \(h)x\(w), map \(index)")
                }
            }
        }
    }

    // MARK: BatchNorm

    /// Planes of 1 to 100 values (tails of 1 to 7 after the 8-lane loops) and one of 32x32,
    /// with and without the fused ReLU.
    @Test(arguments: [1, 3, 7, 8, 9, 15, 17, 33, 100, 1024])
    func batchNormLoopsAgree(_ spatial: Int) throws {
        let layout = ChannelLayout(batch: 3, channels: 4, spatial: spatial)
        let count = layout.batch * layout.channels * spatial
        let generator = Generator(seed: UInt64(spatial))
        let x = randomFloats(count, generator), gy = randomFloats(count, generator)
        let reluOutput = randomFloats(count, generator).map { max($0, 0) }   // zeros where the ReLU cut
        let (mean, scale, shift) = (randomFloats(4, generator), randomFloats(4, generator), randomFloats(4, generator))

        func run(_ isa: InstructionSet) throws -> [[UInt64]] {
            try on(isa) {
                var (mu, variance) = ([Double](repeating: 0, count: 4), [Double](repeating: 0, count: 4))
                Kernels.channelMoments(x, layout, mean: &mu, variance: &variance)
                let plain = Kernels.channelGradSums(x, gy, layout, mean: mean, invstd: scale)
                let masked = Kernels.channelGradSums(x, gy, layout, mean: mean, invstd: scale, reluOutput: reluOutput)
                return [bits(mu), bits(variance), bits(plain.sumGy), bits(plain.sumGyXhat),
                        bits(masked.sumGy), bits(masked.sumGyXhat)]
            }
        }
        func affine(_ isa: InstructionSet, relu: Bool) throws -> [UInt32] {
            try on(isa) {
                written(count) { Kernels.channelAffine(x, $0, layout, mean: mean, scale: scale, shift: shift, relu: relu) }
            }
        }
        let baseline = try run(.baseline)
        for isa in widerPaths {
            #expect(difference(try run(isa), baseline) == nil, "\(isa) moments and gradient sums, spatial \(spatial)")
            for relu in [false, true] {
                #expect(difference([try affine(isa, relu: relu)], [try affine(.baseline, relu: relu)]) == nil,
                        "\(isa) affine relu \(relu), spatial \(spatial)")
            }
        }
    }

    // MARK: Elementwise

    /// Lengths around the vector widths (4, 8, 16) and long enough to be split over the threads
    /// at an odd boundary; NaN, -0 and infinities among the values.
    @Test(arguments: [0, 1, 7, 8, 15, 16, 17, 31, 33, 100, 70_001])
    func elementwiseLoopsAgree(_ count: Int) throws {
        let generator = Generator(seed: UInt64(count))
        let a = randomFloats(count, generator, specials: true), b = randomFloats(count, generator, specials: true)
        func run(_ isa: InstructionSet) throws -> [[UInt32]] {
            try on(isa) {
                [written(count) { Kernels.relu(a, $0, count: count) },
                 written(count) { Kernels.reluBackward(a, b, $0, count: count) },
                 written(count) { Kernels.addReLU(a, b, $0, count: count) },
                 written(count) { sum in
                     sum.update(from: a, count: count)
                     Kernels.addInPlace(sum, b, count: count)
                 },
                 written(count) { Kernels.add(a, b, $0, count: count) }]
            }
        }
        let baseline = try run(.baseline)
        #expect(baseline[4] == baseline[3], "a + b written out of place is the sum made in place")
        for isa in widerPaths {
            #expect(difference(try run(isa), baseline) == nil, "\(isa) elementwise (relu, its backward, add + relu, add in place, add), count \(count)")
        }
    }

    // MARK: A whole network

    /// ResNet-18 of the lesson, batch 2: a training step's logits, loss and every gradient, then
    /// the evaluation forward (fused BatchNorm + ReLU, F(4x4, 3x3) tiles), per path. The same
    /// weights each time (one seed), so only the kernels' path differs.
    @Test func resNet18AgreesOnEveryPath() throws {
        let x = Tensor.randn([2, 1, 32, 32], generator: Generator(seed: 11))
        func run(_ isa: InstructionSet) throws -> [[UInt32]] {
            try on(isa) {
                let model = Random.withSeed(5) { ResNet18() }
                model.train()
                let logits = model(x)
                let loss = CrossEntropyLoss()(logits, [3, 7])
                loss.backward()
                model.eval()
                let evaluation = noGrad { model(x) }
                return [bits(logits.scalars), bits(loss.scalars), bits(evaluation.scalars)]
                    + model.namedParameters().map { bits($0.tensor.grad?.scalars ?? []) }
            }
        }
        let baseline = try run(.baseline)
        #expect(baseline.count > 3)
        for isa in widerPaths {
            // Outputs 0, 1, 2: training logits, loss, evaluation logits; then the parameters' gradients.
            #expect(difference(try run(isa), baseline) == nil, "\(isa) ResNet-18")
        }
    }
}
