import Foundation
import Testing

@testable import GatewayCore

@Suite("ULID log ids")
struct ULIDTests {
    @Test("26 Crockford base-32 characters")
    func form() {
        let id = ULID().description
        #expect(id.count == 26)
        #expect(ULID.isValid(id))
        #expect(!ULID.isValid("not-a-ulid"))
        #expect(!ULID.isValid(String(repeating: "U", count: 26)))  // U is not in the alphabet
    }

    @Test("ids sort by creation time")
    func sortable() {
        let earlier = ULID(date: Date(timeIntervalSince1970: 1_700_000_000)).description
        let later = ULID(date: Date(timeIntervalSince1970: 1_700_000_000.002)).description
        #expect(earlier < later)
        let ids = (0..<100).map { ULID(date: Date(timeIntervalSince1970: 1_700_000_000 + Double($0))).description }
        #expect(ids == ids.sorted())
    }

    @Test("the time part is the milliseconds since the epoch")
    func timestamp() {
        var generator = SystemRandomNumberGenerator()
        #expect(ULID(milliseconds: 0, using: &generator).description.hasPrefix("0000000000"))
        #expect(ULID(milliseconds: 1, using: &generator).description.hasPrefix("0000000001"))
        #expect(ULID(milliseconds: 32, using: &generator).description.hasPrefix("0000000010"))
    }
}
