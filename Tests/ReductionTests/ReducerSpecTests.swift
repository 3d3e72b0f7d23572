import Reduction
import Testing

@Suite struct ReducerSpecTests {
    @Test func parsesNameAndOptions() throws {
        let spec = try ReducerSpec(parsing: " EVS:rate=0.7, metric=cosine ")
        #expect(spec.name == "evs")
        #expect(spec.value("rate") == "0.7")
        #expect(spec.value("metric") == "cosine")
        #expect(spec.description == "evs:rate=0.7,metric=cosine")
    }

    @Test func mergeOverridesAndAppends() throws {
        let base = try ReducerSpec(parsing: "evs:rate=0.7,metric=l1")
        let merged = base.merged(with: try ReducerSpec(parsing: "evs:metric=cosine,refresh=4"))
        #expect(merged.description == "evs:rate=0.7,metric=cosine,refresh=4")
    }

    @Test func rejectsEmpty() {
        #expect(throws: ReductionError.self) { try ReducerSpec(parsing: ":rate=1") }
    }
}
