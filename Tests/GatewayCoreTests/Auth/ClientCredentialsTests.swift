import HTTPTypes
import Testing

@testable import GatewayCore

@Suite("Client credentials: whichever header or query parameter carries them")
struct ClientCredentialsTests {
    @Test("each credential header, and the query's key, changes the fingerprint; other headers do not")
    func fingerprint() {
        let none = ClientCredentials.fingerprint(headers: [:], query: nil)
        var seen: Set<[UInt8]> = [none]
        for name in ["authorization", "x-api-key", "api-key", "x-goog-api-key", "cookie", "x-amz-security-token"] {
            let headers: HTTPFields = [HTTPField.Name(name)!: "secret"]
            #expect(seen.insert(ClientCredentials.fingerprint(headers: headers, query: nil)).inserted, "\(name)")
        }
        #expect(seen.insert(ClientCredentials.fingerprint(headers: [:], query: "alt=sse&key=abc")).inserted)
        #expect(ClientCredentials.fingerprint(headers: [.contentType: "application/json"], query: "alt=sse") == none)
        // Values cannot run into each other across headers.
        let split1: HTTPFields = [.authorization: "ab", HTTPField.Name("x-api-key")!: "c"]
        let split2: HTTPFields = [.authorization: "a", HTTPField.Name("x-api-key")!: "bc"]
        #expect(ClientCredentials.fingerprint(headers: split1, query: nil) != ClientCredentials.fingerprint(headers: split2, query: nil))
    }

    @Test("a request brings its own credential in any credential header or the query; empty or bare Bearer is none")
    func present() {
        #expect(ClientCredentials.present(headers: [.authorization: "Bearer sk-ant-1"], query: nil))
        #expect(ClientCredentials.present(headers: [HTTPField.Name("api-key")!: "k"], query: nil))
        #expect(ClientCredentials.present(headers: [:], query: "key=abc"))
        #expect(!ClientCredentials.present(headers: [.authorization: "Bearer "], query: nil))
        #expect(!ClientCredentials.present(headers: [.authorization: "  "], query: "key="))
        #expect(!ClientCredentials.present(headers: [.cookie: "session=1"], query: nil))
    }
}
