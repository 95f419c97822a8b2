import Autograd

/// The lesson's image transform, done once for the whole dataset:
///
///     transforms.Compose([transforms.Pad(2), transforms.ToTensor(),
///                         transforms.Normalize((mean,), (std,))])
///
/// `Pad(2)` adds a border of two black pixels (28x28 becomes 32x32, the size VGG and ResNet
/// expect after their downsamplings), `ToTensor` divides the bytes by 255, `Normalize` subtracts
/// the mean and divides by the standard deviation. Both divisions are done in float32 in that
/// order, as PyTorch does, so the values are bit-for-bit PyTorch's.
public struct PadNormalize: Sendable {
    public let padding: Int
    public let mean: Float
    public let std: Float

    public init(padding: Int = 2, mean: Float, std: Float) {
        precondition(padding >= 0, "padding cannot be negative (\(padding))")
        self.padding = padding
        self.mean = mean
        self.std = std
    }

    /// The lesson's transform for a dataset: `Pad(2)` and the dataset's own mean and std.
    public init(for kind: DatasetKind) {
        self.init(padding: 2, mean: kind.mean, std: kind.std)
    }

    /// One pixel through `ToTensor` and `Normalize`, in PyTorch's float32 order.
    public func normalized(_ pixel: UInt8) -> Float {
        (Float(pixel) / 255 - mean) / std
    }

    /// Transforms `count` greyscale images of `rows` x `columns` bytes into a tensor
    /// `[count, 1, rows + 2 padding, columns + 2 padding]`.
    public func apply(_ pixels: [UInt8], count: Int, rows: Int, columns: Int) -> Tensor {
        precondition(pixels.count == count * rows * columns,
                     "PadNormalize: \(pixels.count) bytes are not \(count) images of \(rows)x\(columns)")
        let (outRows, outColumns) = (rows + 2 * padding, columns + 2 * padding)
        let output = Tensor(uninitialized: [count, 1, outRows, outColumns])
        // Only 256 distinct inputs exist, so look them up rather than divide 60 million times.
        let table = (0...255).map { normalized(UInt8($0)) }
        output.fill(table[0])  // the padding: black pixels, normalised like any other
        let out = output.data
        table.withUnsafeBufferPointer { table in
            pixels.withUnsafeBufferPointer { source in
                for image in 0..<count {
                    for row in 0..<rows {
                        let from = (image * rows + row) * columns
                        let to = (image * outRows + row + padding) * outColumns + padding
                        for column in 0..<columns {
                            out[to + column] = table[Int(source[from + column])]
                        }
                    }
                }
            }
        }
        return output
    }
}
