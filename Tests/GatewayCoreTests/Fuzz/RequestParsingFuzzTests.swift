import AIGateway
import Foundation
import HTTPTypes
import NIOCore
import PropertyBased
import TestSupport
import Testing

@testable import GatewayCore

/// Fuzzing the parsers a client's request goes through: the gateway URL, the Universal
/// steps, the `/compat` body, the `cf-aig-*` headers. Each may refuse with the gateway's
/// own error and nothing else, and what it accepts keeps to the rules it promises.
@Suite("Fuzz: gateway URLs, Universal steps, /compat bodies, cf-aig-* headers")
struct RequestParsingFuzzTests {
    let providers = try! ProviderTable(overrides: [:], environment: [:], accountID: "local")

    static let pathPieces = ["chat", "completions", "v1", "@cf", "models", "a-b_c~d", "%41", "%252e", "%2e%2e", "%c3%a9"]

    @Test("a gateway URL is refused with 2001 or 2012, or its provider path stays under the provider once decoded")
    func gatewayURLs() async {
        await propertyCheck(count: FuzzInputs.count, input: FuzzInputs.text(Self.pathPieces)) { suffix in
            let path = "/v1/local/g/openai/" + suffix
            do {
                let route = try GatewayRoute(path: path, servedAccount: "local")
                #expect(route.providerPath.utf8.allSatisfy { ProviderPathRule.isPathByte($0) || $0 == UInt8(ascii: "/") })
                for segment in route.providerPath.split(separator: "/", omittingEmptySubsequences: false) {
                    let decoded = FuzzInputs.fullyDecoded(String(segment))
                    #expect(decoded != nil && decoded != "." && decoded != "..", "\(path.debugDescription)")
                    #expect(decoded.map { !$0.contains("/") && !$0.contains("\\") } ?? false, "\(path.debugDescription)")
                }
            } catch let error as GatewayError {
                #expect([2001, 2012].contains(error.code))
            } catch {
                Issue.record("not a GatewayError: \(error)")
            }
        }
    }

    @Test("Universal bodies are refused with 2014 only; an accepted step's endpoint could go into a request line")
    func universalSteps() async {
        let endpoint = FuzzInputs.text(Self.pathPieces, length: 0...8)
        let body = FuzzInputs.bytes(FuzzInputs.json, length: 0...24)
        await propertyCheck(count: FuzzInputs.count, input: endpoint, body) { endpoint, raw in
            let structured = try! JSONSerialization.data(withJSONObject: [
                ["provider": "openai", "endpoint": endpoint, "headers": ["x-a": endpoint], "query": ["model": endpoint]]
            ])
            for candidate in [Array(structured), raw] {
                do {
                    for step in try UniversalStep.parse(ByteBuffer(bytes: candidate), providers: providers) {
                        #expect(step.endpoint.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }, "\(step.endpoint.debugDescription)")
                        #expect(ProviderPathRule.problem(
                            inPath: step.endpoint.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]) == nil)
                    }
                } catch let error as GatewayError {
                    #expect(error.code == 2014, "\(error)")
                } catch {
                    Issue.record("not a GatewayError: \(error)")
                }
            }
        }
    }

    @Test("/compat bodies are refused with 2015 only, whatever their model or shape")
    func compatBodies() async {
        let model = FuzzInputs.text(["openai/", "anthropic/", "google-ai-studio/", "groq/", "gpt-4o", "../"], length: 0...6)
        let raw = FuzzInputs.bytes(FuzzInputs.json + ["\"stream\"", "\"role\"", "\"content\"", "\"tools\""], length: 0...24)
        await propertyCheck(count: FuzzInputs.count, input: model, raw) { model, raw in
            let structured = try! JSONSerialization.data(withJSONObject: [
                "model": model, "stream": model.count % 2 == 0, "messages": [["role": "user", "content": model]],
            ])
            for body in [Array(structured), raw] {
                do {
                    let target = try CompatEndpoint.target(path: "chat/completions", body: ByteBuffer(bytes: body), providers: providers)
                    #expect(ProviderPathRule.problem(inPath: target.path) == nil, "\(target.path.debugDescription)")
                } catch let error as GatewayError {
                    #expect([2001, 2015].contains(error.code), "\(error)")
                } catch {
                    Issue.record("not a GatewayError: \(error)")
                }
            }
        }
    }

    @Test("cf-aig-* headers are read or refused with 2010 (or 2001 for an unknown provider), never anything else")
    func directives() async {
        let names = [
            "cf-aig-metadata", "cf-aig-cache-ttl", "cf-aig-skip-cache", "cf-aig-cache-key", "cf-aig-collect-log",
            "cf-aig-collect-log-payload", "cf-aig-event-id", "cf-aig-request-timeout", "cf-aig-max-attempts",
            "cf-aig-retry-delay", "cf-aig-backoff", "cf-aig-custom-cost", "cf-aig-byok-alias", "cf-aig-authorization",
        ]
        let value = FuzzInputs.text(FuzzInputs.json + ["true", "1", "60", "exponential", "{\"per_token_in\":1}"], length: 0...10)
        await propertyCheck(count: FuzzInputs.count, input: Gen.int(in: 0...(names.count - 1)), value) { index, value in
            var headers = HTTPFields()
            headers.append(HTTPField(name: HTTPField.Name(names[index])!, value: value))
            do {
                let directives = try RequestDirectives(headers: headers)
                #expect((directives.metadata?.count ?? 0) <= LogMetadata.maximumEntries)
            } catch let error as GatewayError {
                #expect([2001, 2010].contains(error.code), "\(error)")
            } catch {
                Issue.record("not a GatewayError: \(error)")
            }
        }
    }
}
