import Crypto
import Foundation
import _CryptoExtras

/// Logpush's hybrid encryption of one field (SPEC section 11): a fresh AES-256-GCM key per
/// field, the data sealed with it (a random 96-bit nonce, the 128-bit tag appended to the
/// ciphertext), and the key encrypted with the gateway's RSA public key (OAEP, SHA-256 for
/// both the hash and MGF1). Written as `{"type": "encrypted", "key", "iv", "data"}`, each
/// base64: any RSA-OAEP and AES-GCM implementation opens it (the tests use Python's
/// `cryptography`).
public struct LogpushSeal: Sendable, Equatable, Codable {
    public var type = "encrypted"
    /// The AES key, RSA-OAEP-SHA256 encrypted, in base64.
    public var key: String
    /// The 12-byte AES-GCM nonce, in base64.
    public var iv: String
    /// The ciphertext followed by the 16-byte tag, in base64.
    public var data: String

    /// Seals `plaintext` for the holder of `publicKey`'s private key.
    public init(sealing plaintext: some DataProtocol, for publicKey: _RSA.Encryption.PublicKey) throws {
        let aesKey = SymmetricKey(size: .bits256)
        let nonce = AES.GCM.Nonce()
        let box = try AES.GCM.seal(plaintext, using: aesKey, nonce: nonce)
        let wrapped = try aesKey.withUnsafeBytes { try publicKey.encrypt(Data($0), padding: .PKCS1_OAEP_SHA256) }
        self.key = wrapped.base64EncodedString()
        self.iv = Data(nonce).base64EncodedString()
        self.data = (box.ciphertext + box.tag).base64EncodedString()
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
    public var description: String
    public init(_ description: String) { self.description = description }
}
