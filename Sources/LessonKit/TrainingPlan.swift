import ArgumentParser
import Foundation
import Core

/// A network a lesson is about to train or reuse: its run (checkpoint name, seed, epochs, data)
/// and how to build it.
public struct PlannedNetwork {
    public let run: TrainingRun
    public let make: () -> any Module

    public init(_ run: TrainingRun, make: @escaping () -> any Module) {
        (self.run, self.make) = (run, make)
    }
}

/// One line of a lesson's plan, as `AllLessons` reads it (`--plan-only` prints them as JSON).
public struct PlanEntry: Codable, Equatable, Sendable {
    /// The checkpoint's file name without extension ("resnet18-quick"), or a name of its own for
    /// networks that are not saved (DepthStudy's "plain-20").
    public let stem: String
    public let displayName: String
    /// "train" or "reuse".
    public let action: String
    /// Why a saved run is not reused (other settings, a damaged file), when one exists.
    public let reason: String?
    /// Expected seconds on this machine (0 when reused), from timing a few steps.
    public let seconds: Double
    public let secondsPerBatch: Double?

    public init(stem: String, displayName: String, action: String, reason: String? = nil, seconds: Double, secondsPerBatch: Double? = nil) {
        (self.stem, self.displayName, self.action, self.reason, self.seconds, self.secondsPerBatch) =
            (stem, displayName, action, reason, seconds, secondsPerBatch)
    }

    public var trains: Bool { action == "train" }
}

/// What a lesson plans to train and reuse, and how long the training should take on this machine.
public struct PlanSummary: Codable, Equatable, Sendable {
    public let lesson: String
    public let entries: [PlanEntry]

    public init(lesson: String, entries: [PlanEntry]) { (self.lesson, self.entries) = (lesson, entries) }

    public var totalSeconds: Double { entries.reduce(0) { $0 + $1.seconds } }

    /// Above this many seconds of training, the plan gives the `--quick` command.
    public static let quickHintSeconds = 300.0

    /// The plan in sentences.
    public func sentences(quick: Bool, quickCommand: String) -> [String] {
        let training = entries.filter(\.trains), reused = entries.filter { !$0.trains }
        var lines: [String] = []
        for entry in training {
            var line = "  - trains \(entry.displayName): about \(Format.duration(entry.seconds))"
            if let perBatch = entry.secondsPerBatch { line += " (\(Format.fixed(perBatch, 3)) s per batch, timed just now)" }
            if let reason = entry.reason { line += "; \(reason)" }
            lines.append(line)
        }
        for entry in reused { lines.append("  - reuses \(entry.displayName) (saved run \(entry.stem), same settings)") }
        var text = ["Plan for this run on this machine:"] + lines
        if training.isEmpty {
            text.append("Nothing to train: every network comes from a saved run.")
        } else {
            text.append("Expected training time: about \(Format.duration(totalSeconds)) (timed from a few training steps just now).")
            if !quick && totalSeconds > PlanSummary.quickHintSeconds {
                text.append("For a short version in a few minutes: \(quickCommand)")
            }
        }
        return text
    }

    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }

    /// Marks the beginning of the JSON line `--plan-only` prints (the lesson may print other lines).
    public static let marker = "PLAN-JSON: "
}

public enum TrainingPlan {
    /// Times a few training steps of each network that will be trained (not of the reused ones) and
    /// returns the plan. The timing runs in its own generator scope, so the lesson's numbers do not change.
    public static func measure(lesson: String, _ networks: [PlannedNetwork], data: LessonData) -> PlanSummary {
        var perBatch: [String: Double] = [:]   // one timing per architecture name, shared by seeds
        let entries = networks.map { network -> PlanEntry in
            let run = network.run
            let state = run.savedState()
            if state.isMatching {
                return PlanEntry(stem: run.fileStem, displayName: run.displayName, action: "reuse", seconds: 0)
            }
            let seconds = perBatch[run.displayName] ?? secondsPerBatch(network.make, data: data)
            perBatch[run.displayName] = seconds
            let batches = Double(data.batchesPerEpoch() * run.epochs)
            // Testing costs about a third of a training step per image.
            let testing = seconds / 3 * Double(data.test.count) / Double(data.options.batchSize)
            let resuming = data.options.resume && FileManager.default.fileExists(atPath: run.resumePath)
            let reason = resuming ? "continues the interrupted run saved in \(run.displayPath(run.resumePath)) (the time is for the whole run)"
                : state.reasonToTrain(displayName: run.displayName, checkpoint: run.displayPath(run.checkpointPath), display: run.displayPath)
            return PlanEntry(stem: run.fileStem, displayName: run.displayName, action: "train", reason: reason,
                             seconds: seconds * batches + testing, secondsPerBatch: seconds)
        }
        return PlanSummary(lesson: lesson, entries: entries)
    }

    /// The largest batch the plan times; a larger one is timed at this size and scaled, so that the
    /// plan never allocates a batch the machine cannot hold (training refuses those with a message).
    static let largestTimedBatch = 64

    /// Seconds per training step (forward, backward, Adam) on one batch: one warm-up and two timed steps.
    public static func secondsPerBatch(_ make: () -> any Module, data: LessonData) -> Double {
        let batch = min(data.options.batchSize, data.train.count)
        let timed = min(batch, largestTimedBatch)
        return Random.withSeed(0x7133) {
            let model = make()
            model.train()
            let optimizer = Adam(model.parameters(), lr: data.options.lr)
            let lossFunction = CrossEntropyLoss()
            let (images, labels) = data.train.gather(Array(0..<timed))
            var start = Date()
            for step in 0..<3 {
                if step == 1 { start = Date() }
                let loss = lossFunction(model(images), labels)
                optimizer.zeroGrad()
                loss.backward()
                optimizer.step()
            }
            return Date().timeIntervalSince(start) / 2 * Double(batch) / Double(timed)
        }
    }

    /// Says the plan (console and report); with `--plan-only`, prints it as one JSON line instead
    /// and ends the lesson (status 0) before it trains.
    public static func announce(_ plan: PlanSummary, narrator: Narrator, options: TrainingOptions) throws {
        if options.planOnly {
            print(PlanSummary.marker + String(decoding: try plan.json(), as: UTF8.self))
            fflush(nil)
            throw ExitCode.success
        }
        narrator.say(plan.sentences(quick: options.quick, quickCommand: Interrupt.command(adding: "--quick")).joined(separator: "\n"))
    }
}

extension ComparisonTrainer {
    /// The networks `run(name:...)` will train or reuse, one per seed, for `TrainingPlan`.
    public func planned(name: String, displayName: String, epochs: Int, _ make: @escaping () -> any Module) -> [PlannedNetwork] {
        (0..<seeds).map { offset in
            let seed = baseSeed &+ UInt64(offset)
            let run = TrainingRun(name: checkpointName(name, seed: seed), displayName: displayName, seed: seed,
                                  epochs: epochs, data: data, output: output)
            return PlannedNetwork(run, make: make)
        }
    }
}
