import Foundation
import TensorCore

/// The shape and options of a C-RADIO vision transformer, read from a Hugging Face `config.json`
/// (when present) and cross-checked against the tensor shapes of the safetensors file.
public struct RADIOConfig: Sendable, Equatable {
    /// The timm arch name (`args.model`), or `nil` when loaded from a bare safetensors file.
    public var arch: String?
    /// The release key (`version`, e.g. `c-radio_v4-h`), when the config gives one.
    public var version: String?
    /// Key prefix of the RADIO module (`radio_model.` or `vision_model.radio_model.`).
    public var keyPrefix: String
    /// Patch side in pixels (16 for every CPE RADIO ViT).
    public var patchSize: Int
    /// Side of the stored CPE grid (`cpe_max_size / patch`, 128).
    public var cpeGrid: Int
    /// Embedding width D.
    public var embedDim: Int
    /// Number of transformer blocks.
    public var depth: Int
    /// Number of attention heads.
    public var heads: Int
    /// MLP hidden width (from `fc1.weight`).
    public var mlpDim: Int
    /// Prefix tokens T = cls + registers (from `cls_token.token`).
    public var prefixTokens: Int
    /// Number of cls (summary) tokens.
    public var numCls: Int
    /// Indices of the prefix tokens that form the summary (from `summary_idxs`, else `0..<numCls`).
    public var summaryIndices: [Int]
    /// The LayerScale key suffix (`grandma` or `gamma`), or `nil` when the blocks have none.
    public var layerScaleKey: String?
    /// Whether each MLP has a LayerNorm after its GELU (the `mlpnorm` arch).
    public var mlpNorm: Bool
    /// Whether a final LayerNorm (`model.norm`) follows the blocks.
    public var finalNorm: Bool
    /// Whether a feature normalizer (`feature_normalizer.{mean,tx}`) is applied to the features.
    public var featureNormalizer: Bool
    /// Whether the CPE bilinear resize uses `align_corners=True`.
    public var alignCorners: Bool
    /// The element type of the stored weights.
    public var dtype: DType
    /// ViTDet window side in patches; 0 when off.
    public var vitdetWindow: Int
    /// ViTDet layer period (a global layer ends each period); 0 when off.
    public var vitdetPeriod: Int

    /// Head width D / heads.
    public var headDim: Int { embedDim / heads }
    /// Width of one summary vector: `summaryIndices.count · D`.
    public var summaryWidth: Int { summaryIndices.count * embedDim }
    /// Weight parameters of the blocks and patch embedding (position table excluded).
    public var parameterCount: Int {
        let block = 4 * embedDim + (3 * embedDim * embedDim + 3 * embedDim) + (embedDim * embedDim + embedDim)
            + (mlpDim * embedDim + mlpDim) + (embedDim * mlpDim + embedDim)
            + (layerScaleKey != nil ? 2 * embedDim : 0) + (mlpNorm ? 2 * mlpDim : 0)
        return depth * block + embedDim * 3 * patchSize * patchSize + prefixTokens * embedDim
            + (finalNorm ? 2 * embedDim : 0)
    }

    /// Whether block `index` runs windowed (ViTDet) attention.
    public func isWindowed(block index: Int) -> Bool {
        guard vitdetWindow > 0, vitdetPeriod > 0, index < depth - 1 else { return false }
        return vitdetPeriod == 1 || index % vitdetPeriod != vitdetPeriod - 1
    }

    /// Full key of a tensor inside the ViT (`<prefix>model.<name>`).
    func modelKey(_ name: String) -> String { keyPrefix + "model." + name }
    /// Full key of a tensor of the RADIO wrapper (`<prefix><name>`).
    func rootKey(_ name: String) -> String { keyPrefix + name }

    /// Reads the description of the checkpoint at `path`: a model folder holding `config.json`
    /// and `model.safetensors`, or a `.safetensors` file alone.
    public init(path: String, options: RADIOOptions = RADIOOptions()) throws(RADIOError) {
        let (file, json) = try Self.open(path)
        try self.init(file: file, config: json, options: options)
    }

    /// Opens the safetensors file and the optional config.json for `path`.
    static func open(_ path: String) throws(RADIOError) -> (SafetensorsFile, [String: Any]?) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw RADIOError("RADIO weights not found: \(path)")
        }
        var filePath = path
        var json: [String: Any]? = nil
        var configPath: String? = nil
        if isDirectory.boolValue {
            filePath = (path as NSString).appendingPathComponent("model.safetensors")
            if !FileManager.default.fileExists(atPath: filePath) {
                let candidates = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
                    .filter { $0.hasSuffix(".safetensors") }.sorted()
                guard candidates.count == 1 else {
                    throw RADIOError("\(path): expected model.safetensors (found \(candidates.count) .safetensors files)")
                }
                filePath = (path as NSString).appendingPathComponent(candidates[0])
            }
            configPath = (path as NSString).appendingPathComponent("config.json")
        } else {
            let sibling = ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("config.json")
            if FileManager.default.fileExists(atPath: sibling) { configPath = sibling }
        }
        if let configPath, FileManager.default.fileExists(atPath: configPath) {
            guard let data = FileManager.default.contents(atPath: configPath),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw RADIOError("\(configPath): not a JSON object")
            }
            json = object
        }
        let file: SafetensorsFile
        do { file = try SafetensorsFile(path: filePath) } catch {
            throw RADIOError("cannot load RADIO weights: \(error.description)")
        }
        return (file, json)
    }

    /// Describes the model in `file`, using `config` (a parsed config.json) when given.
    init(file: SafetensorsFile, config: [String: Any]?, options: RADIOOptions) throws(RADIOError) {
        let path = file.path
        // Key prefix: whatever precedes `model.patch_generator.embedder.weight`.
        let anchor = "model.patch_generator.embedder.weight"
        let anchors = file.names.filter { $0.hasSuffix(anchor) }
        guard let anchorKey = anchors.min(by: { $0.count < $1.count }) else {
            throw RADIOError("\(path): missing tensor 'radio_model.\(anchor)' (not a RADIO checkpoint)")
        }
        keyPrefix = String(anchorKey.dropLast(anchor.count))

        func shape(_ key: String) throws(RADIOError) -> [Int] {
            guard let info = file.info(key) else { throw RADIOError("\(path): missing tensor '\(key)'") }
            return info.shape
        }
        // Nemotron VLM configs nest the RADIO config as `vision_config`.
        let config = (config?["vision_config"] as? [String: Any]) ?? config
        let args = config?["args"] as? [String: Any] ?? [:]
        let modelKwargs = args["model_kwargs"] as? [String: Any] ?? [:]
        arch = args["model"] as? String
        version = config?["version"] as? String

        let embedKey = keyPrefix + anchor
        let embed = try shape(embedKey)
        guard embed.count == 2, embed[1] % 3 == 0 else {
            throw RADIOError("\(path): '\(embedKey)' has shape \(shapeText(embed)), expected [D, 3·P·P]")
        }
        embedDim = embed[0]
        let patchArea = embed[1] / 3
        patchSize = Int(Double(patchArea).squareRoot().rounded())
        guard patchSize * patchSize == patchArea else {
            throw RADIOError("\(path): '\(embedKey)' has shape \(shapeText(embed)), expected [D, 3·P·P]")
        }
        dtype = file.info(embedKey)!.dtype
        if let p = config?["patch_size"] as? Int, p != patchSize {
            throw RADIOError("\(path): config patch_size \(p) but '\(embedKey)' implies \(patchSize)")
        }
        let D = embedDim

        let posKey = keyPrefix + "model.patch_generator.pos_embed"
        let pos = try shape(posKey)
        let posCount = pos.count == 3 && pos[0] == 1 && pos[2] == D ? pos[1] : (pos.count == 2 && pos[1] == D ? pos[0] : -1)
        let grid = Int(Double(max(posCount, 0)).squareRoot().rounded())
        guard posCount > 0, grid * grid == posCount else {
            throw RADIOError("\(path): '\(posKey)' has shape \(shapeText(pos)), expected [1, G·G, \(D)]")
        }
        cpeGrid = grid

        let clsKey = keyPrefix + "model.patch_generator.cls_token.token"
        let cls = try shape(clsKey)
        guard cls.count == 2, cls[1] == D, cls[0] >= 1 else {
            throw RADIOError("\(path): '\(clsKey)' has shape \(shapeText(cls)), expected [T, \(D)]")
        }
        prefixTokens = cls[0]

        var blocks = 0
        while file.contains(keyPrefix + "model.blocks.\(blocks).attn.qkv.weight") { blocks += 1 }
        guard blocks > 0 else { throw RADIOError("\(path): missing tensor '\(keyPrefix)model.blocks.0.attn.qkv.weight'") }
        depth = blocks
        let fc1Key = keyPrefix + "model.blocks.0.mlp.fc1.weight"
        let fc1 = try shape(fc1Key)
        guard fc1.count == 2, fc1[1] == D else {
            throw RADIOError("\(path): '\(fc1Key)' has shape \(shapeText(fc1)), expected [Dm, \(D)]")
        }
        mlpDim = fc1[0]

        // Heads: option, config, arch name, then a guess from D.
        var h = options.heads ?? (modelKwargs["num_heads"] as? Int) ?? (args["num_heads"] as? Int)
        if h == nil, let arch {
            let table: [(String, Int)] = [("so400m", 16), ("giant", 24), ("huge", 16), ("large", 16), ("base", 12),
                                          ("small", 6), ("tiny", 3)]
            h = table.first { arch.contains($0.0) }?.1
        }
        if h == nil {
            let known: [Int: Int] = [192: 3, 384: 6, 768: 12, 1024: 16, 1152: 16, 1280: 16, 1536: 24]
            h = known[D] ?? (D % 64 == 0 ? D / 64 : nil)
        }
        if let kd = modelKwargs["embed_dim"] as? Int, kd != D {
            throw RADIOError("\(path): config model_kwargs.embed_dim \(kd) but '\(embedKey)' has shape \(shapeText(embed))")
        }
        guard let heads = h, heads > 0, D % heads == 0 else {
            throw RADIOError("\(path): cannot derive the number of heads for embed dim \(D) (arch \(arch ?? "unknown")); give it explicitly")
        }
        self.heads = heads

        // Cls tokens.
        var summary: [Int]? = nil
        let summaryKey = keyPrefix + "summary_idxs"
        if let info = file.info(summaryKey) {
            do {
                switch info.dtype {
                case .i64: summary = try file.int64s(summaryKey).map { Int($0) }
                case .i32: summary = try file.int32s(summaryKey).map { Int($0) }
                default: summary = try file.floats(summaryKey).map { Int($0) }
                }
            } catch { throw RADIOError("cannot read '\(summaryKey)': \(error.description)") }
        }
        var nc = options.numCls
        if nc == nil, config != nil {
            if (args["cls_token_per_teacher"] as? Bool) == true, let teachers = args["teachers"] as? [Any] {
                var names: [String] = []
                for (i, t) in teachers.enumerated() {
                    let name = (t as? [String: Any])?["name"] as? String ?? (t as? String) ?? "teacher\(i)"
                    if !names.contains(name) { names.append(name) }
                }
                nc = max(names.count, 1)
            } else {
                nc = 1
            }
        }
        if nc == nil, let summary, let top = summary.max() { nc = top + 1 }
        numCls = nc ?? 1
        guard numCls >= 1, numCls <= prefixTokens else {
            throw RADIOError("\(path): \(numCls) cls tokens but '\(clsKey)' holds only \(prefixTokens) prefix tokens")
        }
        if config != nil, options.numCls == nil {
            // Cross-check the register rule (spec A.2 step 4) against the stored prefix tokens.
            var registers = args["cpe_num_registers"] as? Int ?? 0
            if registers == 0, let multiple = args["register_multiple"] as? Int, multiple > 0 {
                registers = multiple - numCls % multiple
            }
            guard numCls + registers == prefixTokens else {
                throw RADIOError("\(path): config gives \(numCls) cls + \(registers) register tokens but '\(clsKey)' has shape \(shapeText(cls))")
            }
        }
        let indices = summary ?? Array(0..<numCls)
        let prefixCount = prefixTokens
        guard !indices.isEmpty, indices.allSatisfy({ $0 >= 0 && $0 < prefixCount }) else {
            throw RADIOError("\(path): '\(summaryKey)' \(indices) out of range for \(prefixTokens) prefix tokens")
        }
        summaryIndices = indices

        let ls = keyPrefix + "model.blocks.0.ls1."
        layerScaleKey = file.contains(ls + "grandma") ? "grandma" : (file.contains(ls + "gamma") ? "gamma" : nil)
        mlpNorm = file.contains(keyPrefix + "model.blocks.0.mlp.norm.weight")
        finalNorm = file.contains(keyPrefix + "model.norm.weight")
        featureNormalizer = file.contains(keyPrefix + "feature_normalizer.mean")

        if let a = options.alignCorners {
            alignCorners = a
        } else if let a = (config?["vtok_cpe_align_corners"] as? Bool) ?? (args["cpe_align_corners"] as? Bool) {
            alignCorners = a
        } else if let version {
            let v = version.lowercased()
            alignCorners = !v.contains("v4") && (v.contains("v2") || v.contains("v3"))
        } else {
            alignCorners = false
        }

        let window = options.vitdetWindow ?? (config?["vitdet_window_size"] as? Int) ?? 0
        vitdetWindow = max(window, 0)
        if vitdetWindow > 0 {
            if let windowed = options.vitdetNumWindowed
                ?? (options.vitdetNumGlobal == nil ? args["vitdet_num_windowed"] as? Int : nil) {
                vitdetPeriod = windowed + 1
            } else {
                let global = options.vitdetNumGlobal ?? (args["vitdet_num_global"] as? Int) ?? 4
                vitdetPeriod = max(depth / max(global, 1), 1)
            }
            guard vitdetPeriod > 1 || depth <= 2 else {
                throw RADIOError("ViTDet schedule with period 1 and depth \(depth) re-enters windowed mode (unsupported upstream)")
            }
        } else {
            vitdetPeriod = 0
        }
    }
}
