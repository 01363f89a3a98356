import AsyncHTTPClient
import NIOCore

/// Passes an upstream's body to the client chunk by chunk as it arrives, keeping the
/// log's capped copy on the way, and completes the log when the body ends, fails, or
/// the client goes away.
public struct UpstreamRelay: Sendable {
    let body: HTTPClientResponse.Body
    /// The upstream's declared length, when it sent one.
    public let contentLength: Int?
    let log: PendingLog?
    let captureCap: Int
    let started: ContinuousClock.Instant
    /// Rewrites the answer on its way to the client (the log keeps the provider's own bytes).
    var translator: (any ResponseTranslator)? = nil

    /// Relays every chunk to `write`. Throws when the upstream fails mid-body (the client
    /// must then see a broken response, not a short one) or when `write` throws.
    public func relay(to write: (ByteBuffer) async throws -> Void) async throws {
        var capture = BodyCapture(cap: log == nil ? 0 : captureCap)
        var translator = self.translator
        var clientGone = false
        func send(_ bytes: ByteBuffer?) async throws {
            guard let bytes, bytes.readableBytes > 0 else { return }
            do {
                try await write(bytes)
            } catch {
                clientGone = true
                throw error
            }
        }
        do {
            for try await chunk in body {
                if log != nil { capture.append(chunk) }
                try await send(translator == nil ? chunk : translator!.translate(chunk))
            }
            if translator != nil { try await send(translator!.finish()) }
        } catch {
            let reason =
                clientGone
                ? "the client disconnected after \(capture.totalBytes) bytes of the answer"
                : "the provider's answer broke off after \(capture.totalBytes) bytes: \(UpstreamClient.describe(error))"
            finish(capture, error: reason)
            throw error
        }
        finish(capture, error: nil)
    }

    private func finish(_ capture: BodyCapture, error: String?) {
        let duration = ContinuousClock.now - started
        log?.submit { record in
            record.response = capture
            record.durationMs = duration.wholeMilliseconds
            if let error {
                record.success = false
                record.error = error
            }
        }
    }
}
