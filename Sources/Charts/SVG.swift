import Foundation

/// Small helpers to write SVG by hand: escaping, number formatting, nice axis ticks, a palette.
enum SVG {
    static func escape(_ text: String) -> String { Markup.escape(text) }

    /// A coordinate with two decimals (stable, compact output).
    static func n(_ value: Double) -> String {
        guard value.isFinite else { return "0" }  // callers skip non-finite points; never "nan" in SVG
        let rounded = (value * 100).rounded() / 100
        if rounded.magnitude >= 1e15 { return String(format: "%.0f", rounded) }
        if rounded == rounded.rounded() { return String(Int(rounded)) }
        return String(format: "%.2f", rounded)
    }

    /// About `count` "nice" tick values (1, 2, 5 × 10^k steps) covering `low…high`.
    static func ticks(_ low: Double, _ high: Double, count: Int = 5) -> [Double] {
        guard high > low, low.isFinite, high.isFinite else { return low.isFinite ? [low] : [] }
        // A range wider than the largest double: its ends and zero.
        guard (high - low).isFinite else { return [low, 0, high] }
        let rough = (high - low) / Double(Swift.max(count, 1))
        let magnitude = Foundation.pow(10, (Foundation.log10(rough)).rounded(.down))
        let residual = rough / magnitude
        let step = (residual < 1.5 ? 1 : residual < 3 ? 2 : residual < 7 ? 5 : 10) * magnitude
        let first = (low / step).rounded(.up)
        // Ranges of a few ulps or subnormals have no nice steps: their ends.
        guard step > 0, step.isFinite, first.isFinite else { return [low, high] }
        var values: [Double] = []
        for k in 0..<(4 * Swift.max(count, 1) + 4) {
            let v = (first + Double(k)) * step
            if v > high + step * 1e-9 { break }
            if let last = values.last, v <= last { break }  // steps below the values' ulp
            values.append(Swift.abs(v) < step * 1e-9 ? 0 : v)
        }
        return values.isEmpty ? [low, high] : values
    }

    /// A tick label: integers plainly, others with up to 3 significant decimals.
    static func label(_ value: Double) -> String {
        if value == value.rounded(), Swift.abs(value) < 1e9 { return String(Int(value)) }
        if Swift.abs(value) >= 1e-3 && Swift.abs(value) < 1e5 {
            var text = String(format: "%.3f", value)
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
            return text
        }
        return String(format: "%.1e", value)
    }

    static func color(_ index: Int) -> String { ChartPalette.color(index) }
}

/// The categorical colours of every chart (Tableau 10), for pages that colour things to match.
public enum ChartPalette {
    public static let colors = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]
    public static func color(_ index: Int) -> String { colors[index % colors.count] }

    /// A colour per item, the same hue for items of one group: group `g` gets `color(g)`, and its
    /// members shades of it from full strength towards white (at most `lightest` of the way), so
    /// seeds of one variant read as one family.
    public static func shades(groups: [Int], lightest: Double = 0.6) -> [String] {
        var sizes: [Int: Int] = [:], seen: [Int: Int] = [:]
        for g in groups { sizes[g, default: 0] += 1 }
        return groups.map { g in
            let k = seen[g, default: 0]
            seen[g] = k + 1
            let size = sizes[g]!
            return mix(color(g), withWhite: size > 1 ? lightest * Double(k) / Double(size - 1) : 0)
        }
    }

    /// `hex` moved `amount` (0…1) of the way towards white.
    static func mix(_ hex: String, withWhite amount: Double) -> String {
        let value = Int(hex.dropFirst(), radix: 16) ?? 0
        let channels: [Int] = [(value >> 16) & 255, (value >> 8) & 255, value & 255]
        return "#" + channels.map { channel -> String in
            let c = Double(channel)
            return String(format: "%02x", Int((c + (255 - c) * amount).rounded()))
        }.joined()
    }
}

/// Escaping for markup shared by the charts and the pages that embed them (HTML, SVG, XML):
/// `& < > " '` become entities, so user text (run names, tags, notes) is shown, never run.
public enum Markup {
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }
}
