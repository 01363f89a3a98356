import AIGateway
import Foundation
import _CryptoExtras

/// Reads and checks a gateway's telemetry settings from a management API body: `otel` (the
/// exporters, Cloudflare's `Otel` shape) and `logpush_public_key`. Every problem is a 400
/// naming the field, as `otel[1].headers.x-team`.
public enum TelemetryInput {
    /// The most exporters a gateway may have.
    public static let maximumExporters = 5

    /// The exporters `value` lists, their credentials sealed with `cipher`. A header or
    /// authorization sent back as `[redacted]` (a client echoing what it read) keeps the
    /// value the exporter at the same URL has in `previous`.
    static func exporters(
        _ value: JSONValue, gatewayID: String, previous: [OTelExporter]?, cipher: ProviderKeyCipher?
    ) throws -> [OTelExporter]? {
        if value == .null { return nil }
        guard let items = value.arrayValue else {
            throw ManagementError.badInput("otel", "must be a list of exporters ({url, headers, authorization, content_type}) or null")
        }
        guard items.count <= maximumExporters else {
            throw ManagementError.badInput("otel", "has \(items.count) exporters; at most \(maximumExporters) are allowed")
        }
        var exporters: [OTelExporter] = []
        for (index, item) in items.enumerated() {
            let field = "otel[\(index)]"
            guard let members = item.objectValue else {
                throw ManagementError.badInput(field, "must be an object {url, headers, authorization, content_type}")
            }
            var url: String?
            var headers: [String: String] = [:]
            var authorization: String?
            var contentType: String?
            for (key, member) in members.sorted(by: { $0.key < $1.key }) {
                switch key {
                case "url":
                    guard let text = member.stringValue, !text.isEmpty, text.utf8.count <= 2048 else {
                        throw ManagementError.badInput("\(field).url", "must be a URL of at most 2048 bytes")
                    }
                    if let problem = urlProblem(text) { throw ManagementError.badInput("\(field).url", problem) }
                    url = text
                case "headers":
                    headers = try CustomProviderInput.extraHeaders(member, field: "\(field).headers")
                case "authorization":
                    if member == .null { continue }
                    guard let text = member.stringValue, !text.isEmpty, text.utf8.count <= 8192,
                        text.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F || $0 == 0x09 })
                    else {
                        throw ManagementError.badInput("\(field).authorization", "must be a header value HTTP allows (e.g. 'Bearer ...')")
                    }
                    authorization = text
                case "content_type":
                    if member == .null { continue }
                    guard let text = member.stringValue, ["json", "protobuf"].contains(text) else {
                        throw ManagementError.badInput("\(field).content_type", "must be json or protobuf")
                    }
                    contentType = text
                default:
                    throw ManagementError.badInput("\(field).\(key)", "unknown field of an exporter (url, headers, authorization, content_type)")
                }
            }
            guard let url else { throw ManagementError.badInput("\(field).url", "is required") }
            // What the client echoed as redacted keeps the old value of the exporter at this URL.
            let old = try previous?.first { $0.url == url }.map {
                try OTelExporterSecrets.of($0, gatewayID: gatewayID, cipher: cipher)
            }
            for (name, value) in headers where value == OTelExporter.redacted {
                guard let kept = old?.headers[name] else {
                    throw ManagementError.badInput("\(field).headers.\(name)", "is '[redacted]' but there is no earlier value to keep")
                }
                headers[name] = kept
            }
            if authorization == OTelExporter.redacted {
                guard let kept = old?.authorization else {
                    throw ManagementError.badInput("\(field).authorization", "is '[redacted]' but there is no earlier value to keep")
                }
                authorization = kept
            }
            var exporter = OTelExporter(url: url, contentType: contentType)
            if authorization != nil || !headers.isEmpty {
                guard let cipher else {
                    throw ManagementError.badInput(
                        "\(field).headers", "headers and authorization may hold credentials and are stored sealed: set a master key (AIGW_MASTER_KEY) first")
                }
                let secrets = OTelExporterSecrets(authorization: authorization, headers: headers)
                exporter.sealedSecrets = try secrets.sealed(gatewayID: gatewayID, cipher: cipher)
                exporter.headers = headers.mapValues { _ in OTelExporter.redacted }
                exporter.authorization = authorization.map { _ in OTelExporter.redacted }
            }
            exporters.append(exporter)
        }
        return exporters.isEmpty ? nil : exporters
    }

    /// Why a URL the gateway will call cannot be used, or nil: `http://` or `https://` with a
    /// host, as the gateway's own HTTP client reads it; printable ASCII; no user information,
    /// no fragment, and no query unless `allowingQuery`. (Exporters may use plain http to any
    /// host: collectors often sit beside the gateway on a private network; custom providers
    /// add their own rules on top.)
    static func urlProblem(_ url: String, allowingQuery: Bool = true) -> String? {
        do {
            _ = try UpstreamURL(url)
        } catch {
            return "'\(url)' is not a usable URL: \(error)"
        }
        if !url.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) { return "holds a byte a URL may not" }
        if allowingQuery {
            if url.contains("#") { return "must not have a fragment" }
        } else if url.contains("?") || url.contains("#") {
            return "must not have a query or fragment"
        }
        return nil
    }

    /// The Logpush public key: an RSA public key in PEM (`-----BEGIN PUBLIC KEY-----`), of
    /// 2048 bits or more, or null for none.
    static func publicKey(_ value: JSONValue) throws -> String? {
        if value == .null { return nil }
        guard let text = value.stringValue, text.utf8.count <= 16_384 else {
            throw ManagementError.badInput("logpush_public_key", "must be an RSA public key in PEM, or null")
        }
        do {
            let key = try _RSA.Encryption.PublicKey(pemRepresentation: text)
            guard key.keySizeInBits >= 2048 else {
                throw ManagementError.badInput("logpush_public_key", "is a \(key.keySizeInBits)-bit key; use 2048 bits or more")
            }
        } catch let error as ManagementError {
            throw error
        } catch {
            throw ManagementError.badInput(
                "logpush_public_key", "is not an RSA public key in PEM ('-----BEGIN PUBLIC KEY-----' ...): \(error)")
        }
        return text
    }
}
