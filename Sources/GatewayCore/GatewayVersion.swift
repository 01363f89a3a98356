/// The gateway's version, as `aigw --version`, the exporters' `service.version` and
/// `User-Agent` say it.
public enum GatewayVersion {
    /// The version of this build.
    public static let current = "0.22.0"
}
