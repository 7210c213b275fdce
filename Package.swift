// swift-tools-version: 6.1
import PackageDescription

/// Temper: a define-and-run graph compiler for training neural networks, layered
/// COpenBLAS -> Graph -> Autodiff -> Runtime -> (Models, Tracking, ...) -> TemperCLI.
/// Imports only point down this list (see docs/ARCHITECTURE.md).
let package = Package(
    name: "Temper",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Temper", targets: ["Graph", "Autodiff", "Runtime", "GradientCheck", "Models", "Charts"]),
        .library(name: "TemperTracking", targets: ["Tracking"]),
        .library(name: "TemperTuning", targets: ["Tuning"]),
        .library(name: "TemperLab", targets: ["Lab"]),
        .executable(name: "temper", targets: ["TemperProgram"]),
        .executable(name: "temper-bench", targets: ["TemperBench"]),
        .executable(name: "keras-tuner-example", targets: ["KerasTunerExample"]),
        // The live dashboard: a program of its own, so `temper` builds without a web server.
        .executable(name: "temper-dashboard", targets: ["TemperDashboard"]),
        // `temper` with PostgreSQL stores (many machines): a program of its own, so `temper`
        // builds without a PostgreSQL client; `temper` hands `postgres://` stores to it.
        .executable(name: "temper-postgres", targets: ["TemperPostgresProgram"]),
        .library(name: "TrackingPostgres", targets: ["TrackingPostgres"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/ordo-one/malloc-interposer", from: "1.6.0"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenBLAS",
            path: "Sources/COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(name: "Graph"),
        .target(name: "Autodiff", dependencies: ["Graph"]),
        // Float32 kernels built for AVX2 and baseline x86-64 alike, chosen per CPU at load time.
        .target(name: "CKernels"),
        .target(name: "Runtime", dependencies: ["Graph", "COpenBLAS", "CKernels"]),
        .target(name: "GradientCheck", dependencies: ["Graph", "Autodiff", "Runtime"]),
        .target(name: "Workloads", dependencies: ["Graph", "Autodiff", "Runtime"]),
        .target(name: "Charts"),
        .target(name: "Tracking", dependencies: ["Models", "Runtime", "Charts", .product(name: "GRDB", package: "GRDB.swift"),
                                                .product(name: "GRDBSQLite", package: "GRDB.swift")]),
        .target(name: "Tuning", dependencies: ["Models", "Runtime", "Tracking", "Yams"]),
        .target(name: "CaseStudies", dependencies: ["Models", "Charts", "Tracking"], resources: [.copy("Resources")]),
        // The deck's techniques as runnable sweeps (Examples/techniques, shipped as resources), and their runner.
        .target(name: "TechniqueExamples", dependencies: ["Models"], path: "Examples/techniques", exclude: ["README.md"],
                resources: [.copy("data"), .copy("01-capacity"), .copy("02-batch-size"), .copy("03-loss-functions"), .copy("04-learning-rate"), .copy("05-data-scaling"), .copy("06-relu"), .copy("07-gradient-clipping"), .copy("08-batch-normalization"), .copy("09-regularization"), .copy("10-weight-regularization"), .copy("11-weight-constraints"), .copy("12-dropout"), .copy("13-noise"), .copy("14-early-stopping")]),
        .target(name: "Techniques", dependencies: ["TechniqueExamples", "Models", "Charts", "Tracking", "Tuning"]),
        // The batch-norm lab: the deck's papers on why BN works, measured (`temper lab …`).
        .target(name: "Lab", dependencies: ["Models", "Runtime", "Charts", "Tracking", "Tuning"], resources: [.copy("Resources")]),
        .target(name: "Models", dependencies: ["Graph", "Autodiff", "Runtime", .product(name: "CSV", package: "CSV.swift")]),
        .target(
            name: "Benchmarks",
            dependencies: ["Graph", "Autodiff", "Runtime", "Workloads", "Models", "CaseStudies", "Tracking", "Tuning", "Dashboard"],
            path: "Benchmarks",
            exclude: ["Peers"]
        ),
        // Counting allocations replaces malloc for the whole process: only the benchmark
        // executable and the tests link it, never `temper`.
        .target(name: "TerminalOutput"),
        .target(name: "AllocationCounting", dependencies: [.product(name: "MallocInterposerSwift", package: "malloc-interposer")]),
        .executableTarget(
            name: "TemperBench",
            dependencies: ["Benchmarks", "AllocationCounting", "Runtime", "Workloads", "TerminalOutput", "TrackingPostgres", "ProcessSupport",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // The command line's commands, for `temper` and `temper-postgres`.
        .target(
            name: "TemperCLI",
            dependencies: [
                "Graph", "Autodiff", "Runtime", "GradientCheck", "Workloads", "Models", "CaseStudies", "Lab", "Techniques", "TechniqueExamples", "Tracking", "Charts", "Tuning", "TerminalOutput",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(name: "TemperProgram", dependencies: ["TemperCLI"]),
        .executableTarget(name: "TemperPostgresProgram", dependencies: ["TemperCLI", "TrackingPostgres"]),
        // The run store on PostgreSQL (postgres-nio): its own module, so the core builds without it.
        .target(name: "TrackingPostgres", dependencies: ["Tracking", .product(name: "PostgresNIO", package: "postgres-nio")]),
        // The dashboard's JSON API and pages over a run store (Hummingbird), and its program.
        .target(name: "Dashboard", dependencies: ["Tracking", "Tuning", "Charts", .product(name: "Hummingbird", package: "hummingbird"),
                                                 .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")], resources: [.copy("Pages")]),
        .executableTarget(name: "TemperDashboard", dependencies: ["Dashboard", "Tracking", "TrackingPostgres", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "KerasTunerExample", dependencies: ["Models", "Tuning"], path: "Examples/keras-tuner", exclude: ["README.md"]),
        // The README's examples, for the tests that hold them (not a product).
        .target(name: "ReadmeSupport", path: "Tests/ReadmeSupport"),
        // Starting programs and throwaway stores, for the tests that do (not a product).
        .target(name: "ProcessSupport", path: "Tests/ProcessSupport"),
        // A program the run store's process tests start and kill (not a product).
        .executableTarget(name: "TrackingProbe", dependencies: ["Tracking", .product(name: "ArgumentParser", package: "swift-argument-parser")], path: "Tests/TrackingProbe"),
        .testTarget(name: "GraphTests", dependencies: ["Graph", "Runtime", "Workloads"], resources: [.copy("Golden")]),
        .testTarget(name: "AutodiffTests", dependencies: ["Graph", "Autodiff", "Runtime"]),
        .testTarget(name: "GradientCheckTests", dependencies: ["Graph", "Autodiff", "Runtime", "GradientCheck"]),
        .testTarget(name: "ChartsTests", dependencies: ["Charts"]),
        .testTarget(name: "TrackingTests", dependencies: ["Tracking", "Models", "Charts", "TrackingProbe", "ProcessSupport", "ReadmeSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "TuningTests", dependencies: ["Tuning", "Tracking", "Models", "Runtime", "ReadmeSupport"]),
        .testTarget(name: "CaseStudiesTests", dependencies: ["CaseStudies", "Models", "Charts"]),
        .testTarget(name: "LabTests", dependencies: ["Lab", "Models", "Charts", "Tracking", "Tuning"]),
        .testTarget(name: "TechniquesTests", dependencies: ["Techniques", "TechniqueExamples", "Tracking"]),
        .testTarget(name: "WorkloadsTests", dependencies: ["Workloads", "Graph", "Runtime"]),
        .testTarget(name: "BenchmarksTests", dependencies: ["Benchmarks", "AllocationCounting", "Workloads", "CaseStudies"]),
        // The command line as a user runs it: the `temper` program, over the run store.
        .testTarget(name: "TemperCLITests", dependencies: ["TemperCLI", "TemperProgram", "TerminalOutput", "Tracking", "Models", "TrackingProbe", "ProcessSupport",
                                                         .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "ModelsTests", dependencies: ["Graph", "Runtime", "Models", "ReadmeSupport"], resources: [.copy("Data")]),
        .testTarget(name: "DashboardTests", dependencies: ["Dashboard", "TemperDashboard", "Tracking", "Tuning", "Models", "ProcessSupport",
                                                         .product(name: "GRDB", package: "GRDB.swift"),
                                                         .product(name: "HummingbirdTesting", package: "hummingbird")]),
        // The run store on a real PostgreSQL server (started by the tests on loopback), and agents.
        .testTarget(name: "PostgresTests", dependencies: ["TrackingPostgres", "Tracking", "Tuning", "Dashboard", "ProcessSupport", "TemperProgram", "TemperPostgresProgram"]),
        .testTarget(name: "RuntimeTests", dependencies: ["Graph", "Autodiff", "Runtime", "CKernels", "Workloads", "AllocationCounting", "ReadmeSupport"]),
    ]
)
