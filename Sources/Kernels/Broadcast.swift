extension Kernels {
    /// Strides that read `shape` as if it had been broadcast to `target` (0 along stretched axes).
    package static func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
        let own = Shape.strides(shape)
        let offset = target.count - shape.count
        return (0..<target.count).map { axis in
            axis < offset || shape[axis - offset] == 1 ? 0 : own[axis - offset]
        }
    }

    /// Visits every element of a tensor of shape `outShape` in row-major order, handing `body`
    /// the flat output index and the matching flat indices into two broadcast operands.
    package static func forEachBroadcast(_ outShape: [Int], _ stridesA: [Int], _ stridesB: [Int],
                                 _ body: (_ out: Int, _ a: Int, _ b: Int) -> Void) {
        let total = Shape.count(outShape)
        guard total > 0 else { return }
        let rank = outShape.count
        var index = [Int](repeating: 0, count: rank)
        var offsetA = 0, offsetB = 0
        for flat in 0..<total {
            body(flat, offsetA, offsetB)
            // Advance the multi-index like an odometer, keeping both offsets in step.
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                offsetA += stridesA[axis]
                offsetB += stridesB[axis]
                if index[axis] < outShape[axis] { break }
                offsetA -= stridesA[axis] * outShape[axis]
                offsetB -= stridesB[axis] * outShape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }
}
