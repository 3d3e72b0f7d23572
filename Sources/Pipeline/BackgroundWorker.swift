import Foundation

/// Runs a stage on its own thread behind a small bounded queue, so decoding the next frames
/// overlaps cutting and reducing the previous clip.
///
/// `submit` blocks while `capacity` items wait (memory stays bounded); the first error the body
/// throws stops the worker and is rethrown by the next `submit` or by `finish`. Everything the
/// body touches is confined to the worker thread between `init` and `finish`, which is why the
/// type is `@unchecked Sendable`.
final class BackgroundWorker<Item>: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [Item] = []
    private var closed = false
    private var done = false
    private var failure: Error?
    private let capacity: Int
    private let body: (Item) throws -> Void

    init(capacity: Int = 2, body: @escaping (Item) throws -> Void) {
        self.capacity = max(1, capacity)
        self.body = body
        let thread = Thread { [self] in loop() }
        thread.name = "vtok.worker"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Queues an item, waiting while the queue is full.
    ///
    /// - Throws: the error the worker stopped with, if any.
    func submit(_ item: Item) throws {
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= capacity && failure == nil { condition.wait() }
        if let failure { throw failure }
        queue.append(item)
        condition.broadcast()
    }

    /// Waits until every queued item is processed and the thread has ended.
    ///
    /// - Throws: the error the worker stopped with, if any.
    func finish() throws {
        condition.lock()
        closed = true
        condition.broadcast()
        while !done { condition.wait() }
        let failure = self.failure
        condition.unlock()
        if let failure { throw failure }
    }

    private func loop() {
        while true {
            condition.lock()
            while queue.isEmpty && !closed && failure == nil { condition.wait() }
            if queue.isEmpty || failure != nil {
                done = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let item = queue.removeFirst()
            condition.broadcast()
            condition.unlock()
            do {
                try body(item)
            } catch {
                condition.lock()
                failure = error
                queue.removeAll()
                condition.broadcast()
                condition.unlock()
            }
        }
    }
}
