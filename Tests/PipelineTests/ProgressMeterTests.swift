import Pipeline
import Testing

@Suite struct ProgressMeterTests {
    @Test func drawsCountsAndRateThenEndsTheLine() {
        var lines: [String] = []
        let meter = ProgressMeter(total: 3, label: "vtok") { lines.append($0) }
        meter.update(1)
        meter.update(3)
        meter.finish()
        #expect(lines.first?.hasPrefix("\rvtok ") == true)
        #expect(lines.contains { $0.contains("3/3 frames") && $0.contains("frames/s") })
        #expect(lines.last == "\n")
    }
}
