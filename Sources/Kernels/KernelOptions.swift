/// Which of the engine's equivalent paths the kernels take. Every choice gives the same numbers
/// within the bounds the parity tests state; the switches exist so that tests can compare a fast
/// path with the plain one, and benchmarks can time one on purpose.
///
/// Scoped, not process-wide: `KernelOptions.with(options) { ... }` applies to the code inside (in
/// this task), so tests that compare paths can run side by side.
public struct KernelOptions: Sendable {
    /// Operations written one after another inside a forward pass run fused where the engine can
    /// (a ReLU folded into the BatchNorm or the sum before it; in evaluation, BatchNorm and ReLU
    /// into the convolution: see Autograd's DeferredOutput.swift); else each writes its own output.
    public var fusion = true
    /// 3x3 stride-1 convolutions through Winograd's algorithm (else im2col + GEMM).
    public var winograd = true
    /// F(4x4, 3x3) tiles where they pay (else F(2x2, 3x3) everywhere).
    public var largeWinogradTiles = true
    /// 3x3 stride-2 convolutions through the parity-split Winograd path (else im2col + GEMM).
    public var strideTwoWinograd = true
    /// The dedicated 2x2 stride-2 max-pooling loop (else the general window loop).
    public var fastPooling = true
    /// Floats per group of images a Winograd convolution transforms at once (see Winograd.swift).
    public var winogradGroupFloats = 1_048_576
    /// Floats of unfolded im2col matrix per block of images (see Convolution.swift).
    public var im2colBlockFloats = 262_144
    /// The vector instructions of the C kernels (InstructionSet.swift): the widest the processor
    /// has, unless `setInstructionSet` chose another.
    public private(set) var instructionSet = InstructionSet.processorBest

    public init() {}

    /// Runs the C kernels with `isa`; throws `UnsupportedInstructionSet`, and changes nothing, if
    /// this processor cannot run it.
    public mutating func setInstructionSet(_ isa: InstructionSet) throws {
        try isa.check(against: Processor.flags)
        instructionSet = isa
    }

    /// The options in force here.
    @TaskLocal public static var current = KernelOptions()

    /// Runs `body` with `options` in force.
    public static func with<T>(_ options: KernelOptions, _ body: () throws -> T) rethrows -> T {
        try $current.withValue(options) { try body() }
    }
}
