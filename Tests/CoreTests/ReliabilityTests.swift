import Foundation
import Testing
@testable import Core
@testable import Checkpoints

// The rows of docs/errors.md that are tested inside the engine (the rest are in DataTests,
// SafetensorsTests and, for whole lesson processes, LessonProcessTests), plus interrupt-and-resume,
// determinism, steady memory and the fuzzers' regressions.

private let testsFolder = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
private let packageRoot = testsFolder.deletingLastPathComponent().deletingLastPathComponent()
private let dataRoot = packageRoot.appendingPathComponent("data").path

private func scratchFolder(_ name: String = "reliability") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

private func idx(_ dims: [Int], payload: [UInt8], magic: [UInt8]? = nil) -> Data {
    var bytes = magic ?? [0, 0, 0x08, UInt8(dims.count)]
    for dim in dims { bytes += withUnsafeBytes(of: UInt32(truncatingIfNeeded: dim).bigEndian) { Array($0) } }
    return Data(bytes + payload)
}

private func safetensors(header: String, data: [UInt8] = []) -> Data {
    var json = Array(header.utf8)
    json += [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8)
    var out = Data()
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
    return out + Data(json) + Data(data)
}

/// The first 256 MNIST test images, loaded once. Shared by tests running side by side, which only
/// read it (unchecked: its images are tensors, which Swift cannot prove are not written).
nonisolated(unsafe) private let smallMNIST: MNISTDataset = {
    (try? MNISTDataset(root: dataRoot, kind: .mnist, train: false))!.subset(limit: 256)
}()

private func narrowResNet() -> ResNet { ResNet(channels: [8, 16, 32, 64], blocks: [1, 1, 1, 1]) }

/// Every tensor of the two state dicts is bit-for-bit equal.
private func expectBitIdentical(_ a: StateDict, _ b: StateDict, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.keys == b.keys, sourceLocation: sourceLocation)
    var differing: [String] = []
    for key in a.keys {
        guard let x = a[key], let y = b[key], x.count == y.count else { differing.append(key); continue }
        if !(0..<x.count).allSatisfy({ x.data[$0].bitPattern == y.data[$0].bitPattern }) { differing.append(key) }
    }
    #expect(differing.isEmpty, "tensors that differ: \(differing.prefix(6))", sourceLocation: sourceLocation)
}

// MARK: - Bad files: what the parsers' existing tests do not cover

@Suite(.ownGenerator) struct BadDataFileTests {
    @Test func refusesAHeaderClaimingATrillionImagesWithoutAllocating() {
        // 10^12 = 1000000 x 1000 x 1000: refused from the header, before any allocation.
        expectFailure("f.idx", "1000000 x 1000 x 1000 = 1000000000000 bytes", "holds 4", "truncated") {
            _ = try IDX.decode([UInt8](idx([1_000_000, 1000, 1000], payload: [1, 2, 3, 4])), rank: 3, file: "f.idx")
        }
    }

    @Test func refusesImagesThatAreNot28By28() throws {
        let folder = try scratchFolder()
        try idx([2, 5, 7], payload: [UInt8](repeating: 1, count: 70)).write(to: folder.appendingPathComponent("t10k-images-idx3-ubyte"))
        try idx([2], payload: [1, 2]).write(to: folder.appendingPathComponent("t10k-labels-idx1-ubyte"))
        expectFailure("t10k-images-idx3-ubyte", "5x7 pixels", "28x28") {
            _ = try MNISTDataset(root: folder.path, kind: .mnist, train: false)
        }
    }

    @Test func refusesAnEmptyImagesFile() throws {
        let folder = try scratchFolder()
        try idx([0, 28, 28], payload: []).write(to: folder.appendingPathComponent("t10k-images-idx3-ubyte"))
        try idx([0], payload: []).write(to: folder.appendingPathComponent("t10k-labels-idx1-ubyte"))
        expectFailure("t10k-images-idx3-ubyte", "holds no images") {
            _ = try MNISTDataset(root: folder.path, kind: .mnist, train: false)
        }
    }

    @Test func namesATruncatedShippedFileThroughTheDatasetLoader() throws {
        let folder = try scratchFolder()
        let raw = URL(fileURLWithPath: "\(dataRoot)/MNIST/raw")
        let images = try Data(contentsOf: raw.appendingPathComponent("t10k-images-idx3-ubyte.gz"))
        try images.prefix(images.count / 2).write(to: folder.appendingPathComponent("t10k-images-idx3-ubyte.gz"))
        try FileManager.default.copyItem(at: raw.appendingPathComponent("t10k-labels-idx1-ubyte.gz"),
                                         to: folder.appendingPathComponent("t10k-labels-idx1-ubyte.gz"))
        expectFailure("t10k-images-idx3-ubyte.gz", "ends early", "truncated") {
            _ = try MNISTDataset(root: folder.path, kind: .mnist, train: false)
        }
    }

    @Test func refusesAFolderGivenAsAnIDXFile() throws {
        let folder = try scratchFolder()
        expectFailure(folder.path, "cannot read") { _ = try IDX.read(folder.path, rank: 1) }
    }
}

@Suite(.ownGenerator) struct BadCheckpointTests {
    /// A model file with one entry too few, one too many, or one of the wrong shape.
    private func savedModel(_ edit: (inout StateDict) -> Void) throws -> String {
        var dict = narrowResNet().stateDict()
        edit(&dict)
        let path = try scratchFolder().appendingPathComponent("model.safetensors").path
        try Safetensors.write(dict, to: path)
        return path
    }

    @Test func refusesAHeaderClaimingATrillionElements() {
        expectFailure("big.safetensors", "\"w\"", "past the end of the data") {
            _ = try Safetensors.decode(safetensors(header: #"{"w":{"dtype":"F32","shape":[1000000,1000000],"data_offsets":[0,4000000000000]}}"#,
                                                   data: [0, 0, 0, 0]), file: "big.safetensors")
        }
        expectFailure("big.safetensors", "needs 4000000000000 bytes", "span 4") {
            _ = try Safetensors.decode(safetensors(header: #"{"w":{"dtype":"F32","shape":[1000000,1000000],"data_offsets":[0,4]}}"#,
                                                   data: [0, 0, 0, 0]), file: "big.safetensors")
        }
    }

    @Test func refusesAMissingKey() throws {
        var removed = ""
        let path = try savedModel { dict in
            var kept = StateDict()
            removed = dict.keys[3]
            for (key, tensor, dtype) in dict.entries where key != removed { kept.set(key, tensor, dtype: dtype) }
            dict = kept
        }
        expectFailure(path, removed) { try narrowResNet().load(from: path) }
    }

    @Test func refusesAnUnexpectedKey() throws {
        let path = try savedModel { $0.set("extra.weight", Tensor.zeros([3])) }
        expectFailure(path, "extra.weight") { try narrowResNet().load(from: path) }
    }

    @Test func refusesAShapeMismatch() throws {
        let path = try savedModel { $0.set("fc.weight", Tensor.zeros([10, 3])) }
        expectFailure(path, "fc.weight", "[10, 3]") { try narrowResNet().load(from: path) }
    }

    @Test func aRefusedFileLeavesTheModelUnchanged() throws {
        let model = narrowResNet()
        let before = model.stateDict()
        let path = try savedModel { $0.set("fc.weight", Tensor.zeros([10, 3])) }
        _ = try? model.load(from: path)
        expectBitIdentical(model.stateDict(), before)
    }
}

// MARK: - A full disk

@Suite(.serialized, .ownGenerator) struct FullDiskTests {
    @Test func aFullDiskNamesTheFileSaysWhatToDoAndKeepsTheOldFile() throws {
        let folder = try scratchFolder("fulldisk")
        let path = folder.appendingPathComponent("model.safetensors").path
        let model = narrowResNet()
        try model.save(to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))

        try AtomicFile.$simulatedFullDisk.withValue((folder.path, 64)) { try fullDiskAfterSave(folder, path, before) }
        try narrowResNet().save(to: path)  // with space again, saving works
    }

    private func fullDiskAfterSave(_ folder: URL, _ path: String, _ before: Data) throws {
        Random.manualSeed(99)
        expectFailure(path, "No space left on device", "Free some disk space", "--output") {
            try narrowResNet().save(to: path)
        }
        expectFailure("history.json", "No space left on device") {
            try TrainingHistory(model: "m", settings: [:]).save(to: folder.appendingPathComponent("history.json").path)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "the previous file is intact")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "no temporary file left behind: \(leftovers)")
    }
}

// MARK: - Training: divergence, interrupt and resume, determinism, memory

/// Trains the narrow ResNet on the small MNIST subset: batches of 32, `maxBatches` per epoch.
private final class SmallRun {
    let model: ResNet
    let optimizer: Adam
    let trainer: Trainer
    let loader: DataLoader
    var history = TrainingHistory(model: "narrow-resnet", settings: ["seed": "7"])

    /// Builds the model from `initial` weights (so that parallel tests reseeding the global
    /// generator cannot change them).
    init(initial: StateDict, lr: Double = 1e-3, dataset: MNISTDataset = smallMNIST, shuffle: Bool = true) throws {
        model = narrowResNet()
        try model.loadStateDict(initial)
        optimizer = Adam(model.parameters(), lr: lr)
        trainer = Trainer(model: model, optimizer: optimizer)
        loader = DataLoader(dataset, batchSize: 32, shuffle: shuffle, generator: Generator(seed: 99))
    }

    func run(epochs: Int = 2, maxBatches: Int = 5, from position: TrainingPosition? = nil) throws -> Trainer.Outcome {
        try trainer.run(train: loader, test: nil, epochs: epochs, maxBatches: maxBatches, history: &history, resumingFrom: position)
    }
}

/// Read-only, shared by tests running side by side (unchecked, as `smallMNIST`).
nonisolated(unsafe) private let initialWeights: StateDict = {
    Random.withSeed(7) { narrowResNet().stateDict() }
}()

@Suite(.serialized, .ownGenerator) struct InterruptResumeTests {
    /// Interrupting after `k` steps (mid-epoch 1, at the end of epoch 1, mid-epoch 2), saving,
    /// loading into a fresh model and optimiser and resuming gives the weights, BatchNorm
    /// statistics, Adam state and losses of the uninterrupted run, bit for bit.
    @Test(arguments: [3, 5, 7])
    func resumedRunEqualsUninterruptedRunBitForBit(stopAfter k: Int) throws {
        let threads = Threads.count
        let reference = try SmallRun(initial: initialWeights)
        #expect(try reference.run().isCompleted)

        let interrupted = try SmallRun(initial: initialWeights)
        var steps = 0
        interrupted.trainer.shouldStop = { steps += 1; return steps == k }
        guard case let .interrupted(position) = try interrupted.run() else {
            Issue.record("the run was not interrupted")
            return
        }
        #expect(interrupted.history.batchLosses.count == k)
        #expect(position.epoch == (k < 5 ? 1 : 2) && position.batch == (k < 5 ? k : k - 5))
        let path = try scratchFolder("resume").appendingPathComponent("run.resume.safetensors").path
        try ResumeCheckpoint.save(model: interrupted.model, optimizer: interrupted.optimizer, position: position,
                                  history: interrupted.history, to: path)

        // A new process: other weights, other generator states, then the saved state.
        Random.manualSeed(12345)
        let resumed = try SmallRun(initial: narrowResNet().stateDict())
        let (loadedPosition, loadedHistory) = try ResumeCheckpoint.load(from: path, into: resumed.model, optimizer: resumed.optimizer)
        #expect(loadedPosition == position)
        resumed.history = loadedHistory
        #expect(try resumed.run(from: loadedPosition).isCompleted)

        #expect(Threads.count == threads)
        expectBitIdentical(resumed.model.stateDict(), reference.model.stateDict())
        #expect(resumed.optimizer.stepCount == reference.optimizer.stepCount)
        for i in reference.optimizer.parameters.indices {
            #expect(resumed.optimizer.expAvg[i].scalars == reference.optimizer.expAvg[i].scalars)
            #expect(resumed.optimizer.expAvgSq[i].scalars == reference.optimizer.expAvgSq[i].scalars)
        }
        #expect(resumed.history.batchLosses.map(\.bitPattern) == reference.history.batchLosses.map(\.bitPattern))
        #expect(resumed.history.epochs.map(\.loss.bitPattern) == reference.history.epochs.map(\.loss.bitPattern))
        #expect(resumed.history.epochs.map(\.accuracy) == reference.history.epochs.map(\.accuracy))
    }

    /// `Trainer.aroundStep` (Exercise 1's watch) is given every step's number across epochs, and
    /// a wrapper that only calls the step leaves the run bit for bit as it was.
    @Test func aroundStepSeesEveryStepAndChangesNothing() throws {
        let reference = try SmallRun(initial: initialWeights)
        #expect(try reference.run().isCompleted)
        let watched = try SmallRun(initial: initialWeights)
        var seen: [Int] = []
        watched.trainer.aroundStep = { step, body in
            seen.append(step)
            return body()
        }
        #expect(try watched.run().isCompleted)
        #expect(seen == Array(1...10))
        #expect(watched.history.batchLosses.map(\.bitPattern) == reference.history.batchLosses.map(\.bitPattern))
        expectBitIdentical(watched.model.stateDict(), reference.model.stateDict())
    }

    @Test func fitThrowsWhenStoppedAndTrainEpochIgnoresTheStopRequest() throws {
        let run = try SmallRun(initial: initialWeights)
        run.trainer.shouldStop = { true }
        #expect(throws: TrainingInterrupted.self) {
            try run.trainer.fit(train: run.loader, test: nil, epochs: 2, maxBatches: 3, history: &run.history)
        }
        let record = try run.trainer.trainEpoch(run.loader, epoch: 1, epochs: 1, maxBatches: 3, history: &run.history)
        #expect(record.batches == 3)
    }

    @Test func aDamagedResumeFileIsRefusedWithAMessage() throws {
        let folder = try scratchFolder("resume")
        let path = folder.appendingPathComponent("run.resume.safetensors").path
        try narrowResNet().save(to: path)  // a plain state_dict, not a resume file
        let run = try SmallRun(initial: initialWeights)
        expectFailure(path, "not a usable training checkpoint") {
            _ = try ResumeCheckpoint.load(from: path, into: run.model, optimizer: run.optimizer)
        }
        let bad = folder.appendingPathComponent("bad.safetensors").path
        try Data("garbage!garbage!".utf8).write(to: URL(fileURLWithPath: bad))
        expectFailure(bad, "header length") {
            _ = try ResumeCheckpoint.load(from: bad, into: run.model, optimizer: run.optimizer)
        }
    }

    @Test func aFullDiskDuringTheResumeSaveKeepsThePreviousResumeFile() throws {
        let folder = try scratchFolder("fulldisk")
        let path = folder.appendingPathComponent("run.resume.safetensors").path
        let run = try SmallRun(initial: initialWeights)
        var steps = 0
        run.trainer.shouldStop = { steps += 1; return steps == 2 }
        guard case let .interrupted(first) = try run.run() else { Issue.record("not interrupted"); return }
        try ResumeCheckpoint.save(model: run.model, optimizer: run.optimizer, position: first, history: run.history, to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        run.trainer.shouldStop = { steps += 1; return steps == 4 }
        guard case let .interrupted(second) = try run.run(from: first) else { Issue.record("not interrupted"); return }
        AtomicFile.$simulatedFullDisk.withValue((folder.path, 4096)) {
            expectFailure(path, "No space left on device") {
                try ResumeCheckpoint.save(model: run.model, optimizer: run.optimizer, position: second, history: run.history, to: path)
            }
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }
}

@Suite(.serialized, .ownGenerator) struct DivergenceTests {
    /// A batch whose loss is NaN stops the run at that batch, names it, suggests a smaller
    /// learning rate, and leaves the weights of the last good step.
    @Test func aNaNLossStopsAtThatBatchAndKeepsTheLastGoodWeights() throws {
        // Image 70 (in batch 3 of 32, unshuffled) holds a NaN pixel.
        let poisoned = smallMNIST.subset(Array(0..<128))
        poisoned.images.data[70 * poisoned.sampleSize + 500] = .nan
        let good = try SmallRun(initial: initialWeights, dataset: poisoned, shuffle: false)
        #expect(try good.run(epochs: 1, maxBatches: 2).isCompleted)

        let run = try SmallRun(initial: initialWeights, lr: 0.01, dataset: poisoned, shuffle: false)
        let goodLR = try SmallRun(initial: initialWeights, lr: 0.01, dataset: poisoned, shuffle: false)
        _ = try goodLR.run(epochs: 1, maxBatches: 2)
        let message = expectFailure("nan", "epoch 1, batch 3 of 4", "smaller learning rate", "--lr 0.001") {
            _ = try run.run(epochs: 1, maxBatches: 4)
        }
        #expect(!message.isEmpty)
        expectBitIdentical(run.model.stateDict(), goodLR.model.stateDict())
        #expect(run.history.batchLosses.count == 2)
    }

    @Test func anInfiniteLossIsReportedToo() throws {
        let poisoned = smallMNIST.subset(Array(0..<64))
        poisoned.images.data[5] = .infinity
        let run = try SmallRun(initial: initialWeights, dataset: poisoned, shuffle: false)
        expectFailure("epoch 1, batch 1", "diverged", "--lr 0.0001") { _ = try run.run(epochs: 1, maxBatches: 2) }
    }
}

@Suite(.serialized, .ownGenerator) struct DeterminismTests {
    /// The same seed and thread count give bit-identical losses and weights.
    @Test func sameSeedAndThreadsGiveBitIdenticalRuns() throws {
        let threads = Threads.count
        let first = try SmallRun(initial: initialWeights)
        let second = try SmallRun(initial: initialWeights)
        #expect(try first.run(epochs: 2, maxBatches: 4).isCompleted)
        #expect(try second.run(epochs: 2, maxBatches: 4).isCompleted)
        #expect(Threads.count == threads)
        #expect(first.history.batchLosses.map(\.bitPattern) == second.history.batchLosses.map(\.bitPattern))
        expectBitIdentical(first.model.stateDict(), second.model.stateDict())
        // And the initial weights come from the seed alone.
        Random.manualSeed(7)
        expectBitIdentical(narrowResNet().stateDict(), initialWeights)
    }

    /// Resident memory is recorded per epoch and does not grow from epoch 1 to epoch 3.
    @Test func residentMemoryStaysFlatAcrossEpochs() throws {
        let run = try SmallRun(initial: initialWeights)
        #expect(try run.run(epochs: 3, maxBatches: 8).isCompleted)
        let memory = run.history.epochs.compactMap(\.residentMB)
        print("resident memory per epoch (MiB): \(memory.map { String(format: "%.1f", $0) })")
        #expect(memory.count == 3)
        if memory.count == 3 {
            // Within 5% (plus 8 MiB for the allocator's granularity) of epoch 1.
            #expect(memory[2] <= memory[0] * 1.05 + 8, "resident MiB per epoch: \(memory)")
        }
    }
}

// MARK: - The fuzzers' corpus and regressions, replayed

@Suite(.ownGenerator) struct FuzzRegressionTests {
    private static let fuzzFolder = packageRoot.appendingPathComponent("fuzz")

    private static func inputs(_ target: String) -> [URL] {
        ["corpus", "regressions"].flatMap { kind -> [URL] in
            let folder = fuzzFolder.appendingPathComponent(kind).appendingPathComponent(target)
            return ((try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? [])
        }
    }

    /// Every IDX/gzip input the fuzzer kept gives a value or a CoreError, never a crash.
    @Test func idxCorpusReplays() throws {
        let files = Self.inputs("idx")
        #expect(!files.isEmpty, "fuzz/corpus/idx is missing")
        for file in files {
            let data = try Data(contentsOf: file)
            do {
                let bytes = Gzip.isGzip(data) ? try Gzip.decompress(data, file: file.path, maximumOutput: 1 << 24) : [UInt8](data)
                for rank in [1, 3] {
                    if let array = try? IDX.decode(bytes, rank: rank, file: file.path), rank == 3,
                       (try? MNISTDataset.checkImages(array, file: file.path)) != nil {
                        _ = PadNormalize(for: .mnist).apply(array.values, count: array.dims[0], rows: array.dims[1], columns: array.dims[2])
                    }
                }
            } catch is CoreError {}
        }
    }

    @Test func safetensorsCorpusReplays() throws {
        let files = Self.inputs("safetensors")
        #expect(!files.isEmpty, "fuzz/corpus/safetensors is missing")
        for file in files {
            let data = try Data(contentsOf: file)
            do {
                let (dict, _) = try Safetensors.decode(data, file: file.path)
                _ = try Safetensors.decode(try Safetensors.encode(dict), file: "again")
            } catch is CoreError {}
        }
    }
}

extension Trainer.Outcome {
    var isCompleted: Bool { if case .completed = self { return true } else { return false } }
}
