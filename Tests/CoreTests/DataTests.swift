import Foundation
import Testing
@testable import Core

private let testsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
private let fixtures = testsFolder.appendingPathComponent("Fixtures")
/// The datasets that ship with the project, `data/` at the package root.
private let dataRoot = testsFolder.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("data").path

/// An IDX file: magic `00 00 08 <rank>` (or the given one), big-endian dimensions, payload.
private func idx(_ dims: [Int], payload: [UInt8], magic: [UInt8]? = nil) -> Data {
    var bytes = magic ?? [0, 0, 0x08, UInt8(dims.count)]
    for dim in dims { bytes += withUnsafeBytes(of: UInt32(dim).bigEndian) { Array($0) } }
    return Data(bytes + payload)
}

/// Writes a small MNIST-like split into `folder` (not gzipped): `labels.count` images where
/// image i has every pixel equal to i.
private func writeSplit(_ folder: URL, train: Bool = false, labels: [UInt8]) throws {
    let prefix = train ? "train" : "t10k"
    let pixels = labels.indices.flatMap { [UInt8](repeating: UInt8($0), count: 28 * 28) }
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try idx([labels.count, 28, 28], payload: pixels).write(to: folder.appendingPathComponent("\(prefix)-images-idx3-ubyte"))
    try idx([labels.count], payload: labels).write(to: folder.appendingPathComponent("\(prefix)-labels-idx1-ubyte"))
}

@Suite(.ownGenerator) struct IDXTests {
    @Test func readsAWellFormedFile() throws {
        let array = try IDX.decode([UInt8](idx([2, 1, 3], payload: [1, 2, 3, 4, 5, 6])), rank: 3, file: "x")
        #expect(array.dims == [2, 1, 3])
        #expect(array.values == [1, 2, 3, 4, 5, 6])
    }

    @Test func refusesABadMagicNumber() {
        expectFailure("bad.idx", "magic number is 0x12345678", "expected 0x00000803") {
            _ = try IDX.decode([UInt8](idx([1, 1, 1], payload: [0], magic: [0x12, 0x34, 0x56, 0x78])), rank: 3, file: "bad.idx")
        }
        expectFailure("type 0xd", "expected 0x08") {
            _ = try IDX.decode([UInt8](idx([1], payload: [0, 0, 0, 0], magic: [0, 0, 0x0D, 1])), rank: 1, file: "f")
        }
        expectFailure("says 1 dimensions, expected 3", "labels") {
            _ = try IDX.decode([UInt8](idx([4], payload: [0, 1, 2, 3])), rank: 3, file: "f")
        }
        expectFailure("only 2 bytes") { _ = try IDX.decode([0, 0], rank: 1, file: "f") }
        expectFailure("ends inside its header") { _ = try IDX.decode([0, 0, 8, 3, 0, 0, 0, 1], rank: 3, file: "f") }
    }

    @Test func refusesCountsThatDisagreeWithTheSize() {
        expectFailure("short.idx", "2 x 28 x 28 = 1568 bytes", "holds 1567") {
            _ = try IDX.decode([UInt8](idx([2, 28, 28], payload: [UInt8](repeating: 0, count: 1567))), rank: 3, file: "short.idx")
        }
        expectFailure("announces 3 = 3 bytes", "holds 4") {
            _ = try IDX.decode([UInt8](idx([3], payload: [0, 1, 2, 3])), rank: 1, file: "f")
        }
        expectFailure("absurd") {
            _ = try IDX.decode([UInt8](idx([0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], payload: [])), rank: 3, file: "f")
        }
    }

    @Test func readsTheShippedGzippedLabels() throws {
        let labels = try IDX.read("\(dataRoot)/MNIST/raw/t10k-labels-idx1-ubyte.gz", rank: 1)
        #expect(labels.dims == [10000])
        #expect(Array(labels.values.prefix(4)) == [7, 2, 1, 0])
    }

    @Test func reportsABrokenGzipStream() throws {
        let original = try Data(contentsOf: URL(fileURLWithPath: "\(dataRoot)/MNIST/raw/t10k-labels-idx1-ubyte.gz"))
        var damaged = [UInt8](original)
        for i in 1000..<1100 { damaged[i] ^= 0x5A }
        expectFailure("damaged.gz", "damaged") { _ = try Gzip.decompress(Data(damaged), file: "damaged.gz") }
        expectFailure("cut.gz", "ends early", "truncated") { _ = try Gzip.decompress(original.prefix(2000), file: "cut.gz") }
        expectFailure("empty.gz", "ends early") { _ = try Gzip.decompress(Data(), file: "empty.gz") }
        expectFailure("big.gz", "more than 5000 bytes") {
            _ = try Gzip.decompress(original, file: "big.gz", maximumOutput: 5000)
        }
        // Through the IDX reader too, which names the file.
        let path = try temporaryFolder().appendingPathComponent("t10k-labels-idx1-ubyte.gz").path
        try Data(original.prefix(3000)).write(to: URL(fileURLWithPath: path))
        expectFailure(path, "truncated") { _ = try IDX.read(path, rank: 1) }
    }

    @Test func refusesAWrongSizeField() throws {
        var original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(dataRoot)/MNIST/raw/t10k-labels-idx1-ubyte.gz")))
        #expect(try Gzip.decompress(Data(original), file: "x").count == 10008)
        // The size field (ISIZE, the last 4 bytes) only sizes the first buffer, and zlib checks it.
        original.replaceSubrange((original.count - 4)..., with: [1, 0, 0, 0])
        expectFailure("damaged") { _ = try Gzip.decompress(Data(original), file: "x") }
    }

    /// A zlib stream carries no size, so a 4.9x compressed file makes the buffer grow.
    @Test func decompressesZlibStreamsGrowingTheBuffer() throws {
        let gzip = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(dataRoot)/MNIST/raw/t10k-images-idx3-ubyte.gz")))
        let expected = try Gzip.decompress(Data(gzip), file: "x")
        #expect(expected.count == 16 + 10000 * 784)
        // Rewrap gzip's deflate data (after the 10-byte header and the file name) as zlib.
        var start = 10
        if gzip[3] & 0x08 != 0 { start = try #require(gzip[10...].firstIndex(of: 0)) + 1 }
        var (a, b): (UInt32, UInt32) = (1, 0)
        for byte in expected { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
        let adler = withUnsafeBytes(of: (b << 16 | a).bigEndian) { Array($0) }
        let zlib = [0x78, 0x9C] + gzip[start..<(gzip.count - 8)] + adler
        #expect(try Gzip.decompress(Data(zlib), file: "x") == expected)
    }
}

@Suite(.ownGenerator) struct MNISTDatasetTests {
    @Test func transformMatchesPyTorch() throws {
        let test = try MNISTDataset(root: dataRoot, kind: .mnist, train: false)
        #expect(test.count == 10000)
        #expect(test.images.shape == [10000, 1, 32, 32])
        let (reference, _) = try Safetensors.read(fixtures.appendingPathComponent("mnist_test_first16.safetensors").path)
        let images = try #require(reference["images"])
        let labels = try #require(reference["labels"])
        #expect(images.shape == [16, 1, 32, 32])
        let ours = Array(test.images.buffer.prefix(images.count))
        let worst = zip(ours, images.scalars).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-6, "largest difference \(worst)")
        let differing = zip(ours, images.scalars).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(differing == 0, "bit-for-bit PyTorch's float32: \(differing) values differ")
        #expect(test.labels.prefix(16).map(Float.init) == labels.scalars)
    }

    @Test func loadsFashionMNIST() throws {
        let test = try MNISTDataset(root: dataRoot, kind: .fashionMNIST, train: false)
        #expect(test.count == 10000)
        #expect(Set(test.labels) == Set(0...9))
        #expect(test.kind.classNames.count == 10)
        #expect(test.kind.classNames[9] == "Ankle boot")
        // The padding is black, normalised with Fashion-MNIST's statistics.
        #expect(test.images.data[0] == (0 - Float(0.2860)) / Float(0.3530))
    }

    @Test func acceptsTheFilesFolderAndUnzippedFiles() throws {
        let folder = try temporaryFolder()
        try writeSplit(folder, labels: [3, 1, 4])
        let direct = try MNISTDataset(root: folder.path, kind: .mnist, train: false)
        #expect(direct.labels == [3, 1, 4])
        #expect(direct.images.shape == [3, 1, 32, 32])
        // Image 2 has every pixel 2: the centre holds (2/255 - mean)/std, the border 0's value.
        let transform = PadNormalize(for: .mnist)
        #expect(direct.images.data[2 * 1024 + 16 * 32 + 16] == transform.normalized(2))
        #expect(direct.images.data[2 * 1024 + 1 * 32 + 16] == transform.normalized(0))
        #expect(direct.images.data[2 * 1024 + 2 * 32 + 2] == transform.normalized(2))

        let root = try temporaryFolder()
        try writeSplit(root.appendingPathComponent("FashionMNIST/raw"), train: true, labels: [9, 0])
        let nested = try MNISTDataset(root: root.path, kind: .fashionMNIST, train: true)
        #expect(nested.labels == [9, 0])
    }

    @Test func reportsMissingData() throws {
        expectFailure("/nonexistent/data", "does not exist", "--data-dir", "data/") {
            _ = try MNISTDataset(root: "/nonexistent/data", kind: .mnist, train: true)
        }
        let root = try temporaryFolder()
        // This message lists the three places it looked, one per line.
        expectFailure("MNIST training images not found", "\(root.path)/MNIST/raw/train-images-idx3-ubyte", "--data-dir",
                      maxLines: 6) {
            _ = try MNISTDataset(root: root.path, kind: .mnist, train: true)
        }
        try idx([1, 28, 28], payload: [UInt8](repeating: 0, count: 784))
            .write(to: root.appendingPathComponent("t10k-images-idx3-ubyte"))
        expectFailure("labels not found", "t10k-labels-idx1-ubyte") {
            _ = try MNISTDataset(root: root.path, kind: .mnist, train: false)
        }
    }

    @Test func reportsTheFirstBadLabel() throws {
        let folder = try temporaryFolder()
        try writeSplit(folder, labels: [1, 2, 12, 255])
        expectFailure("t10k-labels-idx1-ubyte", "label 2 is 12", "0...9") {
            _ = try MNISTDataset(root: folder.path, kind: .mnist, train: false)
        }
    }

    @Test func reportsImageAndLabelCountsThatDisagree() throws {
        let folder = try temporaryFolder()
        try writeSplit(folder, labels: [1, 2])
        try idx([3], payload: [1, 2, 3]).write(to: folder.appendingPathComponent("t10k-labels-idx1-ubyte"))
        expectFailure("holds 2 images", "holds 3 labels") {
            _ = try MNISTDataset(root: folder.path, kind: .mnist, train: false)
        }
    }

    @Test func subsetsShareOrCopyRows() throws {
        let dataset = fakeDataset(10)
        let prefix = dataset.subset(limit: 4)
        #expect(prefix.count == 4)
        #expect(prefix.images.storage === dataset.images.storage, "a prefix is a view, not a copy")
        #expect(dataset.subset(limit: 99).count == 10)
        let picked = dataset.subset([7, 2])
        #expect(picked.labels == [7, 2])
        #expect(picked.images.scalars == [7, 2])
    }
}

/// A dataset of `count` one-pixel images where image i holds the value i and has label i % 10.
private func fakeDataset(_ count: Int) -> MNISTDataset {
    MNISTDataset(images: Tensor((0..<count).map(Float.init), shape: [count, 1]),
                 labels: (0..<count).map { $0 % 10 })
}

@Suite(.ownGenerator) struct DataLoaderTests {
    /// One epoch as the image indices of each batch (read back from the pixel values).
    private func epoch(_ loader: DataLoader) -> [[Int]] {
        loader.map { batch in
            let indices = batch.images.scalars.map { Int($0) }
            #expect(batch.labels == indices.map { $0 % 10 }, "labels travel with their images")
            return indices
        }
    }

    @Test func servesTheLessonsBatches() {
        let loader = DataLoader(fakeDataset(60000), batchSize: 64, shuffle: true, generator: Generator(seed: 1))
        #expect(loader.count == 938)
        let batches = epoch(loader)
        #expect(batches.count == 938)
        #expect(batches.dropLast().allSatisfy { $0.count == 64 })
        #expect(batches.last?.count == 32)
        #expect(batches.flatMap { $0 }.sorted() == Array(0..<60000), "every image exactly once")
        let first = loader.dataset.gather([0]).images
        #expect(first.shape == [1, 1])
    }

    @Test func batchImagesHaveTheDatasetsSampleShape() throws {
        let images = Tensor((0..<(5 * 4)).map(Float.init), shape: [5, 1, 2, 2])
        let loader = DataLoader(MNISTDataset(images: images, labels: [0, 1, 2, 3, 4]), batchSize: 2, shuffle: false,
                                generator: Generator(seed: 0))
        let batches = Array(loader)
        #expect(batches.map(\.images.shape) == [[2, 1, 2, 2], [2, 1, 2, 2], [1, 1, 2, 2]])
        try #require(batches.count == 3)
        #expect(batches[1].images.scalars == (8..<16).map(Float.init))
        #expect(batches[2].labels == [4])
    }

    @Test func shufflesDifferentlyEachEpochAndReproducibly() {
        let dataset = fakeDataset(1000)
        let loader = DataLoader(dataset, batchSize: 64, shuffle: true, generator: Generator(seed: 7))
        let (first, second) = (epoch(loader), epoch(loader))
        #expect(first != second, "a new order each epoch")
        #expect(first.flatMap { $0 } != Array(0..<1000), "shuffled")
        #expect(second.flatMap { $0 }.sorted() == Array(0..<1000))

        let again = DataLoader(dataset, batchSize: 64, shuffle: true, generator: Generator(seed: 7))
        #expect(epoch(again) == first)
        #expect(epoch(again) == second)
        let other = DataLoader(dataset, batchSize: 64, shuffle: true, generator: Generator(seed: 8))
        #expect(epoch(other) != first)
    }

    @Test func keepsFileOrderWithoutShuffle() {
        let loader = DataLoader(fakeDataset(100), batchSize: 30, shuffle: false, generator: Generator(seed: 3))
        #expect(loader.count == 4)
        #expect(epoch(loader).flatMap { $0 } == Array(0..<100))
        #expect(epoch(loader).map(\.count) == [30, 30, 30, 10])
    }
}
