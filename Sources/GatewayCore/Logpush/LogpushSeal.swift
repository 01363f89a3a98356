import Crypto
import Foundation
import _CryptoExtras

/// Logpush's hybrid encryption of one field (SPEC section 11): a fresh AES-256-GCM key per
/// log, each field sealed with it under its own random 96-bit nonce (the 128-bit tag appended
/// to the ciphertext), and the key encrypted with the gateway's RSA public key (OAEP, SHA-256
/// for both the hash and MGF1), carried in every field so each opens on its own. Written as
/// `{"type": "encrypted", "key", "iv", "data"}`, each base64: any RSA-OAEP and AES-GCM
/// implementation opens it (the tests use Python's `cryptography`). One RSA operation per log,
/// not per field: it is what sealing costs most.
public struct LogpushSeal: Sendable, Equatable, Codable {
    /// Always `encrypted` (Cloudflare's marker of a sealed field).
    public var type = "encrypted"
    /// The AES key, RSA-OAEP-SHA256 encrypted, in base64.
    public var key: String
    /// The 12-byte AES-GCM nonce, in base64.
    public var iv: String
    /// The ciphertext followed by the 16-byte tag, in base64.
    public var data: String

    /// One log's key: fresh, and wrapped once for the holder of `publicKey`'s private key.
    public struct LogKey {
        let key: SymmetricKey
        let wrapped: String

        /// A fresh AES-256 key, wrapped for `publicKey` (RSA-OAEP-SHA256).
        public init(for publicKey: _RSA.Encryption.PublicKey) throws {
            key = SymmetricKey(size: .bits256)
            wrapped = try key.withUnsafeBytes { try publicKey.encrypt(Data($0), padding: .PKCS1_OAEP_SHA256) }
                .base64EncodedString()
        }
    }

    /// Seals `plaintext` with a log's key, under a nonce of its own.
    public init(sealing plaintext: some DataProtocol, with logKey: LogKey) throws {
        let nonce = AES.GCM.Nonce()
        let box = try AES.GCM.seal(plaintext, using: logKey.key, nonce: nonce)
        self.key = logKey.wrapped
        self.iv = Data(nonce).base64EncodedString()
        self.data = (box.ciphertext + box.tag).base64EncodedString()
    }

    /// Seals `plaintext` with a key of its own, for the holder of `publicKey`'s private key.
    public init(sealing plaintext: some DataProtocol, for publicKey: _RSA.Encryption.PublicKey) throws {
        try self.init(sealing: plaintext, with: LogKey(for: publicKey))
    }

    /// Opens the field with the private key; throws when the key is not the one it was sealed
    /// for, or the data was changed.
    public func open(with privateKey: _RSA.Encryption.PrivateKey) throws -> Data {
        guard let wrapped = Data(base64Encoded: key), let nonceBytes = Data(base64Encoded: iv),
            let sealed = Data(base64Encoded: data), sealed.count >= 16
        else { throw LogpushError("a sealed field's key, iv or data is not base64") }
        let aesKey = SymmetricKey(data: try privateKey.decrypt(wrapped, padding: .PKCS1_OAEP_SHA256))
        let box = try AES.GCM.SealedBox(
            nonce: AES.GCM.Nonce(data: nonceBytes), ciphertext: sealed.dropLast(16), tag: sealed.suffix(16))
        return try AES.GCM.open(box, using: aesKey)
    }
}

/// A Logpush problem, said plainly.
public struct LogpushError: Error, CustomStringConvertible, Equatable {
    /// What went wrong.
    public var description: String
    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}
