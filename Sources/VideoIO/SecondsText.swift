/// Short texts for times in error messages: `50s`, `1.25s`, `12.0 s`.
enum SecondsText {
    /// A point in time or a range bound: `50s`, `1.5s`, `0.033s` (at most three decimals).
    static func instant(_ seconds: Double) -> String {
        "\(trimmed(seconds, minimumDecimals: 0))s"
    }

    /// A length of video: `12.0 s`, `4.04 s` (at least one decimal, at most three).
    static func length(_ seconds: Double) -> String {
        "\(trimmed(seconds, minimumDecimals: 1)) s"
    }

    private static func trimmed(_ seconds: Double, minimumDecimals: Int) -> String {
        guard seconds.isFinite else { return "\(seconds)" }
        let milliseconds = Int64((abs(seconds) * 1000).rounded())
        let sign = seconds < 0 && milliseconds != 0 ? "-" : ""
        var fraction = String(milliseconds % 1000)
        fraction = String(repeating: "0", count: 3 - fraction.count) + fraction
        while fraction.count > minimumDecimals, fraction.hasSuffix("0") {
            fraction.removeLast()
        }
        let whole = "\(sign)\(milliseconds / 1000)"
        return fraction.isEmpty ? whole : "\(whole).\(fraction)"
    }
}
