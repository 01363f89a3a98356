import AIGateway
import Foundation
import Synchronization

/// A custom provider as the store keeps it: what the API shows, and its extra headers sealed
/// with the master key (they may hold credentials, so they are never stored in clear).
public struct CustomProviderRecord: Sendable, Codable, Equatable {
    public var provider: CustomProvider
    /// The extra headers' JSON object, sealed (``ProviderKeyCipher``), or nil for none.
    public var sealedHeaders: Data?

    public init(provider: CustomProvider, sealedHeaders: Data?) {
        self.provider = provider
        self.sealedHeaders = sealedHeaders
    }

    enum CodingKeys: String, CodingKey {
        case provider
        case sealedHeaders = "sealed_headers"
    }

    /// What a sealed header object is bound to: this provider, so a sealed box cannot be moved.
    static func sealingContext(_ id: String) -> Data { Data("aigw custom provider \(id)".utf8) }

    /// Seals an extra-header object for the provider `id`.
    public static func seal(_ headers: [String: String], id: String, cipher: ProviderKeyCipher) throws -> Data {
        let json = try JSONEncoder().encode(headers)
        return try cipher.seal(String(decoding: json, as: UTF8.self), context: sealingContext(id))
    }

    /// The descriptor the pipeline calls, with its headers opened.
    func descriptor(cipher: ProviderKeyCipher?) throws -> ProviderDescriptor {
        var headers: [String: String] = [:]
        if let sealedHeaders {
            guard let cipher else { throw ConfigurationError("custom provider \(provider.slug): its headers need the master key") }
            let json = try cipher.open(sealedHeaders, context: Self.sealingContext(provider.id))
            headers = try JSONDecoder().decode([String: String].self, from: Data(json.utf8))
        }
        var descriptor = ProviderDescriptor(
            slug: ProviderSlug(rawValue: provider.routeSlug), baseURL: provider.baseURL, credentialHeader: "authorization")
        descriptor.extraHeaders = headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return descriptor
    }
}

/// The custom providers made through the API, as every part of the process sees them: the
/// provider table looks `custom-*` slugs up here, the API and the shared-state sync replace
/// the set. A change applies to the next request.
public final class CustomProviderRegistry: Sendable {
    private let providers = Mutex<[String: ProviderDescriptor]>([:])

    public init() {}

    /// Replaces every custom provider with `records` (enabled ones only); a record whose
    /// headers cannot be opened is left out and named in the result.
    @discardableResult
    public func replaceAll(_ records: [CustomProviderRecord], cipher: ProviderKeyCipher?) -> [String] {
        var table: [String: ProviderDescriptor] = [:]
        var unusable: [String] = []
        for record in records where record.provider.enable {
            do {
                table[record.provider.routeSlug] = try record.descriptor(cipher: cipher)
            } catch {
                unusable.append(record.provider.slug)
            }
        }
        providers.withLock { $0 = table }
        return unusable
    }

    /// The descriptor for a `custom-*` slug, if one is registered.
    func descriptor(_ slug: String) -> ProviderDescriptor? { providers.withLock { $0[slug] } }

    /// The registered slugs.
    var slugs: [String] { providers.withLock { Array($0.keys) } }
}
