import Reduction
import VideoIO

/// Gathers decoded frames into clips and hands each clip, cut into patches, to a stage running
/// on a background thread, so decoding continues while earlier clips are reduced.
final class ClipFeeder {
    private let clipFrames: Int
    private var pending: [VideoFrame] = []
    private let worker: BackgroundWorker<[VideoFrame]>
    private var finished = false
    private final class Timing: @unchecked Sendable { var seconds = 0.0 }
    private let timing = Timing()

    /// Seconds spent cutting frames into patches (on the worker; read after `finish`).
    var patchSeconds: Double { timing.seconds }

    /// - Parameters:
    ///   - clipFrames: frames per clip.
    ///   - patchifier: how frames become tokens.
    ///   - onClip: the stage that takes each clip; runs on the worker thread, in order.
    init(clipFrames: Int, patchifier: Patchifier, onClip: @escaping (TokenSet) throws -> Void) {
        self.clipFrames = clipFrames
        let timing = self.timing
        worker = BackgroundWorker(capacity: 2) { frames in
            let t0 = Stopwatch.now()
            let clip = patchifier.tokens(of: frames)
            timing.seconds += Stopwatch.seconds(since: t0)
            try onClip(clip)
        }
    }

    deinit {
        if !finished { try? worker.finish() }
    }

    /// Adds a decoded frame; a full clip goes to the worker (waiting if two clips are queued).
    func add(_ frame: VideoFrame) throws {
        pending.append(frame)
        if pending.count >= clipFrames {
            try worker.submit(pending)
            pending.removeAll(keepingCapacity: true)
        }
    }

    /// Sends the last partial clip and waits until every clip is processed.
    func finish() throws {
        finished = true
        if !pending.isEmpty {
            let last = pending
            pending = []
            do {
                try worker.submit(last)
            } catch {
                try? worker.finish()
                throw error
            }
        }
        try worker.finish()
    }
}
