import Foundation
import Core

/// Where an interrupted run's state goes and how `--resume` finds it.
///
/// The state itself is a `ResumeCheckpoint` (Core): one safetensors file in the
/// `TrainingCheckpoint` format (model, Adam moments and step, epoch, batch, data-order generator
/// state) with the global generator state, the epoch's running totals and the history so far in
/// its metadata, written atomically at `<output>/checkpoints/<name>.resume.safetensors`. It is
/// deleted when the run completes and its final weights are saved.
public enum ResumeState {
    /// The folder holding checkpoints and resume files under an output folder.
    public static func checkpointsFolder(output: URL) -> URL {
        output.appendingPathComponent("checkpoints", isDirectory: true)
    }

    /// The resume files under `output` (for `--resume` to check there is something to resume).
    public static func files(output: URL) -> [String] {
        let folder = checkpointsFolder(output: output)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".resume.safetensors") }.sorted().map { folder.appendingPathComponent($0).path }
    }

    /// Checks, before the lesson says anything, that `--resume` has something to resume under `output`.
    public static func checkSomethingToResume(output: String) throws {
        let root = URL(fileURLWithPath: output, isDirectory: true)
        guard files(output: root).isEmpty else { return }
        throw CoreError("--resume: there is no interrupted run to resume in \(checkpointsFolder(output: root).path) "
                        + "(no *.resume.safetensors file). Give the same --output as the interrupted run, or drop --resume to start afresh.")
    }

    /// Refuses `--resume` when the interrupted run had other settings, naming each difference and
    /// saying both ways on: the interrupted run's flags, or a fresh start without `--resume`.
    public static func checkSameSettings(saved: [String: String], current: [String: String], file: String, displayName: String) throws {
        let differences = differences(saved: saved, current: current)
        guard !differences.isEmpty else { return }
        throw CoreError("--resume: \(file) was saved by a run of \(displayName) with other settings: "
                        + differences.joined(separator: ", ")
                        + ". Give the same flags as the interrupted run to continue it, or drop --resume to train \(displayName) from the start "
                        + "(which replaces the interrupted run's file when it completes).")
    }

    /// The settings that differ between a saved run and this one, as "lr 0.01 (now 0.001)".
    static func differences(saved: [String: String], current: [String: String]) -> [String] {
        Set(saved.keys).union(current.keys).sorted().compactMap { key in
            saved[key] == current[key] ? nil : "\(key) \(saved[key] ?? "unset") (now \(current[key] ?? "unset"))"
        }
    }
}
