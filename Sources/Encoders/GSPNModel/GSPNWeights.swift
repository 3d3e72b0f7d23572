import Foundation
import TensorCore

/// LayerNorm (or LayerNorm2d) parameters.
struct GSPNNorm: Sendable {
    var weight: [Float]
    var bias: [Float]
}

/// One `VSSBlock` with the `GSPNv1` op, under the released parameter names
/// (`layers.{i}.blocks.{d}.…`, spec B.5). Linear weights are `[out, in]`.
struct GSPNBlockWeights: Sendable {
    var dim: Int
    var inner: Int
    var norm: GSPNNorm
    var norm2: GSPNNorm
    var fc1: [Float], fc1Bias: [Float]      // [4C, C], [4C]
    var fc2: [Float], fc2Bias: [Float]      // [C, 4C], [C]
    var inProj: [Float]                     // [C', C]
    var dwConv: [Float]                     // [C', 7·7]
    var core: GSPNCoreWeights
    var outNorm: GSPNNorm
    var grnGamma: [Float], grnBeta: [Float] // [C']
    var outProj: [Float]                    // [C, C']
}

/// A 3×3 stride-2 convolution with bias: weight `[O, I, 3, 3]`.
struct GSPNConv3x3: Sendable {
    var input: Int
    var output: Int
    var weight: [Float]
    var bias: [Float]
}

/// All tensors of the backbone (the classifier head is not loaded).
struct GSPNBackboneWeights: Sendable {
    var stem1: GSPNConv3x3
    var stemNorm1: GSPNNorm
    var stem2: GSPNConv3x3
    var stemNorm2: GSPNNorm
    var stages: [[GSPNBlockWeights]]
    /// Downsampling after stages 0–2: conv and LayerNorm2d.
    var downsample: [(conv: GSPNConv3x3, norm: GSPNNorm)]
}

/// Reads tensors with one-line errors that name the key.
struct GSPNTensorReader {
    let file: SafetensorsFile

    func shape(_ name: String) throws(GSPNError) -> [Int] {
        guard let info = file.info(name) else {
            throw GSPNError("GSPN weights \(file.path): missing tensor '\(name)'")
        }
        return info.shape
    }

    func floats(_ name: String, _ shape: [Int]) throws(GSPNError) -> [Float] {
        let actual = try self.shape(name)
        guard actual == shape else {
            throw GSPNError("GSPN weights \(file.path): tensor '\(name)' has shape \(actual), expected \(shape)")
        }
        do {
            return try file.floats(name)
        } catch {
            throw GSPNError("GSPN weights \(file.path): tensor '\(name)': \(error.description)")
        }
    }

    func norm(_ key: String, _ c: Int) throws(GSPNError) -> GSPNNorm {
        GSPNNorm(weight: try floats(key + ".weight", [c]), bias: try floats(key + ".bias", [c]))
    }

    func conv3x3(_ key: String, _ i: Int, _ o: Int) throws(GSPNError) -> GSPNConv3x3 {
        GSPNConv3x3(input: i, output: o, weight: try floats(key + ".weight", [o, i, 3, 3]),
                    bias: try floats(key + ".bias", [o]))
    }

    /// The `GSPNv1` core tensors under `prefix` (`….op.`) for inner width `c` and rank `s`.
    func core(_ p: String, channels c: Int, state s: Int) throws(GSPNError) -> GSPNCoreWeights {
        GSPNCoreWeights(
            down: try floats(p + "x_conv_down.weight", [s, c, 1, 1]),
            up: try floats(p + "w_conv_up.weight", [12 * c, s, 1, 1]),
            lambda: try floats(p + "l_conv_up.weight", [4 * c, s, 1, 1]),
            u: try floats(p + "u_conv_up.weight", [4 * c, s, 1, 1]),
            d: try floats(p + "d_conv.weight", [4 * c, s, 1, 1]),
            merge: try floats(p + "m_conv.weight", [1, 4, 1, 1]),
            channels: c, state: s)
    }

    func block(_ p: String, dim c: Int, inner ci: Int, state s: Int) throws(GSPNError) -> GSPNBlockWeights {
        GSPNBlockWeights(
            dim: c, inner: ci,
            norm: try norm(p + "norm", c),
            norm2: try norm(p + "norm2", c),
            fc1: try floats(p + "mlp.fc1.weight", [4 * c, c]), fc1Bias: try floats(p + "mlp.fc1.bias", [4 * c]),
            fc2: try floats(p + "mlp.fc2.weight", [c, 4 * c]), fc2Bias: try floats(p + "mlp.fc2.bias", [c]),
            inProj: try floats(p + "op.in_proj.weight", [ci, c]),
            dwConv: try floats(p + "op.conv2d.weight", [ci, 1, 7, 7]),
            core: try core(p + "op.", channels: ci, state: s),
            outNorm: try norm(p + "op.out_norm", ci),
            grnGamma: try floats(p + "op.grn.gamma", [1, ci, 1, 1]),
            grnBeta: try floats(p + "op.grn.beta", [1, ci, 1, 1]),
            outProj: try floats(p + "op.out_proj.weight", [c, ci]))
    }
}

extension GSPNBackboneWeights {
    /// Loads a backbone saved with the released names and infers its ``GSPNConfig``.
    static func load(path: String, globalScansFullWidth: Bool = false) throws(GSPNError) -> (GSPNConfig, GSPNBackboneWeights) {
        let file: SafetensorsFile
        do { file = try SafetensorsFile(path: path) } catch { throw GSPNError("GSPN weights: \(error.description)") }
        let r = GSPNTensorReader(file: file)
        let stemShape = try r.shape("patch_embed.5.weight")
        guard stemShape.count == 4, stemShape[0] > 0 else {
            throw GSPNError("GSPN weights \(path): tensor 'patch_embed.5.weight' has shape \(stemShape), expected [C, C/2, 3, 3]")
        }
        let c = stemShape[0]
        let dims = [c, 2 * c, 4 * c, 8 * c]
        var depths: [Int] = []
        for i in 0..<4 {
            var d = 0
            while file.contains("layers.\(i).blocks.\(d).norm.weight") { d += 1 }
            guard d > 0 else { throw GSPNError("GSPN weights \(path): missing tensor 'layers.\(i).blocks.0.norm.weight'") }
            depths.append(d)
        }
        let downShape = try r.shape("layers.0.blocks.0.op.x_conv_down.weight")
        guard downShape.count == 4, downShape[0] > 0 else {
            throw GSPNError("GSPN weights \(path): tensor 'layers.0.blocks.0.op.x_conv_down.weight' has shape \(downShape), expected [d_state, C', 1, 1]")
        }
        let dState = downShape[0]
        var inner: [Int] = []
        for i in 0..<4 {
            let key = "layers.\(i).blocks.0.op.in_proj.weight"
            let s = try r.shape(key)
            guard s.count == 2, s[1] == dims[i], s[0] > 0 else {
                throw GSPNError("GSPN weights \(path): tensor '\(key)' has shape \(s), expected [C', \(dims[i])]")
            }
            inner.append(s[0])
        }
        let meta = file.metadata
        func ints(_ s: String) -> [Int]? {
            let parts = s.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            return parts.contains(where: { $0 == nil }) ? nil : parts.map { $0! }
        }
        var globalStages = depths == [5, 5, 10, 2] ? [3] : [2, 3]
        if let g = meta["global_stages"].flatMap({ ints($0.filter { !"[] ".contains($0) }) }) { globalStages = g }
        let chunk = meta["items_each_chunk"].flatMap { Int($0) } ?? 2
        let imgSize = meta["img_size"].flatMap { Int($0) } ?? 224
        let config = GSPNConfig(dims: dims, depths: depths, innerDims: inner, dState: dState, globalStages: globalStages,
                                itemsEachChunk: chunk, imgSize: imgSize, globalScansFullWidth: globalScansFullWidth)

        let stem1 = try r.conv3x3("patch_embed.0", 3, c / 2)
        let stemNorm1 = try r.norm("patch_embed.2", c / 2)
        let stem2 = try r.conv3x3("patch_embed.5", c / 2, c)
        let stemNorm2 = try r.norm("patch_embed.7", c)
        var stages: [[GSPNBlockWeights]] = []
        var downsample: [(conv: GSPNConv3x3, norm: GSPNNorm)] = []
        for i in 0..<4 {
            var blocks: [GSPNBlockWeights] = []
            for d in 0..<depths[i] {
                blocks.append(try r.block("layers.\(i).blocks.\(d).", dim: dims[i], inner: inner[i], state: dState))
            }
            stages.append(blocks)
            if i < 3 {
                downsample.append((try r.conv3x3("layers.\(i).downsample.1", dims[i], dims[i + 1]),
                                   try r.norm("layers.\(i).downsample.3", dims[i + 1])))
            }
        }
        return (config, GSPNBackboneWeights(stem1: stem1, stemNorm1: stemNorm1, stem2: stem2, stemNorm2: stemNorm2,
                                            stages: stages, downsample: downsample))
    }
}
