import Kernels
import Autograd

/// MNIST or Fashion-MNIST, loaded once and already transformed as the lesson's
/// `torchvision.datasets.MNIST(..., transform=...)` would return each image.
///
/// The whole split lives in one contiguous tensor `[N, 1, 32, 32]` (245 MB for the 60000
/// training images) so that a `DataLoader` builds a batch by copying just the rows it needs.
public struct MNISTDataset {
    public let kind: DatasetKind
    /// Whether this is the training split (60000 images) or the test split (10000).
    public let train: Bool
    /// All images, transformed: `[N, 1, 32, 32]`.
    public let images: Tensor
    /// The class of each image, in 0...9.
    public let labels: [Int]

    /// Loads a split from `root` (the data folder or the folder holding the files; see
    /// `DatasetFiles`), checks it, and applies `Pad(2)`, `ToTensor` and `Normalize`.
    public init(root: String, kind: DatasetKind, train: Bool) throws {
        let files = try DatasetFiles(root: root, kind: kind, train: train)
        let pixels = try IDX.read(files.images, rank: 3)
        let labels = try IDX.read(files.labels, rank: 1)
        try Self.checkImages(pixels, file: files.images)
        try Self.checkLabels(labels, file: files.labels, kind: kind)
        guard pixels.dims[0] == labels.dims[0] else {
            throw CoreError("\(files.images) holds \(pixels.dims[0]) images but \(files.labels) holds \(labels.dims[0]) labels; one of the files is damaged or from another dataset")
        }
        let transform = PadNormalize(for: kind)
        self.init(images: transform.apply(pixels.values, count: pixels.dims[0], rows: pixels.dims[1], columns: pixels.dims[2]),
                  labels: labels.values.map(Int.init), kind: kind, train: train)
    }

    /// Image side the lessons' networks are built for (28, padded to 32).
    public static let imageSide = 28

    /// Checks a parsed images file: at least one image, each 28x28 as in MNIST.
    public static func checkImages(_ pixels: IDXArray, file: String) throws {
        guard pixels.dims.count == 3 else { throw CoreError("\(file) is not an images file (rank \(pixels.dims.count), expected 3)") }
        guard pixels.dims[0] > 0 else { throw CoreError("\(file) holds no images; the file is damaged") }
        guard pixels.dims[1] == imageSide, pixels.dims[2] == imageSide else {
            throw CoreError("\(file) holds images of \(pixels.dims[1])x\(pixels.dims[2]) pixels, but MNIST images are \(imageSide)x\(imageSide); the file is damaged or from another dataset")
        }
    }

    /// Checks a parsed labels file: every label in 0...9.
    public static func checkLabels(_ labels: IDXArray, file: String, kind: DatasetKind) throws {
        if let bad = labels.values.firstIndex(where: { $0 > 9 }) {
            throw CoreError("\(file): label \(bad) is \(labels.values[bad]), but \(kind.displayName) labels are 0...9; the file is damaged or from another dataset")
        }
    }

    /// Wraps images that are already transformed (for tests and subsets): `images` is
    /// `[N, ...]`, one row per label.
    public init(images: Tensor, labels: [Int], kind: DatasetKind = .mnist, train: Bool = true) {
        precondition(images.rank >= 1 && images.shape[0] == labels.count,
                     "MNISTDataset: \(labels.count) labels for images of shape \(Shape.text(images.shape))")
        self.kind = kind
        self.train = train
        self.images = images
        self.labels = labels
    }

    /// Number of images.
    public var count: Int { labels.count }

    /// The shape of one image, `[1, 32, 32]`.
    public var sampleShape: [Int] { Array(images.shape.dropFirst()) }

    /// The number of floats in one image.
    public var sampleSize: Int { Shape.count(sampleShape) }

    /// The first `limit` images (all if there are fewer), sharing memory with this dataset;
    /// quick runs of the lessons train on such a prefix.
    public func subset(limit: Int) -> MNISTDataset {
        let kept = max(0, min(limit, count))
        let view = Tensor(shape: [kept] + sampleShape, storage: images.storage)
        return MNISTDataset(images: view, labels: Array(labels.prefix(kept)), kind: kind, train: train)
    }

    /// The images at `indices`, in that order (a copy of just those rows).
    public func subset(_ indices: [Int]) -> MNISTDataset {
        let (batchImages, batchLabels) = gather(indices)
        return MNISTDataset(images: batchImages, labels: batchLabels, kind: kind, train: train)
    }

    /// Copies the rows at `indices` into one new tensor `[indices.count, ...sampleShape]`,
    /// with their labels: how a batch is assembled.
    public func gather(_ indices: [Int]) -> (images: Tensor, labels: [Int]) {
        let out = Tensor(uninitialized: [indices.count] + sampleShape)
        let size = sampleSize
        for (row, index) in indices.enumerated() {
            precondition(index >= 0 && index < count, "index \(index) is outside the dataset (0..<\(count))")
            (out.data + row * size).update(from: images.data + index * size, count: size)
        }
        return (out, indices.map { labels[$0] })
    }
}
