/// Azure OpenAI: `{resource}/{deployment}/{rest}` reaches
/// `https://{resource}.openai.azure.com/openai/deployments/{deployment}/{rest}`.
public struct AzureOpenAIRouting: ProviderRouting {
    public init() {}

    public func upstreamURL(base: String, path: String) throws -> String {
        let parts = path.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw GatewayError.badPath(
                "azure-openai paths are {resource}/{deployment}/{path}, e.g. my-resource/gpt-4o/chat/completions; got '\(path)'"
            )
        }
        try HostLabel.validate(parts[0], name: "azure-openai resource")
        let filled = base.replacingOccurrences(of: "{resource}", with: String(parts[0]))
            .replacingOccurrences(of: "{deployment}", with: String(parts[1]))
        return AppendPathRouting.join(filled, parts.count > 2 ? String(parts[2]) : "")
    }

    public func model(fromPath path: String) -> String? {
        let parts = path.split(separator: "/")
        return parts.count >= 2 ? String(parts[1]) : nil
    }
}

/// Checks that a value taken from a path can stand in a host name, so that a path can
/// never steer a request to another host (`evil.com/x`, `a@b`, `..`).
enum HostLabel {
    static func validate(_ label: Substring, name: String) throws {
        let allowed = label.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-")
        }
        guard allowed, !label.isEmpty, label.count <= 63 else {
            throw GatewayError.badPath("\(name) '\(label)' may hold only letters, digits and '-'")
        }
    }
}
