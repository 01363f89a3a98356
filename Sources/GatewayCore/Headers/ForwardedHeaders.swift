import AIGateway
import HTTPTypes
import NIOHTTP1

/// Which headers cross the gateway, in each direction (SPEC section 2, "Forwarding").
///
/// Hop-by-hop headers, `Host` and every `cf-aig-*` header stop at the gateway; the rest
/// pass unchanged. `Accept-Encoding` is dropped too, so that answers arrive uncompressed
/// and their token usage can be read for the log.
public enum ForwardedHeaders {
    /// Headers that describe one connection, never the message (RFC 9110 section 7.6.1).
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te",
        "trailer", "transfer-encoding", "upgrade",
    ]

    /// The client's headers as they go to the upstream. `Expect` stops too: the gateway has
    /// the whole body before it calls, so there is nothing to wait for.
    public static func toUpstream(_ fields: HTTPFields) -> HTTPHeaders {
        let connectionListed = connectionOptions(fields[.connection])
        var headers = HTTPHeaders()
        headers.reserveCapacity(fields.count)
        for field in fields {
            let name = field.name.canonicalName
            if hopByHop.contains(name) || connectionListed.contains(name) || name == "host" || name == "content-length"
                || name == "accept-encoding" || name.hasPrefix(GatewayHeader.prefix) || name == "cf-cache-ttl"
                || name == "cf-skip-cache" || name == "expect"
            {
                continue
            }
            headers.add(name: field.name.rawName, value: field.value)
        }
        return headers
    }

    /// The upstream's headers as they go back to the client. `Content-Length` is left to the
    /// server, which sets it from the relayed body.
    public static func toClient(_ headers: HTTPHeaders) -> HTTPFields {
        let connectionListed = connectionOptions(headers.first(name: "connection"))
        var fields = HTTPFields()
        fields.reserveCapacity(headers.count + 2)
        for (name, value) in headers {
            // The field name's canonical form is its lowercased name: no second lowercasing.
            guard let fieldName = HTTPField.Name(name) else { continue }
            let lower = fieldName.canonicalName
            if hopByHop.contains(lower) || connectionListed.contains(lower) || lower == "content-length" { continue }
            fields.append(HTTPField(name: fieldName, value: value))
        }
        return fields
    }
}
