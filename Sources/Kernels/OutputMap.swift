import CKernels

/// What a convolution does to each value as it writes its output: add the channel's bias, and,
/// when a BatchNorm in evaluation mode and a ReLU follow it, apply them in the same pass.
///
/// Why: in evaluation BatchNorm is a fixed per-channel map, y = (x - mean) * scale + shift, so
/// applying it (and the ReLU) while the output is still in registers saves two passes over every
/// activation. The arithmetic is the separate layers' arithmetic, in the same order, so the
/// numbers are identical (tested in KernelTests).
package struct OutputMap {
    package var bias: UnsafePointer<Float>? = nil
    /// BatchNorm's evaluation-mode map, per output channel.
    package var affine: (mean: [Float], scale: [Float], shift: [Float])? = nil
    package var relu = false

    package static var identity: OutputMap { OutputMap() }

    /// The constants for output channel `o`.
    @inline(__always)
    func channel(_ o: Int) -> ChannelMap {
        ChannelMap(bias: bias?[o] ?? 0, mean: affine?.mean[o] ?? 0, scale: affine?.scale[o] ?? 1,
                   shift: affine?.shift[o] ?? 0, hasAffine: affine != nil, relu: relu)
    }

    package init(bias: UnsafePointer<Float>? = nil, affine: (mean: [Float], scale: [Float], shift: [Float])? = nil,
                 relu: Bool = false) {
        (self.bias, self.affine, self.relu) = (bias, affine, relu)
    }
}

/// One output channel's share of an `OutputMap`.
struct ChannelMap {
    let bias: Float, mean: Float, scale: Float, shift: Float
    let hasAffine: Bool, relu: Bool

    /// The same constants for the C kernels (CKernels.h), which apply them in the same order.
    var c: ck_channel_map {
        ck_channel_map(bias: bias, mean: mean, scale: scale, shift: shift, affine: hasAffine ? 1 : 0, relu: relu ? 1 : 0)
    }

    @inline(__always)
    func apply(_ value: Float) -> Float {
        var v = value + bias
        if hasAffine { v = (v - mean) * scale + shift }
        if relu && v < 0 { v = 0 }   // NaN is not below zero: it stays NaN, as torch.relu
        return v
    }

    // Two concrete vector widths rather than one generic over SIMD: the generic version was not
    // specialised in the debug build and made evaluation 40x slower there.
    @inline(__always)
    func apply(_ value: SIMD4<Float>) -> SIMD4<Float> {
        var v = value + bias
        if hasAffine { v = (v - mean) * scale + shift }
        if relu { v.replace(with: 0, where: v .< 0) }
        return v
    }

    @inline(__always)
    func apply(_ value: SIMD8<Float>) -> SIMD8<Float> {
        var v = value + bias
        if hasAffine { v = (v - mean) * scale + shift }
        if relu { v.replace(with: 0, where: v .< 0) }
        return v
    }
}
