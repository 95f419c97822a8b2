import Autograd

/// The two datasets the lessons train on. Both have 60000 training and 10000 test images of
/// 28x28 greyscale pixels in 10 classes, in the same IDX files, so one loader serves both.
public enum DatasetKind: String, CaseIterable, Sendable {
    case mnist
    case fashionMNIST

    /// The folder torchvision downloads the dataset into (`data/<folder>/raw/...`).
    public var folderName: String {
        switch self {
        case .mnist: return "MNIST"
        case .fashionMNIST: return "FashionMNIST"
        }
    }

    /// The name to print.
    public var displayName: String {
        switch self {
        case .mnist: return "MNIST"
        case .fashionMNIST: return "Fashion-MNIST"
        }
    }

    /// Mean of the training pixels scaled to [0, 1], the value the lessons pass to `Normalize`.
    public var mean: Float {
        switch self {
        case .mnist: return 0.1307
        case .fashionMNIST: return 0.2860
        }
    }

    /// Standard deviation of the training pixels scaled to [0, 1], as passed to `Normalize`.
    public var std: Float {
        switch self {
        case .mnist: return 0.3081
        case .fashionMNIST: return 0.3530
        }
    }

    /// The name of each class, indexed by label.
    public var classNames: [String] {
        switch self {
        case .mnist:
            return (0...9).map(String.init)
        case .fashionMNIST:
            return ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
        }
    }

    /// File names (without `.gz`) of the images and labels, as distributed.
    func fileNames(train: Bool) -> (images: String, labels: String) {
        let prefix = train ? "train" : "t10k"
        return ("\(prefix)-images-idx3-ubyte", "\(prefix)-labels-idx1-ubyte")
    }
}
