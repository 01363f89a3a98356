import NIOCore

/// An answer that needs no provider: a cache entry replayed, or an identical request's
/// answer followed as it arrives. Either way the client gets the same chunks the first
/// client got, and the log records what was sent.
struct CacheReplay: AnswerStream {
    enum Source {
        case entry([ByteBuffer])
        case following(InFlightAnswer)
    }

    /// The leader this follower replayed broke off.
    struct LeaderFailed: Error {}

    let source: Source
    let contentLength: Int?
    let log: PendingLog?
    let captureCap: Int
    let started: ContinuousClock.Instant

    func wholeAnswer() -> ByteBuffer? {
        guard case .entry(let chunks) = source else { return nil }
        var whole = chunks.first ?? ByteBuffer()
        for var chunk in chunks.dropFirst() { whole.writeBuffer(&chunk) }
        log?.finish(.relayed(BodyCapture(cap: log == nil ? 0 : captureCap, body: whole), problem: nil), started: started)
        return whole
    }

    func relay(to write: (ByteBuffer) async throws -> Void) async throws {
        var capture = BodyCapture(cap: log == nil ? 0 : captureCap)
        do {
            switch source {
            case .entry(let chunks):
                for chunk in chunks {
                    capture.append(chunk)
                    try await write(chunk)
                }
            case .following(let leader):
                defer { leader.followerLeft() }
                var index = 0
                following: while true {
                    switch await leader.next(index) {
                    case .chunk(let chunk):
                        capture.append(chunk)
                        try await write(chunk)
                        index += 1
                    case .end: break following
                    case .failed: throw LeaderFailed()
                    }
                }
            }
        } catch {
            let reason =
                error is LeaderFailed
                ? "the identical request this one followed broke off after \(capture.totalBytes) bytes"
                : "the client disconnected after \(capture.totalBytes) bytes of the cached answer"
            log?.finish(.relayed(capture, problem: reason), started: started)
            throw error
        }
        log?.finish(.relayed(capture, problem: nil), started: started)
    }
}
