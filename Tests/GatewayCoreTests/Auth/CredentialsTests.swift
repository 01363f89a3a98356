import AIGateway
import Foundation
import Testing
@testable import GatewayCore

@Suite("Run tokens and stored provider keys: digests, constant-time checks, sealed secrets")
struct CredentialsTests {
    @Test("a minted token opens its gateway only, until revoked; only its digest is kept")
    func runTokens() {
        let (secret, record) = RunTokens.mint(gatewayID: "g", name: "ci")
        #expect(secret.hasPrefix("aigw_") && secret.count > 40)
        #expect(record.digest == RunTokens.digest(of: secret) && !record.digest.contains(secret))
        let tokens = RunTokens([record])
        #expect(tokens.accepts("Bearer \(secret)", gatewayID: "g") && tokens.accepts("bearer \(secret)", gatewayID: "g"))
        #expect(!tokens.accepts("Bearer \(secret)", gatewayID: "other"))
        #expect(!tokens.accepts(secret, gatewayID: "g") && !tokens.accepts("Bearer wrong", gatewayID: "g") && !tokens.accepts(nil, gatewayID: "g"))
        #expect(tokens.records.remove(id: record.id, gatewayID: "g") && !tokens.accepts("Bearer \(secret)", gatewayID: "g"))
    }

    @Test("a sealed key opens with the same master key only, and only for its gateway, provider and alias")
    func sealing() throws {
        let keys = ProviderKeys(cipher: try ProviderKeyCipher(masterKey: "correct horse battery staple"))
        let stored = try keys.make(gatewayID: "g", alias: "default", providerSlug: "openai", secret: "sk-secret-1", defaultConfig: true)
        #expect(!String(decoding: stored.sealed, as: UTF8.self).contains("sk-secret-1"))
        keys.records.add(stored)
        #expect(try keys.secret(gatewayID: "g", provider: "openai", alias: nil) == "sk-secret-1")
        #expect(try keys.secret(gatewayID: "g", provider: "anthropic", alias: nil) == nil)

        let otherMaster = ProviderKeys([stored], cipher: try ProviderKeyCipher(masterKey: "another master key entirely"))
        #expect(throws: GatewayError.self) { try otherMaster.secret(gatewayID: "g", provider: "openai", alias: nil) }
        var moved = stored
        moved.alias = "stolen"
        let tampered = ProviderKeys([moved], cipher: try ProviderKeyCipher(masterKey: "correct horse battery staple"))
        #expect(throws: GatewayError.self) { try tampered.secret(gatewayID: "g", provider: "openai", alias: "stolen") }
    }

    @Test("an unknown alias named by the request is 2040; without a master key nothing is stored; short keys refused")
    func refusals() throws {
        let keys = ProviderKeys(cipher: try ProviderKeyCipher(masterKey: "0123456789abcdef"))
        do {
            _ = try keys.secret(gatewayID: "g", provider: "openai", alias: "team-b")
            Issue.record("expected 2040")
        } catch let error as GatewayError {
            #expect(error.code == 2040 && error.httpStatus == 400 && error.message.contains("team-b"))
        }
        #expect(throws: ManagementError.self) {
            try ProviderKeys(cipher: nil).make(gatewayID: "g", alias: "a", providerSlug: "openai", secret: "s", defaultConfig: false)
        }
        #expect(throws: ConfigurationError.self) { try ProviderKeyCipher(masterKey: "short") }
    }
}
