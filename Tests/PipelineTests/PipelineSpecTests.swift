import Foundation
import Pipeline
import Reduction
import TestSupport
import Testing
import VideoIO

@Suite struct PipelineSpecTests {
    func load(_ name: String) throws -> PipelineSpec {
        try PipelineSpec(contentsOf: TestSupport.repoRoot.appendingPathComponent("pipelines/\(name)").path)
    }

    @Test func evsPipelineIsNemotronsDefault() throws {
        let resolved = try load("evs.yaml").resolved()
        #expect(resolved.sampling.mode == .fps(2))
        #expect(resolved.resize == .exact(.square(512)))
        #expect(resolved.reducers == ["evs:rate=0.7,metric=l1,reference=previous"])
    }

    @Test func defaultFileMatchesBuiltInDefaults() throws {
        #expect(try load("default.yaml").resolved() == (try PipelineSpec().resolved()).withSpecFile(
            TestSupport.repoRoot.appendingPathComponent("pipelines/default.yaml").path))
    }

    @Test func everyShippedPipelineResolves() throws {
        let dir = TestSupport.repoRoot.appendingPathComponent("pipelines")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".yaml") }
        #expect(files.count >= 2)
        for file in files { _ = try load(file).resolved() }
    }

    @Test func flagsOverrideTheFile() throws {
        var flags = PipelineSpec()
        flags.frames = 64
        flags.reducers = [try ReducerSpec(parsing: "evs:threshold=0.04")]
        let resolved = try load("evs.yaml").overlaid(with: flags).resolved()
        #expect(resolved.sampling.mode == .count(64))
        #expect(resolved.reducers == ["evs:threshold=0.04,metric=l1,reference=previous"])
    }

    @Test func flagOptionsMergeIntoTheFilesReducer() throws {
        var flags = PipelineSpec()
        flags.reducers = [try ReducerSpec(parsing: "evs:metric=cosine")]
        let resolved = try load("evs.yaml").overlaid(with: flags).resolved()
        #expect(resolved.reducers == ["evs:rate=0.7,metric=cosine,reference=previous"])
    }

    @Test func mappingFormOfReducers() throws {
        let spec = try PipelineSpec(yaml: "reduce:\n  - evs: {threshold: 0.05, refresh: 8}\n")
        #expect(try spec.resolved().reducers == ["evs:threshold=0.05,metric=l1,reference=previous,refresh=8"])
    }

    @Test func keepAspect() throws {
        var spec = PipelineSpec()
        spec.size = "448"
        spec.keepAspect = true
        let resize = try spec.resolved().resize
        #expect(resize.outputSize(forSource: FrameSize(width: 1280, height: 720)) == FrameSize(width: 448, height: 256))
        #expect(resize.outputSize(forSource: FrameSize(width: 640, height: 272)) == FrameSize(width: 448, height: 192))
    }

    @Test("bad specs give one clear line", arguments: [
        ("resize:\n  size: 500\n", "multiples of the patch size"),
        ("resize:\n  size: 512x-16\n", "multiples"),
        ("resize:\n  size: big\n", "not a size"),
        ("sampling:\n  fps: 0\n", "positive"),
        ("sampling:\n  fps: 2\n  frames: 8\n", "one sampling mode"),
        ("sampling:\n  speed: 2\n", "unknown key sampling.speed"),
        ("colour: red\n", "unknown section"),
        ("reduce:\n  - evs:rate=1.5\n", "outside [0, 1)"),
        ("reduce:\n  - magic:level=3\n", "unknown reducer 'magic'"),
        ("reduce: evs\n", "must be a list"),
        ("output:\n  dtype: f8\n", "use f32, f16 or bf16"),
        ("sampling:\n  start: 5\n  end: 2\n", "must be after"),
        ("sampling: [\n", "not valid YAML"),
    ])
    func badSpecs(_ yaml: String, _ fragment: String) {
        do {
            _ = try PipelineSpec(yaml: yaml, source: "test.yaml").resolved()
            Issue.record("accepted: \(yaml)")
        } catch {
            let message = String(describing: error)
            #expect(message.contains(fragment), "\(message)")
            #expect(!message.contains("\n"), "\(message)")
        }
    }
}

extension ResolvedPipeline {
    func withSpecFile(_ path: String) -> ResolvedPipeline {
        var copy = self
        copy.specFile = path
        return copy
    }
}
