import ArgumentParser
import Core
import LessonKit
import Foundation

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a few batches here (Adam, shuffled MNIST) and save weights PyTorch can load.",
        discussion: """
            Fresh PyTorch-default initial weights from --seed (or --weights), the lesson's preprocessing, Adam,
            CrossEntropyLoss, batches drawn shuffled from the training set with a generator seeded by --seed.
            --weights-out is a plain state_dict (load it in PyTorch with
            model.load_state_dict(safetensors.torch.load_file(path), strict=True)).
            --checkpoint-out also saves Adam's state and the data position; --resume continues from such a file
            (--batches counts all batches, resumed ones included), bit for bit with the same thread count.

            Examples:
              swift run -c release ModelTool train --model resnet18 --batches 20 --weights-out here.safetensors
              swift run -c release ModelTool train --model resnet18 --batches 10 --checkpoint-out run.ckpt.safetensors
              swift run -c release ModelTool train --model resnet18 --batches 20 --resume run.ckpt.safetensors \\
                  --weights-out here.safetensors
            """)

    @OptionGroup var common: ModelOption

    @Option(help: "Total training batches to reach.")
    var batches: Int

    @Option(name: .customLong("batch-size"), help: "Images per batch.")
    var batchSize: Int = 64

    @Option(help: "Adam learning rate.")
    var lr: Double = 0.001

    @Option(help: "Seed of the initial weights and of the data order.")
    var seed: UInt64 = 0

    @Option(help: "Start from these weights instead of a fresh initialisation (safetensors state_dict).")
    var weights: String?

    @Option(help: "Resume from a training checkpoint written by --checkpoint-out.")
    var resume: String?

    @Option(name: .customLong("data-dir"), help: "Folder holding the MNIST files (default: data/).")
    var dataDir: String?

    @Option(name: .customLong("weights-out"), help: "Where to write the state_dict after training (safetensors).")
    var weightsOut: String?

    @Option(name: .customLong("checkpoint-out"), help: "Where to write a training checkpoint (weights + Adam + position).")
    var checkpointOut: String?

    func validate() throws {
        guard batches >= 1 else { throw ValidationError("--batches must be at least 1 (got \(batches)).") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1 (got \(batchSize)).") }
        guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be a positive number (got \(lr)).") }
        guard weights == nil || resume == nil else { throw ValidationError("give --weights or --resume, not both.") }
        guard weightsOut != nil || checkpointOut != nil else {
            throw ValidationError("nothing would be saved: give --weights-out and/or --checkpoint-out.")
        }
        try checkDataDir(dataDir)
    }

    func run() throws {
        try Threads.using(common.threads) { try Random.withSeed(seed) {
            let spec = try common.spec()
            let model = try weights.map { try loadModel(spec, weights: $0) } ?? spec.makeModel()
            let optimizer = Adam(model.parameters(), lr: lr)
            let generator = Generator(seed: seed)
            var (epoch, skip) = (1, 0)
            if let resume {
                try requireFile(resume, flag: "--resume")
                let saved = try TrainingCheckpoint.load(from: resume, into: model, optimizer: optimizer)
                if let state = saved.generatorState { generator.state = state }
                (epoch, skip) = (saved.epoch, saved.batch)
                print("Resumed from \(resume): epoch \(epoch), batch \(skip), \(optimizer.stepCount) steps taken")
            }
            let train = try MNISTDataset(root: dataDir ?? LessonData.defaultDataRoot(), kind: .mnist, train: true)
            print("\(spec.displayName): training to \(batches) batches of \(batchSize), lr \(lr), seed \(seed), \(common.threads) threads")
            var lastState = (epoch: epoch, batch: skip, generator: generator.state)
            let lossFunction = CrossEntropyLoss()
            model.train()
            training: while optimizer.stepCount < batches {
                let epochStart = generator.state
                let order = generator.permutation(train.count)
                let perEpoch = (train.count + batchSize - 1) / batchSize
                for index in skip..<perEpoch {
                    if optimizer.stepCount >= batches { break training }
                    let (images, labels) = train.gather(Array(order[(index * batchSize)..<min((index + 1) * batchSize, train.count)]))
                    let loss = lossFunction(model(images), labels)
                    optimizer.zeroGrad()
                    loss.backward()
                    optimizer.step()
                    let value = Double(loss.item())
                    guard value.isFinite else { throw CoreError("the loss became \(value) at batch \(optimizer.stepCount); try a smaller --lr") }
                    print("batch \(optimizer.stepCount): loss \(sixDecimals(value))")
                    lastState = (epoch, index + 1, epochStart)
                }
                (epoch, skip) = (epoch + 1, 0)
            }
            if let checkpointOut {
                try TrainingCheckpoint.save(model: model, optimizer: optimizer, epoch: lastState.epoch, batch: lastState.batch,
                                            generatorState: lastState.generator,
                                            metadata: ["model": spec.name, "seed": String(seed), "batch_size": String(batchSize)],
                                            to: checkpointOut)
                print("Training checkpoint written to \(checkpointOut)")
            }
            if let weightsOut {
                try model.save(to: weightsOut, metadata: ["model": spec.name, "batches": String(optimizer.stepCount)])
                print("Weights written to \(weightsOut)")
            }
        } }
    }
}
