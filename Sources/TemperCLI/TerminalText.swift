import Runtime
import ArgumentParser
import Foundation

/// Text from a store or a file, made safe to print on a terminal: control characters (C0, DEL, C1)
/// and the Unicode controls that reorder text (bidirectional overrides and isolates) are shown as
/// visible escapes (`\e`, `\n`, `\x07`, `\u{202e}`), so a run's name cannot clear the screen, set the
/// window title, rewrite a prompt or forge table rows. A backslash is shown doubled (`\\`) when the
/// text has anything to escape, so an escape cannot be faked; zero-width characters and line
/// separators are shown escaped too, so two names cannot look alike.
enum TerminalText {
    static func visible(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar) else {
                out.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{1B}": out += "\\e"
            default:
                let hex = String(scalar.value, radix: 16)
                out += scalar.value < 0x100 ? "\\x" + (hex.count == 1 ? "0" + hex : hex) : "\\u{" + hex + "}"
            }
        }
        return out
    }

    /// Control characters and text-reordering controls.
    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x200B...0x200F, 0x2028...0x202E, 0x2060...0x2069, 0x061C, 0xFEFF: return true
        default: return false
        }
    }

    /// `text` for a terminal: each line made visible when standard output is a terminal (a CSV
    /// export printed there), unchanged when it goes to a file or a pipe.
    static func forStandardOutput(_ lines: [String]) -> [String] {
        isatty(STDOUT_FILENO) == 1 ? lines.map(visible) : lines
    }
}

/// JSON with the characters a terminal would act on, or that reorder or hide text, written as
/// `\uXXXX` escapes (still the same JSON value): DEL, C1 controls, bidirectional and zero-width
/// characters, line separators. (`JSONEncoder` escapes only C0.)
enum InertJSON {
    static func text(_ json: String) -> String {
        guard json.unicodeScalars.contains(where: { $0.value >= 0x7F && TerminalText.needsEscape($0) }) else { return json }
        var out = ""
        out.reserveCapacity(json.utf8.count + 16)
        for scalar in json.unicodeScalars {
            if scalar.value >= 0x7F && TerminalText.needsEscape(scalar) {
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// CSV cells that a spreadsheet would not run as formulas: a cell starting with `=`, `+`, `-`, `@`,
/// a tab or a carriage return is prefixed with `'` (OWASP's advice, what spreadsheet-safe CSV
/// writers do) unless it is a plain number (`-0.25`, `+1e-3` stay numbers). Then quoted as RFC 4180
/// asks when it holds a comma, quote or line break.
enum SpreadsheetCSV {
    static func cell(_ text: String) -> String {
        var field = text
        if let first = field.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first), !isPlainNumber(field) {
            field = "'" + field
        }
        guard field.contains(where: { ",\"\n\r".contains($0) }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `[+-]digits[.digits][e[+-]digits]` — what a spreadsheet reads as a number, not a formula.
    static func isPlainNumber(_ text: String) -> Bool {
        var scalars = Substring(text).unicodeScalars[...]
        func digits() -> Int {
            var n = 0
            while let c = scalars.first, ("0"..."9").contains(c) { scalars.removeFirst(); n += 1 }
            return n
        }
        if let c = scalars.first, c == "+" || c == "-" { scalars.removeFirst() }
        var mantissa = digits()
        if scalars.first == "." {
            scalars.removeFirst()
            mantissa += digits()
        }
        guard mantissa > 0 else { return false }
        if let c = scalars.first, c == "e" || c == "E" {
            scalars.removeFirst()
            if let s = scalars.first, s == "+" || s == "-" { scalars.removeFirst() }
            guard digits() > 0 else { return false }
        }
        return scalars.isEmpty
    }
}

/// `--threads` within 1…`BLAS.maximumThreads`.
func checkThreads(_ threads: Int) throws {
    guard (1...BLAS.maximumThreads).contains(threads) else {
        throw ValidationError("--threads must be from 1 to \(BLAS.maximumThreads), not \(threads)")
    }
}
