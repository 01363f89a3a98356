import Foundation
import Synchronization

/// Universally Unique Lexicographically Sortable Identifier: 48 bits of milliseconds
/// since the epoch and 80 random bits, written as 26 Crockford base-32 characters.
///
/// Ids made later sort after ids made earlier (to the millisecond).
public struct ULID: Sendable, Hashable, CustomStringConvertible {
    /// The 26-character text form.
    public let description: String

    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// Makes a new id for the given moment.
    public init(date: Date = Date()) {
        var generator = SeededIDRandom()
        self.init(milliseconds: UInt64(max(0, date.timeIntervalSince1970 * 1000)), using: &generator)
    }

    /// Makes an id from a millisecond timestamp and a random source (deterministic in tests).
    public init<R: RandomNumberGenerator>(milliseconds: UInt64, using generator: inout R) {
        var bytes = [UInt8](repeating: 0, count: 26)
        var time = milliseconds & 0xFFFF_FFFF_FFFF
        for index in stride(from: 9, through: 0, by: -1) {
            bytes[index] = Self.alphabet[Int(time & 31)]
            time >>= 5
        }
        // 80 random bits = 16 characters of 5 bits each.
        var high = generator.next() & 0xFF_FFFF_FFFF  // 40 bits
        var low = generator.next() & 0xFF_FFFF_FFFF  // 40 bits
        for index in stride(from: 25, through: 18, by: -1) {
            bytes[index] = Self.alphabet[Int(low & 31)]
            low >>= 5
        }
        for index in stride(from: 17, through: 10, by: -1) {
            bytes[index] = Self.alphabet[Int(high & 31)]
            high >>= 5
        }
        self.description = String(decoding: bytes, as: UTF8.self)
    }

    /// Whether a string has the form of a ULID (26 Crockford base-32 characters).
    public static func isValid(_ text: String) -> Bool {
        let utf8 = Array(text.utf8)
        guard utf8.count == 26, let first = utf8.first, first <= UInt8(ascii: "7") else { return false }
        return utf8.allSatisfy { alphabet.contains($0) }
    }
}

/// The random part of ids: SplitMix64, seeded from the system's generator at start. Ids
/// must be unique, not secret, and the system generator costs a system call per number
/// (two per request). SplitMix64's outputs do not repeat within 2^64 draws, so two ids of
/// one process never collide; the random seed keeps processes apart.
struct SeededIDRandom: RandomNumberGenerator {
    private static let state = Mutex<UInt64>({
        var system = SystemRandomNumberGenerator()
        return system.next()
    }())

    mutating func next() -> UInt64 {
        var z = Self.state.withLock { state in
            state &+= 0x9E37_79B9_7F4A_7C15
            return state
        }
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
