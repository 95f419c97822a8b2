// Benchmark: training and evaluation throughput of the lesson's networks on this engine.
//
//     swift run -c release Benchmark --model resnet18 --mode both --batch-size 64 --steps 10 --warmup 3 --threads 2
//
// A training step is what the lesson's loop does per batch: zero-grad, forward, loss, backward,
// Adam step, on one fixed random batch of 1x32x32 images with 10 classes. An evaluation step is a
// no-grad forward in eval mode. The median step time is reported (robust to a shared machine's
// noise), with images per second and the process's peak resident memory for that measurement.

import ArgumentParser
import Core
import Foundation

enum ModelChoice: String, CaseIterable, ExpressibleByArgument {
    case vgg16, resnet18, plainnet, deepresnet, all

    /// The networks this choice stands for, in the order the lesson meets them.
    var models: [ModelChoice] { self == .all ? [.vgg16, .resnet18, .plainnet, .deepresnet] : [self] }

    func build() -> any Module {
        switch self {
        case .vgg16: return VGG16()
        case .resnet18: return ResNet18()
        case .plainnet: return PlainNet()
        case .deepresnet: return DeepResNet()
        case .all: fatalError("`all` is not one network")
        }
    }
}

extension InstructionSet: ExpressibleByArgument {}

enum ModeChoice: String, CaseIterable, ExpressibleByArgument {
    case train, eval, both
    var modes: [ModeChoice] { self == .both ? [.train, .eval] : [self] }
}

struct Benchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Benchmark",
        abstract: "Measure training and evaluation throughput of the lesson's networks (1x32x32 inputs, 10 classes).")

    @Option(help: "Network: \(ModelChoice.allCases.map(\.rawValue).joined(separator: ", ")).")
    var model: ModelChoice = .resnet18

    @Option(help: "What to time: train, eval or both.")
    var mode: ModeChoice = .both

    @Option(help: "Images per step.")
    var batchSize: Int = 64

    @Option(help: "Timed steps (the median is reported).")
    var steps: Int = 10

    @Option(help: "Untimed steps first (buffers, caches, allocator).")
    var warmup: Int = 3

    @Option(help: "Threads for the engine and BLAS.")
    var threads: Int = 2

    @Flag(help: "One JSON object per line instead of a table.")
    var json = false

    @Option(help: "Random seed for the weights and the fixed batch.")
    var seed: UInt64 = 0

    @Flag(help: "Only Winograd F(2x2, 3x3) tiles, no F(4x4, 3x3) (to measure what the larger tile gains).")
    var smallWinogradTiles = false

    @Flag(help: "Stride-2 3x3 convolutions through im2col + GEMM instead of their Winograd (to measure what it gains).")
    var im2colStrideTwo = false

    @Option(help: "Vector instructions of the engine's own kernels: \(InstructionSet.allCases.map(\.rawValue).joined(separator: ", ")) (default: the widest this processor has).")
    var isa: InstructionSet?

    @Option(help: ArgumentHelp("Time one 3x3 convolution layer instead of a network: in,out,size,stride (e.g. 64,128,32,2).",
                               valueName: "C,O,H,S"))
    var conv: String?

    func validate() throws {
        guard batchSize >= 2 else { throw ValidationError("--batch-size must be at least 2 (BatchNorm needs 2 images), got \(batchSize)") }
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1, got \(steps)") }
        guard warmup >= 0 else { throw ValidationError("--warmup must be 0 or more, got \(warmup)") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if let isa {
            // Refused here with the reason, rather than stopping on an illegal instruction later.
            var options = KernelOptions()
            do { try options.setInstructionSet(isa) } catch { throw ValidationError("--isa: \(error)") }
        }
        if let conv, ConvLayerSpec(conv) == nil {
            throw ValidationError("--conv wants four positive whole numbers in,out,size,stride (e.g. 64,128,32,2), got '\(conv)'")
        }
    }

    /// Which BLAS the engine calls.
    private var blasName: String {
        #if canImport(Accelerate)
        return "Accelerate"
        #else
        return "OpenBLAS"
        #endif
    }

    func run() throws {
        var options = KernelOptions()
        options.largeWinogradTiles = !smallWinogradTiles
        options.strideTwoWinograd = !im2colStrideTwo
        if let isa { try options.setInstructionSet(isa) }
        let kernelsISA = options.instructionSet.rawValue
        Threads.using(threads) { KernelOptions.with(options) {
            if let conv, let spec = ConvLayerSpec(conv) {
                let (wall, cpu) = timeConvLayer(spec, batch: batchSize, steps: steps, warmup: warmup, seed: seed)
                func line(_ t: LayerTimes) -> String {
                    "forward \(format(t.forward, 1)), backward \(format(t.backward, 1)), eval forward \(format(t.evalForward, 1))"
                }
                print("\(spec.description), batch \(batchSize), \(threads) thread(s), ISA \(kernelsISA), median ms: wall \(line(wall)); CPU \(line(cpu))")
                return
            }
            // The machine and the code path behind every figure.
            let machine = "processor: \(Processor.summary); BLAS: \(blasName) (\(BLASCore.coreName) kernels); "
                + "engine kernels: \(kernelsISA) (available: \(InstructionSet.available.map(\.rawValue).joined(separator: ", ")))"
            if !json {
                print(machine)
                print("model       mode   threads  batch  median step (s)   img/s    peak RSS (MB)")
            }
            for choice in model.models {
                for phase in mode.modes {
                    let result = measure(choice, phase)
                    if json {
                        let fields: [String] = [
                            "\"model\":\"\(choice.rawValue)\"", "\"mode\":\"\(phase.rawValue)\"",
                            "\"threads\":\(threads)", "\"batch_size\":\(batchSize)",
                            "\"median_step_s\":\(format(result.median, 6))",
                            "\"img_per_s\":\(format(Double(batchSize) / result.median, 2))",
                            "\"peak_rss_mb\":\(format(result.peakMB, 1))",
                            "\"training_estimate_mb\":\(format(result.estimateMB, 1))",
                            "\"median_cpu_s\":\(format(result.cpu, 6))",
                            "\"blas_core\":\"\(BLASCore.coreName)\"",
                            "\"isa\":\"\(kernelsISA)\"",
                        ]
                        print("{" + fields.joined(separator: ",") + "}")
                    } else {
                        print(choice.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)
                              + phase.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)
                              + pad(String(threads), 7) + pad(String(batchSize), 7)
                              + pad(format(result.median, 4), 17) + pad(format(Double(batchSize) / result.median, 1), 9)
                              + pad(format(result.peakMB, 1), 15))
                    }
                    fflush(nil)
                }
            }
        } }
    }

    /// Builds a fresh network and batch, runs the warm-up and timed steps, returns the median
    /// step time and the peak RSS reached while this measurement ran.
    func measure(_ choice: ModelChoice, _ phase: ModeChoice) -> (median: Double, peakMB: Double, cpu: Double, estimateMB: Double) {
        Random.withSeed(seed) { measureScoped(choice, phase) }
    }

    private func measureScoped(_ choice: ModelChoice, _ phase: ModeChoice) -> (median: Double, peakMB: Double, cpu: Double, estimateMB: Double) {
        let model = choice.build()
        let generator = Generator(seed: seed &+ 1)
        let images = Tensor.randn([batchSize, 1, 32, 32], generator: generator)
        let labels = (0..<batchSize).map { _ in Int(generator.next() % 10) }
        let optimizer = Adam(model.parameters(), lr: 1e-3)
        let lossFunction = CrossEntropyLoss()
        // What the engine would estimate for this step before running it (compared in MemoryPlanTests).
        let estimateMB = Double(MemoryPlan(model: model, batchSize: batchSize, imageShape: [1, 32, 32]).stepBytes) / 1_048_576
        if phase == .train { model.train() } else { model.eval() }

        func step() {
            if phase == .train {
                optimizer.zeroGrad()
                let loss = lossFunction(model(images), labels)
                loss.backward()
                optimizer.step()
            } else {
                noGrad { _ = model(images) }
            }
        }

        PeakMemory.reset()
        for _ in 0..<warmup { step() }
        var times: [Double] = [], cpuTimes: [Double] = []
        for _ in 0..<steps {
            let start = DispatchTime.now().uptimeNanoseconds
            let cpuStart = processCPUSeconds()
            step()
            cpuTimes.append(processCPUSeconds() - cpuStart)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        cpuTimes.sort()
        times.sort()
        let median = times.count % 2 == 1 ? times[times.count / 2]
            : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
        return (median, PeakMemory.megabytes(), cpuTimes[cpuTimes.count / 2], estimateMB)
    }

    private func format(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
    private func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }
}

/// CPU time of the whole process (all threads), user + system. On a shared machine the wall
/// time of a step swings with other jobs; its CPU time much less, so it is reported alongside.
func processCPUSeconds() -> Double {
    var usage = rusage()
    #if os(Linux)
    getrusage(RUSAGE_SELF.rawValue, &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// Peak resident memory. On Linux the high-water mark (VmHWM) can be reset by writing "5" to
/// /proc/self/clear_refs, so each measurement of `--model all` reports its own peak; elsewhere
/// it is the process's peak so far (getrusage).
enum PeakMemory {
    static func reset() {
        #if os(Linux)
        if let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") {
            handle.write("5".data(using: .ascii)!)
            try? handle.close()
        }
        #endif
    }

    static func megabytes() -> Double {
        #if os(Linux)
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
           let kb = Double(line.split(separator: " ").dropFirst().first ?? "") {
            return kb / 1024
        }
        #endif
        var usage = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024          // kilobytes on Linux
        #else
        getrusage(RUSAGE_SELF, &usage)
        return Double(usage.ru_maxrss) / 1_048_576     // bytes on macOS
        #endif
    }
}

Benchmark.main()
