import Foundation
import Pipeline
import Reduction
import TestSupport
import Testing

/// The encoder inside a pipeline: what lands in the token pack equals the NumPy reference run on
/// the same frames with the same kept patches.
@Suite(.serialized) struct EncoderPipelineTests {
    func run(_ yaml: String, video: String, to path: String) throws -> RunResult {
        let runner = PipelineRunner(pipeline: try PipelineSpec(yaml: yaml).resolved())
        runner.showsProgress = false
        return try runner.run(input: video, output: path)
    }

    /// A test clip, a random checkpoint made by the reference script, and the full pixel pack
    /// of the sampled frames (to rebuild the frames the reference encodes).
    func prepare(in dir: URL, checkpoint arguments: [String], sampling: String) throws -> (video: String, checkpoint: String, full: String) {
        let video = try TokenPackTests.clip(in: dir)
        let checkpoint = dir.appendingPathComponent("radio").path
        try TestSupport.runPython("tools/reference/radio_reference.py", ["make-checkpoint", checkpoint] + arguments)
        let full = dir.appendingPathComponent("full.safetensors").path
        _ = try run(sampling, video: video, to: full)
        return (video, checkpoint, full)
    }

    @Test func sparseEncodingMatchesTheReference() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let sampling = "sampling: {frames: 3}\nresize: {size: 64x48}\n"
        let (video, checkpoint, full) = try prepare(
            in: dir,
            checkpoint: ["--embed", "64", "--depth", "2", "--heads", "4", "--mlp", "128", "--prefix", "3", "--num-cls", "2",
                         "--seed", "5"],
            sampling: sampling)
        let encoded = dir.appendingPathComponent("encoded.safetensors").path
        let result = try run(
            sampling + "reduce: [evs:rate=0.5]\nencoder: {name: c-radio, weights: \(checkpoint)}\n", video: video, to: encoded)
        #expect(result.report.encoder?.embedDim == 64)
        #expect(result.report.encoder?.tokensEncoded == result.report.tokensOut)

        // Rebuild the frames from the full pixel pack, the keep mask from the encoded pack's
        // coords, run the reference, and compare.
        let script = """
            import sys, subprocess, numpy as np
            from safetensors.numpy import load_file
            full, enc, ckpt, tmp = sys.argv[1:5]
            f = load_file(full); e = load_file(enc)
            T = f['frame_tokens'].shape[0]; rows, cols = 3, 4
            imgs = np.zeros((T, 3, 48, 64), np.float32)
            for tok, (t, r, c, s) in zip(f['tokens'], f['coords']):
                imgs[t, :, r*16:(r+1)*16, c*16:(c+1)*16] = tok.reshape(3, 16, 16)
            keep = np.zeros((T, rows*cols), bool)
            for t, r, c, s in e['coords']:
                keep[t, r*cols + c] = True
            np.save(tmp + '/imgs.npy', imgs); np.save(tmp + '/keep.npy', keep)
            subprocess.run([sys.executable, 'tools/reference/radio_reference.py', 'forward-sparse', ckpt,
                            tmp + '/imgs.npy', tmp + '/keep.npy', tmp + '/ref.npz'], check=True)
            ref = np.load(tmp + '/ref.npz')
            df = np.abs(ref['features'] - e['tokens']).max()
            ds = np.abs(ref['summary'] - e['summary']).max()
            print(f'{df:.3e} {ds:.3e}')
            """
        let out = try TestSupport.run(TestSupport.python, ["-c", script, full, encoded, checkpoint, dir.path])
        let numbers = out.stdout.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(numbers.count == 2, "\(out.stderr)")
        #expect(numbers.allSatisfy { $0 <= 1e-4 }, "max |features|, |summary| differences: \(out.stdout)")
    }

    @Test func vitdetWindowsEncodeWholeFramesAndRefusePrunedOnes() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let sampling = "sampling: {frames: 2}\nresize: {size: 64}\n"
        let (video, checkpoint, full) = try prepare(
            in: dir,
            checkpoint: ["--embed", "32", "--depth", "8", "--heads", "2", "--mlp", "64", "--prefix", "2", "--num-cls", "1",
                         "--seed", "9"],
            sampling: sampling)
        let encoded = dir.appendingPathComponent("encoded.safetensors").path
        _ = try run(sampling + "encoder: {name: c-radio, weights: \(checkpoint), vitdet_window: 2}\n", video: video, to: encoded)
        let script = """
            import sys, subprocess, numpy as np
            from safetensors.numpy import load_file
            full, enc, ckpt, tmp = sys.argv[1:5]
            f = load_file(full); e = load_file(enc)
            T = f['frame_tokens'].shape[0]
            imgs = np.zeros((T, 3, 64, 64), np.float32)
            for tok, (t, r, c, s) in zip(f['tokens'], f['coords']):
                imgs[t, :, r*16:(r+1)*16, c*16:(c+1)*16] = tok.reshape(3, 16, 16)
            np.save(tmp + '/imgs.npy', imgs)
            subprocess.run([sys.executable, 'tools/reference/radio_reference.py', 'forward', ckpt, tmp + '/imgs.npy',
                            tmp + '/ref.npz', '--vitdet-window', '2'], check=True)
            ref = np.load(tmp + '/ref.npz')
            print(f"{np.abs(ref['features'].reshape(-1, 32) - e['tokens']).max():.3e}")
            """
        let out = try TestSupport.run(TestSupport.python, ["-c", script, full, encoded, checkpoint, dir.path])
        let difference = Double(out.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(difference != nil && difference! <= 1e-4, "\(out.stdout) \(out.stderr)")
        #expect(throws: (any Error).self) {
            _ = try run(
                sampling + "reduce: [evs:rate=0.5]\nencoder: {name: c-radio, weights: \(checkpoint), vitdet_window: 2}\n",
                video: video, to: dir.appendingPathComponent("pruned.safetensors").path)
        }
    }

    @Test func encoderNeedsWeights() {
        #expect(throws: PipelineError.self) { try PipelineSpec(yaml: "encoder: {name: c-radio}\n").resolved() }
        #expect(throws: PipelineError.self) { try PipelineSpec(yaml: "encoder: {name: clip, weights: x}\n").resolved() }
    }
}
