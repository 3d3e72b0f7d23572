import Foundation
import TensorCore

/// NVIDIA's released AutoGaze gaze model (`nvidia/AutoGaze`, 3.26M parameters), for inference.
///
/// A small convolutional video encoder turns each 224×224 frame into 196 tokens; a 4-layer LLaMA
/// decoder then reads `[V₀, G₀, V₁, G₁, …]` and greedily emits the frame's gaze ids, K = 10 per
/// step, until its loss-prediction head says the frame is reconstructed well enough or the cap is
/// reached. The output matches upstream `AutoGaze.forward(…, generate_only=True)` on the same
/// normalised 224×224 input, including its decode-position quirk (see ``gaze(frames:lossThreshold:maxRatio:)``).
///
/// The object is immutable after loading; each `gaze` call builds its own state, so one model can
/// serve several threads.
public final class GazeModel: Sendable {
    /// The architecture read from `config.json` (or the released defaults).
    public let configuration: GazeModelConfig
    let weights: GazeModelWeights
    private let rope: GazeRotaryEmbedding

    /// ImageNet mean and standard deviation, applied on top of the [−1, 1] rescale (an upstream quirk).
    static let imageNetMean: [Float] = [0.485, 0.456, 0.406]
    static let imageNetStd: [Float] = [0.229, 0.224, 0.225]

    /// Loads `config.json` + `model.safetensors` from a Hugging Face folder (such as a download of
    /// `nvidia/AutoGaze`), or a `.safetensors` file alone (then the released configuration is
    /// assumed). A folder without `config.json` also uses the released configuration.
    ///
    /// - Throws: ``GazeModelError`` naming the file, field or tensor and saying what to do.
    public init(path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw GazeModelError(.notFound, "\(path) does not exist — pass the folder of a nvidia/AutoGaze download (config.json + model.safetensors) or its model.safetensors")
        }
        var config = GazeModelConfig.released
        let weightsPath: String
        if isDirectory.boolValue {
            let folder = URL(fileURLWithPath: path)
            weightsPath = folder.appendingPathComponent("model.safetensors").path
            guard FileManager.default.fileExists(atPath: weightsPath) else {
                throw GazeModelError(.notFound, "\(path) has no model.safetensors — download it from nvidia/AutoGaze into that folder")
            }
            let configPath = folder.appendingPathComponent("config.json").path
            if FileManager.default.fileExists(atPath: configPath) {
                let data: Data
                do {
                    data = try Data(contentsOf: URL(fileURLWithPath: configPath))
                } catch {
                    throw GazeModelError(.invalidConfig, "cannot read \(configPath): \(error.localizedDescription)")
                }
                config = try GazeModelConfig(json: data, source: configPath)
            }
        } else {
            weightsPath = path
        }
        let file: SafetensorsFile
        do {
            file = try SafetensorsFile(path: weightsPath)
        } catch {
            throw GazeModelError(.invalidWeights, "\(error.description) — download model.safetensors again")
        }
        configuration = config
        weights = try GazeModelWeights(file: file, config: config)
        rope = GazeRotaryEmbedding(config: config)
    }

    /// Gazes a clip of frames, each planar RGB `[3, 224, 224]` in [0, 1].
    ///
    /// **Input.** Frames must already be 224×224 (the model's `input_img_size`). Upstream resizes
    /// the shortest edge to 224 (PIL bilinear) and then bicubic-squashes to 224×224; both are
    /// identities at 224×224, so they are skipped here — resize (and tile) before calling. The
    /// model's normalisation is applied here: `(x·255/127.5 − 1 − mean) / std` per channel with
    /// ImageNet mean/std (mean/std applied on top of [−1, 1], as upstream). Frames are one clip:
    /// the encoder is causal over the 2 previous frames and the decoder attends to all earlier
    /// frames and gazes. The model was trained on clips of ``GazeModelConfig/maxNumFrames`` (16)
    /// frames; gaze longer videos in chunks of that size.
    ///
    /// **Generation** (greedy, as upstream `AutoGazeModel.generate`). Per frame the cap is
    /// `max(1, int(float32(maxRatio) · 265))` slots. Each decoder step reads the K = 10 heads of
    /// the last position: ids already chosen in this frame and EOS are masked, head i's argmax is
    /// taken and masked in the later heads. With a threshold, slot i of a step is padded when its
    /// loss prediction is ≤ `lossThreshold` — except slot 0 of the frame's first step, so every
    /// frame gets at least one gaze — and the frame then ends. As upstream, only the slots whose
    /// own prediction meets the threshold are padded: a later slot of the same step whose
    /// prediction is above it is kept. `lossThreshold == nil` disables early stopping.
    ///
    /// **Position quirk (upstream, reproduced).** Upstream passes the prompt's position ids to
    /// Hugging Face `generate` once and never advances them, so within a frame every step after
    /// the first feeds its 10 new tokens at RoPE positions `p−9 … p` (p: the position of the
    /// frame's last vision token), and those keys stay cached. A frame's final step is not fed
    /// during the frame; it is fed before the next frame's vision tokens with the proper positions
    /// (`cumsum(mask) − 1`: padded slots skipped). The choices of the released weights depend on
    /// this, so it is reproduced exactly.
    ///
    /// - Parameters:
    ///   - frames: planar RGB `[3, 224, 224]` per frame, values in [0, 1].
    ///   - lossThreshold: stop a frame once the predicted reconstruction loss is ≤ this (upstream
    ///     `task_loss_requirement`, e.g. 0.7), or `nil` to stop only at the cap.
    ///   - maxRatio: the cap as a fraction of the 265 gaze ids per frame (upstream
    ///     `gazing_ratio`, e.g. 0.75 → 198); 0 gives 1, values ≥ 1 allow every id.
    /// - Returns: one result per frame.
    /// - Throws: ``GazeModelError`` (`.invalidInput`) for a frame of the wrong size or with
    ///   non-finite values, a negative or non-finite ratio, or a NaN threshold.
    public func gaze(frames: [[Float]], lossThreshold: Float?, maxRatio: Double) throws -> [GazeFrameResult] {
        let c = configuration
        guard maxRatio.isFinite, maxRatio >= 0 else {
            throw GazeModelError(.invalidInput, "maxRatio is \(maxRatio), expected a fraction in [0, 1] of the \(c.numVisionTokensEachFrame) gaze ids per frame, e.g. 0.75")
        }
        if let threshold = lossThreshold, threshold.isNaN {
            throw GazeModelError(.invalidInput, "lossThreshold is NaN — pass a loss such as 0.7, or nil for no early stop")
        }
        let cap = Self.cap(maxRatio: maxRatio, tokensPerFrame: c.numVisionTokensEachFrame)
        let vision = try visionTokens(frames: frames)

        let K = c.numMultiTokenPred
        let V = c.vocabSize
        let eos = c.eosTokenID
        var decoder = GazeDecoder(config: c, weights: weights, rope: rope)
        var realCount = 0          // real (unpadded) tokens in the upstream sequence so far
        var pending: [Int] = []    // real tokens of the previous frame's final step, not fed yet
        var results: [GazeFrameResult] = []
        results.reserveCapacity(frames.count)

        for tokens in vision {
            // First step: the previous frame's final step (proper positions) + this frame's vision tokens.
            let prompt = decoder.embed(pending) + tokens
            let promptCount = pending.count + c.visionTokensPerFrame
            var hidden = decoder.feed(prompt, positions: Array(realCount..<(realCount + promptCount)))
            realCount += promptCount
            let lastPromptPosition = realCount - 1

            var taken = [Bool](repeating: false, count: V)
            taken[eos] = true
            var slotCount = 0
            var ids: [Int] = []
            var losses: [Float] = []
            var stopLoss: Float?
            var firstStep = true
            while true {
                var (scores, predicted) = decoder.heads(hidden)
                for id in 0..<V where taken[id] {
                    for head in 0..<K { scores[head * V + id] = -.infinity }
                }
                var block: [Int] = []
                var exhausted = false
                for head in 0..<K {
                    if slotCount + block.count >= cap {
                        exhausted = true
                        break
                    }
                    var best = -1
                    var bestScore = -Float.infinity
                    for id in 0..<V where scores[head * V + id] > bestScore {
                        best = id
                        bestScore = scores[head * V + id]
                    }
                    if best < 0 {
                        exhausted = true
                        break
                    }
                    block.append(best)
                    for later in (head + 1)..<K { scores[later * V + best] = -.infinity }
                }
                var padded = [Bool](repeating: false, count: block.count)
                if let threshold = lossThreshold {
                    for i in 0..<block.count where predicted[i] <= threshold && !(firstStep && i == 0) {
                        padded[i] = true
                    }
                }
                for (i, id) in block.enumerated() {
                    taken[id] = true
                    if padded[i] {
                        if stopLoss == nil { stopLoss = predicted[i] }
                    } else {
                        ids.append(id)
                        losses.append(predicted[i])
                    }
                }
                slotCount += block.count
                firstStep = false
                let stopped = padded.contains(true)
                if stopped || slotCount >= cap || exhausted {
                    pending = zip(block, padded).filter { !$0.1 }.map(\.0)
                    break
                }
                // Upstream quirk: a step fed within the frame reuses the last K prompt positions.
                let positions = Array((lastPromptPosition - block.count + 1)...lastPromptPosition)
                hidden = decoder.feed(decoder.embed(block), positions: positions)
                realCount += block.count
            }
            if let stopLoss { losses.append(stopLoss) }
            results.append(GazeFrameResult(ids: ids, stoppedByThreshold: stopLoss != nil, predictedLosses: losses))
        }
        return results
    }

    /// The per-frame slot cap: `max(1, int(float32(ratio) · N))` in float32 as upstream, at most N.
    static func cap(maxRatio: Double, tokensPerFrame: Int) -> Int {
        guard maxRatio < 1 else { return tokensPerFrame }
        let product = Float(maxRatio) * Float(tokensPerFrame)
        return min(tokensPerFrame, max(1, Int(product)))
    }

    /// The vision tokens (encoder + connector) of a clip: per frame `[196 · 192]`, row-major over
    /// the 14×14 grid. Exposed for tests.
    func visionTokens(frames: [[Float]]) throws -> [[Float]] {
        var encoder = GazeConvEncoder(config: configuration, weights: weights)
        var out: [[Float]] = []
        out.reserveCapacity(frames.count)
        for (index, frame) in frames.enumerated() {
            out.append(encoder.encode(normalizedFrame: try normalize(frame, index: index)))
        }
        return out
    }

    /// Checks a frame and applies the model's normalisation `(x·255/127.5 − 1 − mean) / std`.
    private func normalize(_ frame: [Float], index: Int) throws -> [Float] {
        let S = configuration.inputImageSize
        let plane = S * S
        guard frame.count == 3 * plane else {
            throw GazeModelError(.invalidInput, "frame \(index) has \(frame.count) values, expected planar RGB [3, \(S), \(S)] = \(3 * plane) — resize frames to \(S)×\(S) first")
        }
        var out = [Float](repeating: 0, count: frame.count)
        for channel in 0..<3 {
            let mean = Self.imageNetMean[channel]
            let std = Self.imageNetStd[channel]
            for i in (channel * plane)..<((channel + 1) * plane) {
                let x = frame[i]
                guard x.isFinite else {
                    throw GazeModelError(.invalidInput, "frame \(index) has a non-finite value (\(x)) at element \(i) — pass RGB values in [0, 1]")
                }
                out[i] = (x * 255 / 127.5 - 1 - mean) / std
            }
        }
        return out
    }
}
