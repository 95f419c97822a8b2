import Foundation

/// A tensor's memory: one 64-byte aligned block of Float32, freed when the last tensor using it goes.
///
/// Several tensors may share one storage (a `reshape` is a view), which is why this is a class.
public final class Storage {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    public init(count: Int) {
        precondition(count >= 0, "a tensor cannot hold a negative number of elements (\(count))")
        var raw: UnsafeMutableRawPointer?
        // Aligned memory lets the vector units load whole cache lines.
        let status = posix_memalign(&raw, 64, max(count, 1) * MemoryLayout<Float>.stride)
        guard status == 0, let raw else {
            fatalError("out of memory: could not allocate \(count) floats")
        }
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        self.count = count
    }

    deinit { free(pointer) }
}
