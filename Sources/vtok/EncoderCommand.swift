import ArgumentParser
import Encoders
import Foundation

struct EncoderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encoder",
        abstract: "Inspect vision encoder checkpoints.",
        subcommands: [Info.self]
    )

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Describe an encoder checkpoint (C-RADIO or GSPN): arch, size, parameters, dtype, prefix tokens, align_corners.",
            discussion: "Example:\n  vtok encoder info ~/models/C-RADIOv4-H/"
        )

        @Argument(help: "A Hugging Face model folder (config.json + model.safetensors) or a .safetensors file.")
        var weights: String

        @Option(help: "Override the CPE align_corners flag.")
        var alignCorners: Bool?

        func run() throws {
            let path = (weights as NSString).expandingTildeInPath
            let c: RADIOConfig
            do {
                c = try RADIOConfig(path: path, options: RADIOOptions(alignCorners: alignCorners))
            } catch let radioError {
                // Not C-RADIO: maybe a GSPN backbone.
                guard let gspn = try? GSPNEncoder(path: path) else { throw radioError }
                let g = gspn.config
                print([
                    "encoder       GSPN backbone (four stages)",
                    "stages        dims \(g.dims.map(String.init).joined(separator: "/")), depths \(g.depths.map(String.init).joined(separator: "/")), propagation width \(g.innerDims.map(String.init).joined(separator: "/"))",
                    "propagation   proxy rank \(g.dState), global stages \(g.globalStages.map(String.init).joined(separator: ",")), local chunk \(g.itemsEachChunk), trained at \(g.imgSize) px",
                    "features      from the last stage: width \(g.dims.last ?? 0), stride 32",
                ].joined(separator: "\n"))
                return
            }
            let lines = [
                "encoder       C-RADIO (\(c.version ?? "version not given"))",
                "arch          \(c.arch ?? "from tensor shapes"), patch \(c.patchSize), CPE grid \(c.cpeGrid)×\(c.cpeGrid)",
                "size          D \(c.embedDim), depth \(c.depth), heads \(c.heads) (head dim \(c.headDim)), MLP \(c.mlpDim)",
                String(format: "parameters    %.1f M (position table excluded), stored as %@", Double(c.parameterCount) / 1e6, "\(c.dtype)"),
                "prefix        \(c.prefixTokens) tokens, \(c.numCls) summary (cls) token(s), summary width \(c.summaryWidth)",
                "options       layerscale \(c.layerScaleKey ?? "none"), mlp norm \(c.mlpNorm ? "yes" : "no"), final norm \(c.finalNorm ? "yes" : "no"), feature normalizer \(c.featureNormalizer ? "yes" : "no")",
                "cpe           align_corners \(c.alignCorners)",
                "keys          prefix '\(c.keyPrefix)'",
            ]
            print(lines.joined(separator: "\n"))
        }
    }
}
