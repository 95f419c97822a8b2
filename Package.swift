// swift-tools-version:6.0
import PackageDescription

// The engine's hot code is compiled optimised even in the default debug build, because
// `swift run Exercise2_Residual` (a debug build) is the command a learner types.
let optimisedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let lessons = [
    "Exercise1_VGG", "Exercise2_Residual", "Exercise3_ResNet18", "Exercise4_PlainVsResidual",
    "Exercise5_GradientFlow", "MiniChallenge", "DepthStudy", "AllLessons",
]

let package = Package(
    name: "ModernArchitectures",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C libraries from the system (installed by scripts/setup.sh).
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLibPNG", path: "Sources/CLibPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CFreeType", path: "Sources/CFreeType", pkgConfig: "freetype2",
                       providers: [.apt(["libfreetype-dev"])]),

        // The network engine, one target per layer of the one-way flow
        // (kernels <- autograd <- layers <- models, data, checkpoints <- training): SwiftPM refuses
        // cycles between targets, so a low layer can never reach a high one.
        // The hot loops in C, compiled for the baseline, AVX2 and AVX-512 and chosen at run time
        // (InstructionSet.swift); optimised in debug too, for the reason above.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))]),
        // Pure functions on float buffers, over BLAS: no tensors, no graph.
        .target(name: "Kernels", dependencies: [
                    "CKernels",
                    .target(name: "CBLAS", condition: .when(platforms: [.linux])),
                ],
                swiftSettings: optimisedInDebug),
        // Tensor, the seeded generator, and every operation's forward and backward.
        .target(name: "Autograd", dependencies: ["Kernels"], swiftSettings: optimisedInDebug),
        // nn.Module and PyTorch's layers, losses and optimisers.
        .target(name: "Layers", dependencies: ["Autograd"], swiftSettings: optimisedInDebug),
        // The lesson's networks: VGG-16, ResNet-18, PlainNet and their blocks, one per file, beside
        // the lessons that teach them (Lessons/Models).
        .target(name: "Models", dependencies: ["Layers"], path: "Lessons/Models", swiftSettings: optimisedInDebug),
        // MNIST and Fashion-MNIST from their gzip IDX files, the lesson's transform, the data loader.
        .target(name: "Data", dependencies: ["Autograd", "CZlib"], swiftSettings: optimisedInDebug),
        // State dicts and training state in safetensors files, written atomically.
        .target(name: "Checkpoints", dependencies: ["Layers"], swiftSettings: optimisedInDebug),
        // The training loop, its history, and stopping and resuming a run.
        .target(name: "Training", dependencies: ["Layers", "Data", "Checkpoints"],
                swiftSettings: optimisedInDebug),
        // `import Core` brings the whole engine, as `import torch` does.
        .target(name: "Core", dependencies: [
                    "Kernels", "Autograd", "Layers", "Models", "Data", "Checkpoints", "Training",
                ]),
        // Figures rendered in Swift and written as PNG through libpng, text through FreeType.
        .target(name: "Charts", dependencies: ["CLibPNG", "CFreeType"],
                swiftSettings: optimisedInDebug),
        // What every lesson shares: flags, narration, reports, checkpoint reuse.
        .target(name: "LessonKit", dependencies: [
                    "Core", "Charts",
                    .product(name: "ArgumentParser", package: "swift-argument-parser"),
                ]),

        // Command-line tools.
        .executableTarget(name: "ModelTool", dependencies: [
                    "Core", "LessonKit",
                    .product(name: "ArgumentParser", package: "swift-argument-parser"),
                ], path: "Tools/ModelTool"),
        .executableTarget(name: "Benchmark", dependencies: [
                    "Core",
                    .product(name: "ArgumentParser", package: "swift-argument-parser"),
                ], path: "Tools/Benchmark", swiftSettings: optimisedInDebug),
        .executableTarget(name: "ChartsGallery", dependencies: ["Charts", "Core"],
                          path: "Tools/ChartsGallery"),

        // The lessons whose narration verdicts (each lesson's Verdicts.swift) the tests check.
        .testTarget(name: "CoreTests", dependencies: ["Core", "LessonKit", "ModelTool",
                                                     "Exercise1_VGG", "Exercise2_Residual", "Exercise3_ResNet18",
                                                     "Exercise4_PlainVsResidual", "Exercise5_GradientFlow",
                                                     "MiniChallenge"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "ChartsTests", dependencies: ["Charts", "CLibPNG"]),
    ] + lessons.map { name in
        .executableTarget(name: name, dependencies: [
            "Core", "Charts", "LessonKit",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Lessons/\(name)")
    },
    swiftLanguageModes: [.v6]
)
