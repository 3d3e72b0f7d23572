/// Which pixels of a frame carry input: a grid of `cell`-pixel square cells, row-major.
struct GSPNCellMask: Sendable {
    var rows: Int
    var columns: Int
    var cell: Int
    var keep: [Bool]

    /// One flag per pixel of a map at `stride` (a map pixel covers `stride` image pixels a side):
    /// kept when any cell it overlaps is kept.
    func at(stride: Int, height: Int, width: Int) -> [Bool] {
        var out = [Bool](repeating: false, count: height * width)
        for i in 0..<height {
            let r0 = i * stride / cell, r1 = min(rows, ((i + 1) * stride + cell - 1) / cell)
            for j in 0..<width {
                let c0 = j * stride / cell, c1 = min(columns, ((j + 1) * stride + cell - 1) / cell)
                var any = false
                var r = r0
                while r < r1 && !any {
                    for c in c0..<max(c0, c1) where keep[r * columns + c] { any = true; break }
                    r += 1
                }
                out[i * width + j] = any
            }
        }
        return out
    }
}

/// The GSPN-1 classification backbone (`VSSM`, spec B.5) without its head, on channel-last maps:
///
/// ```
/// stem:  Conv3×3 s2 (3→C/2) → LN2d → GELU → Conv3×3 s2 (C/2→C) → LN2d        (stride 4)
/// stage i = 0…3: depths[i] × VSSBlock(dims[i]); after stages 0–2: Conv3×3 s2 (d→2d) → LN2d
/// ```
///
/// Local blocks scan in chunks of `itemsEachChunk` columns, global ones in chunks of the released
/// hard-coded `feat_size` (`imgSize/4/2^i`) unless ``GSPNConfig/globalScansFullWidth``.
/// Every stage map must be square (the four-direction transpose).
struct GSPNBackbone {
    let config: GSPNConfig
    let weights: GSPNBackboneWeights

    /// Runs a normalised image `[3, H, W]` (channel-first) up to the end of `stage` and returns the
    /// channel-last map `[h·w, dims[stage]]` with its size. With `mask`, pruned pixels are zeroed at
    /// the input and after every layer (see ``GSPNBlock``).
    func forward(_ image: [Float], height: Int, width: Int, stage: Int, mask: GSPNCellMask? = nil) throws -> (features: [Float], height: Int, width: Int) {
        let w = weights
        defer { GSPNScratch.drain() }
        var x = GSPNOps.toChannelLast(image, pixels: height * width, channels: 3)
        var h = height, wd = width
        func keep(_ stride: Int) -> [Bool]? { mask?.at(stride: stride, height: h, width: wd) }
        GSPNOps.mask(&x, dim: 3, keep: keep(1))
        (x, h, wd) = GSPNOps.conv3x3s2(x, height: h, width: wd, w.stem1)
        x = GSPNOps.layerNorm(x, rows: h * wd, dim: w.stem1.output, w.stemNorm1)
        GSPNOps.gelu(&x)
        GSPNOps.mask(&x, dim: w.stem1.output, keep: keep(2))
        (x, h, wd) = GSPNOps.conv3x3s2(x, height: h, width: wd, w.stem2)
        x = GSPNOps.layerNorm(x, rows: h * wd, dim: w.stem2.output, w.stemNorm2)
        var stride = 4
        GSPNOps.mask(&x, dim: w.stem2.output, keep: keep(stride))
        for i in 0...stage {
            guard h == wd else {
                throw GSPNError("GSPN stage \(i) map is \(wd)×\(h): the four-direction scan needs square maps (square input)")
            }
            let k = keep(stride)
            for (d, block) in w.stages[i].enumerated() {
                x = try GSPNBlock(weights: block).forward(x, height: h, width: wd,
                                                          chunk: config.chunk(stage: i, block: d, width: wd), keep: k)
            }
            if i == stage { break }
            let (conv, norm) = w.downsample[i]
            (x, h, wd) = GSPNOps.conv3x3s2(x, height: h, width: wd, conv)
            x = GSPNOps.layerNorm(x, rows: h * wd, dim: conv.output, norm)
            stride *= 2
            GSPNOps.mask(&x, dim: conv.output, keep: keep(stride))
        }
        return (x, h, wd)
    }
}
