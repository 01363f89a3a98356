/// Amazon Bedrock: `bedrock-runtime/{region}/{rest}` reaches
/// `https://bedrock-runtime.{region}.amazonaws.com/{rest}`. The client signs the
/// request with SigV4 for that final URL; the gateway passes the signature on untouched.
public struct AWSBedrockRouting: ProviderRouting {
    public init() {}

    public func upstreamURL(base: String, path: String) throws -> String {
        let parts = path.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0] == "bedrock-runtime" else {
            throw GatewayError.badPath(
                "aws-bedrock paths are bedrock-runtime/{region}/{path}, e.g. bedrock-runtime/us-east-1/model/{model}/invoke; got '\(path)'"
            )
        }
        try HostLabel.validate(parts[1], name: "aws-bedrock region")
        let filled = base.replacingOccurrences(of: "{region}", with: String(parts[1]))
        return AppendPathRouting.join(filled, parts.count > 2 ? String(parts[2]) : "")
    }

    public func model(fromPath path: String) -> String? {
        // bedrock-runtime/{region}/model/{model id}/invoke
        let parts = path.split(separator: "/")
        guard let index = parts.firstIndex(of: "model"), index + 1 < parts.count else { return nil }
        return String(parts[index + 1]).removingPercentEncoding ?? String(parts[index + 1])
    }
}
