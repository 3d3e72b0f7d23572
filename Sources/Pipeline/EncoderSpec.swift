import Encoders

/// The vision encoder a pipeline runs on the kept tokens.
public struct EncoderSpec: Sendable, Equatable {
    /// Encoders vtok knows.
    public static let names = ["c-radio", "gspn"]

    /// The encoder's name (`c-radio`).
    public var name: String
    /// The checkpoint: a Hugging Face model folder or a safetensors file.
    public var weights: String
    /// Override of the CPE `align_corners` flag (nil: from the checkpoint).
    public var alignCorners: Bool?
    /// ViTDet window side in patches (nil or 0: global attention).
    public var vitdetWindow: Int?
    /// GSPN: the stage features come from (nil: the last).
    public var stage: Int?

    public init(name: String, weights: String, alignCorners: Bool? = nil, vitdetWindow: Int? = nil, stage: Int? = nil) {
        self.name = name
        self.weights = weights
        self.alignCorners = alignCorners
        self.vitdetWindow = vitdetWindow
        self.stage = stage
    }

    /// Loads the encoder.
    ///
    /// - Throws: `PipelineError` for an unknown encoder, or the encoder's own one-line error.
    public func load() throws -> any VisionEncoder {
        switch name {
        case "c-radio":
            return try RADIOEncoder(
                path: weights, options: RADIOOptions(alignCorners: alignCorners, vitdetWindow: vitdetWindow))
        case "gspn":
            return try GSPNStageEncoder(path: weights, stage: stage ?? 3)
        default:
            throw PipelineError("unknown encoder '\(name)' — available: \(Self.names.joined(separator: ", "))")
        }
    }

    /// A JSON-ready description for token packs.
    var jsonObject: [String: Any] {
        var object: [String: Any] = ["name": name, "weights": weights]
        if let alignCorners { object["align_corners"] = alignCorners }
        if let vitdetWindow { object["vitdet_window"] = vitdetWindow }
        if let stage { object["stage"] = stage }
        return object
    }
}
