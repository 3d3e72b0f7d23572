// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "vtok",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "vtok", targets: ["vtok"]),
        .library(name: "VideoIO", targets: ["VideoIO"]),
        .library(name: "TensorCore", targets: ["TensorCore"]),
        .library(name: "Reduction", targets: ["Reduction"]),
        .library(name: "Pipeline", targets: ["Pipeline"]),
        .library(name: "Encoders", targets: ["Encoders"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.0"),
    ],
    targets: [
        // System libraries (pkg-config) with C shims for what Swift cannot import.
        .systemLibrary(
            name: "CFFmpeg",
            pkgConfig: "libavformat libavcodec libavutil libswscale",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavutil-dev", "libswscale-dev"])]
        ),
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),

        // Libraries: all logic lives here.
        .target(name: "TensorCore", dependencies: ["COpenBLAS"]),
        .target(name: "VideoIO", dependencies: ["CFFmpeg"]),
        .target(name: "Reduction", dependencies: ["TensorCore", "VideoIO"]),
        .target(name: "Encoders", dependencies: ["TensorCore", "Reduction", "COpenBLAS"]),
        .target(
            name: "Pipeline",
            dependencies: ["TensorCore", "VideoIO", "Reduction", "Encoders", .product(name: "Yams", package: "Yams")]
        ),

        // The command-line tool: argument parsing and printing only.
        .executableTarget(
            name: "vtok",
            dependencies: ["Pipeline", "VideoIO", "Reduction", "Encoders", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "TestSupport", .product(name: "PropertyBased", package: "swift-property-based")]),
        .testTarget(name: "VideoIOTests", dependencies: ["VideoIO", "TestSupport"]),
        .testTarget(name: "ReductionTests", dependencies: ["Reduction", "TestSupport", .product(name: "PropertyBased", package: "swift-property-based")]),
        .testTarget(name: "EncodersTests", dependencies: ["Encoders", "TestSupport"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "TestSupport"]),
        .testTarget(name: "VtokCLITests", dependencies: ["Pipeline", "TestSupport"]),
    ]
)
