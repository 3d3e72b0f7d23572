import Foundation
import Reduction

/// Features of a batch of frames on one stage's grid.
public struct GSPNFeatures: Sendable, Equatable {
    /// `[frames, height·width, channels]`: tokens row-major on the grid, channels last.
    public var features: [Float]
    /// Frames in the batch.
    public var frames: Int
    /// Grid rows.
    public var height: Int
    /// Grid columns.
    public var width: Int
    /// Channels per token.
    public var channels: Int
    /// Image pixels per grid cell side (4·2^stage).
    public var stride: Int
}

/// The GSPN-1 backbone (GSPN-T/S/B classification layout, spec B.5) as a vision encoder on CPU.
///
/// Weights are a safetensors file with the released parameter names (`patch_embed.*`,
/// `layers.{i}.blocks.{d}.{norm,norm2,mlp,op}.*`, `layers.{i}.downsample.*`); the classifier is
/// ignored. Every shape is checked and a mismatch throws a one-line ``GSPNError`` naming the key.
/// Images are RGB in [0, 1], channel-first `[3, H, W]`, normalised with the ImageNet mean and
/// std as in training. H must equal W: the released four-direction scan transposes the maps.
public final class GSPNEncoder: @unchecked Sendable {
    /// The layout read from the weights.
    public let config: GSPNConfig
    let backbone: GSPNBackbone

    static let mean: [Float] = [0.485, 0.456, 0.406]
    static let std: [Float] = [0.229, 0.224, 0.225]

    /// Loads `path`: a safetensors file, or a folder holding `model.safetensors`.
    /// `globalScansFullWidth` makes global blocks scan the whole width at any resolution (the
    /// released code uses the 224-input feature size as their chunk).
    public init(path: String, globalScansFullWidth: Bool = false) throws(GSPNError) {
        var file = path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            file = (path as NSString).appendingPathComponent("model.safetensors")
        }
        let (config, weights) = try GSPNBackboneWeights.load(path: file, globalScansFullWidth: globalScansFullWidth)
        self.config = config
        self.backbone = GSPNBackbone(config: config, weights: weights)
    }

    /// Encodes whole frames and returns the features of `stage` (default: the last, 3).
    public func encode(images: [[Float]], width: Int, height: Int, stage: Int = 3) throws(GSPNError) -> GSPNFeatures {
        guard (0..<4).contains(stage) else { throw GSPNError("GSPN stage \(stage) out of range 0...3") }
        guard width == height else {
            throw GSPNError("GSPN needs square input (the four-direction scan transposes the maps): got \(width)×\(height)")
        }
        guard width >= 1 else { throw GSPNError("GSPN input is empty") }
        var out = GSPNFeatures(features: [], frames: images.count, height: 0, width: 0,
                               channels: config.dims[stage], stride: config.stride(stage: stage))
        for (i, image) in images.enumerated() {
            guard image.count == 3 * width * height else {
                throw GSPNError("GSPN image \(i) has \(image.count) values, expected 3×\(height)×\(width)")
            }
            let r = try run(normalized(image, pixels: width * height), height: height, width: width, stage: stage, mask: nil)
            out.features.append(contentsOf: r.features)
            out.height = r.height
            out.width = r.width
        }
        return out
    }

    /// Encodes pixel tokens (`dimension` = 3·P·P in (channel, y, x) order, values in [0, 1],
    /// scale 0 only) frame by frame and returns features for the kept cells only.
    ///
    /// Sparse semantics (vtok's choice): each frame is rebuilt on its `gridRows × gridColumns`
    /// canvas of P-pixel cells; pruned cells are zero (after normalisation) and, at every layer of
    /// every resolution, a map pixel whose cells are all pruned is held at zero, so it injects no
    /// input: its x, and so its λ·x term, is 0 in every scan and the state passes through it under
    /// the uniform gates σ(0). Features come out only for grid cells of `stage` that overlap a
    /// kept token (one output token per such cell; at stage 2 with P = 16 exactly the kept
    /// tokens). With every token kept this equals ``encode(images:width:height:stage:)``.
    ///
    /// - Returns: coords on the stage grid, the same frames, `cellSizes = [stride]`,
    ///   `dimension = dims[stage]`.
    public func encode(_ tokens: TokenSet, stage: Int = 3) throws(GSPNError) -> TokenSet {
        guard (0..<4).contains(stage) else { throw GSPNError("GSPN stage \(stage) out of range 0...3") }
        guard let cell = tokens.cellSizes.first, cell > 0 else { throw GSPNError("token set has no cell sizes") }
        let patchDim = 3 * cell * cell
        guard tokens.dimension == patchDim else {
            throw GSPNError("token dimension \(tokens.dimension), expected \(patchDim) (3×\(cell)×\(cell) pixel patches)")
        }
        var byFrame: [Int32: [Int]] = [:]
        for (i, c) in tokens.coords.enumerated() {
            guard c.scale == 0 else { throw GSPNError("GSPN encodes scale-0 tokens only; token \(i) has scale \(c.scale)") }
            byFrame[c.t, default: []].append(i)
        }
        let stride = config.stride(stage: stage)
        var out = TokenSet(dimension: config.dims[stage], frames: tokens.frames)
        out.cellSizes = [stride]
        for frame in tokens.frames {
            guard let members = byFrame[Int32(frame.t)], !members.isEmpty else { continue }
            let rows = frame.gridRows, cols = frame.gridColumns
            let height = rows * cell, width = cols * cell
            guard width == height else {
                throw GSPNError("GSPN needs square frames (the four-direction scan transposes the maps): frame t=\(frame.t) is \(width)×\(height)")
            }
            var canvas = [Float](repeating: 0, count: 3 * height * width)
            var keep = [Bool](repeating: false, count: rows * cols)
            for i in members {
                let c = tokens.coords[i]
                let r = Int(c.row), q = Int(c.col)
                guard r >= 0, r < rows, q >= 0, q < cols else {
                    throw GSPNError("token \(i) at (\(r), \(q)) lies outside its \(rows)×\(cols) grid")
                }
                keep[r * cols + q] = true
                let base = i * patchDim
                for ch in 0..<3 {
                    for y in 0..<cell {
                        let dst = ch * height * width + (r * cell + y) * width + q * cell
                        let src = base + (ch * cell + y) * cell
                        for x in 0..<cell { canvas[dst + x] = tokens.features[src + x] }
                    }
                }
            }
            let mask = GSPNCellMask(rows: rows, columns: cols, cell: cell, keep: keep)
            let r = try run(normalized(canvas, pixels: height * width), height: height, width: width, stage: stage, mask: mask)
            let kept = mask.at(stride: stride, height: r.height, width: r.width)
            let d = config.dims[stage]
            for p in 0..<(r.height * r.width) where kept[p] {
                out.coords.append(TokenCoord(t: Int32(frame.t), row: Int32(p / r.width), col: Int32(p % r.width)))
                out.features.append(contentsOf: r.features[(p * d)..<((p + 1) * d)])
            }
        }
        return out
    }

    func normalized(_ image: [Float], pixels: Int) -> [Float] {
        var x = image
        for c in 0..<3 {
            let m = Self.mean[c], s = 1 / Self.std[c]
            for p in (c * pixels)..<((c + 1) * pixels) { x[p] = (x[p] - m) * s }
        }
        return x
    }

    func run(_ image: [Float], height: Int, width: Int, stage: Int, mask: GSPNCellMask?) throws(GSPNError) -> (features: [Float], height: Int, width: Int) {
        do {
            return try backbone.forward(image, height: height, width: width, stage: stage, mask: mask)
        } catch let e as GSPNError {
            throw e
        } catch {
            throw GSPNError("\(error)")
        }
    }
}

extension GSPNEncoder {
    /// Runs one `VSSBlock` (`layers.{stage}.blocks.{block}`) on a channel-first map
    /// `x [C, H, W]` with the given scan chunk and returns `[C, H, W]` (for tests and benchmarks).
    public func blockForward(stage: Int, block: Int, _ x: [Float], height: Int, width: Int, chunk: Int) throws(GSPNError) -> [Float] {
        guard (0..<4).contains(stage), (0..<config.depths[stage]).contains(block) else {
            throw GSPNError("GSPN has no block layers.\(stage).blocks.\(block)")
        }
        let c = config.dims[stage], n = height * width
        guard x.count == c * n else { throw GSPNError("GSPN block input has \(x.count) values, expected \(c)×\(height)×\(width)") }
        do {
            let y = try GSPNBlock(weights: backbone.weights.stages[stage][block])
                .forward(GSPNOps.toChannelLast(x, pixels: n, channels: c), height: height, width: width, chunk: chunk)
            return GSPNOps.toChannelFirst(y, pixels: n, channels: c)
        } catch let e as GSPNError {
            throw e
        } catch {
            throw GSPNError("\(error)")
        }
    }
}
