import AIGateway
import Foundation
import _CryptoExtras

/// One exported log as a line of Logpush's NDJSON, in the field names of Cloudflare's
/// `ai_gateway_events` dataset (`Cached`, `Endpoint`, `Gateway`, `Metadata`, `Metrics`,
/// `Model`, `Provider`, `RateLimited`, `RequestBody`, `ResponseBody`, `StatusCode`,
/// `Timestamp`), plus aigw's own `ID`, `EventID`, `Step` and `Success`. `Metadata`,
/// `RequestBody` and `ResponseBody` are sealed (``LogpushSeal``) with the log's own key.
public enum LogpushLine {
    /// The line for `log` with its bodies, sealed for `recipient`, without the newline.
    /// Written directly (Foundation's JSONSerialization was most of a line's cost).
    public static func make(_ log: AIGatewayLog, request: [UInt8]?, response: [UInt8]?, for recipient: LogpushRecipient) throws
        -> [UInt8]
    {
        let logKey = try LogpushSeal.LogKey(for: recipient.key)
        let metadata = try JSONEncoder().encode(log.metadata ?? [:])
        var out = JSONWriter()
        out.raw(#"{"ID":"#)
        out.string(log.id)
        out.raw(#","Timestamp":"#)
        out.string(timestamp(log.createdAt))
        for (name, value) in [("Gateway", log.gatewayID), ("Provider", log.provider), ("Model", log.model), ("Endpoint", log.path)] {
            out.raw(#",""# + name + #"":"#)
            out.string(value)
        }
        out.raw(#","StatusCode":\#(log.statusCode),"Cached":\#(log.cached),"RateLimited":\#(log.statusCode == 429),"Success":\#(log.success)"#)
        out.raw(#","Metrics":{"durationMs":\#(log.duration)"#)
        if let cost = log.cost, cost.isFinite { out.raw(#","cost":\#(cost)"#) }
        if let tokens = log.tokensIn { out.raw(#","tokensIn":\#(tokens)"#) }
        if let tokens = log.tokensOut { out.raw(#","tokensOut":\#(tokens)"#) }
        out.raw("}")
        if let step = log.step { out.raw(#","Step":\#(step)"#) }
        if let eventID = log.eventID {
            out.raw(#","EventID":"#)
            out.string(eventID)
        }
        for (name, plain) in [("Metadata", Array(metadata)), ("RequestBody", request ?? []), ("ResponseBody", response ?? [])] {
            let seal = try LogpushSeal(sealing: plain, with: logKey)
            out.raw(#",""# + name + #"":{"type":"encrypted","key":"#)
            out.string(seal.key)
            out.raw(#","iv":"#)
            out.string(seal.iv)
            out.raw(#","data":"#)
            out.string(seal.data)
            out.raw("}")
        }
        out.raw("}")
        return out.bytes
    }

    /// A line with its sealed fields opened with `privateKey`: `Metadata` as its JSON object,
    /// the bodies as text (or, when not UTF-8, `{"base64": ...}`).
    public static func decrypt(_ line: [UInt8], with privateKeyPEM: String) throws -> [UInt8] {
        let privateKey = try _RSA.Encryption.PrivateKey(pemRepresentation: privateKeyPEM)
        guard var object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
            throw LogpushError("a line is not a JSON object")
        }
        for field in ["Metadata", "RequestBody", "ResponseBody"] {
            guard let sealedObject = object[field] else { continue }
            let sealedData = try JSONSerialization.data(withJSONObject: sealedObject)
            let plain = try JSONDecoder().decode(LogpushSeal.self, from: sealedData).open(with: privateKey)
            if field == "Metadata" {
                object[field] = try JSONSerialization.jsonObject(with: plain, options: [.fragmentsAllowed])
            } else if let text = String(data: plain, encoding: .utf8) {
                object[field] = text
            } else {
                object[field] = ["base64": plain.base64EncodedString()]
            }
        }
        return Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
    }

    /// RFC 3339 with milliseconds, UTC.
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

/// Whom Logpush seals for: a gateway's RSA public key, read once from its PEM.
public struct LogpushRecipient {
    let key: _RSA.Encryption.PublicKey

    /// Reads `pem` (`-----BEGIN PUBLIC KEY-----` ...).
    public init(pem: String) throws {
        key = try _RSA.Encryption.PublicKey(pemRepresentation: pem)
    }
}
