import Crypto
import Foundation
import NIOCore

/// The identity of a cacheable request (SPEC section 7): SHA-256 over the gateway, method,
/// provider, path and query, every credential the request carries (``ClientCredentials``),
/// and the request body (or the
/// caller's `cf-aig-cache-key` in its place). Each field goes in with its length before it,
/// so no two different requests run together into the same bytes.
public struct CacheKey: Hashable, Sendable {
    /// The gateway the entry belongs to (for clearing one gateway's entries).
    public let gatewayID: String
    let digest: [UInt8]

    /// The key of a request.
    public init(
        gatewayID: String, method: String, provider: String, path: String, query: String?, credentials: [UInt8],
        body: ByteBuffer, customKey: String?
    ) {
        self.gatewayID = gatewayID
        var hasher = SHA256()
        func add(_ tag: UInt8, _ bytes: some Collection<UInt8>) {
            var header = [tag]
            withUnsafeBytes(of: UInt64(bytes.count).bigEndian) { header.append(contentsOf: $0) }
            hasher.update(data: header)
            hasher.update(data: Array(bytes))
        }
        add(1, gatewayID.utf8)
        add(2, method.utf8)
        add(3, provider.utf8)
        add(4, path.utf8)
        add(5, (query ?? "").utf8)
        add(6, credentials)
        if let customKey {
            add(7, customKey.utf8)
        } else {
            add(8, body.readableBytesView)
        }
        digest = Array(hasher.finalize())
    }
}
