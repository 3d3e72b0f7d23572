import Foundation

extension Report {
    /// The report as a terminal table: stages, totals, fidelity and a per-frame summary.
    public func table() -> String {
        var lines: [String] = []
        func row(_ cells: [String], _ widths: [Int]) -> String {
            zip(cells, widths).enumerated().map { i, pair in
                i == 0
                    ? pair.0.padding(toLength: pair.1, withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: max(0, pair.1 - pair.0.count)) + pair.0
            }.joined(separator: "  ")
        }
        let widths = [14, 11, 11, 8, 10]
        lines.append(row(["stage", "tokens in", "tokens out", "kept", "seconds"], widths))
        lines.append(String(repeating: "─", count: widths.reduce(0, +) + 2 * (widths.count - 1)))
        for s in stages {
            let kept = s.tokensIn > 0 ? String(format: "%.1f%%", 100 * Double(s.tokensOut) / Double(s.tokensIn)) : "–"
            lines.append(row([s.name, "\(s.tokensIn)", "\(s.tokensOut)", kept, String(format: "%.3f", s.seconds)], widths))
        }
        lines.append(String(repeating: "─", count: widths.reduce(0, +) + 2 * (widths.count - 1)))
        let kept = tokensIn > 0 ? String(format: "%.1f%%", 100 * Double(tokensOut) / Double(tokensIn)) : "–"
        lines.append(row(["total", "\(tokensIn)", "\(tokensOut)", kept, String(format: "%.3f", seconds)], widths))
        lines.append("")
        lines.append(String(format: "compression   %.2f×  (%d → %d tokens of width %d)", compressionRatio, tokensIn, tokensOut, tokenDimension))
        if let all = tokensAllScales, all > 0 {
            lines.append(
                String(
                    format: "multi-scale   %.2f%% of the %d tokens of all scales; %@ by scale (finest first)",
                    100 * Double(tokensOut) / Double(all), all, scaleTokens.map(String.init).joined(separator: " / ")))
        }
        if let encoder {
            var line = String(
                format: "encoder       %@: %d tokens in, %d out of width %d in %.2f s", encoder.name, encoder.tokensEncoded,
                encoder.tokensProduced, encoder.embedDim, encoder.seconds)
            if let gflops = encoder.gflops, let dense = encoder.denseGFLOPs, dense > 0 {
                line += String(format: ", %.1f GFLOP (%.1f%% saved against every patch)", gflops, 100 * (1 - gflops / dense))
            }
            lines.append(line)
        }
        var framesLine = "frames        \(frames) sampled of \(framesInVideo) in the video, \(framesDecoded) decoded"
        framesLine += String(format: ", %.1f frames/s", framesPerSecond)
        lines.append(framesLine)
        if framesLost > 0 || corruptPackets > 0 || framesDamaged > 0 || framesMissing > 0 {
            lines.append(
                "damaged       \(framesLost) sampled frame(s) lost, \(framesDamaged) decoded with errors, "
                    + "\(corruptPackets) corrupt packet(s), \(framesMissing) frame(s) missing from the stream")
        }
        if let mse {
            if let psnrDB {
                lines.append(String(format: "fidelity      PSNR %.2f dB (MSE %.3g) of the video rebuilt from kept patches", psnrDB, mse))
            } else {
                lines.append("fidelity      lossless: the kept patches rebuild every sampled frame exactly")
            }
        }
        if !frameTokens.isEmpty {
            let lo = frameTokens.min()!, hi = frameTokens.max()!
            let mean = Double(frameTokens.reduce(0, +)) / Double(frameTokens.count)
            lines.append(String(format: "per frame     min %d, mean %.1f, max %d tokens", lo, mean, hi))
            lines.append("              " + Self.sparkline(frameTokens))
        }
        return lines.joined(separator: "\n")
    }

    /// A one-line bar chart of per-frame counts (at most 64 columns, averaged per column).
    static func sparkline(_ values: [Int]) -> String {
        let bars = Array("▁▂▃▄▅▆▇█")
        let columns = min(64, values.count)
        guard columns > 0, let hi = values.max(), hi > 0 else { return "" }
        var out = ""
        for c in 0..<columns {
            let a = c * values.count / columns, b = max(a + 1, (c + 1) * values.count / columns)
            let mean = Double(values[a..<b].reduce(0, +)) / Double(b - a)
            out.append(bars[min(bars.count - 1, Int(mean / Double(hi) * Double(bars.count - 1) + 0.5))])
        }
        return out
    }
}
