import Foundation

/// What the vision encoder did in a run.
public struct EncoderReport: Sendable, Codable, Equatable {
    public var name: String
    /// Width of the encoder's features.
    public var embedDim: Int
    /// Tokens the encoder ran on.
    public var tokensEncoded: Int
    /// Tokens the encoder put out (fewer than it ran on when a backbone downsamples).
    public var tokensProduced: Int
    public var seconds: Double
    /// Multiply-add FLOPs (×2) of encoding the kept tokens, billions (nil when not known).
    public var gflops: Double?
    /// The same for encoding every patch of every sampled frame.
    public var denseGFLOPs: Double?

    public init(
        name: String, embedDim: Int, tokensEncoded: Int, tokensProduced: Int, seconds: Double, gflops: Double?,
        denseGFLOPs: Double?
    ) {
        self.name = name
        self.embedDim = embedDim
        self.tokensEncoded = tokensEncoded
        self.tokensProduced = tokensProduced
        self.seconds = seconds
        self.gflops = gflops
        self.denseGFLOPs = denseGFLOPs
    }

    enum CodingKeys: String, CodingKey {
        case name, seconds, gflops
        case embedDim = "embed_dim"
        case tokensEncoded = "tokens_encoded"
        case tokensProduced = "tokens_produced"
        case denseGFLOPs = "dense_gflops"
    }
}

/// What one stage of a run did.
public struct StageReport: Sendable, Codable, Equatable {
    public var name: String
    public var tokensIn: Int
    public var tokensOut: Int
    public var seconds: Double

    public init(name: String, tokensIn: Int, tokensOut: Int, seconds: Double) {
        self.name = name
        self.tokensIn = tokensIn
        self.tokensOut = tokensOut
        self.seconds = seconds
    }

    enum CodingKeys: String, CodingKey {
        case name
        case tokensIn = "tokens_in"
        case tokensOut = "tokens_out"
        case seconds
    }
}

/// The compression report of one run: counts, ratios, timings and fidelity.
///
/// Written as JSON by `--report-json` and into every token pack's metadata; `table()` renders
/// it for a terminal.
public struct Report: Sendable, Codable, Equatable {
    /// Sampled frames delivered to the reducers.
    public var frames: Int
    /// Frames the sampling plan asked for.
    public var framesPlanned: Int
    /// Frames the decoder fully decoded (sampled ones and the references they need).
    public var framesDecoded: Int
    /// Frames in the video stream.
    public var framesInVideo: Int
    /// Planned frames lost to damaged data.
    public var framesLost: Int
    /// Packets the decoder rejected as corrupt.
    public var corruptPackets: Int
    /// Delivered frames the decoder flagged as damaged (concealed errors).
    public var framesDamaged: Int
    /// Frames absent from the stream by its timestamps (see `VideoInfo.missingFrames`).
    public var framesMissing: Int
    public var tokensIn: Int
    public var tokensOut: Int
    /// `tokensIn / tokensOut` (∞ is written as 0 when nothing survives).
    public var compressionRatio: Double
    public var stages: [StageReport]
    /// Tokens kept for each sampled frame.
    public var frameTokens: [Int]
    /// Wall-clock seconds of the whole run.
    public var seconds: Double
    /// Sampled frames per second of wall-clock time.
    public var framesPerSecond: Double
    /// PSNR (dB, peak 1) of the video rebuilt from kept patches against the sampled frames;
    /// nil when the rebuild is exact or fidelity was not measured.
    public var psnrDB: Double?
    /// Mean squared error behind `psnrDB`; nil when fidelity was not measured.
    public var mse: Double?
    /// Width of one token.
    public var tokenDimension: Int
    /// Tokens kept at each scale (index 0 finest); one entry for single-scale packs.
    public var scaleTokens: [Int] = []
    /// For multi-scale output (AutoGaze): every token of every scale, `265 · tiles · T`; nil otherwise.
    public var tokensAllScales: Int?
    /// PSNR of each sampled frame (nil where the rebuild is exact or fidelity was not measured).
    public var framePSNR: [Double?] = []
    /// What the vision encoder did, when one ran.
    public var encoder: EncoderReport?

    public init(
        frames: Int, framesPlanned: Int, framesDecoded: Int, framesInVideo: Int, framesLost: Int, corruptPackets: Int,
        framesDamaged: Int, framesMissing: Int, tokensIn: Int, tokensOut: Int, stages: [StageReport], frameTokens: [Int], seconds: Double,
        psnrDB: Double?, mse: Double?, tokenDimension: Int
    ) {
        self.frames = frames
        self.framesPlanned = framesPlanned
        self.framesDecoded = framesDecoded
        self.framesInVideo = framesInVideo
        self.framesLost = framesLost
        self.corruptPackets = corruptPackets
        self.framesDamaged = framesDamaged
        self.framesMissing = framesMissing
        self.tokensIn = tokensIn
        self.tokensOut = tokensOut
        self.compressionRatio = tokensOut > 0 ? Double(tokensIn) / Double(tokensOut) : 0
        self.stages = stages
        self.frameTokens = frameTokens
        self.seconds = seconds
        self.framesPerSecond = seconds > 0 ? Double(frames) / seconds : 0
        self.psnrDB = psnrDB
        self.mse = mse
        self.tokenDimension = tokenDimension
    }

    enum CodingKeys: String, CodingKey {
        case frames
        case framesPlanned = "frames_planned"
        case framesDecoded = "frames_decoded"
        case framesInVideo = "frames_in_video"
        case framesLost = "frames_lost"
        case corruptPackets = "corrupt_packets"
        case framesDamaged = "frames_damaged"
        case framesMissing = "frames_missing"
        case tokensIn = "tokens_in"
        case tokensOut = "tokens_out"
        case compressionRatio = "compression_ratio"
        case stages
        case frameTokens = "frame_tokens"
        case seconds
        case framesPerSecond = "frames_per_second"
        case psnrDB = "psnr_db"
        case mse
        case tokenDimension = "token_dimension"
        case scaleTokens = "scale_tokens"
        case tokensAllScales = "tokens_all_scales"
        case framePSNR = "frame_psnr_db"
        case encoder
    }

    /// Always writes `psnr_db` (null when exact), so readers find every documented key.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(frames, forKey: .frames)
        try c.encode(framesPlanned, forKey: .framesPlanned)
        try c.encode(framesDecoded, forKey: .framesDecoded)
        try c.encode(framesInVideo, forKey: .framesInVideo)
        try c.encode(framesLost, forKey: .framesLost)
        try c.encode(corruptPackets, forKey: .corruptPackets)
        try c.encode(framesDamaged, forKey: .framesDamaged)
        try c.encode(framesMissing, forKey: .framesMissing)
        try c.encode(tokensIn, forKey: .tokensIn)
        try c.encode(tokensOut, forKey: .tokensOut)
        try c.encode(compressionRatio, forKey: .compressionRatio)
        try c.encode(stages, forKey: .stages)
        try c.encode(frameTokens, forKey: .frameTokens)
        try c.encode(seconds, forKey: .seconds)
        try c.encode(framesPerSecond, forKey: .framesPerSecond)
        try c.encode(psnrDB, forKey: .psnrDB)
        try c.encode(mse, forKey: .mse)
        try c.encode(tokenDimension, forKey: .tokenDimension)
        try c.encode(scaleTokens, forKey: .scaleTokens)
        try c.encode(tokensAllScales, forKey: .tokensAllScales)
        try c.encode(framePSNR, forKey: .framePSNR)
        try c.encodeIfPresent(self.encoder, forKey: .encoder)
    }

    /// The report as pretty, key-sorted JSON.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// Reads a report from JSON.
    public init(json: Data) throws {
        self = try JSONDecoder().decode(Report.self, from: json)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        frames = try c.decode(Int.self, forKey: .frames)
        framesPlanned = try c.decode(Int.self, forKey: .framesPlanned)
        framesDecoded = try c.decode(Int.self, forKey: .framesDecoded)
        framesInVideo = try c.decode(Int.self, forKey: .framesInVideo)
        framesLost = try c.decode(Int.self, forKey: .framesLost)
        corruptPackets = try c.decode(Int.self, forKey: .corruptPackets)
        framesDamaged = try c.decodeIfPresent(Int.self, forKey: .framesDamaged) ?? 0
        framesMissing = try c.decodeIfPresent(Int.self, forKey: .framesMissing) ?? 0
        tokensIn = try c.decode(Int.self, forKey: .tokensIn)
        tokensOut = try c.decode(Int.self, forKey: .tokensOut)
        compressionRatio = try c.decode(Double.self, forKey: .compressionRatio)
        stages = try c.decode([StageReport].self, forKey: .stages)
        frameTokens = try c.decode([Int].self, forKey: .frameTokens)
        seconds = try c.decode(Double.self, forKey: .seconds)
        framesPerSecond = try c.decode(Double.self, forKey: .framesPerSecond)
        psnrDB = try c.decodeIfPresent(Double.self, forKey: .psnrDB)
        mse = try c.decodeIfPresent(Double.self, forKey: .mse)
        tokenDimension = try c.decode(Int.self, forKey: .tokenDimension)
        scaleTokens = try c.decodeIfPresent([Int].self, forKey: .scaleTokens) ?? []
        tokensAllScales = try c.decodeIfPresent(Int.self, forKey: .tokensAllScales)
        framePSNR = try c.decodeIfPresent([Double?].self, forKey: .framePSNR) ?? []
        self.encoder = try c.decodeIfPresent(EncoderReport.self, forKey: .encoder)
    }
}
