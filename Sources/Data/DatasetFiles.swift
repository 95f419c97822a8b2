import Foundation
import Autograd

/// Finds a dataset's IDX files on disk.
///
/// `root` may be the data folder (holding `MNIST/raw/...`, torchvision's layout, as the project
/// ships it in `data/`) or the folder holding the files themselves (what `--data-dir` passes).
/// Each file may be gzipped (`name.gz`, as distributed) or already unpacked (`name`).
struct DatasetFiles {
    let images: String
    let labels: String

    init(root: String, kind: DatasetKind, train: Bool) throws {
        let names = kind.fileNames(train: train)
        let split = train ? "training" : "test"
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isFolder), isFolder.boolValue else {
            throw CoreError("\(kind.displayName) \(split) data not found: the folder \(root) does not exist. \(Self.hint)")
        }
        let folders = Self.candidateFolders(root: root, kind: kind)
        guard let folder = folders.first(where: { Self.existing(names.images, in: $0) != nil }),
              let images = Self.existing(names.images, in: folder) else {
            let looked = folders.map { "  \($0)/\(names.images)[.gz]" }.joined(separator: "\n")
            throw CoreError("\(kind.displayName) \(split) images not found. Looked for:\n\(looked)\n\(Self.hint)")
        }
        guard let labels = Self.existing(names.labels, in: folder) else {
            throw CoreError("\(kind.displayName) \(split) labels not found: \(images) is there but not \(folder)/\(names.labels)[.gz] next to it. \(Self.hint)")
        }
        self.images = images
        self.labels = labels
    }

    static let hint = "The datasets ship with the project in data/ (run from the project folder), or pass --data-dir <folder holding the IDX files>."

    private static func candidateFolders(root: String, kind: DatasetKind) -> [String] {
        let base = URL(fileURLWithPath: root)
        return [
            base.appendingPathComponent(kind.folderName).appendingPathComponent("raw"),
            base.appendingPathComponent(kind.folderName),
            base,
        ].map { $0.path }
    }

    /// `folder/name.gz` or `folder/name`, whichever exists (gzipped first).
    private static func existing(_ name: String, in folder: String) -> String? {
        ["\(folder)/\(name).gz", "\(folder)/\(name)"].first { FileManager.default.fileExists(atPath: $0) }
    }
}
