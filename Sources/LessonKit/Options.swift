import ArgumentParser
import Foundation
import Core

/// Flags every lesson takes: reproducibility, cores, and where files go.
public struct RunOptions: ParsableArguments {
    @Option(help: "Seed of the random generator; the same seed and thread count give the same numbers.")
    public var seed: UInt64 = 0

    @Option(parsing: .unconditional, help: "Number of CPU threads (default: all cores).")
    public var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Folder for charts, reports, checkpoints and histories.")
    public var output: String = "output"

    public init() {}

    public mutating func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1 (got \(threads)).") }
    }

    /// Runs `body` on `--threads` cores with the default generator seeded `--seed` (both scoped to
    /// `body`, see `Threads` and `Random`).
    public func scoped<T>(_ body: () throws -> T) rethrows -> T {
        try Threads.using(threads) { try Random.withSeed(seed) { try body() } }
    }

    /// Sets up the process for a lesson, and checks the output folder (and, with `--resume`, that
    /// there is an interrupted run in it to resume). Call before narrating.
    public func apply(lesson: String) throws -> Narrator {
        try apply(lesson: lesson, variant: nil)
    }

    /// As `apply(lesson:)`, with the lesson's files in the folder of this run's dataset and preset
    /// (`TrainingOptions.variantFolder`): `<output>/<Lesson>/`, `.../fashion-mnist/`, `.../quick/`.
    public func apply(lesson: String, _ training: TrainingOptions, defaultDataset: DatasetChoice = .mnist) throws -> Narrator {
        try apply(lesson: lesson, variant: training.variantFolder(defaultDataset: defaultDataset))
    }

    private func apply(lesson: String, variant: String?) throws -> Narrator {
        // A write past a file-size limit then fails with a message instead of killing the process.
        signal(SIGXFSZ, SIG_IGN)
        // Ctrl-C and SIGTERM: one line and status 130, or, during training, a saved checkpoint.
        Interrupt.install()
        let root = try OutputFolder.prepare(output, lesson: variant.map { "\(lesson)/\($0)" } ?? lesson)
        if TrainingOptions.resumeRequested { try ResumeState.checkSomethingToResume(output: output) }
        return Narrator(lesson: lesson, output: root, variant: variant)
    }
}

/// Flags of lessons that train networks.
public struct TrainingOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Training epochs (default: the original lesson's schedule for this lesson).")
    public var epochs: Int?

    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Images per training batch (default 64).")
    public var batchSizeFlag: Int?

    /// Images per training batch: `--batch-size`, else 64.
    public var batchSize: Int { batchSizeFlag ?? 64 }

    @Option(parsing: .unconditional, help: "Adam learning rate.")
    public var lr: Double = 0.001

    @Option(name: .customLong("data-dir"), help: "Folder holding the dataset (default: the copy shipped in data/).")
    public var dataDir: String?

    @Option(name: .customLong("dataset"), help: "Dataset: mnist or fashion-mnist (default: mnist; fashion-mnist for DepthStudy).")
    public var datasetFlag: DatasetChoice?

    /// `--dataset`, else MNIST (a lesson with another default sets `datasetFlag` before loading).
    public var dataset: DatasetChoice { datasetFlag ?? .mnist }

    /// Prints the lesson's plan (what it would train and reuse, with measured times) as one JSON
    /// line and stops before training; `AllLessons` reads it.
    @Flag(name: .customLong("plan-only"), help: .hidden)
    public var planOnly = false

    @Flag(help: "The quick version: a subset of the data (2 epochs of 40 batches, 2,000 test images).")
    public var quick = false

    @Option(parsing: .unconditional, help: "Repeat the comparison with this many seeds (seed, seed+1, ...) and report mean and spread.")
    public var seeds: Int = 1

    @Flag(help: "Continue the run that was interrupted (Ctrl-C) from the checkpoint it saved under --output; give the same other flags.")
    public var resume = false

    /// Set when flags with `--resume` were validated, so that `RunOptions.apply` checks there is
    /// something to resume before the lesson says anything.
    nonisolated(unsafe) public static var resumeRequested = false

    public init() {}

    /// The subfolder of `<output>/<Lesson>/` for this run's files, nil for the lesson's default
    /// dataset in the full version: "fashion-mnist", "quick", "fashion-mnist-quick" (or "mnist..."
    /// for a lesson whose default is Fashion-MNIST). So no run overwrites another's report and charts.
    public func variantFolder(defaultDataset: DatasetChoice = .mnist) -> String? {
        TrainingOptions.variantFolder(dataset: datasetFlag ?? defaultDataset, quick: quick, defaultDataset: defaultDataset)
    }

    public static func variantFolder(dataset: DatasetChoice, quick: Bool, defaultDataset: DatasetChoice) -> String? {
        let parts = [dataset == defaultDataset ? nil : dataset.rawValue, quick ? "quick" : nil].compactMap { $0 }
        return parts.isEmpty ? nil : parts.joined(separator: "-")
    }

    public mutating func validate() throws {
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1 (got \(epochs)).") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1 (got \(batchSize)).") }
        guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be a positive number (got \(lr)).") }
        guard seeds >= 1 else { throw ValidationError("--seeds must be at least 1 (got \(seeds)).") }
        TrainingOptions.resumeRequested = resume
        if let dataDir {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dataDir, isDirectory: &isFolder), isFolder.boolValue else {
                throw ValidationError("--data-dir \(dataDir) is not a folder. Point it at a folder with the four MNIST files, or leave it out to use data/.")
            }
        }
    }
}

/// `--dataset mnist|fashion-mnist`.
public enum DatasetChoice: String, ExpressibleByArgument, CaseIterable, Sendable {
    case mnist
    case fashionMnist = "fashion-mnist"

    public var kind: DatasetKind { self == .mnist ? .mnist : .fashionMNIST }
}
