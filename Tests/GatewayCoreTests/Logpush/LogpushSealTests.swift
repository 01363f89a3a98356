import AIGateway
import Foundation
import Testing
import _CryptoExtras

@testable import GatewayCore

/// Logpush's sealed fields: opened by the private key, refused by any other, changed by
/// nothing in between; every line names the dataset's fields and holds nothing in clear.
@Suite("Logpush sealing")
struct LogpushSealTests {
    static let privatePEM = try! _RSA.Encryption.PrivateKey(keySize: .bits2048).pemRepresentation
    static var privateKey: _RSA.Encryption.PrivateKey { try! _RSA.Encryption.PrivateKey(pemRepresentation: privatePEM) }
    static var publicPEM: String { privateKey.publicKey.pemRepresentation }

    @Test("a sealed field opens to its bytes with the private key, and only with it")
    func roundTrip() throws {
        let plain = Array("the prompt, with a secret".utf8)
        let seal = try LogpushSeal(sealing: plain, for: try LogpushRecipient(pem: Self.publicPEM).key)
        #expect(Array(try seal.open(with: Self.privateKey)) == plain)
        #expect(Data(base64Encoded: seal.iv)?.count == 12)
        let other = try _RSA.Encryption.PrivateKey(keySize: .bits2048)
        #expect(throws: (any Error).self) { try seal.open(with: other) }
        var tampered = seal
        var data = Data(base64Encoded: seal.data)!
        data[0] ^= 1
        tampered.data = data.base64EncodedString()
        #expect(throws: (any Error).self) { try tampered.open(with: Self.privateKey) }
    }

    @Test("each log has its own key, each field its own nonce: the same text seals differently every time")
    func freshKeys() throws {
        let key = try LogpushRecipient(pem: Self.publicPEM).key
        let first = try LogpushSeal(sealing: Array("same".utf8), for: key)
        let second = try LogpushSeal(sealing: Array("same".utf8), for: key)
        #expect(first.key != second.key && first.data != second.data)
        let logKey = try LogpushSeal.LogKey(for: key)
        let metadata = try LogpushSeal(sealing: Array("same".utf8), with: logKey)
        let body = try LogpushSeal(sealing: Array("same".utf8), with: logKey)
        #expect(metadata.key == body.key && metadata.iv != body.iv && metadata.data != body.data)
    }

    @Test("a line carries the dataset's field names, the sealed fields decrypt, and no body is in clear")
    func line() throws {
        var record = LogRecord(
            id: "01LOG", gatewayID: "g", provider: "openai", path: "chat/completions", createdAt: Date(), captureCap: 1 << 20)
        record.statusCode = 200
        record.success = true
        record.metadata = ["team": .string("blue")]
        let stored = record.finalized()
        let line = try LogpushLine.make(
            stored.log, request: Array(#"{"secret":"hunter2"}"#.utf8), response: Array("answer".utf8),
            for: try LogpushRecipient(pem: Self.publicPEM))
        let text = String(decoding: line, as: UTF8.self)
        #expect(!text.contains("hunter2") && !text.contains("blue") && !text.contains("\n"))
        let object = try JSONSerialization.jsonObject(with: Data(line)) as! [String: Any]
        #expect(Set(object.keys).isSuperset(of: [
            "ID", "Timestamp", "Gateway", "Provider", "Model", "Endpoint", "StatusCode", "Cached", "RateLimited", "Metrics",
            "Metadata", "RequestBody", "ResponseBody",
        ]))
        let pem = Self.privatePEM
        let opened = try JSONSerialization.jsonObject(with: Data(try LogpushLine.decrypt(line, with: pem))) as! [String: Any]
        #expect(opened["RequestBody"] as? String == #"{"secret":"hunter2"}"#)
        #expect((opened["Metadata"] as? [String: Any])?["team"] as? String == "blue")
    }
}
