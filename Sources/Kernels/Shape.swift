/// Helpers on shapes, which are plain `[Int]` as in PyTorch's `tensor.shape`.
public enum Shape {
    /// Number of elements of a tensor of this shape.
    @inlinable public static func count(_ shape: [Int]) -> Int { shape.reduce(1, *) }

    /// Row-major strides: how far to step in memory for one step along each axis.
    public static func strides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var step = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = step
            step *= shape[axis]
        }
        return strides
    }

    /// The shape two operands broadcast to, following NumPy/PyTorch rules (align on the right,
    /// a size of 1 stretches). Stops with both shapes named when they cannot broadcast.
    public static func broadcast(_ a: [Int], _ b: [Int], op: String) -> [Int] {
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            precondition(da == db || da == 1 || db == 1,
                         "\(op): shapes \(a) and \(b) cannot be broadcast together")
            out[i] = da == 1 ? db : da
        }
        return out
    }

    /// Resolves one `-1` in a requested shape from the element count, as `view(-1, 512)` does.
    public static func resolve(_ requested: [Int], count: Int) -> [Int] {
        let unknown = requested.filter { $0 == -1 }.count
        precondition(unknown <= 1, "reshape: only one dimension may be -1, got \(requested)")
        if unknown == 0 {
            precondition(Shape.count(requested) == count,
                         "reshape: shape \(requested) holds \(Shape.count(requested)) elements, the tensor has \(count)")
            return requested
        }
        let known = requested.filter { $0 != -1 }.reduce(1, *)
        precondition(known > 0 && count % known == 0,
                     "reshape: cannot infer -1 in \(requested) for \(count) elements")
        return requested.map { $0 == -1 ? count / known : $0 }
    }

    /// PyTorch-style text for a shape: `[1, 64, 32, 32]`.
    public static func text(_ shape: [Int]) -> String {
        "[" + shape.map(String.init).joined(separator: ", ") + "]"
    }
}
