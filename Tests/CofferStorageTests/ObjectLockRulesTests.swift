@testable import CofferStorage
import Foundation
import Testing

/// ``ObjectLockRules`` on its own: every retention transition S3 allows or refuses, and what
/// protects a version from removal, around the retain-until boundary.
@Suite struct ObjectLockRulesTests {
    static let now = at(0)
    static func governance(_ offset: Int64) -> ObjectRetention { ObjectRetention(mode: .governance, retainUntil: at(offset)) }
    static func compliance(_ offset: Int64) -> ObjectRetention { ObjectRetention(mode: .compliance, retainUntil: at(offset)) }

    struct Transition: CustomTestStringConvertible, Sendable {
        var current: ObjectRetention?
        var new: ObjectRetention?
        var bypass: Bool
        var expected: ObjectLockRules.RetentionChange

        var testDescription: String {
            func name(_ r: ObjectRetention?) -> String {
                r.map { "\($0.mode.rawValue)@\(Date.milliseconds(of: $0.retainUntil) - Date.milliseconds(of: at(0)))" } ?? "none"
            }
            return "\(name(current)) -> \(name(new))\(bypass ? " (bypass)" : "")"
        }
    }

    static let transitions: [Transition] = {
        let (g, c) = (governance(1000), compliance(1000))
        var table: [Transition] = []
        func add(_ current: ObjectRetention?, _ new: ObjectRetention?, _ expected: ObjectLockRules.RetentionChange, bypass: [Bool] = [false, true]) {
            for b in bypass { table.append(Transition(current: current, new: new, bypass: b, expected: expected)) }
        }
        // Nothing in force: anything, but a new retention must end after now.
        add(nil, governance(1), .allowed)
        add(nil, compliance(5000), .allowed)
        add(nil, nil, .allowed)
        add(nil, governance(0), .retainUntilNotInFuture)
        add(g, compliance(-1), .retainUntilNotInFuture)
        add(c, compliance(0), .retainUntilNotInFuture)
        // GOVERNANCE in force: lengthened or made COMPLIANCE freely; shortened or removed only
        // with the bypass.
        add(g, governance(2000), .allowed)
        add(g, governance(1000), .allowed)
        add(g, compliance(1000), .allowed)
        add(g, compliance(2000), .allowed)
        add(g, governance(999), .protected(g), bypass: [false])
        add(g, governance(999), .allowed, bypass: [true])
        add(g, compliance(500), .protected(g), bypass: [false])
        add(g, compliance(500), .allowed, bypass: [true])
        add(g, nil, .protected(g), bypass: [false])
        add(g, nil, .allowed, bypass: [true])
        // COMPLIANCE in force: only lengthened (or kept), bypass or not.
        add(c, compliance(2000), .allowed)
        add(c, compliance(1000), .allowed)
        add(c, compliance(999), .protected(c))
        add(c, governance(2000), .protected(c))
        add(c, governance(1000), .protected(c))
        add(c, nil, .protected(c))
        // Expired (retain-until not after now): protects nothing.
        add(compliance(0), nil, .allowed)
        add(compliance(-5), governance(10), .allowed)
        add(governance(0), nil, .allowed)
        return table
    }()

    @Test(arguments: transitions) func retentionChanges(_ t: Transition) {
        #expect(ObjectLockRules.retentionChange(from: t.current, to: t.new, at: Self.now, bypassGovernance: t.bypass) == t.expected)
    }

    static func record(_ retention: ObjectRetention?, hold: LegalHold? = nil) -> ObjectRecord {
        var record = objectRecord(key: "k", segments: [])
        record.retention = retention
        record.legalHold = hold
        return record
    }

    @Test func protectionFromRemovalAcrossTheBoundary() {
        let g = Self.governance(1000), c = Self.compliance(1000)
        func protection(_ record: ObjectRecord, _ offset: Int64, bypass: Bool = false) -> ObjectLockProtection? {
            ObjectLockRules.protection(of: record, at: at(offset), bypassGovernance: bypass)
        }
        #expect(protection(Self.record(nil), 0) == nil)
        #expect(protection(Self.record(nil), 0, bypass: true) == nil)
        // In force until the millisecond before retain-until; from it on, nothing.
        for (retention, mode) in [(g, "G"), (c, "C")] {
            #expect(protection(Self.record(retention), 999) == .retention(retention), "\(mode)")
            #expect(protection(Self.record(retention), 1000) == nil, "\(mode)")
            #expect(protection(Self.record(retention), 5000) == nil, "\(mode)")
        }
        // The bypass lifts GOVERNANCE only.
        #expect(protection(Self.record(g), 999, bypass: true) == nil)
        #expect(protection(Self.record(c), 999, bypass: true) == .retention(c))
        // A legal hold protects whatever the retention and the bypass, until it is off.
        #expect(protection(Self.record(nil, hold: .on), 0, bypass: true) == .legalHold)
        #expect(protection(Self.record(Self.compliance(-1), hold: .on), 0) == .legalHold)
        #expect(protection(Self.record(g, hold: .on), 0, bypass: true) == .legalHold)
        #expect(protection(Self.record(c, hold: .on), 0) == .retention(c))
        #expect(protection(Self.record(nil, hold: .off), 0) == nil)
    }

    @Test func defaultRetentionPeriods() throws {
        let start = Date(milliseconds: 1_700_000_000_123) // 2023-11-14
        let day: TimeInterval = 86_400
        let days = DefaultRetention(mode: .governance, period: .days(30)).retention(from: start)
        #expect(days == ObjectRetention(mode: .governance, retainUntil: start.addingTimeInterval(30 * day)))
        // A calendar year: 2024 has a February 29th.
        let years = DefaultRetention(mode: .compliance, period: .years(1)).retention(from: start)
        #expect(years == ObjectRetention(mode: .compliance, retainUntil: start.addingTimeInterval(366 * day)))

        #expect(throwsCode(.invalidArgument) { try DefaultRetention(mode: .governance, period: .days(0)).check() })
        #expect(throwsCode(.invalidArgument) { try DefaultRetention(mode: .governance, period: .years(101)).check() })
        #expect(throwsCode(.invalidArgument) { try DefaultRetention(mode: .governance, period: .days(36_501)).check() })
        try DefaultRetention(mode: .governance, period: .years(100)).check()
        try DefaultRetention(mode: .compliance, period: .days(1)).check()
    }

    /// Days or years, never both, never neither.
    @Test func defaultRetentionJSON() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let rule = DefaultRetention(mode: .compliance, period: .years(7))
        #expect(String(decoding: try encoder.encode(rule), as: UTF8.self) == #"{"mode":"COMPLIANCE","years":7}"#)
        #expect(try JSONDecoder().decode(DefaultRetention.self, from: Data(#"{"days":3,"mode":"GOVERNANCE"}"#.utf8)) == DefaultRetention(mode: .governance, period: .days(3)))
        for bad in [#"{"days":3,"years":1,"mode":"GOVERNANCE"}"#, #"{"mode":"GOVERNANCE"}"#, #"{"days":3,"mode":"LOCKED"}"#] {
            #expect(throws: DecodingError.self) { try JSONDecoder().decode(DefaultRetention.self, from: Data(bad.utf8)) }
        }
    }
}
