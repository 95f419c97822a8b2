// swift-tools-version:6.0
import PackageDescription

// The engine's hot code is compiled optimised even in the default debug build, because
// `swift run Exercise2_Residual` (a debug build) is the command a learner types.
let optimisedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let lessons = [
    "Exercise1_VGG", "Exercise2_Residual", "Exercise3_ResNet18", "Exercise4_PlainVsResidual",
    "Exercise5_GradientFlow", "MiniChallenge", "DepthStudy",
]

let package = Package(
    name: "ModernArchitectures",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Core", targets: ["Core"]),
        .library(name: "Charts", targets: ["Charts"]),
    ],
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

        // The network engine: tensors, autograd, layers, losses, optimisers, data, checkpoints.
        .target(name: "Core", dependencies: [
                    .target(name: "CBLAS", condition: .when(platforms: [.linux])),
                    "CZlib",
                ],
                swiftSettings: optimisedInDebug),
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

        .testTarget(name: "CoreTests", dependencies: ["Core", "LessonKit"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "ChartsTests", dependencies: ["Charts", "CLibPNG"]),
    ] + lessons.map { name in
        .executableTarget(name: name, dependencies: [
            "Core", "Charts", "LessonKit",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Lessons/\(name)")
    },
    swiftLanguageModes: [.v5]
)
