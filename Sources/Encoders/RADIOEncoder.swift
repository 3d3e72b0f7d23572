import TensorCore

/// The C-RADIO vision encoder (AM-RADIO / RADIOv2.5 / C-RADIOv3 / C-RADIOv4 CPE ViTs) on the CPU.
///
/// Weights load once, converted to Float32. ``encode(images:width:height:)`` runs the dense
/// forward pass of spec A.2; ``encode(_:)`` encodes only the tokens of a `TokenSet` (sparse).
/// Linear layers run as one `cblas_sgemm` over all tokens of all frames; attention runs per frame
/// (block-diagonal) and head through GEMMs with a stable softmax.
///
/// ```swift
/// let encoder = try RADIOEncoder(path: "~/models/C-RADIOv4-H")
/// let (summary, features) = try encoder.encode(images: [chw], width: 512, height: 512)
/// ```
public final class RADIOEncoder: @unchecked Sendable {
    /// The model description.
    public let config: RADIOConfig
    let weights: RADIOWeights

    /// Loads the checkpoint at `path`: a Hugging Face model folder (config.json + model.safetensors)
    /// or a `.safetensors` file alone (arch from tensor shapes and `options`).
    ///
    /// - Throws: ``RADIOError`` naming the file and key for unreadable files, missing tensors and
    ///   shape mismatches.
    public init(path: String, options: RADIOOptions = RADIOOptions()) throws(RADIOError) {
        let (file, json) = try RADIOConfig.open(path)
        let config = try RADIOConfig(file: file, config: json, options: options)
        self.config = config
        weights = try RADIOWeights(file: file, config: config)
    }

    /// Dense forward of a batch of images.
    ///
    /// - Parameters:
    ///   - images: each image planar RGB, `3 × height × width` (channel, row, column), values in [0,1].
    ///   - width, height: the image size in pixels; multiples of the patch size (times the ViTDet
    ///     window when that is on).
    /// - Returns: `summary`, `B × (summaryIndices.count · D)`, and `features`, `B × (h·w) × D` in
    ///   row-major patch order (`h = height / P`, `w = width / P`).
    public func encode(images: [[Float]], width: Int, height: Int) throws(RADIOError) -> (summary: [Float], features: [Float]) {
        let P = config.patchSize, D = config.embedDim
        var step = P
        if config.vitdetWindow > 0 { step *= config.vitdetWindow }
        guard width > 0, height > 0, width % step == 0, height % step == 0 else {
            throw RADIOError("image size \(width)×\(height) is not a positive multiple of \(step) pixels")
        }
        for (i, image) in images.enumerated() where image.count != 3 * width * height {
            throw RADIOError("image \(i) has \(image.count) values, expected 3×\(height)×\(width) = \(3 * width * height)")
        }
        let h = height / P, w = width / P, hw = h * w, B = images.count
        guard B > 0 else { return ([], []) }
        let patchDim = 3 * P * P

        // Token order inside a frame: raster, or window-major with ViTDet.
        var order: [Int] = []   // order[k] = raster index of the k-th token
        var windows: [Range<Int>]? = nil
        if config.vitdetWindow > 0 {
            let S = config.vitdetWindow
            windows = []
            for wy in 0..<(h / S) {
                for wx in 0..<(w / S) {
                    let start = order.count
                    for py in 0..<S { for px in 0..<S { order.append((wy * S + py) * w + wx * S + px) } }
                    windows!.append(start..<order.count)
                }
            }
        } else {
            order = Array(0..<hw)
        }

        var tokens = PackedTokens(pixels: [Float](repeating: 0, count: B * hw * patchDim),
                                  row: [], col: [], gridRows: [], gridCols: [],
                                  frameCounts: [Int](repeating: hw, count: B))
        tokens.row.reserveCapacity(B * hw); tokens.col.reserveCapacity(B * hw)
        for _ in 0..<B {
            for r in order { tokens.row.append(r / w); tokens.col.append(r % w) }
        }
        tokens.gridRows = [Int](repeating: h, count: B * hw)
        tokens.gridCols = [Int](repeating: w, count: B * hw)
        if let windows { tokens.windows = [[Range<Int>]](repeating: windows, count: B) }
        tokens.pixels.withUnsafeMutableBufferPointer { dst in
            for (b, image) in images.enumerated() {
                image.withUnsafeBufferPointer { src in
                    for (k, r) in order.enumerated() {
                        let py = r / w, px = r % w
                        var o = (b * hw + k) * patchDim
                        for ch in 0..<3 {
                            for yy in 0..<P {
                                let s = ch * height * width + (py * P + yy) * width + px * P
                                for xx in 0..<P { dst[o] = src[s + xx]; o += 1 }
                            }
                        }
                    }
                }
            }
        }

        let output = forward(tokens)
        var summary = [Float](repeating: 0, count: B * config.summaryWidth)
        var features = [Float](repeating: 0, count: B * hw * D)
        let T = config.prefixTokens
        summary.withUnsafeMutableBufferPointer { s in
            for b in 0..<B { writeSummary(output, frame: b, to: s.baseAddress! + b * config.summaryWidth) }
        }
        // Row of the state holding raster token r of image b.
        var rows = [Int](repeating: 0, count: B * hw)
        for b in 0..<B {
            for (k, r) in order.enumerated() { rows[b * hw + r] = output.frameStarts[b] + T + k }
        }
        features.withUnsafeMutableBufferPointer { f in writeFeatures(output, rows: rows, to: f.baseAddress!) }
        return (summary, features)
    }
}
